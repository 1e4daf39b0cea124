//! Pods and containers: images, ports, env, probes, volumes, resources,
//! and the defaults that harden them — security contexts, no service
//! account token, a writable `/tmp` under a read-only root — plus placement
//! (anti-affinity, spread, tolerations, GPU nodes).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    Affinity, Capabilities, ConfigMapEnvSource, ConfigMapKeySelector, ConfigMapVolumeSource, Container, ContainerPort,
    EmptyDirVolumeSource, EnvFromSource, EnvVar, EnvVarSource, ExecAction, GRPCAction, HTTPGetAction, Lifecycle,
    LifecycleHandler, ObjectFieldSelector, PersistentVolumeClaimVolumeSource, PodAffinityTerm, PodAntiAffinity,
    PodSecurityContext, PodSpec, PodTemplateSpec, Probe, ResourceFieldSelector, ResourceRequirements, SeccompProfile,
    SecretEnvSource, SecretKeySelector, SecretVolumeSource, SecurityContext, SleepAction, TCPSocketAction, Toleration,
    TopologySpreadConstraint, Volume, VolumeMount, WeightedPodAffinityTerm,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::resolve::{Resolved, ResolvedService, ResourceValues};
use crate::topology::{self, EnvValue, PortRef, PreStop};

/// The volume archctl adds for `/tmp` when the root filesystem is read-only.
const TMP_VOLUME: &str = "tmp";

/// Expands a node label shorthand: `zone` and `hostname`.
pub(super) fn topology_key(scope: &str) -> String {
    match scope {
        "zone" => "topology.kubernetes.io/zone".into(),
        "hostname" | "node" => "kubernetes.io/hostname".into(),
        "region" => "topology.kubernetes.io/region".into(),
        other => other.into(),
    }
}

pub(super) fn pod_template(
    r: &Resolved,
    s: &ResolvedService<'_>,
    labels: BTreeMap<String, String>,
    selector: &BTreeMap<String, String>,
) -> PodTemplateSpec {
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
    let sec = &svc.security;
    // a legacy workload gets none of archctl's defaults: only what is stated
    let defaults = svc.legacy.is_none();
    let read_only_root = sec.read_only_root_filesystem.unwrap_or(defaults);
    let mut containers = vec![container(&svc.container, main_name, &s.values.resources, main_mounts, !defaults)];
    for (i, c) in svc.sidecars.iter().enumerate() {
        let res = s.values.sidecar_resources.get(i).cloned().unwrap_or_default();
        containers.push(container(c, c.name.clone().unwrap_or_default(), &res, mounts(c), !defaults));
    }
    let mut init: Vec<Container> = svc
        .init_containers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let res = s.values.init_resources.get(i).cloned().unwrap_or_default();
            container(c, c.name.clone().unwrap_or_default(), &res, mounts(c), !defaults)
        })
        .collect();
    let mut volumes: Vec<Volume> = svc
        .volumes
        .iter()
        .filter(|(_, v)| v.size.is_none())
        .map(|(vname, v)| pod_volume(vname, v, s.values.volumes.get(vname).and_then(|r| r.size_limit.as_ref())))
        .collect();

    // a read-only root still needs somewhere to write temporary files
    let tmp_taken = svc.volumes.contains_key(TMP_VOLUME);
    let mut tmp_used = false;
    for c in containers.iter_mut().chain(init.iter_mut()) {
        c.security_context =
            if defaults { Some(container_security(sec, read_only_root)) } else { stated_container_security(sec) };
        let mounts = c.volume_mounts.get_or_insert_with(Vec::new);
        if defaults && read_only_root && !tmp_taken && !mounts.iter().any(|m| m.mount_path == "/tmp") {
            mounts.push(VolumeMount { name: TMP_VOLUME.into(), mount_path: "/tmp".into(), ..Default::default() });
            tmp_used = true;
        }
        if !defaults && mounts.is_empty() {
            c.volume_mounts = None;
        }
    }
    if tmp_used {
        volumes.push(Volume {
            name: TMP_VOLUME.into(),
            empty_dir: Some(EmptyDirVolumeSource::default()),
            ..Default::default()
        });
    }

    let wants_gpu = s.values.resources.wants_gpu() || s.values.sidecar_resources.iter().any(ResourceValues::wants_gpu);
    let mut node_selector: BTreeMap<String, String> = BTreeMap::new();
    let mut tolerations: Vec<Toleration> = Vec::new();
    if wants_gpu {
        node_selector.extend(r.topology.gpu.node_selector.iter().map(|(k, v)| (k.clone(), v.clone())));
        tolerations.extend(r.topology.gpu.tolerations.iter().map(toleration));
    }
    node_selector.extend(svc.node_selector.iter().map(|(k, v)| (k.clone(), v.clone())));
    for t in &svc.placement.tolerations {
        let t = toleration(t);
        if !tolerations.contains(&t) {
            tolerations.push(t);
        }
    }
    let annotations: BTreeMap<String, String> =
        svc.pod_annotations.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    let sa = svc.service_account.as_ref();
    // a legacy pod template without labels or annotations has no metadata
    let metadata = (defaults || !labels.is_empty() || !annotations.is_empty()).then(|| ObjectMeta {
        labels: (defaults || !labels.is_empty()).then_some(labels),
        annotations: (!annotations.is_empty()).then_some(annotations),
        ..Default::default()
    });
    PodTemplateSpec {
        metadata,
        spec: Some(PodSpec {
            containers,
            init_containers: (!init.is_empty()).then_some(init),
            volumes: (!volumes.is_empty()).then_some(volumes),
            termination_grace_period_seconds: svc.termination_grace_period,
            node_selector: (!node_selector.is_empty()).then_some(node_selector),
            tolerations: (!tolerations.is_empty()).then_some(tolerations),
            affinity: affinity(&svc.placement, selector),
            topology_spread_constraints: spread(&svc.placement, selector),
            priority_class_name: svc.placement.priority_class.clone(),
            service_account_name: sa.map(|a| a.name.clone().unwrap_or_else(|| s.name.to_string())),
            automount_service_account_token: match defaults {
                true => Some(sa.and_then(|a| a.automount_token).unwrap_or(false)),
                false => sa.and_then(|a| a.automount_token),
            },
            security_context: if defaults { Some(pod_security(sec)) } else { stated_pod_security(sec) },
            ..Default::default()
        }),
    }
}

/// Pod-level hardening: non-root, seccomp `RuntimeDefault`.
fn pod_security(sec: &topology::Security) -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(sec.non_root.unwrap_or(true)),
        run_as_user: sec.run_as_user,
        run_as_group: sec.run_as_group,
        fs_group: sec.fs_group,
        seccomp_profile: Some(SeccompProfile {
            type_: sec.seccomp.clone().unwrap_or_else(|| "RuntimeDefault".into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// The pod security context of a legacy workload: only the fields the
/// topology states, or none.
fn stated_pod_security(sec: &topology::Security) -> Option<PodSecurityContext> {
    let ctx = PodSecurityContext {
        run_as_non_root: sec.non_root,
        run_as_user: sec.run_as_user,
        run_as_group: sec.run_as_group,
        fs_group: sec.fs_group,
        seccomp_profile: sec.seccomp.clone().map(|type_| SeccompProfile { type_, ..Default::default() }),
        ..Default::default()
    };
    (ctx != PodSecurityContext::default()).then_some(ctx)
}

/// The container security context of a legacy workload: only the fields
/// the topology states, or none.
fn stated_container_security(sec: &topology::Security) -> Option<SecurityContext> {
    let ctx = SecurityContext {
        allow_privilege_escalation: sec.allow_privilege_escalation,
        capabilities: (!sec.add_capabilities.is_empty())
            .then(|| Capabilities { add: Some(sec.add_capabilities.clone()), drop: None }),
        read_only_root_filesystem: sec.read_only_root_filesystem,
        ..Default::default()
    };
    (ctx != SecurityContext::default()).then_some(ctx)
}

/// Container-level hardening: no privilege escalation, no capabilities,
/// read-only root unless the service opts out.
fn container_security(sec: &topology::Security, read_only_root: bool) -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(sec.allow_privilege_escalation.unwrap_or(false)),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".into()]),
            add: (!sec.add_capabilities.is_empty()).then(|| sec.add_capabilities.clone()),
        }),
        read_only_root_filesystem: Some(read_only_root),
        ..Default::default()
    }
}

fn toleration(t: &topology::Toleration) -> Toleration {
    Toleration {
        key: t.key.clone(),
        operator: t.operator.clone(),
        value: t.value.clone(),
        effect: t.effect.clone(),
        toleration_seconds: t.seconds,
    }
}

fn affinity(p: &topology::Placement, selector: &BTreeMap<String, String>) -> Option<Affinity> {
    let mode = p.anti_affinity.as_deref()?;
    let term = PodAffinityTerm {
        label_selector: Some(LabelSelector { match_labels: Some(selector.clone()), ..Default::default() }),
        topology_key: topology_key(p.anti_affinity_scope.as_deref().unwrap_or("hostname")),
        ..Default::default()
    };
    let anti = if mode == "required" {
        PodAntiAffinity { required_during_scheduling_ignored_during_execution: Some(vec![term]), ..Default::default() }
    } else {
        PodAntiAffinity {
            preferred_during_scheduling_ignored_during_execution: Some(vec![WeightedPodAffinityTerm {
                pod_affinity_term: term,
                weight: 100,
            }]),
            ..Default::default()
        }
    };
    Some(Affinity { pod_anti_affinity: Some(anti), ..Default::default() })
}

fn spread(p: &topology::Placement, selector: &BTreeMap<String, String>) -> Option<Vec<TopologySpreadConstraint>> {
    (!p.spread.is_empty()).then(|| {
        p.spread
            .iter()
            .map(|sp| TopologySpreadConstraint {
                max_skew: sp.max_skew.unwrap_or(1),
                topology_key: topology_key(&sp.across),
                when_unsatisfiable: sp.when_unsatisfiable.clone().unwrap_or_else(|| "ScheduleAnyway".into()),
                label_selector: Some(LabelSelector { match_labels: Some(selector.clone()), ..Default::default() }),
                ..Default::default()
            })
            .collect()
    })
}

fn mounts(c: &topology::Container) -> Vec<VolumeMount> {
    c.volume_mounts
        .iter()
        .map(|(name, path)| VolumeMount { name: name.clone(), mount_path: path.clone(), ..Default::default() })
        .collect()
}

/// A pod volume; `size_limit` is an `emptyDir`'s resolved limit.
fn pod_volume(name: &str, v: &topology::Volume, size_limit: Option<&crate::k8s::quantity::Quantity>) -> Volume {
    let mut vol = Volume { name: name.to_string(), ..Default::default() };
    if let Some(c) = &v.claim {
        vol.persistent_volume_claim =
            Some(PersistentVolumeClaimVolumeSource { claim_name: c.clone(), read_only: v.read_only });
    } else if let Some(c) = &v.config_map {
        vol.config_map = Some(ConfigMapVolumeSource { name: c.clone(), ..Default::default() });
    } else if let Some(s) = &v.secret {
        vol.secret = Some(SecretVolumeSource { secret_name: Some(s.clone()), ..Default::default() });
    } else {
        vol.empty_dir =
            Some(EmptyDirVolumeSource { medium: v.medium.clone(), size_limit: size_limit.map(super::quantity) });
    }
    vol
}

/// One container; `stated` (a legacy workload): a port's protocol is
/// written as given, `TCP` too.
fn container(
    c: &topology::Container,
    name: String,
    res: &ResourceValues,
    mounts: Vec<VolumeMount>,
    stated: bool,
) -> Container {
    let ports: Vec<ContainerPort> = c
        .ports
        .iter()
        .map(|(pname, p)| ContainerPort {
            name: (!p.unnamed).then(|| pname.clone()),
            container_port: p.port,
            protocol: p.protocol.clone().filter(|p| stated || p != "TCP"),
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
            requests: super::quantities(&res.requests),
            limits: super::quantities(&res.limits),
            ..Default::default()
        }),
        volume_mounts: (!mounts.is_empty()).then_some(mounts),
        liveness_probe: c.probes.liveness.as_ref().map(|p| probe(p, c)),
        readiness_probe: c.probes.readiness.as_ref().map(|p| probe(p, c)),
        startup_probe: c.probes.startup.as_ref().map(|p| probe(p, c)),
        lifecycle: c.pre_stop.as_ref().map(|p| Lifecycle {
            pre_stop: Some(match p {
                PreStop::Sleep(seconds) => {
                    LifecycleHandler { sleep: Some(SleepAction { seconds: *seconds }), ..Default::default() }
                }
                PreStop::Exec(command) => {
                    LifecycleHandler { exec: Some(ExecAction { command: Some(command.clone()) }), ..Default::default() }
                }
            }),
            ..Default::default()
        }),
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
fn probe_port(p: &topology::Probe, c: &topology::Container) -> IntOrString {
    match &p.port {
        Some(PortRef::Number(n)) => IntOrString::Int(*n),
        Some(PortRef::Name(n)) => IntOrString::String(n.clone()),
        None => c
            .ports
            .iter()
            .next()
            .map(|(n, p)| if p.unnamed { IntOrString::Int(p.port) } else { IntOrString::String(n.clone()) })
            .unwrap_or(IntOrString::Int(0)),
    }
}

fn probe(p: &topology::Probe, c: &topology::Container) -> Probe {
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
