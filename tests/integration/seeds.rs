//! The two further seed systems render the objects of their guides
//! (../shared/seeds/percolate-reading.md, semantic-explorer.md).

use serde_json::{Value, json};

use crate::support::{Project, find, repo};

fn render(example: &str, profile: &str) -> Vec<Value> {
    let topo = repo().join("examples").join(example).join("archctl.toml");
    Project::new().run(&["-f", topo.to_str().unwrap(), "render", "--profile", profile]).success().docs()
}

fn container(doc: &Value) -> &Value {
    &doc["spec"]["template"]["spec"]["containers"][0]
}

fn env(c: &Value, name: &str) -> Value {
    c["env"].as_array().unwrap().iter().find(|e| e["name"] == name).cloned().unwrap_or(Value::Null)
}

#[test]
fn percolate_gateway_matches_the_guide() {
    let docs = render("percolate-reading", "production");
    let gw = find(&docs, "Deployment", Some("percolate"), "percolate-reading-gateway");
    assert_eq!(gw["spec"]["replicas"], 3);
    assert_eq!(gw["metadata"]["labels"]["component"], "gateway");
    let c = container(gw);
    assert_eq!(c["name"], "gateway");
    assert_eq!(c["imagePullPolicy"], "IfNotPresent");
    assert_eq!(c["ports"], json!([{"containerPort": 8001, "name": "http"}]));
    assert_eq!(
        c["resources"],
        json!({"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}})
    );
    assert_eq!(
        c["livenessProbe"],
        json!({"httpGet": {"path": "/health", "port": 8001}, "initialDelaySeconds": 10, "periodSeconds": 10})
    );
    assert_eq!(
        c["readinessProbe"],
        json!({"httpGet": {"path": "/health", "port": 8001}, "initialDelaySeconds": 5, "periodSeconds": 5})
    );
    assert_eq!(env(c, "PERCOLATE_READING_NATS_URL")["value"], "nats://nats.percolate.svc:4222");
    assert_eq!(
        env(c, "PERCOLATE_READING_S3_ACCESS_KEY")["valueFrom"]["secretKeyRef"],
        json!({"name": "s3-credentials", "key": "access-key"})
    );
    let svc = find(&docs, "Service", Some("percolate"), "percolate-reading-gateway");
    assert_eq!(svc["spec"]["type"], "ClusterIP");
    assert_eq!(svc["spec"]["ports"], json!([{"name": "http", "port": 8001, "targetPort": "http"}]));
    let np = find(&docs, "NetworkPolicy", Some("percolate"), "gateway-ingress");
    assert_eq!(
        np["spec"]["ingress"][0]["from"],
        json!([{"namespaceSelector": {"matchLabels": {"name": "ingress-nginx"}}}])
    );
    assert_eq!(np["spec"]["policyTypes"], json!(["Ingress"]));
}

#[test]
fn percolate_worker_pools_scale_to_zero_on_their_own_consumers() {
    let docs = render("percolate-reading", "production");
    for (pool, max, cpu_req, mem_lim, device) in
        [("small", 50, "1", "4Gi", "cpu"), ("large", 10, "2", "16Gi", "cpu"), ("gpu", 5, "4", "32Gi", "cuda")]
    {
        let name = format!("percolate-reading-workers-{pool}");
        let d = find(&docs, "Deployment", Some("percolate"), &name);
        assert!(d["spec"].get("replicas").is_none(), "{name}: KEDA owns replicas");
        let c = container(d);
        assert_eq!(c["name"], "worker");
        assert!(c.get("ports").is_none() && c.get("livenessProbe").is_none(), "workers have no ports or probes");
        assert_eq!(c["resources"]["requests"]["cpu"], cpu_req, "{name}");
        assert_eq!(c["resources"]["limits"]["memory"], mem_lim, "{name}");
        assert_eq!(env(c, "PERCOLATE_READING_DEVICE")["value"], device);
        assert_eq!(env(c, "PERCOLATE_READING_NATS_QUEUE_SUBJECT")["value"], format!("jobs.parse.{pool}"));
        let so = find(&docs, "ScaledObject", Some("percolate"), &name);
        assert_eq!(so["spec"]["scaleTargetRef"]["name"], name.as_str());
        assert_eq!(so["spec"]["minReplicaCount"], 0);
        assert_eq!(so["spec"]["maxReplicaCount"], max);
        assert_eq!(so["spec"]["pollingInterval"], 10);
        assert_eq!(so["spec"]["cooldownPeriod"], 60);
        assert_eq!(
            so["spec"]["triggers"],
            json!([{"type": "nats-jetstream", "metadata": {
                "natsServerMonitoringEndpoint": "nats.percolate.svc:8222", "stream": "JOBS",
                "consumer": format!("parse-workers-{pool}"), "lagThreshold": "5", "activationLagThreshold": "1"
            }}])
        );
        let pod = &d["spec"]["template"]["spec"];
        if pool == "gpu" {
            assert_eq!(c["resources"]["limits"]["nvidia.com/gpu"], "1");
            assert_eq!(
                pod["tolerations"],
                json!([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}])
            );
            assert_eq!(pod["nodeSelector"], json!({"nvidia.com/gpu.present": "true"}));
        } else {
            assert!(pod.get("tolerations").is_none() && pod.get("nodeSelector").is_none(), "{name}");
        }
    }
}

#[test]
fn percolate_nats_is_a_headless_jetstream_statefulset() {
    let docs = render("percolate-reading", "production");
    let svc = find(&docs, "Service", Some("percolate"), "nats");
    assert_eq!(svc["spec"]["clusterIP"], "None");
    let ports: Vec<(&str, i64)> = svc["spec"]["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["port"].as_i64().unwrap()))
        .collect();
    assert_eq!(ports, [("client", 4222), ("monitoring", 8222), ("cluster", 6222)]);
    let sts = find(&docs, "StatefulSet", Some("percolate"), "nats");
    assert_eq!(sts["spec"]["replicas"], 3);
    assert_eq!(sts["spec"]["serviceName"], "nats");
    let args = container(sts)["args"].as_array().unwrap();
    for a in ["--jetstream", "--store_dir=/data", "--cluster_name=percolate", "--http_port=8222"] {
        assert!(args.contains(&json!(a)), "{a}");
    }
    let vct = &sts["spec"]["volumeClaimTemplates"][0];
    assert_eq!(vct["metadata"]["name"], "data");
    assert_eq!(vct["spec"]["resources"]["requests"]["storage"], "10Gi");
    assert_eq!(vct["spec"]["storageClassName"], "gp3");
    // without a profile the guide's cluster default class applies
    let topo = repo().join("examples/percolate-reading/archctl.toml");
    let base = Project::new().run(&["-f", topo.to_str().unwrap(), "render"]).success().docs();
    let vct = &find(&base, "StatefulSet", Some("percolate"), "nats")["spec"]["volumeClaimTemplates"][0];
    assert!(vct["spec"].get("storageClassName").is_none());
}

#[test]
fn semantic_explorer_matches_the_guides_values() {
    let docs = render("semantic-explorer", "production");
    let api = find(&docs, "Deployment", Some("semantic-explorer"), "semantic-explorer-api");
    let pod = &api["spec"]["template"]["spec"];
    let c = container(api);
    assert_eq!(c["name"], "api");
    assert_eq!(
        c["resources"],
        json!({"requests": {"cpu": "2", "memory": "2Gi"}, "limits": {"cpu": "4", "memory": "8Gi"}})
    );
    assert_eq!(
        c["livenessProbe"],
        json!({"httpGet": {"path": "/health/live", "port": 8080}, "initialDelaySeconds": 30, "periodSeconds": 10, "failureThreshold": 3})
    );
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/health/ready");
    assert_eq!(c["lifecycle"], json!({"preStop": {"exec": {"command": ["/bin/sh", "-c", "sleep 5"]}}}));
    assert_eq!(env(c, "RUST_LOG")["value"], "warn,semantic_explorer=info");
    assert_eq!(env(c, "DB_MAX_CONNECTIONS")["value"], "20");
    assert_eq!(c["envFrom"], json!([{"configMapRef": {"name": "semantic-explorer-config"}}]));
    assert_eq!(
        pod["securityContext"],
        json!({"runAsNonRoot": true, "runAsUser": 10001, "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}})
    );
    assert_eq!(
        c["securityContext"],
        json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": true})
    );
    assert_eq!(pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["weight"], 100);
    assert_eq!(
        pod["affinity"]["podAntiAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"][0]["podAffinityTerm"]["topologyKey"],
        "kubernetes.io/hostname"
    );

    for (name, min, max) in [
        ("semantic-explorer-api", 3, 10),
        ("semantic-explorer-worker-collections", 3, 10),
        ("semantic-explorer-worker-datasets", 3, 8),
        ("semantic-explorer-worker-visualizations-py", 2, 6),
    ] {
        let hpa = find(&docs, "HorizontalPodAutoscaler", Some("semantic-explorer"), name);
        assert_eq!(
            (hpa["spec"]["minReplicas"].as_i64(), hpa["spec"]["maxReplicas"].as_i64()),
            (Some(min), Some(max)),
            "{name}"
        );
        assert_eq!(hpa["spec"]["metrics"][0]["resource"]["target"]["averageUtilization"], 70);
    }
    for name in ["semantic-explorer-api", "semantic-explorer-worker-collections", "semantic-explorer-worker-datasets"] {
        assert_eq!(find(&docs, "PodDisruptionBudget", Some("semantic-explorer"), name)["spec"]["minAvailable"], 1);
    }
    let datasets = container(find(&docs, "Deployment", Some("semantic-explorer"), "semantic-explorer-worker-datasets"));
    assert_eq!(datasets["resources"]["limits"], json!({"cpu": "4", "memory": "8Gi"}));
    assert_eq!(env(datasets, "MAX_CONCURRENT_JOBS")["value"], "10");

    let viz = find(&docs, "Deployment", Some("semantic-explorer"), "semantic-explorer-worker-visualizations-py");
    assert_eq!(viz["spec"]["template"]["spec"]["terminationGracePeriodSeconds"], 300);
    let vc = container(viz);
    assert_eq!(
        vc["readinessProbe"],
        json!({"httpGet": {"path": "/ready", "port": "health"}, "initialDelaySeconds": 15, "periodSeconds": 5, "failureThreshold": 2})
    );
    assert_eq!(env(vc, "MAX_CONCURRENT_JOBS")["value"], "3");
    assert!(docs.iter().all(|d| !(d["kind"] == "Service" && d["metadata"]["name"] == "semantic-explorer-worker-visualizations-py")));

    let es = find(&docs, "ExternalSecret", Some("semantic-explorer"), "semantic-explorer-secrets");
    // v1 by default: external-secrets 0.17 and later serve nothing else
    assert_eq!(es["apiVersion"], "external-secrets.io/v1");
    assert_eq!(es["spec"]["secretStoreRef"], json!({"name": "aws-secrets", "kind": "SecretStore"}));
    assert_eq!(es["spec"]["target"], json!({"name": "semantic-explorer-secrets", "creationPolicy": "Owner"}));
    assert_eq!(
        es["spec"]["data"][0],
        json!({"secretKey": "encryption-master-key", "remoteRef": {"key": "semantic-explorer/encryption-key"}})
    );

    let deny = find(&docs, "NetworkPolicy", Some("semantic-explorer"), "default-deny");
    assert_eq!(deny["spec"], json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}));
    let internet = find(&docs, "NetworkPolicy", Some("semantic-explorer"), "semantic-explorer-allow-internet");
    assert_eq!(internet["spec"]["egress"], json!([{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]));
}

#[test]
fn semantic_explorer_dev_profile_switches_features_off() {
    let docs = render("semantic-explorer", "dev");
    for kind in ["HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"] {
        assert!(docs.iter().all(|d| d["kind"] != kind), "dev renders no {kind}");
    }
    let api = find(&docs, "Deployment", Some("semantic-explorer"), "semantic-explorer-api");
    assert_eq!(api["spec"]["replicas"], 1);
    assert_eq!(env(container(api), "RUST_LOG")["value"], "info,semantic_explorer=debug");
}
