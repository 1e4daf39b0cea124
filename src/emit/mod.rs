//! Emitting: objects to a YAML stream, a JSON `List`, or a folder of files.

pub(crate) mod files;
pub(crate) mod helm;
pub(crate) mod yaml;

use crate::objects::Object;

/// Output formats of `render`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

/// Writes the render to `out` as it is produced: a YAML stream or a JSON
/// `v1 List` (the shape `kubectl get -o json` prints for several objects).
pub fn write<W: std::io::Write>(objects: &[Object], format: Format, mut out: W) -> anyhow::Result<()> {
    match format {
        Format::Yaml => yaml::write_stream(objects, out),
        Format::Json => {
            // an I/O error stays one (a closed pipe is told apart upstream)
            serde_json::to_writer_pretty(&mut out, &List::of(objects)).map_err(std::io::Error::from)?;
            out.write_all(b"\n")?;
            out.flush()?;
            Ok(())
        }
    }
}

/// The `v1 List` around the objects, serialized as it is (no copy of the
/// objects as a JSON tree).
#[derive(serde::Serialize)]
struct List<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    items: &'a [Object],
}

impl<'a> List<'a> {
    fn of(items: &'a [Object]) -> Self {
        List { api_version: "v1", kind: "List", items }
    }
}
