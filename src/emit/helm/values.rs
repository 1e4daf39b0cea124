//! values.yaml, values-<profile>.yaml and values.schema.json.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// What `values-<profile>.yaml` must say so that Helm, merging it onto
/// `values.yaml`, arrives at `target`: changed values, and null for keys
/// to drop (Helm removes a key set to null).
pub(super) fn patch(base: &Value, target: &Value) -> Value {
    match (base, target) {
        (Value::Object(b), Value::Object(t)) => {
            let mut out = Map::new();
            for (k, tv) in t {
                match b.get(k) {
                    Some(bv) if bv == tv => {}
                    Some(bv) if bv.is_object() && tv.is_object() => {
                        let p = patch(bv, tv);
                        if p.as_object().is_some_and(|m| !m.is_empty()) {
                            out.insert(k.clone(), p);
                        }
                    }
                    _ => {
                        out.insert(k.clone(), tv.clone());
                    }
                }
            }
            for k in b.keys() {
                if !t.contains_key(k) {
                    out.insert(k.clone(), Value::Null);
                }
            }
            Value::Object(out)
        }
        _ => target.clone(),
    }
}

/// Helm's merge of a user values file onto the chart's values.
pub(super) fn merge(base: &Value, over: &Value) -> Value {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            let mut out = b.clone();
            for (k, v) in o {
                if v.is_null() {
                    out.shift_remove(k);
                } else if let Some(bv) = b.get(k) {
                    out.insert(k.clone(), merge(bv, v));
                } else {
                    out.insert(k.clone(), v.clone());
                }
            }
            Value::Object(out)
        }
        (_, o) => o.clone(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A JSON Schema of the values, inferred from every profile's values:
/// structural tables (`global`, `features`, `services.<name>` …) reject
/// unknown keys; each setting accepts the types its profiles use (and null
/// where a profile leaves it unset).
pub(super) fn schema(
    variants: &[Value],
    free: &BTreeSet<Vec<String>>,
    describe: &dyn Fn(&[String]) -> Option<String>,
) -> Value {
    let mut s = node(variants, &mut Vec::new(), free);
    add_descriptions(&mut s, &mut Vec::new(), describe);
    let definitions = share_repeated(&mut s);
    if let Value::Object(m) = &mut s {
        m.insert("$schema".into(), json!("https://json-schema.org/draft-07/schema#"));
        m.insert("title".into(), json!("values"));
        if !definitions.is_empty() {
            m.insert("definitions".into(), Value::Object(definitions));
        }
    }
    s
}

/// Puts each value's description into its schema (before definitions are
/// shared, so that entries of one shape and one description still share).
fn add_descriptions(s: &mut Value, path: &mut Vec<String>, describe: &dyn Fn(&[String]) -> Option<String>) {
    // entries of `services` and `overrides` are described by their shape,
    // the same for each, so that their schemas stay shareable
    if let Some(d) = describe(path)
        && let Value::Object(m) = s
    {
        m.insert("description".into(), Value::String(d));
    }
    if let Some(Value::Object(props)) = s.get_mut("properties") {
        for (k, child) in props.iter_mut() {
            path.push(k.clone());
            add_descriptions(child, path, describe);
            path.pop();
        }
    }
}

/// Writes each table schema that repeats among the entries of a top-level
/// table (`services.<name>`, `overrides.<object>`) once, as a definition,
/// and refers to it from every entry. The services of a fleet have a handful
/// of shapes between them; written out per service, the schema of 10,000
/// services was 21 MB, and Helm refuses chart files over 5 MiB.
fn share_repeated(root: &mut Value) -> Map<String, Value> {
    let mut definitions = Map::new();
    let Some(Value::Object(top)) = root.get_mut("properties") else { return definitions };
    for (table, schema) in top.iter_mut() {
        let Some(Value::Object(entries)) = schema.get_mut("properties") else { continue };
        let texts: Vec<Option<String>> = entries
            .values()
            .map(|e| if e.get("properties").is_some() { serde_json::to_string(e).ok() } else { None })
            .collect();
        let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for t in texts.iter().flatten() {
            *counts.entry(t.as_str()).or_default() += 1;
        }
        let mut names: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
        for (entry, text) in entries.values_mut().zip(&texts) {
            let Some(text) = text.as_deref().filter(|t| counts.get(t).is_some_and(|n| *n > 1)) else { continue };
            let name = match names.get(text) {
                Some(name) => name.clone(),
                None => {
                    let name = format!("{table}-{}", names.len() + 1);
                    names.insert(text, name.clone());
                    definitions.insert(name.clone(), entry.take());
                    name
                }
            };
            *entry = json!({ "$ref": format!("#/definitions/{name}") });
        }
    }
    definitions
}

fn node(vs: &[Value], path: &mut Vec<String>, free: &BTreeSet<Vec<String>>) -> Value {
    let present: Vec<&Value> = vs.iter().filter(|v| !v.is_null()).collect();
    let mut types: Vec<&str> = vs.iter().map(type_name).collect();
    types.sort();
    types.dedup();
    let structural = !present.is_empty() && present.iter().all(|v| v.is_object()) && !free.contains(path);
    if !structural {
        // a setting: its types, nothing deeper
        return if types.len() == 1 { json!({"type": types[0]}) } else { json!({"type": types}) };
    }
    // an IndexSet: `services` and `overrides` have an entry per service
    let mut keys: indexmap::IndexSet<String> = indexmap::IndexSet::new();
    for v in &present {
        for k in v.as_object().into_iter().flat_map(|m| m.keys()) {
            if !keys.contains(k) {
                keys.insert(k.clone());
            }
        }
    }
    let mut props = Map::new();
    for k in keys {
        let children: Vec<Value> = vs.iter().map(|v| v.get(&k).cloned().unwrap_or(Value::Null)).collect();
        path.push(k.clone());
        props.insert(k, node(&children, path, free));
        path.pop();
    }
    let open = path.first().is_some_and(|p| p == "overrides");
    let mut t = vec!["object"];
    if types.contains(&"null") {
        t.push("null");
    }
    json!({
        "type": if t.len() == 1 { json!("object") } else { json!(t) },
        "properties": props,
        "additionalProperties": open,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_then_merge_gives_the_target() {
        let base = json!({"a": {"x": 1, "y": 2}, "b": [1, 2], "c": "keep", "d": {"gone": true}});
        let target = json!({"a": {"x": 1, "y": 3, "z": 4}, "b": [3], "c": "keep"});
        let p = patch(&base, &target);
        assert_eq!(p, json!({"a": {"y": 3, "z": 4}, "b": [3], "d": null}));
        assert_eq!(merge(&base, &p), target);
    }

    #[test]
    fn schema_types_and_closed_tables() {
        let vs = [
            json!({"s": {"replicas": 3, "image": {"tag": "1"}}}),
            json!({"s": {"replicas": null, "image": {"tag": "2"}}}),
        ];
        let sch = schema(&vs, &BTreeSet::new(), &|_| None);
        assert_eq!(sch["properties"]["s"]["properties"]["replicas"]["type"], json!(["integer", "null"]));
        assert_eq!(sch["properties"]["s"]["additionalProperties"], false);
        assert_eq!(sch["properties"]["s"]["properties"]["image"]["properties"]["tag"]["type"], "string");
        assert!(sch.get("definitions").is_none(), "nothing repeats");
    }

    #[test]
    fn repeated_entry_schemas_are_written_once() {
        let vs = [json!({"services": {
            "a": {"replicas": 1, "image": {"tag": "1"}},
            "b": {"replicas": 2, "image": {"tag": "2"}},
            "c": {"image": {"tag": "3"}},
            "d": {"replicas": 3, "image": {"tag": "4"}},
        }, "global": {"registry": "r"}})];
        let sch = schema(&vs, &BTreeSet::new(), &|_| None);
        let services = &sch["properties"]["services"]["properties"];
        assert_eq!(services["a"], json!({"$ref": "#/definitions/services-1"}));
        assert_eq!(services["b"], services["a"]);
        assert_eq!(services["d"], services["a"]);
        assert_eq!(services["c"]["properties"]["image"]["properties"]["tag"]["type"], "string", "c is alone");
        let shared = &sch["definitions"]["services-1"];
        assert_eq!(shared["properties"]["replicas"]["type"], "integer");
        assert_eq!(shared["additionalProperties"], false);
        assert_eq!(sch["definitions"].as_object().map(Map::len), Some(1));
        assert_eq!(sch["properties"]["global"]["properties"]["registry"]["type"], "string");
    }
}
