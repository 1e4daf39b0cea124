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
//!   (`Allow`), `suspend` (false) and history limits (3 and 1); a Job's
//!   `backoffLimit` (6), `completionMode` (`NonIndexed`), `suspend`
//!   (false), `podReplacementPolicy` (`TerminatingOrFailed`), and
//!   `parallelism` and `completions` (1 and 1), and its labels, copied
//!   from its pod template's when it has none;
//! - the Job REST strategy (`pkg/registry/batch/job`): the selector it
//!   generates (`batch.kubernetes.io/controller-uid: <uid>`, with
//!   `manualSelector: false`) and the labels it adds to the pod template
//!   and so to the Job (`batch.kubernetes.io/controller-uid`,
//!   `controller-uid`: the Job's uid; `batch.kubernetes.io/job-name`,
//!   `job-name`: its name);
//! - `pkg/apis/autoscaling/v2/defaults.go`: an autoscaler's `behavior`,
//!   once it has one, filled in rule by rule: scale up with no
//!   stabilization, `selectPolicy: Max`, 4 pods or 100% per 15 s; scale
//!   down with `selectPolicy: Max`, 100% per 15 s;
//! - the Namespace REST strategy and `pkg/apis/core/v1/defaults.go`: a
//!   Namespace's label `kubernetes.io/metadata.name` (its name) and its
//!   finalizer `kubernetes`;
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
    /// The object's own name (a label the server derives from it).
    OwnName,
    /// The object's uid (a Job's generated selector and labels).
    OwnUid,
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

use ServerValue::{Is, OwnName, OwnUid, Owned, PullPolicy, SameAs};

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
    Field { kinds: &["CronJob"], path: "spec.jobTemplate.metadata", default: Is("{}") },
    Field { kinds: &["Job"], path: "spec.backoffLimit", default: Is("6") },
    Field { kinds: &["Job"], path: "spec.completionMode", default: Is(r#""NonIndexed""#) },
    Field { kinds: &["Job"], path: "spec.suspend", default: Is("false") },
    Field { kinds: &["Job"], path: "spec.podReplacementPolicy", default: Is(r#""TerminatingOrFailed""#) },
    // the generated selector, and the labels that go with it
    Field { kinds: &["Job"], path: "spec.selector.matchLabels.batch.kubernetes.io/controller-uid", default: OwnUid },
    Field { kinds: &["Job"], path: "spec.selector.matchLabels", default: Is("{}") },
    Field { kinds: &["Job"], path: "spec.selector", default: Is("{}") },
    Field { kinds: &["Job"], path: "spec.manualSelector", default: Is("false") },
    Field { kinds: &["Job"], path: "{job-labels}.batch.kubernetes.io/controller-uid", default: OwnUid },
    Field { kinds: &["Job"], path: "{job-labels}.controller-uid", default: OwnUid },
    Field { kinds: &["Job"], path: "{job-labels}.batch.kubernetes.io/job-name", default: OwnName },
    Field { kinds: &["Job"], path: "{job-labels}.job-name", default: OwnName },
    Field { kinds: &["Job"], path: "{job-labels}", default: Is("{}") },
    // autoscaling/v2: a behaviour's rules, filled in
    Field {
        kinds: &["HorizontalPodAutoscaler"],
        path: "spec.behavior.scaleUp.policies",
        default: Is(
            r#"[{"type":"Pods","value":4,"periodSeconds":15},{"type":"Percent","value":100,"periodSeconds":15}]"#,
        ),
    },
    Field {
        kinds: &["HorizontalPodAutoscaler"],
        path: "spec.behavior.scaleDown.policies",
        default: Is(r#"[{"type":"Percent","value":100,"periodSeconds":15}]"#),
    },
    Field {
        kinds: &["HorizontalPodAutoscaler"],
        path: "spec.behavior.scaleUp.stabilizationWindowSeconds",
        default: Is("0"),
    },
    Field { kinds: &["HorizontalPodAutoscaler"], path: "spec.behavior.scaleUp.selectPolicy", default: Is(r#""Max""#) },
    Field {
        kinds: &["HorizontalPodAutoscaler"],
        path: "spec.behavior.scaleDown.selectPolicy",
        default: Is(r#""Max""#),
    },
    Field { kinds: &["HorizontalPodAutoscaler"], path: "spec.behavior.scaleUp", default: Is("{}") },
    Field { kinds: &["HorizontalPodAutoscaler"], path: "spec.behavior.scaleDown", default: Is("{}") },
    Field { kinds: &["HorizontalPodAutoscaler"], path: "spec.behavior", default: Is("{}") },
    // core/v1: Namespaces
    Field { kinds: &["Namespace"], path: "metadata.labels.kubernetes.io/metadata.name", default: OwnName },
    Field { kinds: &["Namespace"], path: "spec.finalizers", default: Is(r#"["kubernetes"]"#) },
    Field { kinds: &["Namespace"], path: "spec", default: Is("{}") },
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
    Field { kinds: &["Job"], path: "{pod}.metadata", default: Is("{}") },
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
    if let Some(rest) = path.strip_prefix("{job-labels}") {
        // the pod template's and, copied from them, the Job's own
        return [format!("{pod}.metadata.labels{rest}"), format!("metadata.labels{rest}")].into();
    }
    vec![path.replace("{pod}", pod)]
}

/// Splits a path into keys and `[*]`; a key may hold dots (an annotation's
/// or a label's name) only as the last segment under `annotations`,
/// `labels` or `matchLabels`.
fn segments(path: &str) -> Vec<String> {
    for map in ["annotations", "labels", "matchLabels"] {
        let marker = format!(".{map}.");
        if let Some((head, key)) = path.split_once(&marker) {
            let mut s = segments(head);
            s.push(map.into());
            s.push(key.to_string());
            return s;
        }
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

/// The object's name and uid, read before they are dropped.
struct Own {
    name: Option<String>,
    uid: Option<String>,
}

fn drop_at(v: &mut Value, path: &[String], default: ServerValue, own: &Own) {
    let Some((first, rest)) = path.split_first() else { return };
    if first == "[*]" {
        if let Value::Array(items) = v {
            for item in items {
                drop_at(item, rest, default, own);
            }
        }
        return;
    }
    let Value::Object(m) = v else { return };
    if !rest.is_empty() {
        if let Some(child) = m.get_mut(first) {
            drop_at(child, rest, default, own);
        }
        return;
    }
    let drop = match (default, m.get(first)) {
        (_, None) => false,
        (Owned, Some(_)) => true,
        (Is(json), Some(x)) => serde_json::from_str::<Value>(json).is_ok_and(|d| d == *x),
        (PullPolicy, Some(x)) => x.as_str() == Some(pull_policy(&Value::Object(m.clone()))),
        (SameAs(other), Some(x)) => m.get(other) == Some(x),
        (OwnName, Some(x)) => own.name.is_some() && x.as_str() == own.name.as_deref(),
        (OwnUid, Some(x)) => own.uid.is_some() && x.as_str() == own.uid.as_deref(),
    };
    if drop {
        m.shift_remove(first);
    }
}

/// Drops from a live object every field that holds what the API server
/// would have written by itself; an `annotations` map left empty goes too.
pub(crate) fn strip(o: &mut Value) {
    let kind = o["kind"].as_str().unwrap_or("").to_string();
    let text = |v: &Value| v.as_str().map(str::to_string);
    let own = Own { name: text(&o["metadata"]["name"]), uid: text(&o["metadata"]["uid"]) };
    for f in FIELDS {
        if !f.kinds.is_empty() && !f.kinds.contains(&kind.as_str()) {
            continue;
        }
        for path in expand(f.path, &kind) {
            drop_at(o, &segments(&path), f.default, &own);
        }
    }
    if kind == "Job" {
        job_counts(o);
    }
    if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut)
        && meta.get("annotations").and_then(Value::as_object).is_some_and(|a| a.is_empty())
    {
        meta.shift_remove("annotations");
    }
}

/// A Job's `parallelism` and `completions`: the server makes both 1 when
/// neither is given, and `parallelism` 1 when only `completions` is (a
/// `parallelism` without `completions` was written, and is kept).
fn job_counts(o: &mut Value) {
    let Some(spec) = o.get_mut("spec").and_then(Value::as_object_mut) else { return };
    if spec.get("parallelism").and_then(Value::as_i64) != Some(1) || !spec.contains_key("completions") {
        return;
    }
    if spec.get("completions").and_then(Value::as_i64) == Some(1) {
        spec.shift_remove("completions");
    }
    spec.shift_remove("parallelism");
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
    fn a_jobs_generated_selector_and_labels_and_its_defaults() {
        let uid = "a53f09e0-9f9a-4731-b6b3-9bdad3d47c30";
        let generated = json!({"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": "migrate",
            "controller-uid": uid, "job-name": "migrate"});
        let mut j = json!({"kind": "Job", "metadata": {"name": "migrate", "uid": uid, "labels": generated},
            "spec": {"backoffLimit": 6, "completionMode": "NonIndexed", "completions": 1, "manualSelector": false,
                "parallelism": 1, "podReplacementPolicy": "TerminatingOrFailed", "suspend": false,
                "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}},
                "template": {"metadata": {"labels": generated}, "spec": {"restartPolicy": "Never"}}}});
        strip(&mut j);
        assert_eq!(
            j,
            json!({"kind": "Job", "metadata": {"name": "migrate"},
                "spec": {"template": {"spec": {"restartPolicy": "Never"}}}})
        );
        // labels of another Job's uid or name, a chosen selector and counts are someone's choice
        let mut k = json!({"kind": "Job", "metadata": {"name": "a", "uid": "u2", "labels": {"job-name": "b"}},
            "spec": {"backoffLimit": 2, "parallelism": 1, "manualSelector": true,
                "selector": {"matchLabels": {"batch.kubernetes.io/controller-uid": "u1"}},
                "template": {"metadata": {"labels": {"controller-uid": "u1", "app": "a"}}}}});
        let before = k["spec"].clone();
        strip(&mut k);
        assert_eq!(k["metadata"]["labels"], json!({"job-name": "b"}));
        assert_eq!(k["spec"], before);
        let mut n = json!({"kind": "Job", "spec": {"parallelism": 1, "completions": 5}});
        strip(&mut n);
        assert_eq!(n, json!({"kind": "Job", "spec": {"completions": 5}}));
    }

    #[test]
    fn an_autoscalers_filled_in_behaviour_keeps_only_what_was_written() {
        let mut h = json!({"kind": "HorizontalPodAutoscaler", "spec": {"maxReplicas": 6, "behavior": {
            "scaleDown": {"policies": [{"periodSeconds": 15, "type": "Percent", "value": 100}], "selectPolicy": "Max",
                "stabilizationWindowSeconds": 60},
            "scaleUp": {"policies": [{"periodSeconds": 15, "type": "Pods", "value": 4},
                {"periodSeconds": 15, "type": "Percent", "value": 100}], "selectPolicy": "Max",
                "stabilizationWindowSeconds": 0}}}});
        strip(&mut h);
        assert_eq!(
            h,
            json!({"kind": "HorizontalPodAutoscaler", "spec": {"maxReplicas": 6, "behavior": {
                "scaleDown": {"stabilizationWindowSeconds": 60}}}})
        );
        let mut all = json!({"kind": "HorizontalPodAutoscaler", "spec": {"behavior": {
            "scaleUp": {"policies": [{"periodSeconds": 60, "type": "Pods", "value": 2}], "selectPolicy": "Min",
                "stabilizationWindowSeconds": 0},
            "scaleDown": {"selectPolicy": "Max"}}}});
        strip(&mut all);
        assert_eq!(
            all["spec"]["behavior"],
            json!({"scaleUp": {"policies": [{"periodSeconds": 60, "type": "Pods", "value": 2}], "selectPolicy": "Min"}})
        );
    }

    #[test]
    fn a_namespaces_name_label_and_finalizer() {
        let mut n = json!({"kind": "Namespace", "metadata": {"name": "shop",
            "labels": {"kubernetes.io/metadata.name": "shop", "team": "a"}},
            "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
        strip(&mut n);
        assert_eq!(n, json!({"kind": "Namespace", "metadata": {"name": "shop", "labels": {"team": "a"}}}));
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
