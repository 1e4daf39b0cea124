//! `archctl check`: every practice check, failing and passing, and the
//! exit codes and JSON of the command.

use serde_json::Value;

use crate::support::Project;

const BASE: &str = r#"[project]
name = "shop"

[services.web]
kind = "deployment"
replicas = 2
resources = "small"
container = { image = "web:1.0", ports = { http = 8080 }, probes = { readiness = { http = "/ready" } } }
"#;

/// An error at one growth phase only (the size at line 15) for every
/// profile; `findings.rs` reports the same findings in other formats.
pub(crate) const PHASED: &str = r#"phases = ["pilot", "growth", "scale"]
phase = "pilot"

[project]
name = "shop"

[services.web]
kind = "deployment"
replicas = { pilot = 2, growth = 2, scale = 3 }
disruption = { max_unavailable = 1 }
resources = "small"
container = { image = "web:1.0", ports = { http = 8080 }, probes = { readiness = { http = "/ready" } } }

[claims.data]
size = { pilot = "10Gi", growth = "100Gi", scale = "1x" }
"#;

/// Runs `check --format json` and returns the codes found.
fn codes(p: &Project, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let run = p.run(&args);
    let report: Value =
        serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}{}", run.stdout, run.stderr));
    report["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap().to_string()).collect()
}

#[test]
fn a_clean_topology_has_no_findings() {
    let p = Project::with(BASE).file("profiles/production.toml", "");
    assert_eq!(codes(&p, &[]), Vec::<String>::new());
    let run = p.run(&["check", "--deny", "warnings"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("checked 2 renders ((topology), production): 0 errors, 0 warnings"), "{}", run.stderr);
}

/// Each warning: a topology that triggers it and the fix that clears it.
#[test]
fn every_warning_fires_and_clears() {
    let cases: Vec<(&str, String, String)> = vec![
        ("W001", BASE.replace("web:1.0", "web:latest"), BASE.to_string()),
        ("W001", BASE.replace("web:1.0", "web"), BASE.to_string()),
        // a digest pins an image, with or without a tag (the help says so)
        ("W001", BASE.replace("web:1.0", "web:latest"), BASE.replace("web:1.0", "web:latest@sha256:0123")),
        (
            "W001",
            BASE.replace("web:1.0", "registry:5000/web"),
            BASE.replace("web:1.0", "registry:5000/web@sha256:0123"),
        ),
        ("W002", BASE.replace(", probes = { readiness = { http = \"/ready\" } }", ""), BASE.to_string()),
        ("W003", BASE.replace("resources = \"small\"\n", ""), BASE.to_string()),
        (
            "W004",
            BASE.replace("replicas = 2", "replicas = 1\ndisruption = { max_unavailable = 1 }"),
            BASE.replace("replicas = 2", "replicas = 2\ndisruption = { max_unavailable = 1 }"),
        ),
        (
            "W005",
            format!(
                "{BASE}service = {{ type = \"LoadBalancer\" }}\n[ingresses.web]\nrules = [{{ paths = [{{ path = \"/\", service = \"web\" }}] }}]\n"
            ),
            format!("{BASE}[ingresses.web]\nrules = [{{ paths = [{{ path = \"/\", service = \"web\" }}] }}]\n"),
        ),
        (
            "W006",
            format!("{BASE}autoscaling = {{ min = 2, max = 4, cpu = 70 }}\nvpa = {{ mode = \"Auto\" }}\n"),
            format!("{BASE}autoscaling = {{ min = 2, max = 4, cpu = 70 }}\nvpa = {{ mode = \"Off\" }}\n"),
        ),
        (
            "W007",
            BASE.replace("probes = {", "env = { DB = \"postgres.data.svc.cluster.local:5432\" }, probes = {"),
            BASE.replace("probes = {", "env = { WEB = \"http://web.shop.svc.cluster.local:8080\" }, probes = {"),
        ),
        (
            "W007",
            BASE.replace("probes = {", "env = { WEB = \"http://web.shop.svc:9999\" }, probes = {"),
            BASE.replace("probes = {", "env = { WEB = \"http://web.shop.svc:8080\" }, probes = {"),
        ),
        (
            "W008",
            format!("{BASE}autoscaling = {{ min = 3, max = 4, cpu = 70 }}\n"),
            format!("{BASE}autoscaling = {{ min = 2, max = 4, cpu = 70 }}\n"),
        ),
        (
            "W009",
            BASE.replace("kind = \"deployment\"", "kind = \"statefulset\"")
                .replace("resources = \"small\"", "resources = \"small\"\nservice = { type = \"ClusterIP\" }"),
            BASE.replace("kind = \"deployment\"", "kind = \"statefulset\""),
        ),
        (
            "W010",
            format!("{BASE}[secret_stores.vault]\napi_version = \"v1beta1\"\n"),
            format!("{BASE}[secret_stores.vault]\n"),
        ),
        ("W012", format!("{BASE}vpa = {{ mode = \"Auto\" }}\n"), format!("{BASE}vpa = {{ mode = \"Recreate\" }}\n")),
    ];
    for (code, bad, good) in cases {
        let p = Project::with(&bad).file("profiles/production.toml", "");
        let found = codes(&p, &[]);
        assert!(found.contains(&code.to_string()), "{code} not found for:\n{bad}\nfound {found:?}");
        let run = p.run(&["check", "--deny", "warnings"]);
        assert_eq!(run.code, 1, "{code}: --deny warnings must fail\n{}", run.stderr);
        assert!(run.stderr.contains(&format!("warning[{code}]")), "{}", run.stderr);
        assert!(run.stderr.contains("--> archctl.toml:"), "{code} must be located: {}", run.stderr);
        let q = Project::with(&good).file("profiles/production.toml", "");
        let after = codes(&q, &[]);
        assert!(!after.contains(&code.to_string()), "{code} still found after the fix:\n{good}\n{after:?}");
    }
}

#[test]
fn allowed_codes_are_silent() {
    let topo = format!("[checks]\nallow = [\"W003\"]\n{}", BASE.replace("resources = \"small\"\n", ""));
    let p = Project::with(&topo);
    assert_eq!(codes(&p, &[]), Vec::<String>::new());
}

#[test]
fn errors_exit_2_and_json_names_the_place_and_profiles() {
    let p = Project::with(&BASE.replace("replicas = 2", "replicas = 2\nschedule = \"@daily\""))
        .file("profiles/dev.toml", "")
        .file("profiles/prod.toml", "[services.web.container]\nimage = \"web:latest\"\n");
    let run = p.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["checked"], serde_json::json!(["(topology)", "dev", "prod"]));
    let e = &report["findings"][0];
    assert_eq!(e["code"], "E030");
    assert_eq!(e["severity"], "error");
    assert_eq!((e["file"].as_str(), e["line"].as_u64()), (Some("archctl.toml"), Some(7)));
    assert_eq!(e["profiles"], serde_json::json!(["(topology)", "dev", "prod"]), "reported once for all renders");
    // render refuses the broken system
    let render = p.run(&["render"]);
    assert_eq!(render.code, 2);
    assert!(render.stdout.is_empty());
}

#[test]
fn the_seed_systems_pass_with_warnings_denied() {
    for topo in ["archctl.toml", "examples/percolate-reading/archctl.toml", "examples/semantic-explorer/archctl.toml"] {
        let path = crate::support::repo().join(topo);
        let run = Project::new().run(&["-f", path.to_str().unwrap(), "check", "--deny", "warnings"]);
        assert_eq!(run.code, 0, "{topo}: {}", run.stderr);
    }
}

#[test]
fn findings_stay_where_the_topology_wrote_them() {
    // a profile that only adds an env var must not move topology findings
    let topo = BASE.replace(", probes = { readiness = { http = \"/ready\" } }", "");
    let p = Project::with(&topo).file("profiles/prod.toml", "[services.web.container.env]\nMODE = \"fast\"\n");
    let run = p.run(&["check"]);
    assert_eq!(run.stderr.matches("warning[W002]").count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("--> archctl.toml:"), "{}", run.stderr);
    assert!(!run.stderr.contains("--> profiles/prod.toml"), "{}", run.stderr);
}

#[test]
fn only_warnings_can_be_allowed() {
    let p = Project::with(&format!("[checks]\nallow = [\"W02\", \"E042\"]\n{BASE}"));
    let run = p.run(&["check"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("`W02` is not a check that can be allowed"), "{}", run.stderr);
    assert!(run.stderr.contains("`E042` is not a check that can be allowed"), "{}", run.stderr);
}

/// `check` resolves every profile at every growth phase, not only at the
/// phase each one picks: an error or a warning of one phase is reported,
/// with the phases (and profiles) it belongs to named.
#[test]
fn every_phase_of_every_profile_is_checked() {
    // production picks `growth`, where nothing is wrong: the scale phase's
    // size is still an error, and a profile's own warning is named as its
    let p = Project::with(PHASED)
        .file("profiles/production.toml", "phase = \"growth\"\n")
        .file("profiles/dev.toml", "[services.web]\nreplicas = { pilot = 1 }\n");
    let run = p.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["phases"]["production"], serde_json::json!(["pilot", "growth", "scale"]));
    let findings = report["findings"].as_array().unwrap();
    let e008 = findings.iter().find(|f| f["code"] == "E008").expect("the scale phase's bad size");
    assert_eq!(e008["line"], 15);
    let phases: Vec<&str> = e008["renders"].as_array().unwrap().iter().map(|r| r["phase"].as_str().unwrap()).collect();
    assert_eq!(phases, ["scale", "scale", "scale"], "{e008}");
    let w004 = findings.iter().find(|f| f["code"] == "W004").expect("dev's single replica at pilot");
    assert_eq!(w004["renders"], serde_json::json!([{"profile": "dev", "phase": "pilot"}]));
    let text = p.run(&["check"]);
    assert!(text.stderr.contains("= in: every render at scale"), "{}", text.stderr);
    assert!(text.stderr.contains("= in: dev at pilot"), "{}", text.stderr);
    assert!(
        text.stderr.contains(
            "checked 9 renders ((topology), dev, production) at each phase (pilot, growth, scale): 1 error, 1 warning"
        ),
        "{}",
        text.stderr
    );
    // fixed, every phase passes
    let fixed =
        Project::with(&PHASED.replace("\"1x\"", "\"1Ti\"")).file("profiles/production.toml", "phase = \"growth\"\n");
    assert_eq!(fixed.run(&["check", "--deny", "warnings"]).code, 0);
}

/// A warning that only a later phase triggers, in a profile that picks an
/// earlier one, is still reported, naming that profile and phase.
#[test]
fn a_warning_only_a_later_phase_triggers_is_reported_with_its_phase() {
    let p = Project::with(&PHASED.replace("\"1x\"", "\"1Ti\""))
        // dev runs at pilot (the topology's phase); at scale it drops to one replica
        .file("profiles/dev.toml", "[services.web]\nreplicas = { scale = 1 }\n");
    let run = p.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let w004 = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "W004")
        .expect("dev's one replica at scale");
    assert_eq!(w004["renders"], serde_json::json!([{"profile": "dev", "phase": "scale"}]));
    assert!(p.run(&["check"]).stderr.contains("= in: dev at scale"));
    assert_eq!(p.run(&["check", "--deny", "warnings"]).code, 1);
}
