//! Rule: every object archctl generates has a name its kind accepts, as the
//! object is named after defaults and the suffixes controllers add, and no
//! two entries of the topology generate the same kind, namespace and name.
//!
//! The names here are the ones `objects` gives; `objects_match_the_build`
//! (the tests below) renders a topology with every kind of object and
//! compares, so that the two cannot drift apart.

use std::collections::HashMap;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::k8s::names::{self, LABEL_MAX};
use crate::topology::{Kind, ServiceType, Topology};

/// The longest StatefulSet name: the controller labels each pod with
/// `controller-revision-hash: <name>-<hash>` (a hash of up to 10
/// characters), and a label value holds at most 63.
pub(super) const STATEFULSET_MAX: usize = 52;

/// The longest ScaledObject name: KEDA names the HPA it makes
/// `keda-hpa-<name>` and puts that name in the HPA's
/// `app.kubernetes.io/name` label, which holds at most 63 characters.
pub(super) const SCALED_OBJECT_MAX: usize = LABEL_MAX - "keda-hpa-".len();

/// An object name as the API server checks it (`IsDNS1123Subdomain`): at
/// most 253 characters of dot-separated parts of lowercase letters, digits
/// and `-`, each starting and ending with a letter or digit. Unlike a DNS
/// name, a part may be longer than 63 characters.
pub(super) fn subdomain(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.len() > 253 {
        return Err(format!("must be at most 253 characters (it has {})", name.len()));
    }
    for part in name.split('.') {
        let alnum = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
        if part.is_empty() {
            return Err("must not have an empty part between dots, or start or end with a dot".into());
        }
        if !part.chars().all(|c| alnum(c) || c == '-') {
            return Err("may contain only lowercase letters, digits, `-` and `.`".into());
        }
        if !part.starts_with(alnum) || !part.ends_with(alnum) {
            return Err("must start and end with a letter or digit, also around each `.`".into());
        }
    }
    Ok(())
}

/// One object archctl generates.
#[derive(Clone, Debug)]
pub(super) struct Generated {
    /// The kind, as Kubernetes spells it.
    pub kind: &'static str,
    /// None for cluster-scoped objects.
    pub namespace: Option<String>,
    pub name: String,
    /// Where the name is written, or the table it defaults from.
    pub path: TomlPath,
    /// Whether the name is written out (else it is a default).
    pub explicit: bool,
}

impl Generated {
    fn diagnostic(&self, code: &'static str, message: String) -> Diagnostic {
        let d = Diagnostic::error(code, message);
        if self.explicit { d.at(&self.path) } else { d.at_key(&self.path) }
    }
}

/// Every object a render of `topo` generates, with where its name comes
/// from, in build order. Objects with fixed names (a namespace's `quota`
/// and `limits`) and the `default-deny` policies (checked with their own
/// message) are left out.
pub(super) fn generated(topo: &Topology) -> Vec<Generated> {
    let root = TomlPath::root();
    let ns_of = |ns: &Option<String>| Some(topo.namespace_of(ns).to_string());
    let mut out = Vec::new();
    fn add(
        out: &mut Vec<Generated>,
        kind: &'static str,
        ns: Option<String>,
        name: &str,
        path: TomlPath,
        explicit: bool,
    ) {
        out.push(Generated { kind, namespace: ns, name: name.to_string(), path, explicit });
    }
    for ns in topo.namespaces.keys() {
        add(&mut out, "Namespace", None, ns, root.key("namespaces").key(ns.clone()), false);
    }
    for (key, sc) in &topo.storage_classes {
        if sc.provisioner.is_none() {
            continue;
        }
        let path = root.key("storage_classes").key(key.clone());
        match &sc.class {
            Some(c) => add(&mut out, "StorageClass", None, c, path.key("class"), true),
            None => add(&mut out, "StorageClass", None, key, path, false),
        }
    }
    if topo.features.network_policies {
        for (name, pol) in &topo.network_policies {
            let path = root.key("network_policies").key(name.clone());
            add(&mut out, "NetworkPolicy", ns_of(&pol.namespace), name, path, false);
        }
    }
    for (name, cm) in &topo.config_maps {
        add(&mut out, "ConfigMap", ns_of(&cm.namespace), name, root.key("config_maps").key(name.clone()), false);
    }
    for (name, s) in &topo.secrets {
        let path = root.key("secrets").key(name.clone());
        if s.placeholder {
            add(&mut out, "Secret", ns_of(&s.namespace), name, path.clone(), false);
        }
        if s.store.is_some() {
            add(&mut out, "ExternalSecret", ns_of(&s.namespace), name, path, false);
        }
    }
    for (name, c) in &topo.claims {
        let path = root.key("claims").key(name.clone());
        add(&mut out, "PersistentVolumeClaim", ns_of(&c.namespace), name, path, false);
    }
    let features = &topo.features;
    for (name, svc) in &topo.services {
        let path = root.key("services").key(name.clone());
        let ns = ns_of(&svc.namespace);
        // an object named by `<table>.name`, or after the service
        let mut optional = |kind, set: Option<&Option<String>>, table: &'static str| match set {
            Some(Some(n)) => add(&mut out, kind, ns.clone(), n, path.key(table).key("name"), true),
            Some(None) => add(&mut out, kind, ns.clone(), name, path.key(table), false),
            None => {}
        };
        let hpa = svc.autoscaling.as_ref().filter(|_| features.autoscaling);
        optional("HorizontalPodAutoscaler", hpa.map(|a| &a.name), "autoscaling");
        optional("ScaledObject", svc.keda.as_ref().filter(|_| features.autoscaling).map(|k| &k.name), "keda");
        optional("VerticalPodAutoscaler", svc.vpa.as_ref().filter(|_| features.vpa).map(|v| &v.name), "vpa");
        let pdb = svc.disruption.as_ref().filter(|_| features.disruption_budgets);
        optional("PodDisruptionBudget", pdb.map(|d| &d.name), "disruption");
        let sa = svc.service_account.as_ref().filter(|sa| sa.create != Some(false));
        optional("ServiceAccount", sa.map(|sa| &sa.name), "service_account");
        let exposes =
            svc.container.ports.values().chain(svc.sidecars.iter().flat_map(|c| c.ports.values())).any(|p| p.expose);
        let service_type = svc.service.as_ref().and_then(|s| s.kind);
        if !svc.kind.is_batch() && exposes && service_type != Some(ServiceType::None) {
            let monitors = svc.metrics.as_ref().filter(|_| features.service_monitors);
            optional("ServiceMonitor", monitors.map(|m| &m.name), "metrics");
            add(&mut out, "Service", ns.clone(), name, path.clone(), false);
        }
        let kind = match svc.kind {
            Kind::Deployment => "Deployment",
            Kind::StatefulSet => "StatefulSet",
            Kind::Job => "Job",
            Kind::CronJob => "CronJob",
        };
        add(&mut out, kind, ns, name, path, false);
    }
    if topo.features.ingress {
        for (name, ing) in &topo.ingresses {
            add(&mut out, "Ingress", ns_of(&ing.namespace), name, root.key("ingresses").key(name.clone()), false);
        }
    }
    if topo.features.gateway_api {
        for (name, gw) in topo.gateways.iter().filter(|(_, g)| !g.external) {
            add(&mut out, "Gateway", ns_of(&gw.namespace), name, root.key("gateways").key(name.clone()), false);
        }
        let mut grants = std::collections::BTreeSet::new();
        for (name, rt) in &topo.routes {
            let path = root.key("routes").key(name.clone());
            let kind = if rt.kind.as_deref() == Some("grpc") { "GRPCRoute" } else { "HTTPRoute" };
            let ns = ns_of(&rt.namespace);
            for b in rt.rules.iter().flat_map(|r| r.backends.iter()) {
                if let Some(svc) = topo.services.get(&b.service) {
                    let svc_ns = ns_of(&svc.namespace);
                    if svc_ns != ns {
                        grants.insert((
                            svc_ns,
                            format!("{}-{}", kind.to_ascii_lowercase(), ns.clone().unwrap_or_default()),
                            path.clone(),
                        ));
                    }
                }
            }
            add(&mut out, kind, ns, name, path, false);
        }
        for (ns, name, path) in grants {
            add(&mut out, "ReferenceGrant", ns, &name, path, false);
        }
    }
    out
}

/// Kinds whose `app.kubernetes.io/name` label is the object's own name
/// (the others carry the name of their service, a DNS label already).
const NAME_LABELLED: [&str; 12] = [
    "Gateway",
    "HTTPRoute",
    "GRPCRoute",
    "ReferenceGrant",
    "StorageClass",
    "NetworkPolicy",
    "ConfigMap",
    "Secret",
    "ExternalSecret",
    "PersistentVolumeClaim",
    "Ingress",
    "Namespace",
];

/// Kinds whose name table names.rs checks (as DNS subdomains or labels).
const NAMES_CHECKED: [&str; 10] = [
    "Namespace",
    "ConfigMap",
    "Secret",
    "ExternalSecret",
    "PersistentVolumeClaim",
    "Service",
    "Deployment",
    "StatefulSet",
    "Job",
    "CronJob",
];

/// Names the pods and claims refer to, which the API server checks as DNS
/// subdomains although archctl does not create the objects.
fn referenced(topo: &Topology, out: &mut Vec<Diagnostic>) {
    let root = TomlPath::root();
    let mut refer = |value: &str, path: TomlPath, key: bool, what: &str, help: &str| {
        if let Err(why) = subdomain(value) {
            let d = Diagnostic::error("E020", format!("`{value}` is not a valid {what} name: it {why}"));
            out.push(if key { d.at_key(&path) } else { d.at(&path) }.with_label("rejected by Kubernetes").with_help(
                match names::suggest_label(value) {
                    Some(s) => format!("{help}; try `{s}`"),
                    None => help.to_string(),
                },
            ));
        }
    };
    for (name, svc) in &topo.services {
        let path = root.key("services").key(name.clone());
        if let Some(pc) = &svc.placement.priority_class {
            let at = path.key("placement").key("priority_class");
            refer(pc, at, false, "priority class", "name a PriorityClass of the cluster, e.g. `high-priority`");
        }
        // a service account archctl does not create is still named in the pod
        if let Some(sa) = &svc.service_account
            && sa.create == Some(false)
            && let Some(n) = &sa.name
        {
            let at = path.key("service_account").key("name");
            refer(n, at, false, "service account", "name the ServiceAccount the pods run as");
        }
    }
    // a class archctl does not create is still named by every claim that uses it
    for (key, sc) in &topo.storage_classes {
        if sc.class.is_none() && sc.provisioner.is_none() {
            let at = root.key("storage_classes").key(key.clone());
            refer(key, at, true, "storage class", "the key is the cluster's class name unless `class` gives another");
        }
    }
}

pub(super) fn check(topo: &Topology, out: &mut Vec<Diagnostic>) {
    referenced(topo, out);
    let objects = generated(topo);
    for o in &objects {
        names_of(o, out);
    }
    // two entries that make the same object: the later one overwrites the
    // earlier at apply, or the apply of one fails on the other's fields
    let mut seen: HashMap<(&str, Option<&str>, &str), &Generated> = HashMap::new();
    for o in &objects {
        let key = (o.kind, o.namespace.as_deref(), o.name.as_str());
        let Some(first) = seen.get(&key) else {
            seen.insert(key, o);
            continue;
        };
        let place = match &o.namespace {
            Some(ns) => format!(" in namespace `{ns}`"),
            None => String::new(),
        };
        let help = match o.kind {
            "ServiceAccount" => format!(
                "`{}` makes it too: to share one account, set `create = false` on all but one; otherwise give each its own `name`",
                first.path
            ),
            _ => format!("`{}` makes it too: give one of them another `name`", first.path),
        };
        out.push(
            o.diagnostic("E021", format!("two entries make {} `{}`{place}", o.kind, o.name))
                .with_label("generated twice")
                .with_help(help),
        );
    }
}

/// The name rules of one generated object, beyond those names.rs checks
/// on the topology's own tables.
fn names_of(o: &Generated, out: &mut Vec<Diagnostic>) {
    let n = o.name.as_str();
    let checked_elsewhere = NAMES_CHECKED.contains(&o.kind)
        || (o.kind == "StorageClass" && o.explicit) // values.rs checks `class`
        || (o.kind == "NetworkPolicy" && n == "default-deny");
    if !checked_elsewhere && let Err(why) = subdomain(n) {
        out.push(
            o.diagnostic("E020", format!("`{n}` is not a valid {} name: it {why}", o.kind))
                .with_label("rejected by Kubernetes")
                .with_help(match names::suggest_label(n) {
                    Some(s) => format!("object names are lowercase DNS names; try `{s}`"),
                    None => "use lowercase letters, digits, `-` and `.`, starting and ending with a letter or digit"
                        .to_string(),
                }),
        );
        return;
    }
    // what names.rs and values.rs refuse is reported there, once
    let refused_elsewhere = match o.kind {
        "Service" | "Deployment" | "StatefulSet" | "Job" | "CronJob" => names::dns1035_label(n).is_err(),
        "Namespace" => names::dns1123_label(n).is_err(),
        _ => names::dns1123_subdomain(n).is_err(),
    };
    if checked_elsewhere && refused_elsewhere {
        return;
    }
    if NAME_LABELLED.contains(&o.kind) && n.len() > LABEL_MAX {
        out.push(
            o.diagnostic(
                "E020",
                format!("{} name `{n}` is longer than {LABEL_MAX} characters ({})", o.kind, n.len()),
            )
            .with_help(format!(
                "archctl labels the object `app.kubernetes.io/name: {n}`, and a label value holds at most {LABEL_MAX} characters: shorten the name"
            )),
        );
    }
    if o.kind == "StatefulSet" && n.len() > STATEFULSET_MAX {
        out.push(
            o.diagnostic(
                "E020",
                format!("statefulset name `{n}` is longer than {STATEFULSET_MAX} characters ({})", n.len()),
            )
            .with_help(format!(
                "the controller labels its pods `controller-revision-hash: {n}-<hash>`, which must fit in {LABEL_MAX}: shorten the name"
            )),
        );
    }
    if o.kind == "ScaledObject" && n.len() > SCALED_OBJECT_MAX {
        out.push(
            o.diagnostic(
                "E020",
                format!("ScaledObject name `{n}` is longer than {SCALED_OBJECT_MAX} characters ({})", n.len()),
            )
            .with_help(format!(
                "KEDA makes an HPA `keda-hpa-{n}` and labels it with that name, which must fit in {LABEL_MAX}: set a shorter `keda.name`"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subdomains_as_the_api_server_checks_them() {
        for ok in ["web", "web.hpa", "a-b.c-d", &"a".repeat(100), "1abc"] {
            assert!(subdomain(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Web", "web.", ".web", "a..b", "-a", "a-", "a_b", "a b", &"a".repeat(254)] {
            assert!(subdomain(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn derived_limits() {
        assert_eq!(SCALED_OBJECT_MAX, 54);
        assert_eq!(STATEFULSET_MAX + "-".len() + 10, LABEL_MAX);
    }

    /// The objects listed here are exactly those `objects` makes.
    #[test]
    fn objects_match_the_build() {
        let dir = tempfile::tempdir().unwrap();
        let topology = r#"
[project]
name = "shop"
[namespaces.shop]
default_deny = true
[namespaces.data]
[storage_classes.fast]
provisioner = "ebs.csi.aws.com"
[storage_classes.gp3]
class = "gp3-enc"
provisioner = "ebs.csi.aws.com"
[storage_classes.plain]
[config_maps.cfg]
data = { a = "1" }
[secrets.db]
keys = ["password"]
placeholder = true
[secrets.api-key]
keys = ["token"]
store = "vault"
[secrets.external]
keys = ["x"]
[secret_stores.vault]
[claims.shared]
size = "1Gi"
namespace = "data"
[services.web]
kind = "deployment"
container = { image = "web:1", ports = { http = 8080 } }
autoscaling = { min = 2, max = 4, cpu = 70, name = "web-hpa" }
vpa = { mode = "Off" }
disruption = { max_unavailable = 1 }
service_account = { name = "web-sa" }
metrics = { port = "http", name = "web-mon" }
[services.worker]
kind = "deployment"
container = { image = "worker:1" }
keda = { min = 0, max = 3, triggers = [{ type = "cpu", metadata = { value = "50" } }] }
service_account = { create = false, name = "shared" }
[services.db]
kind = "statefulset"
namespace = "data"
container = { image = "db:1", ports = { pg = 5432 } }
service_account = {}
[services.db.volumes.data]
mount = "/data"
size = "1Gi"
[services.batch]
kind = "cronjob"
schedule = "@daily"
container = { image = "batch:1", ports = { http = 80 } }
[services.once]
kind = "job"
container = { image = "once:1" }
[ingresses.front]
rules = [{ host = "shop.example.com", paths = [{ path = "/", service = "web" }] }]
[gateways.public]
class = "istio"
listeners = [{ name = "http", protocol = "HTTP", port = 80 }]
[routes.shop]
gateway = "public"
hostnames = ["shop.example.com"]
rules = [{ backends = [{ service = "web" }] }]
[routes.data-api]
kind = "grpc"
gateway = { name = "public", section = "http" }
rules = [{ backends = [{ service = "db", port = "pg" }] }]
[network_policies.web-in]
service = "web"
ingress = [{ from = [{ service = "worker" }, { gateway = "public" }] }]
"#;
        std::fs::write(dir.path().join("archctl.toml"), topology).unwrap();
        let target = crate::pipeline::Target::default();
        let rendered = crate::pipeline::render(&dir.path().join("archctl.toml"), &target)
            .unwrap_or_else(|f| panic!("{:?}", f.diagnostics));
        let mut built: Vec<(String, Option<String>, String)> = rendered
            .objects
            .iter()
            .map(|o| (o.kind().to_string(), o.namespace().map(str::to_string), o.name().to_string()))
            .filter(|(kind, _, name)| {
                !(["ResourceQuota", "LimitRange"].contains(&kind.as_str())
                    || (kind == "NetworkPolicy" && name == "default-deny"))
            })
            .collect();
        let mut listed: Vec<(String, Option<String>, String)> = generated(&rendered.resolved.topology)
            .into_iter()
            .map(|g| (g.kind.to_string(), g.namespace, g.name))
            .collect();
        built.sort();
        listed.sort();
        assert_eq!(listed, built);
    }
}
