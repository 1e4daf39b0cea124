//! Every rendered object passes the official Kubernetes 1.33 OpenAPI schema
//! in strict mode (no unknown fields), checked by `kubernetes-validate`.

use std::process::Command;

use crate::support::{Project, repo, tool};

/// Validates a render: built-in kinds with `kubernetes-validate --strict`
/// for 1.33, custom resources (Gateway API ones included) against their CRD schemas.
pub(crate) fn validate(yaml: &str, what: &str) {
    let docs = archctl::api::parse_stream(yaml).unwrap();
    let custom = crate::crds::validate_custom_resources(&docs, what);
    let gateway_api = crate::crds::validate_gateway_api(&docs, what);
    let builtin: Vec<&serde_json::Value> =
        docs.iter().filter(|d| crate::crds::schema_for(d).is_none() && !crate::crds::is_gateway_api(d)).collect();
    assert_eq!(builtin.len() + custom + gateway_api, docs.len());
    let mut text = String::new();
    for d in &builtin {
        text.push_str("---\n");
        text.push_str(&archctl::api::document(d).unwrap());
    }
    let validator = tool("kubernetes-validate");
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &text).unwrap();
    let out = Command::new(&validator)
        .args(["-k", "1.33.0", "--strict"])
        .arg(file.path())
        .output()
        .expect("run kubernetes-validate");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what}: validation failed\n{stdout}\n{stderr}");
    // an unknown kind only warns; every object we render must have a schema
    assert!(!stdout.contains("WARN"), "{what}: {stdout}");
    let passed = stdout.matches(" passed for resource ").count();
    assert_eq!(passed, builtin.len(), "{what}: every document must be validated\n{stdout}");
}

#[test]
fn archivist_renders_pass_strict_validation_for_every_profile() {
    let p = Project::archivist();
    for args in [
        vec!["render"],
        vec!["render", "--profile", "dev"],
        vec!["render", "--profile", "staging"],
        vec!["render", "--profile", "production"],
        vec!["render", "--profile", "production", "--phase", "phase3"],
    ] {
        let run = p.run(&args).success();
        validate(&run.stdout, &args.join(" "));
    }
}

#[test]
fn every_example_renders_valid_objects_for_every_profile() {
    let mut examples: Vec<_> = std::fs::read_dir(repo().join("examples")).unwrap().map(|e| e.unwrap().path()).collect();
    examples.sort();
    assert!(examples.len() >= 2, "examples/ holds the seed systems");
    let p = Project::new();
    for dir in examples {
        let topo = dir.join("archctl.toml");
        let topo = topo.to_str().unwrap();
        for profile in archctl::api::profile_names(std::path::Path::new(topo)) {
            let run = p.run(&["-f", topo, "render", "--profile", &profile]).success();
            validate(&run.stdout, &format!("{topo} --profile {profile}"));
        }
    }
}

#[test]
fn the_validator_rejects_an_unknown_field() {
    // guards the test above: strict mode must really reject extra fields
    let bad = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  bogus: 1\n";
    let validator = tool("kubernetes-validate");
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), bad).unwrap();
    let out = Command::new(validator).args(["-k", "1.33.0", "--strict"]).arg(file.path()).output().unwrap();
    assert!(!out.status.success());
    let _ = repo();
}
