//! Practice checks: warnings about a resolved system that Kubernetes would
//! accept but a reviewer would question. Each has a stable code; a
//! topology may allow codes under `[checks] allow`.

use crate::diagnostic::{Diagnostic, Severity};
use crate::topology::model::{Kind, ServiceType};
use crate::topology::path::TomlPath;
use crate::topology::resolve::Resolved;

fn warning(code: &'static str, message: String) -> Diagnostic {
    let mut d = Diagnostic::error(code, message);
    d.severity = Severity::Warning;
    d
}

/// The image's tag, or None when it has none.
fn tag(image: &str) -> Option<&str> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    last.split_once(':').map(|(_, t)| t)
}

/// All practice warnings of one resolved render.
pub fn lints(r: &Resolved) -> Vec<Diagnostic> {
    let topo = &r.topology;
    let mut out = Vec::new();
    let production = r.profile.as_deref().is_some_and(|p| p.contains("prod"));
    let default_ns = &r.default_namespace;
    for (name, st) in &topo.secret_stores {
        if st.api_version.as_deref() == Some("v1beta1") {
            out.push(
                warning("W010", format!("secret store `{name}` asks for external-secrets.io/v1beta1"))
                    .at(&TomlPath::root().key("secret_stores").key(name.clone()).key("api_version"))
                    .with_help("external-secrets 0.17 and later serve only v1, and apply fails there: remove `api_version` (v1 is the default) unless the cluster runs an older release"),
            );
        }
    }
    for (name, svc) in &topo.services {
        let path = TomlPath::root().key("services").key(name.clone());
        let Some(v) = r.services.get(name) else { continue };
        let long_running = !svc.kind.is_batch();
        let c = &svc.container;
        if production {
            let t = tag(&c.image);
            if t.is_none() || t == Some("latest") {
                out.push(
                    warning(
                        "W001",
                        format!(
                            "`{}` runs an unpinned image in profile `{}`",
                            name,
                            r.profile.as_deref().unwrap_or("")
                        ),
                    )
                    .at(&path.key("container").key("image"))
                    .with_help("pin a version (`:1.4.2`) or a digest, so that a rollout is repeatable"),
                );
            }
        }
        if long_running && !c.ports.is_empty() && c.probes.liveness.is_none() && c.probes.readiness.is_none() {
            out.push(
                warning("W002", format!("`{name}` serves ports but has no liveness or readiness probe"))
                    .at_key(&path.key("container"))
                    .with_help("add `probes.readiness` so traffic waits for the pod, and `probes.liveness` to restart a hung one"),
            );
        }
        if v.resources.is_empty() {
            out.push(
                warning("W003", format!("`{name}` sets no resources"))
                    .at_key(&path)
                    .with_help("without requests the scheduler packs blindly and autoscalers have nothing to scale on: set `resources`"),
            );
        }
        if svc.disruption.is_some() && topo.features.disruption_budgets && v.min_replicas().unwrap_or(1) == 1 {
            out.push(
                warning("W004", format!("`{name}` has a disruption budget but runs a single replica"))
                    .at_key(&path.key("disruption"))
                    .with_help("a budget keeps a service available only with two or more replicas"),
            );
        }
        if let (Some(a), Some(vpa)) = (&svc.autoscaling, &svc.vpa)
            && topo.features.vpa
            && (a.cpu.is_some() || a.memory.is_some())
            && vpa.mode.as_deref().is_none_or(|m| m != "Off" && m != "Initial")
        {
            out.push(
                warning("W006", format!("`{name}` is scaled by an HPA on CPU or memory and by a VPA that changes requests"))
                    .at_key(&path.key("vpa"))
                    .with_help("the two fight over the same signal: set the VPA's `mode = \"Off\"` (recommendations only) or scale the HPA on another metric"),
            );
        }
        if let (Some(rep), Some((lo, hi))) = (v.replicas, v.hpa)
            && (rep < lo || rep > hi)
        {
            out.push(
                warning("W008", format!("`{name}` asks for {rep} replicas, outside its autoscaler's {lo}..{hi}"))
                    .at(&path.key("replicas"))
                    .with_help("the HPA owns the count while it is on: keep `replicas` within `min` and `max`"),
            );
        }
        if svc.kind == Kind::StatefulSet
            && svc.service.as_ref().and_then(|s| s.kind).is_some_and(|k| k != ServiceType::Headless)
        {
            out.push(
                warning("W009", format!("statefulset `{name}` has no headless governing service"))
                    .at(&path.key("service").key("type"))
                    .with_help("pods get stable DNS names only through a headless service: remove `type` or set it to `Headless`"),
            );
        }
        // env values naming a cluster service must name one of ours
        let all_env = std::iter::once((path.key("container"), c))
            .chain(svc.sidecars.iter().enumerate().map(|(i, s)| (path.key("sidecars").index(i), s)))
            .flat_map(|(cpath, c)| c.env.iter().map(move |(k, v)| (cpath.clone(), k, v)));
        for (cpath, var, value) in all_env {
            let crate::topology::model::EnvValue::Plain(text) = value else { continue };
            for (svc_name, ns, port) in cluster_addresses(text) {
                let target = topo.services.get(&svc_name);
                let target_ns = target.map(|t| t.namespace.clone().unwrap_or_else(|| default_ns.clone()));
                let epath = cpath.key("env").key(var.clone());
                if target.is_none() || target_ns.as_deref() != Some(ns.as_str()) {
                    out.push(
                        warning("W007", format!("env `{var}` of `{name}` points at `{svc_name}.{ns}`, which the topology does not define"))
                            .at(&epath)
                            .with_help("check the name and namespace; for services managed elsewhere, allow the check with `[checks] allow = [\"W007\"]`"),
                    );
                } else if let (Some(p), Some(t)) = (port, target) {
                    let exposed = t
                        .container
                        .ports
                        .values()
                        .chain(t.sidecars.iter().flat_map(|c| c.ports.values()))
                        .any(|x| x.service_port.unwrap_or(x.port) == p);
                    if !exposed {
                        out.push(
                            warning(
                                "W007",
                                format!("env `{var}` of `{name}` uses port {p}, which `{svc_name}` does not expose"),
                            )
                            .at(&epath)
                            .with_help(format!("declare the port on `{svc_name}` or fix the address")),
                        );
                    }
                }
            }
        }
    }
    // a LoadBalancer that an Ingress already fronts costs a cloud balancer for nothing
    for (iname, ing) in &topo.ingresses {
        for rule in &ing.rules {
            for p in &rule.paths {
                let lb = topo.services.get(&p.service).and_then(|s| s.service.as_ref()).and_then(|s| s.kind)
                    == Some(ServiceType::LoadBalancer);
                if lb {
                    out.push(
                        warning("W005", format!("`{}` is a LoadBalancer and also behind ingress `{iname}`", p.service))
                            .at(&TomlPath::root().key("services").key(p.service.clone()).key("service").key("type"))
                            .with_help("the ingress already routes to it: `ClusterIP` avoids paying for a second load balancer"),
                    );
                }
            }
        }
    }
    out.retain(|d| !topo.checks.allow.iter().any(|a| a == d.code));
    out.dedup();
    out
}

/// `(service, namespace, port)` of every `<svc>.<ns>.svc[.cluster.local][:port]`
/// in a string (URLs included).
fn cluster_addresses(text: &str) -> Vec<(String, String, Option<i32>)> {
    let mut out = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || c == ',' || c == '"' || c == '\'') {
        // the host after any user-info (`redis://user:secret@redis.data.svc`)
        let host_port = crate::address::without_userinfo(word);
        let host_port = host_port.split('/').next().unwrap_or(host_port);
        let (host, port) = match host_port.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<i32>().ok()),
            None => (host_port, None),
        };
        let parts: Vec<&str> = host.split('.').collect();
        if parts.len() >= 3 && parts[2] == "svc" && (parts.len() == 3 || parts[3..] == ["cluster", "local"]) {
            out.push((parts[0].to_string(), parts[1].to_string(), port));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::cluster_addresses;

    #[test]
    fn finds_cluster_service_addresses() {
        assert_eq!(
            cluster_addresses("bolt://neo4j.data.svc.cluster.local:7687"),
            [("neo4j".to_string(), "data".to_string(), Some(7687))]
        );
        assert_eq!(cluster_addresses("nats://nats.percolate.svc:4222")[0].2, Some(4222));
        assert_eq!(cluster_addresses("redis.data.svc.cluster.local")[0].0, "redis");
        assert!(cluster_addresses("https://s3.amazonaws.com").is_empty());
        assert!(cluster_addresses("a.b.svc.example.com").is_empty());
        assert_eq!(
            cluster_addresses("redis://app:secret@redis.data.svc:6379/0"),
            [("redis".to_string(), "data".to_string(), Some(6379))]
        );
    }
}
