//! The only module that deals in YAML.
//!
//! Writing uses a small emitter of our own for the subset of YAML that
//! manifests need (maps, sequences, strings, numbers, booleans, null), for
//! one reason above speed: Kubernetes tooling reads YAML 1.1, where `yes`,
//! `on`, `0755` or `1_000` are not strings. serde_yaml writes YAML 1.2 and
//! leaves `yes` unquoted, which `kubectl` then reads back as `true`. This
//! emitter quotes every scalar that either version could read as anything
//! but a string. Reading uses serde_yaml, behind [`parse_stream`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::build::Object;

/// One object as a YAML document (without the `---` separator).
pub fn document<T: Serialize>(value: &T) -> anyhow::Result<String> {
    let v = serde_json::to_value(value)?;
    let mut out = String::with_capacity(2048);
    write_document(&v, &mut out);
    Ok(out)
}

/// Objects as a multi-document stream, each document opened by `---`.
pub fn stream(objects: &[Object]) -> anyhow::Result<String> {
    let mut out = String::with_capacity(objects.len() * 2048);
    for o in objects {
        out.push_str("---\n");
        let v = serde_json::to_value(o)?;
        write_document(&v, &mut out);
    }
    Ok(out)
}

/// Parses a multi-document stream into JSON values (snapshots, tests, diff).
pub fn parse_stream(text: &str) -> anyhow::Result<Vec<Value>> {
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let v = Value::deserialize(doc)?;
        if !v.is_null() {
            out.push(v);
        }
    }
    Ok(out)
}

fn write_document(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) if !m.is_empty() => write_map(m, 0, out),
        Value::Array(a) if !a.is_empty() => write_seq(a, 0, out),
        other => {
            write_scalar(other, 0, out);
            out.push('\n');
        }
    }
}

fn indent(n: usize, out: &mut String) {
    for _ in 0..n {
        out.push(' ');
    }
}

/// A block mapping at `level` spaces; the caller has placed the cursor at
/// the start of the first key's line (indented for the first key when the
/// map opens a sequence item).
fn write_map(m: &serde_json::Map<String, Value>, level: usize, out: &mut String) {
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 {
            indent(level, out);
        }
        write_string(k, level, true, out);
        out.push(':');
        write_value_after_key(v, level, out);
    }
}

fn write_value_after_key(v: &Value, level: usize, out: &mut String) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            out.push('\n');
            indent(level + 2, out);
            write_map(m, level + 2, out);
        }
        // kubectl style: a sequence under a key is not indented further
        Value::Array(a) if !a.is_empty() => {
            out.push('\n');
            write_seq(a, level, out);
        }
        other => {
            out.push(' ');
            write_scalar(other, level + 2, out);
            out.push('\n');
        }
    }
}

fn write_seq(a: &[Value], level: usize, out: &mut String) {
    for item in a {
        indent(level, out);
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => write_map(m, level + 2, out),
            Value::Array(inner) if !inner.is_empty() => {
                // a sequence in a sequence starts on the dash's line
                let mut nested = String::new();
                write_seq(inner, level + 2, &mut nested);
                out.push_str(nested.trim_start());
            }
            other => {
                write_scalar(other, level + 2, out);
                out.push('\n');
            }
        }
    }
}

/// A scalar (or an empty map or list) at `level`; strings spanning lines
/// become literal blocks indented to `level`.
pub(crate) fn write_scalar(v: &Value, level: usize, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_string(s, level, false, out),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
    }
}

/// Writes a string plain when no YAML 1.1 or 1.2 reader could take it for
/// anything else, as a literal block when it spans lines, and quoted
/// otherwise. `level` is the indentation of the enclosing node.
pub(crate) fn write_string(s: &str, level: usize, is_key: bool, out: &mut String) {
    if !is_key && s.contains('\n') && block_safe(s) {
        write_literal(s, level, out);
    } else if is_plain_safe(s) {
        out.push_str(s);
    } else if s.chars().all(|c| !c.is_control() && c != '\u{feff}') {
        out.push('\'');
        out.push_str(&s.replace('\'', "''"));
        out.push('\'');
    } else {
        write_double_quoted(s, out);
    }
}

/// `|` block: lines at `level + 2`, with the chomping indicator that keeps
/// the exact trailing newlines.
fn write_literal(s: &str, level: usize, out: &mut String) {
    out.push('|');
    // an indentation indicator when the first line starts with a space
    if s.starts_with(' ') {
        out.push('2');
    }
    let trailing = s.len() - s.trim_end_matches('\n').len();
    match trailing {
        0 => out.push('-'),
        1 => {}
        _ => out.push('+'),
    }
    out.push('\n');
    let body = if trailing == 0 { s } else { &s[..s.len() - 1] };
    for line in body.split('\n') {
        if !line.is_empty() {
            indent(level, out);
            out.push_str(line);
        }
        out.push('\n');
    }
    // the caller adds the newline that ends the value: remove ours
    out.pop();
}

/// A literal block can hold the text exactly: no control characters other
/// than tab, no carriage returns, no trailing spaces before a line break
/// that a reader might strip.
fn block_safe(s: &str) -> bool {
    s.chars().all(|c| c == '\n' || c == '\t' || !c.is_control())
        && !s.contains('\u{feff}')
        && !s.split('\n').any(|l| l.ends_with(' ') || l.ends_with('\t'))
}

fn write_double_quoted(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || c == '\u{feff}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Whether a string can be written without quotes and still read back as
/// the same string by YAML 1.1 and 1.2 readers.
fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if s.starts_with(' ') || s.ends_with(' ') || s.ends_with(':') {
        return false;
    }
    // indicators that start something other than a plain scalar
    // `--flag` and `-m` are plain; `-`, `- x` and `-1` are not
    let dash_word = first == '-' && s.len() > 1 && !s.starts_with("- ") && !looks_numeric(s);
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) && !dash_word {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.contains('\t') {
        return false;
    }
    if s.chars().any(|c| c.is_control() || c == '\u{feff}' || c == '\u{85}' || c == '\u{2028}' || c == '\u{2029}') {
        return false;
    }
    if is_reserved_word(s) || looks_numeric(s) || looks_like_timestamp(s) {
        return false;
    }
    true
}

/// Booleans and nulls of YAML 1.1 and 1.2, and `=` (the 1.1 value key).
fn is_reserved_word(s: &str) -> bool {
    matches!(
        s,
        "y" | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
            | "null"
            | "Null"
            | "NULL"
            | "~"
            | "="
            | ".inf"
            | ".Inf"
            | ".INF"
            | "+.inf"
            | "+.Inf"
            | "+.INF"
            | "-.inf"
            | "-.Inf"
            | "-.INF"
            | ".nan"
            | ".NaN"
            | ".NAN"
    )
}

/// Anything a YAML 1.1 reader might parse as a number: decimal, octal,
/// hexadecimal, binary, with `_` separators, floats with exponents, and
/// base-60 (`1:30`).
fn looks_numeric(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() {
        return false;
    }
    if let Some(rest) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0o")).or_else(|| body.strip_prefix("0b"))
    {
        return !rest.is_empty() && rest.chars().all(|c| c.is_ascii_hexdigit() || c == '_');
    }
    // base 60: digits and colons
    if body.contains(':') {
        return body.chars().all(|c| c.is_ascii_digit() || c == ':' || c == '.' || c == '_')
            && body.starts_with(|c: char| c.is_ascii_digit());
    }
    let mut digits = 0;
    let mut dots = 0;
    let mut chars = body.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            '0'..='9' => digits += 1,
            '_' => {}
            '.' => dots += 1,
            _ => break,
        }
        chars.next();
    }
    if digits == 0 || dots > 1 {
        return false;
    }
    match chars.next() {
        None => true,
        Some('e' | 'E') => {
            let rest: String = chars.collect();
            let rest = rest.strip_prefix(['+', '-']).unwrap_or(&rest);
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// `2001-12-14` and friends: YAML 1.1 timestamps.
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 8
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5].is_ascii_digit()
        && (b[6] == b'-' || b[6].is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(v: &Value) -> Value {
        let text = document(v).unwrap();
        let back: Value = serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(&back, v, "round trip of\n{text}");
        back
    }

    #[test]
    fn ambiguous_scalars_are_quoted() {
        for s in [
            "yes",
            "no",
            "on",
            "off",
            "y",
            "N",
            "true",
            "null",
            "~",
            "",
            " x",
            "x ",
            "1",
            "0755",
            "0x1F",
            "1_000",
            "1.5",
            "1e3",
            "-1",
            ".5",
            "+1",
            ".inf",
            "1:30",
            "2001-12-14",
            "- x",
            "-",
            "a: b",
            "a #b",
            "#x",
            "*x",
            "&x",
            "!x",
            "|",
            ">",
            "'",
            "\"",
            "%x",
            "@x",
            "`x",
            "{x}",
            "[x]",
            "x:",
            "?",
            "tab\there",
            "=",
        ] {
            let mut out = String::new();
            write_string(s, 0, false, &mut out);
            assert!(out.starts_with('\'') || out.starts_with('"'), "{s:?} written as {out}");
            round_trip(&json!({ "k": s }));
        }
    }

    #[test]
    fn ordinary_scalars_stay_plain() {
        for s in [
            "rag-api",
            "archivist/rag-api:1.4.2",
            "/health",
            "bolt://neo4j.svc:7687",
            "-m",
            "--rebuild",
            "500m",
            "2Gi",
            "app.kubernetes.io/name",
            "0 2 * * *",
            "v1.7.4",
            "5.13-community",
            "512mb",
            "1.0.0",
        ] {
            let mut out = String::new();
            write_string(s, 0, false, &mut out);
            assert_eq!(out, s);
            round_trip(&json!({ "k": s }));
        }
    }

    #[test]
    fn multi_line_strings_are_literal_blocks_that_round_trip() {
        for s in ["a\nb\n", "a\nb", "a\n\n", "  indented\nb\n", "a\n\nb\n", "x\n  y\n"] {
            let v = json!({ "data": { "f": s } });
            round_trip(&v);
        }
        let text = document(&json!({"data": {"config.yaml": "a: 1\nb: 2\n"}})).unwrap();
        assert_eq!(text, "data:\n  config.yaml: |\n    a: 1\n    b: 2\n");
    }

    #[test]
    fn control_characters_are_escaped() {
        round_trip(&json!({ "k": "bell\u{7}", "c": "cr\r\nlf" }));
    }

    #[test]
    fn nested_structures_use_kubectl_layout() {
        let v = json!({
            "spec": {
                "containers": [{"name": "a", "args": ["x", "yes"], "ports": [{"containerPort": 80}]}],
                "empty": {}, "none": [], "n": null, "b": false, "f": 0.5,
                "matrix": [[1, 2], [3]]
            }
        });
        let text = document(&v).unwrap();
        assert!(text.contains("  containers:\n  - name: a\n    args:\n    - x\n    - 'yes'\n"), "{text}");
        round_trip(&v);
    }
}
