//! Parsing one TOML file into an ordered value tree, and, when a diagnostic
//! needs positions, the span of every key and value in it.
//!
//! Two parsers read a file. `toml-spanner` is the fast path: it is about five
//! times faster than the `toml` crate and needs about a fifth of its memory,
//! which matters at fleet scale (a topology of 10,000 services is 12 MB of
//! TOML). The `toml` crate is the reference: it reports syntax errors (so
//! their messages and positions never depend on the fast path), it reads
//! any document the fast path refuses or cannot represent exactly, and it
//! records spans ([`parse_with_spans`]), which the loader asks for only when
//! a diagnostic is printed. Both implement TOML 1.1; a test checks that they
//! give the same tree for every topology in the repository.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::{Spanned, Value};

use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::diagnostic::spans::{Entry, SpanIndex};

/// Parses `text` (file number `file` of the source map) into a table.
pub(crate) fn parse(text: &str, file: usize) -> Result<toml::Table, Diagnostic> {
    let arena = toml_spanner::Arena::new();
    if let Ok(doc) = toml_spanner::parse(text, &arena)
        && let Some(table) = fast::root(doc.table())
    {
        return Ok(table);
    }
    parse_with_spans(text, file, &mut SpanIndex::default())
}

/// Parses `text` with the reference parser, recording the span of every key
/// and value into `index`.
pub(crate) fn parse_with_spans(text: &str, file: usize, index: &mut SpanIndex) -> Result<toml::Table, Diagnostic> {
    let root = DeTable::parse(text).map_err(|e| syntax_error(&e, file, text))?;
    let mut ctx = Walker { file, index, problem: None };
    let table = ctx.table(root.get_ref(), &TomlPath::root());
    match ctx.problem {
        Some(d) => Err(d),
        None => Ok(table),
    }
}

/// The fast path's tree, converted to the reference's value types. Anything
/// the reference reads differently gives None, and the reference reads the
/// document instead: integers outside i64 (which the reference keeps as
/// text so that the model reports a type error), and dates it cannot read
/// back.
pub(super) mod fast {
    use toml_spanner::{Item, Value as V};

    /// Tables from which converting the entries on two threads pays off.
    const PARALLEL_ENTRIES: usize = 256;

    /// The document; a large top-level table (`services` of a fleet) is
    /// converted in two halves side by side, into the same order.
    pub(super) fn root(t: &toml_spanner::Table<'_>) -> Option<toml::Table> {
        let mut out = toml::Table::with_capacity(t.len());
        for (k, v) in t.iter() {
            let converted = match v.value() {
                V::Table(inner) if inner.len() >= PARALLEL_ENTRIES => halves(inner)?,
                _ => value(v)?,
            };
            out.insert(k.name.to_string(), converted);
        }
        Some(out)
    }

    fn halves(t: &toml_spanner::Table<'_>) -> Option<toml::Value> {
        let entries: Vec<_> = t.iter().collect();
        let (first, second) = entries.split_at(entries.len() / 2);
        let convert = |part: &[&(toml_spanner::Key<'_>, Item<'_>)]| -> Option<Vec<(String, toml::Value)>> {
            part.iter().map(|(k, v)| Some((k.name.to_string(), value(v)?))).collect()
        };
        let (a, b) = std::thread::scope(|scope| {
            let b = scope.spawn(|| convert(second));
            (convert(first), b.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
        });
        let mut out = toml::Table::with_capacity(entries.len());
        out.extend(a?.into_iter().chain(b?));
        Some(toml::Value::Table(out))
    }

    pub(super) fn table(t: &toml_spanner::Table<'_>) -> Option<toml::Table> {
        let mut out = toml::Table::with_capacity(t.len());
        for (k, v) in t.iter() {
            out.insert(k.name.to_string(), value(v)?);
        }
        Some(out)
    }

    pub(in crate::load) fn value(item: &Item<'_>) -> Option<toml::Value> {
        Some(match item.value() {
            V::String(s) => toml::Value::String((*s).to_string()),
            V::Integer(n) => toml::Value::Integer(n.as_i64()?),
            // the reference reads every NaN as the positive one
            V::Float(f) => toml::Value::Float(if f.is_nan() { f64::NAN } else { *f }),
            V::Boolean(b) => toml::Value::Boolean(*b),
            V::DateTime(d) => {
                let mut buf = std::mem::MaybeUninit::uninit();
                toml::Value::Datetime(d.format(&mut buf).parse().ok()?)
            }
            V::Array(a) => toml::Value::Array(a.iter().map(value).collect::<Option<_>>()?),
            V::Table(t) => toml::Value::Table(table(t)?),
        })
    }
}

fn syntax_error(e: &toml::de::Error, file: usize, text: &str) -> Diagnostic {
    let span = e.span().unwrap_or(0..0);
    let message = e.message().trim().to_string();
    let mut d = Diagnostic::error("E001", format!("invalid TOML: {message}")).at_span(file, span.clone());
    let help = if message.contains("duplicate key") {
        "each key may appear once per table: merge the two definitions or rename one"
    } else if message.contains("string") || message.contains("unterminated") {
        "strings are written in double quotes, e.g. `image = \"nginx:1.27\"`"
    } else if message.contains("comment character")
        || text
            .get(span.clone())
            .is_some_and(|s| s.chars().any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r'))
    {
        "remove the control character (a NUL or other non-printable byte) here: TOML comments and strings may hold only printable characters and tabs"
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
    /// The first value TOML cannot hold (an integer beyond 64 bits).
    problem: Option<Diagnostic>,
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
                    // TOML integers are 64-bit: beyond that is an error here,
                    // wherever it stands (`[vars]` would take it as text)
                    Err(_) => {
                        if self.problem.is_none() {
                            self.problem = Some(
                                Diagnostic::error(
                                    "E001",
                                    format!("invalid TOML: `{}` is beyond the 64-bit integers TOML allows", i.as_str()),
                                )
                                .at_span(self.file, value.span())
                                .with_help(
                                    "write it as a string in double quotes if it is text, or use a smaller number",
                                ),
                            );
                        }
                        Value::String(i.as_str().to_string())
                    }
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
        let t = parse_with_spans(text, 0, &mut idx).unwrap();
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
        let err = parse("a = \n", 0).unwrap_err();
        assert_eq!(err.code, "E001");
        assert!(matches!(err.anchor, crate::diagnostic::Anchor::Span { .. }));
    }

    #[test]
    fn duplicate_keys_are_syntax_errors() {
        let err = parse("[s.a]\nx = 1\n[s.a]\nx = 2\n", 0).unwrap_err();
        assert!(err.message.contains("duplicate"), "{}", err.message);
    }

    #[test]
    fn the_fast_and_the_reference_parser_give_the_same_tree() {
        let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = vec![repo.join("archctl.toml"), repo.join("tests/corpus/cases.toml")];
        for dir in [
            "profiles",
            "examples/percolate-reading",
            "examples/percolate-reading/profiles",
            "examples/semantic-explorer",
            "examples/semantic-explorer/profiles",
        ] {
            for e in std::fs::read_dir(repo.join(dir)).unwrap().flatten() {
                if e.path().extension().is_some_and(|x| x == "toml") {
                    files.push(e.path());
                }
            }
        }
        // more services than `fast::root` converts on one thread
        let generated = xtask::fleet::generate(300);
        let mut texts: Vec<(String, String)> =
            files.iter().map(|f| (f.display().to_string(), std::fs::read_to_string(f).unwrap())).collect();
        texts.extend(generated);
        texts.push(("edge cases".into(), EDGES.to_string()));
        for (name, text) in &texts {
            let fast = fast::root(toml_spanner::parse(text, &toml_spanner::Arena::new()).unwrap().table());
            let reference = parse_with_spans(text, 0, &mut SpanIndex::default()).unwrap();
            // Debug shows key order and value types as well as values
            assert_eq!(format!("{fast:?}"), format!("{:?}", Some(reference)), "{name}");
        }
    }

    const EDGES: &str = r#"
int = 0x7FFF_FFFF
octal = 0o755
big = 9_223_372_036_854_775_807
neg = -17
float = 6.02e23
inf = -inf
nan = nan
date = 1979-05-27
time = 07:32:00
stamp = 1979-05-27T07:32:00.999999-07:00
local = 1979-05-27T07:32:00
text = "tab\there \u00e9 \"quoted\""
literal = 'C:\path\{{ x }}'
multi = """
line one
  line two\
  joined
"""
inline = { b = 1, a = [1, "two", { c = true }] }
dotted.z.y = 1
dotted.a = 2
[[array]]
x = 1
[[array]]
x = 2
[table.sub]
k = "v"
[table]
first = 1
"#;

    #[test]
    fn integers_beyond_i64_are_located_errors() {
        let e = parse("n = 99999999999999999999\n", 0).unwrap_err();
        assert_eq!(e.code, "E001");
        assert!(e.message.contains("beyond the 64-bit integers"), "{}", e.message);
        assert_eq!(e.anchor, crate::diagnostic::Anchor::Span { file: 0, span: 4..24 });
    }
}
