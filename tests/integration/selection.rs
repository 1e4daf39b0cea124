//! Selecting the pods of several workloads: a shared Service in front of
//! several services, and network policies by a list of services or by
//! labels — rendered, checked and taken by the real API server.

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

[shared_services.api]
services = ["ingest", "query"]
ports = ["http"]
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
    // one Service in front of both: it selects a label both pod templates
    // carry (and the Deployments' own selectors do not change)
    let api = find(&docs, "Service", Some("search"), "api");
    assert_eq!(
        api["spec"]["selector"],
        json!({"app.kubernetes.io/instance": "search", "shared.archctl.io/api": "true"})
    );
    assert_eq!(api["spec"]["ports"], json!([{"name": "http", "port": 8080, "targetPort": "http"}]));
    for name in ["ingest", "query"] {
        let d = find(&docs, "Deployment", Some("search"), name);
        let labels = d["spec"]["template"]["metadata"]["labels"].as_object().unwrap();
        for (k, v) in api["spec"]["selector"].as_object().unwrap() {
            assert_eq!(labels.get(k), Some(v), "{name}'s pods lack {k}");
        }
        assert_eq!(
            d["spec"]["selector"]["matchLabels"],
            json!({"app.kubernetes.io/instance": "search", "app.kubernetes.io/name": name})
        );
    }
    let db = find(&docs, "StatefulSet", Some("search"), "db");
    assert!(db["spec"]["template"]["metadata"]["labels"].get("shared.archctl.io/api").is_none());
    // named ports are checked against the selected services (W011 silent:
    // both declare `http`) and flagged when none of them declares one
    assert_eq!(p.run(&["check", "--deny", "warnings"]).code, 0);
    let bad =
        Project::with(&TOPOLOGY.replace(r#"ingress = [{ ports = ["http"] }]"#, r#"ingress = [{ ports = ["grpc"] }]"#));
    let report: Value = serde_json::from_str(&bad.run(&["check", "--format", "json"]).stdout).unwrap();
    assert!(report["findings"].as_array().unwrap().iter().any(|f| f["code"] == "W011"), "{report:#}");

    // graph draws the shared Service in front of both
    let graph = p.run(&["graph"]).success().stdout;
    assert!(graph.contains("shared_api([\"api<br/>shared service\"])"), "{graph}");
    assert!(
        graph.contains("shared_api -->|\"http\"| svc_ingest") && graph.contains("shared_api -->|\"http\"| svc_query"),
        "{graph}"
    );
    let dot = p.run(&["graph", "--format", "dot"]).success().stdout;
    assert!(dot.contains("shared_api [label=\"api\\nshared service\", shape=oval]"), "{dot}");

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
        (
            "services = [\"ingest\", \"query\"]\nports",
            "services = [\"ingest\", \"db\"]\nports",
            "E053",
            33,
            "service `db` declares no port `http`",
        ),
        (
            "services = [\"ingest\", \"query\"]\nports",
            "services = [\"ingest\", \"web\"]\nports",
            "E053",
            32,
            "`web` is not declared",
        ),
        ("[shared_services.api]", "[shared_services.query]", "E021", 31, "already has a Service of that name"),
        ("\nports = [\"http\"]", "\nports = []", "E006", 33, "has no ports"),
    ];
    for (from, to, code, line, message) in cases {
        assert!(TOPOLOGY.contains(from));
        let p = Project::with(&TOPOLOGY.replacen(from, to, 1));
        let found = crate::support::check_error(&p, code);
        assert!(found["message"].as_str().unwrap().contains(message), "{found}");
        assert_eq!((found["file"].as_str(), found["line"].as_i64()), (Some("archctl.toml"), Some(line)), "{found}");
    }
}
