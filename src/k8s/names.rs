//! The name rules of the Kubernetes API (apimachinery's `validation`
//! package), so that a bad name is caught at its line in the topology rather
//! than by the API server at apply time.

/// The longest DNS label.
pub(crate) const LABEL_MAX: usize = 63;

/// RFC 1123 label: lowercase letters, digits and `-`, starting and ending
/// with a letter or digit, at most 63 characters (namespaces, most objects).
pub(crate) fn dns1123_label(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.len() > LABEL_MAX {
        return Err(format!("must be at most {LABEL_MAX} characters (it has {})", name.len()));
    }
    if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Err("may contain only lowercase letters, digits and `-`".into());
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err("must start and end with a letter or digit".into());
    }
    Ok(())
}

/// RFC 1035 label: an RFC 1123 label that starts with a letter (Service names).
pub(crate) fn dns1035_label(name: &str) -> Result<(), String> {
    dns1123_label(name)?;
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Err("must start with a lowercase letter".into());
    }
    Ok(())
}

/// RFC 1123 subdomain: dot-separated labels, at most 253 characters
/// (ConfigMaps, Secrets, claims).
pub(crate) fn dns1123_subdomain(name: &str) -> Result<(), String> {
    if name.len() > 253 {
        return Err(format!("must be at most 253 characters (it has {})", name.len()));
    }
    for part in name.split('.') {
        // the part's own message reads "must …" or "may …": say which part
        dns1123_label(part).map_err(|e| {
            if !name.contains('.') {
                e
            } else if part.is_empty() {
                "must not have an empty part between dots".to_string()
            } else {
                format!("its part `{part}` {}", e.trim_start_matches("it ").trim_start_matches("its "))
            }
        })?;
    }
    Ok(())
}

/// IANA service name: port names, at most 15 characters, with a letter.
pub(crate) fn port_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 15 {
        return Err("must be 1 to 15 characters".into());
    }
    if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
        return Err("may contain only lowercase letters, digits and `-`".into());
    }
    if !name.chars().any(|c| c.is_ascii_lowercase()) {
        return Err("must contain at least one letter".into());
    }
    if name.starts_with('-') || name.ends_with('-') || name.contains("--") {
        return Err("must not start or end with `-` or contain `--`".into());
    }
    Ok(())
}

/// An environment variable name: printable ASCII without `=`.
pub(crate) fn env_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if !name.chars().all(|c| c.is_ascii_graphic() && c != '=') {
        return Err("may contain only printable ASCII characters other than `=`".into());
    }
    Ok(())
}

/// A ConfigMap or Secret key.
pub(crate) fn data_key(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 253 {
        return Err("must be 1 to 253 characters".into());
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        return Err("may contain only letters, digits, `-`, `_` and `.`".into());
    }
    if name == "." || name == ".." {
        return Err("must not be `.` or `..`".into());
    }
    Ok(())
}

fn label_name_part(name: &str) -> Result<(), String> {
    if name.len() > LABEL_MAX {
        return Err(format!("must be at most {LABEL_MAX} characters"));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        return Err("may contain only letters, digits, `-`, `_` and `.`".into());
    }
    let alnum = |c: char| c.is_ascii_alphanumeric();
    if !name.is_empty() && (!name.starts_with(alnum) || !name.ends_with(alnum)) {
        return Err("must start and end with a letter or digit".into());
    }
    Ok(())
}

/// A label value: empty, or up to 63 letters, digits, `-`, `_`, `.`.
pub(crate) fn label_value(value: &str) -> Result<(), String> {
    label_name_part(value)
}

/// A label or annotation key: `[prefix/]name`.
pub(crate) fn qualified_name(key: &str) -> Result<(), String> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        dns1123_subdomain(p).map_err(|e| format!("prefix `{p}` {e}"))?;
    }
    if name.is_empty() {
        return Err("name part must not be empty".into());
    }
    label_name_part(name)
}

/// A name the user probably meant: lowercased, `_` and spaces as `-`.
pub(crate) fn suggest_label(name: &str) -> Option<String> {
    let s: String = name.to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let mut s = s.trim_matches('-').to_string();
    while s.contains("--") {
        s = s.replace("--", "-");
    }
    s.truncate(LABEL_MAX);
    let s = s.trim_end_matches('-').to_string();
    (!s.is_empty() && s != name && dns1123_label(&s).is_ok()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert!(dns1123_label("rag-api").is_ok());
        assert!(dns1123_label("1abc").is_ok());
        assert!(dns1035_label("1abc").is_err());
        assert!(dns1123_label("RAG_API").is_err());
        assert!(dns1123_label("-a").is_err());
        assert!(dns1123_label(&"a".repeat(64)).is_err());
        assert!(dns1123_subdomain("a.b-c").is_ok());
        assert!(dns1123_subdomain("a..b").is_err());
    }

    #[test]
    fn ports_env_keys_and_labels() {
        assert!(port_name("http").is_ok());
        assert!(port_name("http-metrics-long").is_err());
        assert!(port_name("8080").is_err());
        assert!(env_name("NEO4J_dbms_memory_heap_max__size").is_ok());
        assert!(env_name("A=B").is_err());
        assert!(data_key("config.yaml").is_ok());
        assert!(data_key("a/b").is_err());
        assert!(qualified_name("app.kubernetes.io/name").is_ok());
        assert!(qualified_name("Bad Key").is_err());
        assert!(label_value("").is_ok());
        assert!(label_value("1.2.3").is_ok());
        assert!(label_value("sha256:abc").is_err());
    }

    #[test]
    fn suggestions() {
        assert_eq!(suggest_label("RAG_API").as_deref(), Some("rag-api"));
        assert_eq!(suggest_label("rag-api"), None);
    }
}
