//! `archctl import` and the topology it writes: legacy labels and
//! selectors kept exactly, the guides' own manifests and a real chart's
//! `helm template` round-tripping through `diff --against`, and Secret
//! values kept out of everything written.

use serde_json::json;

use crate::support::{Project, check_error, find};

const LEGACY: &str = r#"
[project]
name = "shop"

[services.api]
kind = "deployment"
replicas = 2

[services.api.container]
image = "acme/api:1.0"
ports = { p8000 = { port = 8000, unnamed = true }, admin = 9000 }
probes = { liveness = { http = "/health" } }

[services.api.legacy]
selector = { app = "api" }
labels = { app = "api", tier = "web" }
pod_labels = { app = "api", release = "r1" }

[services.api.legacy.service]
type = "ClusterIP"
ports = [{ port = 80, target_port = 8000 }, { name = "admin", port = 9000, target_port = "admin" }]

[services.cleanup]
kind = "cronjob"
schedule = "0 3 * * *"
restart_policy = "Never"
container = { image = "acme/cleanup:1.0" }
legacy = { labels = { app = "cleanup" } }

[config_maps.settings]
data = { mode = "fast" }
legacy = { labels = { app = "api" } }
"#;

#[test]
fn a_legacy_workload_renders_its_labels_selector_and_service_exactly() {
    let p = Project::with(LEGACY);
    let run = p.run(&["render"]).success();
    let docs = run.docs();
    let d = find(&docs, "Deployment", Some("shop"), "api");
    assert_eq!(d["metadata"]["labels"], json!({"app": "api", "tier": "web"}));
    assert_eq!(d["spec"]["selector"], json!({"matchLabels": {"app": "api"}}));
    let pod = &d["spec"]["template"];
    assert_eq!(pod["metadata"], json!({"labels": {"app": "api", "release": "r1"}}));
    // none of archctl's defaults: only what the topology states
    assert_eq!(
        pod["spec"],
        json!({"containers": [{
            "name": "api", "image": "acme/api:1.0",
            "ports": [{"containerPort": 8000}, {"containerPort": 9000, "name": "admin"}],
            "livenessProbe": {"httpGet": {"path": "/health", "port": 8000}},
        }]})
    );
    let s = find(&docs, "Service", Some("shop"), "api");
    assert_eq!(s["metadata"], json!({"name": "api", "namespace": "shop"}));
    assert_eq!(
        s["spec"],
        json!({"type": "ClusterIP", "selector": {"app": "api"}, "ports": [
            {"port": 80, "targetPort": 8000}, {"name": "admin", "port": 9000, "targetPort": "admin"}]})
    );
    let c = find(&docs, "CronJob", Some("shop"), "cleanup");
    assert_eq!(c["metadata"]["labels"], json!({"app": "cleanup"}));
    assert_eq!(c["spec"]["jobTemplate"].get("metadata"), None);
    assert_eq!(c["spec"]["jobTemplate"]["spec"]["template"].get("metadata"), None);
    assert_eq!(c["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"], "Never");
    let cm = find(&docs, "ConfigMap", Some("shop"), "settings");
    assert_eq!(cm["metadata"]["labels"], json!({"app": "api"}));
    // each is warned about, with the way out
    assert_eq!(run.stderr.matches("W013").count(), 3, "{}", run.stderr);
    assert!(run.stderr.contains("delete and recreate"), "{}", run.stderr);
}

#[test]
fn a_legacy_selector_is_required_and_must_select_the_pods() {
    let p = Project::with(
        "[project]\nname = \"shop\"\n[services.api]\nkind = \"deployment\"\ncontainer = { image = \"a:1\" }\n\
         legacy = { labels = { app = \"api\" } }\n",
    );
    let f = check_error(&p, "E059");
    assert!(f["message"].as_str().unwrap().contains("has no `selector`"), "{f:#}");
    let p = Project::with(
        "[project]\nname = \"shop\"\n[services.api]\nkind = \"deployment\"\ncontainer = { image = \"a:1\" }\n\
         legacy = { selector = { app = \"api\" }, pod_labels = { app = \"other\" } }\n",
    );
    let f = check_error(&p, "E059");
    assert!(f["message"].as_str().unwrap().contains("`app: api`"), "{f:#}");
    let p = Project::with(
        "[project]\nname = \"shop\"\n[services.job]\nkind = \"job\"\ncontainer = { image = \"a:1\" }\n\
         legacy = { selector = { app = \"job\" } }\n",
    );
    check_error(&p, "E030");
}
