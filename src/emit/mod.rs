//! Emitting: objects to a YAML stream, a JSON `List`, or a folder of files.

pub mod files;
pub mod helm;
pub mod yaml;

use crate::build::Object;

/// Output formats of `render`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

/// The whole render as one string in the chosen format.
pub fn to_string(objects: &[Object], format: Format) -> anyhow::Result<String> {
    match format {
        Format::Yaml => yaml::stream(objects),
        Format::Json => json_list(objects),
    }
}

/// A `v1 List`, the shape `kubectl get -o json` prints for several objects.
pub fn json_list(objects: &[Object]) -> anyhow::Result<String> {
    let list = serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": objects,
    });
    let mut s = serde_json::to_string_pretty(&list)?;
    s.push('\n');
    Ok(s)
}
