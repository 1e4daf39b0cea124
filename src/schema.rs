//! `archctl schema`: the JSON Schema of topology and profile files, for
//! editors (taplo / Even Better TOML) and CI.

use serde_json::Value;

use crate::topology::Topology;

/// The schema of a topology file.
pub(crate) fn topology() -> Value {
    let schema = schemars::generate::SchemaSettings::draft07().into_generator().into_root_schema_for::<Topology>();
    let mut v = schema.to_value();
    if let Some(m) = v.as_object_mut() {
        m.insert("title".into(), Value::String("archctl topology".into()));
    }
    v
}

/// The schema of a profile: a topology in which every key is optional
/// (a profile only says what differs).
pub(crate) fn profile() -> Value {
    let mut v = topology();
    strip_required(&mut v);
    if let Some(m) = v.as_object_mut() {
        m.insert("title".into(), Value::String("archctl profile".into()));
    }
    v
}

fn strip_required(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.remove("required");
            for child in m.values_mut() {
                strip_required(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_required),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topology_requires_project_and_profile_requires_nothing() {
        let t = topology();
        assert!(t["required"].as_array().unwrap().contains(&Value::String("project".into())));
        assert_eq!(t["additionalProperties"], false);
        let p = profile();
        assert!(p.get("required").is_none());
        assert!(!p.to_string().contains("\"required\""));
    }
}
