//! The only module that touches the YAML serializer: serde_yaml is no longer
//! maintained, and keeping it behind these two functions lets a successor
//! replace it in one place.

use serde::Serialize;

use crate::build::Object;

/// One object as a YAML document (without the `---` separator).
pub fn document<T: Serialize>(value: &T) -> anyhow::Result<String> {
    Ok(serde_yaml::to_string(value)?)
}

/// Objects as a multi-document stream, each document opened by `---`.
pub fn stream(objects: &[Object]) -> anyhow::Result<String> {
    let mut out = String::with_capacity(objects.len() * 1024);
    for o in objects {
        out.push_str("---\n");
        out.push_str(&document(o)?);
    }
    Ok(out)
}

/// Parses a multi-document stream into JSON values (snapshots, tests, diff).
pub fn parse_stream(text: &str) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut out = Vec::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let v = serde_json::Value::deserialize(doc)?;
        if !v.is_null() {
            out.push(v);
        }
    }
    Ok(out)
}

use serde::Deserialize;
