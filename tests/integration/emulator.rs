//! Tests of the Kubernetes API server emulator (`support::kube_emulator`),
//! largely through the real kubectl, so that what `archctl diff` is tested
//! against behaves like an API server.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::kube_emulator::{Emulator, Reply};
use crate::support::{Project, Run};

const APPLY: &str = "application/apply-patch+yaml";

const STACK: &str = r#"
apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: {app: web, tier: front}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports:
        - containerPort: 8080
          name: http
        readinessProbe:
          httpGet: {path: /healthz, port: http}
        resources:
          requests: {cpu: 1000m, memory: 1024Mi}
          limits: {cpu: "2", memory: 2Gi}
      - name: sidecar
        image: busybox
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  selector: {app: web}
  ports:
  - name: http
    port: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: shop
  labels: {app: web}
data:
  LOG_LEVEL: info
---
apiVersion: v1
kind: Secret
metadata:
  name: web-secret
  namespace: shop
stringData:
  password: hunter2
"#;

/// A server-side apply of one object (YAML or JSON text) through HTTP.
fn apply(emu: &Emulator, path: &str, query: &str, body: &str) -> Reply {
    emu.call("PATCH", &format!("{path}?{query}"), Some(APPLY), body)
}

fn deployment(name: &str, app: &str, image: &str) -> String {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default", "labels": {"app": app}},
        "spec": {
            "selector": {"matchLabels": {"app": app}},
            "template": {
                "metadata": {"labels": {"app": app}},
                "spec": {"containers": [{"name": "app", "image": image}]},
            },
        },
    })
    .to_string()
}

#[track_caller]
fn assert_status(reply: &Reply, code: u16, reason: &str) -> Value {
    assert_eq!(reply.status, code, "{}", reply.body);
    assert_eq!(reply.content_type, "application/json");
    let status = reply.json();
    assert_eq!(status["kind"], "Status", "{status}");
    assert_eq!(status["apiVersion"], "v1");
    assert_eq!(status["status"], "Failure");
    assert_eq!(status["reason"], reason, "{status}");
    assert_eq!(status["code"], code);
    status
}

fn kubectl_json(run: Run) -> Value {
    serde_json::from_str(&run.success().stdout).expect("kubectl printed JSON")
}

#[test]
fn kubectl_discovers_every_kind_through_aggregated_discovery() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let out = emu.kubectl(dir.path(), &["api-resources", "--no-headers"]).success().stdout;
    for (name, version, namespaced, kind) in [
        ("namespaces", "v1", "false", "Namespace"),
        ("configmaps", "v1", "true", "ConfigMap"),
        ("limitranges", "v1", "true", "LimitRange"),
        ("deployments", "apps/v1", "true", "Deployment"),
        ("cronjobs", "batch/v1", "true", "CronJob"),
        ("horizontalpodautoscalers", "autoscaling/v2", "true", "HorizontalPodAutoscaler"),
        ("poddisruptionbudgets", "policy/v1", "true", "PodDisruptionBudget"),
        ("networkpolicies", "networking.k8s.io/v1", "true", "NetworkPolicy"),
        ("storageclasses", "storage.k8s.io/v1", "false", "StorageClass"),
        ("scaledobjects", "keda.sh/v1alpha1", "true", "ScaledObject"),
        ("verticalpodautoscalers", "autoscaling.k8s.io/v1", "true", "VerticalPodAutoscaler"),
        ("servicemonitors", "monitoring.coreos.com/v1", "true", "ServiceMonitor"),
        ("externalsecrets", "external-secrets.io/v1", "true", "ExternalSecret"),
    ] {
        let found = out.lines().any(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            cols.first() == Some(&name) && cols.ends_with(&[version, namespaced, kind])
        });
        assert!(found, "{name} {version} {namespaced} {kind} missing from:\n{out}");
    }
    let versions = emu.kubectl(dir.path(), &["api-versions"]).success().stdout;
    assert!(versions.lines().any(|l| l == "external-secrets.io/v1beta1"), "{versions}");
    assert!(versions.lines().any(|l| l == "external-secrets.io/v1"), "{versions}");

    // kubectl 1.35 asks for aggregated discovery and gets it: no request per group version.
    let requests = emu.requests();
    let api = requests.iter().find(|r| r.path == "/apis").expect("kubectl asked /apis");
    assert!(api.accept.as_deref().unwrap_or("").contains("as=APIGroupDiscoveryList"), "{api:?}");
    assert!(!requests.iter().any(|r| r.path == "/apis/apps/v1"), "{requests:#?}");
    let plain = emu.call("GET", "/apis", None, "");
    assert_eq!(plain.json()["kind"], "APIGroupList");

    // The plain forms, as kube-rs' Discovery::run asks for them.
    let core = emu.call("GET", "/api/v1", None, "").json();
    assert_eq!(core["kind"], "APIResourceList");
    let ns = core["resources"].as_array().unwrap().iter().find(|r| r["name"] == "namespaces").unwrap();
    assert_eq!(ns["namespaced"], false);
    assert_eq!(ns["singularName"], "namespace");
    let apps = emu.call("GET", "/apis/apps/v1", None, "").json();
    let names: Vec<&str> = apps["resources"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "deployments",
            "deployments/status",
            "deployments/scale",
            "statefulsets",
            "statefulsets/status",
            "statefulsets/scale"
        ]
    );
    let group = emu.call("GET", "/apis/external-secrets.io", None, "").json();
    assert_eq!(group["preferredVersion"]["version"], "v1");
    let version = emu.call("GET", "/version", None, "").json();
    assert_eq!((version["major"].as_str(), version["minor"].as_str()), (Some("1"), Some("33")));
}

#[test]
fn hidden_kinds_vanish_from_discovery_and_answer_404() {
    let emu = Emulator::start();
    emu.hide_kind("scaledobjects");
    let dir = tempfile::tempdir().unwrap();
    let out = emu.kubectl(dir.path(), &["api-resources", "--no-headers"]).success().stdout;
    assert!(!out.contains("scaledobjects"), "{out}");
    assert!(out.contains("servicemonitors"), "{out}");
    let run = emu.kubectl(dir.path(), &["get", "scaledobjects", "-A"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("the server doesn't have a resource type \"scaledobjects\""), "{}", run.stderr);

    // The group is gone when its only resource is.
    assert_status(&emu.call("GET", "/apis/keda.sh/v1alpha1", None, ""), 404, "NotFound");
    let path = "/apis/keda.sh/v1alpha1/namespaces/default/scaledobjects/x";
    let status = assert_status(&emu.call("GET", path, None, ""), 404, "NotFound");
    assert_eq!(status["message"], "the server could not find the requested resource");
    let body = r#"{"apiVersion":"keda.sh/v1alpha1","kind":"ScaledObject","metadata":{"name":"x"}}"#;
    assert_status(&apply(&emu, path, "fieldManager=t", body), 404, "NotFound");
    let apis = emu.call("GET", "/apis", None, "").json();
    assert!(!apis.to_string().contains("keda.sh"), "{apis}");

    // `plural.group` names one resource in every version.
    emu.hide_kind("externalsecrets.external-secrets.io");
    for version in ["v1", "v1beta1"] {
        let path = format!("/apis/external-secrets.io/{version}/externalsecrets");
        assert_status(&emu.call("GET", &path, None, ""), 404, "NotFound");
    }
}

#[test]
fn kubectl_server_side_apply_stores_objects_with_defaults_and_managed_fields() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("stack.yaml"), STACK).unwrap();
    let url = emu.url();
    let args = ["--server", url.as_str(), "apply", "--server-side", "--validate=false", "-f", "stack.yaml"];
    let out = emu.kubectl(dir.path(), &args).success().stdout;
    for line in [
        "namespace/shop serverside-applied",
        "deployment.apps/web serverside-applied",
        "service/web serverside-applied",
        "configmap/web-config serverside-applied",
        "secret/web-secret serverside-applied",
    ] {
        assert!(out.contains(line), "{out}");
    }
    let patches: Vec<_> = emu.requests().into_iter().filter(|r| r.method == "PATCH").collect();
    assert_eq!(patches.len(), 5);
    for p in &patches {
        assert_eq!(p.content_type.as_deref(), Some(APPLY));
        assert_eq!(p.param("fieldManager").as_deref(), Some("kubectl"));
        assert_eq!(p.param("force").as_deref(), Some("false"));
    }

    let list = kubectl_json(emu.kubectl(dir.path(), &["get", "deploy", "-A", "-o", "json", "--show-managed-fields"]));
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{list}");
    let d = &items[0];
    assert_eq!(d["apiVersion"], "apps/v1");
    assert_eq!(d["kind"], "Deployment");
    let meta = &d["metadata"];
    assert_eq!(meta["generation"], 1);
    assert!(meta["uid"].as_str().is_some_and(|u| u.len() == 36), "{meta}");
    assert!(meta["resourceVersion"].as_str().is_some_and(|v| v.parse::<u64>().is_ok()), "{meta}");
    assert!(meta["creationTimestamp"].as_str().is_some_and(|t| t.ends_with('Z') && t.len() == 20), "{meta}");
    assert_eq!(meta["annotations"]["deployment.kubernetes.io/revision"], "1");
    let managers: Vec<(&str, &str)> = meta["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["manager"].as_str().unwrap(), m["operation"].as_str().unwrap()))
        .collect();
    assert_eq!(
        managers,
        [("kubectl", "Apply"), ("kube-controller-manager", "Update"), ("kube-controller-manager", "Update")]
    );
    let kubectl = &meta["managedFields"][0];
    assert_eq!(kubectl["fieldsType"], "FieldsV1");
    assert_eq!(kubectl["apiVersion"], "apps/v1");
    assert_eq!(kubectl["fieldsV1"]["f:spec"]["f:selector"]["f:matchLabels"]["f:app"], json!({}));
    assert_eq!(kubectl["fieldsV1"]["f:metadata"]["f:labels"]["f:tier"], json!({}));
    assert!(kubectl["fieldsV1"]["f:spec"].get("f:replicas").is_none(), "defaults are not owned by the applier");

    let spec = &d["spec"];
    assert_eq!(spec["replicas"], 1);
    assert_eq!(spec["progressDeadlineSeconds"], 600);
    assert_eq!(spec["revisionHistoryLimit"], 10);
    assert_eq!(
        spec["strategy"],
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}})
    );
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Always");
    assert_eq!(pod["dnsPolicy"], "ClusterFirst");
    assert_eq!(pod["schedulerName"], "default-scheduler");
    assert_eq!(pod["terminationGracePeriodSeconds"], 30);
    assert_eq!(pod["securityContext"], json!({}));
    let web = &pod["containers"][0];
    assert_eq!(web["imagePullPolicy"], "IfNotPresent");
    assert_eq!(web["terminationMessagePath"], "/dev/termination-log");
    assert_eq!(web["terminationMessagePolicy"], "File");
    assert_eq!(web["ports"][0]["protocol"], "TCP");
    assert_eq!(
        web["readinessProbe"],
        json!({
            "httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
            "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3,
        })
    );
    assert_eq!(web["resources"]["requests"], json!({"cpu": "1", "memory": "1Gi"}));
    assert_eq!(web["resources"]["limits"], json!({"cpu": "2", "memory": "2Gi"}));
    let sidecar = &pod["containers"][1];
    assert_eq!(sidecar["imagePullPolicy"], "Always");
    assert_eq!(sidecar["resources"], json!({}));
    assert_eq!(
        d["status"],
        json!({
            "observedGeneration": 1,
            "replicas": 1,
            "updatedReplicas": 1,
            "readyReplicas": 1,
            "availableReplicas": 1,
        })
    );

    let svc = kubectl_json(emu.kubectl(dir.path(), &["get", "-n", "shop", "service", "web", "-o", "json"]));
    let spec = &svc["spec"];
    let ip = spec["clusterIP"].as_str().unwrap();
    assert!(ip.starts_with("10.96."), "{ip}");
    assert_eq!(spec["clusterIPs"], json!([ip]));
    assert_eq!(spec["ipFamilies"], json!(["IPv4"]));
    assert_eq!(spec["ipFamilyPolicy"], "SingleStack");
    assert_eq!(spec["sessionAffinity"], "None");
    assert_eq!(spec["type"], "ClusterIP");
    assert_eq!(spec["ports"], json!([{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 80}]));
    assert_eq!(svc["status"], json!({"loadBalancer": {}}));
    assert!(svc["metadata"].get("generation").is_none(), "core kinds keep no generation");

    let secret = kubectl_json(emu.kubectl(dir.path(), &["get", "-n", "shop", "secret", "web-secret", "-o", "json"]));
    assert_eq!(secret["data"], json!({"password": "aHVudGVyMg=="}));
    assert!(secret.get("stringData").is_none(), "{secret}");
    assert_eq!(secret["type"], "Opaque");
    let cm = kubectl_json(emu.kubectl(dir.path(), &["get", "-n", "shop", "cm", "web-config", "-o", "json"]));
    assert_eq!(cm["data"], json!({"LOG_LEVEL": "info"}));
    let ns = kubectl_json(emu.kubectl(dir.path(), &["get", "ns", "shop", "-o", "json"]));
    assert_eq!(ns["status"], json!({"phase": "Active"}));
    assert_eq!(ns["metadata"]["labels"]["kubernetes.io/metadata.name"], "shop");

    // The human-readable form (a Table) works too.
    let table = emu.kubectl(dir.path(), &["get", "deploy,svc,cm", "-n", "shop"]).success().stdout;
    assert!(table.contains("deployment.apps/web") && table.contains("configmap/web-config"), "{table}");

    // Applying the same again writes nothing; kubectl diff sees no change, then one.
    let rv = emu.object("Deployment", Some("shop"), "web").unwrap()["metadata"]["resourceVersion"].clone();
    emu.kubectl(dir.path(), &args).success();
    assert_eq!(emu.object("Deployment", Some("shop"), "web").unwrap()["metadata"]["resourceVersion"], rv);
    let diff = emu.kubectl(dir.path(), &["diff", "--server-side", "-f", "stack.yaml"]);
    assert_eq!(diff.code, 0, "{}\n{}", diff.stdout, diff.stderr);
    std::fs::write(dir.path().join("stack.yaml"), STACK.replace("nginx:1.27", "nginx:1.28")).unwrap();
    let diff = emu.kubectl(dir.path(), &["diff", "--server-side", "-f", "stack.yaml"]);
    assert_eq!(diff.code, 1, "{}\n{}", diff.stdout, diff.stderr);
    let line = |prefix: char, text: &str| diff.stdout.lines().any(|l| l.starts_with(prefix) && l.ends_with(text));
    assert!(line('-', "image: nginx:1.27") && line('+', "image: nginx:1.28"), "{}", diff.stdout);
    assert!(diff.stdout.contains("-  generation: 1") && diff.stdout.contains("+  generation: 2"), "{}", diff.stdout);
    assert_eq!(emu.object("Deployment", Some("shop"), "web").unwrap()["metadata"]["resourceVersion"], rv);
}

#[test]
fn plain_kubectl_apply_creates_then_patches() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let monitor = r#"
---
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: {name: web, namespace: shop}
spec:
  endpoints: [{port: http}]
  selector: {matchLabels: {app: web}}
"#;
    std::fs::write(dir.path().join("stack.yaml"), format!("{STACK}{monitor}")).unwrap();
    let out = emu.kubectl(dir.path(), &["apply", "--validate=false", "-f", "stack.yaml"]).success().stdout;
    assert!(out.contains("deployment.apps/web created"), "{out}");
    assert!(out.contains("servicemonitor.monitoring.coreos.com/web created"), "{out}");
    let posts = emu.requests().into_iter().filter(|r| r.method == "POST").count();
    assert_eq!(posts, 6);
    let d = emu.object("Deployment", Some("shop"), "web").unwrap();
    assert_eq!(d["metadata"]["managedFields"][0]["manager"], "kubectl-client-side-apply");
    assert_eq!(d["metadata"]["managedFields"][0]["operation"], "Update");
    assert!(d["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"].is_string());

    // Change an image, drop the sidecar and change the monitor's port.
    let changed = format!("{STACK}{monitor}")
        .replace("nginx:1.27", "nginx:1.28")
        .replace("      - name: sidecar\n        image: busybox\n", "")
        .replace("port: http}]", "port: metrics}]");
    std::fs::write(dir.path().join("stack.yaml"), changed).unwrap();
    let out = emu.kubectl(dir.path(), &["apply", "--validate=false", "-f", "stack.yaml"]).success().stdout;
    assert!(out.contains("deployment.apps/web configured"), "{out}");
    assert!(out.contains("configmap/web-config unchanged"), "{out}");
    let types: Vec<String> =
        emu.requests().into_iter().filter(|r| r.method == "PATCH").filter_map(|r| r.content_type).collect();
    assert!(types.contains(&"application/strategic-merge-patch+json".to_string()), "{types:?}");
    assert!(types.contains(&"application/merge-patch+json".to_string()), "{types:?}");
    let d = emu.object("Deployment", Some("shop"), "web").unwrap();
    let containers = d["spec"]["template"]["spec"]["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1, "{containers:?}");
    assert_eq!(containers[0]["image"], "nginx:1.28");
    assert_eq!(containers[0]["terminationMessagePath"], "/dev/termination-log");
    assert_eq!(d["metadata"]["generation"], 2);
    assert_eq!(d["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "2");
    let sm = emu.object("ServiceMonitor", Some("shop"), "web").unwrap();
    assert_eq!(sm["spec"]["endpoints"], json!([{"port": "metrics"}]));

    let out = emu.kubectl(dir.path(), &["delete", "-n", "shop", "deployment", "web"]).success().stdout;
    assert!(out.contains("deployment.apps \"web\" deleted"), "{out}");
    assert!(emu.object("Deployment", Some("shop"), "web").is_none());
}

#[test]
fn list_honours_label_and_field_selectors() {
    let emu = Emulator::start();
    for (ns, name, labels) in [
        ("default", "a", json!({"app": "a", "tier": "front"})),
        ("default", "b", json!({"app": "b"})),
        ("kube-system", "c", json!({"app": "c", "tier": "back"})),
        ("kube-system", "d", json!({})),
    ] {
        emu.seed(json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": ns, "labels": labels},
        }));
    }
    let names = |query: &str| -> Vec<String> {
        let reply = emu.call("GET", &format!("/api/v1/configmaps?{query}"), None, "");
        assert_eq!(reply.status, 200, "{}", reply.body);
        let list = reply.json();
        assert_eq!(list["kind"], "ConfigMapList");
        assert_eq!(list["apiVersion"], "v1");
        assert!(list["metadata"]["resourceVersion"].is_string());
        let items = list["items"].as_array().unwrap();
        assert!(items.iter().all(|i| i["kind"] == "ConfigMap" && i["apiVersion"] == "v1"));
        items.iter().map(|i| i["metadata"]["name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(names(""), ["a", "b", "c", "d"]);
    assert_eq!(names("labelSelector=app%3Da"), ["a"]);
    assert_eq!(names("labelSelector=app%3D%3Db"), ["b"]);
    assert_eq!(names("labelSelector=app%21%3Da"), ["b", "c", "d"]);
    assert_eq!(names("labelSelector=tier"), ["a", "c"]);
    assert_eq!(names("labelSelector=%21tier"), ["b", "d"]);
    assert_eq!(names("labelSelector=app,tier%21%3Dfront"), ["b", "c"]);
    assert_eq!(names("labelSelector=app+in+%28a%2Cc%29"), ["a", "c"]);
    assert_eq!(names("labelSelector=app+notin+%28a%2Cc%29"), ["b", "d"]);
    assert_eq!(names("fieldSelector=metadata.namespace%3Dkube-system"), ["c", "d"]);
    assert_eq!(names("fieldSelector=metadata.name%21%3Dd&labelSelector=%21tier"), ["b"]);
    assert_status(&emu.call("GET", "/api/v1/configmaps?labelSelector=a+b+c", None, ""), 400, "BadRequest");
    assert_status(&emu.call("GET", "/api/v1/configmaps?fieldSelector=spec.x%3D1", None, ""), 400, "BadRequest");

    // Namespaced lists.
    let list = emu.call("GET", "/api/v1/namespaces/kube-system/configmaps?labelSelector=app", None, "").json();
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let list = emu.call("GET", "/api/v1/namespaces/nowhere/configmaps", None, "").json();
    assert_eq!(list["items"], json!([]));

    // kubectl sends the same selectors.
    let dir = tempfile::tempdir().unwrap();
    let out = emu.kubectl(dir.path(), &["get", "cm", "-A", "-l", "app in (a,c),tier", "-o", "name"]).success().stdout;
    assert_eq!(out, "configmap/a\nconfigmap/c\n");
    let listed = emu.requests().into_iter().rfind(|r| r.path == "/api/v1/configmaps").unwrap();
    assert_eq!(listed.param("labelSelector").as_deref(), Some("app in (a,c),tier"));
}

#[test]
fn dry_run_apply_answers_without_storing() {
    let emu = Emulator::start();
    let path = "/apis/apps/v1/namespaces/default/deployments/web";
    // A new object: 201 with defaults and metadata, nothing stored.
    let reply = apply(&emu, path, "fieldManager=archctl&dryRun=All&force=true", &deployment("web", "web", "nginx"));
    assert_eq!(reply.status, 201, "{}", reply.body);
    let d = reply.json();
    assert_eq!(d["spec"]["progressDeadlineSeconds"], 600);
    assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"], "Always");
    assert_eq!(d["metadata"]["managedFields"][0]["manager"], "archctl");
    assert_eq!(d["metadata"]["generation"], 1);
    assert_eq!(d["status"], json!({}));
    assert!(emu.object("Deployment", Some("default"), "web").is_none());
    assert_status(&emu.call("GET", path, None, ""), 404, "NotFound");

    // An existing object: the answer shows the change, the store keeps the old one.
    let reply = apply(&emu, path, "fieldManager=archctl", &deployment("web", "web", "nginx:1.27"));
    assert_eq!(reply.status, 201, "{}", reply.body);
    let before = emu.object("Deployment", Some("default"), "web").unwrap();
    let reply = apply(&emu, path, "fieldManager=archctl&dryRun=All", &deployment("web", "web", "nginx:1.28"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let dry = reply.json();
    assert_eq!(dry["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.28");
    assert_eq!(dry["metadata"]["generation"], 2);
    assert_eq!(dry["metadata"]["resourceVersion"], before["metadata"]["resourceVersion"]);
    assert_eq!(dry["status"], before["status"], "the live status is kept");
    assert_eq!(emu.object("Deployment", Some("default"), "web").unwrap(), before);
    let last = emu.requests().pop().unwrap();
    assert!(last.is_dry_run());

    // Other writes honour dryRun too.
    let body = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}"#;
    let reply = emu.call("POST", "/api/v1/namespaces/default/configmaps?dryRun=All", Some("application/json"), body);
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert!(emu.object("ConfigMap", Some("default"), "x").is_none());
    let reply = emu.call("DELETE", &format!("{path}?dryRun=All"), None, "");
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(emu.object("Deployment", Some("default"), "web").is_some());
    assert_status(&apply(&emu, path, "fieldManager=a&dryRun=Some", &deployment("web", "web", "x")), 400, "BadRequest");
}

#[test]
fn immutable_fields_are_rejected_with_422() {
    let emu = Emulator::start();
    let dir = tempfile::tempdir().unwrap();
    let path = "/apis/apps/v1/namespaces/default/deployments/web";
    assert_eq!(apply(&emu, path, "fieldManager=archctl", &deployment("web", "web", "nginx")).status, 201);
    let moved = deployment("web", "other", "nginx");
    for query in ["fieldManager=archctl", "fieldManager=archctl&dryRun=All", "fieldManager=archctl&force=true"] {
        let status = assert_status(&apply(&emu, path, query, &moved), 422, "Invalid");
        let message = status["message"].as_str().unwrap();
        assert!(message.starts_with("Deployment.apps \"web\" is invalid: spec.selector: "), "{message}");
        assert!(message.ends_with("field is immutable"), "{message}");
        assert_eq!(status["details"]["causes"][0]["field"], "spec.selector");
        assert_eq!(status["details"]["kind"], "Deployment");
    }
    let stored = emu.object("Deployment", Some("default"), "web").unwrap();
    assert_eq!(stored["spec"]["selector"]["matchLabels"]["app"], "web");

    // kubectl shows the message.
    std::fs::write(dir.path().join("d.yaml"), &moved).unwrap();
    let run =
        emu.kubectl(dir.path(), &["apply", "--server-side", "--force-conflicts", "--validate=false", "-f", "d.yaml"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("field is immutable"), "{}", run.stderr);

    // A Service's cluster IP, a Job's template, a StatefulSet's selector.
    let svc = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"clusterIP": "10.96.0.50", "ports": [{"port": 80}]},
    })
    .to_string();
    let svc_path = "/api/v1/namespaces/default/services/s";
    assert_eq!(apply(&emu, svc_path, "fieldManager=archctl", &svc).status, 201);
    let status = assert_status(
        &apply(&emu, svc_path, "fieldManager=archctl", &svc.replace("10.96.0.50", "None")),
        422,
        "Invalid",
    );
    assert!(
        status["message"].as_str().unwrap().contains("spec.clusterIP: Invalid value: \"None\": field is immutable")
    );
    let job = |image: &str| {
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "spec": {"template": {"spec": {
            "restartPolicy": "Never", "containers": [{"name": "j", "image": image}]}}}})
        .to_string()
    };
    let job_path = "/apis/batch/v1/namespaces/default/jobs/j";
    let created = apply(&emu, job_path, "fieldManager=archctl", &job("busybox:1"));
    assert_eq!(created.status, 201);
    let created = created.json();
    assert_eq!(created["spec"]["template"]["spec"]["restartPolicy"], "Never");
    let uid = created["metadata"]["uid"].as_str().unwrap();
    assert_eq!(created["spec"]["selector"]["matchLabels"]["batch.kubernetes.io/controller-uid"], uid);
    assert_eq!(apply(&emu, job_path, "fieldManager=archctl", &job("busybox:1")).status, 200, "same template is fine");
    let status = assert_status(&apply(&emu, job_path, "fieldManager=archctl", &job("busybox:2")), 422, "Invalid");
    assert!(status["message"].as_str().unwrap().contains("spec.template: Invalid value"), "{status}");
    assert!(status["message"].as_str().unwrap().contains("field is immutable"), "{status}");
    let sts = |app: &str| {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db"}, "spec": {
        "serviceName": "db", "selector": {"matchLabels": {"app": app}},
        "template": {
            "metadata": {"labels": {"app": app}},
            "spec": {"containers": [{"name": "db", "image": "pg:16"}]},
        }}})
        .to_string()
    };
    let sts_path = "/apis/apps/v1/namespaces/default/statefulsets/db";
    assert_eq!(apply(&emu, sts_path, "fieldManager=archctl", &sts("db")).status, 201);
    let status = assert_status(&apply(&emu, sts_path, "fieldManager=archctl", &sts("pg")), 422, "Invalid");
    assert!(status["message"].as_str().unwrap().contains("field is immutable"), "{status}");
}

#[test]
fn a_missing_namespace_or_object_is_not_found() {
    let emu = Emulator::start();
    let body = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"a":"b"}}"#;
    let path = "/api/v1/namespaces/ghost/configmaps/c";
    for query in ["fieldManager=archctl", "fieldManager=archctl&dryRun=All"] {
        let status = assert_status(&apply(&emu, path, query, body), 404, "NotFound");
        assert_eq!(status["message"], "namespaces \"ghost\" not found");
        assert_eq!(status["details"], json!({"name": "ghost", "kind": "namespaces"}));
    }
    let status = assert_status(&emu.call("GET", path, None, ""), 404, "NotFound");
    assert_eq!(status["message"], "configmaps \"c\" not found");
    let status =
        assert_status(&emu.call("GET", "/apis/apps/v1/namespaces/default/deployments/nope", None, ""), 404, "NotFound");
    assert_eq!(status["message"], "deployments.apps \"nope\" not found");
    assert_eq!(status["details"], json!({"name": "nope", "group": "apps", "kind": "deployments"}));

    // A Namespace needs none, and then its objects can be applied.
    let ns = r#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ghost"}}"#;
    assert_eq!(apply(&emu, "/api/v1/namespaces/ghost", "fieldManager=archctl", ns).status, 201);
    assert_eq!(apply(&emu, path, "fieldManager=archctl", body).status, 201);
    let storage_class = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: ssd\nprovisioner: x\n";
    let reply = apply(&emu, "/apis/storage.k8s.io/v1/storageclasses/ssd", "fieldManager=archctl", storage_class);
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.json()["reclaimPolicy"], "Delete");

    // kubectl reports it the same way.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.yaml"), body.replace("\"c\"}", "\"c\",\"namespace\":\"nowhere\"}")).unwrap();
    let run = emu.kubectl(dir.path(), &["apply", "--server-side", "--validate=false", "-f", "c.yaml"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("namespaces \"nowhere\" not found"), "{}", run.stderr);
}

#[test]
fn latency_delays_every_response() {
    let emu = Emulator::start();
    let latency = Duration::from_millis(500);
    let timed = |path: &str| {
        let start = Instant::now();
        assert_eq!(emu.call("GET", path, None, "").status, 200);
        start.elapsed()
    };
    assert!(timed("/version") < latency);
    emu.set_latency(latency);
    assert!(timed("/api/v1/namespaces/default") >= latency);
    assert!(timed("/version") >= latency, "discovery too");
    // Each connection waits on its own: concurrent requests overlap.
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| emu.call("GET", "/api/v1/namespaces", None, ""));
        }
    });
    assert!(start.elapsed() < latency * 3, "{:?}", start.elapsed());
    assert!((2..=4).contains(&emu.max_in_flight()), "{} at once", emu.max_in_flight());
    emu.clear_requests();
    assert_eq!(emu.max_in_flight(), 0);
    emu.set_latency(Duration::ZERO);
    assert!(timed("/version") < latency);
}

#[test]
fn the_request_log_records_method_path_query_and_content_type() {
    let emu = Emulator::start();
    emu.call("GET", "/api", None, "");
    let body = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x y"}}"#;
    apply(&emu, "/api/v1/namespaces/default/configmaps/x%20y", "fieldManager=arch%20ctl&dryRun=All&force=true", body);
    let requests = emu.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].method, "GET");
    assert_eq!(requests[0].path, "/api");
    assert_eq!(requests[0].query, "");
    assert_eq!(requests[0].content_type, None);
    let patch = &requests[1];
    assert_eq!(patch.method, "PATCH");
    assert_eq!(patch.path, "/api/v1/namespaces/default/configmaps/x y");
    assert_eq!(patch.query, "fieldManager=arch%20ctl&dryRun=All&force=true");
    assert_eq!(patch.param("fieldManager").as_deref(), Some("arch ctl"));
    assert_eq!(patch.content_type.as_deref(), Some(APPLY));
    assert_eq!(patch.body, body);
    assert!(patch.is_dry_run());
    emu.clear_requests();
    assert!(emu.requests().is_empty());
}

#[test]
fn forbidden_requests_answer_403() {
    let emu = Emulator::start();
    let path = "/apis/apps/v1/namespaces/default/deployments/web";
    emu.forbid("PATCH", "deployments");
    let status =
        assert_status(&apply(&emu, path, "fieldManager=archctl", &deployment("web", "web", "x")), 403, "Forbidden");
    assert_eq!(
        status["message"],
        "deployments.apps \"web\" is forbidden: User \"emulator\" cannot patch resource \"deployments\" in API group \"apps\" in the namespace \"default\""
    );
    // Other verbs and resources are still allowed.
    assert_status(&emu.call("GET", path, None, ""), 404, "NotFound");
    let cm = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"}}"#;
    assert_eq!(apply(&emu, "/api/v1/namespaces/default/configmaps/c", "fieldManager=a", cm).status, 201);

    emu.forbid("list", "*");
    let status = assert_status(&emu.call("GET", "/api/v1/configmaps", None, ""), 403, "Forbidden");
    assert_eq!(
        status["message"],
        "configmaps is forbidden: User \"emulator\" cannot list resource \"configmaps\" in API group \"\" at the cluster scope"
    );
    assert_eq!(emu.call("GET", "/api/v1/namespaces/default/configmaps/c", None, "").status, 200);

    emu.forbid_dry_run();
    let cm_path = "/api/v1/namespaces/default/configmaps/c";
    assert_status(&apply(&emu, cm_path, "fieldManager=a&dryRun=All", cm), 403, "Forbidden");
    assert_eq!(apply(&emu, cm_path, "fieldManager=a", cm).status, 200);

    // kubectl shows it.
    let dir = tempfile::tempdir().unwrap();
    let run = emu.kubectl(dir.path(), &["get", "cm"]);
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("Error from server (Forbidden)"), "{}", run.stderr);
}

#[test]
fn server_side_apply_tracks_field_managers() {
    let emu = Emulator::start();
    let path = "/api/v1/namespaces/default/configmaps/c";
    // Empty maps are left out: an applied `{}` is a field of its own.
    let cm = |data: Value, labels: Value| {
        let mut c = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
        if data != json!({}) {
            c["data"] = data;
        }
        if labels != json!({}) {
            c["metadata"]["labels"] = labels;
        }
        c.to_string()
    };
    assert_status(&apply(&emu, path, "", &cm(json!({"a": "1"}), json!({}))), 400, "BadRequest");
    assert_eq!(apply(&emu, path, "fieldManager=one", &cm(json!({"a": "1", "b": "2"}), json!({"x": "1"}))).status, 201);
    assert_eq!(apply(&emu, path, "fieldManager=two", &cm(json!({"c": "3"}), json!({"y": "2"}))).status, 200);
    // "one" stops applying b and x: they go; two's fields stay.
    let reply = apply(&emu, path, "fieldManager=one", &cm(json!({"a": "1"}), json!({})));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let c = reply.json();
    assert_eq!(c["data"], json!({"a": "1", "c": "3"}));
    assert_eq!(c["metadata"]["labels"], json!({"y": "2"}));
    let managers: Vec<&str> =
        c["metadata"]["managedFields"].as_array().unwrap().iter().map(|m| m["manager"].as_str().unwrap()).collect();
    assert_eq!(managers, ["one", "two"]);
    assert_eq!(c["metadata"]["managedFields"][0]["fieldsV1"], json!({"f:data": {"f:a": {}}}));

    // Changing a field another manager owns is a conflict unless forced.
    let status = assert_status(
        &apply(&emu, path, "fieldManager=one", &cm(json!({"a": "1", "c": "9"}), json!({}))),
        409,
        "Conflict",
    );
    assert_eq!(status["message"], "Apply failed with 1 conflict: conflict with \"two\" using v1: .data.c");
    assert_eq!(status["details"]["causes"][0]["field"], ".data.c");
    // Setting the same value shares it.
    assert_eq!(apply(&emu, path, "fieldManager=one", &cm(json!({"a": "1", "c": "3"}), json!({}))).status, 200);
    let reply = apply(&emu, path, "fieldManager=one&force=true", &cm(json!({"a": "1", "c": "9"}), json!({})));
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["data"]["c"], "9");
    // "two" lost data.c and applying without it no longer removes it.
    let c = apply(&emu, path, "fieldManager=two", &cm(json!({}), json!({"y": "2"}))).json();
    assert_eq!(c["data"], json!({"a": "1", "c": "9"}));

    // Generation moves with the spec only; resourceVersion with every write.
    let dpath = "/apis/apps/v1/namespaces/default/deployments/web";
    let d1 = apply(&emu, dpath, "fieldManager=one", &deployment("web", "web", "nginx:1")).json();
    let mut labelled: Value = serde_json::from_str(&deployment("web", "web", "nginx:1")).unwrap();
    labelled["metadata"]["labels"]["extra"] = json!("yes");
    let d2 = apply(&emu, dpath, "fieldManager=one", &labelled.to_string()).json();
    assert_eq!(d2["metadata"]["generation"], 1);
    assert_ne!(d2["metadata"]["resourceVersion"], d1["metadata"]["resourceVersion"]);
    let d3 = apply(&emu, dpath, "fieldManager=one", &deployment("web", "web", "nginx:2")).json();
    assert_eq!(d3["metadata"]["generation"], 2);
    assert_eq!(d3["status"]["observedGeneration"], 2);
    assert!(d3["metadata"]["labels"].get("extra").is_none());

    // YAML bodies, and a body whose identity disagrees with the URL.
    let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: y\ndata:\n  k: v\n";
    assert_eq!(apply(&emu, "/api/v1/namespaces/default/configmaps/y", "fieldManager=one", yaml).status, 201);
    assert_status(&apply(&emu, "/api/v1/namespaces/default/configmaps/z", "fieldManager=one", yaml), 400, "BadRequest");
    let wrong_kind = yaml.replace("ConfigMap", "Secret");
    assert_status(
        &apply(&emu, "/api/v1/namespaces/default/configmaps/y", "fieldManager=one", &wrong_kind),
        400,
        "BadRequest",
    );
    assert_status(
        &emu.call("PATCH", "/api/v1/namespaces/default/configmaps/y", Some("text/plain"), "x"),
        415,
        "UnsupportedMediaType",
    );
}

#[test]
fn seeded_objects_get_defaults_metadata_and_status() {
    let emu = Emulator::start();
    emu.seed_yaml(
        r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: data}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: "postgres:16", resources: {requests: {cpu: 0.5, memory: 1024Mi}}}]
      volumes: [{name: conf, configMap: {name: conf}}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 10240Mi}}}
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: data}
spec:
  type: NodePort
  ports: [{port: 5432, targetPort: pg}]
"#,
    );
    let sts = emu.object("StatefulSet", Some("data"), "db").unwrap();
    let spec = &sts["spec"];
    assert_eq!(spec["podManagementPolicy"], "OrderedReady");
    assert_eq!(spec["updateStrategy"], json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}));
    assert_eq!(spec["revisionHistoryLimit"], 10);
    assert_eq!(spec["persistentVolumeClaimRetentionPolicy"], json!({"whenDeleted": "Retain", "whenScaled": "Retain"}));
    let claim = &spec["volumeClaimTemplates"][0];
    assert_eq!(claim["spec"]["volumeMode"], "Filesystem");
    assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "10Gi");
    assert_eq!((&claim["apiVersion"], &claim["kind"]), (&json!("v1"), &json!("PersistentVolumeClaim")));
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["containers"][0]["resources"]["requests"], json!({"cpu": "500m", "memory": "1Gi"}));
    assert_eq!(pod["volumes"][0]["configMap"]["defaultMode"], 420);
    assert_eq!(sts["status"]["replicas"], 3);
    assert_eq!(sts["status"]["readyReplicas"], 3);
    assert_eq!(sts["status"]["observedGeneration"], 1);
    assert_eq!(sts["metadata"]["managedFields"][0]["manager"], "seed");
    assert_eq!(sts["metadata"]["managedFields"][0]["operation"], "Apply");
    let svc = emu.object("Service", Some("data"), "db").unwrap();
    assert_eq!(svc["spec"]["clusterIPs"], json!([svc["spec"]["clusterIP"]]));
    assert_eq!(svc["spec"]["externalTrafficPolicy"], "Cluster");
    let port = &svc["spec"]["ports"][0];
    assert_eq!(port["targetPort"], "pg");
    assert!(port["nodePort"].as_u64().is_some_and(|n| (30000..32768).contains(&n)), "{port}");
    // Seeded objects need no namespace, but requests do; the usual ones exist.
    assert!(emu.object("Namespace", None, "data").is_none());
    assert!(emu.object("Namespace", None, "kube-system").is_some());
    let body = json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "db"},
        "spec": {"type": "NodePort", "ports": [{"port": 5432, "targetPort": "pg"}]},
    });
    let path = "/api/v1/namespaces/data/services/db";
    assert_status(&apply(&emu, path, "fieldManager=seed", &body.to_string()), 404, "NotFound");
    emu.seed(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "data"}}));
    // Re-applying keeps the allocated node port and cluster IP.
    let reply = apply(&emu, path, "fieldManager=seed", &body.to_string());
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["spec"]["ports"][0]["nodePort"], port["nodePort"]);
    assert_eq!(reply.json()["spec"]["clusterIP"], svc["spec"]["clusterIP"]);
    assert_eq!(emu.objects().len(), 4 + 3);
}

#[test]
fn odd_requests_get_a_status_and_the_server_keeps_serving() {
    use std::io::{Read, Write};
    let emu = Emulator::start();
    let addr = emu.url().trim_start_matches("http://").to_string();
    let raw = |bytes: &[u8]| -> String {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = s.write_all(bytes);
        let _ = s.shutdown(std::net::Shutdown::Write);
        let mut out = Vec::new();
        let _ = s.read_to_end(&mut out);
        String::from_utf8_lossy(&out).into_owned()
    };
    assert!(raw(b"garbage\r\n\r\n").starts_with("HTTP/1.1 400"));
    assert!(raw(b"").is_empty());
    assert!(raw(b"GET /version HTTP/1.1\r\nContent-Length: x\r\n\r\n").starts_with("HTTP/1.1 400"));
    let huge =
        "PATCH /api/v1/namespaces/default/configmaps/c?fieldManager=a HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n";
    assert!(raw(huge.as_bytes()).starts_with("HTTP/1.1 413"));
    let long_header = format!("GET /version HTTP/1.1\r\nX: {}\r\n\r\n", "y".repeat(100_000));
    assert!(raw(long_header.as_bytes()).starts_with("HTTP/1.1 431"));
    // Chunked bodies, and two requests on one connection.
    let chunked = concat!(
        "PATCH /api/v1/namespaces/default/configmaps/c?fieldManager=a HTTP/1.1\r\n",
        "Content-Type: application/apply-patch+yaml\r\nTransfer-Encoding: chunked\r\n\r\n",
        "7\r\nkind: C\r\nf\r\nonfigMap\napiVer\r\n9\r\nsion: v1\n\r\n0\r\n\r\n",
        "GET /version HTTP/1.1\r\nConnection: close\r\n\r\n",
    );
    let out = raw(chunked.as_bytes());
    assert!(out.starts_with("HTTP/1.1 201"), "{out}");
    assert_eq!(out.matches("HTTP/1.1 ").count(), 2, "{out}");

    let big = format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"c"}},"data":{{"a":"{}"}}}}"#,
        "x".repeat(4 << 20)
    );
    assert_status(
        &apply(&emu, "/api/v1/namespaces/default/configmaps/c", "fieldManager=a", &big),
        413,
        "RequestEntityTooLarge",
    );
    assert_status(
        &apply(&emu, "/api/v1/namespaces/default/configmaps/c", "fieldManager=a", "{not json: [}"),
        400,
        "BadRequest",
    );
    assert_status(
        &apply(&emu, "/api/v1/namespaces/default/configmaps/c", "fieldManager=a", "[1, 2]"),
        400,
        "BadRequest",
    );
    assert_status(&emu.call("GET", "/nowhere", None, ""), 404, "NotFound");
    assert_status(&emu.call("GET", "/api/v1/widgets", None, ""), 404, "NotFound");
    assert_status(&emu.call("GET", "/apis/apps/v1/namespaces/default/deployments/a/b/c/d", None, ""), 404, "NotFound");
    assert_status(&emu.call("GET", "/apis/apps/v1/deployments/no-namespace", None, ""), 404, "NotFound");
    assert_status(&emu.call("GET", "/openapi/v3", None, ""), 404, "NotFound");
    assert_status(&emu.call("POST", "/api", None, ""), 405, "MethodNotAllowed");
    assert_status(&emu.call("PUT", "/api/v1/namespaces/default/configmaps", None, "{}"), 405, "MethodNotAllowed");
    assert_status(&emu.call("GET", "/api/v1/configmaps?watch=true", None, ""), 405, "MethodNotAllowed");
    assert_status(
        &emu.call("PUT", "/api/v1/namespaces/default/configmaps/none", Some("application/json"), "{}"),
        404,
        "NotFound",
    );
    let json_patch = r#"[{"op":"replace","path":"/nope/x","value":1}]"#;
    let reply = emu.call("PATCH", "/api/v1/namespaces/default", Some("application/json-patch+json"), json_patch);
    assert_status(&reply, 422, "Invalid");
    assert_status(
        &emu.call("POST", "/api/v1/namespaces/default/configmaps", Some("application/json"), r#"{"kind":"ConfigMap"}"#),
        422,
        "Invalid",
    );
    let cm = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"}}"#;
    assert_eq!(emu.call("POST", "/api/v1/namespaces/default/configmaps", Some("application/json"), cm).status, 201);
    assert_status(
        &emu.call("POST", "/api/v1/namespaces/default/configmaps", Some("application/json"), cm),
        409,
        "AlreadyExists",
    );
    assert_eq!(emu.call("GET", "/version", None, "").status, 200);
}

/// Every object archctl renders for the example project goes through kubectl
/// into the emulator and back.
#[test]
fn the_archivist_render_applies_cleanly() {
    let project = Project::archivist();
    let render = project.run(&["render"]).success();
    let objects = render.docs().len();
    std::fs::write(project.path().join("all.yaml"), &render.stdout).unwrap();
    let emu = Emulator::start();
    let args = ["apply", "--server-side", "--validate=false", "-f", "all.yaml"];
    let out = emu.kubectl(project.path(), &args).success().stdout;
    assert_eq!(out.lines().filter(|l| l.ends_with(" serverside-applied")).count(), objects, "{out}");
    assert_eq!(emu.objects().len(), objects + 4);
    let diff = emu.kubectl(project.path(), &["diff", "--server-side", "-f", "all.yaml"]);
    assert_eq!(diff.code, 0, "{}\n{}", diff.stdout, diff.stderr);
    let all = kubectl_json(emu.kubectl(project.path(), &["get", "deploy,sts,svc,job,cronjob", "-A", "-o", "json"]));
    for item in all["items"].as_array().unwrap() {
        assert!(item["metadata"]["uid"].is_string(), "{item}");
        assert!(item["apiVersion"].is_string() && item["kind"].is_string(), "{item}");
    }
}

#[test]
fn update_patch_and_status_requests() {
    let emu = Emulator::start();
    let path = "/apis/apps/v1/namespaces/default/deployments/web";
    assert_eq!(apply(&emu, path, "fieldManager=archctl", &deployment("web", "web", "nginx:1")).status, 201);

    // JSON patch (RFC 6902) on the main resource.
    let ops = r#"[{"op":"add","path":"/metadata/labels/extra","value":"1"},{"op":"replace","path":"/spec/replicas","value":4}]"#;
    let reply = emu.call("PATCH", &format!("{path}?fieldManager=ops"), Some("application/json-patch+json"), ops);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let d = reply.json();
    assert_eq!((&d["metadata"]["labels"]["extra"], &d["spec"]["replicas"]), (&json!("1"), &json!(4)));
    assert_eq!(d["status"]["replicas"], 4);
    let ops_manager =
        d["metadata"]["managedFields"].as_array().unwrap().iter().find(|m| m["manager"] == "ops").unwrap();
    assert_eq!(ops_manager["operation"], "Update");
    assert_eq!(
        ops_manager["fieldsV1"],
        json!({"f:metadata": {"f:labels": {"f:extra": {}}}, "f:spec": {"f:replicas": {}}})
    );

    // A status patch changes only the status; a main-resource patch cannot.
    let status = r#"{"status":{"readyReplicas":0},"spec":{"replicas":9}}"#;
    let reply = emu.call("PATCH", &format!("{path}/status"), Some("application/merge-patch+json"), status);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!((&reply.json()["status"]["readyReplicas"], &reply.json()["spec"]["replicas"]), (&json!(0), &json!(4)));
    let reply = emu.call("PATCH", path, Some("application/merge-patch+json"), r#"{"status":{"replicas":7}}"#);
    assert_eq!(reply.json()["status"]["replicas"], 4);
    assert_eq!(emu.call("GET", &format!("{path}/status"), None, "").json()["kind"], "Deployment");
    assert_status(&emu.call("GET", &format!("{path}/scale"), None, ""), 404, "NotFound");

    // PUT replaces the object and keeps its identity.
    let mut live = emu.call("GET", path, None, "").json();
    let uid = live["metadata"]["uid"].clone();
    live["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:2");
    let reply = emu.call("PUT", path, Some("application/json"), &live.to_string());
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["metadata"]["uid"], uid);
    assert_eq!(reply.json()["metadata"]["generation"], 3);
    let status = assert_status(&emu.call("PUT", path, Some("application/json"), &live.to_string()), 409, "Conflict");
    assert!(status["message"].as_str().unwrap().contains("the object has been modified"), "{status}");

    // POST with generateName.
    let body = r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"run-"}}"#;
    let reply = emu.call("POST", "/api/v1/namespaces/default/configmaps", Some("application/json"), body);
    assert_eq!(reply.status, 201, "{}", reply.body);
    let name = reply.json()["metadata"]["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("run-") && name.len() == 9, "{name}");
    assert_eq!(reply.json()["metadata"]["managedFields"], Value::Null, "no field was set");
    assert_eq!(emu.call("DELETE", &format!("/api/v1/namespaces/default/configmaps/{name}"), None, "").status, 200);
    assert_status(
        &emu.call("DELETE", &format!("/api/v1/namespaces/default/configmaps/{name}"), None, ""),
        404,
        "NotFound",
    );

    // Deleting a namespace deletes what is in it.
    emu.call("DELETE", "/api/v1/namespaces/default", None, "");
    assert!(emu.object("Deployment", Some("default"), "web").is_none());
}
