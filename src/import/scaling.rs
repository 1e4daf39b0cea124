//! Autoscaling and availability: a HorizontalPodAutoscaler that scales an
//! imported workload becomes its service's `autoscaling`, and a
//! PodDisruptionBudget that selects exactly a workload's pods its
//! `disruption` — the inverse of `objects/scaling.rs`. Names are kept
//! (`name`), and labels that differ from the workload's go to
//! `legacy.object_labels`.

use k8s_openapi::api::autoscaling::v2::{HPAScalingRules, HorizontalPodAutoscaler, MetricIdentifier, MetricTarget};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use super::toml::{Section, Table, Value as T, strings};
use super::workload::written_by_others;
use super::{Ctx, ns_of};
use crate::k8s::quantity::Quantity;

/// What an autoscaler or a budget became: the service it belongs to, the
/// index of that service's workload, and the fields left out.
pub(super) struct Attached {
    pub service: String,
    pub workload: usize,
    pub notes: Vec<String>,
}

fn typed<T: serde::de::DeserializeOwned>(o: &Value) -> Result<T, String> {
    serde_json::from_value(o.clone()).map_err(|e| format!("it is not a valid object of its kind: {e}"))
}

/// A Deployment or StatefulSet.
pub(super) const SCALABLE: &[&str] = &["Deployment", "StatefulSet"];
/// Every kind of workload.
pub(super) const WORKLOADS: &[&str] = &["Deployment", "StatefulSet", "Job", "CronJob"];

/// The index of the imported workload of one of `kinds` named `name` in
/// `ns`.
pub(super) fn workload_of(
    ctx: &Ctx,
    objects: &[Value],
    wanted: &[usize],
    kinds: &[&str],
    name: &str,
    ns: &str,
) -> Option<usize> {
    if ctx.services.get(name).map(String::as_str) != Some(ns) {
        return None;
    }
    wanted.iter().copied().find(|&j| {
        let w = &objects[j];
        let api = if matches!(w["kind"].as_str(), Some("Job" | "CronJob")) { "batch/v1" } else { "apps/v1" };
        w["metadata"]["name"] == name
            && ns_of(w, &ctx.namespace) == ns
            && w["kind"].as_str().is_some_and(|k| kinds.contains(&k))
            && w["apiVersion"] == api
    })
}

/// An object's labels as JSON, `{}` when it has none.
fn labels_of(o: &Value) -> Value {
    match &o["metadata"]["labels"] {
        Value::Object(m) if !m.is_empty() => Value::Object(m.clone()),
        _ => Value::Object(Default::default()),
    }
}

/// An object's annotations, less those tools write.
pub(super) fn annotations_of(o: &Value) -> Vec<(String, Value)> {
    o["metadata"]["annotations"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| !written_by_others(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Writes the section `services.SERVICE.KEY` made of `o` after the
/// service's other sections, with the object's labels and annotations
/// compared with those of the workload (`j`, the workload's index).
fn attach(
    sections: &mut Vec<Section>,
    service: String,
    key: &str,
    table: Table,
    o: &Value,
    (j, workload): (usize, &Value),
    mut notes: Vec<String>,
) -> Attached {
    let mut s = Section::new(&["services", &service, key]);
    s.comments.push(format!(
        "from {} `{}`",
        o["kind"].as_str().unwrap_or(""),
        o["metadata"]["name"].as_str().unwrap_or("")
    ));
    s.table = table;
    insert_after(sections, &service, s);
    labels_and_annotations(sections, &service, key, o, workload, &mut notes);
    Attached { service, workload: j, notes }
}

/// The object's labels into `legacy.object_labels.KEY` when they are not
/// the workload's, and a note when its annotations are not the workload's
/// (archctl gives a service's objects the workload's annotations).
fn labels_and_annotations(
    sections: &mut [Section],
    service: &str,
    key: &str,
    o: &Value,
    workload: &Value,
    notes: &mut Vec<String>,
) {
    object_labels(sections, service, key, o, workload);
    if annotations_of(o) != annotations_of(workload) {
        notes.push(
            "metadata.annotations: archctl gives a service's objects the workload's annotations, and these differ"
                .into(),
        );
    }
}

/// The object's labels into `legacy.object_labels.KEY` when they are not
/// the workload's.
pub(super) fn object_labels(sections: &mut [Section], service: &str, key: &str, o: &Value, workload: &Value) {
    let own = labels_of(o);
    if own == labels_of(workload) {
        return;
    }
    let table = super::labels(&own);
    if let Some(legacy) = super::section_mut(sections, &["services", service, "legacy"]) {
        match legacy.table.get_mut("object_labels") {
            Some(T::Table(t)) => t.set(key, table),
            _ => {
                let mut t = Table::default();
                t.set(key, table);
                legacy.table.set("object_labels", t);
            }
        }
    }
}

/// A HorizontalPodAutoscaler whose `scaleTargetRef` names an imported
/// Deployment or StatefulSet.
pub(super) fn hpa(
    ctx: &Ctx,
    objects: &[Value],
    wanted: &[usize],
    o: &Value,
    sections: &mut Vec<Section>,
) -> Result<Attached, String> {
    let h: HorizontalPodAutoscaler = typed(o)?;
    let ns = ns_of(o, &ctx.namespace);
    let name = h.metadata.name.clone().unwrap_or_default();
    let spec = h.spec.unwrap_or_default();
    let r = &spec.scale_target_ref;
    let mut notes = Vec::new();
    if !matches!(r.kind.as_str(), "Deployment" | "StatefulSet") {
        return Err(format!(
            "it scales a {} (`spec.scaleTargetRef.kind`), and archctl's autoscalers scale deployments and statefulsets",
            r.kind
        ));
    }
    let Some(j) = workload_of(ctx, objects, wanted, &[r.kind.as_str()], &r.name, &ns) else {
        return Err(format!(
            "it scales the {} `{}`, which is not among the imported workloads of namespace `{ns}`",
            r.kind, r.name
        ));
    };
    match r.api_version.as_deref() {
        Some("apps/v1") => {}
        None => notes.push("spec.scaleTargetRef.apiVersion: archctl writes `apps/v1`, and it is not given".into()),
        Some(other) => return Err(format!("its `spec.scaleTargetRef.apiVersion` is `{other}`, not `apps/v1`")),
    }
    if super::section_mut(sections, &["services", &r.name, "autoscaling"]).is_some() {
        return Err(format!("another HorizontalPodAutoscaler of `{}` comes first", r.name));
    }
    let min = match spec.min_replicas {
        Some(n) if n >= 1 => n,
        Some(n) => return Err(format!("its `spec.minReplicas` is {n}: archctl's HPAs keep at least one replica")),
        None => {
            notes.push(
                "spec.minReplicas: archctl writes it, and it is not given (the API server defaults it to 1)".into(),
            );
            1
        }
    };
    if spec.max_replicas < min {
        return Err(format!("its `spec.maxReplicas` ({}) is below `minReplicas` ({min})", spec.max_replicas));
    }
    let mut t = Table::default();
    if name != r.name {
        t.set("name", name.as_str());
    }
    t.set("min", min);
    t.set("max", spec.max_replicas);
    // archctl writes cpu, then memory, then the other metrics
    let mut cpu = None;
    let mut memory = None;
    let mut others = Vec::new();
    let mut order = Vec::new();
    for (i, m) in spec.metrics.iter().flatten().enumerate() {
        let at = format!("spec.metrics[{i}]");
        match metric(m, &at) {
            Ok(Metric::Cpu(p)) if cpu.is_none() => {
                cpu = Some(p);
                order.push(0);
            }
            Ok(Metric::Memory(p)) if memory.is_none() => {
                memory = Some(p);
                order.push(1);
            }
            Ok(Metric::Cpu(_) | Metric::Memory(_)) => {
                notes.push(format!("{at}: archctl targets each resource once"));
            }
            Ok(Metric::Other(table, n)) => {
                notes.extend(n);
                others.push(T::Table(table));
                order.push(2);
            }
            Err(why) => notes.push(format!("{at}: {why}")),
        }
    }
    if order.windows(2).any(|w| w[0] > w[1]) {
        notes.push(
            "spec.metrics: archctl writes cpu, memory, then the other metrics, and these are in another order".into(),
        );
    }
    t.opt("cpu", cpu);
    t.opt("memory", memory);
    if !others.is_empty() {
        t.set("metrics", T::Array(others));
    }
    if let Some(b) = &spec.behavior {
        for (key, rules, at) in [
            ("scale_up", &b.scale_up, "spec.behavior.scaleUp"),
            ("scale_down", &b.scale_down, "spec.behavior.scaleDown"),
        ] {
            if let Some(r) = rules {
                t.set(key, scaling_rules(r, at, &mut notes));
            }
        }
    }
    let service = r.name.clone();
    Ok(attach(sections, service, "autoscaling", t, o, (j, &objects[j]), notes))
}

/// `behavior.scaleUp` or `scaleDown` as `scale_up` / `scale_down`.
pub(super) fn scaling_rules(r: &HPAScalingRules, at: &str, notes: &mut Vec<String>) -> Table {
    let mut t = Table::default();
    t.opt("stabilization", r.stabilization_window_seconds);
    t.opt("select", r.select_policy.clone());
    let mut policies = Vec::new();
    for p in r.policies.iter().flatten() {
        let mut x = Table::default();
        x.set("type", p.type_.as_str());
        x.set("value", p.value);
        x.set("period", p.period_seconds);
        policies.push(T::Table(x));
    }
    if r.policies.is_some() && policies.is_empty() {
        notes.push(format!("{at}.policies: an empty list, which archctl does not write"));
    }
    if !policies.is_empty() {
        t.set("policies", T::Array(policies));
    }
    t
}

enum Metric {
    Cpu(i32),
    Memory(i32),
    /// A `pods`, `object` or `external` metric, and its notes.
    Other(Table, Vec<String>),
}

/// One HPA metric.
fn metric(m: &k8s_openapi::api::autoscaling::v2::MetricSpec, at: &str) -> Result<Metric, String> {
    match m.type_.as_str() {
        "Resource" => {
            let Some(r) = &m.resource else { return Err("a `Resource` metric without `resource`".into()) };
            let (Some(p), "Utilization") = (r.target.average_utilization, r.target.type_.as_str()) else {
                return Err("archctl targets CPU and memory by `Utilization` (averageUtilization)".into());
            };
            if p < 1 {
                return Err(format!("a utilisation of {p}%, and archctl's targets are at least 1%"));
            }
            match r.name.as_str() {
                "cpu" => Ok(Metric::Cpu(p)),
                "memory" => Ok(Metric::Memory(p)),
                other => Err(format!("archctl targets the resources cpu and memory, not `{other}`")),
            }
        }
        "Pods" => {
            let Some(p) = &m.pods else { return Err("a `Pods` metric without `pods`".into()) };
            let mut t = Table::default();
            t.set("type", "pods");
            let mut notes = Vec::new();
            identifier(&p.metric, &format!("{at}.pods.metric"), &mut t, &mut notes);
            if p.target.type_ != "AverageValue" {
                return Err("a `Pods` metric's target is an `AverageValue` in archctl".into());
            }
            target(&p.target, &format!("{at}.pods.target"), &mut t, &mut notes)?;
            Ok(Metric::Other(t, notes))
        }
        "Object" => {
            let Some(o) = &m.object else { return Err("an `Object` metric without `object`".into()) };
            let mut t = Table::default();
            t.set("type", "object");
            let mut notes = Vec::new();
            identifier(&o.metric, &format!("{at}.object.metric"), &mut t, &mut notes);
            let d = &o.described_object;
            let mut obj = Table::default();
            obj.set("kind", d.kind.as_str());
            obj.set("name", d.name.as_str());
            match d.api_version.as_deref() {
                Some("v1") => {}
                Some(v) => obj.set("api_version", v),
                None => notes.push(format!(
                    "{at}.object.describedObject.apiVersion: archctl writes one (default `v1`), and it is not given"
                )),
            }
            t.set("object", obj);
            target(&o.target, &format!("{at}.object.target"), &mut t, &mut notes)?;
            Ok(Metric::Other(t, notes))
        }
        "External" => {
            let Some(e) = &m.external else { return Err("an `External` metric without `external`".into()) };
            let mut t = Table::default();
            t.set("type", "external");
            let mut notes = Vec::new();
            identifier(&e.metric, &format!("{at}.external.metric"), &mut t, &mut notes);
            target(&e.target, &format!("{at}.external.target"), &mut t, &mut notes)?;
            Ok(Metric::Other(t, notes))
        }
        other => Err(format!("archctl writes Resource, Pods, Object and External metrics, not `{other}`")),
    }
}

fn identifier(m: &MetricIdentifier, at: &str, t: &mut Table, notes: &mut Vec<String>) {
    t.set("name", m.name.as_str());
    if let Some(s) = &m.selector {
        if let Some(l) = &s.match_labels
            && !l.is_empty()
        {
            t.set("selector", strings(l));
        }
        if s.match_expressions.as_ref().is_some_and(|e| !e.is_empty()) {
            notes.push(format!("{at}.selector.matchExpressions: archctl selects a metric's series by labels only"));
        }
    }
}

/// A `Value` or `AverageValue` target, as `value` or `average_value`.
fn target(m: &MetricTarget, at: &str, t: &mut Table, notes: &mut Vec<String>) -> Result<(), String> {
    let (key, field, q) = match m.type_.as_str() {
        "Value" => ("value", "value", &m.value),
        "AverageValue" => ("average_value", "averageValue", &m.average_value),
        other => return Err(format!("archctl's metric targets are `Value` or `AverageValue`, not `{other}`")),
    };
    let Some(q) = q else { return Err(format!("a `{}` target without `{field}`", m.type_)) };
    match Quantity::parse(&q.0) {
        Ok(c) if c.to_string() != q.0 => notes.push(format!(
            "{at}.{field}: archctl writes quantities as the API server does (`{c}`), and this is `{}`",
            q.0
        )),
        Ok(_) => {}
        Err(_) => return Err(format!("`{}` (`{at}.{field}`) is not a quantity", q.0)),
    }
    t.set(key, q.0.as_str());
    Ok(())
}

/// A PodDisruptionBudget whose selector is exactly the selector of an
/// imported Deployment or StatefulSet.
pub(super) fn pdb(
    ctx: &Ctx,
    objects: &[Value],
    wanted: &[usize],
    o: &Value,
    sections: &mut Vec<Section>,
) -> Result<Attached, String> {
    let p: PodDisruptionBudget = typed(o)?;
    let ns = ns_of(o, &ctx.namespace);
    let name = p.metadata.name.clone().unwrap_or_default();
    let spec = p.spec.unwrap_or_default();
    let notes = Vec::new();
    let selector = &o["spec"]["selector"]["matchLabels"];
    if spec.selector.as_ref().and_then(|s| s.match_expressions.as_ref()).is_some_and(|e| !e.is_empty()) {
        return Err(
            "it selects pods by `matchExpressions`, and archctl's budgets select a workload's pods by its selector"
                .into(),
        );
    }
    let j = wanted
        .iter()
        .copied()
        .find(|&j| {
            let w = &objects[j];
            selector.is_object()
                && w["spec"]["selector"]["matchLabels"] == *selector
                && workload_of(ctx, objects, wanted, SCALABLE, w["metadata"]["name"].as_str().unwrap_or(""), &ns) == Some(j)
        })
        .ok_or_else(|| {
            "its selector is not the selector of an imported deployment or statefulset of its namespace, and archctl's budgets select a workload's pods by it".to_string()
        })?;
    let service = objects[j]["metadata"]["name"].as_str().unwrap_or("").to_string();
    if super::section_mut(sections, &["services", &service, "disruption"]).is_some() {
        return Err(format!("another PodDisruptionBudget of `{service}`'s pods comes first"));
    }
    let value = |v: &IntOrString| match v {
        IntOrString::Int(n) => T::Int((*n).into()),
        IntOrString::String(s) => T::Str(s.clone()),
    };
    let mut t = Table::default();
    if name != service {
        t.set("name", name.as_str());
    }
    match (&spec.min_available, &spec.max_unavailable) {
        (Some(_), Some(_)) | (None, None) => {
            return Err("archctl's budgets have exactly one of `minAvailable` and `maxUnavailable`".into());
        }
        (Some(m), None) => t.set("min_available", value(m)),
        (None, Some(m)) => t.set("max_unavailable", value(m)),
    }
    // archctl refuses a budget that blocks every eviction (E052)
    let percent = |s: &str| s.strip_suffix('%').and_then(|n| n.parse::<u32>().ok());
    let scaler_min = |sections: &mut Vec<Section>, key: &str| {
        super::section_mut(sections, &["services", &service, key]).and_then(|s| match s.table.get("min") {
            Some(T::Int(n)) => Some(*n),
            _ => None,
        })
    };
    let replicas = scaler_min(sections, "autoscaling")
        .or_else(|| scaler_min(sections, "keda"))
        .or_else(|| objects[j]["spec"]["replicas"].as_i64())
        .unwrap_or(1)
        .max(1);
    let blocks = match (&spec.min_available, &spec.max_unavailable) {
        (Some(IntOrString::Int(n)), _) => i64::from(*n) >= replicas,
        (Some(IntOrString::String(s)), _) => percent(s).is_none_or(|n| n >= 100),
        (_, Some(IntOrString::Int(n))) => *n <= 0,
        (_, Some(IntOrString::String(s))) => percent(s).is_none_or(|n| n == 0 || n > 100),
        _ => false,
    };
    if blocks {
        return Err(format!(
            "it blocks every eviction of `{service}`'s {replicas} replica(s) (or is not a percentage), and archctl refuses such a budget (E052)"
        ));
    }
    Ok(attach(sections, service, "disruption", t, o, (j, &objects[j]), notes))
}

/// Puts `s` after the last section of the service `service`.
pub(super) fn insert_after(sections: &mut Vec<Section>, service: &str, s: Section) {
    let at = sections
        .iter()
        .rposition(|x| x.path.len() >= 2 && x.path[0] == "services" && x.path[1] == service)
        .map_or(sections.len(), |i| i + 1);
    sections.insert(at, s);
}

/// The target of a VPA or ScaledObject (`targetRef`, `scaleTargetRef`):
/// the imported workload it names, and whether it names it alone.
fn target_of(
    ctx: &Ctx,
    objects: &[Value],
    wanted: &[usize],
    r: &Value,
    at: &str,
    ns: &str,
    notes: &mut Vec<String>,
) -> Result<(usize, String, bool), String> {
    let name = r["name"].as_str().unwrap_or("");
    let (kind, short) = match (r["apiVersion"].as_str(), r["kind"].as_str()) {
        (Some("apps/v1"), Some(k @ ("Deployment" | "StatefulSet"))) => (k, false),
        (None, None) => ("Deployment", true),
        (None, Some(k @ ("Deployment" | "StatefulSet"))) => {
            notes.push(format!("{at}.apiVersion: archctl writes `apps/v1`, and it is not given"));
            (k, false)
        }
        (a, k) => {
            return Err(format!(
                "it targets {} {} (`{at}`), and archctl's scalers target apps/v1 deployments and statefulsets",
                a.unwrap_or("(no apiVersion)"),
                k.unwrap_or("(no kind)")
            ));
        }
    };
    let Some(j) = workload_of(ctx, objects, wanted, &[kind], name, ns) else {
        return Err(format!(
            "it targets the {kind} `{name}`, which is not among the imported workloads of namespace `{ns}`"
        ));
    };
    Ok((j, name.to_string(), short))
}

/// Quantities by resource name as `cpu`, `memory`, `ephemeral_storage`
/// and `gpu`.
fn amounts(m: &Value, at: &str, notes: &mut Vec<String>) -> Table {
    let mut t = Table::default();
    for (k, v) in m.as_object().into_iter().flatten() {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => {
                notes.push(format!("{at}.{k}: not a quantity"));
                continue;
            }
        };
        match k.as_str() {
            "cpu" | "memory" | "ephemeral-storage" if Quantity::parse(&text).is_ok() => {
                t.set(&k.replace('-', "_"), text);
            }
            "nvidia.com/gpu" if text.parse::<u32>().is_ok() => t.set("gpu", T::Int(text.parse().unwrap_or(0))),
            _ => notes.push(format!(
                "{at}[{}]: archctl bounds cpu, memory, ephemeral-storage and whole GPUs",
                Value::String(k.clone())
            )),
        }
    }
    t
}

/// A VerticalPodAutoscaler of an imported Deployment or StatefulSet and
/// its main container.
pub(super) fn vpa(
    ctx: &Ctx,
    objects: &[Value],
    wanted: &[usize],
    o: &Value,
    sections: &mut Vec<Section>,
) -> Result<Attached, String> {
    let ns = ns_of(o, &ctx.namespace);
    let name = o["metadata"]["name"].as_str().unwrap_or("");
    let spec = &o["spec"];
    let mut notes = Vec::new();
    let (j, service, short) = target_of(ctx, objects, wanted, &spec["targetRef"], "spec.targetRef", &ns, &mut notes)?;
    if short {
        return Err("its `spec.targetRef` names no kind, and archctl's VPAs write `apps/v1` and the kind".into());
    }
    if super::section_mut(sections, &["services", &service, "vpa"]).is_some() {
        return Err(format!("another VerticalPodAutoscaler of `{service}` comes first"));
    }
    let mut t = Table::default();
    if name != service {
        t.set("name", name);
    }
    t.opt("mode", spec["updatePolicy"]["updateMode"].as_str());
    // archctl's policy is the main container's
    let main = objects[j]["spec"]["template"]["spec"]["containers"][0]["name"].as_str().unwrap_or("");
    for (i, p) in spec["resourcePolicy"]["containerPolicies"].as_array().into_iter().flatten().enumerate() {
        let at = format!("spec.resourcePolicy.containerPolicies[{i}]");
        if i > 0 || p["containerName"].as_str() != Some(main) {
            notes.push(format!("{at}: archctl's policy is the main container's (`{main}`), the first one"));
            continue;
        }
        for (key, field) in [("min", "minAllowed"), ("max", "maxAllowed")] {
            if p[field].is_object() {
                t.set(key, amounts(&p[field], &format!("{at}.{field}"), &mut notes));
            }
        }
        t.opt("controlled_values", p["controlledValues"].as_str());
        if ["min", "max", "controlled_values"].iter().all(|k| t.get(k).is_none()) {
            notes.push(format!(
                "{at}: archctl writes a container policy with `minAllowed`, `maxAllowed` or `controlledValues`, and this has none"
            ));
        }
    }
    Ok(attach(sections, service, "vpa", t, o, (j, &objects[j]), notes))
}

/// A KEDA ScaledObject of an imported Deployment or StatefulSet.
pub(super) fn keda(
    ctx: &Ctx,
    objects: &[Value],
    wanted: &[usize],
    o: &Value,
    sections: &mut Vec<Section>,
) -> Result<Attached, String> {
    let ns = ns_of(o, &ctx.namespace);
    let name = o["metadata"]["name"].as_str().unwrap_or("");
    let spec = &o["spec"];
    let mut notes = Vec::new();
    let (j, service, short) =
        target_of(ctx, objects, wanted, &spec["scaleTargetRef"], "spec.scaleTargetRef", &ns, &mut notes)?;
    if super::section_mut(sections, &["services", &service, "autoscaling"]).is_some() {
        return Err(format!(
            "`{service}` has a HorizontalPodAutoscaler too, and archctl gives a workload one autoscaler (E051)"
        ));
    }
    if super::section_mut(sections, &["services", &service, "keda"]).is_some() {
        return Err(format!("another ScaledObject of `{service}` comes first"));
    }
    let count = |field: &str, default: i64, notes: &mut Vec<String>| match spec[field].as_i64() {
        Some(n) => n,
        None => {
            notes.push(format!("spec.{field}: archctl writes it, and it is not given (KEDA's default is {default})"));
            default
        }
    };
    let min = count("minReplicaCount", 0, &mut notes);
    let max = count("maxReplicaCount", 100, &mut notes);
    if min < 0 || max < 1 || max < min {
        return Err(format!("its replica bounds ({min} to {max}) are not ones archctl writes (E050)"));
    }
    let mut t = Table::default();
    if name != service {
        t.set("name", name);
    }
    t.set("min", T::Int(min));
    t.set("max", T::Int(max));
    if let Some(n) = spec["pollingInterval"].as_i64() {
        t.set("polling_interval", T::Int(n));
    }
    if let Some(n) = spec["cooldownPeriod"].as_i64() {
        t.set("cooldown", T::Int(n));
    }
    if let Some(f) = spec["fallback"].as_object() {
        match (f.get("replicas").and_then(Value::as_i64), f.get("failureThreshold").and_then(Value::as_i64)) {
            (Some(r), Some(3)) => t.set("fallback_replicas", T::Int(r)),
            _ => notes.push("spec.fallback: archctl writes `replicas` with `failureThreshold: 3`".into()),
        }
    }
    let mut triggers = Vec::new();
    for (i, tr) in spec["triggers"].as_array().into_iter().flatten().enumerate() {
        let at = format!("spec.triggers[{i}]");
        let Some(kind) = tr["type"].as_str() else {
            notes.push(format!("{at}: a trigger without a `type`"));
            continue;
        };
        let mut x = Table::default();
        x.set("type", kind);
        x.opt("name", tr["name"].as_str());
        x.opt("metric_type", tr["metricType"].as_str());
        let mut meta = Table::default();
        for (k, v) in tr["metadata"].as_object().into_iter().flatten() {
            match v.as_str() {
                Some(s) => meta.set(k, s),
                None => notes.push(format!("{at}.metadata.{k}: archctl passes string values through")),
            }
        }
        x.set("metadata", meta);
        x.opt("authentication", tr["authenticationRef"]["name"].as_str());
        triggers.push(T::Table(x));
    }
    if triggers.is_empty() {
        return Err("it has no trigger archctl can write".into());
    }
    t.set("triggers", T::Array(triggers));
    let behavior = &spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"];
    for (key, field) in [("scale_up", "scaleUp"), ("scale_down", "scaleDown")] {
        if behavior[field].is_object() {
            let at = format!("spec.advanced.horizontalPodAutoscalerConfig.behavior.{field}");
            match serde_json::from_value::<HPAScalingRules>(behavior[field].clone()) {
                Ok(r) => t.set(key, scaling_rules(&r, &at, &mut notes)),
                Err(e) => notes.push(format!("{at}: {e}")),
            }
        }
    }
    if short {
        t.set("short_target", true);
    }
    Ok(attach(sections, service, "keda", t, o, (j, &objects[j]), notes))
}

/// A prometheus-operator ServiceMonitor that selects, by the workload's
/// selector, the Service of an imported workload, and scrapes one of its
/// named ports.
pub(super) fn monitor(
    ctx: &Ctx,
    objects: &[Value],
    wanted: &[usize],
    o: &Value,
    sections: &mut Vec<Section>,
) -> Result<Attached, String> {
    let ns = ns_of(o, &ctx.namespace);
    let name = o["metadata"]["name"].as_str().unwrap_or("");
    let spec = &o["spec"];
    let mut notes = Vec::new();
    let selector = &spec["selector"]["matchLabels"];
    if spec["selector"]["matchExpressions"].as_array().is_some_and(|e| !e.is_empty()) {
        return Err(
            "it selects Services by `matchExpressions`, and archctl's monitors select by the workload's selector"
                .into(),
        );
    }
    let j = wanted
        .iter()
        .copied()
        .find(|&j| {
            let w = &objects[j];
            let wname = w["metadata"]["name"].as_str().unwrap_or("");
            selector.is_object()
                && w["spec"]["selector"]["matchLabels"] == *selector
                && workload_of(ctx, objects, wanted, SCALABLE, wname, &ns) == Some(j)
        })
        .ok_or_else(|| {
            "its selector is not the selector of an imported deployment or statefulset of its namespace, and archctl's monitors select a workload's Service by it".to_string()
        })?;
    let service = objects[j]["metadata"]["name"].as_str().unwrap_or("").to_string();
    let Some(front) = super::section_mut(sections, &["services", &service, "legacy", "service"]) else {
        return Err(format!(
            "`{service}` has no Service among the imported objects, and a ServiceMonitor scrapes through one"
        ));
    };
    let ports: Vec<String> = match front.table.get("ports") {
        Some(T::Array(a)) => a
            .iter()
            .filter_map(|p| match p {
                T::Table(t) => match t.get("name") {
                    Some(T::Str(n)) => Some(n.clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    if super::section_mut(sections, &["services", &service, "metrics"]).is_some() {
        return Err(format!("another ServiceMonitor of `{service}` comes first"));
    }
    let endpoints = spec["endpoints"].as_array().cloned().unwrap_or_default();
    let Some(e) = endpoints.first() else { return Err("it has no endpoint".into()) };
    let Some(port) = e["port"].as_str().filter(|p| ports.iter().any(|q| q == p)) else {
        return Err(format!(
            "its endpoint's port (`spec.endpoints[0].port`: {}) is not a named port of the Service `{service}`, which archctl's monitors scrape",
            e["port"]
        ));
    };
    for i in 1..endpoints.len() {
        notes.push(format!("spec.endpoints[{i}]: archctl's ServiceMonitor scrapes one port"));
    }
    let mut t = Table::default();
    if name != service {
        t.set("name", name);
    }
    t.set("port", port);
    match e["path"].as_str() {
        Some("/metrics") => {}
        Some(p) => t.set("path", p),
        None => {
            notes.push("spec.endpoints[0].path: archctl writes it (default `/metrics`), and it is not given".into())
        }
    }
    t.opt("interval", e["interval"].as_str());
    Ok(attach(sections, service, "metrics", t, o, (j, &objects[j]), notes))
}
