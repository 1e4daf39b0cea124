//! Practice checks: warnings about a resolved system that Kubernetes would
//! accept but a reviewer would question. Each has a stable code; a
//! topology may allow codes under `[checks] allow`.

use crate::diagnostic::path::TomlPath;
use crate::diagnostic::{Diagnostic, Severity};
use crate::k8s::image::ImageRef;
use crate::resolve::Resolved;
use crate::topology::{Kind, ServiceType};

fn warning(code: &'static str, message: String) -> Diagnostic {
    let mut d = Diagnostic::error(code, message);
    d.severity = Severity::Warning;
    d
}

/// All practice warnings of one resolved render.
pub fn lints(r: &Resolved) -> Vec<Diagnostic> {
    let topo = &r.topology;
    let mut out = Vec::new();
    let production = r.profile.as_deref().is_some_and(|p| p.contains("prod"));
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
        if production && !ImageRef::parse(&c.image).is_pinned() {
            out.push(
                warning(
                    "W001",
                    format!("`{}` runs an unpinned image in profile `{}`", name, r.profile.as_deref().unwrap_or("")),
                )
                .at(&path.key("container").key("image"))
                .with_help("pin a version (`:1.4.2`) or a digest, so that a rollout is repeatable"),
            );
        }
        if long_running && !c.ports.is_empty() && c.probes.liveness.is_none() && c.probes.readiness.is_none() {
            out.push(
                warning("W002", format!("`{name}` serves ports but has no liveness or readiness probe"))
                    .at_key(&path.key("container"))
                    .with_help("add `probes.readiness` so traffic waits for the pod, and `probes.liveness` to restart a hung one"),
            );
        }
        if let Some(vpa) = &svc.vpa
            && topo.features.vpa
            && vpa.mode.as_deref() == Some("Auto")
        {
            out.push(
                warning("W012", format!("`{name}`'s VPA uses the deprecated update mode `Auto`"))
                    .at(&path.key("vpa").key("mode"))
                    .with_help("VPA 1.4 and later deprecate `Auto` (it means `Recreate` and will be removed): write `mode = \"Recreate\"`, or `\"InPlaceOrRecreate\"` to resize pods in place where the cluster can"),
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
            let crate::topology::EnvValue::Plain(text) = value else { continue };
            for (svc_name, ns, port) in cluster_addresses(text) {
                let target = topo.services.get(&svc_name);
                let target_ns = target.map(|t| topo.namespace_of(&t.namespace).to_string());
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
    policy_ports(r, &mut out);
    legacy(topo, &mut out);
    out.retain(|d| !topo.checks.allow.iter().any(|a| a == d.code));
    out.dedup();
    out
}

/// W011: a network policy port given by name that no container of the
/// pods it applies to declares (with that protocol). Named ports resolve
/// against the pods' container ports: a name none of them has allows
/// nothing. For ingress rules those are the pods the policy selects; for
/// egress rules the peers' pods, known when every peer is a `service`.
fn policy_ports(r: &Resolved, out: &mut Vec<Diagnostic>) {
    use crate::topology::Service;
    use crate::validate::ports::{PolicyPort, policy_port};
    let topo = &r.topology;
    if !topo.features.network_policies {
        return;
    }
    for (name, pol) in &topo.network_policies {
        let path = TomlPath::root().key("network_policies").key(name.clone());
        let ns = r.topology.namespace_of(&pol.namespace).to_string();
        let selected: Vec<(&str, &Service)> = crate::k8s::labels::selected_by(pol, topo);
        for (dir, rules) in [("ingress", &pol.ingress), ("egress", &pol.egress)] {
            for (i, rule) in rules.iter().flatten().enumerate() {
                let targets: Vec<(&str, &Service)> = if dir == "ingress" {
                    selected.clone()
                } else if !rule.to.is_empty() && rule.to.iter().all(|p| p.service.is_some()) {
                    rule.to
                        .iter()
                        .filter_map(|p| topo.services.get_key_value(p.service.as_deref()?))
                        .map(|(k, v)| (k.as_str(), v))
                        .collect()
                } else {
                    continue; // peers outside the topology: their ports are unknown
                };
                if targets.is_empty() {
                    continue;
                }
                for (j, port) in rule.ports.iter().enumerate() {
                    let Ok(PolicyPort::Name(port_name, proto)) = policy_port(port) else { continue };
                    let proto = proto.unwrap_or_else(|| "TCP".into());
                    let ports = || {
                        targets.iter().flat_map(|(_, s)| {
                            std::iter::once(&s.container).chain(&s.sidecars).filter_map(|c| c.ports.get(&port_name))
                        })
                    };
                    if ports().any(|p| p.protocol.as_deref().unwrap_or("TCP") == proto) {
                        continue;
                    }
                    let whose = match targets.as_slice() {
                        [(one, _)] => format!("`{one}`"),
                        _ if dir == "ingress" => format!("the pods of namespace `{ns}`"),
                        _ => "the peers".to_string(),
                    };
                    let (message, help) = match ports().next() {
                        Some(p) => (
                            format!(
                                "network policy `{name}` allows port `{port_name}` over {proto}, and {whose} declares it over {}",
                                p.protocol.as_deref().unwrap_or("TCP")
                            ),
                            format!(
                                "a named port matches by name and protocol: write `\"{port_name}/{}\"`",
                                p.protocol.as_deref().unwrap_or("TCP")
                            ),
                        ),
                        None => (
                            format!("network policy `{name}` allows port `{port_name}`, which no container of {whose} declares"),
                            "a named port allows nothing unless a container of the pods declares it: fix the name, use the port number, or declare the port".to_string(),
                        ),
                    };
                    out.push(
                        warning("W011", message).at(&path.key(dir).index(i).key("ports").index(j)).with_help(help),
                    );
                }
            }
        }
    }
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

/// W013: labels and selectors kept from another tool.
fn legacy(topo: &crate::topology::Topology, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &topo.services {
        if svc.legacy.is_some() {
            let immutable = matches!(svc.kind, Kind::Deployment | Kind::StatefulSet);
            out.push(
                warning("W013", format!("`{name}` keeps legacy labels{}", if immutable { " and selector" } else { "" }))
                    .at_key(&TomlPath::root().key("services").key(name.clone()).key("legacy"))
                    .with_help(if immutable {
                        "its selector is immutable: to move to the recommended labels, remove `legacy`, then delete and recreate the workload (`kubectl delete`, then apply)"
                    } else {
                        "remove `legacy` to use the recommended labels; the next run of the job gets them"
                    }),
            );
        }
    }
    // objects of their own tables, relabelled in place by an apply
    fn kept<T>(m: &indexmap::IndexMap<String, T>, has: impl Fn(&T) -> bool) -> Vec<&String> {
        m.iter().filter(|(_, x)| has(x)).map(|(n, _)| n).collect()
    }
    let tables = [
        ("claims", "claim", kept(&topo.claims, |x| x.legacy.is_some())),
        ("namespaces", "namespace", kept(&topo.namespaces, |x| x.legacy.is_some())),
        ("ingresses", "ingress", kept(&topo.ingresses, |x| x.legacy.is_some())),
        ("network_policies", "network policy", kept(&topo.network_policies, |x| x.legacy.is_some())),
        ("config_maps", "config map", kept(&topo.config_maps, |x| x.legacy.is_some())),
        ("storage_classes", "storage class", kept(&topo.storage_classes, |x| x.legacy.is_some())),
        ("gateways", "gateway", kept(&topo.gateways, |x| x.legacy.is_some())),
        ("routes", "route", kept(&topo.routes, |x| x.legacy.is_some())),
        ("secrets", "external secret", kept(&topo.secrets, |x| x.legacy.is_some())),
    ];
    for (table, what, names) in tables {
        for name in names {
            out.push(
                warning("W013", format!("{what} `{name}` keeps legacy labels"))
                    .at_key(&TomlPath::root().key(table).key(name.clone()).key("legacy"))
                    .with_help("remove `legacy` to use the recommended labels (an apply changes them in place)"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::cluster_addresses;

    /// The W011 findings of a topology: (message, `ports` path).
    fn policy_port_warnings(topology: &str) -> Vec<(String, String)> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("archctl.toml"), topology).unwrap();
        let target = crate::pipeline::Target::default();
        let checked = crate::pipeline::check(&dir.path().join("archctl.toml"), &target)
            .unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
        checked
            .warnings
            .into_iter()
            .filter(|d| d.code == "W011")
            .map(|d| match d.anchor {
                crate::diagnostic::Anchor::Path { path, .. } => (d.message, path.to_string()),
                _ => (d.message, String::new()),
            })
            .collect()
    }

    const POLICIES: &str = r#"
[project]
name = "shop"
[services.web]
kind = "deployment"
container = { image = "web:1", ports = { http = 8080, dns = { port = 5353, protocol = "UDP" } } }
resources = "small"
[services.db]
kind = "statefulset"
container = { image = "db:1", ports = { pg = 5432 } }
resources = "small"
[network_policies.web-in]
service = "web"
ingress = [{ ports = ["http", 8080, "metrics", "dns/UDP", "dns"] }]
egress = [{ to = [{ service = "db" }], ports = ["pg", "postgres"] }, { to = [{ cidr = "0.0.0.0/0" }], ports = ["https"] }]
[network_policies.all-in]
ingress = [{ ports = ["pg", "grpc"] }]
"#;

    #[test]
    fn named_policy_ports_that_no_container_declares() {
        let found = policy_port_warnings(POLICIES);
        assert_eq!(
            found,
            [
                (
                    "network policy `web-in` allows port `metrics`, which no container of `web` declares".to_string(),
                    "network_policies.web-in.ingress[0].ports[2]".to_string()
                ),
                (
                    "network policy `web-in` allows port `dns` over TCP, and `web` declares it over UDP".to_string(),
                    "network_policies.web-in.ingress[0].ports[4]".to_string()
                ),
                (
                    "network policy `web-in` allows port `postgres`, which no container of `db` declares".to_string(),
                    "network_policies.web-in.egress[0].ports[1]".to_string()
                ),
                (
                    "network policy `all-in` allows port `grpc`, which no container of the pods of namespace `shop` declares"
                        .to_string(),
                    "network_policies.all-in.ingress[0].ports[1]".to_string()
                ),
            ]
        );
        let allowed = format!("[checks]\nallow = [\"W011\"]\n{POLICIES}");
        assert_eq!(policy_port_warnings(&allowed), []);
    }

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
