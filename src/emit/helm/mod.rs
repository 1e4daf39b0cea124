//! `render --format helm`: a Helm chart whose `helm template` with a
//! profile's values file gives exactly the objects `render --profile` does.
//!
//! The templates are generated from the rendered objects of every profile
//! (see [`template`]); the chart's skeleton — Chart.yaml, helpers, NOTES,
//! .helmignore and the values header — comes from `templates/` in this
//! repository, built into the binary, unless the project has its own.

mod skeleton;
mod template;
mod values;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::emit::yaml;
use crate::objects::Object;
use crate::resolve::Resolved;
use template::{Cond, Named, PathSeg, T, Values, object_key};

pub use skeleton::Skeleton;

/// One profile's render.
pub struct Variant<'a> {
    /// The profile, or None for the topology alone.
    pub profile: Option<String>,
    pub objects: &'a [Object],
    pub resolved: &'a Resolved,
}

/// A generated chart: files by path, relative to the chart folder.
pub struct Chart {
    pub files: Vec<(String, String)>,
    /// Objects whose template had to carry the whole object as a value.
    pub fallbacks: Vec<String>,
}

/// The kinds a feature switch turns off, by values key.
fn feature_of(kind: &str) -> Option<&'static str> {
    match kind {
        "HorizontalPodAutoscaler" | "ScaledObject" => Some("autoscaling"),
        "VerticalPodAutoscaler" => Some("vpa"),
        "PodDisruptionBudget" => Some("disruptionBudgets"),
        "NetworkPolicy" => Some("networkPolicies"),
        "ServiceMonitor" => Some("serviceMonitors"),
        "Ingress" => Some("ingress"),
        "Gateway" | "HTTPRoute" | "GRPCRoute" | "ReferenceGrant" => Some("gatewayApi"),
        _ => None,
    }
}

fn features_value(r: &Resolved) -> Value {
    let f = &r.topology.features;
    json!({
        "autoscaling": f.autoscaling,
        "vpa": f.vpa,
        "disruptionBudgets": f.disruption_budgets,
        "networkPolicies": f.network_policies,
        "serviceMonitors": f.service_monitors,
        "ingress": f.ingress,
        "gatewayApi": f.gateway_api,
    })
}

fn p(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|s| s.to_string()).collect()
}

/// Generates the chart; `primary` is the variant whose values become
/// `values.yaml`.
pub fn chart(variants: &[Variant<'_>], primary: usize, skeleton: &Skeleton) -> anyhow::Result<Chart> {
    let first = &variants[primary].resolved.topology;
    let chart_name = first.project.name.clone();
    let n = variants.len();
    let docs: Vec<Vec<Value>> = variants
        .iter()
        .map(|v| v.objects.iter().map(serde_json::to_value).collect::<Result<Vec<_>, _>>())
        .collect::<Result<_, _>>()?;

    // every object of every profile, in the order they first appear
    let mut keys: indexmap::IndexSet<String> = indexmap::IndexSet::new();
    let mut by_key: Vec<BTreeMap<String, &Value>> = Vec::new();
    for i in std::iter::once(primary).chain((0..n).filter(|i| *i != primary)) {
        for d in &docs[i] {
            keys.insert(object_key(d));
        }
    }
    for d in &docs {
        by_key.push(d.iter().map(|d| (object_key(d), d)).collect());
    }

    let mut values = Values::new(n);
    let services: BTreeSet<String> =
        variants.iter().flat_map(|v| v.resolved.topology.services.keys().cloned()).collect();
    let common: BTreeSet<String> =
        variants.iter().flat_map(|v| v.resolved.topology.project.labels.keys().cloned()).collect();
    // settings every chart has, whatever its objects
    for (i, v) in variants.iter().enumerate() {
        let vals = &mut values.per_variant[i];
        vals["global"] = json!({
            "imageRegistry": "",
            "commonLabels": v.resolved.topology.project.labels,
        });
        vals["features"] = features_value(v.resolved);
    }
    for name in &services {
        let replicas: Vec<Option<Value>> =
            variants.iter().map(|v| v.resolved.services.get(name).and_then(|s| s.replicas).map(|r| json!(r))).collect();
        let scaled: Vec<Option<Value>> = variants
            .iter()
            .map(|v| {
                let svc = v.resolved.topology.services.get(name);
                Some(json!(svc.is_some_and(|s| s.autoscaling.is_some() || s.keda.is_some())))
            })
            .collect();
        values.set(&p(&["services", name, "replicas"]), &replicas);
        values.set(&p(&["services", name, "autoscaling", "enabled"]), &scaled);
    }

    let namer = move |doc: &Value, path: &[PathSeg]| -> Option<Named> { name_setting(doc, path, &services, &common) };

    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let mut fallbacks = Vec::new();
    for key in &keys {
        let vs: Vec<Option<&Value>> = by_key.iter().map(|m| m.get(key).copied()).collect();
        let Some(sample) = vs.iter().flatten().next().copied() else { continue };
        let kind = sample["kind"].as_str().unwrap_or("").to_string();
        let workload = matches!(kind.as_str(), "Deployment" | "StatefulSet");
        let svc_name = sample["metadata"]["name"].as_str().unwrap_or("").to_string();

        // replicas belong to the autoscaler when one is on: built apart
        let stripped: Vec<Option<Value>> = vs
            .iter()
            .map(|v| {
                v.map(|d| {
                    let mut d = d.clone();
                    if workload && let Some(spec) = d.get_mut("spec").and_then(Value::as_object_mut) {
                        spec.shift_remove("replicas");
                    }
                    d
                })
            })
            .collect();
        let refs: Vec<Option<&Value>> = stripped.iter().map(Option::as_ref).collect();
        let mut t = template::build(&refs, &namer, &mut values);
        if workload {
            let rp = p(&["services", &svc_name, "replicas"]);
            let on = Cond::And(vec![
                Cond::Truthy(p(&["features", "autoscaling"])),
                Cond::Truthy(p(&["services", &svc_name, "autoscaling", "enabled"])),
            ]);
            let cond = Cond::And(vec![Cond::Set(rp.clone()), Cond::Not(Box::new(on))]);
            insert_entry(&mut t, "spec", ("replicas".into(), T::Slot(rp), Some(cond)));
        }

        // whole-object presence: a feature switch, else a flag of its own
        let presence: Vec<bool> = vs.iter().map(Option::is_some).collect();
        let mut conds = Vec::new();
        let feature = feature_of(&kind);
        let explained = feature.is_some_and(|f| {
            values
                .per_variant
                .iter()
                .zip(&presence)
                .all(|(vals, present)| vals["features"][f].as_bool() == Some(*present))
        });
        if let Some(f) = feature
            && presence.iter().any(|x| !x)
        {
            conds.push(Cond::Truthy(p(&["features", f])));
        }
        if presence.iter().any(|x| !x) && !explained {
            let fp = p(&["overrides", key, "enabled?"]);
            values.set(&fp, &presence.iter().map(|x| Some(json!(x))).collect::<Vec<_>>());
            conds.push(Cond::Truthy(fp));
        }
        let mut cond = match conds.len() {
            0 => None,
            1 => conds.pop(),
            _ => Some(Cond::And(conds)),
        };

        // the template must give back every profile's object
        let exact = |t: &T, cond: &Option<Cond>, values: &Values| {
            vs.iter().enumerate().all(|(i, v)| {
                let vals = &values.per_variant[i];
                let shown = cond.as_ref().is_none_or(|c| c.eval(vals));
                match (v, shown) {
                    (Some(d), true) => t.eval(vals).as_ref() == Some(*d),
                    (None, false) => true,
                    _ => false,
                }
            })
        };
        if !exact(&t, &cond, &values) {
            let op = p(&["overrides", key, "object"]);
            values.set(&op, &vs.iter().map(|v| v.cloned()).collect::<Vec<_>>());
            t = T::Slot(op.clone());
            cond = Some(Cond::Set(op));
            fallbacks.push(key.clone());
        }

        let file = file_for(&kind, sample, first);
        files.entry(file).or_default().push_str(&t.emit_document(cond.as_ref(), &chart_name));
    }

    let profiles: Vec<String> = variants.iter().filter_map(|v| v.profile.clone()).collect();
    let mut out: Vec<(String, String)> = skeleton.render(first, variants[primary].profile.as_deref(), &profiles)?;
    let header = out.iter().position(|(f, _)| f == "values-header.yaml").map(|i| out.remove(i).1).unwrap_or_default();

    let primary_values = &values.per_variant[primary];
    out.push(("values.yaml".into(), format!("{header}{}", values_text(primary_values)?)));
    for (i, v) in variants.iter().enumerate() {
        // what Helm will see: values.yaml with the profile's file merged on
        let patch = values::patch(primary_values, &values.per_variant[i]);
        anyhow::ensure!(
            without_nulls(&values::merge(primary_values, &patch)) == without_nulls(&values.per_variant[i]),
            "internal error: the values of profile {:?} do not merge back",
            v.profile
        );
        let Some(name) = &v.profile else { continue };
        let body =
            if patch.as_object().is_some_and(|m| m.is_empty()) { "{}\n".to_string() } else { values_text(&patch)? };
        out.push((
            format!("values-{name}.yaml"),
            format!("# Values of profile `{name}`, on top of values.yaml:\n#   helm template . -f values-{name}.yaml\n{body}"),
        ));
    }
    // maps operators may extend: any label goes
    let free: BTreeSet<Vec<String>> = BTreeSet::from([p(&["global", "commonLabels"])]);
    let schema = values::schema(&values.per_variant, &free);
    out.push(("values.schema.json".into(), serde_json::to_string_pretty(&schema)? + "\n"));
    for (path, text) in files {
        out.push((format!("templates/{path}"), text));
    }
    Ok(Chart { files: out, fallbacks })
}

/// Values with null leaves removed (Helm treats them as absent).
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            Value::Object(m.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), without_nulls(v))).collect())
        }
        other => other.clone(),
    }
}

fn values_text(v: &Value) -> anyhow::Result<String> {
    yaml::document(v).context("cannot write values")
}

/// Adds an entry to the map at `key` of a template's top level.
fn insert_entry(t: &mut T, key: &str, entry: (String, T, Option<Cond>)) {
    let T::Map(entries) = t else { return };
    let Some(pos) = entries.iter().position(|(k, _, _)| k == key) else { return };
    let slot = &mut entries[pos].1;
    if let T::Lit(Value::Object(m)) = slot {
        let e = m.iter().map(|(k, v)| (k.clone(), T::Lit(v.clone()), None)).collect();
        *slot = T::Map(e);
    }
    if let T::Map(inner) = slot {
        inner.insert(0, entry);
    }
}

/// The file a template goes to: `templates/<service>/<kind>.yaml` for the
/// objects of a service, `templates/<kinds>.yaml` for shared ones.
fn file_for(kind: &str, doc: &Value, topo: &crate::topology::Topology) -> String {
    let owner = doc["metadata"]["labels"]["app.kubernetes.io/name"].as_str().unwrap_or("");
    let lower = kind.to_ascii_lowercase();
    let shared = matches!(kind, "Namespace" | "ResourceQuota" | "LimitRange" | "StorageClass");
    if !shared && topo.services.contains_key(owner) {
        format!("{owner}/{lower}.yaml")
    } else {
        let plural = if lower.ends_with('s') {
            format!("{lower}es")
        } else if lower.ends_with('y') {
            format!("{}ies", &lower[..lower.len() - 1])
        } else {
            format!("{lower}s")
        };
        format!("{plural}.yaml")
    }
}

/// Names the settings operators change per environment.
fn name_setting(
    doc: &Value,
    path: &[PathSeg],
    services: &BTreeSet<String>,
    common: &BTreeSet<String>,
) -> Option<Named> {
    let kind = doc["kind"].as_str()?;
    let name = doc["metadata"]["name"].as_str()?;
    let keys: Vec<&str> = path
        .iter()
        .map(|s| match s {
            PathSeg::Key(k) => k.as_str(),
            PathSeg::Index(_) => "[]",
        })
        .collect();
    let index = |i: usize| match path.get(i) {
        Some(PathSeg::Index(n)) => Some(*n),
        _ => None,
    };
    // labels: common labels and the version label
    if keys.len() >= 2 && keys[keys.len() - 2] == "labels" {
        let label = keys[keys.len() - 1];
        if common.contains(label) {
            return Some(Named::Slot(p(&["global", "commonLabels", label])));
        }
        if label == "app.kubernetes.io/version" {
            let owner = doc["metadata"]["labels"]["app.kubernetes.io/name"].as_str().unwrap_or("");
            return Some(Named::Slot(if services.contains(owner) {
                p(&["services", owner, "version"])
            } else {
                p(&["global", "version"])
            }));
        }
        return None;
    }
    let pod: &[&str] = match kind {
        "Deployment" | "StatefulSet" | "Job" => &["spec", "template", "spec"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
        _ => &[],
    };
    if !pod.is_empty() && services.contains(name) && keys.len() == pod.len() + 3 && keys[..pod.len()] == *pod {
        let rest = &keys[pod.len()..];
        if rest[0] == "containers" && index(pod.len() + 1) == Some(0) {
            match rest[2] {
                "image" => return Some(Named::Image(p(&["services", name, "image"]))),
                "resources" => return Some(Named::Slot(p(&["services", name, "resources"]))),
                _ => {}
            }
        }
    }
    match (kind, keys.as_slice()) {
        ("StatefulSet", ["spec", "volumeClaimTemplates", "[]", "spec", rest @ ..]) => {
            let vol = doc["spec"]["volumeClaimTemplates"][index(2)?]["metadata"]["name"].as_str()?;
            match rest {
                ["resources", "requests", "storage"] => {
                    Some(Named::Slot(p(&["services", name, "storage", vol, "size"])))
                }
                ["storageClassName"] => Some(Named::Slot(p(&["services", name, "storage", vol, "storageClass"]))),
                _ => None,
            }
        }
        ("PersistentVolumeClaim", ["spec", "resources", "requests", "storage"]) => {
            Some(Named::Slot(p(&["claims", name, "size"])))
        }
        ("PersistentVolumeClaim", ["spec", "storageClassName"]) => {
            Some(Named::Slot(p(&["claims", name, "storageClass"])))
        }
        ("HorizontalPodAutoscaler", ["spec", "minReplicas"]) | ("ScaledObject", ["spec", "minReplicaCount"]) => {
            let target = doc["spec"]["scaleTargetRef"]["name"].as_str()?;
            Some(Named::Slot(p(&["services", target, "autoscaling", "minReplicas"])))
        }
        ("HorizontalPodAutoscaler", ["spec", "maxReplicas"]) | ("ScaledObject", ["spec", "maxReplicaCount"]) => {
            let target = doc["spec"]["scaleTargetRef"]["name"].as_str()?;
            Some(Named::Slot(p(&["services", target, "autoscaling", "maxReplicas"])))
        }
        ("Ingress", ["spec", "rules", "[]", "host"]) => {
            let i = index(2)?;
            let key = if i == 0 { "host".to_string() } else { format!("host{i}") };
            Some(Named::Slot(vec!["ingresses".into(), name.into(), key]))
        }
        ("Ingress", ["spec", "tls"]) => Some(Named::Slot(p(&["ingresses", name, "tls"]))),
        _ => None,
    }
}

/// Writes the chart into `dir` through the same atomic folder writer as
/// `--out`.
pub(crate) fn write(dir: &Path, chart: &Chart, force: bool, protect: &[std::path::PathBuf]) -> anyhow::Result<()> {
    crate::emit::files::write_tree(dir, &chart.files, force, protect)
}
