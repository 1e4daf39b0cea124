//! The real control plane of support/cluster.rs (scripts/test-cluster.sh):
//! tests of the helper itself.

use crate::support::cluster::TestCluster;

#[test]
fn starts_lists_namespaces_as_admin_and_installs_crds() {
    let c = TestCluster::start();
    assert!(c.server().starts_with("https://127.0.0.1:"), "{}", c.server());
    assert!(c.ca().is_file() && c.kubeconfig().is_file());

    let ns = c.kubectl(&["get", "namespaces", "-o", "name"]).success();
    for want in ["namespace/default", "namespace/kube-system", "namespace/kube-public"] {
        assert!(ns.stdout.lines().any(|l| l == want), "{want} missing:\n{}", ns.stdout);
    }
    let version = c.kubectl(&["version", "-o", "json"]).success();
    let version: serde_json::Value = serde_json::from_str(&version.stdout).expect("kubectl version -o json");
    assert_eq!(version["serverVersion"]["gitVersion"], "v1.35.4", "{version}");

    c.install_crds(&["keda.sh_scaledobjects.yaml"]);
    let so = c.kubectl(&["get", "scaledobjects.keda.sh", "-A"]).success();
    assert!(so.stderr.contains("No resources found"), "{}", so.stderr);
}

#[test]
fn viewer_reads_but_is_forbidden_to_create() {
    let c = TestCluster::start();
    c.kubectl(&["--context", "viewer", "get", "pods", "-A"]).success();

    let create = c.kubectl(&["--context", "viewer", "create", "configmap", "x", "--from-literal=a=b"]);
    assert_ne!(create.code, 0, "viewer created a ConfigMap:\n{}", create.stdout);
    assert!(create.stderr.contains("forbidden"), "{}", create.stderr);

    // The same through a kubeconfig whose current context is viewer, and stdin.
    let kc = c.dir().join("viewer.kubeconfig");
    c.write_kubeconfig(&kc, "viewer");
    let kc = kc.to_str().unwrap();
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: default}\ndata: {a: b}\n";
    let apply = c.kubectl_stdin(&["--kubeconfig", kc, "apply", "-f", "-"], cm);
    assert_ne!(apply.code, 0, "viewer applied a ConfigMap:\n{}", apply.stdout);
    assert!(apply.stderr.contains("forbidden"), "{}", apply.stderr);
    c.kubectl_stdin(&["apply", "-f", "-"], cm).success();
    let get = c.kubectl(&["--kubeconfig", kc, "get", "configmap", "settings", "-o", "jsonpath={.data.a}"]).success();
    assert_eq!(get.stdout, "b");
}

#[test]
fn audit_log_has_kubectls_request_right_after_it() {
    let c = TestCluster::start();
    c.kubectl(&["get", "configmaps", "-n", "kube-system"]).success();
    let events = c.audit();
    assert!(events.iter().all(|e| e["stage"] == "ResponseComplete"));
    let hit = events.iter().find(|e| {
        e["userAgent"].as_str().is_some_and(|ua| ua.starts_with("kubectl/v1.35"))
            && e["verb"] == "list"
            && e["requestURI"].as_str().is_some_and(|u| u.starts_with("/api/v1/namespaces/kube-system/configmaps"))
    });
    let hit = hit.unwrap_or_else(|| panic!("no kubectl list of kube-system configmaps among {} events", events.len()));
    assert_eq!(hit["user"]["username"], "admin", "{hit}");
    assert_eq!(hit["responseStatus"]["code"], 200, "{hit}");
}
