//! Workloads: a Deployment, StatefulSet, Job or CronJob becomes a service,
//! with the Service that fronts its pods, its labels and selector kept
//! exactly in `legacy`.

use std::collections::BTreeMap;

use indexmap::IndexMap;
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job, JobSpec};
use k8s_openapi::api::core::v1::{PodTemplateSpec, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use super::toml::{Section, Table, Value as T, strings};
use super::{Ctx, ns_of};

/// A workload's sections and what they leave out.
pub(super) struct Workload {
    pub sections: Vec<Section>,
    pub notes: Vec<String>,
    /// The notes of the Service taken with it, when one was.
    pub service_notes: Option<Vec<String>>,
}

/// For each Deployment or StatefulSet (by index) the Service (by index) of
/// its name and namespace that selects exactly its pods.
pub(super) fn fronting_services(objects: &[Value], wanted: &[usize]) -> BTreeMap<usize, usize> {
    let mut out = BTreeMap::new();
    for &i in wanted {
        let w = &objects[i];
        if w["apiVersion"] != "apps/v1" || !(w["kind"] == "Deployment" || w["kind"] == "StatefulSet") {
            continue;
        }
        let selector = &w["spec"]["selector"]["matchLabels"];
        let found = wanted.iter().copied().find(|&j| {
            let s = &objects[j];
            s["apiVersion"] == "v1"
                && s["kind"] == "Service"
                && s["metadata"]["name"] == w["metadata"]["name"]
                && s["metadata"]["namespace"] == w["metadata"]["namespace"]
                && selector.is_object()
                && s["spec"]["selector"] == *selector
        });
        if let Some(j) = found {
            out.insert(i, j);
        }
    }
    out
}

fn map(m: &Option<BTreeMap<String, String>>) -> Table {
    strings(m.iter().flatten())
}

fn typed<T: serde::de::DeserializeOwned>(o: &Value) -> Result<T, String> {
    serde_json::from_value(o.clone()).map_err(|e| format!("it is not a valid object of its kind: {e}"))
}

/// One workload.
pub(super) fn workload(ctx: &mut Ctx, o: &Value, front: Option<&Value>) -> Result<Workload, String> {
    let name = o["metadata"]["name"].as_str().unwrap_or("").to_string();
    let ns = ns_of(o, &ctx.namespace);
    if let Some(other) = ctx.services.get(&name)
        && *other != ns
    {
        return Err(format!(
            "a workload `{name}` of namespace `{other}` is imported: the topology names services uniquely"
        ));
    }
    let mut notes = Vec::new();
    let mut svc = Table::default();
    let kind = o["kind"].as_str().unwrap_or("");
    svc.set(
        "kind",
        match kind {
            "Deployment" => "deployment",
            "StatefulSet" => "statefulset",
            "Job" => "job",
            _ => "cronjob",
        },
    );
    ctx.namespace(&mut svc, &ns);
    let mut legacy = Table::default();
    let meta: ObjectMeta;
    let template: PodTemplateSpec;
    let mut claim_templates = Vec::new();
    let mut service_name = None;
    match kind {
        "Deployment" => {
            let d: Deployment = typed(o)?;
            meta = d.metadata;
            let spec = d.spec.unwrap_or_default();
            svc.opt("replicas", spec.replicas);
            selector(&spec.selector, "spec.selector", &mut legacy, &mut notes);
            let mut st = Table::default();
            if let Some(s) = &spec.strategy {
                match (&s.type_, &s.rolling_update) {
                    (Some(t), r) => {
                        st.set("type", t.as_str());
                        if let Some(r) = r {
                            st.opt("max_surge", r.max_surge.as_ref().map(int_or_percent));
                            st.opt("max_unavailable", r.max_unavailable.as_ref().map(int_or_percent));
                        }
                    }
                    (None, Some(_)) => notes.push(
                        "spec.strategy.rollingUpdate: archctl writes `strategy.type` with it; give `type: RollingUpdate`"
                            .into(),
                    ),
                    (None, None) => {}
                }
            }
            st.opt("min_ready_seconds", spec.min_ready_seconds);
            st.opt("revision_history_limit", spec.revision_history_limit);
            if !st.is_empty() {
                svc.set("strategy", st);
            }
            template = spec.template;
        }
        "StatefulSet" => {
            let s: StatefulSet = typed(o)?;
            meta = s.metadata;
            let spec = s.spec.unwrap_or_default();
            svc.opt("replicas", spec.replicas);
            selector(&spec.selector, "spec.selector", &mut legacy, &mut notes);
            svc.opt("pod_management_policy", spec.pod_management_policy.clone());
            service_name = spec.service_name.clone();
            claim_templates = spec.volume_claim_templates.clone().unwrap_or_default();
            template = spec.template;
        }
        "Job" => {
            let j: Job = typed(o)?;
            meta = j.metadata;
            let spec = j.spec.unwrap_or_default();
            job(&spec, "spec", &mut svc, &mut notes);
            template = spec.template;
        }
        _ => {
            let c: CronJob = typed(o)?;
            meta = c.metadata;
            let spec = c.spec.unwrap_or_default();
            svc.set("schedule", spec.schedule.as_str());
            svc.opt("time_zone", spec.time_zone.clone());
            svc.opt("concurrency_policy", spec.concurrency_policy.clone());
            svc.opt("suspend", spec.suspend);
            svc.opt("starting_deadline_seconds", spec.starting_deadline_seconds);
            svc.opt("successful_jobs_history_limit", spec.successful_jobs_history_limit);
            svc.opt("failed_jobs_history_limit", spec.failed_jobs_history_limit);
            if spec.job_template.metadata.is_some() {
                notes.push("spec.jobTemplate.metadata: a legacy cronjob's Jobs carry no labels or annotations".into());
            }
            let js = spec.job_template.spec.unwrap_or_default();
            job(&js, "spec.jobTemplate.spec", &mut svc, &mut notes);
            template = js.template;
        }
    }
    let annotations: BTreeMap<String, String> =
        meta.annotations.clone().unwrap_or_default().into_iter().filter(|(k, _)| !written_by_others(k)).collect();
    if !annotations.is_empty() {
        svc.set("annotations", strings(&annotations));
    }
    let own = map(&meta.labels);
    if !own.is_empty() {
        legacy.set("labels", own);
    }
    let tpl_prefix = match kind {
        "CronJob" => "spec.jobTemplate.spec.template",
        _ => "spec.template",
    };
    let tmeta = template.metadata.clone().unwrap_or_default();
    let pod_labels = map(&tmeta.labels);
    let selected = legacy.get("selector").cloned().unwrap_or(T::Table(Table::default()));
    if selected != T::Table(pod_labels.clone()) {
        legacy.set("pod_labels", pod_labels);
    }
    if let Some(a) = &tmeta.annotations
        && !a.is_empty()
    {
        svc.set("pod_annotations", strings(a));
    }
    if kind == "StatefulSet" {
        legacy.opt("service_name", service_name);
    }
    // the pods: containers, volumes, placement, security
    let pod = super::pod::pod(ctx, &name, &ns, &template, &claim_templates, tpl_prefix, kind)?;
    notes.extend(pod.notes);
    for (k, v) in pod.service.0 {
        svc.set(&k, v);
    }

    // the Service in front, kept exactly
    let mut service_notes = None;
    let mut legacy_service = None;
    if let Some(f) = front {
        let (table, snotes, service_annotations) = service(f, &annotations)?;
        legacy_service = Some(table);
        let mut sspec = Table::default();
        if !service_annotations.is_empty() {
            sspec.set("annotations", strings(&service_annotations));
        }
        sspec.opt("publish_not_ready", f["spec"]["publishNotReadyAddresses"].as_bool());
        if !sspec.is_empty() {
            svc.set("service", sspec);
        }
        service_notes = Some(snotes);
    }

    ctx.services.insert(name.clone(), ns);
    let mut sections = vec![Section { path: vec!["services".into(), name.clone()], table: svc, ..Default::default() }];
    sections.push(Section {
        path: vec!["services".into(), name.clone(), "container".into()],
        table: pod.container,
        ..Default::default()
    });
    if !pod.env.is_empty() {
        sections.push(Section {
            path: vec!["services".into(), name.clone(), "container".into(), "env".into()],
            table: pod.env,
            ..Default::default()
        });
    }
    if !pod.volumes.is_empty() {
        sections.push(Section {
            path: vec!["services".into(), name.clone(), "volumes".into()],
            table: pod.volumes,
            ..Default::default()
        });
    }
    for (array, list) in [("sidecars", pod.sidecars), ("init_containers", pod.init)] {
        for c in list {
            sections.push(Section {
                path: vec!["services".into(), name.clone(), array.into()],
                array: true,
                table: c,
                ..Default::default()
            });
        }
    }
    sections.push(Section {
        path: vec!["services".into(), name.clone(), "legacy".into()],
        comments: vec!["kept as the input has them: see W013 to move to archctl's labels".into()],
        table: legacy,
        ..Default::default()
    });
    if let Some(t) = legacy_service {
        sections.push(Section {
            path: vec!["services".into(), name.clone(), "legacy".into(), "service".into()],
            table: t,
            ..Default::default()
        });
    }
    Ok(Workload { sections, notes, service_notes })
}

fn int_or_percent(v: &IntOrString) -> T {
    match v {
        IntOrString::Int(n) => T::Int((*n).into()),
        IntOrString::String(s) => T::Str(s.clone()),
    }
}

/// A selector's labels; expressions are not expressible.
fn selector(s: &LabelSelector, at: &str, legacy: &mut Table, notes: &mut Vec<String>) {
    legacy.set("selector", map(&s.match_labels));
    if s.match_expressions.as_ref().is_some_and(|e| !e.is_empty()) {
        notes.push(format!("{at}.matchExpressions: archctl selects by labels only"));
    }
}

/// A Job's own settings.
fn job(spec: &JobSpec, at: &str, svc: &mut Table, notes: &mut Vec<String>) {
    svc.opt("parallelism", spec.parallelism);
    svc.opt("completions", spec.completions);
    svc.opt("backoff_limit", spec.backoff_limit);
    svc.opt("active_deadline_seconds", spec.active_deadline_seconds);
    svc.opt("ttl_seconds_after_finished", spec.ttl_seconds_after_finished);
    if let Some(p) = spec.template.spec.as_ref().and_then(|s| s.restart_policy.clone()) {
        svc.set("restart_policy", p);
    }
    if spec.selector.is_some() || spec.manual_selector.is_some() {
        notes.push(format!("{at}.selector: Kubernetes makes a Job's selector, and archctl writes none"));
    }
}

/// A fronting Service's `legacy.service` table, its notes, and its own annotations.
type Fronting = (Table, Vec<String>, IndexMap<String, String>);

/// The Service in front of a workload, kept exactly: its table, notes, and
/// the annotations of its own (beyond the workload's, which it gets too).
fn service(o: &Value, workload_annotations: &BTreeMap<String, String>) -> Result<Fronting, String> {
    let s: Service = typed(o)?;
    let mut t = Table::default();
    let mut notes = Vec::new();
    let own = map(&s.metadata.labels);
    if !own.is_empty() {
        t.set("labels", own);
    }
    let mut own = IndexMap::new();
    let annotations: BTreeMap<String, String> =
        s.metadata.annotations.clone().unwrap_or_default().into_iter().filter(|(k, _)| !written_by_others(k)).collect();
    for (k, v) in &annotations {
        if workload_annotations.get(k) != Some(v) {
            own.insert(k.clone(), v.clone());
        }
    }
    for k in workload_annotations.keys() {
        if !annotations.contains_key(k) {
            notes.push(format!(
                "metadata.annotations: the workload's annotation `{k}` is missing here, and archctl puts the workload's annotations on its Service"
            ));
        }
    }
    let spec = s.spec.unwrap_or_default();
    t.opt("type", spec.type_.clone());
    t.opt("cluster_ip", spec.cluster_ip.clone());
    let mut ports = Vec::new();
    for p in spec.ports.iter().flatten() {
        let mut pt = Table::default();
        pt.opt("name", p.name.clone());
        pt.set("port", p.port);
        pt.opt("target_port", p.target_port.as_ref().map(int_or_percent));
        pt.opt("protocol", p.protocol.clone());
        ports.push(T::Table(pt));
    }
    t.set("ports", T::Array(ports));
    Ok((t, notes, own))
}

/// Annotations a controller or kubectl writes on live objects (the
/// deployment controller's revision, client-side apply's copy of the
/// object): not the system's own, so not imported.
pub(super) fn written_by_others(key: &str) -> bool {
    matches!(key, "deployment.kubernetes.io/revision" | "kubectl.kubernetes.io/last-applied-configuration")
}
