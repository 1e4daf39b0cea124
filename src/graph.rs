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
}

/// An edge, with an optional label.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Edge {
    pub from: String,
    pub to: String,
    pub label: String,
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

/// Hostnames a string points at: `<svc>.<ns>.svc…` or the bare host of a URL.
fn hosts(text: &str) -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || c == ',' || c == '"' || c == '\'') {
        let rest = crate::address::without_userinfo(word);
        let host = rest.split(['/', ':']).next().unwrap_or(rest);
        if host.is_empty() {
            continue;
        }
        let parts: Vec<&str> = host.split('.').collect();
        if parts.len() >= 3 && parts[2] == "svc" {
            out.push((parts[0].to_string(), Some(parts[1].to_string())));
        } else if parts.len() == 1 && word.contains("://") {
            out.push((parts[0].to_string(), None));
        }
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
                for (host, ns) in hosts(text) {
                    let target = topo.services.get(&host).and_then(|t| {
                        let t_ns = r.topology.namespace_of(&t.namespace).to_string();
                        (ns.as_deref().is_none_or(|n| n == t_ns) && (ns.is_some() || t_ns == v.namespace)).then_some(())
                    });
                    let to = match target {
                        Some(()) => id("svc", &host),
                        None if ns.is_some() => {
                            let ext = format!("{host}.{}", ns.clone().unwrap_or_default());
                            if !externals.contains(&ext) {
                                externals.push(ext.clone());
                            }
                            id("ext", &ext)
                        }
                        None => continue,
                    };
                    if to != from {
                        edges.insert(Edge { from: from.clone(), to, label: label.to_string() });
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
            if let Some(k) = &svc.keda {
                for t in &k.triggers {
                    for value in t.metadata.values() {
                        point(value, "scales on", &mut edges, &mut externals);
                    }
                }
            }
            for (vname, vol) in &svc.volumes {
                if let Some(claim) = &vol.claim {
                    edges.insert(Edge { from: from.clone(), to: id("claim", claim), label: vname.clone() });
                }
                if let Some(class) = v.volumes.get(vname).and_then(|x| x.storage_class.clone()) {
                    if !storage_classes.contains(&class) {
                        storage_classes.push(class.clone());
                    }
                    edges.insert(Edge { from: from.clone(), to: id("sc", &class), label: vname.clone() });
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
                edges.insert(Edge { from: id("claim", name), to: id("sc", class), label: String::new() });
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
                    edges.insert(Edge {
                        from: id("ing", name),
                        to: id("svc", &p.service),
                        label: format!("{host}{}", p.path),
                    });
                }
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
            if e.label.is_empty() {
                let _ = writeln!(out, "  {} --> {}", e.from, e.to);
            } else {
                let _ = writeln!(out, "  {} -->|\"{}\"| {}", e.from, e.label.replace('"', "'"), e.to);
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
            if e.label.is_empty() {
                let _ = writeln!(out, "  {} -> {};", e.from, e.to);
            } else {
                let _ = writeln!(out, "  {} -> {} [label={}];", e.from, e.to, q(&e.label));
            }
        }
        out.push_str("}\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::hosts;

    #[test]
    fn finds_hosts_in_addresses() {
        assert_eq!(
            hosts("bolt://neo4j.data.svc.cluster.local:7687"),
            [("neo4j".to_string(), Some("data".to_string()))]
        );
        assert_eq!(hosts("nats://nats:4222"), [("nats".to_string(), None)]);
        assert_eq!(hosts("nats.percolate.svc:8222"), [("nats".to_string(), Some("percolate".to_string()))]);
        assert!(hosts("https://s3.amazonaws.com").is_empty());
        assert!(hosts("plain words").is_empty());
    }
}
