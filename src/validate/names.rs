//! Rule: every name the topology gives becomes a Kubernetes name, so it must
//! follow the API server's rules for that kind of name.

use std::collections::HashMap;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::k8s::names;
use crate::topology::{Container, Kind, Topology};

/// The longest name a CronJob may have: the controller appends an
/// 11-character suffix to job names, which must stay within 63.
const CRONJOB_MAX: usize = 52;

type Rule = fn(&str) -> Result<(), String>;

fn name(out: &mut Vec<Diagnostic>, value: &str, path: TomlPath, what: &str, rule: Rule) {
    if let Err(why) = rule(value) {
        out.push(
            Diagnostic::error("E020", format!("`{value}` is not a valid {what}: it {why}"))
                .at_key(&path)
                .with_label("rejected by Kubernetes")
                .with_help(match names::suggest_label(value) {
                    Some(s) => format!("Kubernetes names are lowercase RFC 1123 labels; try `{s}`"),
                    None => "use lowercase letters, digits and `-`, starting with a letter".to_string(),
                }),
        );
    }
}

pub(super) fn check(topo: &Topology, out: &mut Vec<Diagnostic>) {
    let root = TomlPath::root();
    let project = &topo.project;
    if let Err(why) = names::dns1123_label(&project.name) {
        out.push(
            Diagnostic::error("E020", format!("`{}` is not a valid project name: it {why}", project.name))
                .at(&root.key("project").key("name"))
                .with_help("the project name is used in labels and as the default namespace: use lowercase letters, digits and `-`"),
        );
    }
    if let Some(ns) = &project.namespace {
        name(out, ns, root.key("project").key("namespace"), "namespace name", names::dns1123_label);
    }
    for ns in topo.namespaces.keys() {
        name(out, ns, root.key("namespaces").key(ns.clone()), "namespace name", names::dns1123_label);
    }
    for (svc_name, svc) in &topo.services {
        let path = root.key("services").key(svc_name.clone());
        name(out, svc_name, path.clone(), "service name", names::dns1035_label);
        if svc.kind == Kind::CronJob && svc_name.len() > CRONJOB_MAX {
            out.push(
                Diagnostic::error(
                    "E020",
                    format!("cron job name `{svc_name}` is longer than {CRONJOB_MAX} characters"),
                )
                .at_key(&path)
                .with_help("the jobs it creates append 11 characters and must fit in 63: shorten the name"),
            );
        }
        let mut containers: HashMap<String, TomlPath> = HashMap::new();
        let main_name = svc.container.name.clone().unwrap_or_else(|| svc_name.clone());
        let all = std::iter::once((path.key("container"), &svc.container, main_name))
            .chain(
                svc.sidecars
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (path.key("sidecars").index(i), c, c.name.clone().unwrap_or_default())),
            )
            .chain(
                svc.init_containers
                    .iter()
                    .enumerate()
                    .map(|(i, c)| (path.key("init_containers").index(i), c, c.name.clone().unwrap_or_default())),
            );
        for (cpath, c, cname) in all {
            if cname.is_empty() {
                out.push(
                    Diagnostic::error("E006", format!("missing key `name` in `{cpath}`"))
                        .at(&cpath)
                        .with_help("sidecars and init containers need a `name`"),
                );
            } else {
                // a defaulted name is the service name, checked above
                if c.name.is_some() {
                    name(out, &cname, cpath.key("name"), "container name", names::dns1123_label);
                }
                if let Some(first) = containers.insert(cname.clone(), cpath.clone()) {
                    out.push(
                        Diagnostic::error("E021", format!("two containers of `{svc_name}` are named `{cname}`"))
                            .at(&cpath.key("name"))
                            .with_help(format!("the other is `{first}`: container names must be unique in a pod")),
                    );
                }
            }
            container_names(c, &cpath, out);
        }
        for v in svc.volumes.keys() {
            name(out, v, path.key("volumes").key(v.clone()), "volume name", names::dns1123_label);
        }
        labels(&svc.labels, &path.key("labels"), out);
        annotations(&svc.annotations, &path.key("annotations"), out);
        annotations(&svc.pod_annotations, &path.key("pod_annotations"), out);
        labels(&svc.node_selector, &path.key("node_selector"), out);
        if let Some(spec) = &svc.service {
            annotations(&spec.annotations, &path.key("service").key("annotations"), out);
        }
        if let Some(sa) = &svc.service_account {
            annotations(&sa.annotations, &path.key("service_account").key("annotations"), out);
        }
        if let Some(m) = &svc.metrics {
            labels(&m.labels, &path.key("metrics").key("labels"), out);
        }
        if let Some(l) = &svc.legacy {
            let o = &l.object_labels;
            let at = path.key("legacy").key("object_labels");
            for (key, m) in [
                ("autoscaling", &o.autoscaling),
                ("disruption", &o.disruption),
                ("vpa", &o.vpa),
                ("keda", &o.keda),
                ("metrics", &o.metrics),
                ("service_account", &o.service_account),
            ] {
                if let Some(m) = m {
                    labels(m, &at.key(key), out);
                }
            }
        }
    }
    labels(&topo.gpu.node_selector, &root.key("gpu").key("node_selector"), out);
    for (name, ing) in &topo.ingresses {
        annotations(&ing.annotations, &root.key("ingresses").key(name.clone()).key("annotations"), out);
    }
    for (name, pol) in &topo.network_policies {
        let path = root.key("network_policies").key(name.clone());
        if let Some(sel) = &pol.pod_labels {
            labels(sel, &path.key("pod_labels"), out);
        }
        for (dir, rules) in [("ingress", &pol.ingress), ("egress", &pol.egress)] {
            for (i, rule) in rules.iter().flatten().enumerate() {
                let peers = [("from", &rule.from), ("to", &rule.to)];
                for (side, list) in peers {
                    for (j, peer) in list.iter().enumerate() {
                        let ppath = path.key(dir).index(i).key(side).index(j);
                        for (key, sel) in
                            [("namespace_labels", &peer.namespace_labels), ("pod_labels", &peer.pod_labels)]
                        {
                            if let Some(sel) = sel {
                                labels(sel, &ppath.key(key), out);
                            }
                        }
                    }
                }
            }
        }
    }
    for (cm, spec) in &topo.config_maps {
        let path = root.key("config_maps").key(cm.clone());
        name(out, cm, path.clone(), "config map name", names::dns1123_subdomain);
        if let Some(l) = &spec.legacy {
            labels(&l.labels, &path.key("legacy").key("labels"), out);
        }
        for k in spec.data.keys().chain(spec.files.keys()) {
            let table = if spec.data.contains_key(k) { "data" } else { "files" };
            if let Err(why) = names::data_key(k) {
                out.push(
                    Diagnostic::error("E020", format!("`{k}` is not a valid config map key: it {why}"))
                        .at_key(&path.key(table).key(k.clone()))
                        .with_help("keys become file names when mounted: use letters, digits, `-`, `_` and `.`"),
                );
            }
        }
        labels(&spec.labels, &path.key("labels"), out);
    }
    for (s, spec) in &topo.secrets {
        let path = root.key("secrets").key(s.clone());
        name(out, s, path.clone(), "secret name", names::dns1123_subdomain);
        for (i, k) in spec.keys.iter().enumerate() {
            if let Err(why) = names::data_key(k) {
                out.push(
                    Diagnostic::error("E020", format!("`{k}` is not a valid secret key: it {why}"))
                        .at(&path.key("keys").index(i))
                        .with_help("use letters, digits, `-`, `_` and `.`"),
                );
            }
        }
    }
    for c in topo.claims.keys() {
        name(out, c, root.key("claims").key(c.clone()), "claim name", names::dns1123_subdomain);
    }
    // the labels `legacy` tables keep exactly
    fn kept<'t, T>(
        m: &'t indexmap::IndexMap<String, T>,
        table: &'static str,
        legacy: impl Fn(&T) -> Option<&crate::topology::LegacyLabels> + 't,
    ) -> impl Iterator<Item = (&'static str, &'t String, &'t crate::topology::LegacyLabels)> + 't {
        m.iter().filter_map(move |(n, x)| Some((table, n, legacy(x)?)))
    }
    let legacies = kept(&topo.claims, "claims", |x| x.legacy.as_ref())
        .chain(kept(&topo.ingresses, "ingresses", |x| x.legacy.as_ref()))
        .chain(kept(&topo.network_policies, "network_policies", |x| x.legacy.as_ref()))
        .chain(kept(&topo.storage_classes, "storage_classes", |x| x.legacy.as_ref()))
        .chain(kept(&topo.gateways, "gateways", |x| x.legacy.as_ref()))
        .chain(kept(&topo.routes, "routes", |x| x.legacy.as_ref()))
        .chain(kept(&topo.secrets, "secrets", |x| x.legacy.as_ref()));
    for (table, n, l) in legacies {
        labels(&l.labels, &root.key(table).key(n.clone()).key("legacy").key("labels"), out);
    }
    labels(&project.labels, &root.key("project").key("labels"), out);
    annotations(&project.annotations, &root.key("project").key("annotations"), out);
    for (ns, spec) in &topo.namespaces {
        let path = root.key("namespaces").key(ns.clone());
        labels(&spec.labels, &path.key("labels"), out);
        annotations(&spec.annotations, &path.key("annotations"), out);
        if let Some(l) = &spec.legacy {
            labels(&l.labels, &path.key("legacy").key("labels"), out);
        }
    }
}

fn container_names(c: &Container, path: &TomlPath, out: &mut Vec<Diagnostic>) {
    let mut numbers: HashMap<(i32, String), String> = HashMap::new();
    for (pname, port) in &c.ports {
        let ppath = path.key("ports").key(pname.clone());
        if let Err(why) = names::port_name(pname) {
            out.push(
                Diagnostic::error("E020", format!("`{pname}` is not a valid port name: it {why}"))
                    .at_key(&ppath)
                    .with_help("port names are IANA service names such as `http`, `grpc`, `metrics`"),
            );
        }
        for (n, what) in [(Some(port.port), "port"), (port.service_port, "service_port")] {
            if let Some(n) = n
                && !(1..=65535).contains(&n)
            {
                out.push(
                    Diagnostic::error("E022", format!("{what} {n} of `{pname}` is out of range"))
                        .at(&ppath)
                        .with_help("ports are numbers from 1 to 65535"),
                );
            }
        }
        let proto = port.protocol.clone().unwrap_or_else(|| "TCP".into());
        if let Some(other) = numbers.insert((port.port, proto), pname.clone()) {
            out.push(
                Diagnostic::error("E021", format!("ports `{other}` and `{pname}` both use {}", port.port))
                    .at(&ppath)
                    .with_help("each container port number may be declared once per protocol"),
            );
        }
    }
    for k in c.env.keys() {
        if let Err(why) = names::env_name(k) {
            out.push(
                Diagnostic::error("E020", format!("`{k}` is not a valid environment variable name: it {why}"))
                    .at_key(&path.key("env").key(k.clone()))
                    .with_help("use letters, digits and `_`"),
            );
        }
    }
}

pub(super) fn labels(map: &indexmap::IndexMap<String, String>, path: &TomlPath, out: &mut Vec<Diagnostic>) {
    for (k, v) in map {
        if let Err(why) = names::qualified_name(k) {
            out.push(
                Diagnostic::error("E020", format!("`{k}` is not a valid label key: it {why}"))
                    .at_key(&path.key(k.clone()))
                    .with_help("label keys are `[prefix/]name`, e.g. `team` or `example.com/team`"),
            );
        }
        if let Err(why) = names::label_value(v) {
            out.push(
                Diagnostic::error("E020", format!("`{v}` is not a valid label value: it {why}"))
                    .at(&path.key(k.clone()))
                    .with_help("label values are at most 63 letters, digits, `-`, `_` and `.`"),
            );
        }
    }
}

fn annotations(map: &indexmap::IndexMap<String, String>, path: &TomlPath, out: &mut Vec<Diagnostic>) {
    for k in map.keys() {
        if let Err(why) = names::qualified_name(k) {
            out.push(
                Diagnostic::error("E020", format!("`{k}` is not a valid annotation key: it {why}"))
                    .at_key(&path.key(k.clone()))
                    .with_help("annotation keys are `[prefix/]name`, e.g. `example.com/owner`"),
            );
        }
    }
}
