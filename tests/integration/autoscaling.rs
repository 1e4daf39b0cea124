//! Autoscaling beyond CPU and memory: an HPA's `Pods`, `Object` and
//! `External` metrics with their behaviour, KEDA's HPA behaviour, and the
//! replicas expected under an autoscaler — end to end through `render`
//! (and the real API server), `check` and `plan`.

use serde_json::{Value, json};

use crate::cluster::{CRDS, Live};
use crate::support::{Project, find};

const TOPOLOGY: &str = r#"phases = ["pilot", "growth"]
phase = "growth"

[project]
name = "queue"

[namespaces.queue]

[services.api]
kind = "deployment"
resources = { requests = { cpu = "250m", memory = "256Mi" } }
container = { image = "api:1.0", ports = { http = 8080 }, probes = { readiness = { http = "/ready" } } }

[services.api.autoscaling]
min = 2
max = { pilot = 4, growth = 10 }
expected = { pilot = 2, growth = 4 }
cpu = 70
scale_down = { stabilization = 300, policies = [{ type = "Pods", value = 1, period = 60 }] }
metrics = [
  { type = "pods", name = "http_requests_per_second", average_value = "1000m" },
  { type = "object", name = "requests_per_second", object = { kind = "Service", name = "api" }, value = "2k" },
  { type = "external", name = "queue_messages_ready", selector = { queue = "tasks" }, average_value = "30" },
]

[services.worker]
kind = "deployment"
resources = { requests = { cpu = "500m", memory = "512Mi" } }
container = { image = "worker:1.0" }

[services.worker.keda]
min = 0
max = 20
expected = { pilot = 1, growth = 6 }
scale_up = { stabilization = 0, policies = [{ type = "Percent", value = 100, period = 15 }] }
scale_down = { stabilization = 120 }
triggers = [{ type = "rabbitmq", metadata = { queueName = "tasks", mode = "QueueLength", value = "20" } }]
"#;

#[test]
fn custom_metrics_and_behaviour_render_and_the_server_takes_them() {
    let p = Project::with(TOPOLOGY);
    let run = p.run(&["render"]).success();
    let docs = run.docs();
    let hpa = find(&docs, "HorizontalPodAutoscaler", Some("queue"), "api");
    let metrics = hpa["spec"]["metrics"].as_array().unwrap();
    assert_eq!(metrics.len(), 4, "{hpa}");
    assert_eq!(metrics[0]["resource"]["name"], "cpu");
    assert_eq!(
        metrics[1],
        json!({"type": "Pods", "pods": {"metric": {"name": "http_requests_per_second"},
            "target": {"type": "AverageValue", "averageValue": "1"}}}),
        "quantities are canonical"
    );
    assert_eq!(
        metrics[2],
        json!({"type": "Object", "object": {
            "describedObject": {"apiVersion": "v1", "kind": "Service", "name": "api"},
            "metric": {"name": "requests_per_second"},
            "target": {"type": "Value", "value": "2k"}}})
    );
    assert_eq!(
        metrics[3],
        json!({"type": "External", "external": {
            "metric": {"name": "queue_messages_ready", "selector": {"matchLabels": {"queue": "tasks"}}},
            "target": {"type": "AverageValue", "averageValue": "30"}}})
    );
    assert_eq!(hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"], 300);
    assert_eq!(hpa["spec"]["maxReplicas"], 10);
    // the HPA owns the count: the expected replicas never reach the render
    let api = find(&docs, "Deployment", Some("queue"), "api");
    assert!(api["spec"].get("replicas").is_none(), "{api}");
    let so = find(&docs, "ScaledObject", Some("queue"), "worker");
    assert_eq!(
        so["spec"]["advanced"],
        json!({"horizontalPodAutoscalerConfig": {"behavior": {
            "scaleUp": {"stabilizationWindowSeconds": 0, "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]},
            "scaleDown": {"stabilizationWindowSeconds": 120}}}})
    );
    assert!(!run.stdout.contains("expected"), "{}", run.stdout);

    // the real API server, with KEDA's CRD, takes both phases, and the diff
    // of what it holds is clean
    let c = Live::new(p, CRDS);
    for phase in ["pilot", "growth"] {
        c.apply(&["--phase", phase]);
        let diff = c.diff(&["--phase", phase]);
        assert_eq!(diff.code, 0, "{phase}: {}\n{}", diff.stdout, diff.stderr);
    }
}

#[test]
fn plan_shows_the_expected_replicas_beside_the_range() {
    let p = Project::with(TOPOLOGY);
    let plans: Value = serde_json::from_str(&p.run(&["plan", "--format", "json"]).success().stdout).unwrap();
    let growth = &plans[1];
    assert_eq!(growth["phase"], "growth");
    let svc = |name: &str| growth["services"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap().clone();
    assert_eq!((svc("api")["replicas_min"].as_i64(), svc("api")["replicas_max"].as_i64()), (Some(2), Some(10)));
    assert_eq!(svc("api")["replicas_expected"], 4);
    assert_eq!(svc("worker")["replicas_expected"], 6);
    assert_eq!(growth["pods_expected"], 10);
    assert_eq!(plans[0]["pods_expected"], 3);
    let table = p.run(&["plan"]).success().stdout;
    assert!(table.contains("growth  2–30 (~10)"), "{table}");
    assert!(table.lines().any(|l| l.starts_with("api ") && l.contains("2–10 (~4)")), "{table}");
}

#[test]
fn check_reports_malformed_metrics_and_expectations_where_they_are_written() {
    let cases = [
        (
            r#"average_value = "1000m" }"#,
            r#"value = "1000m" }"#,
            "E030",
            21,
            "the pods metric `http_requests_per_second` cannot have a `value` target",
        ),
        (r#"object = { kind = "Service", name = "api" }, "#, "", "E006", 22, "needs the `object` it describes"),
        (r#"value = "2k" }"#, r#"value = "2k", average_value = "1" }"#, "E032", 22, "needs exactly one target"),
        (r#"average_value = "30" }"#, r#"average_value = "30 messages" }"#, "E008", 23, "30 messages"),
        (
            "expected = { pilot = 2, growth = 4 }",
            "expected = { pilot = 2, growth = 11 }",
            "E050",
            17,
            "outside the autoscaler's 2..10",
        ),
        (r#"type = "external""#, r#"type = "extern""#, "E005", 23, "extern"),
    ];
    for (from, to, code, line, message) in cases {
        assert!(TOPOLOGY.contains(from), "{from}");
        let p = Project::with(&TOPOLOGY.replacen(from, to, 1));
        let found = crate::support::check_error(&p, code);
        assert!(found["message"].as_str().unwrap().contains(message), "{found}");
        assert_eq!(found["file"], "archctl.toml");
        assert_eq!(found["line"], line, "located where the topology writes it: {found}");
        assert_eq!(p.run(&["render"]).code, 2);
    }
    assert_eq!(Project::with(TOPOLOGY).run(&["check"]).code, 0);
}
