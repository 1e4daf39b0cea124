//! Selecting the pods of several workloads: network policies by a list of
//! services or by labels — rendered, checked and taken by the real API
//! server.

use serde_json::{Value, json};

use crate::cluster::Live;
use crate::support::{Project, find};

const TOPOLOGY: &str = r#"[project]
name = "search"

[namespaces.search]

[services.ingest]
kind = "deployment"
labels = { tier = "api" }
resources = "small"
container = { image = "ingest:1.0", ports = { http = 8080 }, probes = { readiness = { http = "/ready" } } }

[services.query]
kind = "deployment"
labels = { tier = "api" }
resources = "small"
container = { image = "query:1.0", ports = { http = 8080 }, probes = { readiness = { http = "/ready" } } }

[services.db]
kind = "statefulset"
resources = "small"
container = { image = "db:1.0", ports = { pg = 5432 }, probes = { readiness = { tcp = true, port = "pg" } } }

[network_policies.api-in]
services = ["ingest", "query"]
ingress = [{ ports = ["http"] }]

[network_policies.api-tier]
pod_labels = { tier = "api" }
egress = [{ to = [{ service = "db" }], ports = ["pg"] }, { dns = true }]
"#;

#[test]
fn policies_select_several_services_or_labels() {
    let p = Project::with(TOPOLOGY);
    let run = p.run(&["render"]).success();
    let docs = run.docs();
    let by_list = find(&docs, "NetworkPolicy", Some("search"), "api-in");
    assert_eq!(
        by_list["spec"]["podSelector"],
        json!({"matchLabels": {"app.kubernetes.io/instance": "search"},
               "matchExpressions": [{"key": "app.kubernetes.io/name", "operator": "In", "values": ["ingest", "query"]}]})
    );
    let by_labels = find(&docs, "NetworkPolicy", Some("search"), "api-tier");
    assert_eq!(by_labels["spec"]["podSelector"], json!({"matchLabels": {"tier": "api"}}));
    // the pods those selectors are for carry the labels they match
    for name in ["ingest", "query"] {
        let labels = &find(&docs, "Deployment", Some("search"), name)["spec"]["template"]["metadata"]["labels"];
        assert_eq!(labels["tier"], "api");
        assert_eq!(labels["app.kubernetes.io/name"], name);
        assert_eq!(labels["app.kubernetes.io/instance"], "search");
    }
    // named ports are checked against the selected services (W011 silent:
    // both declare `http`) and flagged when none of them declares one
    assert_eq!(p.run(&["check", "--deny", "warnings"]).code, 0);
    let bad =
        Project::with(&TOPOLOGY.replace(r#"ingress = [{ ports = ["http"] }]"#, r#"ingress = [{ ports = ["grpc"] }]"#));
    let report: Value = serde_json::from_str(&bad.run(&["check", "--format", "json"]).stdout).unwrap();
    assert!(report["findings"].as_array().unwrap().iter().any(|f| f["code"] == "W011"), "{report:#}");

    // the real API server takes them, and the diff is clean
    let c = Live::new(p, &[]);
    c.apply(&[]);
    let diff = c.diff(&[]);
    assert_eq!(diff.code, 0, "{}\n{}", diff.stdout, diff.stderr);
}

#[test]
fn check_reports_a_policy_that_selects_in_two_ways_or_names_an_unknown_service() {
    let cases = [
        (
            r#"services = ["ingest", "query"]"#,
            r#"services = ["ingest", "qeury"]"#,
            "E053",
            24,
            "`qeury` is not declared",
        ),
        (
            r#"services = ["ingest", "query"]"#,
            "service = \"ingest\"\nservices = [\"query\"]",
            "E032",
            23,
            "selects its pods in more than one way",
        ),
        (
            r#"pod_labels = { tier = "api" }"#,
            r#"pod_labels = { tier = "api tier" }"#,
            "E020",
            28,
            "not a valid label value",
        ),
        (r#"pod_labels = { tier = "api" }"#, "pod_labels = {}", "E005", 28, "selects pods by no label"),
    ];
    for (from, to, code, line, message) in cases {
        assert!(TOPOLOGY.contains(from));
        let p = Project::with(&TOPOLOGY.replacen(from, to, 1));
        let run = p.run(&["check", "--format", "json"]);
        assert_eq!(run.code, 2, "{code}: {}", run.stderr);
        let report: Value = serde_json::from_str(&run.stdout).unwrap();
        let found = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .unwrap_or_else(|| panic!("no {code} in {report:#}"));
        assert!(found["message"].as_str().unwrap().contains(message), "{found}");
        assert_eq!((found["file"].as_str(), found["line"].as_i64()), (Some("archctl.toml"), Some(line)), "{found}");
    }
}
