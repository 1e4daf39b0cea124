//! Network policies: a NetworkPolicy becomes `network_policies.NAME`, its
//! pods and peers selected by their labels exactly (`pod_labels`,
//! `namespace_labels`), its labels kept in `legacy` — the inverse of
//! `objects/network.rs`'s policies.

use k8s_openapi::api::networking::v1::{NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::Value;

use super::toml::{Section, Table, Value as T, strings};
use super::{Ctx, ns_of};

fn typed<T: serde::de::DeserializeOwned>(o: &Value) -> Result<T, String> {
    serde_json::from_value(o.clone()).map_err(|e| format!("it is not a valid object of its kind: {e}"))
}

/// A label selector's labels; `None` with a note for expressions, and
/// for an empty selector where archctl would write `matchLabels: {}`.
fn labels(s: &LabelSelector, at: &str, notes: &mut Vec<String>) -> Option<Table> {
    if s.match_expressions.as_ref().is_some_and(|e| !e.is_empty()) {
        notes.push(format!("{at}.matchExpressions: archctl selects by labels only"));
        return None;
    }
    Some(strings(s.match_labels.iter().flatten()))
}

/// A NetworkPolicy, and its notes.
pub(super) fn policy(ctx: &mut Ctx, o: &Value) -> Result<(Section, Vec<String>), String> {
    let p: NetworkPolicy = typed(o)?;
    let name = p.metadata.name.clone().unwrap_or_default();
    let ns = ns_of(o, &ctx.namespace);
    if let Some(other) = ctx.policies.get(&name)
        && *other != ns
    {
        return Err(format!(
            "a NetworkPolicy `{name}` of namespace `{other}` is imported: the topology names network policies uniquely"
        ));
    }
    let spec = p.spec.unwrap_or_default();
    let mut notes = Vec::new();
    let mut t = Table::default();
    ctx.namespace(&mut t, &ns);
    // the pods: by their labels exactly, or every pod of the namespace
    let pods = spec.pod_selector.clone().unwrap_or_default();
    if pods.match_expressions.as_ref().is_some_and(|e| !e.is_empty()) {
        return Err(
            "it selects its pods by `matchExpressions`, and archctl's policies select pods by labels (or a service)"
                .into(),
        );
    }
    if let Some(l) = pods.match_labels.as_ref().filter(|l| !l.is_empty()) {
        t.set("pod_labels", strings(l));
    }
    // the directions: archctl writes `policyTypes` from the rules it has
    let types = spec.policy_types.clone();
    let has = |k: &str| types.as_ref().is_some_and(|t| t.iter().any(|x| x == k));
    let (ingress, egress) = match &types {
        Some(_) => (has("Ingress"), has("Egress")),
        None => {
            let egress = spec.egress.as_ref().is_some_and(|e| !e.is_empty());
            notes.push(format!(
                "spec.policyTypes: archctl writes it, and it is not given (the API server defaults it to {})",
                if egress { "[Ingress, Egress]" } else { "[Ingress]" }
            ));
            (true, egress)
        }
    };
    if let Some(list) = &types {
        let written: Vec<&str> =
            [("Ingress", ingress), ("Egress", egress)].iter().filter(|(_, on)| *on).map(|(k, _)| *k).collect();
        if list.iter().map(String::as_str).ne(written.iter().copied()) {
            notes.push("spec.policyTypes: archctl writes `Ingress`, then `Egress`, each once".into());
        }
    }
    for (dir, on, has_rules) in [
        ("ingress", ingress, spec.ingress.as_ref().is_some_and(|r| !r.is_empty())),
        ("egress", egress, spec.egress.as_ref().is_some_and(|r| !r.is_empty())),
    ] {
        if !on && has_rules {
            notes.push(format!(
                "spec.{dir}: rules of a direction `policyTypes` leaves out, which Kubernetes ignores and archctl does not write"
            ));
        }
    }
    if ingress {
        let rules: Vec<T> = spec
            .ingress
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, r)| {
                rule("from", r.from.as_deref(), r.ports.as_deref(), &format!("spec.ingress[{i}]"), &mut notes)
            })
            .collect();
        t.set("ingress", T::Array(rules));
    }
    if egress {
        let rules: Vec<T> = spec
            .egress
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, r)| rule("to", r.to.as_deref(), r.ports.as_deref(), &format!("spec.egress[{i}]"), &mut notes))
            .collect();
        t.set("egress", T::Array(rules));
    }
    let mut legacy = Table::default();
    let own = super::labels(&o["metadata"]["labels"]);
    if !own.is_empty() {
        legacy.set("labels", own);
    }
    t.set("legacy", legacy);
    ctx.policies.insert(name.clone(), ns.clone());
    if !ctx.used_namespaces.contains(&ns) {
        ctx.used_namespaces.push(ns);
    }
    let mut s = Section::new(&["network_policies", &name]);
    s.table = t;
    Ok((s, notes))
}

/// One rule: its peers (`from` or `to`) and ports.
fn rule(
    key: &str,
    peers: Option<&[NetworkPolicyPeer]>,
    ports: Option<&[NetworkPolicyPort]>,
    at: &str,
    notes: &mut Vec<String>,
) -> T {
    let mut t = Table::default();
    let list: Vec<T> = peers
        .into_iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, p)| peer(p, &format!("{at}.{key}[{i}]"), notes).map(T::Table))
        .collect();
    if !list.is_empty() {
        t.set(key, T::Array(list));
    }
    let mut out = Vec::new();
    for (i, p) in ports.into_iter().flatten().enumerate() {
        let pat = format!("{at}.ports[{i}]");
        if p.end_port.is_some() {
            notes.push(format!("{pat}.endPort: archctl allows single ports"));
        }
        let Some(port) = &p.port else {
            notes.push(format!("{pat}: a protocol without a port, and archctl's policy ports name one"));
            continue;
        };
        out.push(match (port, &p.protocol) {
            (IntOrString::Int(n), None) => T::Int((*n).into()),
            (IntOrString::String(s), None) if s.parse::<i32>().is_err() => T::Str(s.clone()),
            (IntOrString::Int(n), Some(proto)) if *proto == proto.to_ascii_uppercase() => {
                T::Str(format!("{n}/{proto}"))
            }
            (IntOrString::String(s), Some(proto))
                if *proto == proto.to_ascii_uppercase() && s.parse::<i32>().is_err() =>
            {
                T::Str(format!("{s}/{proto}"))
            }
            _ => {
                notes.push(format!("{pat}: a port archctl does not write this way"));
                continue;
            }
        });
    }
    if !out.is_empty() {
        t.set("ports", T::Array(out));
    }
    T::Table(t)
}

/// One peer: an IP block, or namespaces and pods by their labels.
fn peer(p: &NetworkPolicyPeer, at: &str, notes: &mut Vec<String>) -> Option<Table> {
    let mut t = Table::default();
    if let Some(b) = &p.ip_block {
        if p.namespace_selector.is_some() || p.pod_selector.is_some() {
            notes.push(format!("{at}: an IP block with selectors, which Kubernetes refuses"));
            return None;
        }
        t.set("cidr", b.cidr.as_str());
        if let Some(e) = b.except.as_ref().filter(|e| !e.is_empty()) {
            t.set("except", e.clone());
        }
        return Some(t);
    }
    for (key, field, sel) in [
        ("namespace_labels", "namespaceSelector", &p.namespace_selector),
        ("pod_labels", "podSelector", &p.pod_selector),
    ] {
        if let Some(s) = sel {
            let sat = format!("{at}.{field}");
            let l = labels(s, &sat, notes)?;
            if s.match_labels.is_none() {
                notes.push(format!("{sat}: an empty selector, which archctl writes as `matchLabels: {{}}`"));
            }
            t.set(key, l);
        }
    }
    if t.is_empty() {
        notes.push(format!("{at}: a peer that selects nothing"));
        return None;
    }
    Some(t)
}

/// The ports of the Service of an imported service: (name, port).
pub(super) fn service_ports(sections: &[Section], service: &str) -> Option<Vec<(Option<String>, i64)>> {
    let s =
        sections.iter().find(|s| s.path.iter().map(String::as_str).eq(["services", service, "legacy", "service"]))?;
    let Some(T::Array(ports)) = s.table.get("ports") else { return Some(Vec::new()) };
    Some(
        ports
            .iter()
            .filter_map(|p| match p {
                T::Table(t) => {
                    let name = match t.get("name") {
                        Some(T::Str(n)) => Some(n.clone()),
                        _ => None,
                    };
                    match t.get("port") {
                        Some(T::Int(n)) => Some((name, *n)),
                        _ => None,
                    }
                }
                _ => None,
            })
            .collect(),
    )
}

/// An Ingress whose paths route to the Services of imported workloads. It
/// is imported whole or not at all: a route left out of the render would
/// be a route removed from the cluster by the next apply.
pub(super) fn ingress(ctx: &mut Ctx, o: &Value, services: &[Section]) -> Result<(Section, Vec<String>), String> {
    let ing: k8s_openapi::api::networking::v1::Ingress = typed(o)?;
    let name = ing.metadata.name.clone().unwrap_or_default();
    let ns = ns_of(o, &ctx.namespace);
    if let Some(other) = ctx.ingresses.get(&name)
        && *other != ns
    {
        return Err(format!(
            "an Ingress `{name}` of namespace `{other}` is imported: the topology names ingresses uniquely"
        ));
    }
    let spec = ing.spec.unwrap_or_default();
    let notes = Vec::new();
    let mut t = Table::default();
    ctx.namespace(&mut t, &ns);
    t.opt("class", spec.ingress_class_name.clone());
    let annotations = super::scaling::annotations_of(o);
    if !annotations.is_empty() {
        let mut a = Table::default();
        for (k, v) in &annotations {
            a.set(k, v.as_str().unwrap_or(""));
        }
        t.set("annotations", a);
    }
    let mut tls = Vec::new();
    for (i, x) in spec.tls.iter().flatten().enumerate() {
        let Some(secret) = &x.secret_name else {
            return Err(format!("spec.tls[{i}]: TLS without `secretName`, and archctl's TLS names its Secret"));
        };
        let mut e = Table::default();
        e.set("hosts", x.hosts.clone().unwrap_or_default());
        e.set("secret", secret.as_str());
        tls.push(T::Table(e));
    }
    if !tls.is_empty() {
        t.set("tls", T::Array(tls));
    }
    let mut rules = Vec::new();
    for (ri, r) in spec.rules.iter().flatten().enumerate() {
        let at = format!("spec.rules[{ri}]");
        let mut rt = Table::default();
        rt.opt("host", r.host.clone());
        let mut paths = Vec::new();
        let Some(http) = &r.http else {
            return Err(format!("{at}: a rule without `http` paths, which archctl does not write"));
        };
        for (pi, p) in http.paths.iter().enumerate() {
            let pat = format!("{at}.http.paths[{pi}]");
            let Some(b) = &p.backend.service else {
                return Err(format!("{pat}.backend: archctl routes to services only"));
            };
            let Some(path) = p.path.as_ref().filter(|p| p.starts_with('/')) else {
                return Err(format!("{pat}.path: archctl writes a path that starts with `/`"));
            };
            // the backend: a Service of an imported workload, with that port
            let Some(ports) = service_ports(services, &b.name).filter(|_| ctx.services.get(&b.name) == Some(&ns))
            else {
                return Err(format!(
                    "{pat}: it routes to the Service `{}`, which is not among the imported objects of a workload of namespace `{ns}`",
                    b.name
                ));
            };
            let port = match b.port.as_ref().map(|p| (&p.number, &p.name)) {
                Some((Some(n), None)) if ports.iter().any(|(_, q)| *q == i64::from(*n)) => T::Int((*n).into()),
                Some((None, Some(n))) if ports.iter().any(|(q, _)| q.as_deref() == Some(n.as_str())) => {
                    T::Str(n.clone())
                }
                _ => {
                    return Err(format!(
                        "{pat}.backend.service.port: not a port of the Service `{}` by number or name",
                        b.name
                    ));
                }
            };
            let mut pt = Table::default();
            pt.set("path", path.as_str());
            if p.path_type != "Prefix" {
                pt.set("type", p.path_type.as_str());
            }
            pt.set("service", b.name.as_str());
            pt.set("port", port);
            paths.push(T::Table(pt));
        }
        if paths.is_empty() {
            return Err(format!("{at}: a rule without paths, and archctl writes a rule with paths"));
        }
        rt.set("paths", T::Array(paths));
        rules.push(T::Table(rt));
    }
    if rules.is_empty() {
        return Err("no rule routes to the Service of an imported workload".into());
    }
    t.set("rules", T::Array(rules));
    let mut legacy = Table::default();
    let own = super::labels(&o["metadata"]["labels"]);
    if !own.is_empty() {
        legacy.set("labels", own);
    }
    t.set("legacy", legacy);
    ctx.ingresses.insert(name.clone(), ns.clone());
    if !ctx.used_namespaces.contains(&ns) {
        ctx.used_namespaces.push(ns);
    }
    let mut s = Section::new(&["ingresses", &name]);
    s.table = t;
    Ok((s, notes))
}
