//! `archctl import`: Kubernetes objects (manifests, `helm template`
//! output, live objects) turned into a topology that renders the same
//! objects — the inverse of [`crate::objects`].
//!
//! Each object of a kind the topology models becomes its section:
//! Deployments, StatefulSets, Jobs and CronJobs become services (with the
//! Service that fronts a workload's pods), ConfigMaps config maps,
//! PersistentVolumeClaims claims, and Secrets references that name their
//! keys and never their values; StorageClasses become storage classes,
//! ExternalSecrets the secrets they fill (with their stores), and Gateway
//! API Gateways, HTTPRoutes and GRPCRoutes gateways and routes (with the
//! ReferenceGrants archctl renders for them). Names, labels and selectors
//! are kept exactly, through the `legacy` tables (a ReferenceGrant, which
//! its route implies, is labelled as archctl labels it, and other labels
//! are listed). What the mapping
//! leaves out is never dropped silently: each object carries notes (field
//! and why), and the command compares the render of the written topology
//! with the input to list every field it does not reproduce.
//!
//! Only the objects' JSON is read here: the command reads the files (with
//! the bounded reader of `diff --against`) and renders and compares.

mod cluster;
mod gateway;
mod network;
mod pod;
mod scaling;
mod secrets;
pub(crate) mod toml;
mod workload;

use crate::k8s::describe;
use indexmap::IndexMap;
use serde_json::Value;

use toml::{Section, Table};

/// What `import` is asked for.
#[derive(Clone, Debug, Default)]
pub(crate) struct Options {
    /// The project's name; default: the namespace most objects are in.
    pub name: Option<String>,
    /// Where the objects came from, for the topology's header.
    pub source: String,
}

/// What became of one input object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Expressed in the topology (wholly, unless it has notes).
    Mapped,
    /// A Secret: a reference with its key names, never rendered.
    Reference(Vec<String>),
    /// Not in the topology at all, and why.
    Skipped(String),
}

/// One input object and what became of it.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// `apps/v1 Deployment archivist/rag-api`.
    pub id: String,
    /// Its place among the input objects.
    pub index: usize,
    pub fate: Fate,
    /// Fields the topology cannot express: `path: why`.
    pub notes: Vec<String>,
}

/// The topology import writes, and the fate of each input object.
#[derive(Clone, Debug)]
pub(crate) struct Imported {
    pub project: String,
    pub sections: Vec<Section>,
    pub entries: Vec<Entry>,
    /// The variables that hold sidecars' and init containers' images.
    images: Vec<(String, String)>,
    source: String,
}

/// A declared Secret: where, its keys, its type.
#[derive(Clone, Debug, Default)]
struct SecretRef {
    namespace: String,
    keys: Vec<String>,
    kind: Option<String>,
}

/// The state of one import: what is declared so far.
pub(crate) struct Ctx {
    /// The project's name.
    project: String,
    /// The project's namespace.
    namespace: String,
    /// Secrets by name, as the topology keys them.
    secrets: IndexMap<String, SecretRef>,
    /// ConfigMaps of the input, by name: their namespace.
    config_maps: IndexMap<String, String>,
    /// PersistentVolumeClaims of the input, by name: their namespace.
    claims: IndexMap<String, String>,
    /// Storage class names volumes and claims use.
    storage_classes: Vec<String>,
    /// Services (workloads) by name: their namespace.
    services: IndexMap<String, String>,
    /// Whether a workload asks for GPUs (then `[gpu]` adds nothing).
    gpu: bool,
    /// Network policies by name: their namespace.
    policies: IndexMap<String, String>,
    /// Ingresses by name: their namespace.
    ingresses: IndexMap<String, String>,
    /// The secrets ExternalSecrets fill, by name.
    external: IndexMap<String, secrets::External>,
    /// The stores they fetch from, by their key among `secret_stores`.
    stores: Vec<(String, secrets::Store)>,
    /// Namespaces the topology uses beyond those of services, config
    /// maps, claims and secrets.
    used_namespaces: Vec<String>,
}

impl Ctx {
    /// `namespace = …` when it is not the project's.
    fn namespace(&self, t: &mut Table, ns: &str) {
        if ns != self.namespace {
            t.set("namespace", ns);
        }
    }

    fn storage_class(&mut self, name: &str) {
        if !self.storage_classes.iter().any(|c| c == name) {
            self.storage_classes.push(name.to_string());
        }
    }

    /// Declares a use of the Secret `name` in `ns` with `key`; false when
    /// another Secret of that name in another namespace holds the name.
    fn use_secret(&mut self, name: &str, ns: &str, key: Option<&str>) -> bool {
        let s = self
            .secrets
            .entry(name.to_string())
            .or_insert_with(|| SecretRef { namespace: ns.to_string(), ..Default::default() });
        if s.namespace != ns {
            return false;
        }
        if let Some(k) = key
            && !s.keys.iter().any(|x| x == k)
        {
            s.keys.push(k.to_string());
        }
        true
    }
}

/// The namespace of an object; default the project's.
fn ns_of(v: &Value, default: &str) -> String {
    v["metadata"]["namespace"].as_str().unwrap_or(default).to_string()
}

/// The namespace most of the objects are in (the first of those tied).
fn common_namespace(objects: &[Value]) -> Option<String> {
    let mut counts: IndexMap<&str, usize> = IndexMap::new();
    for o in objects {
        if let Some(ns) = o["metadata"]["namespace"].as_str() {
            *counts.entry(ns).or_default() += 1;
        }
    }
    let max = counts.values().copied().max()?;
    counts.into_iter().find(|(_, n)| *n == max).map(|(ns, _)| ns.to_string())
}

/// Turns objects into a topology.
pub(crate) fn import(objects: &[Value], opts: &Options) -> Imported {
    let namespace = common_namespace(objects).unwrap_or_else(|| "default".to_string());
    let project = opts.name.clone().unwrap_or_else(|| namespace.clone());
    let mut ctx = Ctx {
        project: project.clone(),
        namespace: namespace.clone(),
        secrets: IndexMap::new(),
        config_maps: IndexMap::new(),
        claims: IndexMap::new(),
        storage_classes: Vec::new(),
        services: IndexMap::new(),
        gpu: false,
        policies: IndexMap::new(),
        ingresses: IndexMap::new(),
        external: IndexMap::new(),
        stores: Vec::new(),
        used_namespaces: Vec::new(),
    };
    let mut entries: Vec<Entry> = Vec::new();
    let mut seen: IndexMap<String, usize> = IndexMap::new();
    let mut wanted: Vec<usize> = Vec::new();
    // the same object twice (a guide that repeats one) is one object; two
    // different objects of one identity cannot both be rendered
    for (i, o) in objects.iter().enumerate() {
        let id = describe(o);
        let entry = |fate| Entry { id: id.clone(), index: i, fate, notes: Vec::new() };
        if o["metadata"]["namespace"].is_null() && !matches!(o["kind"].as_str(), Some("Namespace" | "StorageClass")) {
            entries.push(entry(Fate::Skipped(
                "it names no namespace (kubectl would apply it to the current one): give it `metadata.namespace`, or \
                 import with `-n NAMESPACE`"
                    .into(),
            )));
            continue;
        }
        match seen.get(&id) {
            Some(&j) if objects[j] == *o => continue,
            Some(_) => {
                entries
                    .push(entry(Fate::Skipped("another object of this kind, namespace and name comes first".into())));
                continue;
            }
            None => {
                seen.insert(id, i);
                wanted.push(i);
            }
        }
    }
    // what workloads may refer to: the input's ConfigMaps, claims and Secrets
    for &i in &wanted {
        let o = &objects[i];
        let name = o["metadata"]["name"].as_str().unwrap_or("").to_string();
        let ns = ns_of(o, &namespace);
        match (o["apiVersion"].as_str(), o["kind"].as_str()) {
            (Some("v1"), Some("ConfigMap")) => {
                ctx.config_maps.entry(name).or_insert(ns);
            }
            (Some("v1"), Some("PersistentVolumeClaim")) => {
                ctx.claims.entry(name).or_insert(ns);
            }
            (Some("v1"), Some("Secret")) => {
                let mut keys: Vec<String> = Vec::new();
                for field in ["data", "stringData"] {
                    for k in o[field].as_object().into_iter().flat_map(|m| m.keys()) {
                        if !keys.contains(k) {
                            keys.push(k.clone());
                        }
                    }
                }
                let kind = o["type"].as_str().filter(|t| *t != "Opaque").map(str::to_string);
                ctx.secrets.entry(name).or_insert(SecretRef { namespace: ns, keys, kind });
            }
            _ => {}
        }
    }

    let mut services: Vec<Section> = Vec::new();
    let mut config: Vec<Section> = Vec::new();
    let mut claimed: Vec<Section> = Vec::new();
    let mut policies: Vec<Section> = Vec::new();
    let mut classes: Vec<Section> = Vec::new();
    // the Services that front a workload's pods are taken with it
    let fronting = workload::fronting_services(objects, &wanted);
    let mut taken: Vec<usize> = Vec::new();
    for &i in &wanted {
        let o = &objects[i];
        let id = describe(o);
        let kind = (o["apiVersion"].as_str().unwrap_or(""), o["kind"].as_str().unwrap_or(""));
        let mut entry = Entry { id, index: i, fate: Fate::Mapped, notes: Vec::new() };
        match kind {
            ("apps/v1", "Deployment" | "StatefulSet") | ("batch/v1", "Job" | "CronJob") => {
                let front = fronting.get(&i).copied();
                match workload::workload(&mut ctx, o, front.map(|j| &objects[j])) {
                    Ok(w) => {
                        services.extend(w.sections);
                        entry.notes = w.notes;
                        if let (Some(j), Some(notes)) = (front, w.service_notes) {
                            taken.push(j);
                            entries.push(Entry { id: describe(&objects[j]), index: j, fate: Fate::Mapped, notes });
                        }
                    }
                    Err(why) => entry.fate = Fate::Skipped(why),
                }
            }
            ("v1", "ConfigMap") => match config_map(&ctx, o) {
                Ok((s, notes)) => {
                    config.extend(s);
                    entry.notes = notes;
                }
                Err(why) => entry.fate = Fate::Skipped(why),
            },
            ("v1", "PersistentVolumeClaim") => match claim(&mut ctx, o) {
                Ok((s, notes)) => {
                    claimed.push(s);
                    entry.notes = notes;
                }
                Err(why) => entry.fate = Fate::Skipped(why),
            },
            ("networking.k8s.io/v1", "NetworkPolicy") => match network::policy(&mut ctx, o) {
                Ok((s, notes)) => {
                    policies.push(s);
                    entry.notes = notes;
                }
                Err(why) => entry.fate = Fate::Skipped(why),
            },
            ("storage.k8s.io/v1", "StorageClass") => match cluster::storage_class(&mut ctx, o) {
                Ok((s, notes)) => {
                    classes.push(s);
                    entry.notes = notes;
                }
                Err(why) => entry.fate = Fate::Skipped(why),
            },
            ("v1", "Secret") => {
                let name = o["metadata"]["name"].as_str().unwrap_or("");
                let keys = ctx.secrets.get(name).map(|s| s.keys.clone()).unwrap_or_default();
                entry.fate = Fate::Reference(keys);
            }
            ("v1", "Service")
            | ("autoscaling/v2", "HorizontalPodAutoscaler")
            | ("policy/v1", "PodDisruptionBudget")
            | ("v1", "ServiceAccount" | "Namespace")
            | ("networking.k8s.io/v1", "Ingress")
            | ("autoscaling.k8s.io/v1", "VerticalPodAutoscaler")
            | ("keda.sh/v1alpha1", "ScaledObject")
            | ("monitoring.coreos.com/v1", "ServiceMonitor")
            | ("external-secrets.io/v1" | "external-secrets.io/v1beta1", "ExternalSecret")
            | ("gateway.networking.k8s.io/v1", "Gateway" | "HTTPRoute" | "GRPCRoute" | "ReferenceGrant") => continue,
            (_, k) => {
                entry.fate = Fate::Skipped(format!("`archctl import` does not map {k} objects yet"));
            }
        }
        entries.push(entry);
    }
    // the external secrets, once the workloads have named the keys they read
    for &i in &wanted {
        let o = &objects[i];
        let api = o["apiVersion"].as_str().unwrap_or("");
        if !matches!(api, "external-secrets.io/v1" | "external-secrets.io/v1beta1") || o["kind"] != "ExternalSecret" {
            continue;
        }
        let mut entry = Entry { id: describe(o), index: i, fate: Fate::Mapped, notes: Vec::new() };
        match secrets::external_secret(&mut ctx, o) {
            Ok(notes) => entry.notes = notes,
            Err(why) => entry.fate = Fate::Skipped(why),
        }
        entries.push(entry);
    }
    // the ingresses that route to the imported workloads' Services
    let mut ingresses: Vec<Section> = Vec::new();
    for &i in &wanted {
        let o = &objects[i];
        if o["apiVersion"] != "networking.k8s.io/v1" || o["kind"] != "Ingress" {
            continue;
        }
        let mut entry = Entry { id: describe(o), index: i, fate: Fate::Mapped, notes: Vec::new() };
        match network::ingress(&mut ctx, o, &services) {
            Ok((s, notes)) => {
                ingresses.push(s);
                entry.notes = notes;
            }
            Err(why) => entry.fate = Fate::Skipped(why),
        }
        entries.push(entry);
    }
    // gateways, the routes to the imported workloads' Services, and the grants those need
    let (gateway_entries, gateway_sections) = gateway::gateway_api(&mut ctx, objects, &wanted, &services);
    entries.extend(gateway_entries);
    // the accounts workloads run as
    for &i in &wanted {
        let o = &objects[i];
        if o["apiVersion"] != "v1" || o["kind"] != "ServiceAccount" {
            continue;
        }
        let mut entry = Entry { id: describe(o), index: i, fate: Fate::Mapped, notes: Vec::new() };
        match cluster::service_account(&ctx, objects, &wanted, o, &mut services) {
            Ok(a) => entry.notes = a.notes,
            Err(why) => entry.fate = Fate::Skipped(why),
        }
        entries.push(entry);
    }
    // autoscalers, then budgets (whose check needs the autoscaler's bounds)
    // and monitors, each with the workload it belongs to
    type Attach = fn(&Ctx, &[Value], &[usize], &Value, &mut Vec<Section>) -> Result<scaling::Attached, String>;
    let passes: [(&str, &str, Attach); 5] = [
        ("autoscaling/v2", "HorizontalPodAutoscaler", scaling::hpa),
        ("keda.sh/v1alpha1", "ScaledObject", scaling::keda),
        ("autoscaling.k8s.io/v1", "VerticalPodAutoscaler", scaling::vpa),
        ("policy/v1", "PodDisruptionBudget", scaling::pdb),
        ("monitoring.coreos.com/v1", "ServiceMonitor", scaling::monitor),
    ];
    for (api, pass, attach) in passes {
        for &i in &wanted {
            let o = &objects[i];
            if o["apiVersion"] != api || o["kind"] != pass {
                continue;
            }
            let attached = attach(&ctx, objects, &wanted, o, &mut services);
            let mut entry = Entry { id: describe(o), index: i, fate: Fate::Mapped, notes: Vec::new() };
            match attached {
                Ok(a) => {
                    entry.notes = a.notes;
                    let scaler = matches!(pass, "HorizontalPodAutoscaler" | "ScaledObject");
                    if scaler && !objects[a.workload]["spec"]["replicas"].is_null() {
                        // the autoscaler owns the count: the render leaves it out
                        if let Some(w) = entries.iter_mut().find(|e| e.index == a.workload) {
                            w.notes.push(format!(
                                "spec.replicas: the autoscaler owns it, so the render leaves it out (kept as `services.{}.replicas`, rendered with `features.autoscaling = false`)",
                                a.service
                            ));
                        }
                    }
                }
                Err(why) => entry.fate = Fate::Skipped(why),
            }
            entries.push(entry);
        }
    }
    // Services that front no workload
    for &i in &wanted {
        let o = &objects[i];
        if o["kind"] == "Service" && o["apiVersion"] == "v1" && !taken.contains(&i) {
            entries.push(Entry {
                id: describe(o),
                index: i,
                fate: Fate::Skipped(
                    "a Service is imported with the deployment or statefulset of its name and namespace whose pods it \
                     selects (the same selector), and there is none"
                        .into(),
                ),
                notes: Vec::new(),
            });
        }
    }
    // the Namespaces, when they are all the topology uses
    let found: Vec<usize> = wanted
        .iter()
        .copied()
        .filter(|&i| objects[i]["apiVersion"] == "v1" && objects[i]["kind"] == "Namespace")
        .collect();
    let mut used: Vec<String> = vec![namespace.clone()];
    let secret_namespaces = ctx.secrets.values().map(|s| &s.namespace);
    let all = ctx.services.values().chain(ctx.config_maps.values()).chain(ctx.claims.values());
    for ns in all.chain(secret_namespaces).chain(ctx.used_namespaces.iter()) {
        if !used.contains(ns) {
            used.push(ns.clone());
        }
    }
    let mut namespace_sections = Vec::new();
    if !found.is_empty() {
        match cluster::namespaces(objects, &found, &used) {
            Ok(list) => {
                for (i, s) in list {
                    entries.push(Entry { id: describe(&objects[i]), index: i, fate: Fate::Mapped, notes: Vec::new() });
                    namespace_sections.push(s);
                }
            }
            Err(why) => {
                for &i in &found {
                    entries.push(Entry {
                        id: describe(&objects[i]),
                        index: i,
                        fate: Fate::Skipped(why.clone()),
                        notes: Vec::new(),
                    });
                }
            }
        }
    }
    entries.sort_by_key(|e| e.index);

    let mut sections = Vec::new();
    let mut head = Section::new(&["project"]);
    head.table.set("name", project.as_str());
    if namespace != project {
        head.table.set("namespace", namespace.as_str());
    }
    sections.push(head);
    sections.extend(namespace_sections);
    if ctx.gpu {
        let mut gpu = Section::new(&["gpu"]);
        gpu.comments.push("the imported pods ask for GPUs with their own node selectors and tolerations".into());
        gpu.table.set("node_selector", Table::default());
        gpu.table.set("tolerations", toml::Value::Array(Vec::new()));
        sections.push(gpu);
    }
    for class in &ctx.storage_classes {
        // a StorageClass of the input, or a class of the cluster that claims name
        if let Some(s) = classes.iter().find(|s| s.path[1] == *class) {
            sections.push(s.clone());
            continue;
        }
        let mut s = Section::new(&["storage_classes", class]);
        s.comments.push("a class of the cluster, named as it is there".into());
        s.table.set("class", class.as_str());
        sections.push(s);
    }
    sections.extend(shared_resources(&mut services));
    sections.extend(services);
    sections.extend(config);
    for (key, store) in &ctx.stores {
        sections.push(secrets::store_section(key, store));
    }
    for (name, s) in &ctx.secrets {
        let mut sec = Section::new(&["secrets", name]);
        ctx.namespace(&mut sec.table, &s.namespace);
        match ctx.external.get(name) {
            Some(e) => {
                // checked when the ExternalSecret was imported
                let (keys, remote) = secrets::keys_and_remote(&e.fetch, &s.keys).unwrap_or_default();
                sec.table.set("keys", keys);
                sec.table.opt("type", s.kind.clone());
                sec.table.set("store", e.store.as_str());
                sec.table.opt("remote", remote);
                sec.table.opt("refresh", e.refresh.clone());
                sec.table.opt("legacy", e.legacy.clone());
            }
            None => {
                sec.table.set("keys", s.keys.clone());
                sec.table.opt("type", s.kind.clone());
            }
        }
        sections.push(sec);
    }
    sections.extend(claimed);
    sections.extend(policies);
    sections.extend(ingresses);
    sections.extend(gateway_sections);
    // every string of a topology is a template: the input's are text
    for s in &mut sections {
        literal_strings(&mut s.table);
    }
    let images = images_as_vars(&mut sections);
    if !images.is_empty() {
        let mut vars = Section::new(&["vars"]);
        vars.comments.push(format!(
            "the images of sidecars and init containers, which profiles/{PROFILE}.toml sets per environment"
        ));
        for (var, image) in &images {
            vars.table.set(var, image.as_str());
        }
        // after `[project]` and before the tables that read them
        sections.insert(1, vars);
    }
    Imported { project, sections, entries, images, source: opts.source.clone() }
}

/// Makes every string of `t` (values, not keys) render as itself: a
/// string with a template delimiter (an environment variable that holds a
/// Go template, say) is written as a minijinja literal.
fn literal_strings(t: &mut Table) {
    fn value(v: &mut toml::Value) {
        match v {
            toml::Value::Str(s) if crate::load::template::is_template(s) => *s = toml::literal(s),
            toml::Value::Array(items) => items.iter_mut().for_each(value),
            toml::Value::Table(t) => literal_strings(t),
            _ => {}
        }
    }
    for (_, v) in &mut t.0 {
        value(v);
    }
}

/// The image of each sidecar and init container becomes a variable
/// (`image_<service>_<container>`) that the container's `image` reads, so
/// that a profile can change it: a profile replaces an array of tables
/// whole, and would otherwise have to repeat every container to change
/// one image. Returns the variables in the order of the containers.
fn images_as_vars(sections: &mut [Section]) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = Vec::new();
    for s in sections.iter_mut() {
        let [top, service, array] = s.path.as_slice() else { continue };
        if !s.array || top != "services" || !matches!(array.as_str(), "sidecars" | "init_containers") {
            continue;
        }
        let container = match s.table.get("name") {
            Some(toml::Value::Str(n)) => n.clone(),
            _ => continue,
        };
        // an image that holds a template delimiter stays where it is, as text
        let Some(toml::Value::Str(image)) = s.table.get("image").cloned() else { continue };
        if crate::load::template::is_template(&image) {
            continue;
        }
        let ident = |x: &str| x.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect::<String>();
        let base = format!("image_{}_{}", ident(service), ident(&container));
        let mut var = base.clone();
        let mut n = 2;
        while vars.iter().any(|(v, _)| *v == var) {
            var = format!("{base}_{n}");
            n += 1;
        }
        if let Some(v) = s.table.get_mut("image") {
            *v = toml::Value::Str(format!("{{{{ {var} }}}}"));
        }
        vars.push((var, image));
    }
    vars
}

/// Requests and limits that several containers share become resource
/// profiles (`shared-1`, …, in the order of first use), which the
/// containers name instead.
fn shared_resources(sections: &mut [Section]) -> Vec<Section> {
    let mut seen: Vec<(toml::Value, usize)> = Vec::new();
    for s in sections.iter() {
        if let Some(r @ toml::Value::Table(_)) = s.table.get("resources") {
            match seen.iter_mut().find(|(v, _)| v == r) {
                Some((_, n)) => *n += 1,
                None => seen.push((r.clone(), 1)),
            }
        }
    }
    let shared: Vec<(toml::Value, String)> = seen
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .enumerate()
        .map(|(i, (v, _))| (v, format!("shared-{}", i + 1)))
        .collect();
    for s in sections.iter_mut() {
        for (k, v) in s.table.0.iter_mut() {
            if k == "resources"
                && let Some((_, name)) = shared.iter().find(|(r, _)| r == v)
            {
                *v = toml::Value::Str(name.clone());
            }
        }
    }
    shared
        .into_iter()
        .map(|(v, name)| {
            let mut s = Section::new(&["resource_profiles", &name]);
            s.comments.push("requests and limits several imported containers share".into());
            if let toml::Value::Table(t) = v {
                s.table = t;
            }
            s
        })
        .collect()
}

/// A ConfigMap: its entries, and its labels kept exactly.
fn config_map(ctx: &Ctx, o: &Value) -> Result<(Vec<Section>, Vec<String>), String> {
    let name = o["metadata"]["name"].as_str().unwrap_or("");
    let mut s = Section::new(&["config_maps", name]);
    let ns = ns_of(o, &ctx.namespace);
    if ctx.config_maps.get(name) != Some(&ns) {
        return Err(format!(
            "a ConfigMap `{name}` of another namespace is imported: the topology names config maps uniquely"
        ));
    }
    ctx.namespace(&mut s.table, &ns);
    let data: Table = match o["data"].as_object() {
        Some(m) => {
            Table(m.iter().map(|(k, v)| (k.clone(), toml::Value::Str(v.as_str().unwrap_or("").into()))).collect())
        }
        None => Table::default(),
    };
    let mut legacy = Table::default();
    let own = labels(&o["metadata"]["labels"]);
    if !own.is_empty() {
        legacy.set("labels", own);
    }
    s.table.set("legacy", legacy);
    // the entries in a section of their own: long texts read as written
    let mut d = Section::new(&["config_maps", name, "data"]);
    d.table = data;
    Ok((vec![s, d], Vec::new()))
}

/// A PersistentVolumeClaim: one access mode, a class and a size.
fn claim(ctx: &mut Ctx, o: &Value) -> Result<(Section, Vec<String>), String> {
    let name = o["metadata"]["name"].as_str().unwrap_or("");
    let ns = ns_of(o, &ctx.namespace);
    if ctx.claims.get(name) != Some(&ns) {
        return Err(format!("a claim `{name}` of another namespace is imported: the topology names claims uniquely"));
    }
    let spec = &o["spec"];
    let Some(size) = spec["resources"]["requests"]["storage"].as_str() else {
        return Err("it requests no `storage`".into());
    };
    let mut s = Section::new(&["claims", name]);
    ctx.namespace(&mut s.table, &ns);
    s.table.set("size", size);
    let mut notes = Vec::new();
    if let Some(class) = spec["storageClassName"].as_str() {
        ctx.storage_class(class);
        s.table.set("storage_class", class);
    }
    match spec["accessModes"].as_array().map(Vec::as_slice) {
        Some([one]) => s.table.set("access", one.as_str().unwrap_or("")),
        _ => notes.push("spec.accessModes: archctl renders exactly one access mode".into()),
    }
    let mut legacy = Table::default();
    let own = labels(&o["metadata"]["labels"]);
    if !own.is_empty() {
        legacy.set("labels", own);
    }
    s.table.set("legacy", legacy);
    Ok((s, notes))
}

/// The section at `path`, if there is one.
fn section_mut<'a>(sections: &'a mut [Section], path: &[&str]) -> Option<&'a mut Section> {
    sections.iter_mut().find(|s| s.path.iter().map(String::as_str).eq(path.iter().copied()))
}

/// A labels object as a table (none: empty).
fn labels(v: &Value) -> Table {
    Table(
        v.as_object()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.clone(), toml::Value::Str(v.as_str().unwrap_or("").to_string())))
            .collect(),
    )
}

/// The `legacy` table of an object that archctl labels itself (its
/// recommended labels of `name` and `component`, and the project's), when
/// its labels are not those: they are kept exactly.
fn legacy_labels(ctx: &Ctx, o: &Value, name: &str, component: &str) -> Option<Table> {
    use crate::k8s::labels::{COMPONENT, INSTANCE, MANAGED_BY, MANAGER, NAME, PART_OF};
    let want: std::collections::BTreeMap<&str, &str> = [
        (NAME, name),
        (INSTANCE, ctx.project.as_str()),
        (COMPONENT, component),
        (PART_OF, ctx.project.as_str()),
        (MANAGED_BY, MANAGER),
    ]
    .into();
    let have: std::collections::BTreeMap<&str, &str> = o["metadata"]["labels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
        .collect();
    (have != want).then(|| {
        let mut legacy = Table::default();
        legacy.set("labels", labels(&o["metadata"]["labels"]));
        legacy
    })
}

/// A note when the labels of an object that the topology does not hold
/// (a ReferenceGrant, which routes imply) are not archctl's.
fn own_labels(ctx: &Ctx, o: &Value, name: &str, component: &str) -> Option<String> {
    legacy_labels(ctx, o, name, component).map(|_| {
        let kind = o["kind"].as_str().unwrap_or("");
        format!(
            "metadata.labels: archctl labels a {kind} with its recommended labels only (`{}: {name}`, `{}: {component}`, …)",
            crate::k8s::labels::NAME,
            crate::k8s::labels::COMPONENT
        )
    })
}

/// The profile `import` writes beside the topology.
pub(crate) const PROFILE: &str = "imported";

impl Imported {
    /// `profiles/imported.toml`: the values that differ from one
    /// environment to another — each service's replicas, images (the main
    /// container's, and as variables its sidecars' and init containers')
    /// and autoscaler bounds — as the input has them (the topology holds them
    /// too, so that it renders alone), to copy into `dev.toml`,
    /// `staging.toml`, `production.toml` and change there.
    pub(crate) fn profile_text(&self) -> String {
        let header = [
            format!("The environment-specific values of the system imported from {}:", self.source),
            "each service's replicas, images (and tags) and autoscaler bounds, as they were.".to_string(),
            format!("Render with `--profile {PROFILE}`; copy this file to dev.toml, staging.toml or"),
            "production.toml and change the values there to make those environments.".to_string(),
        ];
        let get = |path: &[&str], key: &str| {
            self.sections
                .iter()
                .find(|s| s.path.iter().map(String::as_str).eq(path.iter().copied()))
                .and_then(|s| s.table.get(key).cloned())
        };
        let mut out = Vec::new();
        if !self.images.is_empty() {
            let mut vars = Section::new(&["vars"]);
            vars.comments.push("the images of sidecars and init containers".into());
            for (var, image) in &self.images {
                vars.table.set(var, image.as_str());
            }
            out.push(vars);
        }
        for s in &self.sections {
            let [top, name] = s.path.as_slice() else { continue };
            if top != "services" {
                continue;
            }
            let mut svc = Section::new(&["services", name]);
            if let Some(r) = s.table.get("replicas") {
                svc.table.set("replicas", r.clone());
            }
            out.push(svc);
            if let Some(image) = get(&["services", name, "container"], "image") {
                let mut c = Section::new(&["services", name, "container"]);
                c.table.set("image", image);
                out.push(c);
            }
            for scaler in ["autoscaling", "keda"] {
                let mut a = Section::new(&["services", name, scaler]);
                for key in ["min", "max"] {
                    if let Some(v) = get(&["services", name, scaler], key) {
                        a.table.set(key, v);
                    }
                }
                if !a.table.is_empty() {
                    out.push(a);
                }
            }
        }
        // a service without any of them needs no table
        let keep: Vec<Section> = out
            .iter()
            .enumerate()
            .filter(|(i, s)| {
                !(s.path.len() == 2
                    && s.table.is_empty()
                    && out.get(i + 1).is_none_or(|n| n.path.len() == 2 || n.path[1] != s.path[1]))
            })
            .map(|(_, s)| s.clone())
            .collect();
        toml::document(&header, &keep)
    }

    /// The topology's text: a header that names the source and every field
    /// it cannot express (`lists`: object → fields), then the sections.
    pub(crate) fn text(&self, lists: &[(String, Vec<String>)]) -> String {
        let mut header = vec![
            format!("Imported by `archctl import` from {}.", self.source),
            "Names, labels and selectors are kept exactly (`legacy`: warning W013 says how to migrate).".to_string(),
            format!(
                "Replicas, images and autoscaler bounds are also in profiles/{PROFILE}.toml: render with `--profile {PROFILE}`."
            ),
        ];
        if lists.iter().any(|(_, l)| !l.is_empty()) {
            header.push(String::new());
            header.push("Not expressible in the topology, so not rendered (object: field):".to_string());
            for (id, fields) in lists {
                for f in fields {
                    header.push(format!("  {id}: {f}"));
                }
            }
        }
        let refs: Vec<String> = self
            .entries
            .iter()
            .filter_map(|e| match &e.fate {
                Fate::Reference(keys) => Some(format!("  {} (keys: {})", e.id, keys.join(", "))),
                _ => None,
            })
            .collect();
        if !refs.is_empty() {
            header.push(String::new());
            header.push("Secrets, by reference: their values were not imported and are not rendered:".to_string());
            header.extend(refs);
        }
        toml::document(&header, &self.sections)
    }
}
