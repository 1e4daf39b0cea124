//! Addresses in topology values (URLs, `host:port`, cluster service names):
//! where the host is, and credentials in them kept out of what archctl
//! prints. One home for what `check` (W007), `graph` and the diagnostics
//! need to know about a URL's user-info.

use std::borrow::Cow;

/// `word` without its scheme and user-info: `redis://u:p@redis.data.svc:6379/0`
/// gives `redis.data.svc:6379/0`.
pub(crate) fn without_userinfo(word: &str) -> &str {
    let rest = word.rsplit_once("://").map(|(_, r)| r).unwrap_or(word);
    // the user-info ends at the last `@` before the path
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => &rest[at + 1..],
        None => rest,
    }
}

/// `text` with the password of every `scheme://user:password@host` masked
/// (`user:********@host`), one `*` per character, so that byte offsets into
/// the text (the spans of diagnostics) stay where they were.
pub(crate) fn mask_credentials(text: &str) -> Cow<'_, str> {
    if !text.contains("://") || !text.contains('@') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        // the authority ends at `/`, whitespace, a quote or the end
        let end = tail.find(|c: char| c == '/' || c.is_whitespace() || c == '"' || c == '\'').unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at) => {
                let userinfo = &authority[..at];
                match userinfo.find(':') {
                    Some(colon) => {
                        out.push_str(&userinfo[..=colon]);
                        out.extend(std::iter::repeat_n('*', userinfo[colon + 1..].len()));
                    }
                    // a lone user name can be a token (`https://TOKEN@host`)
                    None => out.extend(std::iter::repeat_n('*', userinfo.len())),
                }
                out.push_str(&authority[at..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_come_after_the_userinfo() {
        assert_eq!(without_userinfo("redis://u:p@redis.data.svc:6379/0"), "redis.data.svc:6379/0");
        assert_eq!(without_userinfo("http://a.b.svc/x@y"), "a.b.svc/x@y");
        assert_eq!(without_userinfo("neo4j.data.svc:7687"), "neo4j.data.svc:7687");
    }

    #[test]
    fn passwords_are_masked_and_offsets_kept() {
        let text = "url = \"postgres://app:s3cr3t@db.data.svc:5432/app\" and https://TOKEN@git.example.com/x";
        let masked = mask_credentials(text);
        assert_eq!(masked, "url = \"postgres://app:******@db.data.svc:5432/app\" and https://*****@git.example.com/x");
        assert_eq!(masked.len(), text.len());
        assert_eq!(mask_credentials("no credentials: http://a.b/c@d"), "no credentials: http://a.b/c@d");
    }
}
