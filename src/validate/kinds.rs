//! Rule: each key fits the kind of service it is set on, holds an allowed
//! value, and each probe, volume and env reference has exactly one source.

use super::{containers, one_of};
use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::topology::{Container, Kind, PerPhase, Probe, Service, ServiceType, Topology};

pub(super) fn check(topo: &Topology, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &topo.services {
        let path = TomlPath::root().key("services").key(name.clone());
        kind_fields(svc, &path, out);
        enums(svc, &path, out);
        numbers(svc, &path, out);
        for (cpath, c, _) in containers(svc, &path) {
            container(c, &cpath, out);
        }
        if svc.container.resources.is_some() {
            out.push(
                Diagnostic::error("E030", "the main container's resources are set on the service")
                    .at_key(&path.key("container").key("resources"))
                    .with_help(format!("move it to `[services.{name}]` as `resources = …`")),
            );
        }
        if !svc.container.volume_mounts.is_empty() {
            out.push(
                Diagnostic::error("E030", "the main container mounts volumes through `volumes.<name>.mount`")
                    .at_key(&path.key("container").key("volume_mounts"))
                    .with_help(format!(
                        "declare the mount in `[services.{name}.volumes]`; `volume_mounts` is for sidecars"
                    )),
            );
        }
        for (vname, v) in &svc.volumes {
            let vpath = path.key("volumes").key(vname.clone());
            let sources = [
                v.size.is_some(),
                v.claim.is_some(),
                v.config_map.is_some(),
                v.secret.is_some(),
                v.empty_dir == Some(true),
            ];
            let n = sources.iter().filter(|b| **b).count();
            if n != 1 {
                out.push(
                    Diagnostic::error("E032", format!("volume `{vname}` needs exactly one source, it has {n}"))
                        .at_key(&vpath)
                        .with_help("give one of `size` (a claim per pod, statefulsets), `claim`, `config_map`, `secret` or `empty_dir = true`"),
                );
            }
            if v.size.is_some() && svc.kind != Kind::StatefulSet {
                out.push(
                    Diagnostic::error(
                        "E030",
                        format!("volume `{vname}` has a `size`, which only a statefulset can give (one claim per pod)"),
                    )
                    .at_key(&vpath.key("size"))
                    .with_help("declare a shared claim under `[claims.<name>]` and mount it with `claim = \"<name>\"`"),
                );
            }
            if v.size.is_none() && (v.storage_class.is_some() || v.access.is_some()) {
                out.push(
                    Diagnostic::error(
                        "E030",
                        format!("`storage_class` and `access` of volume `{vname}` need a `size`"),
                    )
                    .at_key(&vpath)
                    .with_help("for a shared claim set them on `[claims.<name>]`"),
                );
            }
            if let Some(m) = &v.mount
                && !m.starts_with('/')
            {
                out.push(
                    Diagnostic::error("E033", format!("mount path `{m}` is not absolute"))
                        .at(&vpath.key("mount"))
                        .with_help(format!("write it from the root, e.g. `/{}`", m.trim_start_matches("./"))),
                );
            }
        }
    }
}

/// Keys that only make sense for some kinds.
fn kind_fields(svc: &Service, path: &TomlPath, out: &mut Vec<Diagnostic>) {
    use Kind::*;
    let k = svc.kind;
    let fields: [(&str, bool, &[Kind]); 16] = [
        ("replicas", svc.replicas.is_some(), &[Deployment, StatefulSet]),
        ("strategy", svc.strategy.is_some(), &[Deployment]),
        ("pod_management_policy", svc.pod_management_policy.is_some(), &[StatefulSet]),
        ("parallelism", svc.parallelism.is_some(), &[Job, CronJob]),
        ("completions", svc.completions.is_some(), &[Job, CronJob]),
        ("backoff_limit", svc.backoff_limit.is_some(), &[Job, CronJob]),
        ("active_deadline_seconds", svc.active_deadline_seconds.is_some(), &[Job, CronJob]),
        ("ttl_seconds_after_finished", svc.ttl_seconds_after_finished.is_some(), &[Job, CronJob]),
        ("restart_policy", svc.restart_policy.is_some(), &[Job, CronJob]),
        ("schedule", svc.schedule.is_some(), &[CronJob]),
        ("time_zone", svc.time_zone.is_some(), &[CronJob]),
        ("concurrency_policy", svc.concurrency_policy.is_some(), &[CronJob]),
        ("suspend", svc.suspend.is_some(), &[CronJob]),
        ("starting_deadline_seconds", svc.starting_deadline_seconds.is_some(), &[CronJob]),
        ("successful_jobs_history_limit", svc.successful_jobs_history_limit.is_some(), &[CronJob]),
        ("failed_jobs_history_limit", svc.failed_jobs_history_limit.is_some(), &[CronJob]),
    ];
    for (field, set, kinds) in fields {
        if set && !kinds.contains(&k) {
            let allowed: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
            out.push(
                Diagnostic::error("E030", format!("`{field}` does not apply to a {}", k.as_str()))
                    .at_key(&path.key(field))
                    .with_help(format!("`{field}` is for kind {}; remove it or change `kind`", allowed.join(" or "))),
            );
        }
    }
    if k == CronJob && svc.schedule.is_none() {
        out.push(
            Diagnostic::error("E006", "a cronjob needs a `schedule`")
                .at_key(path)
                .with_help("add e.g. `schedule = \"0 2 * * *\"` (daily at 02:00)"),
        );
    }
    if k.is_batch()
        && let Some(spec) = &svc.service
        && spec.kind.is_some_and(|t| t != ServiceType::None)
    {
        out.push(
            Diagnostic::error("E030", format!("a {} gets no Service", k.as_str()))
                .at_key(&path.key("service"))
                .with_help("jobs run to completion and are not addressed through a Service: remove `service`"),
        );
    }
}

fn enums(svc: &Service, path: &TomlPath, out: &mut Vec<Diagnostic>) {
    one_of(svc.restart_policy.as_deref(), &["OnFailure", "Never"], path.key("restart_policy"), out);
    one_of(svc.concurrency_policy.as_deref(), &["Allow", "Forbid", "Replace"], path.key("concurrency_policy"), out);
    one_of(svc.pod_management_policy.as_deref(), &["OrderedReady", "Parallel"], path.key("pod_management_policy"), out);
    if let Some(s) = &svc.strategy {
        one_of(s.kind.as_deref(), &["RollingUpdate", "Recreate"], path.key("strategy").key("type"), out);
    }
}

fn numbers(svc: &Service, path: &TomlPath, out: &mut Vec<Diagnostic>) {
    let mut non_negative = |v: Option<i64>, key: &'static str| {
        if let Some(v) = v
            && v < 0
        {
            out.push(
                Diagnostic::error("E022", format!("`{key}` is {v}, and must not be negative"))
                    .at(&path.key(key))
                    .with_help("use zero or a positive number"),
            );
        }
    };
    if let Some(r) = &svc.replicas {
        match r {
            PerPhase::Fixed(v) => non_negative(Some(i64::from(*v)), "replicas"),
            PerPhase::Phased(m) => {
                for v in m.values() {
                    non_negative(Some(i64::from(*v)), "replicas");
                }
            }
        }
    }
    non_negative(svc.parallelism.map(i64::from), "parallelism");
    non_negative(svc.completions.map(i64::from), "completions");
    non_negative(svc.backoff_limit.map(i64::from), "backoff_limit");
    non_negative(svc.active_deadline_seconds, "active_deadline_seconds");
    non_negative(svc.ttl_seconds_after_finished.map(i64::from), "ttl_seconds_after_finished");
    non_negative(svc.termination_grace_period, "termination_grace_period");
    non_negative(svc.starting_deadline_seconds, "starting_deadline_seconds");
    non_negative(svc.successful_jobs_history_limit.map(i64::from), "successful_jobs_history_limit");
    non_negative(svc.failed_jobs_history_limit.map(i64::from), "failed_jobs_history_limit");
}

fn container(c: &Container, path: &TomlPath, out: &mut Vec<Diagnostic>) {
    if c.image.trim().is_empty() {
        out.push(
            Diagnostic::error("E034", "the container image is empty")
                .at(&path.key("image"))
                .with_help("name an image, e.g. `image = \"nginx:1.27\"`"),
        );
    } else if c.image.chars().any(char::is_whitespace) {
        out.push(
            Diagnostic::error("E034", format!("image `{}` contains white space", c.image))
                .at(&path.key("image"))
                .with_help("an image reference is `[registry/]repository[:tag][@digest]` without spaces"),
        );
    }
    one_of(c.image_pull_policy.as_deref(), &["Always", "IfNotPresent", "Never"], path.key("image_pull_policy"), out);
    for (pname, p) in &c.ports {
        one_of(p.protocol.as_deref(), &["TCP", "UDP", "SCTP"], path.key("ports").key(pname.clone()), out);
    }
    for (name, v) in &c.env {
        let epath = path.key("env").key(name.clone());
        if let crate::topology::EnvValue::Ref(r) = v {
            let sources = [r.secret.is_some(), r.config_map.is_some(), r.field.is_some(), r.resource.is_some()];
            let n = sources.iter().filter(|b| **b).count();
            if n != 1 {
                out.push(
                    Diagnostic::error("E032", format!("env `{name}` needs exactly one source, it has {n}"))
                        .at(&epath)
                        .with_help("write `{ secret = \"s\", key = \"k\" }`, `{ config_map = \"c\", key = \"k\" }`, `{ field = \"metadata.name\" }` or `{ resource = \"limits.memory\" }`"),
                );
            } else if (r.secret.is_some() || r.config_map.is_some()) != r.key.is_some() {
                out.push(
                    Diagnostic::error("E032", format!("env `{name}`: `key` goes with `secret` or `config_map`"))
                        .at(&epath)
                        .with_help(
                            "name the key in the secret or config map, e.g. `{ secret = \"app\", key = \"password\" }`",
                        ),
                );
            }
        }
    }
    for (i, e) in c.env_from.iter().enumerate() {
        if e.secret.is_some() == e.config_map.is_some() {
            out.push(
                Diagnostic::error("E032", "`env_from` needs exactly one of `secret` and `config_map`")
                    .at(&path.key("env_from").index(i))
                    .with_help("write `{ secret = \"name\" }` or `{ config_map = \"name\" }`"),
            );
        }
    }
    for (kind, p) in
        [("liveness", &c.probes.liveness), ("readiness", &c.probes.readiness), ("startup", &c.probes.startup)]
    {
        if let Some(p) = p {
            probe(p, c, &path.key("probes").key(kind), out);
        }
    }
}

fn probe(p: &Probe, c: &Container, path: &TomlPath, out: &mut Vec<Diagnostic>) {
    let actions = [p.http.is_some(), p.exec.is_some(), p.tcp == Some(true), p.grpc == Some(true)];
    let n = actions.iter().filter(|b| **b).count();
    if n != 1 {
        out.push(
            Diagnostic::error("E032", format!("a probe needs exactly one action, this one has {n}"))
                .at_key(path)
                .with_help("give one of `http = \"/health\"`, `exec = [\"cmd\"]`, `tcp = true`, `grpc = true`"),
        );
        return;
    }
    if let Some(cmd) = &p.exec
        && cmd.is_empty()
    {
        out.push(
            Diagnostic::error("E032", "an exec probe needs a command")
                .at(&path.key("exec"))
                .with_help("e.g. `exec = [\"redis-cli\", \"ping\"]`"),
        );
    }
    if let Some(h) = &p.http
        && !h.starts_with('/')
    {
        out.push(
            Diagnostic::error("E033", format!("probe path `{h}` must start with `/`"))
                .at(&path.key("http"))
                .with_help(format!("write `/{h}`")),
        );
    }
    one_of(p.scheme.as_deref(), &["HTTP", "HTTPS"], path.key("scheme"), out);
    if p.exec.is_none() {
        match &p.port {
            None if c.ports.is_empty() => out.push(
                Diagnostic::error("E035", "the probe has no port and the container declares none")
                    .at_key(path)
                    .with_help("add `port = <number>` to the probe, or declare the container's ports"),
            ),
            Some(crate::topology::PortRef::Name(n)) if !c.ports.contains_key(n) => out.push(
                Diagnostic::error("E035", format!("the probe uses port `{n}`, which the container does not declare"))
                    .at(&path.key("port"))
                    .with_help(crate::diagnostic::suggest::help(n, "ports", c.ports.keys().map(String::as_str))),
            ),
            _ => {}
        }
    }
    for (key, v, min) in [
        ("initial_delay", p.initial_delay, 0),
        ("period", p.period, 1),
        ("timeout", p.timeout, 1),
        ("failure_threshold", p.failure_threshold, 1),
        ("success_threshold", p.success_threshold, 1),
    ] {
        if let Some(v) = v
            && v < min
        {
            out.push(
                Diagnostic::error("E022", format!("probe `{key}` is {v}, and must be at least {min}"))
                    .at(&path.key(key))
                    .with_help("probe timings are whole seconds or counts"),
            );
        }
    }
}
