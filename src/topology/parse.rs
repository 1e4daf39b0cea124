//! Parsing one TOML file into an ordered value tree plus the span of every
//! key and value in it.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::{Spanned, Value};

use super::path::TomlPath;
use super::spans::{Entry, SpanIndex};
use crate::diagnostic::Diagnostic;

/// Parses `text` (file number `file` of the source map) into a table,
/// recording spans into `index`.
pub fn parse(text: &str, file: usize, index: &mut SpanIndex) -> Result<toml::Table, Diagnostic> {
    let root = DeTable::parse(text).map_err(|e| syntax_error(&e, file, text))?;
    let mut ctx = Walker { file, index };
    Ok(ctx.table(root.get_ref(), &TomlPath::root()))
}

fn syntax_error(e: &toml::de::Error, file: usize, text: &str) -> Diagnostic {
    let span = e.span().unwrap_or(0..0);
    let message = e.message().trim().to_string();
    let mut d = Diagnostic::error("E001", format!("invalid TOML: {message}")).at_span(file, span.clone());
    let help = if message.contains("duplicate key") {
        "each key may appear once per table: merge the two definitions or rename one"
    } else if message.contains("string") || message.contains("unterminated") {
        "strings are written in double quotes, e.g. `image = \"nginx:1.27\"`"
    } else if text.get(span.clone()).is_some_and(|s| s.trim().is_empty()) {
        "a value is missing here: write `key = value`"
    } else {
        "see https://toml.io for the syntax of keys, strings, tables and arrays"
    };
    d = d.with_help(help);
    d
}

struct Walker<'a> {
    file: usize,
    index: &'a mut SpanIndex,
}

impl Walker<'_> {
    fn table(&mut self, table: &DeTable<'_>, path: &TomlPath) -> toml::Table {
        let mut out = toml::Table::new();
        for (key, value) in table.iter() {
            let name = key.get_ref().to_string();
            let child = path.key(name.clone());
            self.record(&child, Some(key.span()), value);
            out.insert(name, self.value(value, &child));
        }
        out
    }

    fn record(&mut self, path: &TomlPath, key: Option<Range<usize>>, value: &Spanned<DeValue<'_>>) {
        self.index.insert(path.clone(), Entry { file: self.file, key, value: value.span() });
    }

    fn value(&mut self, value: &Spanned<DeValue<'_>>, path: &TomlPath) -> Value {
        match value.get_ref() {
            DeValue::String(s) => Value::String(s.to_string()),
            DeValue::Integer(i) => {
                let digits: String = i.as_str().chars().filter(|c| *c != '_').collect();
                let digits = digits.trim_start_matches("0x").trim_start_matches("0o").trim_start_matches("0b");
                match i64::from_str_radix(digits, i.radix()) {
                    Ok(n) => Value::Integer(n),
                    // out of i64 range: keep it visible as text so the typed
                    // deserializer reports a type error at this position
                    Err(_) => Value::String(i.as_str().to_string()),
                }
            }
            DeValue::Float(f) => {
                let text: String = f.as_str().chars().filter(|c| *c != '_').collect();
                let n = match text.as_str() {
                    "inf" | "+inf" => f64::INFINITY,
                    "-inf" => f64::NEG_INFINITY,
                    "nan" | "+nan" | "-nan" => f64::NAN,
                    other => other.parse().unwrap_or(f64::NAN),
                };
                Value::Float(n)
            }
            DeValue::Boolean(b) => Value::Boolean(*b),
            DeValue::Datetime(d) => Value::Datetime(*d),
            DeValue::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let child = path.index(i);
                    self.record(&child, None, item);
                    out.push(self.value(item, &child));
                }
                Value::Array(out)
            }
            DeValue::Table(t) => Value::Table(self.table(t, path)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_key_and_value_spans_and_keeps_order() {
        let text = "[b]\nz = 1\na = [\"x\", \"y\"]\n";
        let mut idx = SpanIndex::default();
        let t = parse(text, 0, &mut idx).unwrap();
        let keys: Vec<_> = t["b"].as_table().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["z", "a"]);
        let e = idx.get(&TomlPath::parse("b.z")).unwrap();
        assert_eq!(&text[e.key.clone().unwrap()], "z");
        assert_eq!(&text[e.value.clone()], "1");
        let item = idx.get(&TomlPath::parse("b.a").index(1)).unwrap();
        assert_eq!(&text[item.value.clone()], "\"y\"");
    }

    #[test]
    fn syntax_errors_carry_a_span() {
        let mut idx = SpanIndex::default();
        let err = parse("a = \n", 0, &mut idx).unwrap_err();
        assert_eq!(err.code, "E001");
        assert!(matches!(err.anchor, crate::diagnostic::Anchor::Span { .. }));
    }

    #[test]
    fn duplicate_keys_are_syntax_errors() {
        let mut idx = SpanIndex::default();
        let err = parse("[s.a]\nx = 1\n[s.a]\nx = 2\n", 0, &mut idx).unwrap_err();
        assert!(err.message.contains("duplicate"), "{}", err.message);
    }
}
