//! The topology reference, `docs/topology.md`, against `archctl schema`:
//! every key the schema of topology files and of profile files knows is
//! documented, every documented key is in the schema, and every key of the
//! schema has a description for editors to show.
//!
//! Key paths are written as the reference's notation says: `.` between
//! keys, `<name>` for a key of a table of tables or of values
//! (`additionalProperties`), `[]` for an entry of an array of tables, and
//! `{a,b}` for alternatives. A key table is a Markdown table whose header
//! begins with `| key |`; the first cell of each of its rows holds one or
//! more backticked key paths, separated by commas.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::support::{Project, repo};

const REFERENCE: &str = "docs/topology.md";

/// The schema printed by `archctl schema` (`--profile` when `profile`).
fn schema(profile: bool) -> Value {
    let args: &[&str] = if profile { &["schema", "--profile"] } else { &["schema"] };
    let run = Project::new().run(args).success();
    serde_json::from_str(&run.stdout).expect("`archctl schema` prints JSON")
}

/// Every key path of a schema, and whether each occurrence of its property
/// has a non-empty description.
fn schema_keys(root: &Value) -> BTreeMap<String, bool> {
    let mut keys = BTreeMap::new();
    walk(root, root, "", &mut keys, 0);
    keys
}

/// A schema with its `$ref`s followed (`#/definitions/…` or `#/$defs/…`).
fn resolve<'a>(root: &'a Value, mut node: &'a Value) -> &'a Value {
    for _ in 0..64 {
        let Some(reference) = node.get("$ref").and_then(Value::as_str) else { return node };
        let (table, name) = if let Some(name) = reference.strip_prefix("#/definitions/") {
            ("definitions", name)
        } else if let Some(name) = reference.strip_prefix("#/$defs/") {
            ("$defs", name)
        } else {
            panic!("a `$ref` this test cannot follow: {reference}");
        };
        node = root.get(table).and_then(|t| t.get(name)).unwrap_or_else(|| panic!("`$ref` {reference} is not defined"));
    }
    panic!("`$ref`s that lead to each other")
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") }
}

fn walk(root: &Value, node: &Value, prefix: &str, keys: &mut BTreeMap<String, bool>, depth: usize) {
    assert!(depth < 64, "the schema nests deeper than this test follows, at `{prefix}`");
    let node = resolve(root, node);
    for combinator in ["allOf", "anyOf", "oneOf"] {
        for branch in node.get(combinator).and_then(Value::as_array).into_iter().flatten() {
            walk(root, branch, prefix, keys, depth + 1);
        }
    }
    if let Some(properties) = node.get("properties").and_then(Value::as_object) {
        for (name, property) in properties {
            let path = join(prefix, name);
            let described = property.get("description").and_then(Value::as_str).is_some_and(|d| !d.trim().is_empty());
            *keys.entry(path.clone()).or_insert(true) &= described;
            walk(root, property, &path, keys, depth + 1);
        }
    }
    if let Some(values) = node.get("additionalProperties").filter(|v| v.is_object()) {
        walk(root, values, &join(prefix, "<name>"), keys, depth + 1);
    }
    if let Some(items) = node.get("items").filter(|v| v.is_object()) {
        walk(root, items, &format!("{prefix}[]"), keys, depth + 1);
    }
}

/// `a.{b,c[]}.d` → `a.b.d`, `a.c[].d`.
fn expand(pattern: &str) -> Result<Vec<String>, String> {
    let Some(open) = pattern.find('{') else {
        return if pattern.contains('}') {
            Err(format!("`{pattern}` has a `}}` without `{{`"))
        } else {
            Ok(vec![pattern.to_string()])
        };
    };
    let close =
        pattern[open..].find('}').map(|i| open + i).ok_or_else(|| format!("`{pattern}` has an unclosed `{{`"))?;
    let inner = &pattern[open + 1..close];
    if inner.contains('{') {
        return Err(format!("`{pattern}` nests braces"));
    }
    let rest = expand(&pattern[close + 1..])?;
    let mut out = Vec::new();
    for alternative in inner.split(',') {
        if alternative.is_empty() {
            return Err(format!("`{pattern}` has an empty alternative"));
        }
        for tail in &rest {
            out.push(format!("{}{alternative}{tail}", &pattern[..open]));
        }
    }
    Ok(out)
}

/// The key paths of one first cell: backticked paths separated by commas.
fn cell_keys(cell: &str) -> Result<Vec<String>, String> {
    let mut keys = Vec::new();
    for part in cell.split(", ") {
        let part = part.trim();
        let path = part
            .strip_prefix('`')
            .and_then(|p| p.strip_suffix('`'))
            .filter(|p| !p.is_empty() && !p.contains('`') && !p.contains(' '))
            .ok_or_else(|| format!("`{cell}` is not a list of backticked key paths"))?;
        keys.extend(expand(path)?);
    }
    Ok(keys)
}

/// The keys a reference documents, each with the line it is on, and the
/// rows of key tables that this test cannot read.
fn documented_keys(text: &str) -> (Vec<(String, usize)>, Vec<String>) {
    let mut keys = Vec::new();
    let mut problems = Vec::new();
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let header = lines[i].trim();
        let is_key_table = header.starts_with('|') && header[1..].split('|').next().is_some_and(|c| c.trim() == "key");
        if !is_key_table {
            i += 1;
            continue;
        }
        // the header, the separator, then the rows up to the first other line
        i += 2;
        while i < lines.len() && lines[i].trim_start().starts_with('|') {
            let row = lines[i].trim_start();
            let cell = row[1..].split('|').next().unwrap_or_default();
            match cell_keys(cell) {
                Ok(found) => keys.extend(found.into_iter().map(|k| (k, i + 1))),
                Err(why) => problems.push(format!("{REFERENCE}:{}: {why}", i + 1)),
            }
            i += 1;
        }
    }
    (keys, problems)
}

fn reference() -> String {
    std::fs::read_to_string(repo().join(REFERENCE)).unwrap_or_else(|e| panic!("{REFERENCE}: {e}"))
}

/// What is wrong between a schema and the reference, one line each.
fn mismatches(schema: &BTreeMap<String, bool>, text: &str) -> Vec<String> {
    let (documented, mut problems) = documented_keys(text);
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (key, line) in &documented {
        if let Some(first) = seen.insert(key, *line) {
            problems.push(format!("{REFERENCE}:{line}: `{key}` is documented twice (also on line {first})"));
        }
        if !schema.contains_key(key) {
            problems.push(format!("{REFERENCE}:{line}: `{key}` is documented but is not a key of the schema"));
        }
    }
    for key in schema.keys() {
        if !seen.contains_key(key.as_str()) {
            problems.push(format!("`{key}` is a key of the schema but {REFERENCE} does not document it"));
        }
    }
    problems
}

#[test]
fn the_topology_reference_documents_exactly_the_keys_of_the_schema() {
    let text = reference();
    for profile in [false, true] {
        let keys = schema_keys(&schema(profile));
        assert!(keys.len() > 100, "the schema walk found only {} keys", keys.len());
        let problems = mismatches(&keys, &text);
        let which = if profile { "archctl schema --profile" } else { "archctl schema" };
        assert!(problems.is_empty(), "{REFERENCE} and `{which}` disagree:\n{}", problems.join("\n"));
    }
}

#[test]
fn every_key_of_the_schema_has_a_description() {
    for profile in [false, true] {
        let undescribed: Vec<String> =
            schema_keys(&schema(profile)).into_iter().filter(|(_, described)| !described).map(|(k, _)| k).collect();
        let which = if profile { "archctl schema --profile" } else { "archctl schema" };
        assert!(
            undescribed.is_empty(),
            "keys of `{which}` without a description (add a `///` doc comment in src/topology/):\n{}",
            undescribed.join("\n")
        );
    }
}

#[test]
fn the_reference_notation_reads_as_documented() {
    assert_eq!(
        cell_keys("`a.{b,c[]}.d`, `e.<name>`").unwrap(),
        ["a.b.d", "a.c[].d", "e.<name>"].map(String::from).to_vec()
    );
    assert_eq!(expand("x.{a,b}.{c,d}").unwrap(), ["x.a.c", "x.a.d", "x.b.c", "x.b.d"].map(String::from).to_vec());
    assert!(cell_keys("`a.b` and more").is_err());
    assert!(cell_keys("a.b").is_err());
    assert!(expand("a.{b,c").is_err());

    let text = "| key | meaning |\n|---|---|\n| `a` | one |\n| `a.b`, `c` | two |\n\n| name | x |\n|---|---|\n| `z` | not a key table |\n";
    let (keys, problems) = documented_keys(text);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(keys, [("a".to_string(), 3), ("a.b".to_string(), 4), ("c".to_string(), 4)].to_vec());

    let schema = BTreeMap::from([("a".to_string(), true), ("a.b".to_string(), true), ("d".to_string(), true)]);
    let problems = mismatches(&schema, text);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(problems[0].contains("`c` is documented but is not a key of the schema"), "{problems:?}");
    assert!(problems[1].contains("`d` is a key of the schema but"), "{problems:?}");
}
