//! `archctl graph`: the topology as a picture — namespaces as groups,
//! services as nodes, edges from ingresses and routes to services, from services to
//! the services their environment and autoscalers point at, and from
//! volumes and claims to storage classes.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::resolve::Resolved;
use crate::topology::{EnvValue, Kind};

/// A node of the picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Node {
    pub id: String,
    pub label: String,
    pub group: Option<String>,
    pub shape: Shape,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    Service,
    Store,
    Ingress,
    Claim,
    StorageClass,
    External,
    /// A shared Service in front of several services.
    Shared,
}

/// An edge, with an optional label.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Edge {
    pub from: String,
    pub to: String,
    pub label: String,
    /// A network policy's allow, drawn dashed; otherwise a use.
    pub allow: bool,
}

impl Edge {
    fn uses(from: String, to: String, label: impl Into<String>) -> Edge {
        Edge { from, to, label: label.into(), allow: false }
    }
}

/// The picture of one render.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    pub groups: Vec<String>,
    pub nodes: Vec<Node>,
    pub edges: Vec<Edge>,
}

/// A node id: letters and digits kept, `-` as `_`, anything else as `_xx`
/// (its hex code), so that distinct names never share an id.
fn id(prefix: &str, name: &str) -> String {
    let mut out = format!("{prefix}_");
    for c in name.chars() {
        match c {
            c if c.is_ascii_alphanumeric() => out.push(c),
            '-' => out.push('_'),
            c => out.push_str(&format!("_{:x}", c as u32)),
        }
    }
    out
}

/// A host a string may point at.
#[derive(Debug, PartialEq, Eq)]
struct Host {
    name: String,
    namespace: Option<String>,
    /// Written as a cluster address (`<svc>.<ns>.svc…`): a service, of the
    /// topology or outside it. Otherwise (`redis`, `redis:6379`,
    /// `redis://redis`, `redis.data:6379`) only a service of the topology
    /// by that name counts.
    cluster: bool,
}

/// The hosts a value names: cluster addresses, URLs, `host:port` and bare
/// names, in plain values and in config files alike.
fn hosts(text: &str) -> Vec<Host> {
    let mut out = Vec::new();
    let separator = |c: char| c.is_whitespace() || ",\"'=;()[]{}<>`".contains(c);
    for word in text.split(separator) {
        let rest = crate::address::without_userinfo(word);
        let host = rest.split(['/', ':', '?', '#']).next().unwrap_or(rest);
        if host.is_empty()
            || !host.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        {
            continue;
        }
        let parts: Vec<&str> = host.split('.').collect();
        let (name, namespace, cluster) = match parts[..] {
            [name, ns, "svc", ..] => (name, Some(ns), true),
            [name] => (name, None, false),
            [name, ns] => (name, Some(ns), false),
            _ => continue,
        };
        if name.is_empty() {
            continue;
        }
        out.push(Host { name: name.to_string(), namespace: namespace.map(str::to_string), cluster });
    }
    out
}

impl Graph {
    /// Builds the picture of a resolved topology.
    pub(crate) fn of(r: &Resolved) -> Graph {
        let topo = &r.topology;
        let mut g = Graph::default();
        let mut groups: Vec<String> = topo.namespaces.keys().cloned().collect();
        for v in r.services.values() {
            if !groups.contains(&v.namespace) {
                groups.push(v.namespace.clone());
            }
        }
        g.groups = groups;
        for (name, svc) in &topo.services {
            let Some(v) = r.services.get(name) else { continue };
            g.nodes.push(Node {
                id: id("svc", name),
                label: format!("{name}\n{}", svc.kind.as_str()),
                group: Some(v.namespace.clone()),
                shape: if svc.kind == Kind::StatefulSet { Shape::Store } else { Shape::Service },
            });
        }
        let mut edges: BTreeSet<Edge> = BTreeSet::new();
        let mut externals: Vec<String> = Vec::new();
        let mut storage_classes: Vec<String> = Vec::new();
        for (name, svc) in &topo.services {
            let Some(v) = r.services.get(name) else { continue };
            let from = id("svc", name);
            let point = |text: &str, label: &str, edges: &mut BTreeSet<Edge>, externals: &mut Vec<String>| {
                for Host { name: host, namespace: ns, cluster } in hosts(text) {
                    let target = topo.services.get(&host).and_then(|t| {
                        let t_ns = r.topology.namespace_of(&t.namespace).to_string();
                        (ns.as_deref().is_none_or(|n| n == t_ns) && (ns.is_some() || t_ns == v.namespace)).then_some(())
                    });
                    let to = match target {
                        Some(()) => id("svc", &host),
                        None if cluster => {
                            let ext = format!("{host}.{}", ns.clone().unwrap_or_default());
                            if !externals.contains(&ext) {
                                externals.push(ext.clone());
                            }
                            id("ext", &ext)
                        }
                        None => continue,
                    };
                    if to != from {
                        edges.insert(Edge::uses(from.clone(), to, label));
                    }
                }
            };
            for c in std::iter::once(&svc.container).chain(&svc.sidecars) {
                for value in c.env.values() {
                    if let EnvValue::Plain(text) = value {
                        point(text, "", &mut edges, &mut externals);
                    }
                }
            }
            // the config maps it reads, through env, env_from or a volume
            let mut config_maps: Vec<&String> = Vec::new();
            for c in std::iter::once(&svc.container).chain(&svc.sidecars).chain(&svc.init_containers) {
                config_maps.extend(c.env_from.iter().filter_map(|e| e.config_map.as_ref()));
                config_maps.extend(c.env.values().filter_map(|e| match e {
                    EnvValue::Ref(r) => r.config_map.as_ref(),
                    EnvValue::Plain(_) => None,
                }));
            }
            config_maps.extend(svc.volumes.values().filter_map(|v| v.config_map.as_ref()));
            config_maps.sort();
            config_maps.dedup();
            for cm in config_maps {
                for value in r.config_data.get(cm).into_iter().flat_map(|d| d.values()) {
                    point(value, &format!("via {cm}"), &mut edges, &mut externals);
                }
            }
            if let Some(k) = &svc.keda {
                for t in &k.triggers {
                    for value in t.metadata.values() {
                        point(value, "scales on", &mut edges, &mut externals);
                    }
                }
            }
            for (vname, vol) in &svc.volumes {
                if let Some(claim) = &vol.claim {
                    edges.insert(Edge::uses(from.clone(), id("claim", claim), vname.clone()));
                }
                if let Some(class) = v.volumes.get(vname).and_then(|x| x.storage_class.clone()) {
                    if !storage_classes.contains(&class) {
                        storage_classes.push(class.clone());
                    }
                    edges.insert(Edge::uses(from.clone(), id("sc", &class), vname.clone()));
                }
            }
        }
        for (name, claim) in &r.claims {
            g.nodes.push(Node {
                id: id("claim", name),
                label: format!("{name}\n{}", claim.size),
                group: Some(claim.namespace.clone()),
                shape: Shape::Claim,
            });
            if let Some(class) = &claim.storage_class {
                if !storage_classes.contains(class) {
                    storage_classes.push(class.clone());
                }
                edges.insert(Edge::uses(id("claim", name), id("sc", class), String::new()));
            }
        }
        for (name, ing) in &topo.ingresses {
            if !topo.features.ingress {
                break;
            }
            let ns = r.topology.namespace_of(&ing.namespace).to_string();
            g.nodes.push(Node { id: id("ing", name), label: name.clone(), group: Some(ns), shape: Shape::Ingress });
            for rule in &ing.rules {
                for p in &rule.paths {
                    let host = rule.host.clone().unwrap_or_default();
                    edges.insert(Edge::uses(id("ing", name), id("svc", &p.service), format!("{host}{}", p.path)));
                }
            }
        }
        // what network policies allow between services of the topology:
        // dashed, from the peer that may connect, labelled with the ports
        for pol in topo.network_policies.values() {
            if !topo.features.network_policies {
                break;
            }
            let selected = crate::k8s::labels::selected_by(pol, topo);
            for (rules, incoming) in [(&pol.ingress, true), (&pol.egress, false)] {
                for rule in rules.iter().flatten() {
                    let ports: Vec<String> = rule
                        .ports
                        .iter()
                        .map(|p| match p {
                            crate::topology::PortRef::Number(n) => n.to_string(),
                            crate::topology::PortRef::Name(n) => n.clone(),
                        })
                        .collect();
                    let label =
                        if ports.is_empty() { "allows".to_string() } else { format!("allows {}", ports.join(", ")) };
                    let peers = if incoming { &rule.from } else { &rule.to };
                    for peer in peers.iter().filter_map(|p| p.service.as_ref()) {
                        if !topo.services.contains_key(peer) {
                            continue;
                        }
                        for (s, _) in &selected {
                            let (from, to) = if incoming { (peer.as_str(), *s) } else { (*s, peer.as_str()) };
                            if from != to {
                                edges.insert(Edge {
                                    from: id("svc", from),
                                    to: id("svc", to),
                                    label: label.clone(),
                                    allow: true,
                                });
                            }
                        }
                    }
                }
            }
        }
        for (name, shared) in &topo.shared_services {
            let ns = topo.namespace_of(&shared.namespace).to_string();
            g.nodes.push(Node {
                id: id("shared", name),
                label: format!("{name}\nshared service"),
                group: Some(ns),
                shape: Shape::Shared,
            });
            for s in &shared.services {
                edges.insert(Edge::uses(id("shared", name), id("svc", s), shared.ports.join(", ")));
            }
        }
        for (name, rt) in &topo.routes {
            if !topo.features.gateway_api {
                break;
            }
            let ns = r.topology.namespace_of(&rt.namespace).to_string();
            g.nodes.push(Node { id: id("route", name), label: name.clone(), group: Some(ns), shape: Shape::Ingress });
            let host = rt.hostnames.first().cloned().unwrap_or_default();
            for rule in &rt.rules {
                let path = rule.matches.first().and_then(|m| m.path.clone()).unwrap_or_default();
                for b in &rule.backends {
                    let weight = b.weight.map(|w| format!(" ({w})")).unwrap_or_default();
                    edges.insert(Edge {
                        from: id("route", name),
                        to: id("svc", &b.service),
                        label: format!("{host}{path}{weight}"),
                        allow: false,
                    });
                }
            }
        }
        for class in storage_classes {
            g.nodes.push(Node {
                id: id("sc", &class),
                label: format!("storage: {class}"),
                group: None,
                shape: Shape::StorageClass,
            });
        }
        for ext in externals {
            g.nodes.push(Node {
                id: id("ext", &ext),
                label: format!("{ext}\n(outside the topology)"),
                group: None,
                shape: Shape::External,
            });
        }
        g.edges = edges.into_iter().collect();
        g
    }

    /// A Mermaid flowchart.
    pub(crate) fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        let node = |n: &Node| {
            let label = n.label.replace('"', "'").replace('\n', "<br/>");
            match n.shape {
                Shape::Service => format!("{}[\"{label}\"]", n.id),
                Shape::Store => format!("{}[(\"{label}\")]", n.id),
                Shape::Ingress => format!("{}{{{{\"{label}\"}}}}", n.id),
                Shape::Claim => format!("{}[/\"{label}\"/]", n.id),
                Shape::StorageClass => format!("{}[(\"{label}\")]", n.id),
                Shape::External => format!("{}>\"{label}\"]", n.id),
                Shape::Shared => format!("{}([\"{label}\"])", n.id),
            }
        };
        for group in &self.groups {
            let _ = writeln!(out, "  subgraph {}[\"namespace {group}\"]", id("ns", group));
            for n in self.nodes.iter().filter(|n| n.group.as_deref() == Some(group)) {
                let _ = writeln!(out, "    {}", node(n));
            }
            out.push_str("  end\n");
        }
        for n in self.nodes.iter().filter(|n| n.group.is_none()) {
            let _ = writeln!(out, "  {}", node(n));
        }
        for e in &self.edges {
            let arrow = if e.allow { "-.->" } else { "-->" };
            if e.label.is_empty() {
                let _ = writeln!(out, "  {} {arrow} {}", e.from, e.to);
            } else {
                let _ = writeln!(out, "  {} {arrow}|\"{}\"| {}", e.from, e.label.replace('"', "'"), e.to);
            }
        }
        out
    }

    /// A Graphviz digraph with a cluster per namespace.
    pub(crate) fn dot(&self) -> String {
        let q = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n"));
        let shape = |s: Shape| match s {
            Shape::Service => "box",
            Shape::Store => "cylinder",
            Shape::Ingress => "hexagon",
            Shape::Claim => "folder",
            Shape::StorageClass => "cylinder",
            Shape::External => "cds",
            Shape::Shared => "oval",
        };
        let mut out = String::from("digraph topology {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
        for group in &self.groups {
            let _ = writeln!(
                out,
                "  subgraph {} {{\n    label={};",
                q(&format!("cluster_{group}")),
                q(&format!("namespace {group}"))
            );
            for n in self.nodes.iter().filter(|n| n.group.as_deref() == Some(group)) {
                let _ = writeln!(out, "    {} [label={}, shape={}];", n.id, q(&n.label), shape(n.shape));
            }
            out.push_str("  }\n");
        }
        for n in self.nodes.iter().filter(|n| n.group.is_none()) {
            let _ = writeln!(out, "  {} [label={}, shape={}];", n.id, q(&n.label), shape(n.shape));
        }
        for e in &self.edges {
            let mut attrs = Vec::new();
            if !e.label.is_empty() {
                attrs.push(format!("label={}", q(&e.label)));
            }
            if e.allow {
                attrs.push("style=dashed".to_string());
            }
            if attrs.is_empty() {
                let _ = writeln!(out, "  {} -> {};", e.from, e.to);
            } else {
                let _ = writeln!(out, "  {} -> {} [{}];", e.from, e.to, attrs.join(", "));
            }
        }
        out.push_str("}\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::{Host, hosts};

    fn host(name: &str, namespace: Option<&str>, cluster: bool) -> Host {
        Host { name: name.into(), namespace: namespace.map(Into::into), cluster }
    }

    #[test]
    fn finds_hosts_in_addresses() {
        assert_eq!(hosts("bolt://neo4j.data.svc.cluster.local:7687"), [host("neo4j", Some("data"), true)]);
        assert_eq!(hosts("nats://nats:4222"), [host("nats", None, false)]);
        assert_eq!(hosts("nats.percolate.svc:8222"), [host("nats", Some("percolate"), true)]);
        assert_eq!(hosts("redis:6379"), [host("redis", None, false)]);
        assert_eq!(hosts("postgres"), [host("postgres", None, false)]);
        assert_eq!(hosts("DB_HOST=postgres.data:5432;"), [host("postgres", Some("data"), false)]);
        // names only a topology service can turn into an edge; never a
        // public host split into service and namespace
        assert!(hosts("https://s3.eu-west-1.amazonaws.com").is_empty());
        assert!(hosts("Plain Words!").is_empty());
    }
}
