//! `archctl explain`: the file, line and column behind a field for each
//! kind of origin — a topology value, a profile override, a template
//! variable, a worker pool, a built-in default — through the real binary,
//! with the JSON checked against its schema.

use serde_json::Value;

use crate::support::{Project, repo};

/// Positions below are counted by hand in these texts.
const TOPOLOGY: &str = r#"[project]
name = "shop"

[vars]
registry = "ghcr.io/acme"
tag = "1.0"

[services.api]
kind = "deployment"
replicas = 2
resources = "small"
container = { image = "{{ registry }}/api:{{ tag }}", ports = { http = 8080 } }

[services.worker]
kind = "deployment"
container = { image = "ghcr.io/acme/worker:2.0" }
[services.worker.pools.fast]
replicas = 3
"#;

const PROD: &str = r#"[vars]
tag = "1.4.2"

[services.api]
replicas = 4
"#;

fn project() -> Project {
    Project::with(TOPOLOGY).file("profiles/prod.toml", PROD)
}

fn schema_checked(text: &str) -> Value {
    let v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("docs/schemas/explain.schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{}\n{text}", errors.join("\n"));
    v
}

/// The one field of `explain OBJECT FIELD --format json`.
fn field(p: &Project, object: &str, path: &str, extra: &[&str]) -> Value {
    let mut args = vec!["explain", object, path, "--format", "json"];
    args.extend_from_slice(extra);
    let v = schema_checked(&p.run(&args).success().stdout);
    let fields = v["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 1, "{v:#}");
    fields[0].clone()
}

fn at(w: &Value) -> String {
    format!("{}:{}:{}", w["file"].as_str().unwrap(), w["line"], w["column"])
}

fn chain(f: &Value) -> Vec<(String, String, String)> {
    f["chain"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (w["layer"].as_str().unwrap().to_string(), at(&w["location"]), w["value"].as_str().unwrap().to_string())
        })
        .collect()
}

fn s(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.into(), b.into(), c.into())
}

#[test]
fn a_value_set_in_the_topology_names_its_line_and_column() {
    let p = project();
    let f = field(&p, "deployment/api", "spec.template.spec.containers[0].ports[0].containerPort", &[]);
    assert_eq!(f["value"], 8080);
    assert_eq!(f["origin"], "topology");
    assert_eq!(f["key"], "services.api.container.ports.http");
    assert_eq!(at(&f["location"]), "archctl.toml:12:72");
    assert_eq!(chain(&f), [s("topology", "archctl.toml:12:72", "8080")]);
    // the text says the same
    let text = p.run(&["explain", "deploy/api", "spec.template.spec.containers[0].ports[0].containerPort"]).success();
    assert!(
        text.stdout.contains("set        archctl.toml:12:72  services.api.container.ports.http = 8080  (topology)"),
        "{}",
        text.stdout
    );
}

#[test]
fn a_profile_override_shows_the_value_it_replaced() {
    let p = project();
    let f = field(&p, "deploy/api", "spec.replicas", &["-p", "prod"]);
    assert_eq!(f["value"], 4);
    assert_eq!(f["origin"], "profile");
    assert_eq!(at(&f["location"]), "profiles/prod.toml:5:12");
    assert_eq!(chain(&f), [s("topology", "archctl.toml:10:12", "2"), s("profile", "profiles/prod.toml:5:12", "4")]);
    // without the profile, the topology's own value
    let f = field(&p, "deploy/api", "spec.replicas", &[]);
    assert_eq!((f["value"].clone(), f["origin"].clone()), (Value::from(2), Value::from("topology")));
}

#[test]
fn a_template_names_each_variable_and_where_it_was_set() {
    let p = project();
    let f = field(&p, "deployment/api", "spec.template.spec.containers[0].image", &["--profile", "prod"]);
    assert_eq!(f["value"], "ghcr.io/acme/api:1.4.2");
    assert_eq!(chain(&f), [s("topology", "archctl.toml:12:23", "\"{{ registry }}/api:{{ tag }}\"")]);
    let vars = f["variables"].as_array().unwrap();
    assert_eq!(vars.len(), 2, "{f:#}");
    assert_eq!(vars[0]["name"], "registry");
    assert_eq!(chain(&vars[0]), [s("topology", "archctl.toml:5:12", "\"ghcr.io/acme\"")]);
    assert_eq!(vars[1]["name"], "tag");
    assert_eq!(
        chain(&vars[1]),
        [s("topology", "archctl.toml:6:7", "\"1.0\""), s("profile", "profiles/prod.toml:2:7", "\"1.4.2\"")]
    );
}

#[test]
fn built_in_defaults_say_which_and_what_chose_them() {
    let p = project();
    let f = field(&p, "deploy/api", "spec.template.spec.containers[0].resources.requests.cpu", &[]);
    assert_eq!(f["origin"], "builtin");
    assert_eq!(f["note"], "resource profile `small`");
    // the service's `resources = "small"` chose it
    assert_eq!(chain(&f), [s("topology", "archctl.toml:11:13", "\"small\"")]);
    let f = field(&p, "deploy/api", "spec.template.spec.securityContext.runAsNonRoot", &[]);
    assert_eq!((f["origin"].as_str(), f["note"].as_str()), (Some("builtin"), Some("hardened security defaults")));
    assert!(f["chain"].as_array().unwrap().is_empty());
    let f = field(&p, "deploy/api", r#"metadata.labels["app.kubernetes.io/managed-by"]"#, &[]);
    assert_eq!(f["origin"], "builtin");
    assert!(f["note"].as_str().unwrap().starts_with("recommended labels"), "{f:#}");
    // a recommended label fed by a key: the version from the image's tag
    let f = field(&p, "deploy/api", r#"metadata.labels["app.kubernetes.io/version"]"#, &["-p", "prod"]);
    assert_eq!(f["value"], "1.4.2");
    assert_eq!(f["note"], "recommended label: the image's tag");
    assert_eq!(f["variables"][1]["name"], "tag");
}

#[test]
fn a_worker_pool_value_names_the_pool() {
    let p = project();
    let f = field(&p, "deploy/worker-fast", "spec.replicas", &[]);
    assert_eq!(f["origin"], "pool");
    assert_eq!(chain(&f), [s("worker pool `fast`", "archctl.toml:18:12", "3")]);
    // the image comes from the base service
    let f = field(&p, "deploy/worker-fast", "spec.template.spec.containers[0].image", &[]);
    assert_eq!(chain(&f), [s("topology", "archctl.toml:16:23", "\"ghcr.io/acme/worker:2.0\"")]);
}

#[test]
fn without_a_field_every_field_is_grouped_by_origin() {
    let p = project();
    let run = p.run(&["explain", "deployment/api", "-p", "prod"]).success();
    let out = &run.stdout;
    let heads = [
        "archctl.toml: topology",
        "profiles/prod.toml: profile",
        "built-in: hardened security defaults",
        "set by archctl",
    ];
    let mut last = 0;
    for h in heads {
        let i = out.find(&format!("\n{h}\n")).unwrap_or_else(|| panic!("no group `{h}`:\n{out}"));
        assert!(i >= last, "groups out of order:\n{out}");
        last = i;
    }
    assert!(out.contains("  spec.replicas = 4  ← services.api.replicas at profiles/prod.toml:5:12"), "{out}");
    // a field with fields below it explains each
    let v = schema_checked(
        &p.run(&["explain", "deploy/api", "spec.template.spec.containers[0].resources", "--format", "json"])
            .success()
            .stdout,
    );
    let fields: Vec<&str> = v["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields.len(), 4, "{fields:?}");
    assert!(fields.iter().all(|f| f.starts_with("spec.template.spec.containers[0].resources.")));
    // the whole object validates too
    schema_checked(&p.run(&["explain", "service/api", "--format", "json"]).success().stdout);
}

#[test]
fn unknown_objects_and_fields_are_errors_that_suggest() {
    let p = project();
    p.run(&["explain", "deployment/apx"]).user_error().stderr_has("did you mean `deployment/api`?");
    p.run(&["explain", "widget/api"]).user_error().stderr_has("no object of kind `widget`");
    p.run(&["explain", "api"]).user_error().stderr_has("is not KIND/NAME");
    p.run(&["explain", "deploy/api", "spec.replicaz"]).user_error().stderr_has("did you mean `spec.replicas`?");
    p.run(&["explain", "deploy/api", "spec..replicas"]).user_error().stderr_has("not a field path");
    let run = p.run(&["explain", "deploy/api", "-n", "elsewhere"]).user_error();
    assert!(run.stderr.contains("in namespace `elsewhere`"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

/// The one-based line and column of the first `needle` in `text`, after
/// the first `after`.
fn line_col(text: &str, after: &str, needle: &str) -> String {
    let start = text.find(after).unwrap_or_else(|| panic!("no `{after}`"));
    let at = start + text[start..].find(needle).unwrap_or_else(|| panic!("no `{needle}` after `{after}`"));
    let line = text[..at].matches('\n').count() + 1;
    let col = text[..at].rsplit('\n').next().unwrap().chars().count() + 1;
    format!("{line}:{col}")
}

#[test]
fn diff_explain_names_the_source_of_each_added_line() {
    let p = project();
    p.run(&["render", "--out", "live"]).success();
    let run = p.run(&["diff", "-p", "prod", "--against", "live", "--explain"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let out = &run.stdout;
    assert!(
        out.contains(
            "-  replicas: 2\n+  replicas: 4\n#   ↳ profiles/prod.toml:5:12  services.api.replicas (profile), overrides archctl.toml:10:12\n"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "+      - image: ghcr.io/acme/api:1.4.2\n#   ↳ archctl.toml:12:23  services.api.container.image (topology); `registry` from archctl.toml:5:12 (topology); `tag` from profiles/prod.toml:2:7 (profile)\n"
        ),
        "{out}"
    );
    // every added line of the diff is followed by where it comes from,
    // but for the lines that open a map or a list
    let lines: Vec<&str> = out.lines().collect();
    for (i, l) in lines.iter().enumerate() {
        if l.starts_with('+') && !l.starts_with("+++") && !l.trim_end().ends_with(':') {
            assert!(lines.get(i + 1).is_some_and(|n| n.starts_with("#   ↳ ")), "`{l}` has no origin:\n{out}");
        }
    }
    // without the flag, no annotation; with --format json, a usage error
    let plain = p.run(&["diff", "-p", "prod", "--against", "live"]);
    assert!(!plain.stdout.contains('↳'), "{}", plain.stdout);
    p.run(&["diff", "-p", "prod", "--against", "live", "--explain", "--format", "json"])
        .user_error()
        .stderr_has("`--explain` annotates the text diff");
}

#[test]
fn diff_explain_against_a_real_cluster() {
    let c = crate::cluster::Live::archivist();
    c.apply(&["--profile", "production"]);
    c.edit(|t| {
        t.replace(
            "replicas = { pilot = 1, phase1 = 2, phase3 = 3 }",
            "replicas = { pilot = 1, phase1 = 2, phase2 = 4 }",
        )
        .replace("NEO4J_USER = \"neo4j\"", "NEO4J_USER = \"graph\"")
    });
    let topology = c.p.read("archctl.toml");
    let run = c.diff(&["--profile", "production", "--explain"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let out = &run.stdout;
    let replicas = line_col(&topology, "phase1 = 2, phase2 = 4", "4");
    assert!(
        out.contains(&format!(
            "+  replicas: 4\n#   ↳ archctl.toml:{replicas}  services.graph-service.replicas.phase2 (topology)\n"
        )),
        "{out}"
    );
    let user = line_col(&topology, "NEO4J_USER = \"graph\"", "\"graph\"");
    assert!(
        out.contains(&format!(
            "+          value: graph\n#   ↳ archctl.toml:{user}  services.graph-service.container.env.NEO4J_USER (topology)\n"
        )),
        "{out}"
    );
}

/// The keys `import` writes for an autoscaler's, budget's, account's or
/// monitor's own names and labels are traced to, not left to archctl.
#[test]
fn the_names_and_labels_an_import_keeps_are_traced_to_their_keys() {
    let p = Project::new().file(
        "archctl.toml",
        &std::fs::read_to_string(repo().join("tests/fixtures/explain-legacy/archctl.toml")).unwrap(),
    );
    let cases = [
        ("hpa/api-hpa", "metadata.name", "services.api.autoscaling.name"),
        ("hpa/api-hpa", "metadata.labels.scaler", "services.api.legacy.object_labels.autoscaling.scaler"),
        ("pdb/api-pdb", "metadata.name", "services.api.disruption.name"),
        ("pdb/api-pdb", "metadata.labels.budget", "services.api.legacy.object_labels.disruption.budget"),
        ("vpa/api-vpa", "spec.updatePolicy.updateMode", "services.api.vpa.mode"),
        ("vpa/api-vpa", "spec.resourcePolicy.containerPolicies[0].maxAllowed.memory", "services.api.vpa.max.memory"),
        ("sa/api", "automountServiceAccountToken", "services.api.service_account.account_automount_token"),
        ("sa/api", "metadata.labels.owner", "services.api.legacy.object_labels.service_account.owner"),
        ("servicemonitor/api", "metadata.labels.release", "services.api.legacy.object_labels.metrics.release"),
        ("servicemonitor/api", "spec.endpoints[0].interval", "services.api.metrics.interval"),
        ("scaledobject/worker-scaler", "metadata.name", "services.worker.keda.name"),
        ("scaledobject/worker-scaler", "metadata.labels.scaler", "services.worker.legacy.object_labels.keda.scaler"),
        ("scaledobject/worker-scaler", "spec.triggers[0].metricType", "services.worker.keda.triggers[0].metric_type"),
        (
            "scaledobject/worker-scaler",
            "spec.triggers[0].metadata.value",
            "services.worker.keda.triggers[0].metadata.value",
        ),
    ];
    for (object, path, key) in cases {
        let f = field(&p, object, path, &[]);
        assert_eq!(f["origin"], "topology", "{object} {path}: {f:#}");
        assert_eq!(f["key"], key, "{object} {path}: {f:#}");
    }
    // a target by its name alone says why
    let f = field(&p, "scaledobject/worker-scaler", "spec.scaleTargetRef.name", &[]);
    assert_eq!(f["key"], "services.worker", "{f:#}");
    assert!(f["note"].as_str().is_some_and(|n| n.contains("keda.short_target")), "{f:#}");
}
