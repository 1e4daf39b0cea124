//! The less common objects and settings, each rendered and validated:
//! storage classes, quotas and limit ranges, service accounts, spread and
//! required anti-affinity, sleep hooks, ExternalSecret v1, sidecars.

use serde_json::json;

use crate::schema::validate;
use crate::support::{Project, find};

const ALL: &str = r#"
[project]
name = "lab"
annotations = { "example.com/owner" = "platform" }

[namespaces.lab]
quota = { "requests.cpu" = "8", "limits.memory" = "32768Mi", pods = 50 }
limits = { default = { cpu = "500m", memory = "512Mi" }, default_request = { cpu = "100m", memory = "128Mi" }, max = { memory = "8Gi" } }

[storage_classes.fast]
class = "fast-ssd"
provisioner = "ebs.csi.aws.com"
parameters = { type = "gp3", iops = "6000" }
reclaim_policy = "Retain"
volume_binding_mode = "WaitForFirstConsumer"
allow_volume_expansion = true

[secret_stores.vault]
kind = "ClusterSecretStore"
name = "vault-backend"
api_version = "v1"

[secrets.db]
store = "vault"
remote = "lab/db"
keys = ["user", "password"]

[secrets.tokens]
store = "vault"
remote = "lab/tokens"

[services.api]
kind = "statefulset"
replicas = 3
service_account = { automount_token = true, annotations = { "eks.amazonaws.com/role-arn" = "arn:aws:iam::1:role/lab" } }
placement = { anti_affinity = "required", anti_affinity_scope = "zone", spread = [{ across = "hostname", max_skew = 2, when_unsatisfiable = "DoNotSchedule" }], tolerations = [{ key = "dedicated", value = "lab", effect = "NoSchedule" }], priority_class = "high" }
security = { read_only_root_filesystem = false, add_capabilities = ["NET_BIND_SERVICE"] }
strategy = { max_surge = "25%" }

[services.api.container]
image = "api:2"
ports = { http = 80, metrics = { port = 9090, expose = true } }
pre_stop = 10
env = { USER = { secret = "db", key = "user" }, POD = { field = "metadata.name" }, MEM = { resource = "limits.memory" } }
probes = { startup = { tcp = true, port = "http", failure_threshold = 30 }, liveness = { grpc = true, port = "metrics" } }

[services.api.volumes.data]
mount = "/var/lib/api"
size = "20Gi"
storage_class = "fast"

[[services.api.sidecars]]
name = "proxy"
image = "envoy:1.30"
ports = { admin = 9901 }
resources = "small"
volume_mounts = { data = "/data" }
"#;

#[test]
fn every_setting_renders_valid_objects() {
    let p = Project::with(ALL);
    // strategy is for deployments: the statefulset rejects it
    p.run(&["render"]).user_error().stderr_has("`strategy` does not apply to a statefulset");
    std::fs::write(p.path().join("archctl.toml"), ALL.replace("strategy = { max_surge = \"25%\" }\n", "")).unwrap();
    let run = p.run(&["render"]).success();
    validate(&run.stdout, "features");
    let docs = run.docs();

    let sc = find(&docs, "StorageClass", None, "fast-ssd");
    assert_eq!(sc["provisioner"], "ebs.csi.aws.com");
    assert_eq!(sc["reclaimPolicy"], "Retain");
    assert_eq!(sc["volumeBindingMode"], "WaitForFirstConsumer");
    assert_eq!(sc["parameters"], json!({"iops": "6000", "type": "gp3"}));
    let sts = find(&docs, "StatefulSet", Some("lab"), "api");
    assert_eq!(sts["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"], "fast-ssd");

    let quota = find(&docs, "ResourceQuota", Some("lab"), "quota");
    assert_eq!(quota["spec"]["hard"], json!({"limits.memory": "32Gi", "pods": "50", "requests.cpu": "8"}));
    let lr = find(&docs, "LimitRange", Some("lab"), "limits");
    assert_eq!(lr["spec"]["limits"][0]["default"], json!({"cpu": "500m", "memory": "512Mi"}));
    assert_eq!(lr["spec"]["limits"][0]["type"], "Container");

    let sa = find(&docs, "ServiceAccount", Some("lab"), "api");
    assert_eq!(sa["automountServiceAccountToken"], true);
    assert_eq!(sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"], "arn:aws:iam::1:role/lab");
    assert_eq!(sa["metadata"]["annotations"]["example.com/owner"], "platform");

    let pod = &sts["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "api");
    assert_eq!(pod["automountServiceAccountToken"], true);
    assert_eq!(pod["priorityClassName"], "high");
    assert_eq!(
        pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]["topologyKey"],
        "topology.kubernetes.io/zone"
    );
    assert_eq!(
        pod["topologySpreadConstraints"][0],
        json!({"maxSkew": 2, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
               "labelSelector": {"matchLabels": {"app.kubernetes.io/instance": "lab", "app.kubernetes.io/name": "api"}}})
    );
    assert_eq!(pod["tolerations"], json!([{"key": "dedicated", "value": "lab", "effect": "NoSchedule"}]));
    let main = &pod["containers"][0];
    assert_eq!(main["lifecycle"], json!({"preStop": {"sleep": {"seconds": 10}}}));
    assert_eq!(main["securityContext"]["capabilities"], json!({"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]}));
    assert_eq!(main["startupProbe"]["tcpSocket"], json!({"port": "http"}));
    // gRPC probes need a number: the port name is looked up
    assert_eq!(main["livenessProbe"]["grpc"], json!({"port": 9090}));
    let env: Vec<&str> = main["env"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(env, ["USER", "POD", "MEM"]);
    assert_eq!(main["env"][1]["valueFrom"], json!({"fieldRef": {"fieldPath": "metadata.name"}}));
    // no read-only root: no extra /tmp
    assert!(pod["volumes"].is_null(), "{}", pod["volumes"]);
    let proxy = &pod["containers"][1];
    assert_eq!(proxy["name"], "proxy");
    assert_eq!(proxy["volumeMounts"], json!([{"mountPath": "/data", "name": "data"}]));
    assert_eq!(proxy["resources"]["limits"]["memory"], "4Gi");
    // the Service gathers both containers' ports
    let svc = find(&docs, "Service", Some("lab"), "api");
    let names: Vec<&str> =
        svc["spec"]["ports"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["http", "metrics", "admin"]);

    let db = find(&docs, "ExternalSecret", Some("lab"), "db");
    assert_eq!(db["apiVersion"], "external-secrets.io/v1");
    assert_eq!(db["spec"]["secretStoreRef"], json!({"name": "vault-backend", "kind": "ClusterSecretStore"}));
    assert_eq!(
        db["spec"]["data"][1],
        json!({"secretKey": "password", "remoteRef": {"key": "lab/db", "property": "password"}})
    );
    let tokens = find(&docs, "ExternalSecret", Some("lab"), "tokens");
    assert_eq!(tokens["spec"]["dataFrom"], json!([{"extract": {"key": "lab/tokens"}}]));
}

#[test]
fn a_secret_from_an_undeclared_store_is_an_error() {
    let topo = ALL.replace("store = \"vault\"\nremote = \"lab/db\"", "store = \"valut\"\nremote = \"lab/db\"");
    Project::with(&topo)
        .run(&["render"])
        .user_error()
        .stderr_has("error[E041]: secret store `valut` is not declared")
        .stderr_has("[secret_stores.valut]");
}

#[test]
fn sidecar_port_names_must_not_clash_with_the_main_container() {
    let topo = ALL.replace("ports = { admin = 9901 }", "ports = { http = 9901 }");
    Project::with(&topo)
        .run(&["render"])
        .user_error()
        .stderr_has("error[E021]: port name `http` is used by two containers of `api`");
}
