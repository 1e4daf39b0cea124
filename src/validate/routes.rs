//! Rule: Gateway API gateways and routes — a route's gateway is declared (or
//! marked external) and has the listener it names; backends are services and
//! ports that exist; host names are DNS names (a `*` only as the whole first
//! label); weights are within 0–1000000; no two matches claim the same host,
//! path, method and headers on one gateway listener.

use std::collections::HashMap;

use super::ingress::host;
use super::network::{service_ports, unknown_service};
use super::one_of;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::diagnostic::suggest;
use crate::topology::{GatewayRef, PortRef, Topology};

/// The largest weight the Gateway API accepts.
const MAX_WEIGHT: i32 = 1_000_000;

fn host_error(h: &str, why: &str, path: &TomlPath) -> Diagnostic {
    Diagnostic::error("E038", format!("`{h}` is not a valid host name: it {why}"))
        .at(path)
        .with_help("write a lowercase DNS name (`shop.example.com`), or a wildcard as `*.example.com`")
}

pub(super) fn check(topo: &Topology, out: &mut Vec<Diagnostic>) {
    let root = TomlPath::root();
    for (name, gw) in &topo.gateways {
        let gpath = root.key("gateways").key(name.clone());
        if gw.external {
            continue;
        }
        if gw.class.is_none() {
            out.push(Diagnostic::error("E006", format!("gateway `{name}` has no `class`")).at_key(&gpath).with_help(
                "name its GatewayClass (`class = \"istio\"`), or mark it `external = true` if it exists in the cluster",
            ));
        }
        if gw.listeners.is_empty() {
            out.push(
                Diagnostic::error("E006", format!("gateway `{name}` has no listeners"))
                    .at_key(&gpath)
                    .with_help("add one: `listeners = [{ name = \"http\", protocol = \"HTTP\", port = 80 }]`"),
            );
        }
        for (i, l) in gw.listeners.iter().enumerate() {
            let lpath = gpath.key("listeners").index(i);
            one_of(Some(&l.protocol), &["HTTP", "HTTPS", "TLS", "TCP", "UDP"], lpath.key("protocol"), out);
            if !(1..=65535).contains(&l.port) {
                out.push(
                    Diagnostic::error("E022", format!("listener port {} is out of range", l.port))
                        .at(&lpath.key("port"))
                        .with_help("a port is 1–65535"),
                );
            }
            if let Some(h) = &l.hostname
                && let Err(why) = host(h, true)
            {
                out.push(host_error(h, &why, &lpath.key("hostname")));
            }
            if l.protocol == "HTTPS" && l.certificates.is_empty() {
                out.push(
                    Diagnostic::error("E006", format!("HTTPS listener `{}` has no certificate", l.name))
                        .at(&lpath)
                        .with_help("name the Secret of its certificate: `certificates = [\"shop-tls\"]`"),
                );
            }
        }
    }

    // (gateway namespace, gateway, section, host, match) → the first route that claimed it
    let mut claimed: HashMap<(String, String, String, String, String), String> = HashMap::new();
    for (name, rt) in &topo.routes {
        let rpath = root.key("routes").key(name.clone());
        one_of(rt.kind.as_deref(), &["http", "grpc"], rpath.key("kind"), out);
        let grpc = rt.kind.as_deref() == Some("grpc");
        let ns = topo.namespace_of(&rt.namespace).to_string();
        let target = rt.gateway.target();
        let gref_path = match &rt.gateway {
            GatewayRef::Name(_) => rpath.key("gateway"),
            GatewayRef::Target(_) => rpath.key("gateway").key("name"),
        };
        match topo.gateways.get(&target.name) {
            None if !target.external => out.push(
                Diagnostic::error("E056", format!("route `{name}` attaches to gateway `{}`, which is not declared", target.name))
                    .at(&gref_path)
                    .with_help(match suggest::closest(&target.name, topo.gateways.keys().map(String::as_str)) {
                        Some(c) => format!("did you mean `{c}`? Otherwise declare `[gateways.{}]`, or write `gateway = {{ name = \"{}\", namespace = \"…\", external = true }}` for one that exists in the cluster", target.name, target.name),
                        None => format!("declare `[gateways.{}]` (with `external = true` if it exists in the cluster), or write `gateway = {{ name = \"{}\", namespace = \"…\", external = true }}`", target.name, target.name),
                    }),
            ),
            Some(gw) if !gw.external => {
                if let Some(s) = &target.section
                    && !gw.listeners.iter().any(|l| l.name == *s)
                {
                    let names: Vec<&str> = gw.listeners.iter().map(|l| l.name.as_str()).collect();
                    out.push(
                        Diagnostic::error("E056", format!("gateway `{}` has no listener `{s}`", target.name))
                            .at(&rpath.key("gateway").key("section"))
                            .with_help(suggest::help(s, "listeners", names)),
                    );
                }
            }
            _ => {}
        }
        let gw_ns = topo.gateway_namespace(&ns, &target);
        for (i, h) in rt.hostnames.iter().enumerate() {
            if let Err(why) = host(h, true) {
                out.push(host_error(h, &why, &rpath.key("hostnames").index(i)));
            }
        }
        if rt.rules.is_empty() {
            out.push(
                Diagnostic::error("E006", format!("route `{name}` has no rules"))
                    .at_key(&rpath)
                    .with_help("add one: `[[routes.<name>.rules]]` with `backends = [{ service = \"web\" }]`"),
            );
        }
        for (ri, rule) in rt.rules.iter().enumerate() {
            let rule_path = rpath.key("rules").index(ri);
            if rule.backends.is_empty() {
                out.push(
                    Diagnostic::error("E006", "a route rule needs at least one backend")
                        .at(&rule_path.key("backends"))
                        .with_help("send the traffic to a service: `backends = [{ service = \"web\" }]`"),
                );
            }
            for (bi, b) in rule.backends.iter().enumerate() {
                let bpath = rule_path.key("backends").index(bi);
                if let Some(w) = b.weight
                    && !(0..=MAX_WEIGHT).contains(&w)
                {
                    out.push(
                        Diagnostic::error("E058", format!("weight {w} is out of range"))
                            .at(&bpath.key("weight"))
                            .with_help(
                                "a backend's weight is 0–1000000; weights are relative (`90` and `10` split 9:1)",
                            ),
                    );
                }
                let Some(svc) = topo.services.get(&b.service) else {
                    out.push(unknown_service(topo, &b.service, &bpath.key("service")));
                    continue;
                };
                let ports = service_ports(svc);
                let found = match &b.port {
                    None => !ports.is_empty(),
                    Some(PortRef::Number(n)) => ports.iter().any(|(_, q)| q == n),
                    Some(PortRef::Name(n)) => ports.iter().any(|(q, _)| q == n),
                };
                if !found {
                    let list: Vec<String> = ports.iter().map(|(n, q)| format!("{n} ({q})")).collect();
                    let what = match &b.port {
                        Some(PortRef::Number(n)) => format!("port {n}"),
                        Some(PortRef::Name(n)) => format!("port `{n}`"),
                        None => "a port".to_string(),
                    };
                    out.push(
                        Diagnostic::error("E053", format!("service `{}` has no {what}", b.service))
                            .at(&bpath.key(if b.port.is_some() { "port" } else { "service" }))
                            .with_help(if list.is_empty() {
                                format!("`{}` exposes no ports through a Service", b.service)
                            } else {
                                format!("its Service ports are: {}", list.join(", "))
                            }),
                    );
                }
            }
            let matches: Vec<(TomlPath, String)> = if rule.matches.is_empty() {
                vec![(rule_path.clone(), if grpc { "any method".into() } else { "path prefix `/`".into() })]
            } else {
                rule.matches
                    .iter()
                    .enumerate()
                    .map(|(mi, m)| {
                        let mpath = rule_path.key("matches").index(mi);
                        if grpc {
                            if m.path.is_some() || m.kind.is_some() {
                                out.push(
                                    Diagnostic::error("E030", "a gRPC route matches methods, not paths")
                                        .at_key(&mpath.key(if m.path.is_some() { "path" } else { "type" }))
                                        .with_help(
                                            "write `grpc_service = \"shop.Cart\"` and `grpc_method = \"AddItem\"`",
                                        ),
                                );
                            }
                        } else {
                            if m.grpc_service.is_some() || m.grpc_method.is_some() {
                                out.push(
                                    Diagnostic::error("E030", "an HTTP route matches paths, not gRPC methods")
                                        .at_key(&mpath.key(if m.grpc_service.is_some() {
                                            "grpc_service"
                                        } else {
                                            "grpc_method"
                                        }))
                                        .with_help("set `kind = \"grpc\"` on the route, or match a `path`"),
                                );
                            }
                            one_of(
                                m.kind.as_deref(),
                                &["PathPrefix", "Exact", "RegularExpression"],
                                mpath.key("type"),
                                out,
                            );
                            if let Some(p) = &m.path
                                && m.kind.as_deref() != Some("RegularExpression")
                                && !p.starts_with('/')
                            {
                                out.push(
                                    Diagnostic::error("E033", format!("route path `{p}` must start with `/`"))
                                        .at(&mpath.key("path"))
                                        .with_help(format!("write `/{p}`")),
                                );
                            }
                        }
                        let mut headers: Vec<String> =
                            m.headers.iter().map(|(k, v)| format!("{}={v}", k.to_ascii_lowercase())).collect();
                        headers.sort();
                        let what = if grpc {
                            format!(
                                "method `{}/{}`",
                                m.grpc_service.as_deref().unwrap_or("*"),
                                m.grpc_method.as_deref().unwrap_or("*")
                            )
                        } else {
                            format!(
                                "{} `{}`",
                                m.kind.as_deref().unwrap_or("PathPrefix"),
                                m.path.as_deref().unwrap_or("/")
                            )
                        };
                        let what = if headers.is_empty() {
                            what
                        } else {
                            format!("{what} with headers {}", headers.join(", "))
                        };
                        (mpath, what)
                    })
                    .collect()
            };
            let hosts: Vec<&str> =
                if rt.hostnames.is_empty() { vec![""] } else { rt.hostnames.iter().map(String::as_str).collect() };
            for (mpath, what) in matches {
                for h in &hosts {
                    let key = (
                        gw_ns.clone(),
                        target.name.clone(),
                        target.section.clone().unwrap_or_default(),
                        h.to_string(),
                        format!("{}:{what}", if grpc { "grpc" } else { "http" }),
                    );
                    match claimed.get(&key) {
                        Some(first) => {
                            let on = if h.is_empty() { "every host".to_string() } else { format!("host `{h}`") };
                            out.push(
                                Diagnostic::error(
                                    "E057",
                                    format!("route `{name}` claims {what} on {on} of gateway `{}`, as route `{first}` does", target.name),
                                )
                                .at(&mpath)
                                .with_help("the gateway would send these requests to one of them only: change the path, host or headers, or merge the routes' backends"),
                            );
                        }
                        None => {
                            claimed.insert(key, name.clone());
                        }
                    }
                }
            }
        }
    }
}
