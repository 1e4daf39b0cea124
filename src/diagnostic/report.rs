//! Findings in the formats code review reads: SARIF 2.1.0 (GitHub code
//! scanning, GitLab, Azure DevOps and IDE viewers) and GitHub Actions
//! workflow commands (`::warning file=…::`), which annotate a pull
//! request's diff.
//!
//! Both are small, fixed JSON or text shapes, written here with serde_json
//! rather than through a SARIF object model: the log archctl writes uses a
//! handful of SARIF's properties, and the tests validate it against the
//! official SARIF 2.1.0 schema.

use serde_json::{Value, json};

use crate::address::mask_credentials;
use crate::diagnostic::codes::CODES;
use crate::diagnostic::{Position, Severity};

/// One finding of `archctl check`, where it is and where it applies.
pub(crate) struct Finding<'a> {
    pub severity: Severity,
    pub code: &'static str,
    pub message: &'a str,
    pub help: Option<&'a str>,
    pub position: Option<&'a Position>,
    /// The profiles it appears in.
    pub profiles: Vec<String>,
    /// Each render it appears in: (profile, phase).
    pub renders: Vec<(String, Option<String>)>,
    /// Where it applies, in words, when not in every render
    /// (`staging at phase3`).
    pub places: Option<String>,
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// The finding's text: the message, then how to fix it. Credentials in
/// either are masked.
fn text(f: &Finding) -> String {
    let mut text = mask_credentials(f.message).into_owned();
    if let Some(help) = f.help {
        text.push_str("\nhelp: ");
        text.push_str(&mask_credentials(help));
    }
    if let Some(places) = &f.places {
        text.push_str("\nin: ");
        text.push_str(places);
    }
    text
}

/// A file path as a SARIF artifact URI: relative paths stay relative
/// (to `%SRCROOT%`, the folder archctl ran in), absolute ones become
/// `file://` URIs; characters outside RFC 3986's unreserved set and `/`
/// are percent-encoded.
fn uri(path: &str) -> (String, bool) {
    let mut out = String::new();
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    let out = out.strip_prefix("./").map(str::to_string).unwrap_or(out);
    if path.starts_with('/') { (format!("file://{out}"), true) } else { (out, false) }
}

/// A SARIF 2.1.0 log of one run: every code of the registry as a rule,
/// every finding as a result pointing at its rule, file, line and column,
/// with the profiles and renders it applies to as properties.
pub(crate) fn sarif(findings: &[Finding], checked: &[&str]) -> Value {
    let rules: Vec<Value> = CODES
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "shortDescription": { "text": c.title },
                "fullDescription": { "text": c.explanation },
                "help": { "text": c.explanation },
                "defaultConfiguration": { "level": level(c.severity()) },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut result = json!({
                "ruleId": f.code,
                "level": level(f.severity),
                "message": { "text": text(f) },
                "properties": {
                    "profiles": f.profiles,
                    "renders": f.renders.iter().map(|(p, ph)| json!({ "profile": p, "phase": ph })).collect::<Vec<_>>(),
                },
            });
            if let Some(index) = CODES.iter().position(|c| c.id == f.code) {
                result["ruleIndex"] = json!(index);
            }
            if let Some(p) = f.position {
                let (uri, absolute) = uri(&p.file);
                let mut artifact = json!({ "uri": uri });
                if !absolute {
                    artifact["uriBaseId"] = json!("%SRCROOT%");
                }
                result["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": artifact,
                        "region": { "startLine": p.line, "startColumn": p.column },
                    }
                }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "archctl",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            // columns count characters, as archctl's own messages do
            "columnKind": "unicodeCodePoints",
            "results": results,
            "properties": { "checked": checked },
        }]
    })
}

/// Escapes the message of a workflow command (`%`, CR, LF), as the
/// Actions toolkit does.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a property of a workflow command (also `:` and `,`).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// GitHub Actions workflow commands, one line per finding:
/// `::error file=archctl.toml,line=3,col=5,title=E005::message`.
pub(crate) fn github(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        let mut props = Vec::new();
        if let Some(p) = f.position {
            let file = p.file.strip_prefix("./").unwrap_or(&p.file);
            props.push(format!("file={}", escape_property(file)));
            props.push(format!("line={}", p.line));
            props.push(format!("col={}", p.column));
        }
        props.push(format!("title={}", escape_property(&format!("archctl {}", f.code))));
        out.push_str(&format!("::{} {}::{}\n", level(f.severity), props.join(","), escape_data(&text(f))));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_percent_encoded_and_absolute_paths_are_file_uris() {
        assert_eq!(uri("profiles/dev.toml"), ("profiles/dev.toml".to_string(), false));
        assert_eq!(uri("./a b%.toml"), ("a%20b%25.toml".to_string(), false));
        assert_eq!(uri("/srv/x/archctl.toml"), ("file:///srv/x/archctl.toml".to_string(), true));
    }

    #[test]
    fn workflow_commands_escape_what_would_end_them() {
        let pos = Position { file: "a,b:c.toml".into(), line: 3, column: 7 };
        let f = Finding {
            severity: Severity::Warning,
            code: "W001",
            message: "50% done\nnext",
            help: None,
            position: Some(&pos),
            profiles: vec![],
            renders: vec![],
            places: None,
        };
        assert_eq!(github(&[f]), "::warning file=a%2Cb%3Ac.toml,line=3,col=7,title=archctl W001::50%25 done%0Anext\n");
    }
}
