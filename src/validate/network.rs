//! Rule: ingress paths, network policy peers, metrics endpoints and secret
//! stores point at services, ports and stores that exist.

use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::diagnostic::suggest;
use crate::topology::{Kind, PortRef, Service, ServiceType, Topology};

/// The ports a service's Service exposes: (name, port number).
pub(super) fn service_ports(svc: &Service) -> Vec<(String, i32)> {
    // a legacy service's Service is exactly its `legacy.service`
    if let Some(l) = &svc.legacy {
        let ports = l.service.iter().flat_map(|s| s.ports.iter());
        return ports.map(|p| (p.name.clone().unwrap_or_default(), p.port)).collect();
    }
    if svc.kind.is_batch() || svc.service.as_ref().and_then(|s| s.kind) == Some(ServiceType::None) {
        return Vec::new();
    }
    svc.container
        .ports
        .iter()
        .chain(svc.sidecars.iter().flat_map(|c| c.ports.iter()))
        .filter(|(_, p)| p.expose)
        .map(|(n, p)| (n.clone(), p.service_port.unwrap_or(p.port)))
        .collect()
}

pub(super) fn unknown_service(topo: &Topology, name: &str, path: &TomlPath) -> Diagnostic {
    Diagnostic::error("E053", format!("service `{name}` is not declared")).at(path).with_help(suggest::help(
        name,
        "services",
        topo.services.keys().map(String::as_str).collect::<Vec<_>>(),
    ))
}

pub(super) fn check(topo: &Topology, out: &mut Vec<Diagnostic>) {
    let root = TomlPath::root();

    for (svc_name, svc) in &topo.services {
        let path = root.key("services").key(svc_name.clone());
        // one Service gathers the ports of every container: names must not clash
        let mut seen: Vec<&str> = Vec::new();
        for (i, c) in svc.sidecars.iter().enumerate() {
            for pname in c.ports.keys() {
                if svc.container.ports.contains_key(pname) || seen.contains(&pname.as_str()) {
                    out.push(
                        Diagnostic::error(
                            "E021",
                            format!("port name `{pname}` is used by two containers of `{svc_name}`"),
                        )
                        .at_key(&path.key("sidecars").index(i).key("ports").key(pname.clone()))
                        .with_help("the Service lists every container's ports by name: give this one another name"),
                    );
                }
                seen.push(pname);
            }
        }
        if let Some(m) = &svc.metrics {
            let ports = service_ports(svc);
            if !ports.iter().any(|(n, _)| *n == m.port) {
                out.push(
                    Diagnostic::error(
                        "E054",
                        format!("metrics port `{}` is not a port of the Service of `{svc_name}`", m.port),
                    )
                    .at(&path.key("metrics").key("port"))
                    .with_help(if ports.is_empty() {
                        "a ServiceMonitor scrapes through the Service: declare the container port first".to_string()
                    } else {
                        suggest::help(&m.port, "ports", ports.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>())
                    }),
                );
            }
        }
        if let Some(k) = &svc.keda
            && k.triggers.is_empty()
        {
            out.push(
                Diagnostic::error("E006", "a KEDA scaler needs at least one trigger")
                    .at_key(&path.key("keda"))
                    .with_help("add `[[services.<name>.keda.triggers]]` with a `type` and its `metadata`"),
            );
        }
        for (key, set) in
            [("autoscaling", svc.autoscaling.is_some()), ("keda", svc.keda.is_some()), ("vpa", svc.vpa.is_some())]
        {
            if set && !matches!(svc.kind, Kind::Deployment | Kind::StatefulSet) {
                out.push(
                    Diagnostic::error("E030", format!("`{key}` does not apply to a {}", svc.kind.as_str()))
                        .at_key(&path.key(key))
                        .with_help("autoscalers scale deployments and statefulsets"),
                );
            }
        }
    }

    for (name, st) in &topo.secret_stores {
        let path = root.key("secret_stores").key(name.clone());
        if let Some(v) = &st.api_version
            && !["v1beta1", "v1"].contains(&v.as_str())
        {
            out.push(
                Diagnostic::error("E005", format!("`{v}` is not an external-secrets API version"))
                    .at(&path.key("api_version"))
                    .with_help("use `v1beta1` or `v1` (external-secrets 0.17 and later serve only `v1`)"),
            );
        }
        if let Some(k) = &st.kind
            && !["SecretStore", "ClusterSecretStore"].contains(&k.as_str())
        {
            out.push(
                Diagnostic::error("E005", format!("`{k}` is not a secret store kind"))
                    .at(&path.key("kind"))
                    .with_help("use `SecretStore` or `ClusterSecretStore`"),
            );
        }
    }

    for (name, s) in &topo.secrets {
        let path = root.key("secrets").key(name.clone());
        if let Some(store) = &s.store {
            if !topo.secret_stores.contains_key(store) {
                out.push(
                    Diagnostic::error("E041", format!("secret store `{store}` is not declared"))
                        .at(&path.key("store"))
                        .with_help(format!(
                            "declare it with `[secret_stores.{store}]` (its `kind` and cluster `name`)"
                        )),
                );
            }
            if s.placeholder {
                out.push(
                    Diagnostic::error(
                        "E030",
                        format!("secret `{name}` comes from a store and cannot also be a placeholder"),
                    )
                    .at_key(&path.key("placeholder"))
                    .with_help("remove `placeholder` or `store`"),
                );
            }
        } else if s.remote.is_some() || s.refresh.is_some() {
            out.push(
                Diagnostic::error("E030", format!("`remote` and `refresh` of secret `{name}` need a `store`"))
                    .at_key(&path)
                    .with_help("name the secret store the values come from: `store = \"<name>\"`"),
            );
        }
    }

    for (name, ing) in &topo.ingresses {
        let ipath = root.key("ingresses").key(name.clone());
        let ns = topo.namespace_of(&ing.namespace).to_string();
        for (ri, rule) in ing.rules.iter().enumerate() {
            for (pi, p) in rule.paths.iter().enumerate() {
                let ppath = ipath.key("rules").index(ri).key("paths").index(pi);
                let Some(svc) = topo.services.get(&p.service) else {
                    out.push(unknown_service(topo, &p.service, &ppath.key("service")));
                    continue;
                };
                let svc_ns = topo.namespace_of(&svc.namespace).to_string();
                if svc_ns != ns {
                    out.push(
                        Diagnostic::error(
                            "E053",
                            format!("service `{}` is in namespace `{svc_ns}`, the ingress in `{ns}`", p.service),
                        )
                        .at(&ppath.key("service"))
                        .with_help(
                            "an Ingress routes only to Services of its own namespace: move the ingress or the service",
                        ),
                    );
                    continue;
                }
                let ports = service_ports(svc);
                let found = match &p.port {
                    None => !ports.is_empty(),
                    Some(PortRef::Number(n)) => ports.iter().any(|(_, q)| q == n),
                    Some(PortRef::Name(n)) => ports.iter().any(|(q, _)| q == n),
                };
                if !found {
                    let list: Vec<String> = ports.iter().map(|(n, q)| format!("{n} ({q})")).collect();
                    let what = match &p.port {
                        Some(PortRef::Number(n)) => format!("port {n}"),
                        Some(PortRef::Name(n)) => format!("port `{n}`"),
                        None => "a port".to_string(),
                    };
                    out.push(
                        Diagnostic::error("E053", format!("service `{}` has no {what}", p.service))
                            .at(&ppath.key(if p.port.is_some() { "port" } else { "service" }))
                            .with_help(if list.is_empty() {
                                format!("`{}` exposes no ports through a Service", p.service)
                            } else {
                                format!("its Service ports are: {}", list.join(", "))
                            }),
                    );
                }
                if let Some(k) = &p.kind
                    && !["Prefix", "Exact", "ImplementationSpecific"].contains(&k.as_str())
                {
                    out.push(
                        Diagnostic::error("E005", format!("`{k}` is not a path type"))
                            .at(&ppath.key("type"))
                            .with_help(suggest::help(k, "path types", ["Prefix", "Exact", "ImplementationSpecific"])),
                    );
                }
                if !p.path.starts_with('/') {
                    out.push(
                        Diagnostic::error("E033", format!("ingress path `{}` must start with `/`", p.path))
                            .at(&ppath.key("path"))
                            .with_help(format!("write `/{}`", p.path)),
                    );
                }
            }
        }
    }

    for (name, pol) in &topo.network_policies {
        let path = root.key("network_policies").key(name.clone());
        let ns = topo.namespace_of(&pol.namespace).to_string();
        let ways = [pol.service.is_some(), !pol.services.is_empty(), pol.pod_labels.is_some()];
        if ways.iter().filter(|w| **w).count() > 1 {
            out.push(
                Diagnostic::error("E032", format!("network policy `{name}` selects its pods in more than one way"))
                    .at_key(&path)
                    .with_help(
                        "keep one of `service`, `services` and `pod_labels` (none selects every pod of the namespace)",
                    ),
            );
        }
        let selected = pol
            .service
            .iter()
            .map(|s| (s, path.key("service")))
            .chain(pol.services.iter().enumerate().map(|(i, s)| (s, path.key("services").index(i))));
        for (s, spath) in selected {
            match topo.services.get(s) {
                None => out.push(unknown_service(topo, s, &spath)),
                Some(svc) if topo.namespace_of(&svc.namespace) != ns => out.push(
                    Diagnostic::error("E041", format!("service `{s}` is not in the policy's namespace `{ns}`"))
                        .at(&spath)
                        .with_help("a NetworkPolicy selects pods of its own namespace: set the policy's `namespace`"),
                ),
                Some(_) => {}
            }
        }
        if let Some(labels) = &pol.pod_labels
            && labels.is_empty()
        {
            out.push(
                Diagnostic::error("E005", format!("network policy `{name}` selects pods by no label"))
                    .at(&path.key("pod_labels"))
                    .with_help(
                        "name at least one label, or leave `pod_labels` out to select every pod of the namespace",
                    ),
            );
        }
        if !topo.namespaces.is_empty() && !topo.namespaces.contains_key(&ns) {
            out.push(
                Diagnostic::error("E040", format!("namespace `{ns}` is not declared"))
                    .at(&path.key("namespace"))
                    .with_help(format!("declare it with `[namespaces.{ns}]`")),
            );
        }
        for (dir, rules) in [("ingress", &pol.ingress), ("egress", &pol.egress)] {
            for (i, rule) in rules.iter().flatten().enumerate() {
                let rpath = path.key(dir).index(i);
                let (peers, wrong) = if dir == "ingress" { (&rule.from, "to") } else { (&rule.to, "from") };
                let misplaced = if dir == "ingress" { &rule.to } else { &rule.from };
                if !misplaced.is_empty() {
                    out.push(
                        Diagnostic::error("E030", format!("`{wrong}` does not apply to an {dir} rule"))
                            .at_key(&rpath.key(wrong))
                            .with_help(format!(
                                "{dir} rules list their peers under `{}`",
                                if dir == "ingress" { "from" } else { "to" }
                            )),
                    );
                }
                if rule.dns && (!peers.is_empty() || !rule.ports.is_empty()) {
                    out.push(
                        Diagnostic::error("E030", "a `dns = true` rule takes no peers or ports")
                            .at_key(&rpath.key("dns"))
                            .with_help("put the DNS rule in its own entry: `{ dns = true }`"),
                    );
                }
                for (pi, p) in peers.iter().enumerate() {
                    let ppath = rpath.key(if dir == "ingress" { "from" } else { "to" }).index(pi);
                    let kinds = [
                        p.cidr.is_some(),
                        p.service.is_some()
                            || p.gateway.is_some()
                            || p.pod_labels.is_some()
                            || p.namespace.is_some()
                            || p.namespace_labels.is_some(),
                    ];
                    if kinds.iter().all(|k| *k) || kinds.iter().all(|k| !*k) {
                        out.push(
                            Diagnostic::error("E032", "a peer is either a `cidr` or a selection of namespaces and pods")
                                .at(&ppath)
                                .with_help("write `{ cidr = \"0.0.0.0/0\" }`, `{ namespace = \"data\" }`, `{ service = \"api\" }` or `{ namespace_labels = { … } }`"),
                        );
                    }
                    if p.namespace.is_some() && p.namespace_labels.is_some() {
                        out.push(
                            Diagnostic::error("E032", "give `namespace` or `namespace_labels`, not both")
                                .at(&ppath)
                                .with_help("`namespace` selects one namespace of the topology by name"),
                        );
                    }
                    if let Some(s) = &p.service
                        && !topo.services.contains_key(s)
                    {
                        out.push(unknown_service(topo, s, &ppath.key("service")));
                    }
                    if let Some(g) = &p.gateway {
                        if !topo.gateways.contains_key(g) {
                            out.push(
                                Diagnostic::error("E056", format!("gateway `{g}` is not declared"))
                                    .at(&ppath.key("gateway"))
                                    .with_help(suggest::help(
                                        g,
                                        "gateways",
                                        topo.gateways.keys().map(String::as_str).collect::<Vec<_>>(),
                                    )),
                            );
                        } else if p.service.is_some()
                            || p.pod_labels.is_some()
                            || p.namespace.is_some()
                            || p.namespace_labels.is_some()
                        {
                            out.push(
                                Diagnostic::error("E032", "a `gateway` peer takes no other selectors")
                                    .at(&ppath)
                                    .with_help("the gateway selects its namespace and its `pod_labels`; write `{ gateway = \"<name>\" }` alone"),
                            );
                        }
                    }
                    if let Some(n) = &p.namespace
                        && !topo.namespaces.contains_key(n)
                    {
                        out.push(
                            Diagnostic::error("E040", format!("namespace `{n}` is not declared"))
                                .at(&ppath.key("namespace"))
                                .with_help("to select a namespace outside the topology, use `namespace_labels = { \"kubernetes.io/metadata.name\" = \"…\" }`"),
                        );
                    }
                    if let Some(c) = &p.cidr
                        && !valid_cidr(c)
                    {
                        out.push(
                            Diagnostic::error("E033", format!("`{c}` is not a CIDR"))
                                .at(&ppath.key("cidr"))
                                .with_help("write an address and prefix length, e.g. `10.0.0.0/8` or `0.0.0.0/0`"),
                        );
                    }
                }
            }
        }
    }
}

/// An IPv4 or IPv6 network in CIDR notation.
fn valid_cidr(s: &str) -> bool {
    let Some((addr, len)) = s.split_once('/') else { return false };
    let Ok(len) = len.parse::<u8>() else { return false };
    match addr.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V4(_)) => len <= 32,
        Ok(std::net::IpAddr::V6(_)) => len <= 128,
        Err(_) => false,
    }
}
