//! Rule: a shared Service (`shared_services.<name>`) fronts declared
//! long-running services of its own namespace, on ports every one of them
//! declares with one protocol, and takes no name another Service has.

use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::diagnostic::suggest;
use crate::k8s::names;
use crate::topology::{ServiceType, Topology};

pub(super) fn check(topo: &Topology, out: &mut Vec<Diagnostic>) {
    for (name, shared) in &topo.shared_services {
        let path = TomlPath::root().key("shared_services").key(name.clone());
        let ns = topo.namespace_of(&shared.namespace);
        if let Err(why) = names::dns1035_label(name) {
            out.push(
                Diagnostic::error("E020", format!("`{name}` is not a valid Service name: it {why}"))
                    .at_key(&path)
                    .with_help(
                        "a Service name is at most 63 lowercase letters, digits and `-`, starting with a letter",
                    ),
            );
        }
        if !topo.namespaces.is_empty() && !topo.namespaces.contains_key(ns) {
            out.push(
                Diagnostic::error("E040", format!("namespace `{ns}` is not declared"))
                    .at(&path.key("namespace"))
                    .with_help(format!("declare it with `[namespaces.{ns}]`")),
            );
        }
        if shared.kind == Some(ServiceType::None) {
            out.push(
                Diagnostic::error("E005", format!("shared service `{name}` has `type = \"None\"`"))
                    .at(&path.key("type"))
                    .with_help("a shared service is a Service: use `ClusterIP`, `LoadBalancer`, `NodePort` or `Headless`, or remove the entry"),
            );
        }
        // the name of a Service a workload of this namespace already has
        if let Some(svc) = topo.services.get(name)
            && topo.namespace_of(&svc.namespace) == ns
            && !svc.kind.is_batch()
            && svc.service.as_ref().and_then(|s| s.kind) != Some(ServiceType::None)
            && svc.container.ports.values().chain(svc.sidecars.iter().flat_map(|c| c.ports.values())).any(|p| p.expose)
        {
            out.push(
                Diagnostic::error("E021", format!("service `{name}` already has a Service of that name in `{ns}`"))
                    .at_key(&path)
                    .with_help("give the shared service a name of its own, such as `api`"),
            );
        }
        if shared.services.is_empty() {
            out.push(
                Diagnostic::error("E006", format!("shared service `{name}` fronts no service"))
                    .at_key(&path.key("services"))
                    .with_help("list the services whose pods it selects: `services = [\"ingest\", \"query\"]`"),
            );
        }
        if shared.ports.is_empty() {
            out.push(
                Diagnostic::error("E006", format!("shared service `{name}` has no ports"))
                    .at_key(&path.key("ports"))
                    .with_help("name the container ports it serves, which every selected service declares: `ports = [\"http\"]`"),
            );
        }
        let mut selected = Vec::new();
        for (i, s) in shared.services.iter().enumerate() {
            let spath = path.key("services").index(i);
            match topo.services.get(s) {
                None => {
                    out.push(Diagnostic::error("E053", format!("service `{s}` is not declared")).at(&spath).with_help(
                        suggest::help(s, "services", topo.services.keys().map(String::as_str).collect::<Vec<_>>()),
                    ))
                }
                Some(svc) if topo.namespace_of(&svc.namespace) != ns => out.push(
                    Diagnostic::error("E041", format!("service `{s}` is not in the shared service's namespace `{ns}`"))
                        .at(&spath)
                        .with_help("a Service selects pods of its own namespace: move the service, or set `namespace`"),
                ),
                Some(svc) if svc.kind.is_batch() => out.push(
                    Diagnostic::error(
                        "E030",
                        format!("`{s}` is a {}: a Service fronts long-running pods", svc.kind.as_str()),
                    )
                    .at(&spath)
                    .with_help("list deployments and statefulsets only"),
                ),
                Some(svc) => selected.push((s, svc)),
            }
        }
        for (j, port) in shared.ports.iter().enumerate() {
            let ppath = path.key("ports").index(j);
            let mut protocols = Vec::new();
            for (s, svc) in &selected {
                let found = svc
                    .container
                    .ports
                    .iter()
                    .chain(svc.sidecars.iter().flat_map(|c| c.ports.iter()))
                    .find(|(n, _)| *n == port);
                match found {
                    None => out.push(
                        Diagnostic::error("E053", format!("service `{s}` declares no port `{port}`"))
                            .at(&ppath)
                            .with_help(format!(
                                "a shared Service targets the port by name in every pod it selects: declare `{port}` in `{s}`'s container, or drop it here"
                            )),
                    ),
                    Some((_, p)) => protocols.push((s, p.protocol.clone().unwrap_or_else(|| "TCP".into()))),
                }
            }
            if let Some((first, proto)) = protocols.first()
                && let Some((other, theirs)) = protocols.iter().find(|(_, p)| p != proto)
            {
                out.push(
                    Diagnostic::error(
                        "E053",
                        format!("port `{port}` is {proto} in `{first}` and {theirs} in `{other}`"),
                    )
                    .at(&ppath)
                    .with_help(
                        "a Service port has one protocol: declare the port with the same protocol in every service",
                    ),
                );
            }
        }
    }
}
