//! `archctl render`: the Archivist system, output forms and determinism.

use serde_json::{Value, json};

use crate::support::{Project, find};

/// Guide: ../shared/seeds/archivist.md. Production is phase2.
#[test]
fn production_renders_the_archivist_guide() {
    let run = Project::archivist().run(&["render", "--profile", "production"]).success();
    let docs = run.docs();

    let mut kinds: Vec<String> = docs
        .iter()
        .map(|d| {
            format!(
                "{} {}/{}",
                d["kind"].as_str().unwrap(),
                d["metadata"]["namespace"].as_str().unwrap_or("-"),
                d["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    let expected = [
        "Namespace -/archivist",
        "Namespace -/archivist-data",
        "NetworkPolicy archivist/rag-api-policy",
        "ResourceQuota archivist/quota",
        "PodDisruptionBudget archivist/rag-api",
        "ConfigMap archivist/archivist-config",
        "PersistentVolumeClaim archivist/latex-output-pvc",
        "PersistentVolumeClaim archivist/pdf-input-pvc",
        "Service archivist/graph-service",
        "Service archivist/rag-api",
        "Service archivist-data/neo4j",
        "Service archivist-data/qdrant",
        "Service archivist-data/redis",
        "Deployment archivist/graph-service",
        "Deployment archivist/rag-api",
        "HorizontalPodAutoscaler archivist/rag-api-hpa",
        "StatefulSet archivist-data/neo4j",
        "StatefulSet archivist-data/qdrant",
        "StatefulSet archivist-data/redis",
        "Job archivist/pdf-processor-batch",
        "CronJob archivist/index-rebuild",
        "Ingress archivist/archivist-ingress",
        "ServiceMonitor archivist/archivist-metrics",
        "VerticalPodAutoscaler archivist/rag-api-vpa",
    ];
    assert_eq!(kinds, expected, "objects in apply order");
    kinds.sort();

    // rag-api: the HPA owns its replicas; port, probes, secret env, resources
    let api = find(&docs, "Deployment", Some("archivist"), "rag-api");
    assert!(api["spec"].get("replicas").is_none(), "an autoscaled deployment leaves replicas to the HPA");
    let hpa = find(&docs, "HorizontalPodAutoscaler", Some("archivist"), "rag-api-hpa");
    assert_eq!(
        hpa["spec"],
        json!({
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "rag-api"},
            "minReplicas": 2,
            "maxReplicas": 10,
            "metrics": [
                {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}},
                {"type": "Resource", "resource": {"name": "memory", "target": {"type": "Utilization", "averageUtilization": 80}}}
            ],
            "behavior": {
                "scaleDown": {"stabilizationWindowSeconds": 300, "policies": [{"type": "Percent", "value": 10, "periodSeconds": 60}]},
                "scaleUp": {"stabilizationWindowSeconds": 0, "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}]}
            }
        })
    );
    let vpa = find(&docs, "VerticalPodAutoscaler", Some("archivist"), "rag-api-vpa");
    assert_eq!(
        vpa["spec"],
        json!({
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "rag-api"},
            "updatePolicy": {"updateMode": "Auto"},
            "resourcePolicy": {"containerPolicies": [{
                "containerName": "rag-api",
                "minAllowed": {"cpu": "100m", "memory": "256Mi"},
                "maxAllowed": {"cpu": "4", "memory": "8Gi"}
            }]}
        })
    );
    let sm = find(&docs, "ServiceMonitor", Some("archivist"), "archivist-metrics");
    assert_eq!(sm["spec"]["endpoints"], json!([{"port": "http", "path": "/metrics", "interval": "30s"}]));
    let rag_svc = find(&docs, "Service", Some("archivist"), "rag-api");
    for (k, v) in sm["spec"]["selector"]["matchLabels"].as_object().unwrap() {
        assert_eq!(&rag_svc["metadata"]["labels"][k], v, "the ServiceMonitor selects the rag-api Service");
    }
    let ing = find(&docs, "Ingress", Some("archivist"), "archivist-ingress");
    assert_eq!(ing["metadata"]["annotations"]["cert-manager.io/cluster-issuer"], "letsencrypt-prod");
    assert_eq!(ing["metadata"]["annotations"]["nginx.ingress.kubernetes.io/rewrite-target"], "/");
    assert_eq!(
        ing["spec"],
        json!({
            "ingressClassName": "nginx",
            "tls": [{"hosts": ["api.archivist.example.com"], "secretName": "archivist-tls"}],
            "rules": [{"host": "api.archivist.example.com", "http": {"paths": [
                {"path": "/rag", "pathType": "Prefix", "backend": {"service": {"name": "rag-api", "port": {"number": 8000}}}},
                {"path": "/graph", "pathType": "Prefix", "backend": {"service": {"name": "graph-service", "port": {"number": 8081}}}}
            ]}}]
        })
    );
    let np = find(&docs, "NetworkPolicy", Some("archivist"), "rag-api-policy");
    assert_eq!(np["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
    assert_eq!(
        np["spec"]["ingress"],
        json!([{"from": [{"namespaceSelector": {"matchLabels": {"name": "ingress-nginx"}}}], "ports": [{"port": 8000}]}])
    );
    let egress = np["spec"]["egress"].as_array().unwrap();
    assert_eq!(egress[0], json!({"to": [{"namespaceSelector": {"matchLabels": {"app": "archivist"}}}]}));
    assert_eq!(egress[1], json!({"to": [{"namespaceSelector": {"matchLabels": {"tier": "data"}}}]}));
    assert_eq!(egress[2], json!({"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]}));
    assert_eq!(egress[3]["ports"], json!([{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]));
    assert_eq!(np["spec"]["podSelector"], api["spec"]["selector"]);
    let pdb = find(&docs, "PodDisruptionBudget", Some("archivist"), "rag-api");
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    let c = &api["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["name"], "rag-api");
    assert_eq!(c["image"], "123456789012.dkr.ecr.eu-west-1.amazonaws.com/archivist/rag-api:1.4.2");
    assert_eq!(c["ports"], json!([{"containerPort": 8000, "name": "http"}]));
    assert_eq!(c["livenessProbe"]["httpGet"], json!({"path": "/health", "port": "http"}));
    assert_eq!(c["livenessProbe"]["initialDelaySeconds"], 30);
    assert_eq!(c["readinessProbe"]["periodSeconds"], 5);
    assert_eq!(c["resources"]["requests"], json!({"cpu": "250m", "memory": "512Mi"}));
    // production raises the memory limit; 1000m is written canonically
    assert_eq!(c["resources"]["limits"], json!({"cpu": "1", "memory": "4Gi"}));
    let gemini = c["env"].as_array().unwrap().iter().find(|e| e["name"] == "GEMINI_API_KEY").unwrap();
    assert_eq!(gemini["valueFrom"]["secretKeyRef"], json!({"name": "archivist-secrets", "key": "gemini-api-key"}));
    let env_names: Vec<&str> = c["env"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(env_names, ["GEMINI_API_KEY", "QDRANT_HOST", "QDRANT_PORT", "REDIS_HOST", "NEO4J_URI"]);

    let graph = find(&docs, "Deployment", Some("archivist"), "graph-service");
    assert_eq!(graph["spec"]["replicas"], 2);
    let gc = &graph["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(gc["resources"]["limits"], json!({"cpu": "500m", "memory": "1Gi"}));
    assert_eq!(gc["ports"][0]["containerPort"], 8081);

    // neo4j: statefulset, headless service, claim templates with classes and phase2 size
    let neo = find(&docs, "StatefulSet", Some("archivist-data"), "neo4j");
    assert_eq!(neo["spec"]["serviceName"], "neo4j");
    assert_eq!(neo["spec"]["replicas"], 1);
    let vct = neo["spec"]["volumeClaimTemplates"].as_array().unwrap();
    assert_eq!(vct.len(), 2);
    assert_eq!(vct[0]["metadata"]["name"], "neo4j-data");
    assert_eq!(vct[0]["spec"]["storageClassName"], "gp3");
    assert_eq!(vct[0]["spec"]["resources"]["requests"]["storage"], "200Gi");
    assert_eq!(vct[0]["spec"]["accessModes"], json!(["ReadWriteOnce"]));
    assert_eq!(vct[1]["metadata"]["name"], "neo4j-logs");
    assert_eq!(vct[1]["spec"]["storageClassName"], "efs-sc");
    assert_eq!(vct[1]["spec"]["resources"]["requests"]["storage"], "10Gi");
    let nc = &neo["spec"]["template"]["spec"]["containers"][0];
    // neo4j opts out of the read-only root, so it gets no extra /tmp
    assert_eq!(
        nc["volumeMounts"],
        json!([{"mountPath": "/data", "name": "neo4j-data"}, {"mountPath": "/logs", "name": "neo4j-logs"}])
    );
    assert_eq!(nc["securityContext"]["readOnlyRootFilesystem"], false);
    assert_eq!(nc["resources"]["limits"]["cpu"], "2");
    let neo_svc = find(&docs, "Service", Some("archivist-data"), "neo4j");
    assert_eq!(neo_svc["spec"]["clusterIP"], "None");
    let ports: Vec<i64> =
        neo_svc["spec"]["ports"].as_array().unwrap().iter().map(|p| p["port"].as_i64().unwrap()).collect();
    assert_eq!(ports, [7474, 7687]);

    let qdrant = find(&docs, "StatefulSet", Some("archivist-data"), "qdrant");
    assert_eq!(qdrant["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"], "500Gi");
    let redis = find(&docs, "StatefulSet", Some("archivist-data"), "redis");
    let rc = &redis["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(rc["livenessProbe"]["exec"]["command"], json!(["redis-cli", "ping"]));
    assert_eq!(rc["command"][0], "redis-server");

    // the batch job and its shared RWX claims
    let job = find(&docs, "Job", Some("archivist"), "pdf-processor-batch");
    assert_eq!(job["spec"]["parallelism"], 4);
    assert_eq!(job["spec"]["completions"], 10);
    assert_eq!(job["spec"]["backoffLimit"], 3);
    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "OnFailure");
    assert_eq!(pod["containers"][0]["name"], "processor");
    assert_eq!(pod["containers"][0]["command"], json!(["./archivist", "process", "--batch"]));
    // the guide's claims, plus a writable /tmp under the read-only root
    assert_eq!(
        pod["volumes"],
        json!([
            {"name": "pdf-storage", "persistentVolumeClaim": {"claimName": "pdf-input-pvc"}},
            {"name": "output-storage", "persistentVolumeClaim": {"claimName": "latex-output-pvc"}},
            {"name": "tmp", "emptyDir": {}}
        ])
    );
    assert_eq!(
        pod["containers"][0]["securityContext"],
        json!({"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": true})
    );
    assert_eq!(
        pod["securityContext"],
        json!({"runAsNonRoot": true, "runAsUser": 10001, "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}})
    );
    assert_eq!(pod["automountServiceAccountToken"], false);
    let pvc = find(&docs, "PersistentVolumeClaim", Some("archivist"), "pdf-input-pvc");
    assert_eq!(pvc["spec"]["accessModes"], json!(["ReadWriteMany"]));
    assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "100Gi");

    let cron = find(&docs, "CronJob", Some("archivist"), "index-rebuild");
    assert_eq!(cron["spec"]["schedule"], "0 2 * * *");
    assert_eq!(cron["spec"]["concurrencyPolicy"], "Forbid");
    let ic = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(ic["name"], "indexer");
    assert_eq!(ic["resources"]["limits"], json!({"cpu": "2", "memory": "8Gi"}));

    let cm = find(&docs, "ConfigMap", Some("archivist"), "archivist-config");
    assert!(cm["data"]["config.yaml"].as_str().unwrap().contains("collection_name: \"archivist_papers\""));

    // no Secret values: secrets are only referenced
    assert!(docs.iter().all(|d| d["kind"] != "Secret"));
}

#[test]
fn every_object_carries_the_recommended_labels_and_selectors_use_a_stable_subset() {
    let docs = Project::archivist().run(&["render", "--profile", "staging"]).success().docs();
    for d in &docs {
        let labels = &d["metadata"]["labels"];
        for key in ["name", "instance", "component", "part-of", "version", "managed-by"] {
            assert!(
                labels[format!("app.kubernetes.io/{key}")].is_string(),
                "{} {} lacks app.kubernetes.io/{key}",
                d["kind"],
                d["metadata"]["name"]
            );
        }
        assert_eq!(labels["app.kubernetes.io/managed-by"], "archctl");
        assert_eq!(labels["app.kubernetes.io/part-of"], "archivist");
    }
    let api = find(&docs, "Deployment", Some("archivist"), "rag-api");
    assert_eq!(
        api["spec"]["selector"]["matchLabels"],
        json!({"app.kubernetes.io/instance": "archivist", "app.kubernetes.io/name": "rag-api"})
    );
    assert_eq!(api["metadata"]["labels"]["app.kubernetes.io/version"], "1.5.0-rc.2");
    let svc = find(&docs, "Service", Some("archivist"), "rag-api");
    assert_eq!(svc["spec"]["selector"], api["spec"]["selector"]["matchLabels"]);
}

#[test]
fn profiles_differ_in_phase_replicas_tags_and_storage() {
    let p = Project::archivist();
    let get = |profile: &str| p.run(&["render", "--profile", profile]).success().docs();
    let (dev, staging, prod) = (get("dev"), get("staging"), get("production"));
    // dev runs without autoscalers and pins replicas; staging and
    // production let the HPA scale within the phase's bounds
    let replicas = |docs: &[Value]| find(docs, "Deployment", Some("archivist"), "rag-api")["spec"]["replicas"].clone();
    assert_eq!((replicas(&dev), replicas(&staging), replicas(&prod)), (json!(1), Value::Null, Value::Null));
    assert!(dev.iter().all(|d| d["kind"] != "HorizontalPodAutoscaler" && d["kind"] != "NetworkPolicy"));
    let bounds = |docs: &[Value]| {
        let h = find(docs, "HorizontalPodAutoscaler", Some("archivist"), "rag-api-hpa");
        (h["spec"]["minReplicas"].clone(), h["spec"]["maxReplicas"].clone())
    };
    assert_eq!(bounds(&staging), (json!(2), json!(6)));
    assert_eq!(bounds(&prod), (json!(2), json!(10)));
    let class = |docs: &[Value]| {
        find(docs, "StatefulSet", Some("archivist-data"), "qdrant")["spec"]["volumeClaimTemplates"][0]["spec"]
            ["storageClassName"]
            .clone()
    };
    assert_eq!((class(&dev), class(&staging), class(&prod)), (json!("standard"), json!("gp3"), json!("gp3")));
    // dev renders placeholder secrets, and only there
    let secret = find(&dev, "Secret", Some("archivist"), "archivist-secrets");
    assert_eq!(secret["stringData"]["gemini-api-key"], "REPLACE_ME");
    assert!(staging.iter().chain(&prod).all(|d| d["kind"] != "Secret"));
}

#[test]
fn phase_flag_overrides_the_profile_and_values_hold_until_changed() {
    let p = Project::archivist();
    let docs = p.run(&["render", "--profile", "production", "--phase", "phase3"]).success().docs();
    assert_eq!(find(&docs, "HorizontalPodAutoscaler", Some("archivist"), "rag-api-hpa")["spec"]["maxReplicas"], 20);
    // latex-output-pvc gives pilot and phase2 only: phase3 keeps phase2's size
    let pvc = find(&docs, "PersistentVolumeClaim", Some("archivist"), "latex-output-pvc");
    assert_eq!(pvc["spec"]["resources"]["requests"]["storage"], "50Gi");
    // graph-service gives pilot, phase1, phase3: phase2 keeps phase1's value
    let docs = p.run(&["render", "--phase", "phase2"]).success().docs();
    assert_eq!(find(&docs, "Deployment", Some("archivist"), "graph-service")["spec"]["replicas"], 2);
    let qdrant = find(&docs, "StatefulSet", Some("archivist-data"), "qdrant");
    assert_eq!(qdrant["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"], "500Gi");
}

#[test]
fn two_runs_are_byte_identical() {
    let p = Project::archivist();
    for profile in ["dev", "staging", "production"] {
        let a = p.run(&["render", "--profile", profile]).success();
        let b = p.run(&["render", "--profile", profile]).success();
        assert!(!a.stdout.is_empty());
        assert_eq!(a.stdout, b.stdout, "profile {profile}");
    }
}

#[test]
fn topology_flag_is_global_and_relative_to_the_caller() {
    let p = Project::new();
    let q = Project::archivist();
    let path = q.path().join("archctl.toml");
    let path = path.to_str().unwrap();
    let before = p.run(&["-f", path, "render", "--profile", "dev"]).success();
    let after = p.run(&["render", "--profile", "dev", "--topology", path]).success();
    assert_eq!(before.stdout, after.stdout);
    assert!(before.stdout.contains("kind: StatefulSet"));
}

#[test]
fn json_format_is_a_v1_list_of_the_same_objects() {
    let p = Project::archivist();
    let yaml = p.run(&["render", "--profile", "production"]).success().docs();
    let json = p.run(&["render", "--profile", "production", "--format", "json"]).success();
    let list: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["kind"], "List");
    assert_eq!(list["items"].as_array().unwrap(), &yaml);
}

#[test]
fn out_writes_one_file_per_object_atomically_and_safely() {
    let p = Project::archivist();
    let run = p.run(&["render", "--profile", "production", "--out", "out/production"]).success();
    assert!(run.stdout.is_empty(), "nothing on stdout with --out");
    let stream = p.run(&["render", "--profile", "production"]).success().docs();
    let dir = p.path().join("out/production");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    assert_eq!(names.len(), stream.len());
    assert!(names.contains(&"01-namespace.archivist.yaml".to_string()), "{names:?}");
    assert!(names.contains(&"28-deployment.archivist.rag-api.yaml".to_string()), "{names:?}");
    // the files hold the stream's objects, and name order keeps kinds in
    // apply order (`kubectl apply -f DIR` reads files sorted by name)
    let from_files: Vec<Value> = names
        .iter()
        .flat_map(|n| archctl::api::parse_stream(&std::fs::read_to_string(dir.join(n)).unwrap()).unwrap())
        .collect();
    let kinds =
        |docs: &[Value]| -> Vec<String> { docs.iter().map(|d| d["kind"].as_str().unwrap().to_string()).collect() };
    assert_eq!(kinds(&from_files), kinds(&stream));
    let mut a: Vec<String> = from_files.iter().map(Value::to_string).collect();
    let mut b: Vec<String> = stream.iter().map(Value::to_string).collect();
    a.sort();
    b.sort();
    assert_eq!(a, b);

    // a second render replaces its own files, dropping ones no longer rendered
    std::fs::write(dir.join("99-old.archivist.gone.yaml"), "x").unwrap();
    let refused = p.run(&["render", "--profile", "dev", "--out", "out/production"]);
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("did not write"), "{}", refused.stderr);
    assert!(dir.join("99-old.archivist.gone.yaml").exists(), "refusal leaves the folder intact");
    std::fs::remove_file(dir.join("99-old.archivist.gone.yaml")).unwrap();
    p.run(&["render", "--profile", "dev", "--out", "out/production"]).success();
    assert!(dir.join("08-secret.archivist.archivist-secrets.yaml").exists());

    // --force takes over a folder with foreign files
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    p.run(&["render", "--out", "out/production", "--force"]).success();
    assert!(!dir.join("notes.txt").exists());
    assert!(!dir.join("08-secret.archivist.archivist-secrets.yaml").exists());

    // never a folder that holds the topology, even with --force
    let run = p.run(&["render", "--out", ".", "--force"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("refusing to write into `.`"), "{}", run.stderr);
    let parent = p.path().parent().unwrap().to_str().unwrap().to_string();
    let run = p.run(&["render", "--out", &parent, "--force"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(p.path().join("archctl.toml").exists());

    // a failed render leaves the previous output untouched
    let before = std::fs::read_to_string(dir.join("01-namespace.archivist.yaml")).unwrap();
    let failed = p.run(&["render", "--profile", "nope", "--out", "out/production"]);
    assert_eq!(failed.code, 2);
    assert_eq!(std::fs::read_to_string(dir.join("01-namespace.archivist.yaml")).unwrap(), before);
}

#[test]
fn templates_read_vars_from_topology_and_profile() {
    let p = Project::with(
        r#"
[project]
name = "shop"
[vars]
registry = "ghcr.io/acme"
tag = "1.0"
[services.web]
kind = "deployment"
[services.web.container]
image = "{{ registry }}/web:{{ tag }}"
args = ["--env={{ profile }}"]
"#,
    )
    .file("profiles/prod.toml", "[vars]\ntag = \"2.1\"\n");
    let docs = p.run(&["render", "--profile", "prod"]).success().docs();
    let c = &find(&docs, "Deployment", Some("shop"), "web")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["image"], "ghcr.io/acme/web:2.1");
    assert_eq!(c["args"], json!(["--env=prod"]));
    let docs = p.run(&["render"]).success().docs();
    let c = &find(&docs, "Deployment", Some("shop"), "web")["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["image"], "ghcr.io/acme/web:1.0");
}

#[test]
fn resource_profiles_are_built_in_and_redefinable() {
    let p = Project::with(
        r#"
[project]
name = "ml"
[resource_profiles.large]
requests = { cpu = 3, memory = "12Gi" }
limits = { cpu = 6, memory = "24Gi" }
[services.a]
kind = "deployment"
resources = "small"
container = { image = "a:1" }
[services.b]
kind = "deployment"
resources = "large"
container = { image = "b:1" }
[services.c]
kind = "deployment"
resources = "gpu"
container = { image = "c:1" }
[services.d]
kind = "deployment"
resources = { requests = { cpu = 0.5, memory = "1024Mi" } }
container = { image = "d:1" }
"#,
    );
    let docs = p.run(&["render"]).success().docs();
    let res = |name: &str| {
        find(&docs, "Deployment", Some("ml"), name)["spec"]["template"]["spec"]["containers"][0]["resources"].clone()
    };
    assert_eq!(res("a"), json!({"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}));
    assert_eq!(res("b"), json!({"requests": {"cpu": "3", "memory": "12Gi"}, "limits": {"cpu": "6", "memory": "24Gi"}}));
    assert_eq!(
        res("c"),
        json!({
            "requests": {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"},
            "limits": {"cpu": "8", "memory": "32Gi", "nvidia.com/gpu": "1"}
        })
    );
    assert_eq!(res("d"), json!({"requests": {"cpu": "500m", "memory": "1Gi"}}));
}

#[test]
fn a_closed_stdout_is_not_an_error() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let p = Project::archivist();
    let mut child = Command::new(env!("CARGO_BIN_EXE_archctl"))
        .args(["render", "--profile", "production"])
        .current_dir(p.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    assert!(status.success(), "exit {status:?}, stderr: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// The names in a folder that start with `.out.archctl-` (staging and
/// previous copies of `out`), the lock file aside.
fn leftovers(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".out.archctl-") && n != ".out.archctl-lock")
        .collect();
    names.sort();
    names
}

/// Runs into one folder at once take turns: every one succeeds and no
/// staging or previous copy is left behind.
#[test]
fn concurrent_out_renders_into_one_folder_all_succeed() {
    use std::process::{Command, Stdio};
    let p = Project::archivist();
    // the race is narrow (a few runs in a hundred lost it): many rounds
    for round in 0..40 {
        let children: Vec<_> = (0..8)
            .map(|_| {
                Command::new(env!("CARGO_BIN_EXE_archctl"))
                    .args(["render", "--out", "out"])
                    .current_dir(p.path())
                    .env("NO_COLOR", "1")
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for child in children {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "round {round}: {}", String::from_utf8_lossy(&out.stderr));
        }
        assert_eq!(leftovers(p.path()), Vec::<String>::new(), "round {round}");
        assert!(p.path().join("out/.archctl-output").is_file());
    }
}

/// A staging folder or previous copy left by a killed run is reclaimed by
/// the next run.
#[test]
fn leftovers_of_a_killed_out_render_are_reclaimed() {
    let p = Project::archivist();
    p.run(&["render", "--out", "out"]).success();
    for name in [".out.archctl-new-999999", ".out.archctl-old-999998"] {
        std::fs::create_dir_all(p.path().join(name).join("sub")).unwrap();
        std::fs::write(p.path().join(name).join("sub/01-namespace.archivist.yaml"), "x").unwrap();
    }
    // names that only look alike are not archctl's
    std::fs::create_dir(p.path().join(".out.archctl-new-mine")).unwrap();
    std::fs::create_dir(p.path().join(".other.archctl-new-1")).unwrap();
    p.run(&["render", "--out", "out"]).success();
    assert_eq!(leftovers(p.path()), [".out.archctl-new-mine"]);
    assert!(p.path().join(".other.archctl-new-1").is_dir());
    assert!(p.path().join("out/01-namespace.archivist.yaml").is_file());
}

/// `--out` names a folder plainly: no `..`, no trailing `.`.
#[test]
fn out_paths_with_dot_components_are_refused() {
    let p = Project::archivist();
    for bad in ["newdir/..", "newdir/../out", "out/.", "out/./x", ".."] {
        let run = p.run(&["render", "--out", bad, "--force"]).user_error();
        assert!(run.stderr.contains(&format!("refusing to write into `{bad}`")), "{bad}: {}", run.stderr);
        assert!(run.stderr.contains("`..`"), "{bad}: {}", run.stderr);
    }
    assert!(!p.path().join("newdir").exists());
    assert!(!p.path().join("out").exists());
    assert!(p.path().join("archctl.toml").exists());
    // a leading `./` is plain enough
    p.run(&["render", "--out", "./out"]).success();
    assert!(p.path().join("out/01-namespace.archivist.yaml").is_file());
}

/// A relative `--out` that a symlink leads out of the working folder is
/// refused, and nothing is written where it points.
#[test]
fn a_relative_out_through_a_symlink_out_of_the_folder_is_refused() {
    let p = Project::archivist();
    let outside = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(outside.path(), p.path().join("build")).unwrap();
    let run = p.run(&["render", "--out", "build/manifests"]).user_error().stderr_has("symlink");
    assert!(run.stderr.contains("outside"), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(outside.path()).unwrap().count(), 0, "nothing is written outside");
    // an absolute path is the caller's own choice
    let abs = outside.path().join("manifests");
    p.run(&["render", "--out", abs.to_str().unwrap()]).success();
    assert!(abs.join("01-namespace.archivist.yaml").is_file());
}

/// The marker must be a regular file of bounded size: a FIFO (which would
/// block the read), a device or a symlink is refused, even with --force.
#[test]
fn an_out_marker_that_is_not_a_regular_file_is_refused() {
    let p = Project::archivist();
    p.run(&["render", "--out", "out"]).success();
    let marker = p.path().join("out/.archctl-output");
    let listed = std::fs::read_to_string(&marker).unwrap();

    std::fs::remove_file(&marker).unwrap();
    assert!(std::process::Command::new("mkfifo").arg(&marker).status().unwrap().success());
    for args in [&["render", "--out", "out"][..], &["render", "--out", "out", "--force"]] {
        let run = p.run_within(args).user_error().stderr_has("out/.archctl-output");
        assert!(run.stderr.contains("FIFO"), "{}", run.stderr);
    }

    std::fs::remove_file(&marker).unwrap();
    std::os::unix::fs::symlink("/dev/null", &marker).unwrap();
    let run = p.run_within(&["render", "--out", "out"]).user_error();
    assert!(run.stderr.contains("a symbolic link"), "{}", run.stderr);

    // a symlink to a list that names every file is still not archctl's marker
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("list"), &listed).unwrap();
    std::fs::remove_file(&marker).unwrap();
    std::os::unix::fs::symlink(outside.path().join("list"), &marker).unwrap();
    let run = p.run_within(&["render", "--out", "out"]).user_error();
    assert!(run.stderr.contains("a symbolic link"), "{}", run.stderr);
    assert!(p.path().join("out/01-namespace.archivist.yaml").exists(), "a refusal changes nothing");

    // read bounded
    std::fs::remove_file(&marker).unwrap();
    std::fs::write(&marker, listed.repeat((8 << 20) / listed.len() + 1)).unwrap();
    let run = p.run_within(&["render", "--out", "out"]).user_error();
    assert!(run.stderr.contains("larger than"), "{}", run.stderr);
}

/// `render -o json` (the format, as kubectl spells it) would write a folder
/// `json/` of YAML: refused with both spellings while there is no such
/// folder; `--out ./json` writes it.
#[test]
fn a_format_name_given_as_the_output_folder_is_refused() {
    let p = Project::archivist();
    for name in ["json", "yaml", "helm"] {
        let run = p.run(&["render", "-o", name]).user_error();
        assert!(run.stderr.contains(&format!("for the format write `--format {name}`")), "{}", run.stderr);
        assert!(!p.path().join(name).exists());
    }
    p.run(&["render", "--out", "./json"]).success();
    assert!(p.path().join("json").is_dir());
    // an existing folder of that name is what the user meant
    p.run(&["render", "-o", "json"]).success();
}
