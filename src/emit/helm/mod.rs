//! `render --format helm`: a Helm chart whose `helm template` with a
//! profile's values file gives exactly the objects `render --profile` does.
//!
//! The templates are generated from the rendered objects of every profile
//! (see [`template`]); the chart's skeleton — Chart.yaml, helpers, NOTES,
//! .helmignore and the values header — comes from `templates/` in this
//! repository, built into the binary, unless the project has its own.

mod describe;
mod release;
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
use template::{Cond, Named, PathSeg, T, Values};

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
    // every object of every profile, in the order they first appear; each
    // is turned into JSON only while its template is built, one at a time
    let by_key: Vec<std::collections::HashMap<String, &Object>> =
        variants.iter().map(|v| v.objects.iter().map(|o| (key_of(o), o)).collect()).collect();
    let mut keys: indexmap::IndexSet<String> = indexmap::IndexSet::new();
    for i in std::iter::once(primary).chain((0..n).filter(|i| *i != primary)) {
        for o in variants[i].objects {
            keys.insert(key_of(o));
        }
    }

    // the namespaces objects live in (and Namespace objects name)
    let namespaces: BTreeSet<String> = variants
        .iter()
        .flat_map(|v| v.objects.iter())
        .filter_map(|o| if o.kind() == "Namespace" { Some(o.name()) } else { o.namespace() })
        .map(str::to_string)
        .collect();
    let namespaces: Vec<String> = namespaces.into_iter().collect();
    let single = namespaces.len() == 1;
    let release = release::Release::new(&chart_name, &namespaces, single);

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
        vals["capabilities"] = json!({ "force": false });
        if single {
            vals["namespace"] = json!({ "create": false });
        } else {
            vals["namespaces"] = Value::Object(namespaces.iter().map(|ns| (ns.clone(), json!(ns))).collect());
        }
    }
    let mut autoscaled: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for name in &services {
        // an autoscaled service runs its fewest replicas when its
        // autoscaler is switched off
        let replicas: Vec<Option<Value>> = variants
            .iter()
            .map(|v| {
                let s = v.resolved.services.get(name)?;
                let scaled = v.resolved.topology.features.autoscaling && (s.hpa.is_some() || s.keda.is_some());
                s.replicas.or(if scaled { s.min_replicas() } else { None }).map(|r| json!(r))
            })
            .collect();
        let scaled: Vec<Option<Value>> = variants
            .iter()
            .map(|v| {
                let svc = v.resolved.topology.services.get(name);
                Some(json!(svc.is_some_and(|s| s.autoscaling.is_some() || s.keda.is_some())))
            })
            .collect();
        values.set(&p(&["services", name, "replicas"]), &replicas);
        // only a service with an autoscaler in some profile has the switch:
        // turning on one that does not exist would drop `replicas` and
        // render no autoscaler
        if scaled.iter().any(|v| v.as_ref().is_some_and(|v| v == &json!(true))) {
            values.set(&p(&["services", name, "autoscaling", "enabled"]), &scaled);
            autoscaled.insert(name.clone());
        }
    }

    let namer = |doc: &Value, path: &[PathSeg]| -> Option<Named> { name_setting(doc, path, &services, &common) };

    let mut files: BTreeMap<String, String> = BTreeMap::new();
    let mut fallbacks = Vec::new();
    for key in &keys {
        let mut docs: Vec<Option<Value>> =
            by_key.iter().map(|m| m.get(key).map(serde_json::to_value).transpose()).collect::<Result<_, _>>()?;
        let Some(sample) = docs.iter().flatten().next() else { continue };
        let kind = sample["kind"].as_str().unwrap_or("").to_string();
        let workload = matches!(kind.as_str(), "Deployment" | "StatefulSet");
        let svc_name = sample["metadata"]["name"].as_str().unwrap_or("").to_string();

        // replicas belong to the autoscaler when one is on: built apart,
        // and put back (where they were) for the check below
        let mut taken: Vec<Option<(usize, Value)>> = vec![None; n];
        if workload {
            for (d, taken) in docs.iter_mut().zip(&mut taken) {
                if let Some(spec) = d.as_mut().and_then(|d| d.get_mut("spec")).and_then(Value::as_object_mut) {
                    let at = spec.keys().position(|k| k == "replicas");
                    *taken = at.and_then(|i| Some((i, spec.shift_remove("replicas")?)));
                }
            }
        }
        let refs: Vec<Option<&Value>> = docs.iter().map(Option::as_ref).collect();
        let mut t = template::build(&refs, &namer, &mut values);
        for (d, taken) in docs.iter_mut().zip(taken) {
            if let (Some((i, v)), Some(spec)) =
                (taken, d.as_mut().and_then(|d| d.get_mut("spec")).and_then(Value::as_object_mut))
            {
                spec.shift_insert(i, "replicas".into(), v);
            }
        }
        let vs: Vec<Option<&Value>> = docs.iter().map(Option::as_ref).collect();
        let Some(sample) = vs.iter().flatten().next().copied() else { continue };
        if workload {
            let rp = p(&["services", &svc_name, "replicas"]);
            let cond = if autoscaled.contains(&svc_name) {
                let on = Cond::And(vec![
                    Cond::Truthy(p(&["features", "autoscaling"])),
                    Cond::Truthy(p(&["services", &svc_name, "autoscaling", "enabled"])),
                ]);
                Cond::And(vec![Cond::Set(rp.clone()), Cond::Not(Box::new(on))])
            } else {
                Cond::Set(rp.clone())
            };
            insert_entry(&mut t, "spec", ("replicas".into(), T::Slot(rp), Some(cond)));
        }

        // whole-object presence: the switches of its kind, always, and a
        // flag of its own where they do not explain the profiles
        let presence: Vec<bool> = vs.iter().map(Option::is_some).collect();
        let mut conds = Vec::new();
        if let Some(f) = feature_of(&kind) {
            conds.push(Cond::Truthy(p(&["features", f])));
        }
        if matches!(kind.as_str(), "HorizontalPodAutoscaler" | "ScaledObject")
            && let Some(target) = sample["spec"]["scaleTargetRef"]["name"].as_str()
            && autoscaled.contains(target)
        {
            conds.push(Cond::Truthy(p(&["services", target, "autoscaling", "enabled"])));
        }
        let switched = Cond::And(conds.clone());
        let explained = values.per_variant.iter().zip(&presence).all(|(vals, present)| switched.eval(vals) == *present);
        if !explained {
            let fp = p(&["overrides", key, "enabled?"]);
            values.set(&fp, &presence.iter().map(|x| Some(json!(x))).collect::<Vec<_>>());
            conds.push(Cond::Truthy(fp));
        }
        // a custom resource only where the API server serves its kind
        let api_version = sample["apiVersion"].as_str().unwrap_or("");
        if let Some((group, _)) = api_version.split_once('/')
            && !crate::objects::object::is_builtin_group(group)
        {
            conds.push(Cond::Serves(format!("{api_version}/{kind}")));
        }
        let mut cond = match conds.len() {
            0 => None,
            1 => conds.pop(),
            _ => Some(Cond::And(conds)),
        };
        t = release.apply(t, &kind);

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

        // a single namespace is the release's, made only when asked
        if single && kind == "Namespace" {
            let create = Cond::Truthy(p(&["namespace", "create"]));
            cond = Some(match cond {
                None => create,
                Some(Cond::And(mut cs)) => {
                    cs.insert(0, create);
                    Cond::And(cs)
                }
                Some(c) => Cond::And(vec![create, c]),
            });
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
    let topology_schema = describe::topology_schema();
    let describe = |path: &[String]| describe::describe(&topology_schema, path);
    let schema = values::schema(&values.per_variant, &free, &describe);
    out.push(("values.schema.json".into(), serde_json::to_string_pretty(&schema)? + "\n"));
    let customs: BTreeSet<String> = variants
        .iter()
        .flat_map(|v| v.objects.iter())
        .filter(|o| !crate::objects::object::is_builtin_group(o.group()))
        .map(|o| format!("{}/{}", o.api_version(), o.kind()))
        .collect();
    let ns = if single { namespaces.first().map(String::as_str) } else { None };
    out.push(("README.md".into(), readme(&chart_name, ns, &profiles, &customs, primary_values, &describe)));
    for (path, text) in files {
        out.push((format!("templates/{path}"), text));
    }
    Ok(Chart { files: out, fallbacks })
}

/// The chart's README: how to install it, its round trip, and its values
/// with their defaults and descriptions.
fn readme(
    chart: &str,
    namespace: Option<&str>,
    profiles: &[String],
    customs: &BTreeSet<String>,
    values: &Value,
    describe: &dyn Fn(&[String]) -> Option<String>,
) -> String {
    let mut s = format!(
        "# {chart}\n\nA Helm chart generated by archctl from archctl.toml; render again rather than editing it.\n\n"
    );
    s.push_str("## Install\n\n```\n");
    match namespace {
        Some(_) => {
            s.push_str("helm install RELEASE . --namespace NAMESPACE --create-namespace -f values-PROFILE.yaml\n")
        }
        None => s.push_str("helm install RELEASE . -f values-PROFILE.yaml\n"),
    }
    s.push_str("```\n\n");
    match namespace {
        Some(_) => s.push_str(
            "Every object goes to the release's namespace; `namespace.create=true` makes the chart create it (with its quota and labels).\n",
        ),
        None => s.push_str("The topology's namespaces are values (`namespaces.<name>`): set them to install a second copy elsewhere.\n"),
    }
    s.push_str("`app.kubernetes.io/instance` is the release's name, selectors included.\n\n");
    s.push_str("## The render, exactly\n\nFor each profile (");
    s.push_str(&profiles.join(", "));
    s.push_str("), this gives exactly `archctl render --profile PROFILE`:\n\n```\n");
    let mut cmd = format!("helm template {chart} .");
    if let Some(ns) = namespace {
        cmd.push_str(&format!(" --namespace {ns} --set namespace.create=true"));
    }
    for api in customs {
        cmd.push_str(&format!(" --api-versions {api}"));
    }
    cmd.push_str(" -f values-PROFILE.yaml");
    s.push_str(&cmd);
    s.push_str("\n```\n\n");
    if !customs.is_empty() {
        s.push_str("## Custom resources\n\nRendered only where the API server serves their kind (`helm template` knows none unless told with `--api-versions`), or with `capabilities.force=true`:\n\n");
        for api in customs {
            s.push_str(&format!("- `{api}`\n"));
        }
        s.push('\n');
    }
    s.push_str("## Values\n\n| Key | Default | Description |\n|---|---|---|\n");
    let mut rows = Vec::new();
    readme_rows(values, &mut Vec::new(), describe, &mut rows);
    for (key, default, d) in rows {
        s.push_str(&format!("| `{key}` | `{default}` | {d} |\n"));
    }
    s
}

/// One row per value; `overrides` (one row per object) and tables with
/// more than 50 entries (a fleet's services) in brief.
fn readme_rows(
    v: &Value,
    path: &mut Vec<String>,
    describe: &dyn Fn(&[String]) -> Option<String>,
    rows: &mut Vec<(String, String, String)>,
) {
    let cell = |s: String| s.replace('|', "\\|").replace('\n', " ");
    let brief = path.first().is_some_and(|p| p == "overrides") && path.len() == 2
        || path.first().is_some_and(|p| p == "global") && path.len() == 2 && path[1] == "commonLabels";
    match v {
        Value::Object(m) if !m.is_empty() && !brief && m.len() <= 50 => {
            for (k, child) in m {
                path.push(k.clone());
                readme_rows(child, path, describe, rows);
                path.pop();
            }
        }
        _ => {
            let default = match v {
                Value::Object(m) if m.len() > 50 => format!("{} entries", m.len()),
                _ => serde_json::to_string(v).unwrap_or_default(),
            };
            let default = if default.len() > 60 {
                format!("{}…", default.chars().take(57).collect::<String>())
            } else {
                default
            };
            rows.push((cell(path.join(".")), cell(default), cell(describe(path).unwrap_or_default())));
        }
    }
}

/// The key of an object in values and file names, as
/// [`template::object_key`] gives it from the object's JSON.
fn key_of(o: &Object) -> String {
    match o.namespace() {
        Some(ns) => format!("{}/{ns}/{}", o.kind(), o.name()),
        None => format!("{}/{}", o.kind(), o.name()),
    }
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
