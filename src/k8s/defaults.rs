//! The fields the API server fills in: defaults it writes into every
//! object it stores, and what it owns (status, metadata it keeps). A live
//! object read back from a cluster carries them although nobody wrote
//! them; [`strip`] drops each one that holds exactly its default, so that
//! `import --from-cluster` neither copies them into a topology nor lists
//! them as not expressible. A field that differs from its default was
//! someone's choice, and is kept.
//!
//! Where each default comes from (Kubernetes 1.33):
//! - `pkg/apis/apps/v1/defaults.go`: a Deployment's `revisionHistoryLimit`
//!   (10), `progressDeadlineSeconds` (600) and rolling update (25% / 25%);
//!   a StatefulSet's `revisionHistoryLimit` (10), `podManagementPolicy`
//!   (`OrderedReady`), `updateStrategy` (rolling, partition 0) and
//!   `persistentVolumeClaimRetentionPolicy` (`Retain` / `Retain`);
//! - `pkg/apis/batch/v1/defaults.go`: a CronJob's `concurrencyPolicy`
//!   (`Allow`), `suspend` (false) and history limits (3 and 1);
//! - `pkg/apis/core/v1/defaults.go`: a pod's `restartPolicy` (`Always`),
//!   `terminationGracePeriodSeconds` (30), `dnsPolicy` (`ClusterFirst`),
//!   `schedulerName` (`default-scheduler`), empty `securityContext` and
//!   `serviceAccount` (the deprecated copy of `serviceAccountName`); a
//!   container's `terminationMessagePath` and `terminationMessagePolicy`,
//!   `imagePullPolicy` (`Always` for a `:latest` or untagged image, else
//!   `IfNotPresent`), port and Service port `protocol` (`TCP`), probe
//!   `timeoutSeconds` (1), `periodSeconds` (10), `successThreshold` (1),
//!   `failureThreshold` (3) and HTTP `scheme`; a volume's `defaultMode`
//!   (0644, written 420); a field reference's `apiVersion` (`v1`); a
//!   Service's `sessionAffinity` (`None`), `internalTrafficPolicy`
//!   (`Cluster`), `ipFamilyPolicy` (`SingleStack`) and `type`
//!   (`ClusterIP`); a claim's `volumeMode` (`Filesystem`);
//! - the admission plugin `StorageObjectInUseProtection`: a claim's
//!   finalizer `kubernetes.io/pvc-protection`;
//! - `pkg/apis/networking/v1/defaults.go`: a NetworkPolicy port's
//!   `protocol` (`TCP`);
//! - the CRD of external-secrets (`external-secrets.io_externalsecrets.yaml`):
//!   an ExternalSecret's `refreshInterval` (`1h0m0s`) and its target's
//!   `deletionPolicy` (`Retain`);
//! - the Gateway API CRDs (`gateway.networking.k8s.io_*.yaml`): a
//!   listener's `allowedRoutes` (routes of its namespace) and certificate
//!   `group` (`""`), a route's parent `group` and `kind` (`Gateway`), and
//!   a backend's `group`, `kind` (`Service`) and `weight` (1);
//! - the Service REST storage (`pkg/registry/core/service`): the addresses
//!   it allocates, `clusterIP`, `clusterIPs` and `ipFamilies`;
//! - the API machinery: `status`, and the metadata the server keeps
//!   (`uid`, `resourceVersion`, `generation`, `creationTimestamp`,
//!   `managedFields`, `selfLink`), a pod template's `creationTimestamp:
//!   null`; and the annotations tools write (client-side apply's
//!   `kubectl.kubernetes.io/last-applied-configuration`, the deployment
//!   controller's `deployment.kubernetes.io/revision`).

use serde_json::Value;

/// What a default is: a fixed value, dropped wherever the server owns it,
/// or the pull policy an image implies.
#[derive(Clone, Copy, Debug)]
enum ServerValue {
    /// JSON of the value the server writes.
    Is(&'static str),
    /// Dropped whatever it holds: the server owns it.
    Owned,
    /// `imagePullPolicy` of the container's image.
    PullPolicy,
    /// A deprecated alias the server copies from the field of this name
    /// beside it.
    SameAs(&'static str),
}

/// One default: the kinds it applies to, its path (`{pod}` is the pod
/// template, `[*]` every entry of a list), its value.
struct Field {
    kinds: &'static [&'static str],
    path: &'static str,
    default: ServerValue,
}

const WORKLOADS: &[&str] = &["Deployment", "StatefulSet", "Job", "CronJob"];
const ALWAYS_RUNNING: &[&str] = &["Deployment", "StatefulSet"];
const ALL: &[&str] = &[];
const ROUTES: &[&str] = &["HTTPRoute", "GRPCRoute"];

use ServerValue::{Is, Owned, PullPolicy, SameAs};

/// The one list of the server's defaults and owned fields.
const FIELDS: &[Field] = &[
    Field { kinds: ALL, path: "status", default: Owned },
    Field { kinds: ALL, path: "metadata.uid", default: Owned },
    Field { kinds: ALL, path: "metadata.resourceVersion", default: Owned },
    Field { kinds: ALL, path: "metadata.generation", default: Owned },
    Field { kinds: ALL, path: "metadata.creationTimestamp", default: Owned },
    Field { kinds: ALL, path: "metadata.managedFields", default: Owned },
    Field { kinds: ALL, path: "metadata.selfLink", default: Owned },
    Field { kinds: ALL, path: "metadata.annotations.kubectl.kubernetes.io/last-applied-configuration", default: Owned },
    Field { kinds: &["Deployment"], path: "metadata.annotations.deployment.kubernetes.io/revision", default: Owned },
    // apps/v1
    Field { kinds: &["Deployment", "StatefulSet"], path: "spec.revisionHistoryLimit", default: Is("10") },
    Field { kinds: &["Deployment"], path: "spec.progressDeadlineSeconds", default: Is("600") },
    Field {
        kinds: &["Deployment"],
        path: "spec.strategy",
        default: Is(r#"{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}}"#),
    },
    Field { kinds: &["StatefulSet"], path: "spec.podManagementPolicy", default: Is(r#""OrderedReady""#) },
    Field {
        kinds: &["StatefulSet"],
        path: "spec.updateStrategy",
        default: Is(r#"{"type":"RollingUpdate","rollingUpdate":{"partition":0}}"#),
    },
    Field {
        kinds: &["StatefulSet"],
        path: "spec.persistentVolumeClaimRetentionPolicy",
        default: Is(r#"{"whenDeleted":"Retain","whenScaled":"Retain"}"#),
    },
    Field {
        kinds: &["StatefulSet"],
        path: "spec.volumeClaimTemplates[*].spec.volumeMode",
        default: Is(r#""Filesystem""#),
    },
    Field { kinds: &["StatefulSet"], path: "spec.volumeClaimTemplates[*].status", default: Owned },
    Field { kinds: &["StatefulSet"], path: "spec.volumeClaimTemplates[*].metadata.creationTimestamp", default: Owned },
    // batch/v1
    Field { kinds: &["CronJob"], path: "spec.concurrencyPolicy", default: Is(r#""Allow""#) },
    Field { kinds: &["CronJob"], path: "spec.suspend", default: Is("false") },
    Field { kinds: &["CronJob"], path: "spec.successfulJobsHistoryLimit", default: Is("3") },
    Field { kinds: &["CronJob"], path: "spec.failedJobsHistoryLimit", default: Is("1") },
    Field { kinds: &["CronJob"], path: "spec.jobTemplate.metadata.creationTimestamp", default: Owned },
    // core/v1: pods
    Field { kinds: WORKLOADS, path: "{pod}.metadata.creationTimestamp", default: Owned },
    Field { kinds: ALWAYS_RUNNING, path: "{pod}.spec.restartPolicy", default: Is(r#""Always""#) },
    Field { kinds: WORKLOADS, path: "{pod}.spec.terminationGracePeriodSeconds", default: Is("30") },
    Field { kinds: WORKLOADS, path: "{pod}.spec.dnsPolicy", default: Is(r#""ClusterFirst""#) },
    Field { kinds: WORKLOADS, path: "{pod}.spec.schedulerName", default: Is(r#""default-scheduler""#) },
    Field { kinds: WORKLOADS, path: "{pod}.spec.securityContext", default: Is("{}") },
    Field { kinds: WORKLOADS, path: "{pod}.spec.serviceAccount", default: SameAs("serviceAccountName") },
    Field { kinds: WORKLOADS, path: "{pod}.spec.volumes[*].configMap.defaultMode", default: Is("420") },
    Field { kinds: WORKLOADS, path: "{pod}.spec.volumes[*].secret.defaultMode", default: Is("420") },
    // core/v1: containers, init containers alike
    Field { kinds: WORKLOADS, path: "{containers}.terminationMessagePath", default: Is(r#""/dev/termination-log""#) },
    Field { kinds: WORKLOADS, path: "{containers}.terminationMessagePolicy", default: Is(r#""File""#) },
    Field { kinds: WORKLOADS, path: "{containers}.imagePullPolicy", default: PullPolicy },
    Field { kinds: WORKLOADS, path: "{containers}.resources", default: Is("{}") },
    Field { kinds: WORKLOADS, path: "{containers}.ports[*].protocol", default: Is(r#""TCP""#) },
    Field { kinds: WORKLOADS, path: "{containers}.env[*].valueFrom.fieldRef.apiVersion", default: Is(r#""v1""#) },
    Field { kinds: WORKLOADS, path: "{probes}.timeoutSeconds", default: Is("1") },
    Field { kinds: WORKLOADS, path: "{probes}.periodSeconds", default: Is("10") },
    Field { kinds: WORKLOADS, path: "{probes}.successThreshold", default: Is("1") },
    Field { kinds: WORKLOADS, path: "{probes}.failureThreshold", default: Is("3") },
    Field { kinds: WORKLOADS, path: "{probes}.httpGet.scheme", default: Is(r#""HTTP""#) },
    // core/v1: Services and claims
    Field { kinds: &["Service"], path: "spec.clusterIP", default: Owned },
    Field { kinds: &["Service"], path: "spec.clusterIPs", default: Owned },
    Field { kinds: &["Service"], path: "spec.ipFamilies", default: Owned },
    Field { kinds: &["Service"], path: "spec.ipFamilyPolicy", default: Is(r#""SingleStack""#) },
    Field { kinds: &["Service"], path: "spec.sessionAffinity", default: Is(r#""None""#) },
    Field { kinds: &["Service"], path: "spec.internalTrafficPolicy", default: Is(r#""Cluster""#) },
    Field { kinds: &["Service"], path: "spec.type", default: Is(r#""ClusterIP""#) },
    Field { kinds: &["Service"], path: "spec.ports[*].protocol", default: Is(r#""TCP""#) },
    Field { kinds: &["PersistentVolumeClaim"], path: "spec.volumeMode", default: Is(r#""Filesystem""#) },
    Field {
        kinds: &["PersistentVolumeClaim"],
        path: "metadata.finalizers",
        default: Is(r#"["kubernetes.io/pvc-protection"]"#),
    },
    // networking/v1
    Field { kinds: &["NetworkPolicy"], path: "spec.ingress[*].ports[*].protocol", default: Is(r#""TCP""#) },
    Field { kinds: &["NetworkPolicy"], path: "spec.egress[*].ports[*].protocol", default: Is(r#""TCP""#) },
    // external-secrets.io/v1: the CRD's defaults
    Field { kinds: &["ExternalSecret"], path: "spec.refreshInterval", default: Is(r#""1h0m0s""#) },
    Field { kinds: &["ExternalSecret"], path: "spec.target.deletionPolicy", default: Is(r#""Retain""#) },
    // gateway.networking.k8s.io/v1: the CRDs' defaults archctl leaves out
    Field {
        kinds: &["Gateway"],
        path: "spec.listeners[*].allowedRoutes",
        default: Is(r#"{"namespaces":{"from":"Same"}}"#),
    },
    Field { kinds: &["Gateway"], path: "spec.listeners[*].tls.certificateRefs[*].group", default: Is(r#""""#) },
    Field { kinds: ROUTES, path: "spec.parentRefs[*].group", default: Is(r#""gateway.networking.k8s.io""#) },
    Field { kinds: ROUTES, path: "spec.parentRefs[*].kind", default: Is(r#""Gateway""#) },
    Field { kinds: ROUTES, path: "spec.rules[*].backendRefs[*].group", default: Is(r#""""#) },
    Field { kinds: ROUTES, path: "spec.rules[*].backendRefs[*].kind", default: Is(r#""Service""#) },
    Field { kinds: ROUTES, path: "spec.rules[*].backendRefs[*].weight", default: Is("1") },
];

/// The pod template of a kind.
fn pod_of(kind: &str) -> &'static str {
    if kind == "CronJob" { "spec.jobTemplate.spec.template" } else { "spec.template" }
}

/// The paths a field stands for in an object of `kind`.
fn expand(path: &str, kind: &str) -> Vec<String> {
    let pod = pod_of(kind);
    let containers = [format!("{pod}.spec.containers[*]"), format!("{pod}.spec.initContainers[*]")];
    if let Some(rest) = path.strip_prefix("{containers}") {
        return containers.iter().map(|c| format!("{c}{rest}")).collect();
    }
    if let Some(rest) = path.strip_prefix("{probes}") {
        let mut out = Vec::new();
        for c in &containers {
            for p in ["livenessProbe", "readinessProbe", "startupProbe"] {
                out.push(format!("{c}.{p}{rest}"));
            }
        }
        return out;
    }
    vec![path.replace("{pod}", pod)]
}

/// Splits a path into keys and `[*]`; a key may hold dots (an annotation's
/// name) only as the last segment under `annotations`.
fn segments(path: &str) -> Vec<String> {
    if let Some((head, key)) = path.split_once(".annotations.") {
        let mut s = segments(head);
        s.push("annotations".into());
        s.push(key.to_string());
        return s;
    }
    let mut out = Vec::new();
    for part in path.split('.') {
        match part.strip_suffix("[*]") {
            Some(k) => {
                out.push(k.to_string());
                out.push("[*]".into());
            }
            None => out.push(part.to_string()),
        }
    }
    out
}

/// The pull policy the API server gives a container's image.
fn pull_policy(container: &Value) -> &'static str {
    let image = container["image"].as_str().unwrap_or("");
    let name = image.rsplit('/').next().unwrap_or(image);
    let tagged = name.contains(':') || image.contains('@');
    if !tagged || name.ends_with(":latest") { "Always" } else { "IfNotPresent" }
}

fn drop_at(v: &mut Value, path: &[String], default: ServerValue) {
    let Some((first, rest)) = path.split_first() else { return };
    if first == "[*]" {
        if let Value::Array(items) = v {
            for item in items {
                drop_at(item, rest, default);
            }
        }
        return;
    }
    let Value::Object(m) = v else { return };
    if !rest.is_empty() {
        if let Some(child) = m.get_mut(first) {
            drop_at(child, rest, default);
        }
        return;
    }
    let drop = match (default, m.get(first)) {
        (_, None) => false,
        (Owned, Some(_)) => true,
        (Is(json), Some(x)) => serde_json::from_str::<Value>(json).is_ok_and(|d| d == *x),
        (PullPolicy, Some(x)) => x.as_str() == Some(pull_policy(&Value::Object(m.clone()))),
        (SameAs(other), Some(x)) => m.get(other) == Some(x),
    };
    if drop {
        m.shift_remove(first);
    }
}

/// Drops from a live object every field that holds what the API server
/// would have written by itself; an `annotations` map left empty goes too.
pub(crate) fn strip(o: &mut Value) {
    let kind = o["kind"].as_str().unwrap_or("").to_string();
    for f in FIELDS {
        if !f.kinds.is_empty() && !f.kinds.contains(&kind.as_str()) {
            continue;
        }
        for path in expand(f.path, &kind) {
            drop_at(o, &segments(&path), f.default);
        }
    }
    if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut)
        && meta.get("annotations").and_then(Value::as_object).is_some_and(|a| a.is_empty())
    {
        meta.shift_remove("annotations");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn drops_what_the_server_wrote_and_keeps_what_differs() {
        let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "a", "uid": "u", "resourceVersion": "1", "generation": 2,
                "annotations": {"deployment.kubernetes.io/revision": "1"}},
            "spec": {"replicas": 2, "revisionHistoryLimit": 10, "progressDeadlineSeconds": 300,
                "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "template": {"metadata": {"creationTimestamp": null, "labels": {"app": "a"}}, "spec": {
                    "restartPolicy": "Always", "dnsPolicy": "ClusterFirst", "terminationGracePeriodSeconds": 60,
                    "schedulerName": "default-scheduler", "securityContext": {},
                    "containers": [
                        {"name": "a", "image": "a:1", "imagePullPolicy": "IfNotPresent", "resources": {},
                         "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
                         "ports": [{"containerPort": 80, "protocol": "TCP"}, {"containerPort": 53, "protocol": "UDP"}],
                         "livenessProbe": {"httpGet": {"path": "/", "port": 80, "scheme": "HTTP"},
                             "timeoutSeconds": 1, "periodSeconds": 5, "successThreshold": 1, "failureThreshold": 3}},
                        {"name": "b", "image": "b", "imagePullPolicy": "IfNotPresent"}]}}},
            "status": {"replicas": 2}});
        strip(&mut d);
        assert_eq!(
            d,
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a"},
                "spec": {"replicas": 2, "progressDeadlineSeconds": 300,
                    "template": {"metadata": {"labels": {"app": "a"}}, "spec": {
                        "terminationGracePeriodSeconds": 60,
                        "containers": [
                            {"name": "a", "image": "a:1",
                             "ports": [{"containerPort": 80}, {"containerPort": 53, "protocol": "UDP"}],
                             "livenessProbe": {"httpGet": {"path": "/", "port": 80}, "periodSeconds": 5}},
                            // an untagged image's default is Always: this one was chosen
                            {"name": "b", "image": "b", "imagePullPolicy": "IfNotPresent"}]}}}})
        );
    }

    #[test]
    fn a_jobs_restart_policy_and_a_services_addresses() {
        let mut j = json!({"kind": "CronJob", "spec": {"concurrencyPolicy": "Allow", "jobTemplate": {"spec": {
            "template": {"spec": {"restartPolicy": "Always", "dnsPolicy": "ClusterFirst"}}}}}});
        strip(&mut j);
        // a job's pods have no default restart policy
        assert_eq!(
            j,
            json!({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {
            "restartPolicy": "Always"}}}}}})
        );
        let mut s = json!({"kind": "Service", "spec": {"type": "NodePort", "clusterIP": "10.0.0.1",
            "clusterIPs": ["10.0.0.1"], "ipFamilies": ["IPv4"], "sessionAffinity": "None",
            "ports": [{"port": 80, "protocol": "TCP"}]}});
        strip(&mut s);
        assert_eq!(s, json!({"kind": "Service", "spec": {"type": "NodePort", "ports": [{"port": 80}]}}));
    }

    #[test]
    fn the_crds_defaults_of_routes_gateways_and_external_secrets() {
        let mut r = json!({"kind": "HTTPRoute", "spec": {
            "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "public"}],
            "rules": [{"backendRefs": [{"group": "", "kind": "Service", "name": "a", "port": 80, "weight": 1},
                {"name": "b", "port": 80, "weight": 2}]}]}});
        strip(&mut r);
        assert_eq!(
            r["spec"],
            json!({"parentRefs": [{"name": "public"}], "rules": [{"backendRefs": [{"name": "a", "port": 80},
                {"name": "b", "port": 80, "weight": 2}]}]})
        );
        let mut g = json!({"kind": "Gateway", "spec": {"listeners": [
            {"name": "a", "allowedRoutes": {"namespaces": {"from": "Same"}}},
            {"name": "b", "allowedRoutes": {"namespaces": {"from": "All"}},
                "tls": {"mode": "Terminate", "certificateRefs": [{"group": "", "kind": "Secret", "name": "c"}]}}]}});
        strip(&mut g);
        assert_eq!(
            g["spec"]["listeners"],
            json!([{"name": "a"}, {"name": "b", "allowedRoutes": {"namespaces": {"from": "All"}},
                "tls": {"mode": "Terminate", "certificateRefs": [{"kind": "Secret", "name": "c"}]}}])
        );
        let mut e = json!({"kind": "ExternalSecret", "spec": {"refreshInterval": "1h0m0s",
            "target": {"creationPolicy": "Owner", "deletionPolicy": "Retain"}}});
        strip(&mut e);
        assert_eq!(e["spec"], json!({"target": {"creationPolicy": "Owner"}}));
    }
}
