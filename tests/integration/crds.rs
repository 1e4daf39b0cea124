//! Every custom resource archctl renders validates against its project's
//! CRD schema, read from `../shared/crds/` (see its SOURCES.md).

use std::path::PathBuf;

use serde_json::Value;

use crate::support::{Project, repo};

/// `../shared/crds` beside the repository.
fn crds_dir() -> PathBuf {
    let dir = repo().join("../shared/crds");
    assert!(dir.is_dir(), "the CRD schemas are expected in {} (shared/ beside the repository)", dir.display());
    dir
}

/// The schema file of a custom resource: `<group>/<kind>_<version>.json`.
pub(crate) fn schema_for(doc: &Value) -> Option<PathBuf> {
    let api = doc["apiVersion"].as_str()?;
    let (group, version) = api.split_once('/')?;
    // built-in groups have their schemas in kubernetes-validate
    if !group.contains('.') || group.ends_with(".k8s.io") && group != "autoscaling.k8s.io" {
        return None;
    }
    let kind = doc["kind"].as_str()?.to_ascii_lowercase();
    Some(crds_dir().join(group).join(format!("{kind}_{version}.json")))
}

/// Validates every custom resource in `docs`; returns how many were checked.
pub(crate) fn validate_custom_resources(docs: &[Value], what: &str) -> usize {
    let mut checked = 0;
    for doc in docs {
        let Some(path) = schema_for(doc) else { continue };
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{what}: no schema for {} {}: {e}", doc["apiVersion"], doc["kind"]));
        let schema: Value = serde_json::from_str(&text).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> =
            validator.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(
            errors.is_empty(),
            "{what}: {} {} fails {}:\n{}",
            doc["kind"],
            doc["metadata"]["name"],
            path.display(),
            errors.join("\n")
        );
        checked += 1;
    }
    checked
}

#[test]
fn archivist_custom_resources_match_their_crds() {
    let p = Project::archivist();
    let docs = p.run(&["render", "--profile", "production"]).success().docs();
    let n = validate_custom_resources(&docs, "archivist production");
    // ServiceMonitor and VPA
    assert_eq!(n, 2);
}

#[test]
fn the_schemas_reject_a_broken_resource() {
    // guards the tests: a ScaledObject without its target must fail
    let doc = serde_json::json!({
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {"name": "x"}, "spec": {"triggers": []}
    });
    let path = schema_for(&doc).unwrap();
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(!validator.is_valid(&doc));
}
