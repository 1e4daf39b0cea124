//! `archctl import` and the topology it writes: legacy labels and
//! selectors kept exactly, the guides' own manifests and a real chart's
//! `helm template` round-tripping through `diff --against`, and Secret
//! values kept out of everything written.

use std::path::PathBuf;

use serde_json::json;

use crate::support::{Project, check_error, find, repo, tool};

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
    let f = check_error(&p, "E060");
    assert!(f["message"].as_str().unwrap().contains("has no `selector`"), "{f:#}");
    let p = Project::with(
        "[project]\nname = \"shop\"\n[services.api]\nkind = \"deployment\"\ncontainer = { image = \"a:1\" }\n\
         legacy = { selector = { app = \"api\" }, pod_labels = { app = \"other\" } }\n",
    );
    let f = check_error(&p, "E060");
    assert!(f["message"].as_str().unwrap().contains("`app: api`"), "{f:#}");
    let p = Project::with(
        "[project]\nname = \"shop\"\n[services.job]\nkind = \"job\"\ncontainer = { image = \"a:1\" }\n\
         legacy = { selector = { app = \"job\" } }\n",
    );
    check_error(&p, "E030");
}

/// The objects of a guide: its ```yaml blocks that are Kubernetes objects
/// (an `apiVersion:` and a `kind:` at the start of a line); fragments such
/// as an `env:` list or Helm values are left out.
fn guide_manifests(guide: &str) -> String {
    let shared = std::env::var_os("ARCHCTL_SHARED").map(PathBuf::from).unwrap_or_else(|| repo().join("../shared"));
    let path = shared.join("seeds").join(format!("{guide}.md"));
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (set ARCHCTL_SHARED)", path.display()));
    let mut out = String::new();
    let mut block: Option<String> = None;
    for line in text.lines() {
        match &mut block {
            None if line.trim_start().starts_with("```yaml") => block = Some(String::new()),
            None => {}
            Some(b) if line.trim_start().starts_with("```") => {
                let is_object = |key: &str| b.lines().any(|l| l.starts_with(key));
                if is_object("apiVersion:") && is_object("kind:") {
                    out.push_str("---\n");
                    out.push_str(b);
                }
                block = None;
            }
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
        }
    }
    out
}

/// The lines `  OBJECT: FIELD` under `not expressible` on stderr.
fn not_expressible(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .skip_while(|l| !l.starts_with("not expressible"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.trim().to_string())
        .collect()
}

/// `import --from-cluster -n shop` of `c` into `out/`: exit 0 with
/// nothing listed as not expressible. Returns the project, the kubeconfig
/// and the run.
fn import_shop_from(c: &crate::support::cluster::TestCluster) -> (Project, String, crate::support::Run) {
    let kc = c.kubeconfig().to_str().unwrap().to_string();
    let p = Project::new();
    let run = p.run(&["import", "--from-cluster", "-n", "shop", "--kubeconfig", &kc, "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(not_expressible(&run.stderr).is_empty(), "{}", run.stderr);
    (p, kc, run)
}

/// The lines of import's proof against a cluster, one per object.
fn diffed(stderr: &str) -> Vec<&str> {
    stderr.lines().skip_while(|l| !l.starts_with("diff against")).skip(1).take_while(|l| l.starts_with("  ")).collect()
}

/// Imports `manifests` (written to `input.yaml`) into `out/`, and checks
/// the proof: exit 0, every rendered object unchanged, and `archctl diff
/// --against` of the written topology against the input finding no
/// change; then that the render keeps every workload's and Service's
/// labels and selectors exactly. Returns the import's stderr.
fn round_trip(manifests: &str, expressed: usize) -> (Project, String) {
    let p = Project::new().file("input.yaml", manifests);
    let run = p.run(&["import", "input.yaml", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains(&format!("every wholly expressed object ({expressed}) renders unchanged")),
        "{}",
        run.stderr
    );
    let diffed: Vec<&str> = run.stderr.lines().skip_while(|l| !l.starts_with("diff --against")).skip(1).collect();
    assert!(diffed.iter().take_while(|l| l.starts_with("  ")).all(|l| l.ends_with(": no change")), "{}", run.stderr);
    // the proof as a user runs it, with the profile import writes and without it
    for profile in [&["--profile", "imported"][..], &[]] {
        let diff = p.run(&[&["-f", "out/archctl.toml", "diff", "--against", "input.yaml"][..], profile].concat());
        assert_eq!(diff.code, 0, "{}\n{}", diff.stdout, diff.stderr);
    }
    assert!(run.stderr.contains("render with `--profile imported`"), "{}", run.stderr);
    assert!(p.read("out/archctl.toml").contains("render with `--profile imported`"));
    // names, labels and selectors exactly as they were
    let rendered = p.run(&["-f", "out/archctl.toml", "render", "--profile", "imported"]).success().docs();
    let input = archctl::api::parse_stream(manifests).unwrap();
    let mut compared = 0;
    for o in &input {
        let kind = o["kind"].as_str().unwrap_or("");
        if !matches!(kind, "Deployment" | "StatefulSet" | "Service") {
            continue;
        }
        let r = find(&rendered, kind, o["metadata"]["namespace"].as_str(), o["metadata"]["name"].as_str().unwrap());
        assert_eq!(r["metadata"]["labels"], o["metadata"]["labels"], "{kind} {}", o["metadata"]["name"]);
        assert_eq!(r["spec"]["selector"], o["spec"]["selector"], "{kind} {}", o["metadata"]["name"]);
        assert_eq!(
            r["spec"]["template"]["metadata"]["labels"], o["spec"]["template"]["metadata"]["labels"],
            "{kind} {}",
            o["metadata"]["name"]
        );
        compared += 1;
    }
    assert!(compared > 0);
    (p, run.stderr)
}

#[test]
fn the_archivist_guide_round_trips() {
    let (p, stderr) = round_trip(&guide_manifests("archivist"), 15);
    assert_eq!(
        not_expressible(&stderr),
        [
            "apps/v1 Deployment archivist/rag-api: spec.replicas: the autoscaler owns it, so the render leaves it out (kept as `services.rag-api.replicas`, rendered with `features.autoscaling = false`)",
            "batch/v1 Job archivist/pdf-processor-batch: spec.template.spec.volumes[0]: the claim `pdf-input-pvc` is not among the imported objects, and the topology declares the claims it mounts",
            "batch/v1 Job archivist/pdf-processor-batch: spec.template.spec.volumes[1]: the claim `latex-output-pvc` is not among the imported objects, and the topology declares the claims it mounts",
            "batch/v1 Job archivist/pdf-processor-batch: spec.template.spec.containers[0].volumeMounts[0]: its volume `pdf-storage` is not imported",
            "batch/v1 Job archivist/pdf-processor-batch: spec.template.spec.containers[0].volumeMounts[1]: its volume `output-storage` is not imported",
            // the guide's ServiceMonitor scrapes a port `http` that its Service does not name
            "monitoring.coreos.com/v1 ServiceMonitor archivist/archivist-metrics: the whole object: its endpoint's port (`spec.endpoints[0].port`: \"http\") is not a named port of the Service `rag-api`, which archctl's monitors scrape",
            // the guide's Ingress also routes to graph-service, which has no Service
            "networking.k8s.io/v1 Ingress archivist/archivist-ingress: the whole object: spec.rules[0].http.paths[1]: it routes to the Service `graph-service`, which is not among the imported objects of a workload of namespace `archivist`",
        ]
    );
    // the same list heads the topology, as comments
    let topology = p.read("out/archctl.toml");
    for line in not_expressible(&stderr) {
        assert!(topology.contains(&format!("#   {line}\n")), "{line}\n{topology}");
    }
    // the guide's Secrets are references with their keys, and their
    // placeholder values appear nowhere
    assert!(
        stderr.contains("by reference: v1 Secret archivist/archivist-secrets (keys: gemini-api-key, neo4j-password)")
    );
    for value in ["your-gemini-api-key", "your-neo4j-password"] {
        assert!(!stderr.contains(value) && !topology.contains(value), "{value}");
    }
    let toml: toml::Table = toml::from_str(&topology).unwrap();
    assert_eq!(toml["secrets"]["neo4j-credentials"]["keys"].as_array().unwrap().len(), 1);
    assert_eq!(toml["services"]["neo4j"]["legacy"]["service_name"].as_str(), Some("neo4j"));
    // requests and limits two services share are one resource profile
    assert_eq!(toml["services"]["graph-service"]["resources"].as_str(), Some("shared-1"));
    assert_eq!(toml["services"]["redis"]["resources"].as_str(), Some("shared-1"));
    assert_eq!(toml["resource_profiles"]["shared-1"]["limits"]["memory"].as_str(), Some("1Gi"));
    assert!(toml["services"]["rag-api"]["resources"].is_table());
    // both Namespaces, their labels exactly
    assert_eq!(toml["namespaces"]["archivist-data"]["legacy"]["labels"]["tier"].as_str(), Some("data"));
    assert_eq!(toml["namespaces"]["archivist"]["legacy"]["labels"]["environment"].as_str(), Some("production"));
    // the policy selects its pods and peers by their labels, exactly
    let policy = &toml["network_policies"]["rag-api-policy"];
    assert_eq!(policy["pod_labels"]["app"].as_str(), Some("rag-api"));
    assert_eq!(policy["ingress"][0]["from"][0]["namespace_labels"]["name"].as_str(), Some("ingress-nginx"));
    assert_eq!(policy["egress"][2]["to"][0]["cidr"].as_str(), Some("0.0.0.0/0"));
    // the environment-specific values, in the profile
    let profile: toml::Table = toml::from_str(&p.read("out/profiles/imported.toml")).unwrap();
    let rag = &profile["services"]["rag-api"];
    assert_eq!(rag["replicas"].as_integer(), Some(3));
    assert_eq!(rag["container"]["image"], toml["services"]["rag-api"]["container"]["image"]);
    assert_eq!((rag["autoscaling"]["min"].as_integer(), rag["autoscaling"]["max"].as_integer()), (Some(2), Some(10)));
    assert_eq!(rag.as_table().unwrap().len(), 3, "{rag:?}");
    assert!(profile["services"]["index-rebuild"].get("replicas").is_none());
    // the VPA, of the main container
    let vpa = &toml["services"]["rag-api"]["vpa"];
    assert_eq!((vpa["name"].as_str(), vpa["mode"].as_str()), (Some("rag-api-vpa"), Some("Auto")));
    assert_eq!(vpa["max"]["memory"].as_str(), Some("8Gi"));
    assert!(
        stderr.contains("  autoscaling.k8s.io/v1 VerticalPodAutoscaler archivist/rag-api-vpa: no change"),
        "{stderr}"
    );
    // the HPA, by its name and without labels of its own
    let hpa = &toml["services"]["rag-api"]["autoscaling"];
    assert_eq!(
        (hpa["name"].as_str(), hpa["min"].as_integer(), hpa["max"].as_integer()),
        (Some("rag-api-hpa"), Some(2), Some(10))
    );
    assert!(toml["services"]["rag-api"]["legacy"]["object_labels"]["autoscaling"].as_table().unwrap().is_empty());
}

#[test]
fn the_percolate_guide_round_trips() {
    let (p, stderr) = round_trip(&guide_manifests("percolate-reading"), 5);
    assert_eq!(
        not_expressible(&stderr),
        [
            "apps/v1 Deployment percolate/percolate-reading-workers: spec.replicas: the autoscaler owns it, so the render leaves it out (kept as `services.percolate-reading-workers.replicas`, rendered with `features.autoscaling = false`)",
            "networking.k8s.io/v1 NetworkPolicy gateway-ingress: the whole object: it names no namespace (kubectl would apply it to the current one): give it `metadata.namespace`, or import with `-n NAMESPACE`",
        ]
    );
    // the ScaledObject names its target alone, as KEDA allows
    let toml: toml::Table = toml::from_str(&p.read("out/archctl.toml")).unwrap();
    let keda = &toml["services"]["percolate-reading-workers"]["keda"];
    assert_eq!(keda["short_target"].as_bool(), Some(true));
    assert_eq!((keda["min"].as_integer(), keda["max"].as_integer()), (Some(0), Some(50)));
    assert_eq!(keda["triggers"][0]["metadata"]["stream"].as_str(), Some("JOBS"));
    assert!(
        stderr.contains("  keda.sh/v1alpha1 ScaledObject percolate/percolate-reading-workers: no change"),
        "{stderr}"
    );
}

#[test]
fn the_semantic_explorer_guide_holds_no_objects_to_import() {
    // its one YAML block is Helm values, not a Kubernetes object
    assert!(guide_manifests("semantic-explorer").is_empty());
    let p = Project::new().file("input.yaml", "encryption:\n  masterKey: \"k\"\n");
    p.run(&["import", "input.yaml", "--out", "out"]).user_error().stderr_has("holds no Kubernetes object");
    assert!(!p.path().join("out/archctl.toml").exists());
}

#[test]
fn a_charts_helm_template_round_trips_and_its_secret_values_appear_nowhere() {
    let manifests = chart_manifests();
    // the chart's Secret holds the canary, base64 in `data` and plain in `stringData`
    let canary = "chart-canary-v4lue";
    let encoded = "Y2hhcnQtY2FuYXJ5LXY0bHVl";
    assert!(manifests.contains(canary) && manifests.contains(encoded));
    let (p, stderr) = round_trip(&manifests, 5);
    // every object is expressed: the account as the service's own
    assert!(not_expressible(&stderr).is_empty(), "{stderr}");
    assert!(stderr.contains("by reference: v1 Secret shop/web-shop (keys: password, url)"), "{stderr}");
    let topology = p.read("out/archctl.toml");
    let rendered = p.run(&["-f", "out/archctl.toml", "render"]).success();
    for text in [&stderr, &topology, &rendered.stdout, &rendered.stderr] {
        assert!(!text.contains(canary) && !text.contains(encoded), "{text}");
    }
    // Helm's labels are the legacy labels, selectors Helm's two
    let toml: toml::Table = toml::from_str(&topology).unwrap();
    let legacy = &toml["services"]["web-shop"]["legacy"];
    assert_eq!(legacy["selector"].as_table().unwrap().len(), 2);
    assert_eq!(legacy["labels"]["app.kubernetes.io/managed-by"].as_str(), Some("Helm"));
    assert_eq!(toml["claims"]["web-shop-uploads"]["size"].as_str(), Some("5Gi"));
    // the account is rendered by its service, with its own token setting (the pods state none)
    let sa = toml["services"]["web-shop"]["service_account"].as_table().unwrap();
    assert_eq!(sa.get("create"), None, "{sa:?}");
    assert_eq!(sa["account_automount_token"].as_bool(), Some(true));
    assert_eq!(sa.get("automount_token"), None, "{sa:?}");
}

#[test]
fn import_never_replaces_a_file() {
    let p =
        Project::new().file("input.yaml", &guide_manifests("percolate-reading")).file("out/archctl.toml", "# mine\n");
    p.run(&["import", "input.yaml", "--out", "out"]).user_error().stderr_has("never replaces a file");
    assert_eq!(p.read("out/archctl.toml"), "# mine\n");
    assert!(!p.path().join("out/profiles/imported.toml").exists());
    // nor over the profile it writes
    let p = Project::new()
        .file("input.yaml", &guide_manifests("percolate-reading"))
        .file("out/profiles/imported.toml", "# mine\n");
    p.run(&["import", "input.yaml", "--out", "out"]).user_error().stderr_has("profiles/imported.toml` exists");
    assert_eq!(p.read("out/profiles/imported.toml"), "# mine\n");
    assert!(!p.path().join("out/archctl.toml").exists());
}

#[test]
fn fields_the_topology_cannot_express_are_listed_and_do_not_fail_the_import() {
    // a rolling update without a type, and `stdin`: expressible only in
    // part, reported so, field by field
    let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  \
        selector: {matchLabels: {app: api}}\n  strategy: {rollingUpdate: {maxSurge: 1}}\n  template:\n    \
        metadata: {labels: {app: api}}\n    spec:\n      containers: [{name: api, image: 'a:1', stdin: true}]\n";
    let p = Project::new().file("input.yaml", manifest);
    let run = p.run(&["import", "input.yaml", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        not_expressible(&run.stderr),
        [
            "apps/v1 Deployment shop/api: spec.strategy.rollingUpdate: archctl writes `strategy.type` with it; give `type: RollingUpdate`",
            "apps/v1 Deployment shop/api: spec.template.spec.containers[0].stdin",
        ]
    );
    assert!(
        run.stderr.contains("imported 1 of 1 objects into `out/archctl.toml` (project `shop`): 0 wholly, 1 in part")
    );
}

#[test]
fn a_config_map_without_entries_and_a_probe_without_a_path_import() {
    // a legacy ConfigMap without `data` renders without it; an HTTP probe
    // without a path is listed (archctl writes one), and is not rendered
    let manifest = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: empty, namespace: shop}\n---\n\
        apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop}\nspec:\n  \
        selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    spec:\n      \
        containers: [{name: api, image: 'a:1', livenessProbe: {httpGet: {port: 80}}}]\n";
    let p = Project::new().file("input.yaml", manifest);
    let run = p.run(&["import", "input.yaml", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        not_expressible(&run.stderr),
        [
            "apps/v1 Deployment shop/api: spec.template.spec.containers[0].livenessProbe: httpGet without a `path`: archctl writes the path (the API server defaults it to `/`)"
        ]
    );
    assert!(run.stderr.contains("  v1 ConfigMap shop/empty: no change"), "{}", run.stderr);
    assert!(run.stderr.contains("every wholly expressed object (1) renders unchanged"), "{}", run.stderr);
}

#[test]
fn a_secrets_values_and_annotations_never_reach_the_topology_or_the_output() {
    let canary = "s3cr3t-canary";
    let manifest = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n  namespace: shop\n  annotations:\n    \
         kubectl.kubernetes.io/last-applied-configuration: '{{\"stringData\":{{\"token\":\"{canary}\"}}}}'\n    \
         note: {canary}\ntype: kubernetes.io/basic-auth\nstringData:\n  username: {canary}\ndata:\n  password: czNjcjN0LWNhbmFyeQ==\n"
    );
    let p = Project::new().file("input.yaml", &manifest);
    let run = p.run(&["import", "input.yaml", "--out", "out"]).success();
    let topology = p.read("out/archctl.toml");
    for text in [&run.stdout, &run.stderr, &topology] {
        assert!(!text.contains(canary) && !text.contains("czNjcjN0LWNhbmFyeQ"), "{text}");
    }
    let toml: toml::Table = toml::from_str(&topology).unwrap();
    assert_eq!(toml["secrets"]["creds"]["keys"], toml::Value::from(vec!["password", "username"]));
    assert_eq!(toml["secrets"]["creds"]["type"].as_str(), Some("kubernetes.io/basic-auth"));
    assert!(run.stderr.contains("by reference: v1 Secret shop/creds (keys: password, username)"), "{}", run.stderr);
}

/// The chart's `helm template` output in namespace `shop`.
fn chart_manifests() -> String {
    let chart = repo().join("tests/fixtures/import-chart");
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(tool("helm"))
        .args(["template", "web", chart.to_str().unwrap(), "--namespace", "shop"])
        .env("HELM_CACHE_HOME", home.path().join("cache"))
        .env("HELM_CONFIG_HOME", home.path().join("config"))
        .env("HELM_DATA_HOME", home.path().join("data"))
        .output()
        .expect("run helm");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn live_objects_applied_with_kubectl_import_from_the_cluster_and_diff_clean() {
    let c = crate::support::cluster::TestCluster::start();
    c.kubectl(&["create", "namespace", "shop"]).success();
    c.kubectl_stdin(&["apply", "-f", "-"], &chart_manifests()).success();
    // an object of another system in the namespace, without the chart's labels
    c.kubectl(&["create", "configmap", "other", "-n", "shop", "--from-literal=k=v"]).success();
    let kc = c.kubeconfig().to_str().unwrap().to_string();
    let p = Project::new();
    // the whole namespace: the other system's ConfigMap too
    let all = p.run(&["import", "--from-cluster", "-n", "shop", "--kubeconfig", &kc, "--out", "all"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    let toml: toml::Table = toml::from_str(&p.read("all/archctl.toml")).unwrap();
    assert!(toml["config_maps"].get("other").is_some(), "{toml:?}");
    // `-l` selects only the chart's objects
    let run = p.run(&[
        "import",
        "--from-cluster",
        "-n",
        "shop",
        "-l",
        "app.kubernetes.io/instance=web",
        "--kubeconfig",
        &kc,
        "--out",
        "out",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // what the API server filled in (defaults, addresses, status, …) is neither imported nor listed
    assert!(not_expressible(&run.stderr).is_empty(), "{}", run.stderr);
    assert!(run.stderr.contains("diff against the cluster:\n"), "{}", run.stderr);
    let diffed = diffed(&run.stderr);
    assert_eq!(diffed.len(), 5, "{}", run.stderr);
    assert!(diffed.iter().all(|l| l.ends_with(": no change")), "{}", run.stderr);
    // the proof as a user runs it: archctl diff against the cluster
    let diff = p.run(&["-f", "out/archctl.toml", "diff", "--kubeconfig", &kc]);
    assert_eq!(diff.code, 0, "{}\n{}", diff.stdout, diff.stderr);
    // read-only, and the Secret's values nowhere
    let topology = p.read("out/archctl.toml");
    for text in [&run.stdout, &run.stderr, &topology, &diff.stdout, &diff.stderr] {
        assert!(!text.contains("chart-canary-v4lue") && !text.contains("Y2hhcnQtY2FuYXJ5LXY0bHVl"), "{text}");
    }
    let toml: toml::Table = toml::from_str(&topology).unwrap();
    assert_eq!(toml["services"]["web-shop"]["legacy"]["selector"].as_table().unwrap().len(), 2);
    assert!(toml["secrets"]["web-shop"]["keys"].as_array().unwrap().iter().any(|k| k.as_str() == Some("password")));
    assert!(toml["config_maps"].get("other").is_none(), "{topology}");
    // the defaults are not copied in: the topology is the chart's
    let web = toml["services"]["web-shop"].as_table().unwrap();
    assert_eq!(web.get("termination_grace_period"), None, "{topology}");
    assert_eq!(web.get("strategy"), None, "{topology}");
    let writes: Vec<_> = c
        .audit()
        .into_iter()
        .filter(|e| {
            e["userAgent"].as_str().is_some_and(|ua| ua.starts_with("archctl/"))
                && !matches!(e["verb"].as_str(), Some("get" | "list"))
                && !e["requestURI"].as_str().is_some_and(|u| u.contains("dryRun=All"))
        })
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    // archctl's reads are in the log: the check above saw its requests
    assert!(c.audit().iter().any(|e| e["userAgent"].as_str().is_some_and(|ua| ua.starts_with("archctl/"))
        && e["verb"] == "list"
        && e["requestURI"].as_str().is_some_and(|u| u.starts_with("/apis/apps/v1/namespaces/shop/deployments"))));
}

#[test]
fn objects_that_name_no_namespace_import_into_the_one_given() {
    // most charts leave `metadata.namespace` to `helm install -n`
    let manifests: String =
        chart_manifests().lines().filter(|l| *l != "  namespace: shop").map(|l| format!("{l}\n")).collect();
    assert!(!manifests.contains("namespace: shop"));
    let p = Project::new().file("input.yaml", &manifests);
    let without = p.run(&["import", "input.yaml", "--out", "a"]).success();
    assert!(without.stderr.contains("imported 0 of 6 objects"), "{}", without.stderr);
    let run = p.run(&["import", "input.yaml", "--out", "b", "-n", "shop"]).success();
    assert!(
        run.stderr.contains("imported 5 of 6 objects into `b/archctl.toml` (project `shop`): 5 wholly, 0 in part"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("every wholly expressed object (5) renders unchanged"), "{}", run.stderr);
    let docs = p.run(&["-f", "b/archctl.toml", "render"]).success().docs();
    find(&docs, "Deployment", Some("shop"), "web-shop");
}

const SCALED: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: shop, labels: {app: api, tier: web}}\n\
spec:\n  replicas: 2\n  selector: {matchLabels: {app: api}}\n  template:\n    metadata: {labels: {app: api}}\n    \
spec:\n      containers: [{name: api, image: 'acme/api:1.0', resources: {requests: {cpu: 100m}}}]\n";

#[test]
fn an_hpa_and_a_budget_of_a_workload_import_with_their_names_and_labels() {
    // the HPA has a name and no labels of its own, the budget the workload's
    let manifests = format!(
        "{SCALED}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: api-hpa, namespace: shop}}\n\
spec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: api}}\n  minReplicas: 2\n  maxReplicas: 5\n  \
metrics:\n  - {{type: Resource, resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 60}}}}}}\n  \
- type: Pods\n    pods: {{metric: {{name: queue_length, selector: {{matchLabels: {{queue: jobs}}}}}}, target: {{type: AverageValue, averageValue: '30'}}}}\n  \
- type: External\n    external: {{metric: {{name: lag}}, target: {{type: Value, value: 500m}}}}\n  \
behavior:\n    scaleDown:\n      stabilizationWindowSeconds: 300\n      selectPolicy: Min\n      policies: [{{type: Percent, value: 10, periodSeconds: 60}}]\n\
---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: api, namespace: shop, labels: {{app: api, tier: web}}}}\n\
spec:\n  maxUnavailable: 1\n  selector: {{matchLabels: {{app: api}}}}\n"
    );
    let (p, stderr) = round_trip(&manifests, 2);
    assert_eq!(
        not_expressible(&stderr),
        [
            "apps/v1 Deployment shop/api: spec.replicas: the autoscaler owns it, so the render leaves it out (kept as `services.api.replicas`, rendered with `features.autoscaling = false`)"
        ]
    );
    assert!(stderr.contains("  autoscaling/v2 HorizontalPodAutoscaler shop/api-hpa: no change"), "{stderr}");
    assert!(stderr.contains("  policy/v1 PodDisruptionBudget shop/api: no change"), "{stderr}");
    let toml: toml::Table = toml::from_str(&p.read("out/archctl.toml")).unwrap();
    let a = &toml["services"]["api"]["autoscaling"];
    assert_eq!(a["name"].as_str(), Some("api-hpa"));
    assert_eq!((a["min"].as_integer(), a["max"].as_integer(), a["cpu"].as_integer()), (Some(2), Some(5), Some(60)));
    assert_eq!(toml["services"]["api"]["disruption"]["max_unavailable"].as_integer(), Some(1));
    // the HPA's labels (none) differ from the workload's, the budget's do not
    let object_labels = toml["services"]["api"]["legacy"]["object_labels"].as_table().unwrap();
    assert_eq!(object_labels.len(), 1, "{object_labels:?}");
    assert!(object_labels["autoscaling"].as_table().unwrap().is_empty());
    // rendered exactly as they were
    let rendered = p.run(&["-f", "out/archctl.toml", "render"]).success().docs();
    let input = archctl::api::parse_stream(&manifests).unwrap();
    for (kind, name) in [("HorizontalPodAutoscaler", "api-hpa"), ("PodDisruptionBudget", "api")] {
        let r = find(&rendered, kind, Some("shop"), name);
        let i = find(&input, kind, Some("shop"), name);
        assert_eq!(r, i, "{kind}");
    }
}

#[test]
fn what_an_hpa_or_a_budget_holds_beyond_the_format_is_listed() {
    let manifests = format!(
        "{SCALED}---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: api, namespace: shop, labels: {{app: api, tier: web}}}}\n\
spec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: api}}\n  minReplicas: 2\n  maxReplicas: 5\n  \
metrics:\n  - {{type: Resource, resource: {{name: cpu, target: {{type: Utilization, averageUtilization: 60}}}}}}\n  \
- type: ContainerResource\n    containerResource: {{name: cpu, container: api, target: {{type: Utilization, averageUtilization: 50}}}}\n\
---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: api, namespace: shop, labels: {{app: api, tier: web}}}}\n\
spec:\n  minAvailable: 1\n  unhealthyPodEvictionPolicy: AlwaysAllow\n  selector: {{matchLabels: {{app: api}}}}\n\
---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: other, namespace: shop}}\n\
spec:\n  maxUnavailable: 1\n  selector: {{matchLabels: {{app: other}}}}\n\
---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {{name: gone, namespace: shop}}\n\
spec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: gone}}\n  maxReplicas: 5\n"
    );
    let p = Project::new().file("input.yaml", &manifests);
    let run = p.run(&["import", "input.yaml", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        not_expressible(&run.stderr),
        [
            "apps/v1 Deployment shop/api: spec.replicas: the autoscaler owns it, so the render leaves it out (kept as `services.api.replicas`, rendered with `features.autoscaling = false`)",
            "autoscaling/v2 HorizontalPodAutoscaler shop/api: spec.metrics[1]: archctl writes Resource, Pods, Object and External metrics, not `ContainerResource`",
            "policy/v1 PodDisruptionBudget shop/api: spec.unhealthyPodEvictionPolicy",
            "policy/v1 PodDisruptionBudget shop/other: the whole object: its selector is not the selector of an imported deployment or statefulset of its namespace, and archctl's budgets select a workload's pods by it",
            "autoscaling/v2 HorizontalPodAutoscaler shop/gone: the whole object: it scales the Deployment `gone`, which is not among the imported workloads of namespace `shop`",
        ]
    );
    assert!(run.stderr.contains("every wholly expressed object (0) renders unchanged"), "{}", run.stderr);
}

#[test]
fn a_workloads_service_account_and_the_namespaces_import_with_their_labels() {
    let manifests = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata: {{name: shop, labels: {{team: web}}, annotations: {{owner: me}}}}\n---\n\
         {SCALED}---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: runner, namespace: shop, labels: {{app: runner}}, \
         annotations: {{eks.amazonaws.com/role-arn: 'arn:aws:iam::1:role/r'}}}}\n"
    )
    .replace("containers: [", "serviceAccountName: runner\n      automountServiceAccountToken: false\n      containers: [")
    .replace("  replicas: 2\n", "");
    let (p, stderr) = round_trip(&manifests, 3);
    assert!(not_expressible(&stderr).is_empty(), "{stderr}");
    let toml: toml::Table = toml::from_str(&p.read("out/archctl.toml")).unwrap();
    let sa = &toml["services"]["api"]["service_account"];
    assert_eq!(sa["name"].as_str(), Some("runner"));
    assert_eq!(sa.get("create"), None);
    // the account's labels are its own; the pods' token setting is theirs, the account has none
    assert_eq!(toml["services"]["api"]["legacy"]["object_labels"]["service_account"]["app"].as_str(), Some("runner"));
    assert_eq!(sa["automount_token"].as_bool(), Some(false));
    assert_eq!(sa.get("account_automount_token"), None);
    assert_eq!(toml["namespaces"]["shop"]["legacy"]["labels"]["team"].as_str(), Some("web"));
    let rendered = p.run(&["-f", "out/archctl.toml", "render"]).success().docs();
    let input = archctl::api::parse_stream(&manifests).unwrap();
    assert_eq!(
        find(&rendered, "ServiceAccount", Some("shop"), "runner"),
        find(&input, "ServiceAccount", Some("shop"), "runner")
    );
    assert_eq!(find(&rendered, "Namespace", None, "shop"), find(&input, "Namespace", None, "shop"));
}

#[test]
fn namespaces_that_are_not_all_the_topology_uses_and_accounts_no_workload_uses_are_listed() {
    let manifests = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata: {{name: other}}\n---\n{SCALED}---\n\
         apiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: idle, namespace: shop}}\nimagePullSecrets: [{{name: reg}}]\n"
    );
    let p = Project::new().file("input.yaml", &manifests);
    let run = p.run(&["import", "input.yaml", "--out", "out"]).success();
    assert_eq!(
        not_expressible(&run.stderr),
        [
            "v1 Namespace other: the whole object: a topology declares every namespace it uses or none, and `shop` is not among the imported Namespaces",
            "v1 ServiceAccount shop/idle: the whole object: no imported workload of namespace `shop` runs as it (`serviceAccountName`), and archctl renders a service's own account",
        ]
    );
    // an account a workload runs as, with a field the format does not hold
    let manifests = format!(
        "{SCALED}---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: api, namespace: shop, labels: {{app: api, tier: web}}}}\n\
         imagePullSecrets: [{{name: reg}}]\n"
    )
    .replace("containers: [", "serviceAccountName: api\n      containers: [");
    let p = Project::new().file("input.yaml", &manifests);
    let run = p.run(&["import", "input.yaml", "--out", "out"]).success();
    assert_eq!(not_expressible(&run.stderr), ["v1 ServiceAccount shop/api: imagePullSecrets"]);
}

#[test]
fn a_network_policy_imports_with_its_selectors_ports_and_labels() {
    let manifests = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: api, namespace: shop, labels: {team: web}}\n\
        spec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  \
        - from: [{namespaceSelector: {matchLabels: {name: edge}}, podSelector: {matchLabels: {app: proxy}}}]\n    \
        ports: [{port: 8000}, {port: http, protocol: TCP}, {port: 53, protocol: UDP}]\n  egress:\n  \
        - to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]\n---\n\
        apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\n\
        spec:\n  podSelector: {}\n  policyTypes: [Ingress]\n";
    let (p, stderr) = round_trip(&format!("{SCALED}---\n{manifests}"), 3);
    assert!(not_expressible(&stderr).is_empty(), "{stderr}");
    let toml: toml::Table = toml::from_str(&p.read("out/archctl.toml")).unwrap();
    let deny = toml["network_policies"]["deny"].as_table().unwrap();
    assert_eq!(deny.get("pod_labels"), None);
    assert!(deny["ingress"].as_array().unwrap().is_empty());
    assert_eq!(deny.get("egress"), None);
    let rendered = p.run(&["-f", "out/archctl.toml", "render"]).success().docs();
    let input = archctl::api::parse_stream(manifests).unwrap();
    for name in ["api", "deny"] {
        assert_eq!(
            find(&rendered, "NetworkPolicy", Some("shop"), name),
            find(&input, "NetworkPolicy", Some("shop"), name)
        );
    }
}

#[test]
fn what_a_network_policy_holds_beyond_the_format_is_listed() {
    let manifests = format!(
        "{SCALED}---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: api, namespace: shop}}\n\
         spec:\n  podSelector: {{matchLabels: {{app: api}}}}\n  ingress:\n  - ports: [{{port: 8000, endPort: 8010}}]\n  \
         - from: [{{podSelector: {{matchExpressions: [{{key: app, operator: Exists}}]}}}}]\n---\n\
         apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: odd, namespace: shop}}\n\
         spec:\n  podSelector: {{matchExpressions: [{{key: app, operator: Exists}}]}}\n"
    );
    let p = Project::new().file("input.yaml", &manifests);
    let run = p.run(&["import", "input.yaml", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        not_expressible(&run.stderr),
        [
            "networking.k8s.io/v1 NetworkPolicy shop/api: spec.policyTypes: archctl writes it, and it is not given (the API server defaults it to [Ingress])",
            "networking.k8s.io/v1 NetworkPolicy shop/api: spec.ingress[0].ports[0].endPort: archctl allows single ports",
            "networking.k8s.io/v1 NetworkPolicy shop/api: spec.ingress[1].from[0].podSelector.matchExpressions: archctl selects by labels only",
            "networking.k8s.io/v1 NetworkPolicy shop/odd: the whole object: it selects its pods by `matchExpressions`, and archctl's policies select pods by labels (or a service)",
        ]
    );
}

/// A Deployment with the Service in front of it, ports `http` (80) and 9090.
const FRONTED: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n\
spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    \
spec:\n      containers: [{name: web, image: 'acme/web:1.0', ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}]}]\n\
---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n\
spec:\n  selector: {app: web}\n  ports: [{name: http, port: 80, targetPort: http}, {name: metrics, port: 9090, targetPort: metrics}]\n";

#[test]
fn an_ingress_to_imported_services_round_trips() {
    let ingress = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: edge\n  namespace: shop\n  \
        labels: {team: web}\n  annotations: {cert-manager.io/cluster-issuer: letsencrypt}\nspec:\n  ingressClassName: nginx\n  \
        tls: [{hosts: [shop.example.com], secretName: shop-tls}]\n  rules:\n  - host: shop.example.com\n    http:\n      paths:\n      \
        - {path: /, pathType: Prefix, backend: {service: {name: web, port: {name: http}}}}\n      \
        - {path: /metrics, pathType: Exact, backend: {service: {name: web, port: {number: 9090}}}}\n";
    let (p, stderr) = round_trip(&format!("{FRONTED}---\n{ingress}"), 3);
    assert!(not_expressible(&stderr).is_empty(), "{stderr}");
    let toml: toml::Table = toml::from_str(&p.read("out/archctl.toml")).unwrap();
    let e = &toml["ingresses"]["edge"];
    assert_eq!(e["class"].as_str(), Some("nginx"));
    assert_eq!(e["rules"][0]["paths"][1]["type"].as_str(), Some("Exact"));
    assert_eq!(e["legacy"]["labels"]["team"].as_str(), Some("web"));
    let rendered = p.run(&["-f", "out/archctl.toml", "render"]).success().docs();
    let input = archctl::api::parse_stream(ingress).unwrap();
    assert_eq!(find(&rendered, "Ingress", Some("shop"), "edge"), find(&input, "Ingress", Some("shop"), "edge"));
}

#[test]
fn an_ingress_archctl_cannot_route_is_listed_whole() {
    // a route left out would be a route removed: the Ingress is not imported in part
    let ingress = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: edge, namespace: shop}\nspec:\n  rules:\n  \
        - http:\n      paths:\n      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}\n      \
        - {path: /x, pathType: Prefix, backend: {service: {name: web, port: {number: 81}}}}\n---\n\
        apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: other, namespace: shop}\nspec:\n  \
        defaultBackend: {service: {name: web, port: {number: 80}}}\n  rules:\n  \
        - http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}\n";
    let p = Project::new().file("input.yaml", &format!("{FRONTED}---\n{ingress}"));
    let run = p.run(&["import", "input.yaml", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        not_expressible(&run.stderr),
        [
            "networking.k8s.io/v1 Ingress shop/edge: the whole object: spec.rules[0].http.paths[1].backend.service.port: not a port of the Service `web` by number or name",
            "networking.k8s.io/v1 Ingress shop/other: spec.defaultBackend",
        ]
    );
}

#[test]
fn a_vpa_a_scaled_object_and_a_service_monitor_round_trip() {
    let extra = "apiVersion: autoscaling.k8s.io/v1\nkind: VerticalPodAutoscaler\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n\
        spec:\n  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  updatePolicy: {updateMode: Initial}\n  \
        resourcePolicy:\n    containerPolicies:\n    - {containerName: web, minAllowed: {cpu: 100m}, maxAllowed: {cpu: '2', memory: 4Gi}, controlledValues: RequestsOnly}\n\
        ---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: web-scaler, namespace: shop}\n\
        spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicaCount: 1\n  maxReplicaCount: 20\n  \
        fallback: {failureThreshold: 3, replicas: 4}\n  \
        advanced: {horizontalPodAutoscalerConfig: {behavior: {scaleDown: {stabilizationWindowSeconds: 120}}}}\n  \
        triggers:\n  - {type: prometheus, metricType: Value, metadata: {query: 'sum(rate(x[1m]))', threshold: '10'}, authenticationRef: {name: prom}}\n\
        ---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: web, namespace: shop, labels: {release: prom}}\n\
        spec:\n  selector: {matchLabels: {app: web}}\n  endpoints: [{port: metrics, path: /stats, interval: 15s}]\n";
    let (p, stderr) = round_trip(&format!("{FRONTED}---\n{extra}"), 5);
    assert!(not_expressible(&stderr).is_empty(), "{stderr}");
    let toml: toml::Table = toml::from_str(&p.read("out/archctl.toml")).unwrap();
    let web = &toml["services"]["web"];
    assert_eq!(web["keda"]["name"].as_str(), Some("web-scaler"));
    assert_eq!(web["keda"]["fallback_replicas"].as_integer(), Some(4));
    assert_eq!(web["vpa"]["controlled_values"].as_str(), Some("RequestsOnly"));
    assert_eq!(web["metrics"]["path"].as_str(), Some("/stats"));
    assert_eq!(web["legacy"]["object_labels"]["metrics"]["release"].as_str(), Some("prom"));
    let rendered = p.run(&["-f", "out/archctl.toml", "render"]).success().docs();
    let input = archctl::api::parse_stream(extra).unwrap();
    for (kind, name) in [("VerticalPodAutoscaler", "web"), ("ScaledObject", "web-scaler"), ("ServiceMonitor", "web")] {
        assert_eq!(find(&rendered, kind, Some("shop"), name), find(&input, kind, Some("shop"), name), "{kind}");
    }
}

#[test]
fn what_a_vpa_a_scaled_object_or_a_service_monitor_holds_beyond_the_format_is_listed() {
    let extra = "apiVersion: autoscaling.k8s.io/v1\nkind: VerticalPodAutoscaler\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n\
        spec:\n  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  \
        resourcePolicy:\n    containerPolicies:\n    - {containerName: web, minAllowed: {cpu: 100m}, controlledResources: [cpu]}\n    - {containerName: other, mode: 'Off'}\n\
        ---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n\
        spec:\n  scaleTargetRef: {name: web}\n  maxReplicaCount: 20\n  fallback: {failureThreshold: 5, replicas: 4}\n  \
        triggers: [{type: cpu, metadata: {value: '50'}}]\n\
        ---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n\
        spec:\n  selector: {matchLabels: {app: web}}\n  endpoints: [{port: metrics, scheme: https}, {port: http}]\n\
        ---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: lost, namespace: shop}\n\
        spec:\n  selector: {matchLabels: {app: lost}}\n  endpoints: [{port: metrics}]\n";
    let p = Project::new().file("input.yaml", &format!("{FRONTED}---\n{extra}"));
    let run = p.run(&["import", "input.yaml", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        not_expressible(&run.stderr),
        [
            "autoscaling.k8s.io/v1 VerticalPodAutoscaler shop/web: spec.resourcePolicy.containerPolicies[1]: archctl's policy is the main container's (`web`), the first one",
            "autoscaling.k8s.io/v1 VerticalPodAutoscaler shop/web: spec.resourcePolicy.containerPolicies[0].controlledResources",
            "keda.sh/v1alpha1 ScaledObject shop/web: spec.minReplicaCount: archctl writes it, and it is not given (KEDA's default is 0)",
            "keda.sh/v1alpha1 ScaledObject shop/web: spec.fallback: archctl writes `replicas` with `failureThreshold: 3`",
            "monitoring.coreos.com/v1 ServiceMonitor shop/web: spec.endpoints[1]: archctl's ServiceMonitor scrapes one port",
            "monitoring.coreos.com/v1 ServiceMonitor shop/web: spec.endpoints[0].path: archctl writes it (default `/metrics`), and it is not given",
            "monitoring.coreos.com/v1 ServiceMonitor shop/web: spec.endpoints[0].scheme",
            "monitoring.coreos.com/v1 ServiceMonitor shop/lost: the whole object: its selector is not the selector of an imported deployment or statefulset of its namespace, and archctl's monitors select a workload's Service by it",
        ]
    );
}

#[test]
fn the_new_kinds_import_from_the_cluster_with_nothing_listed_and_diff_clean() {
    let c = crate::support::cluster::TestCluster::start();
    c.install_crds(&[
        "autoscaling.k8s.io_vpa-v1-crd-gen.yaml",
        "keda.sh_scaledobjects.yaml",
        "monitoring.coreos.com_servicemonitors.yaml",
        "external-secrets.io_externalsecrets.yaml",
        "gateway.networking.k8s.io_gateways.yaml",
        "gateway.networking.k8s.io_httproutes.yaml",
    ]);
    c.kubectl(&["create", "namespace", "shop"]).success();
    let worker = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: worker, namespace: shop, labels: {app: worker}}\n\
        spec:\n  selector: {matchLabels: {app: worker}}\n  template:\n    metadata: {labels: {app: worker}}\n    \
        spec:\n      containers: [{name: worker, image: 'acme/worker:1.0'}]\n";
    let others = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n\
        spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 2\n  maxReplicas: 6\n  \
        metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]\n\
        ---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n\
        spec:\n  maxUnavailable: 1\n  selector: {matchLabels: {app: web}}\n\
        ---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\n\
        spec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  \
        ingress: [{from: [{namespaceSelector: {matchLabels: {name: edge}}}], ports: [{port: 8080}]}]\n\
        ---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web, namespace: shop}\n\
        spec:\n  ingressClassName: nginx\n  rules:\n  \
        - host: shop.example.com\n    http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}\n\
        ---\napiVersion: autoscaling.k8s.io/v1\nkind: VerticalPodAutoscaler\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n\
        spec:\n  targetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  updatePolicy: {updateMode: 'Off'}\n\
        ---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n\
        spec:\n  selector: {matchLabels: {app: web}}\n  endpoints: [{port: metrics, path: /metrics, interval: 30s}]\n\
        ---\napiVersion: keda.sh/v1alpha1\nkind: ScaledObject\nmetadata: {name: worker, namespace: shop, labels: {app: worker}}\n\
        spec:\n  scaleTargetRef: {name: worker}\n  minReplicaCount: 0\n  maxReplicaCount: 10\n  \
        triggers: [{type: cpu, metricType: Utilization, metadata: {value: '60'}}]\n";
    // the server fills in the refresh interval and the target's policies
    let secret = format!(
        "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {{name: db, namespace: shop, labels: {}}}\n\
         spec:\n  secretStoreRef: {{name: vault, kind: ClusterSecretStore}}\n  target: {{name: db}}\n  \
         data: [{{secretKey: password, remoteRef: {{key: shop/db, property: password}}}}]\n",
        secret_labels("db")
    );
    // and the listeners' routes, the routes' parent and backend kinds and weights
    let gateway_api = format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: public, namespace: shop, labels: {}}}\n\
         spec:\n  gatewayClassName: istio\n  listeners: [{{name: http, protocol: HTTP, port: 80}}]\n\
         ---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: web, namespace: shop, labels: {}}}\n\
         spec:\n  parentRefs: [{{name: public}}]\n  rules: [{{matches: [{{path: {{value: /}}}}], backendRefs: [{{name: web, port: 80}}]}}]\n",
        own_labels("public", "gateway"),
        own_labels("web", "route")
    );
    let all = format!("{FRONTED}---\n{worker}---\n{others}---\n{secret}---\n{gateway_api}");
    c.kubectl_stdin(&["apply", "-f", "-"], &all).success();
    // the server's defaults, and the replicas the autoscalers own, are not the system's: nothing is listed
    let (p, kc, run) = import_shop_from(&c);
    // the thirteen objects and the namespace they are in
    assert!(run.stderr.contains("imported 14 of 14 objects"), "{}", run.stderr);
    let toml: toml::Table = toml::from_str(&p.read("out/archctl.toml")).unwrap();
    assert_eq!(toml["services"]["web"].get("replicas"), None);
    assert_eq!(toml["services"]["worker"]["keda"]["short_target"].as_bool(), Some(true));
    assert_eq!(toml["secrets"]["db"]["store"].as_str(), Some("vault"));
    assert_eq!(toml["secrets"]["db"].get("refresh"), None);
    assert_eq!(toml["routes"]["web"]["gateway"].as_str(), Some("public"));
    assert_eq!(toml["routes"]["web"]["rules"][0]["backends"][0].get("weight"), None);
    let diffed = diffed(&run.stderr);
    assert_eq!(diffed.len(), 14, "{}", run.stderr);
    assert!(diffed.iter().all(|l| l.ends_with(": no change")), "{}", run.stderr);
    let diff = p.run(&["-f", "out/archctl.toml", "diff", "--profile", "imported", "--kubeconfig", &kc]);
    assert_eq!(diff.code, 0, "{}\n{}", diff.stdout, diff.stderr);
}

#[test]
fn what_the_server_fills_into_jobs_autoscalers_and_namespaces_is_not_imported() {
    let c = crate::support::cluster::TestCluster::start();
    let input = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: payments}}\n\
        ---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n\
        spec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    \
        spec:\n      containers: [{name: web, image: 'acme/web:1.0'}]\n\
        ---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web, namespace: shop}\n\
        spec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 2\n  maxReplicas: 6\n  \
        metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}}]\n  \
        behavior: {scaleDown: {stabilizationWindowSeconds: 60}}\n\
        ---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: migrate, namespace: shop}\n\
        spec:\n  completions: 3\n  template:\n    spec:\n      restartPolicy: Never\n      \
        containers: [{name: migrate, image: 'acme/migrate:1.0'}]\n\
        ---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly, namespace: shop}\n\
        spec:\n  schedule: '0 3 * * *'\n  jobTemplate:\n    spec:\n      template:\n        spec:\n          \
        restartPolicy: OnFailure\n          containers: [{name: nightly, image: 'acme/nightly:1.0'}]\n";
    c.kubectl_stdin(&["apply", "-f", "-"], input).success();
    // a Job's generated selector and labels, its defaults, an autoscaler's
    // filled-in rules and a namespace's name label and finalizer are the
    // server's: nothing is listed, nothing of them is written
    let (p, kc, run) = import_shop_from(&c);
    assert!(run.stderr.contains("imported 5 of 5 objects"), "{}", run.stderr);
    assert!(run.stderr.contains("v1 Namespace shop: no change"), "{}", run.stderr);
    let text = p.read("out/archctl.toml");
    for generated in ["controller-uid", "job-name", "kubernetes.io/metadata.name", "NonIndexed", "finalizers"] {
        assert!(!text.contains(generated), "{generated} in\n{text}");
    }
    let toml: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(toml["namespaces"]["shop"]["legacy"]["labels"]["team"].as_str(), Some("payments"));
    let migrate = &toml["services"]["migrate"];
    assert_eq!(migrate["completions"].as_integer(), Some(3));
    assert_eq!(migrate.get("parallelism"), None);
    assert_eq!(migrate.get("backoff_limit"), None);
    let scaling = &toml["services"]["web"]["autoscaling"];
    assert_eq!(scaling.get("scale_up"), None, "{text}");
    assert_eq!(scaling["scale_down"].to_string(), "{ stabilization = 60 }");
    // the render the import wrote applies as the cluster has it
    let diff = p.run(&["-f", "out/archctl.toml", "diff", "--profile", "imported", "--kubeconfig", &kc]);
    assert_eq!(diff.code, 0, "{}\n{}", diff.stdout, diff.stderr);
}

#[test]
fn sidecar_and_init_images_are_profile_values_and_template_text_stays_text() {
    let input = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop, labels: {app: web}}\n\
        spec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    \
        spec:\n      initContainers: [{name: migrate, image: 'acme/migrate:1.0'}]\n      containers:\n      \
        - {name: web, image: 'acme/web:1.0', env: [{name: TPL, value: '{{ .Values.x }} {% end %}'}]}\n      \
        - {name: envoy-proxy, image: 'envoyproxy/envoy:v1.31'}\n";
    let (p, _) = round_trip(input, 1);
    let profile: toml::Table = toml::from_str(&p.read("out/profiles/imported.toml")).unwrap();
    assert_eq!(profile["vars"]["image_web_envoy_proxy"].as_str(), Some("envoyproxy/envoy:v1.31"));
    assert_eq!(profile["vars"]["image_web_migrate"].as_str(), Some("acme/migrate:1.0"));
    assert_eq!(profile["services"]["web"]["container"]["image"].as_str(), Some("acme/web:1.0"));
    // a profile that changes them changes the sidecar's and the init container's images
    let changed = p.read("out/profiles/imported.toml").replace("v1.31", "v1.32").replace("migrate:1.0", "migrate:2.0");
    let p = p.file("out/profiles/next.toml", &changed);
    let docs = p.run(&["-f", "out/archctl.toml", "render", "--profile", "next"]).success().docs();
    let pod = &find(&docs, "Deployment", Some("shop"), "web")["spec"]["template"]["spec"];
    assert_eq!(pod["containers"][1]["image"], "envoyproxy/envoy:v1.32");
    assert_eq!(pod["initContainers"][0]["image"], "acme/migrate:2.0");
    // the environment variable's template text renders as the input has it
    assert_eq!(pod["containers"][0]["env"][0]["value"], "{{ .Values.x }} {% end %}");
}

/// A StorageClass as archctl labels it in the project `shop`.
const CLASS: &str = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: fast\n  \
    labels: {app.kubernetes.io/name: fast, app.kubernetes.io/instance: shop, app.kubernetes.io/component: storage, \
    app.kubernetes.io/part-of: shop, app.kubernetes.io/managed-by: archctl}\n  \
    annotations: {storageclass.kubernetes.io/is-default-class: 'true'}\n\
    provisioner: ebs.csi.aws.com\nparameters: {type: gp3, iops: '3000'}\nreclaimPolicy: Retain\n\
    volumeBindingMode: WaitForFirstConsumer\nallowVolumeExpansion: true\n";

#[test]
fn a_storage_class_and_the_claim_that_uses_it_round_trip() {
    let claim = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data, namespace: shop, labels: {app: web}}\n\
        spec:\n  accessModes: [ReadWriteOnce]\n  storageClassName: fast\n  resources: {requests: {storage: 10Gi}}\n";
    let (p, stderr) = round_trip(&format!("{FRONTED}---\n{CLASS}---\n{claim}"), 4);
    assert!(not_expressible(&stderr).is_empty(), "{stderr}");
    assert!(stderr.contains("  storage.k8s.io/v1 StorageClass fast: no change"), "{stderr}");
    let text = p.read("out/archctl.toml");
    // one section for the class the claim names and the object declares
    assert_eq!(text.matches("[storage_classes.fast]").count(), 1, "{text}");
    let toml: toml::Table = toml::from_str(&text).unwrap();
    let c = &toml["storage_classes"]["fast"];
    assert_eq!(c["provisioner"].as_str(), Some("ebs.csi.aws.com"));
    assert_eq!(c["parameters"]["iops"].as_str(), Some("3000"));
    assert_eq!(c["reclaim_policy"].as_str(), Some("Retain"));
    assert_eq!(c["volume_binding_mode"].as_str(), Some("WaitForFirstConsumer"));
    assert_eq!(c["allow_volume_expansion"].as_bool(), Some(true));
    assert_eq!(c["default"].as_bool(), Some(true));
    assert_eq!(toml["claims"]["data"]["storage_class"].as_str(), Some("fast"));
    let rendered = p.run(&["-f", "out/archctl.toml", "render"]).success().docs();
    let input = archctl::api::parse_stream(CLASS).unwrap();
    assert_eq!(find(&rendered, "StorageClass", None, "fast"), find(&input, "StorageClass", None, "fast"));
}

#[test]
fn what_a_storage_class_holds_beyond_the_format_is_listed() {
    let class = "apiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata:\n  name: slow\n  labels: {team: storage}\n  \
        annotations: {storageclass.kubernetes.io/is-default-class: 'false', owner: me}\n\
        provisioner: kubernetes.io/no-provisioner\nmountOptions: [noatime]\n\
        allowedTopologies: [{matchLabelExpressions: [{key: topology.kubernetes.io/zone, values: [eu-west-1a]}]}]\n";
    let p = Project::new().file("input.yaml", &format!("{FRONTED}---\n{class}"));
    let run = p.run(&["import", "input.yaml", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        not_expressible(&run.stderr),
        [
            "storage.k8s.io/v1 StorageClass slow: metadata.annotations: archctl writes a StorageClass's `storageclass.kubernetes.io/is-default-class: \"true\"` (`default = true`) and no other annotation",
            "storage.k8s.io/v1 StorageClass slow: mountOptions: the topology's storage classes hold no mount options",
            "storage.k8s.io/v1 StorageClass slow: allowedTopologies: the topology's storage classes hold no topology constraints",
        ]
    );
    // its labels are kept; what is left out, an apply leaves as it is
    assert!(run.stderr.contains("  storage.k8s.io/v1 StorageClass slow: no change"), "{}", run.stderr);
    let toml: toml::Table = toml::from_str(&p.read("out/archctl.toml")).unwrap();
    let c = &toml["storage_classes"]["slow"];
    assert_eq!(c["provisioner"].as_str(), Some("kubernetes.io/no-provisioner"));
    assert_eq!(c.get("default"), None);
}

/// An external secret's labels as archctl writes them in the project `shop`.
fn secret_labels(name: &str) -> String {
    format!(
        "{{app.kubernetes.io/name: {name}, app.kubernetes.io/instance: shop, app.kubernetes.io/component: secret, \
         app.kubernetes.io/part-of: shop, app.kubernetes.io/managed-by: archctl}}"
    )
}

#[test]
fn external_secrets_of_two_stores_round_trip_with_the_keys_the_workload_reads() {
    let web = FRONTED.replace(
        "image: 'acme/web:1.0',",
        "image: 'acme/web:1.0', env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: password}}}],",
    );
    let secrets = format!(
        "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {{name: db, namespace: shop, labels: {}}}\n\
         spec:\n  refreshInterval: 15m\n  secretStoreRef: {{name: vault, kind: ClusterSecretStore}}\n  \
         target: {{name: db, creationPolicy: Owner}}\n  data:\n  \
         - {{secretKey: username, remoteRef: {{key: shop/db, property: username}}}}\n  \
         - {{secretKey: password, remoteRef: {{key: shop/db, property: password}}}}\n\
         ---\napiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata: {{name: api-keys, namespace: shop, labels: {}}}\n\
         spec:\n  secretStoreRef: {{name: vault, kind: SecretStore}}\n  target: {{name: api-keys, creationPolicy: Owner}}\n  \
         dataFrom: [{{extract: {{key: shop/api}}}}]\n\
         ---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {{name: tokens, namespace: shop, labels: {}}}\n\
         spec:\n  secretStoreRef: {{name: vault, kind: ClusterSecretStore}}\n  target: {{name: tokens, creationPolicy: Owner}}\n  \
         data:\n  - {{secretKey: a, remoteRef: {{key: a}}}}\n  - {{secretKey: b, remoteRef: {{key: shop/x, property: token}}}}\n",
        secret_labels("db"),
        secret_labels("api-keys"),
        secret_labels("tokens")
    );
    let (p, stderr) = round_trip(&format!("{web}---\n{secrets}"), 5);
    assert!(not_expressible(&stderr).is_empty(), "{stderr}");
    for name in ["db", "api-keys", "tokens"] {
        assert!(stderr.contains(&format!("ExternalSecret shop/{name}: no change")), "{stderr}");
    }
    let toml: toml::Table = toml::from_str(&p.read("out/archctl.toml")).unwrap();
    // one store entry for each store, kind and API version
    let stores = toml["secret_stores"].as_table().unwrap();
    assert_eq!(stores.keys().collect::<Vec<_>>(), ["vault", "vault-2"], "{stores:?}");
    assert_eq!(stores["vault"]["kind"].as_str(), Some("ClusterSecretStore"));
    assert_eq!(stores["vault-2"]["name"].as_str(), Some("vault"));
    assert_eq!(stores["vault-2"]["api_version"].as_str(), Some("v1beta1"));
    let db = &toml["secrets"]["db"];
    assert_eq!(db["store"].as_str(), Some("vault"));
    assert_eq!(db["remote"].as_str(), Some("shop/db"));
    assert_eq!(db["refresh"].as_str(), Some("15m"));
    assert_eq!(db["keys"].as_array().unwrap().len(), 2);
    let api = &toml["secrets"]["api-keys"];
    assert_eq!((api["store"].as_str(), api["remote"].as_str()), (Some("vault-2"), Some("shop/api")));
    assert!(api["keys"].as_array().unwrap().is_empty());
    let tokens = &toml["secrets"]["tokens"]["remote"];
    assert_eq!((tokens["a"].as_str(), tokens["b"].as_str()), (Some("a"), Some("shop/x#token")));
    let rendered = p.run(&["-f", "out/archctl.toml", "render"]).success().docs();
    let input = archctl::api::parse_stream(&secrets).unwrap();
    for name in ["db", "api-keys", "tokens"] {
        let r = find(&rendered, "ExternalSecret", Some("shop"), name);
        assert_eq!(r, find(&input, "ExternalSecret", Some("shop"), name), "{name}");
    }
}

#[test]
fn what_an_external_secret_holds_beyond_the_format_is_listed() {
    let secrets = "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: a, namespace: shop, annotations: {owner: me}}\n\
        spec:\n  refreshPolicy: Periodic\n  secretStoreRef: {name: vault}\n  target: {deletionPolicy: Retain}\n  \
        data: [{secretKey: k, remoteRef: {key: r, conversionStrategy: Default}}]\n\
        ---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: b, namespace: shop}\n\
        spec:\n  secretStoreRef: {name: vault}\n  target: {template: {data: {url: 'x{{ .k }}'}}}\n  data: [{secretKey: k, remoteRef: {key: r}}]\n\
        ---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: c, namespace: shop}\n\
        spec:\n  secretStoreRef: {name: vault}\n  dataFrom: [{find: {name: {regexp: '.*'}}}]\n\
        ---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {name: d, namespace: shop}\n\
        spec:\n  secretStoreRef: {name: vault}\n  target: {name: other}\n  data: [{secretKey: k, remoteRef: {key: r}}]\n";
    let p = Project::new().file("input.yaml", &format!("{FRONTED}---\n{secrets}"));
    let run = p.run(&["import", "input.yaml", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        not_expressible(&run.stderr),
        [
            "external-secrets.io/v1 ExternalSecret shop/a: spec.refreshPolicy: the topology's external secrets hold no `refreshPolicy`",
            "external-secrets.io/v1 ExternalSecret shop/a: spec.secretStoreRef.kind: archctl writes it, and it is not given (external-secrets reads none as `SecretStore`)",
            "external-secrets.io/v1 ExternalSecret shop/a: spec.target.deletionPolicy: archctl leaves `Retain`, the default, out",
            "external-secrets.io/v1 ExternalSecret shop/a: spec.target.name: archctl writes it, and it is not given (external-secrets defaults it to the object's name)",
            "external-secrets.io/v1 ExternalSecret shop/a: spec.target.creationPolicy: archctl writes it, and it is not given (the default is `Owner`)",
            "external-secrets.io/v1 ExternalSecret shop/a: spec.data[0].remoteRef.conversionStrategy: archctl leaves `Default`, the default, out",
            "external-secrets.io/v1 ExternalSecret shop/a: metadata.annotations: archctl writes none on an ExternalSecret",
            "external-secrets.io/v1 ExternalSecret shop/b: the whole object: spec.target.template: archctl writes the fetched values as they are, not templated",
            "external-secrets.io/v1 ExternalSecret shop/c: the whole object: spec.dataFrom[0]: archctl's external secrets extract one remote key whole",
            "external-secrets.io/v1 ExternalSecret shop/d: the whole object: spec.target.name: archctl's external secret fills the Secret of its own name (`d`), not another",
        ]
    );
    assert!(run.stderr.contains("ExternalSecret shop/a: changed where it is not expressible"), "{}", run.stderr);
    let toml: toml::Table = toml::from_str(&p.read("out/archctl.toml")).unwrap();
    // what is skipped declares no secret
    let names: Vec<&String> = toml["secrets"].as_table().unwrap().keys().collect();
    assert_eq!(names, ["a"]);
    assert_eq!(toml["secrets"]["a"]["store"].as_str(), Some("vault"));
}

/// A Deployment `cart` of namespace `backend` with its Service, port `grpc` (50051).
const CART: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cart, namespace: backend, labels: {app: cart}}\n\
spec:\n  selector: {matchLabels: {app: cart}}\n  template:\n    metadata: {labels: {app: cart}}\n    \
spec:\n      containers: [{name: cart, image: 'acme/cart:1.0', ports: [{name: grpc, containerPort: 50051}]}]\n\
---\napiVersion: v1\nkind: Service\nmetadata: {name: cart, namespace: backend, labels: {app: cart}}\n\
spec:\n  selector: {app: cart}\n  ports: [{name: grpc, port: 50051, targetPort: grpc}]\n";

/// The labels archctl writes on an object of the project `shop`.
fn own_labels(name: &str, component: &str) -> String {
    format!(
        "{{app.kubernetes.io/name: {name}, app.kubernetes.io/instance: shop, app.kubernetes.io/component: {component}, \
         app.kubernetes.io/part-of: shop, app.kubernetes.io/managed-by: archctl}}"
    )
}

#[test]
fn a_gateway_its_routes_and_the_grant_a_route_to_another_namespace_needs_round_trip() {
    let gateway_api = format!(
        "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata:\n  name: public\n  namespace: shop\n  labels: {}\n  \
         annotations: {{owner: web}}\nspec:\n  gatewayClassName: istio\n  listeners:\n  \
         - {{name: http, protocol: HTTP, port: 80, hostname: '*.example.com'}}\n  \
         - {{name: https, protocol: HTTPS, port: 443, tls: {{mode: Terminate, certificateRefs: [{{kind: Secret, name: shop-tls}}]}}}}\n\
         ---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: web, namespace: shop, labels: {}}}\n\
         spec:\n  parentRefs: [{{name: public, sectionName: https}}]\n  hostnames: [shop.example.com]\n  rules:\n  \
         - matches: [{{path: {{type: PathPrefix, value: /}}}}]\n    backendRefs: [{{name: web, port: 80, weight: 90}}]\n  \
         - matches: [{{path: {{type: Exact, value: /metrics}}, headers: [{{type: Exact, name: x-debug, value: 'on'}}]}}]\n    \
         backendRefs: [{{name: web, port: 9090}}]\n\
         ---\napiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {{name: cart, namespace: shop, labels: {}}}\n\
         spec:\n  parentRefs: [{{name: public}}]\n  rules:\n  \
         - matches: [{{method: {{type: Exact, service: shop.Cart, method: AddItem}}}}]\n    \
         backendRefs: [{{name: cart, namespace: backend, port: 50051}}]\n\
         ---\napiVersion: gateway.networking.k8s.io/v1\nkind: ReferenceGrant\nmetadata: {{name: grpcroute-shop, namespace: backend, labels: {}}}\n\
         spec:\n  from: [{{group: gateway.networking.k8s.io, kind: GRPCRoute, namespace: shop}}]\n  to: [{{group: '', kind: Service}}]\n\
         ---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: docs, namespace: shop, labels: {}}}\n\
         spec:\n  parentRefs: [{{name: mesh, namespace: infra}}]\n  rules: [{{backendRefs: [{{name: web, port: 80}}]}}]\n\
         ---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: shared, namespace: shop, labels: {}}}\n\
         spec:\n  gatewayClassName: istio\n  listeners: [{{name: grpc, protocol: HTTP, port: 8080, allowedRoutes: {{namespaces: {{from: All}}}}}}]\n\
         ---\napiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {{name: cart-direct, namespace: backend, labels: {}}}\n\
         spec:\n  parentRefs: [{{name: shared, namespace: shop}}]\n  rules: [{{backendRefs: [{{name: cart, port: 50051}}]}}]\n",
        own_labels("public", "gateway"),
        own_labels("web", "route"),
        own_labels("cart", "route"),
        own_labels("grpcroute-shop", "reference-grant"),
        own_labels("docs", "route"),
        own_labels("shared", "gateway"),
        own_labels("cart-direct", "route"),
    );
    let (p, stderr) = round_trip(&format!("{FRONTED}---\n{CART}---\n{gateway_api}"), 11);
    assert!(not_expressible(&stderr).is_empty(), "{stderr}");
    for object in [
        "Gateway shop/public",
        "HTTPRoute shop/web",
        "GRPCRoute shop/cart",
        "ReferenceGrant backend/grpcroute-shop",
        "HTTPRoute shop/docs",
        "Gateway shop/shared",
        "GRPCRoute backend/cart-direct",
    ] {
        assert!(stderr.contains(&format!("gateway.networking.k8s.io/v1 {object}: no change")), "{object}: {stderr}");
    }
    let toml: toml::Table = toml::from_str(&p.read("out/archctl.toml")).unwrap();
    let g = &toml["gateways"]["public"];
    assert_eq!(g["class"].as_str(), Some("istio"));
    assert_eq!(g["listeners"][1]["certificates"][0].as_str(), Some("shop-tls"));
    assert_eq!(g["annotations"]["owner"].as_str(), Some("web"));
    let web = &toml["routes"]["web"];
    assert_eq!(web["gateway"]["section"].as_str(), Some("https"));
    assert_eq!(web["rules"][1]["matches"][0]["type"].as_str(), Some("Exact"));
    assert_eq!(web["rules"][1]["matches"][0]["headers"]["x-debug"].as_str(), Some("on"));
    assert_eq!(web["rules"][0]["backends"][0]["weight"].as_integer(), Some(90));
    let cart = &toml["routes"]["cart"];
    assert_eq!((cart["kind"].as_str(), cart["gateway"].as_str()), (Some("grpc"), Some("public")));
    assert_eq!(cart["rules"][0]["matches"][0]["grpc_method"].as_str(), Some("AddItem"));
    // a gateway of the cluster: named, not declared
    let docs = &toml["routes"]["docs"]["gateway"];
    assert_eq!((docs["namespace"].as_str(), docs["external"].as_bool()), (Some("infra"), Some(true)));
    assert!(toml["gateways"].get("mesh").is_none());
    // a route of another namespace on a gateway that allows it: the gateway's own
    assert_eq!(toml["routes"]["cart-direct"]["gateway"].as_str(), Some("shared"));
    assert_eq!(toml["routes"]["cart-direct"]["namespace"].as_str(), Some("backend"));
    let rendered = p.run(&["-f", "out/archctl.toml", "render"]).success().docs();
    let input = archctl::api::parse_stream(&gateway_api).unwrap();
    for (kind, ns, name) in [
        ("Gateway", "shop", "public"),
        ("HTTPRoute", "shop", "web"),
        ("GRPCRoute", "shop", "cart"),
        ("ReferenceGrant", "backend", "grpcroute-shop"),
        ("HTTPRoute", "shop", "docs"),
        ("Gateway", "shop", "shared"),
        ("GRPCRoute", "backend", "cart-direct"),
    ] {
        assert_eq!(find(&rendered, kind, Some(ns), name), find(&input, kind, Some(ns), name), "{kind} {name}");
    }
}

#[test]
fn what_gateways_and_routes_hold_beyond_the_format_is_listed() {
    let gateway_api = "apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: shop}\n\
        spec:\n  gatewayClassName: istio\n  listeners:\n  \
        - {name: https, protocol: HTTPS, port: 443, tls: {certificateRefs: [{name: shop-tls}]}, allowedRoutes: {namespaces: {from: Same}}}\n\
        ---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: lb, namespace: shop}\n\
        spec:\n  gatewayClassName: istio\n  addresses: [{value: 10.0.0.1}]\n  listeners: [{name: http, protocol: HTTP, port: 80}]\n\
        ---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: shared, namespace: shop}\n\
        spec:\n  gatewayClassName: istio\n  listeners: [{name: http, protocol: HTTP, port: 80, allowedRoutes: {namespaces: {from: All}}}]\n\
        ---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: a, namespace: shop}\n\
        spec:\n  parentRefs: [{group: gateway.networking.k8s.io, kind: Gateway, name: edge, namespace: shop}]\n  \
        rules: [{matches: [{path: {value: /a}}], backendRefs: [{kind: Service, name: web, port: 80}]}]\n\
        ---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: b, namespace: shop}\n\
        spec:\n  parentRefs: [{name: edge}]\n  \
        rules: [{filters: [{type: RequestHeaderModifier, requestHeaderModifier: {add: [{name: x, value: y}]}}], backendRefs: [{name: web, port: 80}]}]\n\
        ---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: c, namespace: shop}\n\
        spec:\n  parentRefs: [{name: edge}]\n  rules: [{backendRefs: [{name: gone, port: 80}]}]\n\
        ---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: d, namespace: shop}\n\
        spec:\n  parentRefs: [{name: edge}]\n  rules: [{matches: [{path: {type: PathPrefix, value: /cart}}], backendRefs: [{name: cart, namespace: backend, port: 50051}]}]\n\
        ---\napiVersion: gateway.networking.k8s.io/v1\nkind: ReferenceGrant\nmetadata: {name: stray, namespace: backend}\n\
        spec:\n  from: [{group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: shop}]\n  to: [{group: '', kind: Service}]\n\
        ---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: same, namespace: shop}\n\
        spec:\n  parentRefs: [{name: edge}]\n  rules: [{matches: [{path: {type: PathPrefix, value: /a}}], backendRefs: [{name: web, port: 9090}]}]\n\
        ---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: e, namespace: shop}\n\
        spec:\n  parentRefs: [{name: edge, sectionName: http}]\n  rules: [{backendRefs: [{name: web, port: 80}]}]\n";
    let p = Project::new().file("input.yaml", &format!("{FRONTED}---\n{CART}---\n{gateway_api}"));
    let run = p.run(&["import", "input.yaml", "--out", "out"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        not_expressible(&run.stderr),
        [
            "gateway.networking.k8s.io/v1 Gateway shop/edge: spec.listeners[0].tls.mode: archctl writes it, and it is not given (the default is `Terminate`)",
            "gateway.networking.k8s.io/v1 Gateway shop/edge: spec.listeners[0].tls.certificateRefs[0].kind: archctl writes it, and it is not given (the default is `Secret`)",
            "gateway.networking.k8s.io/v1 Gateway shop/edge: spec.listeners[0].allowedRoutes: archctl leaves `namespaces.from: Same`, the default, out",
            "gateway.networking.k8s.io/v1 Gateway shop/lb: the whole object: spec.addresses: archctl's gateways hold a class and listeners only",
            "gateway.networking.k8s.io/v1 Gateway shop/shared: the whole object: its listeners allow routes of every namespace (`allowedRoutes.namespaces.from: All`), which archctl writes only for a gateway that an imported route of another namespace attaches to, and none does",
            "gateway.networking.k8s.io/v1 HTTPRoute shop/a: spec.parentRefs[0].group: archctl leaves `gateway.networking.k8s.io`, the default, out",
            "gateway.networking.k8s.io/v1 HTTPRoute shop/a: spec.parentRefs[0].kind: archctl leaves `Gateway`, the default, out",
            "gateway.networking.k8s.io/v1 HTTPRoute shop/a: spec.parentRefs[0].namespace: archctl leaves out the route's own namespace",
            "gateway.networking.k8s.io/v1 HTTPRoute shop/a: spec.rules[0].matches[0].path.type: archctl writes it, and it is not given (the default is `PathPrefix`)",
            "gateway.networking.k8s.io/v1 HTTPRoute shop/a: spec.rules[0].backendRefs[0].kind: archctl leaves `Service`, the default, out",
            "gateway.networking.k8s.io/v1 HTTPRoute shop/b: the whole object: spec.rules[0].filters: archctl's route rules hold matches and backends only",
            "gateway.networking.k8s.io/v1 HTTPRoute shop/c: the whole object: spec.rules[0].backendRefs[0]: it routes to the Service `gone`, which is not among the imported objects of a workload of namespace `shop`",
            "gateway.networking.k8s.io/v1 HTTPRoute shop/d: the whole object: spec.rules[0].backendRefs[0]: a Service of namespace `backend`, where archctl renders the ReferenceGrant `httproute-shop` for it, and the input has none of that name and spec",
            "gateway.networking.k8s.io/v1 ReferenceGrant backend/stray: the whole object: archctl renders the ReferenceGrants its routes need, one for each kind of route and namespace (`httproute-NAMESPACE`, `grpcroute-NAMESPACE`), and no imported route needs this one",
            "gateway.networking.k8s.io/v1 HTTPRoute shop/same: the whole object: it claims requests of the gateway `edge` that the route `a` claims too, and archctl sends requests of a gateway to one route",
            "gateway.networking.k8s.io/v1 HTTPRoute shop/e: the whole object: spec.parentRefs[0].sectionName: the gateway `edge` has no listener `http`",
        ]
    );
    assert!(run.stderr.contains("every wholly expressed object (4) renders unchanged"), "{}", run.stderr);
    let toml: toml::Table = toml::from_str(&p.read("out/archctl.toml")).unwrap();
    assert_eq!(toml["gateways"].as_table().unwrap().keys().collect::<Vec<_>>(), ["edge"]);
    assert_eq!(toml["routes"].as_table().unwrap().keys().collect::<Vec<_>>(), ["a"]);
}

/// Objects of kinds archctl labels itself, labelled as another tool
/// labels them, keep their labels exactly (`legacy`), and round-trip.
#[test]
fn storage_classes_gateways_routes_and_external_secrets_keep_their_own_labels() {
    let input = format!(
        "{FRONTED}---\napiVersion: storage.k8s.io/v1\nkind: StorageClass\nmetadata: {{name: fast, labels: {{team: storage}}}}\n\
         provisioner: ebs.csi.aws.com\n\
         ---\napiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {{name: edge, namespace: shop, labels: {{app: edge, tier: front}}}}\n\
         spec:\n  gatewayClassName: istio\n  listeners: [{{name: http, protocol: HTTP, port: 80}}]\n\
         ---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {{name: web, namespace: shop}}\n\
         spec:\n  parentRefs: [{{name: edge}}]\n  rules: [{{backendRefs: [{{name: web, port: 80}}]}}]\n\
         ---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata: {{name: db, namespace: shop, labels: {{app: web}}}}\n\
         spec:\n  secretStoreRef: {{name: vault, kind: SecretStore}}\n  target: {{name: db, creationPolicy: Owner}}\n  \
         dataFrom: [{{extract: {{key: shop/db}}}}]\n"
    );
    let (p, stderr) = round_trip(&input, 6);
    assert!(not_expressible(&stderr).is_empty(), "{stderr}");
    let toml: toml::Table = toml::from_str(&p.read("out/archctl.toml")).unwrap();
    assert_eq!(toml["storage_classes"]["fast"]["legacy"]["labels"]["team"].as_str(), Some("storage"));
    assert_eq!(toml["gateways"]["edge"]["legacy"]["labels"]["tier"].as_str(), Some("front"));
    // a route without labels keeps none
    assert_eq!(toml["routes"]["web"]["legacy"]["labels"].as_table().map(|t| t.len()), Some(0));
    assert_eq!(toml["secrets"]["db"]["legacy"]["labels"]["app"].as_str(), Some("web"));
    // every render warns that they are kept
    let check = p.run(&["-f", "out/archctl.toml", "check"]);
    for what in ["storage class `fast`", "gateway `edge`", "route `web`", "external secret `db`"] {
        assert!(check.stderr.contains(&format!("{what} keeps legacy labels")), "{what}: {}", check.stderr);
    }
}
