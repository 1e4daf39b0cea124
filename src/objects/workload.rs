//! Workloads: Deployments, StatefulSets, Jobs and CronJobs, their pods and
//! containers, and the Service in front of them.

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment, StatefulSet, StatefulSetSpec,
};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    PersistentVolumeClaim, PodTemplateSpec, Service, ServiceAccount, ServicePort, ServiceSpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::Object;
use super::crd::{Endpoint, ServiceMonitor, ServiceMonitorSpec};
use super::storage::claim_spec;
use crate::k8s::image::ImageRef;
use crate::k8s::labels::{self, LabelSet};
use crate::resolve::{Resolved, ResolvedService};
use crate::topology::{self, IntOrPercent, Kind, ServiceType};

/// The objects of the service `name`.
pub(super) fn service(r: &Resolved, name: &str, out: &mut Vec<Object>) {
    let (Some((name, svc)), Some(values)) = (r.topology.services.get_key_value(name), r.services.get(name)) else {
        return;
    };
    let s = ResolvedService { name, svc, values };
    build_service(r, &s, out);
}

fn build_service(r: &Resolved, s: &ResolvedService<'_>, out: &mut Vec<Object>) {
    let topo = &r.topology;
    let svc = s.svc;
    let version = ImageRef::parse(&svc.container.image).tag;
    let set = LabelSet {
        project: &topo.project,
        name: s.name,
        component: svc.component.as_deref().unwrap_or(s.name),
        version,
    };
    // a workload another tool made keeps its labels and selector exactly
    let legacy = svc.legacy.as_ref();
    let all_labels = match legacy {
        Some(l) => labels::map(&l.labels),
        None => set.all(&svc.labels),
    };
    let meta = ObjectMeta {
        name: Some(s.name.to_string()),
        namespace: Some(s.values.namespace.clone()),
        labels: (!all_labels.is_empty()).then(|| all_labels.clone()),
        annotations: super::annotations(&topo.project.annotations, &svc.annotations),
        ..Default::default()
    };
    let selector_labels = labels::pod_selector(&topo.project, s.name, Some(svc));
    let selector = LabelSelector { match_labels: Some(selector_labels.clone()), ..Default::default() };
    // the pods also carry the label of each shared Service that fronts them
    let mut pod_labels = match legacy {
        Some(l) => labels::legacy_pod_labels(l),
        None => all_labels.clone(),
    };
    for (front, shared) in &topo.shared_services {
        if shared.services.iter().any(|n| n == s.name) {
            pod_labels.insert(labels::shared(front), "true".into());
        }
    }
    let template = super::pod::pod_template(r, s, pod_labels, &selector_labels);
    // an autoscaler owns the replica count: leave it out so that
    // `kubectl apply` does not reset what the autoscaler chose
    let replicas = if s.values.autoscaled() { None } else { s.values.replicas };
    super::scaling::scalers(s, &meta, &set, &topo.features, out);
    service_account(s, &meta, out);

    match svc.kind {
        Kind::Deployment => {
            if let Some(service) = k8s_service(s, &meta, &selector_labels, ServiceType::ClusterIP) {
                monitor(r, s, &meta, &set, out);
                out.push(service.into());
            }
            let strategy = svc.strategy.as_ref();
            out.push(
                Deployment {
                    metadata: meta,
                    spec: Some(DeploymentSpec {
                        replicas,
                        selector,
                        template,
                        strategy: strategy.and_then(deployment_strategy),
                        min_ready_seconds: strategy.and_then(|st| st.min_ready_seconds),
                        revision_history_limit: strategy.and_then(|st| st.revision_history_limit),
                        ..Default::default()
                    }),
                    ..Default::default()
                }
                .into(),
            );
        }
        Kind::StatefulSet => {
            // the governing service of a statefulset must be headless
            let mut governing = legacy.and_then(|l| l.service_name.clone());
            if let Some(service) = k8s_service(s, &meta, &selector_labels, ServiceType::Headless) {
                if legacy.is_none() && service.spec.as_ref().and_then(|sp| sp.cluster_ip.as_deref()) == Some("None") {
                    governing = Some(s.name.to_string());
                }
                monitor(r, s, &meta, &set, out);
                out.push(service.into());
            }
            let templates: Vec<PersistentVolumeClaim> = svc
                .volumes
                .iter()
                .filter_map(|(vname, vol)| {
                    let v = s.values.volumes.get(vname)?;
                    let size = v.size.as_ref()?;
                    Some(PersistentVolumeClaim {
                        metadata: ObjectMeta { name: Some(vname.clone()), ..Default::default() },
                        spec: Some(claim_spec(vol.access.unwrap_or_default(), v.storage_class.clone(), size)),
                        ..Default::default()
                    })
                })
                .collect();
            out.push(
                StatefulSet {
                    metadata: meta,
                    spec: Some(StatefulSetSpec {
                        replicas,
                        service_name: governing,
                        selector,
                        template,
                        pod_management_policy: svc.pod_management_policy.clone(),
                        volume_claim_templates: (!templates.is_empty()).then_some(templates),
                        ..Default::default()
                    }),
                    ..Default::default()
                }
                .into(),
            );
        }
        Kind::Job => {
            out.push(Job { metadata: meta, spec: Some(job_spec(svc, template)), ..Default::default() }.into());
        }
        Kind::CronJob => {
            // a legacy cron job's Jobs carry no labels of archctl's making
            let job_meta = legacy.is_none().then(|| ObjectMeta { labels: Some(all_labels), ..Default::default() });
            out.push(
                CronJob {
                    metadata: meta,
                    spec: Some(CronJobSpec {
                        schedule: svc.schedule.clone().unwrap_or_default(),
                        time_zone: svc.time_zone.clone(),
                        concurrency_policy: svc.concurrency_policy.clone(),
                        suspend: svc.suspend,
                        starting_deadline_seconds: svc.starting_deadline_seconds,
                        successful_jobs_history_limit: svc.successful_jobs_history_limit,
                        failed_jobs_history_limit: svc.failed_jobs_history_limit,
                        job_template: JobTemplateSpec { metadata: job_meta, spec: Some(job_spec(svc, template)) },
                    }),
                    ..Default::default()
                }
                .into(),
            );
        }
    }
}

/// The ServiceAccount a service asks for (`create` defaults to true).
fn service_account(s: &ResolvedService<'_>, meta: &ObjectMeta, out: &mut Vec<Object>) {
    let Some(sa) = &s.svc.service_account else { return };
    if sa.create == Some(false) {
        return;
    }
    let mut annotations = meta.annotations.clone().unwrap_or_default();
    annotations.extend(sa.annotations.iter().map(|(k, v)| (k.clone(), v.clone())));
    out.push(
        ServiceAccount {
            metadata: ObjectMeta {
                annotations: (!annotations.is_empty()).then_some(annotations),
                ..super::scaling::own_meta(s, sa.name.as_deref().unwrap_or(s.name), meta, |l| &l.service_account)
            },
            automount_service_account_token: match &s.svc.legacy {
                Some(_) => sa.account_automount_token,
                None => Some(sa.account_automount_token.or(sa.automount_token).unwrap_or(false)),
            },
            ..Default::default()
        }
        .into(),
    );
}

/// A ServiceMonitor that scrapes the service's metrics port.
fn monitor(r: &Resolved, s: &ResolvedService<'_>, meta: &ObjectMeta, set: &LabelSet<'_>, out: &mut Vec<Object>) {
    let Some(m) = &s.svc.metrics else { return };
    if !r.topology.features.service_monitors {
        return;
    }
    let mut labels = meta.labels.clone().unwrap_or_default();
    labels.extend(m.labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    let name = m.name.as_deref().unwrap_or(s.name);
    let legacy = s.svc.legacy.as_ref().and_then(|l| l.object_labels.metrics.as_ref());
    out.push(
        ServiceMonitor {
            metadata: match legacy {
                Some(_) => super::scaling::own_meta(s, name, meta, |l| &l.metrics),
                None => ObjectMeta { name: Some(name.to_string()), labels: Some(labels), ..meta.clone() },
            },
            spec: ServiceMonitorSpec {
                selector: LabelSelector {
                    match_labels: Some(labels::pod_selector(set.project, s.name, Some(s.svc))),
                    ..Default::default()
                },
                endpoints: vec![Endpoint {
                    port: m.port.clone(),
                    path: Some(m.path.clone().unwrap_or_else(|| "/metrics".into())),
                    interval: m.interval.clone(),
                }],
            },
        }
        .into(),
    );
}

fn job_spec(svc: &topology::Service, mut template: PodTemplateSpec) -> JobSpec {
    if let Some(spec) = template.spec.as_mut() {
        // a legacy job states its restart policy or has none written
        spec.restart_policy = match &svc.legacy {
            Some(_) => svc.restart_policy.clone(),
            None => Some(svc.restart_policy.clone().unwrap_or_else(|| "OnFailure".into())),
        };
    }
    JobSpec {
        parallelism: svc.parallelism,
        completions: svc.completions,
        backoff_limit: svc.backoff_limit,
        active_deadline_seconds: svc.active_deadline_seconds,
        ttl_seconds_after_finished: svc.ttl_seconds_after_finished,
        template,
        ..Default::default()
    }
}

fn int_or_percent(v: &IntOrPercent) -> IntOrString {
    match v {
        IntOrPercent::Int(i) => IntOrString::Int(*i),
        IntOrPercent::Percent(s) => IntOrString::String(s.clone()),
    }
}

fn deployment_strategy(st: &topology::Strategy) -> Option<DeploymentStrategy> {
    let kind = st.kind.clone();
    let rolling = (st.max_surge.is_some() || st.max_unavailable.is_some()).then(|| RollingUpdateDeployment {
        max_surge: st.max_surge.as_ref().map(int_or_percent),
        max_unavailable: st.max_unavailable.as_ref().map(int_or_percent),
    });
    if kind.is_none() && rolling.is_none() {
        return None;
    }
    Some(DeploymentStrategy { type_: Some(kind.unwrap_or_else(|| "RollingUpdate".into())), rolling_update: rolling })
}

/// The Services that front the pods of several services: each selects the
/// label its services' pods carry, with the ports they all declare.
pub(super) fn shared_services(r: &Resolved, out: &mut Vec<Object>) {
    let topo = &r.topology;
    for (name, shared) in &topo.shared_services {
        let set = LabelSet { project: &topo.project, name, component: "service", version: None };
        let first = shared.services.first().and_then(|s| topo.services.get(s));
        let ports: Vec<ServicePort> = shared
            .ports
            .iter()
            .filter_map(|port| {
                let p = first?
                    .container
                    .ports
                    .iter()
                    .chain(first?.sidecars.iter().flat_map(|c| c.ports.iter()))
                    .find(|(n, _)| *n == port)?
                    .1;
                Some(service_port(port, p))
            })
            .collect();
        let kind = shared.kind.unwrap_or(ServiceType::ClusterIP);
        let mut selector =
            std::collections::BTreeMap::from([(crate::k8s::labels::INSTANCE.to_string(), topo.project.name.clone())]);
        selector.insert(crate::k8s::labels::shared(name), "true".into());
        out.push(
            Service {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(topo.namespace_of(&shared.namespace).to_string()),
                    labels: Some(set.all([])),
                    annotations: super::annotations(&topo.project.annotations, &shared.annotations),
                    ..Default::default()
                },
                spec: Some(service_spec(kind, selector, ports)),
                ..Default::default()
            }
            .into(),
        );
    }
}

/// A Service of `kind` selecting `selector` on `ports`.
fn service_spec(
    kind: ServiceType,
    selector: std::collections::BTreeMap<String, String>,
    ports: Vec<ServicePort>,
) -> ServiceSpec {
    ServiceSpec {
        type_: Some(
            match kind {
                ServiceType::LoadBalancer => "LoadBalancer",
                ServiceType::NodePort => "NodePort",
                _ => "ClusterIP",
            }
            .into(),
        ),
        cluster_ip: (kind == ServiceType::Headless).then(|| "None".to_string()),
        selector: Some(selector),
        ports: Some(ports),
        ..Default::default()
    }
}

/// The Service port for a container port, targeting it by name.
fn service_port(name: &str, p: &topology::Port) -> ServicePort {
    // an unnamed container port can only be targeted by number
    let target = if p.unnamed { IntOrString::Int(p.port) } else { IntOrString::String(name.to_string()) };
    ServicePort {
        name: Some(name.to_string()),
        port: p.service_port.unwrap_or(p.port),
        target_port: Some(target),
        protocol: p.protocol.clone().filter(|p| p != "TCP"),
        ..Default::default()
    }
}

/// The Service for a deployment or statefulset, if it exposes ports.
fn k8s_service(
    s: &ResolvedService<'_>,
    meta: &ObjectMeta,
    selector: &std::collections::BTreeMap<String, String>,
    default: ServiceType,
) -> Option<Service> {
    let spec = s.svc.service.clone().unwrap_or_default();
    if let Some(l) = &s.svc.legacy {
        return legacy_service(l, meta, &spec, selector);
    }
    let kind = spec.kind.unwrap_or(default);
    if kind == ServiceType::None {
        return None;
    }
    let ports: Vec<ServicePort> = s
        .svc
        .container
        .ports
        .iter()
        .chain(s.svc.sidecars.iter().flat_map(|c| c.ports.iter()))
        .filter(|(_, p)| p.expose)
        .map(|(name, p)| service_port(name, p))
        .collect();
    if ports.is_empty() {
        return None;
    }
    let mut annotations = meta.annotations.clone().unwrap_or_default();
    annotations.extend(spec.annotations.iter().map(|(k, v)| (k.clone(), v.clone())));
    Some(Service {
        metadata: ObjectMeta { annotations: (!annotations.is_empty()).then_some(annotations), ..meta.clone() },
        spec: Some(ServiceSpec {
            publish_not_ready_addresses: spec.publish_not_ready,
            ..service_spec(kind, selector.clone(), ports)
        }),
        ..Default::default()
    })
}

/// The Service of a legacy workload: exactly the `legacy.service` table,
/// selecting the legacy selector; none without the table.
fn legacy_service(
    l: &topology::Legacy,
    meta: &ObjectMeta,
    spec: &topology::ServiceSpec,
    selector: &std::collections::BTreeMap<String, String>,
) -> Option<Service> {
    let ls = l.service.as_ref()?;
    let mut annotations = meta.annotations.clone().unwrap_or_default();
    annotations.extend(spec.annotations.iter().map(|(k, v)| (k.clone(), v.clone())));
    let ports: Vec<ServicePort> = ls
        .ports
        .iter()
        .map(|p| ServicePort {
            name: p.name.clone(),
            port: p.port,
            target_port: p.target_port.as_ref().map(|t| match t {
                topology::PortRef::Number(n) => IntOrString::Int(*n),
                topology::PortRef::Name(n) => IntOrString::String(n.clone()),
            }),
            protocol: p.protocol.clone(),
            ..Default::default()
        })
        .collect();
    let service_labels = labels::map(&ls.labels);
    Some(Service {
        metadata: ObjectMeta {
            labels: (!service_labels.is_empty()).then_some(service_labels),
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..meta.clone()
        },
        spec: Some(ServiceSpec {
            type_: ls.kind.clone(),
            cluster_ip: ls.cluster_ip.clone(),
            selector: Some(selector.clone()),
            ports: (!ports.is_empty()).then_some(ports),
            publish_not_ready_addresses: spec.publish_not_ready,
            ..Default::default()
        }),
        ..Default::default()
    })
}
