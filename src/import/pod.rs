//! Pods: containers, their ports, environment, probes and resources, the
//! pod's volumes and claim templates, placement and security — the inverse
//! of `objects/pod.rs` for a legacy workload (no defaults added).

use indexmap::IndexMap;
use k8s_openapi::api::core::v1::{
    Container, EnvFromSource, EnvVar, PersistentVolumeClaim, PodTemplateSpec, Probe, ResourceRequirements,
    SecurityContext,
};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::Ctx;
use super::toml::{Table, Value as T, strings};

/// The parts of a service that its pod template gives.
#[derive(Default)]
pub(super) struct Pod {
    /// Keys of the service itself (resources, placement, security, …).
    pub service: Table,
    pub container: Table,
    pub env: Table,
    pub volumes: Table,
    pub sidecars: Vec<Table>,
    pub init: Vec<Table>,
    pub notes: Vec<String>,
}

/// The pod template of the workload `name` in `ns`; `at` is the template's
/// path in the object (`spec.template`).
pub(super) fn pod(
    ctx: &mut Ctx,
    name: &str,
    ns: &str,
    template: &PodTemplateSpec,
    claim_templates: &[PersistentVolumeClaim],
    at: &str,
    kind: &str,
) -> Result<Pod, String> {
    let mut out = Pod::default();
    let Some(spec) = &template.spec else { return Err(format!("{at}.spec: the pod template has no spec")) };
    let Some(main) = spec.containers.first() else { return Err(format!("{at}.spec.containers: no container")) };
    let at = format!("{at}.spec");

    // the pod's volumes, then the claim templates: the order archctl renders
    let mut volumes: IndexMap<String, Table> = IndexMap::new();
    for (i, v) in spec.volumes.iter().flatten().enumerate() {
        let vat = format!("{at}.volumes[{i}]");
        let mut t = Table::default();
        if let Some(c) = &v.persistent_volume_claim {
            if ctx.claims.get(&c.claim_name).map(String::as_str) != Some(ns) {
                out.notes.push(format!(
                    "{vat}: the claim `{}` is not among the imported objects, and the topology declares the claims it mounts",
                    c.claim_name
                ));
                continue;
            }
            t.set("claim", c.claim_name.as_str());
            if c.read_only.is_some() {
                t.opt("read_only", c.read_only);
            }
        } else if let Some(c) = &v.config_map {
            if ctx.config_maps.get(&c.name).map(String::as_str) != Some(ns) {
                out.notes.push(format!(
                    "{vat}: the config map `{}` is not among the imported objects, and the topology declares the config maps it mounts",
                    c.name
                ));
                continue;
            }
            t.set("config_map", c.name.as_str());
        } else if let Some(s) = &v.secret {
            let secret = s.secret_name.clone().unwrap_or_default();
            if !ctx.use_secret(&secret, ns, None) {
                out.notes.push(format!("{vat}: a Secret `{secret}` of another namespace is imported"));
                continue;
            }
            t.set("secret", secret);
        } else if let Some(e) = &v.empty_dir {
            t.set("empty_dir", true);
            t.opt("medium", e.medium.clone().filter(|m| !m.is_empty()));
            t.opt("size_limit", e.size_limit.as_ref().map(|q| q.0.clone()));
        } else {
            out.notes.push(format!("{vat}: archctl mounts claims, config maps, secrets and empty dirs only"));
            continue;
        }
        volumes.insert(v.name.clone(), t);
    }
    for (i, c) in claim_templates.iter().enumerate() {
        let vat = format!("spec.volumeClaimTemplates[{i}]");
        let vname = c.metadata.name.clone().unwrap_or_default();
        let cs = c.spec.clone().unwrap_or_default();
        let Some(size) = cs.resources.as_ref().and_then(|r| r.requests.as_ref()).and_then(|r| r.get("storage")) else {
            out.notes.push(format!("{vat}: it requests no `storage`"));
            continue;
        };
        let mut t = Table::default();
        t.set("size", size.0.as_str());
        if let Some(class) = &cs.storage_class_name {
            ctx.storage_class(class);
            t.set("storage_class", class.as_str());
        }
        match cs.access_modes.as_deref() {
            Some([one]) => t.set("access", one.as_str()),
            _ => out.notes.push(format!("{vat}.spec.accessModes: archctl renders exactly one access mode")),
        }
        volumes.insert(vname, t);
    }

    // the main container's mounts become the volumes' `mount`
    let mut mounted: Vec<String> = Vec::new();
    for (i, m) in main.volume_mounts.iter().flatten().enumerate() {
        let mat = format!("{at}.containers[0].volumeMounts[{i}]");
        let Some(t) = volumes.get_mut(&m.name) else {
            out.notes.push(format!("{mat}: its volume `{}` is not imported", m.name));
            continue;
        };
        if t.get("mount").is_some() {
            out.notes.push(format!("{mat}: archctl mounts a volume once into the main container"));
            continue;
        }
        t.set("mount", m.mount_path.as_str());
        t.opt("sub_path", m.sub_path.clone());
        if t.get("read_only").is_none() {
            t.opt("read_only", m.read_only);
        }
        mounted.push(m.name.clone());
    }
    let order: Vec<&String> = volumes.iter().filter(|(_, t)| t.get("mount").is_some()).map(|(n, _)| n).collect();
    if order.iter().map(|n| n.as_str()).ne(mounted.iter().map(String::as_str)) {
        out.notes.push(format!(
            "{at}.containers[0].volumeMounts: archctl mounts in the order of the volumes, and these are in another"
        ));
    }
    for (n, t) in &volumes {
        out.volumes.set(n, t.clone());
    }

    // containers
    let (c, env) = container(ctx, ns, main, name, &format!("{at}.containers[0]"), Role::Main, &mut out)?;
    out.container = c;
    out.env = env;
    for (i, s) in spec.containers.iter().enumerate().skip(1) {
        let (mut c, env) = container(ctx, ns, s, name, &format!("{at}.containers[{i}]"), Role::Other, &mut out)?;
        if !env.is_empty() {
            c.set("env", env);
        }
        out.sidecars.push(c);
    }
    for (i, s) in spec.init_containers.iter().flatten().enumerate() {
        let (mut c, env) = container(ctx, ns, s, name, &format!("{at}.initContainers[{i}]"), Role::Other, &mut out)?;
        if !env.is_empty() {
            c.set("env", env);
        }
        out.init.push(c);
    }

    // the pod
    let svc = &mut out.service;
    svc.opt("termination_grace_period", spec.termination_grace_period_seconds);
    if let Some(n) = &spec.node_selector
        && !n.is_empty()
    {
        svc.set("node_selector", strings(n));
    }
    let mut placement = Table::default();
    if let Some(ts) = &spec.tolerations {
        let list: Vec<T> = ts
            .iter()
            .map(|t| {
                let mut x = Table::default();
                x.opt("key", t.key.clone());
                x.opt("operator", t.operator.clone());
                x.opt("value", t.value.clone());
                x.opt("effect", t.effect.clone());
                x.opt("seconds", t.toleration_seconds);
                T::Table(x)
            })
            .collect();
        placement.set("tolerations", T::Array(list));
    }
    placement.opt("priority_class", spec.priority_class_name.clone());
    if !placement.is_empty() {
        svc.set("placement", placement);
    }
    match (&spec.service_account_name, spec.automount_service_account_token) {
        (Some(sa), auto) => {
            let mut t = Table::default();
            t.set("name", sa.as_str());
            t.set("create", false);
            t.opt("automount_token", auto);
            svc.set("service_account", t);
        }
        (None, Some(_)) => out.notes.push(format!(
            "{at}.automountServiceAccountToken: archctl sets it with `service_account`, which names the account"
        )),
        (None, None) => {}
    }
    let mut sec = Table::default();
    if let Some(p) = &spec.security_context {
        sec.opt("non_root", p.run_as_non_root);
        sec.opt("run_as_user", p.run_as_user);
        sec.opt("run_as_group", p.run_as_group);
        sec.opt("fs_group", p.fs_group);
        sec.opt("seccomp", p.seccomp_profile.as_ref().map(|s| s.type_.clone()));
    }
    // archctl gives every container the main container's security context
    let main_sec = stated(main.security_context.as_ref());
    if let Some(c) = &main.security_context {
        sec.opt("allow_privilege_escalation", c.allow_privilege_escalation);
        sec.opt("read_only_root_filesystem", c.read_only_root_filesystem);
        if let Some(add) = c.capabilities.as_ref().and_then(|c| c.add.clone()) {
            sec.set("add_capabilities", add);
        }
    }
    let others = spec
        .containers
        .iter()
        .enumerate()
        .skip(1)
        .map(|(i, c)| (format!("containers[{i}]"), c))
        .chain(spec.init_containers.iter().flatten().enumerate().map(|(i, c)| (format!("initContainers[{i}]"), c)));
    for (cat, c) in others {
        if stated(c.security_context.as_ref()) != main_sec {
            out.notes.push(format!(
                "{at}.{cat}.securityContext: archctl gives every container the main container's security context"
            ));
        }
    }
    if !sec.is_empty() {
        out.service.set("security", sec);
    }
    if kind != "Job" && kind != "CronJob" && spec.restart_policy.is_some() {
        out.notes.push(format!("{at}.restartPolicy: archctl writes it for jobs only"));
    }
    Ok(out)
}

/// `allowPrivilegeEscalation`, `readOnlyRootFilesystem`, `capabilities.add`.
type Stated = (Option<bool>, Option<bool>, Option<Vec<String>>);

/// The part of a container security context archctl renders.
fn stated(c: Option<&SecurityContext>) -> Option<Stated> {
    c.map(|c| {
        (c.allow_privilege_escalation, c.read_only_root_filesystem, c.capabilities.as_ref().and_then(|x| x.add.clone()))
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Main,
    Other,
}

/// A container's table and its environment.
fn container(
    ctx: &mut Ctx,
    ns: &str,
    c: &Container,
    service: &str,
    at: &str,
    role: Role,
    out: &mut Pod,
) -> Result<(Table, Table), String> {
    let mut t = Table::default();
    if role == Role::Other || c.name != service {
        t.set("name", c.name.as_str());
    }
    let Some(image) = &c.image else { return Err(format!("{at}.image: the container names no image")) };
    t.set("image", image.as_str());
    t.opt("image_pull_policy", c.image_pull_policy.clone());
    if let Some(cmd) = &c.command {
        t.set("command", cmd.clone());
    }
    if let Some(args) = &c.args {
        t.set("args", args.clone());
    }
    t.opt("working_dir", c.working_dir.clone());
    let mut ports = Table::default();
    for (i, p) in c.ports.iter().flatten().enumerate() {
        let mut pt = Table::default();
        pt.set("port", p.container_port);
        pt.opt("protocol", p.protocol.clone());
        let key = match &p.name {
            Some(n) => n.clone(),
            None => {
                pt.set("unnamed", true);
                let mut k = format!("port-{}", p.container_port);
                if ports.get(&k).is_some() {
                    k = format!("port-{}-{i}", p.container_port);
                }
                k
            }
        };
        // the Service is taken from `legacy.service`, not from these
        ports.set(&key, pt);
    }
    if !ports.is_empty() {
        t.set("ports", ports);
    }
    let mut env = Table::default();
    for (i, e) in c.env.iter().flatten().enumerate() {
        match env_value(ctx, ns, e) {
            Ok(v) if env.get(&e.name).is_none() => env.set(&e.name, v),
            Ok(_) => out.notes.push(format!("{at}.env[{i}]: `{}` is set twice, and the topology sets it once", e.name)),
            Err(why) => out.notes.push(format!("{at}.env[{i}]: {why}")),
        }
    }
    let mut from = Vec::new();
    for (i, e) in c.env_from.iter().flatten().enumerate() {
        match env_from(ctx, ns, e) {
            Ok(v) => from.push(T::Table(v)),
            Err(why) => out.notes.push(format!("{at}.envFrom[{i}]: {why}")),
        }
    }
    if !from.is_empty() {
        t.set("env_from", T::Array(from));
    }
    let mut probes = Table::default();
    for (key, p) in [("liveness", &c.liveness_probe), ("readiness", &c.readiness_probe), ("startup", &c.startup_probe)]
    {
        if let Some(p) = p {
            match probe(p) {
                Ok(v) => probes.set(key, v),
                Err(why) => out.notes.push(format!("{at}.{key}Probe: {why}")),
            }
        }
    }
    if !probes.is_empty() {
        t.set("probes", probes);
    }
    if let Some(r) = &c.resources {
        let res = resources(ctx, r, &format!("{at}.resources"), &mut out.notes);
        if !res.is_empty() {
            match role {
                Role::Main => out.service.set("resources", res),
                Role::Other => t.set("resources", res),
            }
        }
    }
    if role == Role::Other {
        let mut mounts = Table::default();
        for (i, m) in c.volume_mounts.iter().flatten().enumerate() {
            if m.sub_path.is_some() || m.read_only.is_some() {
                out.notes.push(format!("{at}.volumeMounts[{i}]: a sidecar's mount is a path only"));
            }
            if out.volumes.get(&m.name).is_none() {
                out.notes.push(format!("{at}.volumeMounts[{i}]: its volume `{}` is not imported", m.name));
                continue;
            }
            mounts.set(&m.name, m.mount_path.as_str());
        }
        if !mounts.is_empty() {
            t.set("volume_mounts", mounts);
        }
    }
    if let Some(pre) = c.lifecycle.as_ref().and_then(|l| l.pre_stop.as_ref()) {
        if let Some(s) = &pre.sleep {
            t.set("pre_stop", s.seconds);
        } else if let Some(cmd) = pre.exec.as_ref().and_then(|e| e.command.clone()) {
            t.set("pre_stop", cmd);
        } else {
            out.notes.push(format!("{at}.lifecycle.preStop: archctl's hook sleeps or runs a command"));
        }
    }
    Ok((t, env))
}

fn env_value(ctx: &mut Ctx, ns: &str, e: &EnvVar) -> Result<T, String> {
    if let Some(v) = &e.value {
        return Ok(T::Str(v.clone()));
    }
    let Some(from) = &e.value_from else { return Err("a variable without a value".into()) };
    let mut t = Table::default();
    if let Some(s) = &from.secret_key_ref {
        if !ctx.use_secret(&s.name, ns, Some(&s.key)) {
            return Err(format!("a Secret `{}` of another namespace is imported", s.name));
        }
        t.set("secret", s.name.as_str());
        t.set("key", s.key.as_str());
        t.opt("optional", s.optional);
    } else if let Some(c) = &from.config_map_key_ref {
        if ctx.config_maps.get(&c.name).map(String::as_str) != Some(ns) {
            return Err(format!("the config map `{}` is not among the imported objects", c.name));
        }
        t.set("config_map", c.name.as_str());
        t.set("key", c.key.as_str());
        t.opt("optional", c.optional);
    } else if let Some(f) = &from.field_ref {
        t.set("field", f.field_path.as_str());
    } else if let Some(r) = &from.resource_field_ref {
        t.set("resource", r.resource.as_str());
    } else {
        return Err("a source archctl does not render".into());
    }
    Ok(T::Table(t))
}

fn env_from(ctx: &mut Ctx, ns: &str, e: &EnvFromSource) -> Result<Table, String> {
    let mut t = Table::default();
    if let Some(s) = &e.secret_ref {
        if !ctx.use_secret(&s.name, ns, None) {
            return Err(format!("a Secret `{}` of another namespace is imported", s.name));
        }
        t.set("secret", s.name.as_str());
        t.opt("optional", s.optional);
    } else if let Some(c) = &e.config_map_ref {
        if ctx.config_maps.get(&c.name).map(String::as_str) != Some(ns) {
            return Err(format!("the config map `{}` is not among the imported objects", c.name));
        }
        t.set("config_map", c.name.as_str());
        t.opt("optional", c.optional);
    } else {
        return Err("neither a Secret nor a ConfigMap".into());
    }
    t.opt("prefix", e.prefix.clone());
    Ok(t)
}

fn port(p: &IntOrString) -> T {
    match p {
        IntOrString::Int(n) => T::Int((*n).into()),
        IntOrString::String(s) => T::Str(s.clone()),
    }
}

fn probe(p: &Probe) -> Result<T, String> {
    let mut t = Table::default();
    if let Some(h) = &p.http_get {
        let Some(path) = &h.path else {
            return Err("httpGet without a `path`: archctl writes the path (the API server defaults it to `/`)".into());
        };
        t.set("http", path.as_str());
        t.opt("scheme", h.scheme.clone());
        t.set("port", port(&h.port));
    } else if let Some(e) = &p.exec {
        t.set("exec", e.command.clone().unwrap_or_default());
    } else if let Some(s) = &p.tcp_socket {
        t.set("tcp", true);
        t.set("port", port(&s.port));
    } else if let Some(g) = &p.grpc {
        t.set("grpc", true);
        t.set("port", g.port);
        t.opt("grpc_service", g.service.clone());
    } else {
        return Err("a probe without an action".into());
    }
    t.opt("initial_delay", p.initial_delay_seconds);
    t.opt("period", p.period_seconds);
    t.opt("timeout", p.timeout_seconds);
    t.opt("failure_threshold", p.failure_threshold);
    t.opt("success_threshold", p.success_threshold);
    Ok(T::Table(t))
}

/// Requests and limits as a resources table.
fn resources(ctx: &mut Ctx, r: &ResourceRequirements, at: &str, notes: &mut Vec<String>) -> Table {
    let mut t = Table::default();
    for (key, m) in [("requests", &r.requests), ("limits", &r.limits)] {
        let mut a = Table::default();
        for (name, q) in m.iter().flatten() {
            match name.as_str() {
                "cpu" => a.set("cpu", q.0.as_str()),
                "memory" => a.set("memory", q.0.as_str()),
                "ephemeral-storage" => a.set("ephemeral_storage", q.0.as_str()),
                "nvidia.com/gpu" => match q.0.parse::<u32>() {
                    Ok(n) => {
                        ctx.gpu = true;
                        a.set("gpu", i64::from(n));
                    }
                    Err(_) => notes.push(format!("{at}.{key}.nvidia.com/gpu: a GPU count is a whole number")),
                },
                other => notes.push(format!(
                    "{at}.{key}.{other}: archctl renders cpu, memory, ephemeral-storage and nvidia.com/gpu"
                )),
            }
        }
        if !a.is_empty() {
            t.set(key, a);
        }
    }
    t
}
