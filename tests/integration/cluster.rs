//! `archctl diff` against an API server: the emulator in
//! support/kube_emulator.rs, seeded through the real kubectl.

use serde_json::{Value, json};

use crate::support::kube_emulator::Emulator;
use crate::support::{Project, Run};

/// The Archivist project, a running emulator, and its kubeconfig.
struct Cluster {
    p: Project,
    emu: Emulator,
}

impl Cluster {
    fn new() -> Cluster {
        let p = Project::archivist();
        let emu = Emulator::start();
        emu.kubeconfig(p.path());
        Cluster { p, emu }
    }

    /// Applies a render with the real kubectl (server-side, field manager
    /// archctl: what `kubectl apply --server-side` of the render would do).
    fn apply(&self, profile: &str) {
        let yaml = self.p.run(&["render", "--profile", profile]).success().stdout;
        std::fs::write(self.p.path().join("applied.yaml"), yaml).unwrap();
        let run = self.emu.kubectl(
            self.p.path(),
            &[
                "apply",
                "--server-side",
                "--field-manager",
                "archctl",
                "--force-conflicts",
                "--validate=false",
                "-f",
                "applied.yaml",
            ],
        );
        assert_eq!(run.code, 0, "kubectl apply failed:\n{}\n{}", run.stdout, run.stderr);
    }

    fn diff(&self, args: &[&str]) -> Run {
        let mut all = vec!["diff", "--kubeconfig", "kubeconfig"];
        all.extend_from_slice(args);
        let run = self.p.run(&all);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        run
    }

    /// Every request archctl sent must be a read or a dry run.
    fn assert_read_only(&self) {
        for r in self.emu.requests() {
            if r.user_agent.as_deref().is_some_and(|u| u.contains("kubectl")) {
                continue;
            }
            let read = r.method == "GET";
            let dry = r.method == "PATCH" && r.param("dryRun").as_deref() == Some("All");
            assert!(read || dry, "archctl sent a mutating request: {} {}?{}", r.method, r.path, r.query);
        }
    }
}

#[test]
fn no_differences_after_kubectl_applied_the_render() {
    let c = Cluster::new();
    c.apply("production");
    let run = c.diff(&["--profile", "production"]);
    assert_eq!(run.code, 0, "defaults and server fields must cause no noise:\n{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("24 unchanged, 0 errors"), "{}", run.stderr);
    c.assert_read_only();
    // one LIST per kind and namespace, and no GET of objects it listed
    let gets_of_objects = c
        .emu
        .requests()
        .iter()
        .filter(|r| {
            r.method == "GET"
                && r.user_agent.as_deref().is_some_and(|u| !u.contains("kubectl"))
                && r.path.matches('/').count() >= 6
        })
        .count();
    assert_eq!(gets_of_objects, 0, "labelled objects come from the lists");
    let dry_runs = c.emu.requests().iter().filter(|r| r.method == "PATCH" && r.is_dry_run()).count();
    assert_eq!(dry_runs, 24);
    for r in c.emu.requests().iter().filter(|r| r.method == "PATCH") {
        assert_eq!(r.param("fieldManager").as_deref(), Some("archctl"));
        assert_eq!(r.content_type.as_deref(), Some("application/apply-patch+yaml"));
    }
}

#[test]
fn each_real_change_is_shown_once() {
    let c = Cluster::new();
    c.apply("production");
    // replica count (graph-service), image and env var: edit the topology
    let topo = c
        .p
        .read("archctl.toml")
        .replace("replicas = { pilot = 1, phase1 = 2, phase3 = 3 }", "replicas = { pilot = 1, phase1 = 2, phase2 = 4 }")
        .replace("image = \"{{ registry }}/graph-service:{{ tag }}\"", "image = \"{{ registry }}/graph-service:1.4.3\"")
        .replace("NEO4J_USER = \"neo4j\"", "NEO4J_USER = \"graph\"");
    std::fs::write(c.p.path().join("archctl.toml"), topo).unwrap();
    let run = c.diff(&["--profile", "production"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let out = &run.stdout;
    assert!(out.contains("~ apps/v1 Deployment archivist/graph-service (change)"), "{out}");
    assert_eq!(out.matches("-  replicas: 2\n+  replicas: 4\n").count(), 1, "{out}");
    assert!(out.contains("-        image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/archivist/graph-service:1.4.2\n+        image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/archivist/graph-service:1.4.3\n"), "{out}");
    assert!(out.contains("-          value: neo4j\n+          value: graph\n"), "{out}");
    // the version label follows the image tag on the deployment
    let headers: Vec<&str> =
        out.lines().filter(|l| l.len() > 2 && l.as_bytes()[1] == b' ' && l.as_bytes()[2] != b' ').collect();
    assert_eq!(
        headers,
        ["~ v1 Service archivist/graph-service (change)", "~ apps/v1 Deployment archivist/graph-service (change)"],
        "{out}"
    );
    c.assert_read_only();
}

#[test]
fn new_objects_prune_candidates_and_summary() {
    let c = Cluster::new();
    c.apply("production");
    // the VPA goes, a config map arrives
    let topo = c.p.read("archctl.toml");
    let start = topo.find("[services.rag-api.vpa]").unwrap();
    let end = start + topo[start..].find("\n\n").unwrap();
    let topo = format!(
        "{}{}\n[config_maps.feature-flags]\nnamespace = \"archivist\"\ndata = {{ search = \"on\" }}\n",
        &topo[..start],
        &topo[end..]
    );
    std::fs::write(c.p.path().join("archctl.toml"), topo).unwrap();
    let run = c.diff(&["--profile", "production", "--summary"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let out = &run.stdout;
    assert!(out.contains("+ create  v1 ConfigMap archivist/feature-flags"), "{out}");
    assert!(out.contains("- prune   autoscaling.k8s.io/v1 VerticalPodAutoscaler archivist/rag-api-vpa"), "{out}");
    assert!(out.contains("= same    v1 ConfigMap archivist/archivist-config"), "{out}");
    assert_eq!(
        out.lines().last().unwrap(),
        "1 to create, 0 to change, 0 to replace, 1 to prune, 23 unchanged, 0 errors"
    );
    c.assert_read_only();
    // the new object shown whole, the pruned one as deletions
    let full = c.diff(&["--profile", "production"]);
    assert!(
        full.stdout.contains("+ v1 ConfigMap archivist/feature-flags (create)\n--- live\n+++ archctl\n"),
        "{}",
        full.stdout
    );
    assert!(full.stdout.contains("+  search: 'on'"), "{}", full.stdout);
    assert!(full.stdout.contains("-kind: VerticalPodAutoscaler"), "{}", full.stdout);
    // JSON for tools
    let run = c.diff(&["--profile", "production", "-o", "json"]);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!((report["totals"]["create"].as_u64(), report["totals"]["prune"].as_u64()), (Some(1), Some(1)));
}

#[test]
fn storage_changes_a_statefulset_cannot_take_require_replace() {
    let c = Cluster::new();
    c.apply("production");
    // dev maps every class to `standard` and shrinks the volumes
    let run = c.diff(&["--profile", "dev", "--summary"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("! replace apps/v1 StatefulSet archivist-data/neo4j  (requires replace:"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("! replace v1 PersistentVolumeClaim archivist/pdf-input-pvc"), "{}", run.stdout);
    assert!(run.stdout.contains("+ create  v1 Secret archivist/archivist-secrets"), "{}", run.stdout);
    c.assert_read_only();
}

#[test]
fn secret_changes_are_redacted() {
    let c = Cluster::new();
    c.apply("dev");
    assert_eq!(c.diff(&["--profile", "dev"]).code, 0, "dev as applied");
    // someone put a real value into the placeholder secret
    c.emu.seed_as(
        "kubectl",
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "archivist-secrets", "namespace": "archivist",
               "labels": {"app.kubernetes.io/managed-by": "archctl", "app.kubernetes.io/part-of": "archivist"},
               "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"stringData\":{\"gemini-api-key\":\"CANARY-7f3a\"}}"}},
               "type": "Opaque", "stringData": {"gemini-api-key": "CANARY-7f3a", "neo4j-password": "REPLACE_ME"}}),
    );
    for args in
        [vec!["--profile", "dev"], vec!["--profile", "dev", "-o", "json"], vec!["--profile", "dev", "--summary"]]
    {
        let run = c.diff(&args);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(!all.contains("CANARY") && !all.contains("Q0FOQVJZ"), "a secret value leaked:\n{all}");
        assert!(!all.contains("REPLACE_ME") && !all.contains("UkVQTEFDRV9NRQ"), "{all}");
        if args.len() == 2 {
            assert!(run.stdout.contains("+  gemini-api-key: '<redacted: changed>'"), "{}", run.stdout);
            assert!(run.stdout.contains("neo4j-password: <redacted>"), "{}", run.stdout);
        }
    }
}

#[test]
fn a_forbidden_dry_run_falls_back_to_the_rendered_fields() {
    let c = Cluster::new();
    c.apply("production");
    c.emu.forbid_dry_run();
    let run = c.diff(&["--profile", "production", "--summary"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("no dry run"), "{}", run.stdout);
    assert!(run.stdout.contains("compared the fields the render sets"), "{}", run.stdout);
    // a real change is still seen
    let run = c.diff(&["--profile", "production", "--phase", "phase3"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("-  maxReplicas: 10\n+  maxReplicas: 20\n"), "{}", run.stdout);
}

#[test]
fn per_object_problems_do_not_abort_the_run() {
    let c = Cluster::new();
    c.apply("production");
    // a CRD that is not installed, a namespace that is gone, an immutable field, RBAC
    c.emu.hide_kind("servicemonitors");
    c.emu.forbid("PATCH", "ingresses");
    let topo =
        c.p.read("archctl.toml")
            .replace("component = \"cache\"", "component = \"cache\"\nlabels = { tier = \"cache\" }");
    std::fs::write(c.p.path().join("archctl.toml"), topo).unwrap();
    let run = c.diff(&["--profile", "production", "--summary"]);
    let out = &run.stdout;
    assert!(
        out.contains("+ create  monitoring.coreos.com/v1 ServiceMonitor archivist/archivist-metrics  (no dry run"),
        "{out}"
    );
    assert!(
        out.contains("networking.k8s.io/v1 Ingress archivist/archivist-ingress  (no dry run (dry-run apply: forbidden"),
        "{out}"
    );
    // everything else was still diffed
    assert!(out.contains("= same    apps/v1 Deployment archivist/rag-api"), "{out}");
    assert_eq!(run.code, 1, "{}", run.stderr);
}

#[test]
fn immutable_changes_require_replace_and_missing_namespaces_show_as_create() {
    let c = Cluster::new();
    c.apply("production");
    // a new project name changes every selector: immutable on workloads
    let topo = c.p.read("archctl.toml").replacen("name = \"archivist\"", "name = \"archivist2\"", 1);
    std::fs::write(c.p.path().join("archctl.toml"), topo).unwrap();
    let run = c.diff(&["--profile", "production", "--summary"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout.contains("! replace apps/v1 Deployment archivist/rag-api  (requires replace:"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("field is immutable"), "{}", run.stdout);
    // a fresh cluster: namespaces do not exist yet
    let fresh = Cluster::new();
    let run = fresh.diff(&["--profile", "production", "--summary"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("+ create  apps/v1 Deployment archivist/rag-api"), "{}", run.stdout);
    assert!(run.stdout.contains("24 to create"), "{}", run.stdout);
    fresh.assert_read_only();
}

#[test]
fn forbidden_reads_are_errors_on_those_objects() {
    let c = Cluster::new();
    c.apply("production");
    c.emu.forbid("list", "configmaps");
    c.emu.forbid("GET", "configmaps");
    let run = c.diff(&["--profile", "production", "--summary"]);
    assert_eq!(run.code, 2, "errors exit 2:\n{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("x error   v1 ConfigMap archivist/archivist-config"), "{}", run.stdout);
    assert!(run.stdout.contains("= same    apps/v1 Deployment archivist/rag-api"), "{}", run.stdout);
}

#[test]
fn expired_credentials_are_a_clear_error() {
    let c = Cluster::new();
    c.emu.forbid("list", "*");
    let run = c.diff(&["--profile", "production"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty() || run.stdout.contains("error"), "{}", run.stdout);
}

/// A generated fleet of `services`, and an emulator holding its
/// `production` render as applied by archctl, with `kubeconfig` written
/// into the project; the render's YAML too.
fn seeded_fleet(services: usize) -> (Project, Emulator, String) {
    let p = Project::new();
    p.run(&["dev", "generate", "--services", &services.to_string(), "--out", "."]).success();
    let yaml = p.run(&["render", "--profile", "production"]).success().stdout;
    let emu = Emulator::start();
    for doc in archctl::emit::yaml::parse_stream(&yaml).unwrap() {
        emu.seed_as("archctl", doc);
    }
    emu.kubeconfig(p.path());
    (p, emu, yaml)
}

/// `--concurrency N` bounds the requests in flight, LISTs and dry runs alike.
#[test]
fn concurrency_bounds_the_requests_in_flight() {
    let (p, emu, _) = seeded_fleet(40);
    emu.set_latency(std::time::Duration::from_millis(20));
    for n in [1, 3] {
        emu.clear_requests();
        let bound = n.to_string();
        let run = p.run(&[
            "diff",
            "--kubeconfig",
            "kubeconfig",
            "--profile",
            "production",
            "--summary",
            "--concurrency",
            &bound,
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let at_once = emu.max_in_flight();
        assert!(at_once <= n, "--concurrency {n}: {at_once} requests at once");
        if n > 1 {
            assert!(at_once > 1, "--concurrency {n}: the requests never overlapped");
        }
    }
}

/// Fleet scale: 1,000 services (3,004 objects) against an API server that
/// answers every request 5 ms late. The structure is asserted — one LIST
/// per kind and namespace, one dry run per object, no per-object GETs —
/// and the wall time printed (scripts/bench.sh and BENCHMARKS.md hold the
/// measured figures; tests do not time).
#[test]
fn at_fleet_scale_reads_are_batched_and_dry_runs_concurrent() {
    let (p, emu, yaml) = seeded_fleet(1000);
    emu.clear_requests();
    emu.set_latency(std::time::Duration::from_millis(5));
    let started = std::time::Instant::now();
    let run = p.run(&["diff", "--kubeconfig", "kubeconfig", "--profile", "production", "--summary"]);
    let elapsed = started.elapsed();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let objects = archctl::emit::yaml::parse_stream(&yaml).unwrap();
    assert!(
        run.stdout.ends_with(&format!("{} unchanged, 0 errors\n", objects.len())),
        "{}",
        run.stdout.lines().last().unwrap_or("")
    );
    let requests = emu.requests();
    let dry_runs = requests.iter().filter(|r| r.method == "PATCH" && r.is_dry_run()).count();
    assert_eq!(dry_runs, objects.len());
    let namespaces: std::collections::BTreeSet<&str> =
        objects.iter().filter_map(|o| o["metadata"]["namespace"].as_str()).collect();
    let lists = requests.iter().filter(|r| r.method == "GET" && r.param("labelSelector").is_some()).count();
    let kinds = archctl::build::object::KINDS.len();
    assert!(lists <= kinds * namespaces.len(), "{lists} lists for {kinds} kinds in {} namespaces", namespaces.len());
    // /apis/<group>/<version>/namespaces/<ns>/<plural>/<name>: one object
    let gets = requests
        .iter()
        .filter(|r| r.method == "GET" && r.param("labelSelector").is_none() && r.path.matches('/').count() >= 6)
        .count();
    assert_eq!(gets, 0, "no object is read on its own");
    assert!(requests.iter().all(|r| r.method == "GET" || r.is_dry_run()), "read-only");
    let at_once = emu.max_in_flight();
    assert!((2..=32).contains(&at_once), "{at_once} requests at once; the default bound is 32");
    eprintln!(
        "diff of {} objects with 5 ms latency: {:.2?} ({lists} lists, {dry_runs} dry runs)",
        objects.len(),
        elapsed
    );
}
