//! `archctl diff`: what applying the render would change, object by object.
//!
//! The stages follow tanka's render → diff pipeline: list what archctl
//! manages in the cluster (one LIST per kind and namespace, by label),
//! ask the server what each rendered object would become (server-side
//! apply, `dryRun=All`, a bounded number at a time), compare, present.
//! The cluster sits behind [`cluster::Cluster`], so everything but the
//! requests themselves is testable without a network.

pub mod against;
pub mod cluster;
pub mod compare;
pub mod kube;
pub mod normalize;
pub mod present;

use std::collections::{BTreeMap, BTreeSet};

use futures::stream::{self, StreamExt};
use serde_json::Value;

use crate::build::Object;
use crate::build::labels::{MANAGED_BY, MANAGER, PART_OF};
use crate::build::object::{KINDS, is_namespaced};
use cluster::{Cluster, ClusterError, Kind};
use compare::ObjectDiff;

/// Settings of one diff run.
#[derive(Clone, Debug)]
pub struct Options {
    /// The project name: prune candidates carry `part-of=<project>`.
    pub project: String,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Diff only this namespace: cluster-scoped objects are left alone.
    pub namespace: Option<String>,
}

fn kind_of(o: &Object) -> Kind {
    Kind {
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

fn describe(v: &Value) -> String {
    let api = v["apiVersion"].as_str().unwrap_or("");
    let kind = v["kind"].as_str().unwrap_or("");
    let name = v["metadata"]["name"].as_str().unwrap_or("");
    match v["metadata"]["namespace"].as_str() {
        Some(ns) => format!("{api} {kind} {ns}/{name}"),
        None => format!("{api} {kind} {name}"),
    }
}

/// Diffs `desired` against `cluster`. Fails only when the cluster cannot
/// be read at all (unreachable, bad credentials); everything else is a
/// per-object result. `progress` is told of each finished object.
pub async fn run<C: Cluster>(
    cluster: &C,
    desired: &[Object],
    opts: &Options,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<ObjectDiff>, ClusterError> {
    let selector = format!("{MANAGED_BY}={MANAGER},{PART_OF}={}", opts.project);
    let concurrency = opts.concurrency.max(1);

    // what archctl manages: every kind it renders, in every namespace the
    // render touches, so that objects the render dropped are found too
    let mut namespaces: BTreeSet<String> = desired.iter().filter_map(|o| o.namespace().map(str::to_string)).collect();
    namespaces.extend(opts.namespace.clone());
    let mut lists: Vec<(Kind, Option<String>)> = Vec::new();
    for (group, version, kind, plural) in KINDS {
        let k = Kind {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
            plural: plural.to_string(),
            namespaced: is_namespaced(kind),
        };
        if k.namespaced {
            lists.extend(namespaces.iter().map(|ns| (k.clone(), Some(ns.clone()))));
        } else if opts.namespace.is_none() {
            lists.push((k, None));
        }
    }
    // and the versions of rendered kinds that differ from the defaults
    for o in desired {
        let k = kind_of(o);
        if !lists.iter().any(|(l, _)| *l == k) {
            lists.push((k, o.namespace().map(str::to_string)));
        }
    }
    let listed: Vec<Result<Vec<Value>, ClusterError>> = stream::iter(lists.iter())
        .map(|(k, ns)| cluster.list(k, ns.as_deref(), &selector))
        .buffered(concurrency)
        .collect()
        .await;
    let mut live: BTreeMap<String, Value> = BTreeMap::new();
    let mut results = Vec::new();
    for ((k, ns), r) in lists.iter().zip(listed) {
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
            Err(e @ (ClusterError::Unreachable(_) | ClusterError::Unauthorized(_))) => return Err(e),
            Err(e) => results.push(ObjectDiff {
                object: format!("{} {} in {}", k.api_version(), k.plural, ns.as_deref().unwrap_or("the cluster")),
                action: compare::Action::Error,
                diff: String::new(),
                note: Some(format!("cannot look for objects to prune: {e}")),
            }),
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
            async move {
                let kind = kind_of(o);
                let want = serde_json::to_value(o).map_err(|e| ClusterError::Rejected(e.to_string()))?;
                let key = identity(o.group(), o.kind(), o.namespace(), o.name());
                let found = match live.get(&key) {
                    Some(v) => Ok(Some(v.clone())),
                    // not labelled as archctl's: perhaps applied by hand
                    None => cluster.get(&kind, o.namespace(), o.name()).await,
                };
                let diff = match found {
                    Err(e @ (ClusterError::Unreachable(_) | ClusterError::Unauthorized(_))) => return Err(e),
                    Err(ClusterError::UnknownKind(_) | ClusterError::NotFound(_)) => {
                        compare::object(o.describe(), &want, None, cluster.dry_run_apply(&kind, &want).await)
                    }
                    Err(e) => ObjectDiff {
                        object: o.describe(),
                        action: compare::Action::Error,
                        diff: String::new(),
                        note: Some(e.to_string()),
                    },
                    Ok(current) => {
                        let dry = cluster.dry_run_apply(&kind, &want).await;
                        if let Err(e @ (ClusterError::Unreachable(_) | ClusterError::Unauthorized(_))) = &dry {
                            return Err(e.clone());
                        }
                        compare::object(o.describe(), &want, current.as_ref(), dry)
                    }
                };
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(n, total);
                Ok(diff)
            }
        })
        .buffered(concurrency)
        .collect()
        .await;
    for r in per_object {
        results.push(r?);
    }

    // what archctl once applied and no longer renders
    for (key, item) in &live {
        if !wanted.contains(key) {
            results.push(compare::prune(describe(item), item));
        }
    }
    Ok(results)
}
