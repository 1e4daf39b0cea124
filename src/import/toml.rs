//! A small TOML writer for the topology `import` writes: sections with
//! `key = value` lines, every nested table inline, so that the order of
//! each table (environment variables, ports, volumes) is the order written,
//! which is the order archctl renders.

use std::fmt::Write as _;

/// A TOML value; tables keep their order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value {
    Str(String),
    Int(i64),
    Bool(bool),
    Array(Vec<Value>),
    Table(Table),
}

/// An ordered table.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Table(pub Vec<(String, Value)>);

impl Table {
    pub(crate) fn set(&mut self, key: &str, v: impl Into<Value>) {
        self.0.push((key.to_string(), v.into()));
    }

    /// Sets `key` when `v` is given.
    pub(crate) fn opt<V: Into<Value>>(&mut self, key: &str, v: Option<V>) {
        if let Some(v) = v {
            self.set(key, v);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub(crate) fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_string())
    }
}
impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}
impl From<&String> for Value {
    fn from(s: &String) -> Value {
        Value::Str(s.clone())
    }
}
impl From<i32> for Value {
    fn from(n: i32) -> Value {
        Value::Int(n.into())
    }
}
impl From<i64> for Value {
    fn from(n: i64) -> Value {
        Value::Int(n)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
impl From<Table> for Value {
    fn from(t: Table) -> Value {
        Value::Table(t)
    }
}
impl From<Vec<String>> for Value {
    fn from(v: Vec<String>) -> Value {
        Value::Array(v.into_iter().map(Value::Str).collect())
    }
}
impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Value {
        Value::Array(v)
    }
}

/// A table from string pairs.
pub(crate) fn strings<'a>(pairs: impl IntoIterator<Item = (&'a String, &'a String)>) -> Table {
    Table(pairs.into_iter().map(|(k, v)| (k.clone(), Value::Str(v.clone()))).collect())
}

/// A template that renders as `s` exactly: `s` in a raw block, or, when
/// `s` would end that block, each delimiter as a string expression.
pub(crate) fn literal(s: &str) -> String {
    if !s.contains("endraw") {
        return format!("{{% raw %}}{s}{{% endraw %}}");
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('{', Some(&d @ ('{' | '%' | '#'))) => {
                chars.next();
                out.push_str(&format!("{{{{ \"{{{d}\" }}}}"));
            }
            _ => out.push(c),
        }
    }
    out
}

/// One `[a.b]` section: comment lines above it, then its keys.
#[derive(Clone, Debug, Default)]
pub(crate) struct Section {
    pub path: Vec<String>,
    pub comments: Vec<String>,
    pub table: Table,
    /// An entry of an array of tables (`[[a.b]]`).
    pub array: bool,
}

impl Section {
    pub(crate) fn new(path: &[&str]) -> Section {
        Section { path: path.iter().map(|s| s.to_string()).collect(), ..Default::default() }
    }
}

/// A key, bare when TOML allows, else quoted.
fn key(k: &str) -> String {
    if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        k.to_string()
    } else {
        quoted(k)
    }
}

/// A basic string with every character TOML requires escaped.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    escape(s, false, &mut out);
    out.push('"');
    out
}

/// A multi-line basic string (`"""…"""`) for text with line breaks: the
/// first line break after the opening quotes is dropped by readers, so one
/// is written there.
fn multiline(s: &str) -> String {
    let mut out = String::from("\"\"\"\n");
    escape(s, true, &mut out);
    out.push_str("\"\"\"");
    out
}

/// `s` escaped for a basic string; line breaks and tabs kept as they are
/// in a multi-line one.
fn escape(s: &str, multiline: bool, out: &mut String) {
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\t' if multiline => out.push(c),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' if !multiline => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
}

fn inline(v: &Value, top: bool) -> String {
    match v {
        Value::Str(s) if top && s.contains('\n') => multiline(s),
        Value::Str(s) => quoted(s),
        Value::Int(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Array(a) => format!("[{}]", a.iter().map(|x| inline(x, false)).collect::<Vec<_>>().join(", ")),
        Value::Table(t) if t.is_empty() => "{}".to_string(),
        Value::Table(t) => format!(
            "{{ {} }}",
            t.0.iter().map(|(k, x)| format!("{} = {}", key(k), inline(x, false))).collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The document: a comment header, then each section.
pub(crate) fn document(header: &[String], sections: &[Section]) -> String {
    let mut out = String::new();
    for line in header {
        out.push_str(&comment(line));
    }
    for s in sections {
        if !out.is_empty() {
            out.push('\n');
        }
        for line in &s.comments {
            out.push_str(&comment(line));
        }
        let path = s.path.iter().map(|p| key(p)).collect::<Vec<_>>().join(".");
        let _ = if s.array { writeln!(out, "[[{path}]]") } else { writeln!(out, "[{path}]") };
        for (k, v) in &s.table.0 {
            let _ = writeln!(out, "{} = {}", key(k), inline(v, true));
        }
    }
    out
}

/// `# line`, or `#` alone for an empty line.
fn comment(line: &str) -> String {
    if line.is_empty() { "#\n".to_string() } else { format!("# {}\n", line.replace('\n', " ")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_keys_and_inline_tables_read_back_in_order() {
        let mut s = Section::new(&["services", "rag-api", "container", "env"]);
        s.table.set("B", "x \"quoted\" \\ back");
        let mut r = Table::default();
        r.set("secret", "s");
        r.set("key", "gemini-api-key");
        s.table.set("A", r);
        s.table.set("text", "line one\nline \"two\"\n");
        let mut head = Section::new(&["project"]);
        head.table.set("name", "p");
        head.table.set("ports", Value::Array(vec![Value::Int(1), Value::Int(2)]));
        let text = document(&["header".to_string()], &[head, s]);
        assert!(text.starts_with("# header\n\n[project]\n"), "{text}");
        let back: toml::Table = toml::from_str(&text).unwrap();
        let env = &back["services"]["rag-api"]["container"]["env"];
        let keys: Vec<&String> = env.as_table().unwrap().keys().collect();
        assert_eq!(keys, ["B", "A", "text"]);
        assert_eq!(env["B"].as_str(), Some("x \"quoted\" \\ back"));
        assert_eq!(env["A"]["key"].as_str(), Some("gemini-api-key"));
        assert_eq!(env["text"].as_str(), Some("line one\nline \"two\"\n"));
        assert_eq!(back["project"]["ports"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn keys_are_quoted_when_not_bare() {
        let mut s = Section::new(&["config_maps", "a.b"]);
        s.table.set("app.kubernetes.io/name", "x");
        s.table.set("", "empty");
        let text = document(&[], &[s]);
        assert!(
            text.contains("[config_maps.\"a.b\"]\n\"app.kubernetes.io/name\" = \"x\"\n\"\" = \"empty\"\n"),
            "{text}"
        );
        let back: toml::Table = toml::from_str(&text).unwrap();
        assert_eq!(back["config_maps"]["a.b"][""].as_str(), Some("empty"));
    }

    #[test]
    fn a_literal_renders_as_the_text_it_holds() {
        let texts = [
            "{{ .Values.x }}",
            "{% if a %}b{% endif %} {# c #}",
            "a {% endraw %} {{ b }} {#",
            "{{{",
            "}}{{ x",
            "plain",
        ];
        let mut root = ::toml::Table::new();
        for (i, t) in texts.iter().enumerate() {
            let written = if crate::load::template::is_template(t) { literal(t) } else { t.to_string() };
            root.insert(format!("k{i}"), ::toml::Value::String(written));
        }
        crate::load::template::expand(&mut root, None, &Default::default()).unwrap();
        for (i, t) in texts.iter().enumerate() {
            assert_eq!(root[&format!("k{i}")].as_str(), Some(*t));
        }
        assert!(!crate::load::template::is_template("a { b } }}") && crate::load::template::is_template("{#"));
    }
}
