//! Workloads: Deployments, StatefulSets, Jobs and CronJobs, their pods and
//! containers, and the Service in front of them.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    Deployment, DeploymentSpec, DeploymentStrategy, RollingUpdateDeployment, StatefulSet, StatefulSetSpec,
};
use k8s_openapi::api::batch::v1::{CronJob, CronJobSpec, Job, JobSpec, JobTemplateSpec};
use k8s_openapi::api::core::v1::{
    ConfigMapEnvSource, ConfigMapKeySelector, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource,
    EnvFromSource, EnvVar, EnvVarSource, ExecAction, GRPCAction, HTTPGetAction, ObjectFieldSelector,
    PersistentVolumeClaim, PersistentVolumeClaimVolumeSource, PodSpec, PodTemplateSpec, Probe, ResourceFieldSelector,
    ResourceRequirements, SecretEnvSource, SecretKeySelector, SecretVolumeSource, Service, ServicePort, ServiceSpec,
    TCPSocketAction, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::Object;
use super::labels::{self, LabelSet};
use super::storage::claim_spec;
use crate::topology::model::{self, EnvValue, IntOrPercent, Kind, PortRef, ServiceType};
use crate::topology::resolve::{Resolved, ResolvedService, ResourceValues};

pub(super) fn services(r: &Resolved, out: &mut Vec<Object>) {
    for (name, svc) in &r.topology.services {
        let Some(values) = r.services.get(name) else {
            continue;
        };
        let s = ResolvedService { name, svc, values };
        build_service(r, &s, out);
    }
}

fn build_service(r: &Resolved, s: &ResolvedService<'_>, out: &mut Vec<Object>) {
    let topo = &r.topology;
    let svc = s.svc;
    let version = labels::image_tag(&svc.container.image);
    let set = LabelSet {
        project: &topo.project,
        name: s.name,
        component: svc.component.as_deref().unwrap_or(s.name),
        version,
    };
    let all_labels = set.all(&svc.labels);
    let meta = ObjectMeta {
        name: Some(s.name.to_string()),
        namespace: Some(s.values.namespace.clone()),
        labels: Some(all_labels.clone()),
        annotations: super::annotations(&topo.project.annotations, &svc.annotations),
        ..Default::default()
    };
    let selector = LabelSelector { match_labels: Some(set.selector()), ..Default::default() };
    let template = pod_template(s, all_labels.clone());

    match svc.kind {
        Kind::Deployment => {
            if let Some(service) = k8s_service(s, &meta, &set, ServiceType::ClusterIP) {
                out.push(service.into());
            }
            let strategy = svc.strategy.as_ref();
            out.push(
                Deployment {
                    metadata: meta,
                    spec: Some(DeploymentSpec {
                        replicas: s.values.replicas,
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
            if let Some(service) = k8s_service(s, &meta, &set, ServiceType::Headless) {
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
                        replicas: s.values.replicas,
                        service_name: Some(s.name.to_string()),
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
            let job_meta = ObjectMeta { labels: Some(all_labels), ..Default::default() };
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
                        job_template: JobTemplateSpec { metadata: Some(job_meta), spec: Some(job_spec(svc, template)) },
                    }),
                    ..Default::default()
                }
                .into(),
            );
        }
    }
}

fn job_spec(svc: &model::Service, mut template: PodTemplateSpec) -> JobSpec {
    if let Some(spec) = template.spec.as_mut() {
        spec.restart_policy = Some(svc.restart_policy.clone().unwrap_or_else(|| "OnFailure".into()));
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

fn deployment_strategy(st: &model::Strategy) -> Option<DeploymentStrategy> {
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

/// The Service for a deployment or statefulset, if it exposes ports.
fn k8s_service(
    s: &ResolvedService<'_>,
    meta: &ObjectMeta,
    set: &LabelSet<'_>,
    default: ServiceType,
) -> Option<Service> {
    let spec = s.svc.service.clone().unwrap_or_default();
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
        .map(|(name, p)| ServicePort {
            name: Some(name.clone()),
            port: p.service_port.unwrap_or(p.port),
            target_port: Some(IntOrString::String(name.clone())),
            protocol: p.protocol.clone().filter(|p| p != "TCP"),
            ..Default::default()
        })
        .collect();
    if ports.is_empty() {
        return None;
    }
    let mut annotations = meta.annotations.clone().unwrap_or_default();
    annotations.extend(spec.annotations.iter().map(|(k, v)| (k.clone(), v.clone())));
    Some(Service {
        metadata: ObjectMeta { annotations: (!annotations.is_empty()).then_some(annotations), ..meta.clone() },
        spec: Some(ServiceSpec {
            type_: match kind {
                ServiceType::LoadBalancer => Some("LoadBalancer".into()),
                ServiceType::NodePort => Some("NodePort".into()),
                _ => Some("ClusterIP".into()),
            },
            cluster_ip: (kind == ServiceType::Headless).then(|| "None".to_string()),
            selector: Some(set.selector()),
            ports: Some(ports),
            publish_not_ready_addresses: spec.publish_not_ready,
            ..Default::default()
        }),
        ..Default::default()
    })
}

fn pod_template(s: &ResolvedService<'_>, labels: BTreeMap<String, String>) -> PodTemplateSpec {
    let svc = s.svc;
    let main_name = svc.container.name.clone().unwrap_or_else(|| s.name.to_string());
    let main_mounts: Vec<VolumeMount> = svc
        .volumes
        .iter()
        .filter_map(|(vname, v)| {
            Some(VolumeMount {
                name: vname.clone(),
                mount_path: v.mount.clone()?,
                sub_path: v.sub_path.clone(),
                read_only: v.read_only,
                ..Default::default()
            })
        })
        .collect();
    let mut containers = vec![container(&svc.container, main_name, &s.values.resources, main_mounts)];
    for (i, c) in svc.sidecars.iter().enumerate() {
        let res = s.values.sidecar_resources.get(i).cloned().unwrap_or_default();
        containers.push(container(c, c.name.clone().unwrap_or_default(), &res, mounts(c)));
    }
    let init: Vec<Container> = svc
        .init_containers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let res = s.values.init_resources.get(i).cloned().unwrap_or_default();
            container(c, c.name.clone().unwrap_or_default(), &res, mounts(c))
        })
        .collect();
    let volumes: Vec<Volume> =
        svc.volumes.iter().filter(|(_, v)| v.size.is_none()).map(|(vname, v)| pod_volume(vname, v)).collect();
    let node_selector: BTreeMap<String, String> =
        svc.node_selector.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let annotations: BTreeMap<String, String> =
        svc.pod_annotations.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels),
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..Default::default()
        }),
        spec: Some(PodSpec {
            containers,
            init_containers: (!init.is_empty()).then_some(init),
            volumes: (!volumes.is_empty()).then_some(volumes),
            termination_grace_period_seconds: svc.termination_grace_period,
            node_selector: (!node_selector.is_empty()).then_some(node_selector),
            ..Default::default()
        }),
    }
}

fn mounts(c: &model::Container) -> Vec<VolumeMount> {
    c.volume_mounts
        .iter()
        .map(|(name, path)| VolumeMount { name: name.clone(), mount_path: path.clone(), ..Default::default() })
        .collect()
}

fn pod_volume(name: &str, v: &model::Volume) -> Volume {
    let mut vol = Volume { name: name.to_string(), ..Default::default() };
    if let Some(c) = &v.claim {
        vol.persistent_volume_claim =
            Some(PersistentVolumeClaimVolumeSource { claim_name: c.clone(), read_only: v.read_only });
    } else if let Some(c) = &v.config_map {
        vol.config_map = Some(ConfigMapVolumeSource { name: c.clone(), ..Default::default() });
    } else if let Some(s) = &v.secret {
        vol.secret = Some(SecretVolumeSource { secret_name: Some(s.clone()), ..Default::default() });
    } else {
        vol.empty_dir = Some(EmptyDirVolumeSource {
            medium: v.medium.clone(),
            size_limit: v
                .size_limit
                .as_ref()
                .and_then(|q| crate::topology::quantity::Quantity::parse(&q.0).ok())
                .map(|q| Quantity(q.canonical())),
        });
    }
    vol
}

fn container(c: &model::Container, name: String, res: &ResourceValues, mounts: Vec<VolumeMount>) -> Container {
    let ports: Vec<ContainerPort> = c
        .ports
        .iter()
        .map(|(pname, p)| ContainerPort {
            name: Some(pname.clone()),
            container_port: p.port,
            protocol: p.protocol.clone().filter(|p| p != "TCP"),
            ..Default::default()
        })
        .collect();
    let env: Vec<EnvVar> = c.env.iter().map(|(k, v)| env_var(k, v)).collect();
    let env_from: Vec<EnvFromSource> = c
        .env_from
        .iter()
        .map(|e| EnvFromSource {
            prefix: e.prefix.clone(),
            secret_ref: e.secret.as_ref().map(|s| SecretEnvSource { name: s.clone(), optional: e.optional }),
            config_map_ref: e.config_map.as_ref().map(|s| ConfigMapEnvSource { name: s.clone(), optional: e.optional }),
        })
        .collect();
    let quantities = |m: &BTreeMap<String, String>| -> Option<BTreeMap<String, Quantity>> {
        (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), Quantity(v.clone()))).collect())
    };
    Container {
        name,
        image: Some(c.image.clone()),
        image_pull_policy: c.image_pull_policy.clone(),
        command: (!c.command.is_empty()).then(|| c.command.clone()),
        args: (!c.args.is_empty()).then(|| c.args.clone()),
        working_dir: c.working_dir.clone(),
        ports: (!ports.is_empty()).then_some(ports),
        env: (!env.is_empty()).then_some(env),
        env_from: (!env_from.is_empty()).then_some(env_from),
        resources: (!res.is_empty()).then(|| ResourceRequirements {
            requests: quantities(&res.requests),
            limits: quantities(&res.limits),
            ..Default::default()
        }),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        liveness_probe: c.probes.liveness.as_ref().map(|p| probe(p, c)),
        readiness_probe: c.probes.readiness.as_ref().map(|p| probe(p, c)),
        startup_probe: c.probes.startup.as_ref().map(|p| probe(p, c)),
        ..Default::default()
    }
}

fn env_var(name: &str, v: &EnvValue) -> EnvVar {
    match v {
        EnvValue::Plain(s) => EnvVar { name: name.to_string(), value: Some(s.clone()), value_from: None },
        EnvValue::Ref(r) => {
            let key = r.key.clone().unwrap_or_default();
            EnvVar {
                name: name.to_string(),
                value: None,
                value_from: Some(EnvVarSource {
                    secret_key_ref: r.secret.as_ref().map(|s| SecretKeySelector {
                        name: s.clone(),
                        key: key.clone(),
                        optional: r.optional,
                    }),
                    config_map_key_ref: r.config_map.as_ref().map(|c| ConfigMapKeySelector {
                        name: c.clone(),
                        key: key.clone(),
                        optional: r.optional,
                    }),
                    field_ref: r
                        .field
                        .as_ref()
                        .map(|f| ObjectFieldSelector { field_path: f.clone(), ..Default::default() }),
                    resource_field_ref: r
                        .resource
                        .as_ref()
                        .map(|f| ResourceFieldSelector { resource: f.clone(), ..Default::default() }),
                }),
            }
        }
    }
}

/// The port a probe checks: as given, or the container's first port.
fn probe_port(p: &model::Probe, c: &model::Container) -> IntOrString {
    match &p.port {
        Some(PortRef::Number(n)) => IntOrString::Int(*n),
        Some(PortRef::Name(n)) => IntOrString::String(n.clone()),
        None => c.ports.keys().next().map(|n| IntOrString::String(n.clone())).unwrap_or(IntOrString::Int(0)),
    }
}

fn probe(p: &model::Probe, c: &model::Container) -> Probe {
    let mut out = Probe {
        initial_delay_seconds: p.initial_delay,
        period_seconds: p.period,
        timeout_seconds: p.timeout,
        failure_threshold: p.failure_threshold,
        success_threshold: p.success_threshold,
        ..Default::default()
    };
    if let Some(path) = &p.http {
        out.http_get = Some(HTTPGetAction {
            path: Some(path.clone()),
            port: probe_port(p, c),
            scheme: p.scheme.clone(),
            ..Default::default()
        });
    } else if let Some(cmd) = &p.exec {
        out.exec = Some(ExecAction { command: Some(cmd.clone()) });
    } else if p.tcp == Some(true) {
        out.tcp_socket = Some(TCPSocketAction { port: probe_port(p, c), ..Default::default() });
    } else if p.grpc == Some(true) {
        // gRPC probes take a number: a port name is looked up
        let port = match probe_port(p, c) {
            IntOrString::Int(n) => n,
            IntOrString::String(name) => c.ports.get(&name).map(|x| x.port).unwrap_or(0),
        };
        out.grpc = Some(GRPCAction { port, service: p.grpc_service.clone() });
    }
    out
}
