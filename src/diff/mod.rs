//! `archctl diff`: what applying the render would change, object by object.
//!
//! The stages follow tanka's render → diff pipeline: learn what the
//! cluster serves (discovery), list what carries archctl's labels (one
//! LIST per kind across namespaces, by label), ask the server what each
//! rendered object would become (server-side apply, `dryRun=All`, a
//! bounded number at a time), compare, present. The cluster sits behind
//! [`cluster::Cluster`], so everything but the requests themselves is
//! testable without a network.
//!
//! What was learnt from the real API server shapes the rules here:
//! controllers copy labels onto what they make (a CronJob's Jobs, KEDA's
//! HPAs, the Secrets external-secrets writes), so only an object that
//! archctl applied (a `managedFields` entry of manager `archctl`,
//! operation `Apply`) and that no controller owns is a prune candidate;
//! a kind without its CRD is decided from discovery, not from a 404; a
//! plain apply is tried before a forced one, so that conflicts with other
//! managers are reported rather than hidden.

pub(crate) mod against;
pub(crate) mod cluster;
pub(crate) mod compare;
pub(crate) mod cover;
pub(crate) mod kube;
pub(crate) mod normalize;
pub(crate) mod present;
pub(crate) mod proxy;

use std::collections::{BTreeMap, BTreeSet};

use futures::stream::{self, StreamExt};
use serde_json::Value;

use crate::k8s::describe;
use crate::k8s::labels::{MANAGED_BY, MANAGER, PART_OF};
use crate::objects::Object;
use crate::objects::object::{KINDS, is_namespaced};
use cluster::{Cluster, ClusterError, Resource, Served};
use compare::{Action, ObjectDiff};

/// Settings of one diff run.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    /// The project name: prune candidates carry `part-of=<project>`.
    pub project: String,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Diff only this namespace: cluster-scoped objects are left alone.
    pub namespace: Option<String>,
}

fn kind_of(o: &Object) -> Resource {
    Resource {
        group: o.group().to_string(),
        version: o.version().to_string(),
        kind: o.kind().to_string(),
        plural: o.plural().to_string(),
        namespaced: o.namespaced(),
    }
}

/// `group kind namespace/name`: the identity of an object across versions.
fn identity(group: &str, kind: &str, namespace: Option<&str>, name: &str) -> String {
    format!("{group} {kind} {}/{name}", namespace.unwrap_or(""))
}

/// Whether archctl applied the object: a `managedFields` entry of manager
/// `archctl` with operation `Apply` (what `kubectl apply --server-side
/// --field-manager=archctl` leaves). An object without `managedFields`
/// (manifests on disk, `kubectl get -o yaml`, which leaves them out) is
/// judged by its labels alone.
pub(crate) fn applied_by_archctl(v: &Value) -> bool {
    match v["metadata"]["managedFields"].as_array() {
        None => true,
        Some(fields) => fields.iter().any(|f| {
            f["manager"] == kube::FIELD_MANAGER && f["operation"] == "Apply" && f.get("subresource").is_none()
        }),
    }
}

/// The Helm release that manages a live object, if one does: Helm labels
/// what it installs `app.kubernetes.io/managed-by: Helm` and annotates it
/// with the release.
fn helm_release(v: &Value) -> Option<&str> {
    let meta = &v["metadata"];
    if meta["labels"][MANAGED_BY] != "Helm" {
        return None;
    }
    meta["annotations"]["meta.helm.sh/release-name"].as_str()
}

/// Whether a controller owns the object (a Job of a CronJob, KEDA's HPA).
pub(crate) fn controlled(v: &Value) -> bool {
    v["metadata"]["ownerReferences"].as_array().is_some_and(|refs| refs.iter().any(|r| r["controller"] == true))
}

/// What the user should know about a live object before applying over
/// it: fields that server-side apply will not remove.
fn live_warnings(live: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let csa_manager = live["metadata"]["managedFields"].as_array().and_then(|fields| {
        fields.iter().find_map(|f| {
            let m = f["manager"].as_str()?;
            (f["operation"] == "Update" && (m == "kubectl-client-side-apply" || m == "before-first-apply")).then_some(m)
        })
    });
    let annotated = live["metadata"]["annotations"].get(normalize::LAST_APPLIED).is_some();
    if csa_manager.is_some() || annotated {
        let why = match (csa_manager, annotated) {
            (Some(m), true) => format!("field manager `{m}` and the last-applied-configuration annotation"),
            (Some(m), false) => format!("field manager `{m}`"),
            _ => "the last-applied-configuration annotation".to_string(),
        };
        out.push(format!(
            "last changed by client-side `kubectl apply` ({why}): fields removed from the render stay in the cluster \
             until the object is migrated; apply once with `kubectl apply --server-side --field-manager=archctl` \
             (kubectl moves the ownership, as csaupgrade does)"
        ));
    }
    out
}

/// The kinds to look for prune candidates in: every kind archctl renders,
/// and the rendered versions of others, each in the version the cluster
/// serves (so that an ExternalSecret is found whether the cluster serves
/// `v1` or only `v1beta1`); kinds the cluster does not serve are skipped.
fn prune_kinds(desired: &[Object], served: Option<&Served>) -> Vec<Resource> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let statics = KINDS.iter().map(|(g, v, k, p)| Resource {
        group: g.to_string(),
        version: v.to_string(),
        kind: k.to_string(),
        plural: p.to_string(),
        namespaced: is_namespaced(k),
    });
    for k in statics.chain(desired.iter().map(kind_of)) {
        if !seen.insert((k.group.clone(), k.kind.clone())) {
            continue;
        }
        match served {
            Some(s) => out.extend(s.preferred(&k.group, &k.kind)),
            None => out.push(k),
        }
    }
    out
}

/// Lists one kind: across namespaces where the credentials may, else in
/// each namespace of the render (a user with namespace-scoped rights).
async fn list_kind<C: Cluster>(
    cluster: &C,
    kind: &Resource,
    namespaces: &BTreeSet<String>,
    opts: &Options,
    selector: &str,
) -> Result<Vec<Value>, ClusterError> {
    if !kind.namespaced {
        return cluster.list(kind, None, selector).await;
    }
    if let Some(ns) = &opts.namespace {
        return cluster.list(kind, Some(ns), selector).await;
    }
    match cluster.list(kind, None, selector).await {
        Err(ClusterError::Forbidden(_)) => {
            let mut items = Vec::new();
            for ns in namespaces {
                items.extend(cluster.list(kind, Some(ns), selector).await?);
            }
            Ok(items)
        }
        other => other,
    }
}

/// The outcome of a diff: one result per object, and what the run could
/// not do (kinds the credentials may not list for prune candidates).
#[derive(Clone, Debug, Default)]
pub(crate) struct Report {
    pub objects: Vec<ObjectDiff>,
    pub warnings: Vec<String>,
}

/// Diffs `desired` against `cluster`. Fails only when the cluster cannot
/// be read at all (unreachable, bad credentials); everything else is a
/// per-object result. `progress` is told of each finished object.
pub(crate) async fn run<C: Cluster>(
    cluster: &C,
    desired: &[Object],
    opts: &Options,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Report, ClusterError> {
    let selector = format!("{MANAGED_BY}={MANAGER},{PART_OF}={}", opts.project);
    let concurrency = opts.concurrency.max(1);
    let served = cluster.discover().await?;

    // what carries archctl's labels: every kind it renders, across
    // namespaces, so that objects the render dropped are found too
    let namespaces: BTreeSet<String> = desired.iter().filter_map(|o| o.namespace().map(str::to_string)).collect();
    let kinds: Vec<Resource> = prune_kinds(desired, served.as_ref())
        .into_iter()
        .filter(|k| k.namespaced || opts.namespace.is_none())
        .collect();
    let listed: Vec<Result<Vec<Value>, ClusterError>> = stream::iter(kinds.iter())
        .map(|k| list_kind(cluster, k, &namespaces, opts, &selector))
        .buffered(concurrency)
        .collect()
        .await;
    let mut live: BTreeMap<String, Value> = BTreeMap::new();
    let mut results = Vec::new();
    let mut warnings = Vec::new();
    for (k, r) in kinds.iter().zip(listed) {
        match r {
            Ok(items) => {
                for item in items {
                    let key = identity(
                        &k.group,
                        &k.kind,
                        item["metadata"]["namespace"].as_str(),
                        item["metadata"]["name"].as_str().unwrap_or(""),
                    );
                    live.insert(key, item);
                }
            }
            Err(ClusterError::UnknownKind(_) | ClusterError::NotFound(_)) => {}
            Err(e) if e.is_fatal() => return Err(e),
            // read-only credentials that may not list a kind (the `view`
            // role and Secrets): the rendered objects are still diffed,
            // only dropped ones of that kind cannot be found
            Err(ClusterError::Forbidden(m)) => warnings.push(format!(
                "cannot look for {} to prune (objects archctl applied and no longer renders): {m}",
                k.plural
            )),
            Err(e) => results.push(ObjectDiff::bare(
                format!("{} {}", k.api_version(), k.plural),
                Action::Error,
                Some(format!("cannot look for objects to prune: {e}")),
            )),
        }
    }

    // each rendered object: its live state and what an apply would make
    let total = desired.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let wanted: BTreeSet<String> =
        desired.iter().map(|o| identity(o.group(), o.kind(), o.namespace(), o.name())).collect();
    let per_object: Vec<Result<ObjectDiff, ClusterError>> = stream::iter(desired.iter())
        .map(|o| {
            let live = &live;
            let done = &done;
            let served = served.as_ref();
            async move {
                let d = one(cluster, o, live, served).await;
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(n, total);
                d
            }
        })
        .buffered(concurrency)
        .collect()
        .await;
    for r in per_object {
        results.push(r?);
    }

    // what archctl applied and no longer renders; what a controller made
    // or another tool applied is never a candidate
    for (key, item) in &live {
        if !wanted.contains(key) && applied_by_archctl(item) && !controlled(item) {
            results.push(compare::prune(describe(item), item));
        }
    }
    Ok(Report { objects: results, warnings })
}

/// The diff of one rendered object.
async fn one<C: Cluster>(
    cluster: &C,
    o: &Object,
    live: &BTreeMap<String, Value>,
    served: Option<&Served>,
) -> Result<ObjectDiff, ClusterError> {
    let mut kind = kind_of(o);
    let want = serde_json::to_value(o).map_err(|e| ClusterError::Rejected(e.to_string()))?;
    if let Some(s) = served {
        let versions = s.versions(&kind.group, &kind.kind);
        if versions.is_empty() {
            // a custom resource whose CRD is not installed
            let note = format!(
                "CRD not installed: the cluster serves no {} {}; apply fails until its CRD is installed",
                if kind.group.is_empty() { "core" } else { &kind.group },
                kind.kind
            );
            return Ok(compare::fallback(o.describe(), &want, None, Some(note)));
        }
        match s.get(&kind.group, &kind.kind, &kind.version) {
            Some(v) => {
                kind.plural = v.plural.clone();
                kind.namespaced = v.namespaced;
            }
            None => {
                let list: Vec<&str> = versions.iter().map(|v| v.version.as_str()).collect();
                let hint = if kind.group == "external-secrets.io" {
                    "; current external-secrets serves only v1: remove `api_version` from the secret store (or set it to \"v1\")"
                } else {
                    ""
                };
                return Ok(ObjectDiff::bare(
                    o.describe(),
                    Action::Error,
                    Some(format!(
                        "the cluster serves {} {} in {} only, not {}{hint}",
                        kind.group,
                        kind.kind,
                        list.join(", "),
                        kind.version
                    )),
                ));
            }
        }
    }
    let key = identity(o.group(), o.kind(), o.namespace(), o.name());
    let found = match live.get(&key) {
        // listed in the version the cluster prefers: compare in the
        // rendered one (the server converts), or defaults differ
        Some(v) if v["apiVersion"].as_str() != Some(kind.api_version().as_str()) => {
            cluster.get(&kind, o.namespace(), o.name()).await
        }
        Some(v) => Ok(Some(v.clone())),
        // not labelled as archctl's: perhaps applied by hand
        None => cluster.get(&kind, o.namespace(), o.name()).await,
    };
    let current = match found {
        Err(e) if e.is_fatal() => return Err(e),
        Err(ClusterError::UnknownKind(_) | ClusterError::NotFound(_)) => None,
        Err(e) => return Ok(ObjectDiff::bare(o.describe(), Action::Error, Some(e.to_string()))),
        Ok(current) => current,
    };
    // a chart's release: compared with the labels Helm puts on what it
    // installs, and as `helm upgrade` would leave it (Helm owns the fields,
    // so a plain apply by archctl is not the question)
    let release = current.as_ref().and_then(helm_release).map(str::to_string);
    let mut want = want;
    if release.is_some()
        && let Some(labels) = want["metadata"]["labels"].as_object_mut()
    {
        labels.insert(MANAGED_BY.to_string(), Value::String("Helm".into()));
    }
    // a plain apply first: it fails where another manager owns a field
    let mut conflicts = Vec::new();
    let mut dry = cluster.dry_run_apply(&kind, &want, release.is_some()).await;
    if let Err(ClusterError::Conflict { conflicts: c, .. }) = &dry {
        conflicts = c.clone();
        dry = cluster.dry_run_apply(&kind, &want, true).await;
    }
    if let Err(e) = &dry
        && e.is_fatal()
    {
        return Err(e.clone());
    }
    // controllers write to live objects all the time (the deployment
    // controller's revision annotation, status): when the dry run saw
    // another version than the LIST, read the object again, and dry-run
    // again if it moved once more, until both sides are one version (a few
    // tries: a controller busy with the object gives it up after that)
    let mut current = current;
    let force = release.is_some() || !conflicts.is_empty();
    for attempt in 0..3 {
        let (Ok(Some(after)), Some(before)) = (&dry, &current) else { break };
        if after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"] {
            break;
        }
        if attempt > 0 {
            dry = cluster.dry_run_apply(&kind, &want, force).await;
            if let Err(e) = &dry
                && e.is_fatal()
            {
                return Err(e.clone());
            }
            let (Ok(Some(after)), Some(before)) = (&dry, &current) else { break };
            if after["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"] {
                break;
            }
        }
        match cluster.get(&kind, o.namespace(), o.name()).await {
            Ok(fresh) => current = fresh,
            Err(e) if e.is_fatal() => return Err(e),
            Err(e) => return Ok(ObjectDiff::bare(o.describe(), Action::Error, Some(e.to_string()))),
        }
    }
    let mut d = compare::object(o.describe(), &want, current.as_ref(), dry);
    if !conflicts.is_empty() {
        let owners: Vec<String> = conflicts.iter().map(|c| format!("{} owns {}", c.manager, c.field)).collect();
        let note = format!(
            "conflicts: {}; a plain `kubectl apply --server-side` fails, the diff shows the apply with --force-conflicts",
            owners.join(", ")
        );
        d.note = Some(match d.note.take() {
            Some(n) => format!("{note}; {n}"),
            None => note,
        });
        d.conflicts = conflicts;
    }
    if let Some(l) = &current {
        d.warnings = live_warnings(l);
    }
    if let Some(r) = release {
        let note =
            format!("installed by Helm release `{r}`: compared with Helm's labels, as `helm upgrade` would leave it");
        d.note = Some(match d.note.take() {
            Some(n) => format!("{note}; {n}"),
            None => note,
        });
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    //! The diff's decisions against a small fake cluster: what the real
    //! server does is in the integration tests; these pin each rule.

    use std::sync::Mutex;

    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use serde_json::json;

    use super::cluster::{Conflict, ServedVersion};
    use super::*;

    #[derive(Default)]
    struct Fake {
        served: Option<Served>,
        items: Vec<Value>,
        /// what GET answers (the newest version of an object)
        newest: Option<Value>,
        /// a conflict on the plain apply
        conflict: bool,
        forbid_cluster_wide: bool,
        forbid_secrets: bool,
        calls: Mutex<Vec<String>>,
    }

    impl Cluster for Fake {
        async fn discover(&self) -> Result<Option<Served>, ClusterError> {
            Ok(self.served.clone())
        }
        async fn list(&self, kind: &Resource, ns: Option<&str>, _: &str) -> Result<Vec<Value>, ClusterError> {
            self.calls.lock().unwrap().push(format!("list {} {}", kind.plural, ns.unwrap_or("*")));
            if self.forbid_secrets && kind.plural == "secrets" {
                return Err(ClusterError::Forbidden("cannot list resource \"secrets\"".into()));
            }
            if self.forbid_cluster_wide && kind.namespaced && ns.is_none() {
                return Err(ClusterError::Forbidden("cannot list resource at the cluster scope".into()));
            }
            Ok(self.items.iter().filter(|i| i["kind"] == kind.kind.as_str()).cloned().collect())
        }
        async fn get(&self, kind: &Resource, _: Option<&str>, name: &str) -> Result<Option<Value>, ClusterError> {
            self.calls.lock().unwrap().push(format!("get {} {name}", kind.plural));
            Ok(self.newest.clone())
        }
        async fn dry_run_apply(
            &self,
            _: &Resource,
            object: &Value,
            force: bool,
        ) -> Result<Option<Value>, ClusterError> {
            self.calls.lock().unwrap().push(format!("apply force={force}"));
            if self.conflict && !force {
                return Err(ClusterError::Conflict {
                    message: "conflict".into(),
                    conflicts: vec![Conflict { manager: "ops".into(), field: ".data.k".into() }],
                });
            }
            // the server applies onto the newest version
            Ok(Some(self.newest.clone().unwrap_or_else(|| {
                let mut after = object.clone();
                after["metadata"]["resourceVersion"] = json!("2");
                after
            })))
        }
    }

    fn config_map(name: &str) -> Object {
        let mut labels = std::collections::BTreeMap::new();
        labels.insert(MANAGED_BY.to_string(), MANAGER.to_string());
        labels.insert(PART_OF.to_string(), "p".to_string());
        ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("n".into()),
                labels: Some(labels),
                ..Default::default()
            },
            data: Some([("k".to_string(), "v".to_string())].into_iter().collect()),
            ..Default::default()
        }
        .into()
    }

    fn live(name: &str, rv: &str, managers: Value, owners: Value) -> Value {
        let mut v = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "n",
            "resourceVersion": rv, "labels": {MANAGED_BY: MANAGER, PART_OF: "p"}}, "data": {"k": "v"}});
        if !managers.is_null() {
            v["metadata"]["managedFields"] = managers;
        }
        if !owners.is_null() {
            v["metadata"]["ownerReferences"] = owners;
        }
        v
    }

    fn opts() -> Options {
        Options { project: "p".into(), concurrency: 4, namespace: None }
    }

    fn run_on(c: &Fake, desired: &[Object]) -> Report {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(run(c, desired, &opts(), &|_, _| {})).unwrap()
    }

    fn served(kinds: &[(&str, &str, &str, &str)]) -> Served {
        let mut s = Served::default();
        for (g, v, k, p) in kinds {
            s.kinds.entry((g.to_string(), k.to_string())).or_default().push(ServedVersion {
                version: v.to_string(),
                plural: p.to_string(),
                namespaced: *k != "Namespace",
            });
        }
        s
    }

    #[test]
    fn only_what_archctl_applied_and_no_controller_owns_is_pruned() {
        let applied = json!([{"manager": "archctl", "operation": "Apply"}]);
        let c = Fake {
            items: vec![
                live("gone", "1", applied.clone(), json!(null)),
                live("controller-made", "1", applied.clone(), json!([{"kind": "CronJob", "controller": true}])),
                live("by-hand", "1", json!([{"manager": "kubectl-create", "operation": "Update"}]), json!(null)),
                live(
                    "status-only",
                    "1",
                    json!([{"manager": "archctl", "operation": "Apply", "subresource": "status"}]),
                    json!(null),
                ),
                live("from-disk", "1", json!(null), json!(null)),
            ],
            ..Fake::default()
        };
        let r = run_on(&c, &[]);
        let pruned: Vec<&str> =
            r.objects.iter().filter(|d| d.action == Action::Prune).map(|d| d.object.as_str()).collect();
        // without managedFields (files on disk) the labels decide
        assert_eq!(pruned, ["v1 ConfigMap n/from-disk", "v1 ConfigMap n/gone"]);
    }

    #[test]
    fn a_live_object_newer_than_the_list_is_read_again() {
        let applied = json!([{"manager": "archctl", "operation": "Apply"}]);
        // the list saw version 1; a controller has since written version 2
        let mut newest = live("a", "2", applied.clone(), json!(null));
        newest["metadata"]["annotations"] = json!({"deployment.kubernetes.io/revision": "1"});
        let c = Fake { items: vec![live("a", "1", applied, json!(null))], newest: Some(newest), ..Fake::default() };
        let r = run_on(&c, &[config_map("a")]);
        assert_eq!(r.objects[0].action, Action::Same, "{:?}", r.objects[0]);
        assert!(c.calls.lock().unwrap().iter().any(|c| c == "get configmaps a"));
    }

    #[test]
    fn a_conflict_is_reported_and_the_forced_apply_shown() {
        let c = Fake { conflict: true, ..Fake::default() };
        let r = run_on(&c, &[config_map("a")]);
        let d = &r.objects[0];
        assert_eq!(d.conflicts, [Conflict { manager: "ops".into(), field: ".data.k".into() }]);
        assert!(d.note.as_deref().unwrap_or("").contains("ops owns .data.k"), "{d:?}");
        let calls = c.calls.lock().unwrap();
        assert!(calls.contains(&"apply force=false".to_string()) && calls.contains(&"apply force=true".to_string()));
    }

    #[test]
    fn kinds_come_from_discovery() {
        // ConfigMaps are not served at all: a custom resource without its CRD
        let c = Fake { served: Some(served(&[("", "v1", "Secret", "secrets")])), ..Fake::default() };
        let r = run_on(&c, &[config_map("a")]);
        assert_eq!(r.objects[0].action, Action::Create);
        assert!(r.objects[0].note.as_deref().unwrap_or("").starts_with("CRD not installed"), "{:?}", r.objects[0]);
        // served, but in another version only
        let c = Fake { served: Some(served(&[("", "v2", "ConfigMap", "configmaps")])), ..Fake::default() };
        let r = run_on(&c, &[config_map("a")]);
        assert_eq!(r.objects[0].action, Action::Error);
        assert!(r.objects[0].note.as_deref().unwrap_or("").contains("in v2 only, not v1"), "{:?}", r.objects[0]);
        // unserved kinds are not listed
        let calls = c.calls.lock().unwrap();
        assert!(calls.iter().all(|c| !c.starts_with("list deployments")), "{calls:?}");
    }

    #[test]
    fn lists_span_namespaces_and_fall_back_to_each_one() {
        let c = Fake::default();
        run_on(&c, &[config_map("a")]);
        assert!(c.calls.lock().unwrap().contains(&"list configmaps *".to_string()));
        let c = Fake { forbid_cluster_wide: true, forbid_secrets: true, ..Fake::default() };
        let r = run_on(&c, &[config_map("a")]);
        assert!(c.calls.lock().unwrap().contains(&"list configmaps n".to_string()));
        // a kind the credentials may not list is a warning, not an error
        assert!(r.warnings.iter().any(|w| w.starts_with("cannot look for secrets to prune")), "{:?}", r.warnings);
        assert!(r.objects.iter().all(|d| d.action != Action::Error), "{:?}", r.objects);
    }

    #[test]
    fn client_side_applied_objects_carry_a_warning() {
        let v = json!({"metadata": {"annotations": {normalize::LAST_APPLIED: "{}"},
            "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update"}]}});
        let w = live_warnings(&v);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("kubectl-client-side-apply") && w[0].contains("csaupgrade"), "{w:?}");
        assert!(
            live_warnings(&json!({"metadata": {"managedFields": [{"manager": "archctl", "operation": "Apply"}]}}))
                .is_empty()
        );
    }
}
