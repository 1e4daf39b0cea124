//! Rule: ports as the API server checks them — a Service's ports unique by
//! number and protocol, network policy ports written as the builder reads
//! them (`8000`, `"http"`, `"53/UDP"`) and in range, probe ports in range.

use super::containers;
use std::collections::HashMap;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::k8s::names;
use crate::topology::{Kind, PortRef, ServiceType, Topology};

const PROTOCOLS: [&str; 3] = ["TCP", "UDP", "SCTP"];

/// A network policy port as the builder renders it.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum PolicyPort {
    Number(i32, Option<String>),
    Name(String, Option<String>),
}

/// Why a network policy port is refused: code, message and help.
type Refusal = (&'static str, String, String);

/// Reads `8000`, `"8000"`, `"http"`, `"53/UDP"` or `"dns/udp"` the way
/// `objects::network::policy_port` does, refusing what it would mis-split
/// or the API server would refuse.
pub(crate) fn policy_port(p: &PortRef) -> Result<PolicyPort, Refusal> {
    let range = |n: i32, shown: &str| {
        if (1..=65535).contains(&n) {
            Ok(())
        } else {
            Err((
                "E022",
                format!("network policy port {shown} is out of range"),
                "ports are numbers from 1 to 65535".to_string(),
            ))
        }
    };
    let s = match p {
        PortRef::Number(n) => {
            range(*n, &n.to_string())?;
            return Ok(PolicyPort::Number(*n, None));
        }
        PortRef::Name(s) => s,
    };
    let (port, proto) = match s.split_once('/') {
        Some((a, b)) => (a, Some(b)),
        None => (s.as_str(), None),
    };
    if PROTOCOLS.iter().any(|x| x.eq_ignore_ascii_case(port)) && proto.is_some() {
        let (proto_word, number) = (port.to_ascii_uppercase(), proto.unwrap_or_default());
        return Err((
            "E039",
            format!("`{s}` is not a network policy port: the protocol comes after the port"),
            format!("write `\"{number}/{proto_word}\"`"),
        ));
    }
    let proto = match proto {
        None => None,
        Some(x) if PROTOCOLS.iter().any(|p| p.eq_ignore_ascii_case(x)) => Some(x.to_ascii_uppercase()),
        Some(x) => {
            return Err((
                "E039",
                format!("`{s}` is not a network policy port: `{x}` is not a protocol"),
                format!("write `\"{port}\"`, `\"{port}/TCP\"`, `\"{port}/UDP\"` or `\"{port}/SCTP\"`"),
            ));
        }
    };
    if let Ok(n) = port.parse::<i32>() {
        range(n, &format!("`{s}`"))?;
        return Ok(PolicyPort::Number(n, proto));
    }
    if port.contains('-') && port.split('-').all(|x| x.parse::<u32>().is_ok()) {
        return Err((
            "E039",
            format!("`{s}` is not a network policy port: port ranges are not supported"),
            "list the ports one by one, or allow the rule on all ports by leaving `ports` out".to_string(),
        ));
    }
    if let Err(why) = names::port_name(port) {
        return Err((
            "E020",
            format!("`{port}` is not a valid port name: it {why}"),
            "a network policy port is a number (`8000`), a container port name (`http`), either with a protocol (`53/UDP`)"
                .to_string(),
        ));
    }
    Ok(PolicyPort::Name(port.to_string(), proto))
}

pub(super) fn check(topo: &Topology, out: &mut Vec<Diagnostic>) {
    let root = TomlPath::root();
    for (name, svc) in &topo.services {
        let path = root.key("services").key(name.clone());
        // the Service gathers the exposed ports of the main container and
        // the sidecars: each number may appear once per protocol
        let has_service = matches!(svc.kind, Kind::Deployment | Kind::StatefulSet)
            && svc.service.as_ref().and_then(|s| s.kind) != Some(ServiceType::None);
        if has_service {
            let containers = std::iter::once((path.key("container"), &svc.container))
                .chain(svc.sidecars.iter().enumerate().map(|(i, c)| (path.key("sidecars").index(i), c)));
            let mut seen: HashMap<(i32, String), (String, TomlPath, i32)> = HashMap::new();
            for (cpath, c) in containers {
                for (pname, p) in c.ports.iter().filter(|(_, p)| p.expose) {
                    let number = p.service_port.unwrap_or(p.port);
                    let proto = p.protocol.clone().unwrap_or_else(|| "TCP".into());
                    let ppath = cpath.key("ports").key(pname.clone());
                    match seen.get(&(number, proto.clone())) {
                        // the same container port twice is E021 of names.rs
                        Some((_, first, port)) if first.parent() == ppath.parent() && *port == p.port => {}
                        Some((other, first, _)) => out.push(
                            Diagnostic::error(
                                "E021",
                                format!("ports `{other}` and `{pname}` of `{name}` are both Service port {number}/{proto}"),
                            )
                            .at(&ppath)
                            .with_help(format!(
                                "a Service takes each port number once per protocol (the other is `{first}`): give one a different `service_port`, or `expose = false`"
                            )),
                        ),
                        None => {
                            seen.insert((number, proto), (pname.clone(), ppath, p.port));
                        }
                    }
                }
            }
        }
        for (cpath, c, _) in containers(svc, &path) {
            for (kind, probe) in
                [("liveness", &c.probes.liveness), ("readiness", &c.probes.readiness), ("startup", &c.probes.startup)]
            {
                if let Some(p) = probe
                    && let Some(PortRef::Number(n)) = &p.port
                    && !(1..=65535).contains(n)
                {
                    out.push(
                        Diagnostic::error("E022", format!("the {kind} probe's port {n} is out of range"))
                            .at(&cpath.key("probes").key(kind).key("port"))
                            .with_help("ports are numbers from 1 to 65535, or the name of a container port"),
                    );
                }
            }
        }
    }
    for (name, pol) in &topo.network_policies {
        let path = root.key("network_policies").key(name.clone());
        for (dir, rules) in [("ingress", &pol.ingress), ("egress", &pol.egress)] {
            for (i, rule) in rules.iter().flatten().enumerate() {
                for (j, p) in rule.ports.iter().enumerate() {
                    if let Err((code, message, help)) = policy_port(p) {
                        out.push(
                            Diagnostic::error(code, message)
                                .at(&path.key(dir).index(i).key("ports").index(j))
                                .with_help(help),
                        );
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<PolicyPort, String> {
        policy_port(&PortRef::Name(s.into())).map_err(|(code, m, h)| format!("{code}: {m} / {h}"))
    }

    #[test]
    fn policy_ports_as_the_builder_reads_them() {
        assert_eq!(parse("8000"), Ok(PolicyPort::Number(8000, None)));
        assert_eq!(parse("53/UDP"), Ok(PolicyPort::Number(53, Some("UDP".into()))));
        assert_eq!(parse("53/udp"), Ok(PolicyPort::Number(53, Some("UDP".into()))));
        assert_eq!(parse("http"), Ok(PolicyPort::Name("http".into(), None)));
        assert_eq!(parse("dns/SCTP"), Ok(PolicyPort::Name("dns".into(), Some("SCTP".into()))));
        assert_eq!(policy_port(&PortRef::Number(443)), Ok(PolicyPort::Number(443, None)));
    }

    #[test]
    fn policy_ports_the_builder_would_mis_split() {
        let e = parse("TCP/8000").unwrap_err();
        assert!(e.starts_with("E039") && e.contains("`\"8000/TCP\"`"), "{e}");
        assert!(parse("8000/HTTP").unwrap_err().contains("`HTTP` is not a protocol"));
        assert!(parse("8000/TCP/x").unwrap_err().starts_with("E039"));
        assert!(parse("8000-8080").unwrap_err().contains("ranges"));
        assert!(parse("70000").unwrap_err().starts_with("E022"));
        assert!(parse("0/UDP").unwrap_err().starts_with("E022"));
        assert!(parse("HTTP").unwrap_err().starts_with("E020"));
        assert!(parse("my-long-port-name").unwrap_err().starts_with("E020"));
        assert!(parse("").unwrap_err().starts_with("E020"));
        assert!(policy_port(&PortRef::Number(0)).is_err());
    }
}
