//! `archctl diff` against a real kube-apiserver, etcd and
//! kube-controller-manager (scripts/test-cluster.sh), seeded with the real
//! kubectl. One test per way the real server differs from what an
//! imitation would suggest; after each diff the audit log proves archctl
//! only read and dry-ran.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::cluster::TestCluster;
use crate::support::{Project, Run};

/// Every CRD of what archctl renders, from `../shared/crds/manifests/`.
pub(crate) const CRDS: &[&str] = &[
    "keda.sh_scaledobjects.yaml",
    "monitoring.coreos.com_servicemonitors.yaml",
    "autoscaling.k8s.io_vpa-v1-crd-gen.yaml",
    "external-secrets.io_externalsecrets.yaml",
    "external-secrets.io_secretstores.yaml",
    "external-secrets.io_clustersecretstores.yaml",
    "gateway.networking.k8s.io_gatewayclasses.yaml",
    "gateway.networking.k8s.io_gateways.yaml",
    "gateway.networking.k8s.io_httproutes.yaml",
    "gateway.networking.k8s.io_grpcroutes.yaml",
    "gateway.networking.k8s.io_referencegrants.yaml",
];

/// A project and a control plane of its own.
pub(crate) struct Live {
    pub p: Project,
    pub k: TestCluster,
}

impl Live {
    /// `p` against a fresh control plane with `crds` installed.
    pub(crate) fn new(p: Project, crds: &[&str]) -> Live {
        let k = TestCluster::start();
        if !crds.is_empty() {
            k.install_crds(crds);
        }
        Live { p, k }
    }

    /// The Archivist project with every CRD.
    pub(crate) fn archivist() -> Live {
        Live::new(Project::archivist(), CRDS)
    }

    /// Renders with `args` and applies the render as the README says:
    /// `kubectl apply --server-side --field-manager=archctl`. The server
    /// must accept it without an error or a warning.
    pub(crate) fn apply(&self, args: &[&str]) {
        let mut render = vec!["render"];
        render.extend_from_slice(args);
        let yaml = self.p.run(&render).success().stdout;
        let run = self.k.kubectl_stdin(&["apply", "--server-side", "--field-manager=archctl", "-f", "-"], &yaml);
        assert_eq!(run.code, 0, "kubectl apply of `archctl {}` failed:\n{}", render.join(" "), run.stderr);
        assert!(
            run.stderr.trim().is_empty(),
            "kubectl apply of `archctl {}` warned:\n{}",
            render.join(" "),
            run.stderr
        );
    }

    /// Edits the topology.
    pub(crate) fn edit(&self, f: impl FnOnce(String) -> String) {
        let path = self.p.path().join("archctl.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(path, f(text)).unwrap();
    }

    /// `archctl diff` with the cluster's kubeconfig, then the audit check.
    pub(crate) fn diff(&self, args: &[&str]) -> Run {
        let kubeconfig = self.k.kubeconfig().to_string_lossy().into_owned();
        let mut all = vec!["diff", "--kubeconfig", kubeconfig.as_str()];
        all.extend_from_slice(args);
        let run = self.p.run(&all);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert_read_only(&self.k);
        run
    }
}

/// The audit events of requests archctl sent (its user agent).
pub(crate) fn archctl_requests(k: &TestCluster) -> Vec<Value> {
    k.audit().into_iter().filter(|e| e["userAgent"].as_str().is_some_and(|u| u.starts_with("archctl/"))).collect()
}

/// Every request archctl sent was a read or a dry run.
#[track_caller]
pub(crate) fn assert_read_only(k: &TestCluster) {
    for e in archctl_requests(k) {
        let verb = e["verb"].as_str().unwrap_or("");
        let uri = e["requestURI"].as_str().unwrap_or("");
        let read = verb == "get" || verb == "list";
        let dry = verb == "patch" && uri.contains("dryRun=All");
        assert!(read || dry, "archctl sent a request that can change the cluster: {verb} {uri}");
    }
}

#[test]
fn no_differences_after_kubectl_applied_the_render() {
    let c = Live::archivist();
    c.apply(&["--profile", "production"]);
    // the controllers write to what was just applied for a moment (the
    // deployment revision annotation, status), and a dry run that sees
    // another version than the LIST reads the object again: the request
    // pattern is counted on a quiet cluster, the diff must be clean always
    let single_gets =
        |events: &[Value]| events.iter().filter(|e| e["verb"] == "get" && e["objectRef"]["name"].is_string()).count();
    let started = Instant::now();
    let requests = loop {
        let before = archctl_requests(&c.k).len();
        let run = c.diff(&["--profile", "production"]);
        assert_eq!(run.code, 0, "defaults and server fields must cause no noise:\n{}\n{}", run.stdout, run.stderr);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(run.stderr.contains("24 unchanged, 0 errors"), "{}", run.stderr);
        let requests: Vec<Value> = archctl_requests(&c.k).split_off(before);
        if single_gets(&requests) == 0 || started.elapsed() > Duration::from_secs(60) {
            break requests;
        }
        std::thread::sleep(Duration::from_secs(2));
    };
    // discovery, one LIST per kind across namespaces, one dry run per
    // object, and no GET of an object the lists returned
    let dry_runs = requests.iter().filter(|e| e["verb"] == "patch").count();
    assert_eq!(dry_runs, 24, "one plain dry run per object, no forced one without a conflict");
    assert_eq!(single_gets(&requests), 0, "labelled objects come from the lists");
    // (a LIST right after a CRD is created may be answered 429, "storage
    // is (re)initializing", and retried: count the answered ones)
    let lists: Vec<&str> = requests
        .iter()
        .filter(|e| e["verb"] == "list" && e["responseStatus"]["code"] == 200)
        .filter_map(|e| e["requestURI"].as_str())
        .collect();
    assert!(lists.iter().all(|u| !u.contains("/namespaces/")), "lists span namespaces: {lists:#?}");
    assert!(lists.len() <= archctl::api::KINDS.len(), "{lists:#?}");
}

#[test]
fn each_real_change_is_shown_once() {
    let c = Live::archivist();
    c.apply(&["--profile", "production"]);
    c.edit(|t| {
        t.replace(
            "replicas = { pilot = 1, phase1 = 2, phase3 = 3 }",
            "replicas = { pilot = 1, phase1 = 2, phase2 = 4 }",
        )
        .replace("image = \"{{ registry }}/graph-service:{{ tag }}\"", "image = \"{{ registry }}/graph-service:1.4.3\"")
        .replace("NEO4J_USER = \"neo4j\"", "NEO4J_USER = \"graph\"")
    });
    let run = c.diff(&["--profile", "production"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let out = &run.stdout;
    assert!(out.contains("~ apps/v1 Deployment archivist/graph-service (change)"), "{out}");
    assert_eq!(out.matches("-  replicas: 2\n+  replicas: 4\n").count(), 1, "{out}");
    assert!(out.contains("-          value: neo4j\n+          value: graph\n"), "{out}");
    let headers: Vec<&str> =
        out.lines().filter(|l| l.len() > 2 && l.as_bytes()[1] == b' ' && l.as_bytes()[2] != b' ').collect();
    assert_eq!(
        headers,
        ["~ v1 Service archivist/graph-service (change)", "~ apps/v1 Deployment archivist/graph-service (change)"],
        "{out}"
    );
}

#[test]
fn dropped_objects_are_pruned_new_ones_created() {
    let c = Live::archivist();
    c.apply(&["--profile", "production"]);
    c.edit(|t| {
        let start = t.find("[services.rag-api.vpa]").unwrap();
        let end = start + t[start..].find("\n\n").unwrap();
        format!(
            "{}{}\n[config_maps.feature-flags]\nnamespace = \"archivist\"\ndata = {{ search = \"on\" }}\n",
            &t[..start],
            &t[end..]
        )
    });
    let run = c.diff(&["--profile", "production", "--summary"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    let out = &run.stdout;
    assert!(out.contains("+ create  v1 ConfigMap archivist/feature-flags"), "{out}");
    assert!(out.contains("- prune   autoscaling.k8s.io/v1 VerticalPodAutoscaler archivist/rag-api-vpa"), "{out}");
    assert_eq!(
        out.lines().last().unwrap(),
        "1 to create, 0 to change, 0 to replace, 1 to prune, 23 unchanged, 0 errors"
    );
    let run = c.diff(&["--profile", "production", "--output", "json"]);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!((report["totals"]["create"].as_u64(), report["totals"]["prune"].as_u64()), (Some(1), Some(1)));
}

/// Divergence 1: Controllers copy archctl's labels onto what they make: the Job the
/// real CronJob controller starts is never a prune candidate, nor is an
/// object someone created by hand with archctl's labels.
#[test]
fn what_controllers_make_is_never_a_prune_candidate() {
    let c = Live::archivist();
    c.edit(|t| t.replace("schedule = \"0 2 * * *\"", "schedule = \"* * * * *\""));
    c.apply(&["--profile", "production"]);
    let started = Instant::now();
    let job = loop {
        let run = c.k.kubectl(&["get", "jobs", "-n", "archivist", "-o", "json"]);
        let list: Value = serde_json::from_str(&run.stdout).unwrap_or_default();
        let made = list["items"].as_array().into_iter().flatten().find(|j| {
            j["metadata"]["ownerReferences"].as_array().is_some_and(|o| o.iter().any(|r| r["kind"] == "CronJob"))
        });
        if let Some(j) = made {
            break j.clone();
        }
        assert!(started.elapsed() < Duration::from_secs(150), "the CronJob controller made no Job:\n{}", run.stdout);
        std::thread::sleep(Duration::from_secs(2));
    };
    // the precondition of the test: the Job carries archctl's labels
    assert_eq!(job["metadata"]["labels"]["app.kubernetes.io/managed-by"], "archctl", "{job}");
    assert_eq!(job["metadata"]["labels"]["app.kubernetes.io/part-of"], "archivist", "{job}");
    // and a config map created by hand with the same labels
    c.k.kubectl(&["create", "configmap", "by-hand", "-n", "archivist", "--from-literal=a=b"]).success();
    c.k.kubectl(&[
        "label",
        "configmap",
        "by-hand",
        "-n",
        "archivist",
        "app.kubernetes.io/managed-by=archctl",
        "app.kubernetes.io/part-of=archivist",
    ])
    .success();
    let run = c.diff(&["--profile", "production", "--summary"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("- prune"), "{}", run.stdout);
    assert!(run.stdout.ends_with("0 to prune, 24 unchanged, 0 errors\n"), "{}", run.stdout);
}

/// Divergence 2: A custom resource whose CRD is not installed: the real server
/// answers a plain-text 404; archctl decides from discovery.
#[test]
fn a_custom_resource_without_its_crd_is_a_create() {
    let crds: Vec<&str> = CRDS.iter().copied().filter(|c| !c.contains("servicemonitors")).collect();
    let c = Live::new(Project::archivist(), &crds);
    // everything but the ServiceMonitor
    let yaml = c.p.run(&["render", "--profile", "production"]).success().stdout;
    let docs: Vec<&str> = yaml.split("\n---\n").filter(|d| !d.contains("kind: ServiceMonitor")).collect();
    c.k.kubectl_stdin(&["apply", "--server-side", "--field-manager=archctl", "-f", "-"], &docs.join("\n---\n"))
        .success();
    let run = c.diff(&["--profile", "production", "--summary"]);
    assert_eq!(run.code, 1, "a difference, not an error:\n{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "+ create  monitoring.coreos.com/v1 ServiceMonitor archivist/archivist-metrics  (CRD not installed"
        ),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("23 unchanged, 0 errors"), "{}", run.stdout);
}

/// Divergence 3: Admission denials are 403s too: a quota's refusal is that object's
/// error (exit 2), not a fallback; the other objects are still diffed.
#[test]
fn a_quota_denial_is_that_objects_error() {
    let c = Live::archivist();
    c.apply(&["--profile", "production"]);
    c.k.kubectl(&["create", "quota", "no-more-config", "-n", "archivist", "--hard=count/configmaps=2"]).success();
    c.edit(|t| format!("{t}\n[config_maps.feature-flags]\nnamespace = \"archivist\"\ndata = {{ search = \"on\" }}\n"));
    let run = c.diff(&["--profile", "production", "--summary"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let line = run.stdout.lines().find(|l| l.contains("ConfigMap archivist/feature-flags")).unwrap_or("");
    assert!(line.starts_with("x error"), "{}", run.stdout);
    assert!(line.contains("exceeded quota: no-more-config"), "the server's message: {line}");
    assert!(run.stdout.contains("= same    apps/v1 Deployment archivist/rag-api"), "{}", run.stdout);
}

/// Divergence 3: An RBAC 403 is the documented fallback: the `viewer` context (the
/// built-in `view` role) may read but not patch, so the diff compares the
/// fields the render sets.
#[test]
fn a_viewer_falls_back_to_the_rendered_fields() {
    let c = Live::archivist();
    c.apply(&["--profile", "production"]);
    // `view` does not cover custom resources whose projects ship no
    // aggregated role: what the viewer cannot read is an error, not a guess
    let run = c.diff(&["--profile", "production", "--context", "viewer", "--summary"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let line = run.stdout.lines().find(|l| l.contains("ServiceMonitor archivist/archivist-metrics")).unwrap_or("");
    assert!(line.starts_with("x error") && line.contains("cannot get resource \"servicemonitors\""), "{line}");
    // read access to them, as prometheus-operator's and the VPA's roles grant
    c.k.kubectl(&[
        "create",
        "clusterrole",
        "crd-view",
        "--verb=get,list,watch",
        "--resource=servicemonitors.monitoring.coreos.com,verticalpodautoscalers.autoscaling.k8s.io",
    ])
    .success();
    c.k.kubectl(&["create", "clusterrolebinding", "viewer-crds", "--clusterrole=crd-view", "--user=viewer"]).success();
    let run = c.diff(&["--profile", "production", "--context", "viewer", "--summary"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("no dry run"), "{}", run.stdout);
    assert!(run.stdout.contains("compared the fields the render sets"), "{}", run.stdout);
    // `view` may not list Secrets: said, not an error
    assert!(run.stderr.contains("warning: cannot look for secrets to prune"), "{}", run.stderr);
    // a real change is still seen
    let run = c.diff(&["--profile", "production", "--phase", "phase3", "--context", "viewer"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("-  maxReplicas: 10\n+  maxReplicas: 20\n"), "{}", run.stdout);
}

/// Divergence 5: Another manager owns a field: a plain `kubectl apply --server-side`
/// would fail with 409, so the diff names the manager and the field, and
/// shows what the forced apply does.
#[test]
fn conflicts_with_other_managers_are_reported() {
    let c = Live::archivist();
    c.apply(&["--profile", "production"]);
    let patch = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: graph-service\n  namespace: archivist\nspec:\n  replicas: 5\n";
    c.k.kubectl_stdin(&["apply", "--server-side", "--field-manager=ops-team", "--force-conflicts", "-f", "-"], patch)
        .success();
    let run = c.diff(&["--profile", "production"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("~ apps/v1 Deployment archivist/graph-service (change)"), "{}", run.stdout);
    assert!(run.stdout.contains("conflicts: ops-team owns .spec.replicas"), "{}", run.stdout);
    assert!(run.stdout.contains("-  replicas: 5\n+  replicas: 2\n"), "{}", run.stdout);
    let json: Value = serde_json::from_str(&c.diff(&["--profile", "production", "--format", "json"]).stdout).unwrap();
    let d = json["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["object"] == "apps/v1 Deployment archivist/graph-service");
    assert_eq!(d.unwrap()["conflicts"], serde_json::json!([{"manager": "ops-team", "field": ".spec.replicas"}]));
}

/// Divergence 6: Objects an earlier client-side `kubectl apply` made keep fields a
/// server-side apply cannot remove: each is named with the way out.
#[test]
fn client_side_applied_objects_are_warned_about() {
    let c = Live::archivist();
    let yaml = c.p.run(&["render", "--profile", "production"]).success().stdout;
    c.k.kubectl_stdin(&["apply", "-f", "-"], &yaml).success();
    let run = c.diff(&["--profile", "production", "--summary"]);
    assert!(
        run.stderr
            .contains("warning: apps/v1 Deployment archivist/rag-api: last changed by client-side `kubectl apply`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("csaupgrade"), "{}", run.stderr);
    assert!(run.stderr.contains("kubectl apply --server-side --field-manager=archctl"), "{}", run.stderr);
    // the same values: nothing to change, but nothing to prune either
    // (archctl never applied them)
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

/// Immutable fields: a Deployment's selector, a StatefulSet's claim
/// templates, a claim's storage class — each "requires replace", told in
/// a few lines.
#[test]
fn immutable_changes_require_replace() {
    let c = Live::archivist();
    c.apply(&["--profile", "production"]);
    // dev maps every class to `standard` and shrinks the volumes
    let run = c.diff(&["--profile", "dev", "--summary"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    for object in ["apps/v1 StatefulSet archivist-data/neo4j", "v1 PersistentVolumeClaim archivist/pdf-input-pvc"] {
        let line = run.stdout.lines().find(|l| l.contains(object)).unwrap_or_else(|| panic!("{}", run.stdout));
        assert!(line.starts_with("! replace"), "{line}");
        assert!(line.len() < 600, "the reason in a few lines, not the whole object: {line}");
    }
    // a new project name changes every selector
    c.edit(|t| t.replacen("name = \"archivist\"", "name = \"archivist2\"", 1));
    let run = c.diff(&["--profile", "production", "--summary"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let line = run.stdout.lines().find(|l| l.contains("apps/v1 Deployment archivist/rag-api")).unwrap();
    assert!(line.starts_with("! replace") && line.contains("field is immutable"), "{line}");
}

/// A fresh cluster: namespaces do not exist yet, so everything is a create.
#[test]
fn missing_namespaces_show_as_create() {
    let c = Live::archivist();
    let run = c.diff(&["--profile", "production", "--summary"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("+ create  apps/v1 Deployment archivist/rag-api"), "{}", run.stdout);
    assert!(run.stdout.contains("24 to create"), "{}", run.stdout);
}

/// Divergence 8: Which ExternalSecret version the cluster serves comes from discovery:
/// external-secrets 2.9 serves only v1, 0.16.2 serves v1 and v1beta1.
#[test]
fn external_secrets_against_both_crd_versions() {
    let example = crate::support::repo().join("examples/semantic-explorer");
    let p = Project::copy_of(&example);
    // 2.9: v1 only
    let c = Live::new(p, CRDS);
    c.apply(&["--profile", "production"]);
    let run = c.diff(&["--profile", "production", "--summary"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    c.edit(|t| t.replace("[secret_stores.aws-secrets]", "[secret_stores.aws-secrets]\napi_version = \"v1beta1\""));
    let run = c.diff(&["--profile", "production", "--summary"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("serves external-secrets.io ExternalSecret in v1 only, not v1beta1"), "{}", run.stdout);
    assert!(run.stderr.contains("W010"), "the render warns too: {}", run.stderr);

    // 0.16.2: both served; a v1beta1 render applies, diffs clean, and its
    // removal is found as a prune candidate
    let old = Live::new(Project::copy_of(&example), &[]);
    old.k.install_crds(&[
        "older/external-secrets.io_externalsecrets-v0.16.2.yaml",
        "keda.sh_scaledobjects.yaml",
        "monitoring.coreos.com_servicemonitors.yaml",
        "autoscaling.k8s.io_vpa-v1-crd-gen.yaml",
        "gateway.networking.k8s.io_gateways.yaml",
        "gateway.networking.k8s.io_httproutes.yaml",
    ]);
    old.edit(|t| t.replace("[secret_stores.aws-secrets]", "[secret_stores.aws-secrets]\napi_version = \"v1beta1\""));
    old.apply(&["--profile", "production"]);
    let run = old.diff(&["--profile", "production", "--summary"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // an ExternalSecret archctl applied earlier and no longer renders
    let gone = "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: retired\n  namespace: semantic-explorer\n  labels:\n    app.kubernetes.io/managed-by: archctl\n    app.kubernetes.io/part-of: semantic-explorer\nspec:\n  secretStoreRef:\n    name: aws-secrets\n    kind: SecretStore\n  target:\n    name: retired\n  dataFrom:\n  - extract:\n      key: retired\n";
    old.k.kubectl_stdin(&["apply", "--server-side", "--field-manager=archctl", "-f", "-"], gone).success();
    let run = old.diff(&["--profile", "production", "--summary"]);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("- prune   external-secrets.io/v1 ExternalSecret semantic-explorer/retired"),
        "found through the served (preferred) version:\n{}",
        run.stdout
    );
}

/// Divergence 9: Secret values never reach any output: data, stringData, and the
/// annotations client tools copy them into.
#[test]
fn secret_values_never_appear_in_any_format() {
    let c = Live::archivist();
    c.apply(&["--profile", "dev"]);
    assert_eq!(c.diff(&["--profile", "dev"]).code, 0, "dev as applied");
    // someone put a real value into the placeholder secret, client-side
    let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: archivist-secrets\n  namespace: archivist\n  labels:\n    app.kubernetes.io/managed-by: archctl\n    app.kubernetes.io/part-of: archivist\n  annotations:\n    kapp.k14s.io/original: '{\"stringData\":{\"gemini-api-key\":\"CANARY-7f3a\"}}'\n    kubernetes.io/change-cause: kubectl create secret --from-literal=gemini-api-key=CANARY-7f3a\ntype: Opaque\nstringData:\n  gemini-api-key: CANARY-7f3a\n  neo4j-password: REPLACE_ME\n";
    c.k.kubectl_stdin(&["apply", "-f", "-"], secret).success();
    for args in
        [vec!["--profile", "dev"], vec!["--profile", "dev", "--format", "json"], vec!["--profile", "dev", "--summary"]]
    {
        let run = c.diff(&args);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(!all.contains("CANARY") && !all.contains("Q0FOQVJZ"), "a secret value leaked:\n{all}");
        assert!(!all.contains("UkVQTEFDRV9NRQ"), "{all}");
        if args.len() == 2 {
            assert!(run.stdout.contains("gemini-api-key: '<redacted: changed>'"), "{}", run.stdout);
        }
    }
    // the server's tokens never appear either
    let run = c.diff(&["--profile", "dev"]);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(!all.contains(c.k.admin_token()), "{all}");
}

/// Divergence 10: The API server's warnings (here PodSecurity's) reach stderr once
/// per distinct message, as kubectl prints them.
#[test]
fn server_warnings_are_passed_on_once() {
    let c = Live::archivist();
    c.edit(|t| {
        t.replace(
            "security = { run_as_user = 10001, fs_group = 10001 }",
            "security = { run_as_user = 10001, fs_group = 10001, non_root = false }",
        )
    });
    c.apply(&["--profile", "production"]);
    c.k.kubectl(&["label", "namespace", "archivist", "pod-security.kubernetes.io/warn=restricted"]).success();
    let run = c.diff(&["--profile", "production", "--summary"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let warnings: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("Warning: ")).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("would violate PodSecurity \"restricted:latest\"") && w.contains("runAsNonRoot")),
        "{}",
        run.stderr
    );
    let mut unique = warnings.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), warnings.len(), "each message once: {warnings:#?}");
}

/// `-n` names a namespace the render does not use: an error naming the
/// render's namespaces, not "nothing to change".
#[test]
fn a_namespace_the_render_does_not_use_is_an_error() {
    let p = Project::archivist();
    let run = p.run(&["diff", "--profile", "production", "-n", "elsewhere", "--against", "."]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("nothing in namespace `elsewhere`"), "{}", run.stderr);
    assert!(run.stderr.contains("archivist, archivist-data"), "{}", run.stderr);
}
