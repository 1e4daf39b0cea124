//! Resolution: from the merged model to the concrete values of one profile
//! and phase — replicas, canonical resource quantities, storage sizes and
//! cluster storage classes, config file contents.
//!
//! Resolution never stops at the first problem: every value that cannot be
//! resolved adds a diagnostic, and the caller decides whether to go on.

use std::collections::BTreeMap;
use std::sync::Arc;

use indexmap::IndexMap;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::diagnostic::suggest;
use crate::k8s::quantity::Quantity;
use crate::load::Loaded;
use crate::load::input::{self, ReadError, Scope};
use crate::topology::{self, Amounts, PerPhase, ResourcesRef, Topology};

/// The Kubernetes name of the GPU resource the `gpu` key stands for.
pub(crate) const GPU_RESOURCE: &str = "nvidia.com/gpu";

/// Requests and limits, keyed by resource name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResourceValues {
    pub requests: BTreeMap<String, Quantity>,
    pub limits: BTreeMap<String, Quantity>,
}

impl ResourceValues {
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty() && self.limits.is_empty()
    }

    /// Whether the container asks for a GPU.
    pub fn wants_gpu(&self) -> bool {
        self.requests.contains_key(GPU_RESOURCE) || self.limits.contains_key(GPU_RESOURCE)
    }
}

/// A pod volume's resolved claim values.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct VolumeValues {
    pub size: Option<Quantity>,
    pub storage_class: Option<String>,
    /// An `emptyDir`'s `sizeLimit`.
    pub size_limit: Option<Quantity>,
}

/// Concrete values of one service.
#[derive(Clone, Debug, Default)]
pub struct ServiceValues {
    pub namespace: String,
    pub replicas: Option<i32>,
    pub resources: ResourceValues,
    pub sidecar_resources: Vec<ResourceValues>,
    pub init_resources: Vec<ResourceValues>,
    pub volumes: IndexMap<String, VolumeValues>,
    /// HPA bounds (min, max) in this phase, when autoscaling is on.
    pub hpa: Option<(i32, i32)>,
    /// KEDA bounds (min, max) in this phase, when autoscaling is on.
    pub keda: Option<(i32, i32)>,
    /// The replicas the autoscaler is expected to keep in this phase, when
    /// the topology says.
    pub expected: Option<i32>,
    /// VPA bounds as canonical quantities.
    pub vpa_min: BTreeMap<String, Quantity>,
    pub vpa_max: BTreeMap<String, Quantity>,
}

impl ServiceValues {
    /// Whether an autoscaler owns the replica count.
    pub fn autoscaled(&self) -> bool {
        self.hpa.is_some() || self.keda.is_some()
    }

    /// The fewest replicas the service runs with in this phase.
    pub fn min_replicas(&self) -> Option<i32> {
        self.hpa.map(|h| h.0).or(self.keda.map(|k| k.0)).or(self.replicas)
    }
}

/// A namespace's quota and limit range, as canonical quantities.
#[derive(Clone, Debug, Default)]
pub struct NamespaceValues {
    pub quota: BTreeMap<String, Quantity>,
    pub limits: Option<LimitValues>,
}

/// A LimitRange's amounts.
#[derive(Clone, Debug, Default)]
pub struct LimitValues {
    pub default: BTreeMap<String, Quantity>,
    pub default_request: BTreeMap<String, Quantity>,
    pub max: BTreeMap<String, Quantity>,
    pub min: BTreeMap<String, Quantity>,
}

/// A service with its resolved values, as `objects` sees it.
pub(crate) struct ResolvedService<'a> {
    pub name: &'a str,
    pub svc: &'a topology::Service,
    pub values: &'a ServiceValues,
}

/// Concrete values of one shared claim.
#[derive(Clone, Debug)]
pub struct ClaimValues {
    pub namespace: String,
    pub size: Quantity,
    pub storage_class: Option<String>,
}

/// A topology resolved for one profile and phase: what `objects` turns into
/// Kubernetes objects.
#[derive(Debug)]
pub struct Resolved {
    pub topology: Arc<Topology>,
    pub profile: Option<String>,
    pub phase: Option<String>,
    pub services: IndexMap<String, ServiceValues>,
    pub claims: IndexMap<String, ClaimValues>,
    /// ConfigMap data, with `files` read in.
    pub config_data: IndexMap<String, IndexMap<String, String>>,
    pub namespaces: IndexMap<String, NamespaceValues>,
}

/// Built-in resource profiles, as PRODUCT.md defines them.
pub(crate) fn builtin_profiles() -> IndexMap<String, topology::Resources> {
    fn amounts(cpu: &str, mem: &str, gpu: Option<u32>) -> Amounts {
        Amounts {
            cpu: Some(topology::QuantityText(cpu.into())),
            memory: Some(topology::QuantityText(mem.into())),
            gpu,
            ephemeral_storage: None,
        }
    }
    let mut m = IndexMap::new();
    m.insert(
        "small".into(),
        topology::Resources { profile: None, requests: amounts("1", "2Gi", None), limits: amounts("2", "4Gi", None) },
    );
    m.insert(
        "large".into(),
        topology::Resources { profile: None, requests: amounts("2", "8Gi", None), limits: amounts("4", "16Gi", None) },
    );
    m.insert(
        "gpu".into(),
        topology::Resources {
            profile: None,
            requests: amounts("4", "16Gi", Some(1)),
            limits: amounts("8", "32Gi", Some(1)),
        },
    );
    m
}

/// Resolves a loaded topology. The topology is shared with the
/// result, never copied: `plan` resolves one load at every phase.
pub fn resolve(loaded: Loaded) -> Result<Resolved, Vec<Diagnostic>> {
    let topo = &*loaded.topology;
    let mut r = Resolver {
        topo,
        selected_phase: loaded.phase.as_deref().or(topo.phase.as_deref()),
        problems: Vec::new(),
        phase_index: None,
        profiles: builtin_profiles(),
    };
    for (name, p) in &topo.resource_profiles {
        r.profiles.insert(name.clone(), p.clone());
    }
    // a phase chosen outside the files has no place in them to point at
    let phase = r.phase(loaded.phase.is_none());

    // resource profiles are checked once, even when unused
    for name in topo.resource_profiles.keys() {
        let path = TomlPath::root().key("resource_profiles").key(name.clone());
        let _ = r.resources(&ResourcesRef::Profile(name.clone()), &path, 0);
    }

    let mut services = IndexMap::new();
    for (name, svc) in &topo.services {
        let path = TomlPath::root().key("services").key(name.clone());
        let mut v = ServiceValues { namespace: topo.namespace_of(&svc.namespace).to_string(), ..Default::default() };
        if let Some(rep) = &svc.replicas {
            v.replicas = r.per_phase(rep, &path.key("replicas"));
        }
        if let Some(res) = &svc.resources {
            v.resources = r.resources(res, &path.key("resources"), 0).unwrap_or_default();
        }
        for (list, out, key) in [
            (&svc.sidecars, &mut v.sidecar_resources, "sidecars"),
            (&svc.init_containers, &mut v.init_resources, "init_containers"),
        ] {
            for (i, c) in list.iter().enumerate() {
                let res = match &c.resources {
                    Some(res) => r.resources(res, &path.key(key).index(i).key("resources"), 0).unwrap_or_default(),
                    None => ResourceValues::default(),
                };
                out.push(res);
            }
        }
        for (vname, vol) in &svc.volumes {
            let vpath = path.key("volumes").key(vname.clone());
            let size = vol.size.as_ref().and_then(|s| {
                let q = r.per_phase(s, &vpath.key("size"))?;
                r.quantity(&q.0, &vpath.key("size"))
            });
            let storage_class = vol
                .storage_class
                .as_ref()
                .and_then(|c| r.storage_class(c, &vpath.key("storage_class")))
                // `class = ""` means the cluster's default class
                .filter(|c| !c.is_empty());
            let size_limit = vol.size_limit.as_ref().and_then(|limit| r.quantity(&limit.0, &vpath.key("size_limit")));
            v.volumes.insert(vname.clone(), VolumeValues { size, storage_class, size_limit });
        }
        if topo.features.autoscaling {
            if let Some(a) = &svc.autoscaling {
                v.hpa = r.bounds(&a.min, &a.max, &path.key("autoscaling"));
                for (i, m) in a.metrics.iter().enumerate() {
                    let mpath = path.key("autoscaling").key("metrics").index(i);
                    for (key, q) in [("average_value", &m.average_value), ("value", &m.value)] {
                        if let Some(q) = q {
                            r.quantity(&q.0, &mpath.key(key));
                        }
                    }
                }
            }
            if let Some(k) = &svc.keda {
                v.keda = r.bounds(&k.min, &k.max, &path.key("keda"));
            }
            let expected = match (&svc.autoscaling, &svc.keda) {
                (Some(a), _) => a.expected.as_ref().zip(v.hpa).map(|e| (e, path.key("autoscaling"))),
                (_, Some(k)) => k.expected.as_ref().zip(v.keda).map(|e| (e, path.key("keda"))),
                _ => None,
            };
            if let Some(((e, (lo, hi)), apath)) = expected {
                let epath = apath.key("expected");
                if let Some(n) = r.per_phase(e, &epath) {
                    if (lo..=hi).contains(&n) {
                        v.expected = Some(n);
                    } else {
                        r.problems.push(
                            Diagnostic::error("E050", format!("the expected replicas {n} lie outside the autoscaler's {lo}..{hi}"))
                                .at(&epath)
                                .with_help("the autoscaler keeps the replicas within `min` and `max`: expect a count between them, or change the bounds"),
                        );
                    }
                }
            }
        }
        if let Some(d) = &svc.disruption
            && topo.features.disruption_budgets
        {
            r.check_disruption(name, d, &v, &path.key("disruption"));
        }
        if let Some(vpa) = &svc.vpa {
            if let Some(m) = &vpa.min {
                v.vpa_min = r.amounts(m, &path.key("vpa").key("min"));
            }
            if let Some(m) = &vpa.max {
                v.vpa_max = r.amounts(m, &path.key("vpa").key("max"));
            }
        }
        services.insert(name.clone(), v);
    }

    let mut claims = IndexMap::new();
    for (name, claim) in &topo.claims {
        let path = TomlPath::root().key("claims").key(name.clone());
        let size = r
            .per_phase(&claim.size, &path.key("size"))
            .and_then(|q| r.quantity(&q.0, &path.key("size")))
            // a size that does not resolve is an error: this value is never used
            .unwrap_or(Quantity::units(0));
        let storage_class = claim
            .storage_class
            .as_ref()
            .and_then(|c| r.storage_class(c, &path.key("storage_class")))
            .filter(|c| !c.is_empty());
        claims.insert(
            name.clone(),
            ClaimValues { namespace: topo.namespace_of(&claim.namespace).to_string(), size, storage_class },
        );
    }

    let mut config_data = IndexMap::new();
    for (name, cm) in &topo.config_maps {
        let path = TomlPath::root().key("config_maps").key(name.clone());
        let mut data = cm.data.clone();
        for (key, src) in &cm.files {
            let text = match src {
                topology::FileSource::Inline(s) => Some(s.clone()),
                // once over the API server's limit the config map is refused
                // (by validate::config_map_sizes): no need to read on
                topology::FileSource::Path(_)
                    if crate::validate::data_size(&data) > crate::validate::MAX_DATA_BYTES =>
                {
                    None
                }
                topology::FileSource::Path(p) => {
                    r.read_file(&loaded.scope, &p.path, &path.key("files").key(key.clone()).key("path"))
                }
            };
            if let Some(text) = text {
                if data.contains_key(key) {
                    r.problems.push(
                        Diagnostic::error(
                            "E012",
                            format!("config map `{name}` has key `{key}` in both `data` and `files`"),
                        )
                        .at_key(&path.key("files").key(key.clone()))
                        .with_help("keep the key in one of the two tables"),
                    );
                }
                data.insert(key.clone(), text);
            }
        }
        config_data.insert(name.clone(), data);
    }
    r.problems.extend(crate::validate::config_map_sizes(topo, &config_data));

    let mut namespaces = IndexMap::new();
    for (name, ns) in &topo.namespaces {
        let path = TomlPath::root().key("namespaces").key(name.clone());
        let mut v = NamespaceValues::default();
        for (k, q) in &ns.quota {
            if let Some(c) = r.quantity(&q.0, &path.key("quota").key(k.clone())) {
                v.quota.insert(k.clone(), c);
            }
        }
        if let Some(l) = &ns.limits {
            let lp = path.key("limits");
            let mut amounts = |a: &Option<Amounts>, key: &'static str| {
                a.as_ref().map(|a| r.amounts(a, &lp.key(key))).unwrap_or_default()
            };
            v.limits = Some(LimitValues {
                default: amounts(&l.default, "default"),
                default_request: amounts(&l.default_request, "default_request"),
                max: amounts(&l.max, "max"),
                min: amounts(&l.min, "min"),
            });
        }
        namespaces.insert(name.clone(), v);
    }

    // a broken resource profile is reported once, not once per user
    let mut seen = Vec::new();
    r.problems.retain(|d| {
        let fresh = !seen.contains(d);
        if fresh {
            seen.push(d.clone());
        }
        fresh
    });
    if r.problems.is_empty() {
        Ok(Resolved {
            topology: loaded.topology,
            profile: loaded.profile,
            phase,
            services,
            claims,
            config_data,
            namespaces,
        })
    } else {
        Err(r.problems)
    }
}

struct Resolver<'a> {
    topo: &'a Topology,
    /// The phase to resolve at: [`Loaded::phase`], else the topology's.
    selected_phase: Option<&'a str>,
    problems: Vec<Diagnostic>,
    phase_index: Option<usize>,
    profiles: IndexMap<String, topology::Resources>,
}

impl Resolver<'_> {
    fn phase(&mut self, in_files: bool) -> Option<String> {
        let phases = &self.topo.phases;
        let path = TomlPath::root().key("phase");
        let name = self.selected_phase.map(str::to_string).or_else(|| phases.first().cloned())?;
        match phases.iter().position(|p| *p == name) {
            Some(i) => {
                self.phase_index = Some(i);
                Some(name)
            }
            None => {
                let mut d = Diagnostic::error(
                    "E010",
                    if phases.is_empty() {
                        format!("phase `{name}` is selected, but the topology declares no growth phases")
                    } else {
                        format!("unknown phase `{name}`")
                    },
                )
                .with_help(if phases.is_empty() {
                    "declare them at the top of the topology: `phases = [\"pilot\", \"phase1\"]`".to_string()
                } else {
                    suggest::help(&name, "phases", phases.iter().map(String::as_str))
                        + &format!(" (known phases, in order: {})", suggest::list(phases.iter().map(String::as_str)))
                });
                if in_files {
                    d = d.at(&path);
                }
                self.problems.push(d);
                None
            }
        }
    }

    fn per_phase<T: Clone>(&mut self, v: &PerPhase<T>, path: &TomlPath) -> Option<T> {
        let map = match v {
            PerPhase::Fixed(t) => return Some(t.clone()),
            PerPhase::Phased(m) => m,
        };
        let phases = &self.topo.phases;
        if phases.is_empty() {
            self.problems.push(
                Diagnostic::error("E011", format!("`{path}` is given per phase, but the topology declares no growth phases"))
                    .at(path)
                    .with_help("declare them at the top of the topology, e.g. `phases = [\"pilot\", \"phase1\"]`, or give a single value"),
            );
            return None;
        }
        let mut ok = true;
        for key in map.keys() {
            if !phases.contains(key) {
                ok = false;
                self.problems.push(
                    Diagnostic::error("E010", format!("unknown phase `{key}` in `{path}`"))
                        .at_key(&path.key(key.clone()))
                        .with_help(suggest::help(key, "phases", phases.iter().map(String::as_str))),
                );
            }
        }
        let current = self.phase_index?;
        if !ok {
            return None;
        }
        // the value of the latest phase at or before the current one
        let found = phases[..=current].iter().rev().find_map(|p| map.get(p));
        if found.is_none() {
            let first = map.keys().next().cloned().unwrap_or_default();
            self.problems.push(
                Diagnostic::error("E011", format!("`{path}` has no value for phase `{}`", phases[current]))
                    .at(path)
                    .with_help(format!(
                        "the first value is for `{first}`; a value holds from its phase on, so add `{} = …`",
                        phases[current]
                    )),
            );
        }
        found.cloned()
    }

    /// Min and max of an autoscaler in this phase.
    fn bounds(&mut self, min: &PerPhase<i32>, max: &PerPhase<i32>, path: &TomlPath) -> Option<(i32, i32)> {
        let lo = self.per_phase(min, &path.key("min"));
        let hi = self.per_phase(max, &path.key("max"));
        let (lo, hi) = (lo?, hi?);
        if lo > hi {
            self.problems.push(
                Diagnostic::error("E050", format!("the autoscaler's min {lo} is above its max {hi}"))
                    .at(&path.key("min"))
                    .with_help("lower `min` or raise `max`"),
            );
            return None;
        }
        if hi < 1 {
            self.problems.push(
                Diagnostic::error("E050", format!("the autoscaler's max is {hi}"))
                    .at(&path.key("max"))
                    .with_help("`max` must be at least 1"),
            );
            return None;
        }
        Some((lo, hi))
    }

    /// A budget that no eviction can satisfy blocks node drains forever.
    fn check_disruption(&mut self, service: &str, d: &topology::Disruption, v: &ServiceValues, path: &TomlPath) {
        use topology::IntOrPercent;
        if d.min_available.is_some() == d.max_unavailable.is_some() {
            self.problems.push(
                Diagnostic::error(
                    "E052",
                    "a disruption budget needs exactly one of `min_available` and `max_unavailable`",
                )
                .at_key(path)
                .with_help("e.g. `disruption = { max_unavailable = 1 }`"),
            );
            return;
        }
        let percent = |p: &str| p.strip_suffix('%').and_then(|n| n.parse::<u32>().ok());
        let blocks = match (&d.min_available, &d.max_unavailable) {
            // without replicas Kubernetes runs one
            (Some(IntOrPercent::Int(n)), _) => Some(*n >= v.min_replicas().unwrap_or(1).max(1)),
            (Some(IntOrPercent::Percent(p)), _) => percent(p).map(|n| n >= 100),
            (_, Some(IntOrPercent::Int(n))) => Some(*n == 0),
            (_, Some(IntOrPercent::Percent(p))) => percent(p).map(|n| n == 0),
            (None, None) => None,
        };
        let key = if d.min_available.is_some() { "min_available" } else { "max_unavailable" };
        for p in [&d.min_available, &d.max_unavailable].into_iter().flatten() {
            if let IntOrPercent::Percent(s) = p
                && percent(s).is_none_or(|n| n > 100)
            {
                self.problems.push(
                    Diagnostic::error("E052", format!("`{s}` is not a percentage"))
                        .at(&path.key(key))
                        .with_help("write a whole number or a percentage such as \"50%\""),
                );
                return;
            }
        }
        if blocks == Some(true) {
            let replicas = format!(" with {} replica(s)", v.min_replicas().unwrap_or(1));
            self.problems.push(
                Diagnostic::error("E052", format!("the disruption budget of `{service}` blocks every eviction{replicas}"))
                    .at(&path.key(key))
                    .with_help("no pod could ever be evicted, so node drains and upgrades would hang: allow at least one pod to go (`max_unavailable = 1`) or run more replicas"),
            );
        }
    }

    /// CPU, memory, GPU and ephemeral storage as canonical quantities.
    fn amounts(&mut self, a: &Amounts, path: &TomlPath) -> BTreeMap<String, Quantity> {
        let mut out = BTreeMap::new();
        for (name, q) in [("cpu", &a.cpu), ("memory", &a.memory), ("ephemeral-storage", &a.ephemeral_storage)] {
            if let Some(q) = q
                && let Some(c) = self.quantity(&q.0, &path.key(name.replace('-', "_")))
            {
                out.insert(name.to_string(), c);
            }
        }
        if let Some(g) = a.gpu {
            out.insert(GPU_RESOURCE.to_string(), Quantity::units(g));
        }
        out
    }

    fn quantity(&mut self, raw: &str, path: &TomlPath) -> Option<Quantity> {
        match Quantity::parse(raw) {
            Ok(q) if q.nanos < 0 => {
                self.problems.push(
                    Diagnostic::error("E008", format!("`{raw}` is negative"))
                        .at(path)
                        .with_help("resource quantities and sizes must be zero or more"),
                );
                None
            }
            Ok(q) => Some(q.normalized()),
            Err(e) => {
                let help = match &e.suggestion {
                    Some(s) => format!(
                        "did you mean `{s}`? Kubernetes writes decimal sizes as k, M, G, T (`500GB` is `500G`), binary ones as Ki, Mi, Gi, Ti, and CPU as cores (`2`, `0.5`) or millicores (`500m`)"
                    ),
                    None => {
                        "write memory and storage as `512Mi`, `2Gi`, `100G`; CPU as `2`, `0.5` or `500m`".to_string()
                    }
                };
                self.problems
                    .push(Diagnostic::error("E008", e.message).at(path).with_label("not a quantity").with_help(help));
                None
            }
        }
    }

    fn storage_class(&mut self, name: &str, path: &TomlPath) -> Option<String> {
        match self.topo.storage_classes.get(name) {
            Some(c) => Some(c.class.clone().unwrap_or_else(|| name.to_string())),
            None => {
                let known = self.topo.storage_classes.keys().map(String::as_str);
                self.problems.push(
                    Diagnostic::error("E013", format!("unknown storage class `{name}`")).at(path).with_help(
                        if self.topo.storage_classes.is_empty() {
                            format!("declare it: `[storage_classes.{name}]` with `class = \"<cluster class>\"`")
                        } else {
                            suggest::help(name, "storage classes", known)
                        },
                    ),
                );
                None
            }
        }
    }

    /// Resolves a profile reference or inline table, following `profile =`
    /// bases; `depth` guards against cycles.
    fn resources(&mut self, r: &ResourcesRef, path: &TomlPath, depth: usize) -> Option<ResourceValues> {
        if depth > 8 {
            self.problems.push(
                Diagnostic::error("E014", "resource profiles refer to each other in a cycle")
                    .at(path)
                    .with_help("a profile's `profile =` base must not lead back to itself"),
            );
            return None;
        }
        let (base_name, own) = match r {
            ResourcesRef::Profile(name) => (Some(name.clone()), None),
            ResourcesRef::Inline(res) => (res.profile.clone(), Some(res.clone())),
        };
        let mut out = match base_name {
            Some(name) => {
                // `[resource_profiles.small]` with `profile = "small"` changes
                // the built-in `small` rather than referring to itself
                let own_definition = matches!(r, ResourcesRef::Inline(_))
                    && *path == TomlPath::root().key("resource_profiles").key(name.clone());
                let found = if own_definition {
                    builtin_profiles().get(&name).cloned()
                } else {
                    self.profiles.get(&name).cloned()
                };
                let Some(base) = found else {
                    let known: Vec<String> = self.profiles.keys().cloned().collect();
                    self.problems.push(
                        Diagnostic::error("E014", format!("unknown resource profile `{name}`"))
                            .at(path)
                            .with_help(suggest::help(&name, "resource profiles", known.iter().map(String::as_str))),
                    );
                    return None;
                };
                let base_path = if self.topo.resource_profiles.contains_key(&name) && !own_definition {
                    TomlPath::root().key("resource_profiles").key(name.clone())
                } else {
                    path.clone()
                };
                self.resources(&ResourcesRef::Inline(base), &base_path, depth + 1)?
            }
            None => ResourceValues::default(),
        };
        if let Some(own) = own {
            for (amounts, target, key) in
                [(&own.requests, &mut out.requests, "requests"), (&own.limits, &mut out.limits, "limits")]
            {
                let p = path.key(key);
                for (name, q) in [
                    ("cpu", &amounts.cpu),
                    ("memory", &amounts.memory),
                    ("ephemeral-storage", &amounts.ephemeral_storage),
                ] {
                    if let Some(q) = q {
                        let field = name.replace('-', "_");
                        if let Some(c) = self.quantity(&q.0, &p.key(field)) {
                            target.insert(name.to_string(), c);
                        }
                    }
                }
                if let Some(g) = amounts.gpu {
                    if g == 0 {
                        target.remove(GPU_RESOURCE);
                    } else {
                        target.insert(GPU_RESOURCE.to_string(), Quantity::units(g));
                    }
                }
            }
        }
        if depth == 0 {
            self.check_requests_within_limits(&out, path);
        }
        Some(out)
    }

    fn check_requests_within_limits(&mut self, v: &ResourceValues, path: &TomlPath) {
        for (name, req) in &v.requests {
            let Some(lim) = v.limits.get(name) else {
                if name == GPU_RESOURCE {
                    self.problems.push(
                        Diagnostic::error("E015", "a GPU is requested without a GPU limit")
                            .at(&path.key("requests").key("gpu"))
                            .with_help("Kubernetes needs extended resources in limits: add `limits.gpu` equal to `requests.gpu`"),
                    );
                }
                continue;
            };
            let (rq, lq) = (req, lim);
            if name == GPU_RESOURCE && rq.nanos != lq.nanos {
                self.problems.push(
                    Diagnostic::error("E015", format!("GPU request {req} differs from the GPU limit {lim}"))
                        .at(&path.key("limits").key("gpu"))
                        .with_help("Kubernetes requires requests and limits of extended resources to be equal"),
                );
            } else if rq.nanos > lq.nanos {
                let field = name.replace('-', "_");
                self.problems.push(
                    Diagnostic::error("E015", format!("the {name} request {req} is above its limit {lim}"))
                        .at(&path.key("requests").key(field))
                        .with_help("a request must be at most the limit: lower the request or raise the limit"),
                );
            }
        }
    }

    /// A config map file the topology names at `path`: inside the
    /// topology's folder or an `--allow-read` folder, a regular file, at
    /// most [`input::MAX_CONFIG_FILE_BYTES`] (counted while reading).
    fn read_file(&mut self, scope: &Scope, rel: &str, path: &TomlPath) -> Option<String> {
        match scope.read_text(rel, input::MAX_CONFIG_FILE_BYTES) {
            Ok(s) => Some(s),
            Err(e) => {
                self.problems.push(file_error(rel, e).at(path));
                None
            }
        }
    }
}

/// Why the config map file `rel` cannot be used, and how to fix it.
fn file_error(rel: &str, e: ReadError) -> Diagnostic {
    const OUTSIDE: &str = "move the file into the project (paths are relative to the topology's folder and stay below it), or pass `--allow-read DIR` to let archctl read files under DIR";
    match e {
        ReadError::Outside(None) => {
            Diagnostic::error("E017", format!("config map file `{rel}` is outside the topology's folder"))
                .with_label("not in the project")
                .with_help(OUTSIDE)
        }
        ReadError::Outside(Some(real)) => Diagnostic::error(
            "E017",
            format!("config map file `{rel}` leads to `{}`, outside the topology's folder", real.display()),
        )
        .with_label("a link out of the project")
        .with_help(OUTSIDE),
        ReadError::TooLarge(limit) => Diagnostic::error(
            "E016",
            format!("`{rel}` is larger than {}, the limit for a config map file", input::size(limit)),
        )
        .with_label("too large")
        .with_help(
            "the API server takes at most 1 MiB of data in a ConfigMap: ship a larger file in the image or on a volume",
        ),
        ReadError::NotAFile(_) => Diagnostic::error("E016", format!("cannot read `{rel}`: {e}"))
            .with_help("name a regular file of the project: archctl reads no folders, FIFOs, devices or sockets"),
        ReadError::NotText(_) => Diagnostic::error("E016", format!("cannot read `{rel}`: {e}"))
            .with_help("config map files are text: re-save the file as UTF-8"),
        ReadError::Io(_) => Diagnostic::error("E016", format!("cannot read `{rel}`: {e}"))
            .with_help("file paths are relative to the folder of the topology file"),
    }
}

#[cfg(test)]
mod tests_support {
    use super::*;
    use crate::load::{LoadOptions, load};

    /// Loads `topology` (and profiles) from a temp dir and resolves it.
    pub(super) fn resolve_str(
        topology: &str,
        profiles: &[(&str, &str)],
        profile: Option<&str>,
        phase: Option<&str>,
    ) -> Result<Resolved, Vec<Diagnostic>> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("archctl.toml"), topology).unwrap();
        std::fs::create_dir_all(dir.path().join("profiles")).unwrap();
        for (name, text) in profiles {
            std::fs::write(dir.path().join("profiles").join(format!("{name}.toml")), text).unwrap();
        }
        let opts = LoadOptions {
            topology: dir.path().join("archctl.toml"),
            profile: profile.map(str::to_string),
            phase: phase.map(str::to_string),
        };
        let loaded = load(&opts).map_err(|r| r.diagnostics)?;
        resolve(loaded)
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::resolve_str;
    use super::*;

    const PHASED: &str = r#"
phases = ["pilot", "one", "two", "three"]
[project]
name = "p"
[storage_classes.fast]
class = "gp3"
[storage_classes.slow]
[services.api]
kind = "statefulset"
replicas = { pilot = 1, two = 4 }
container = { image = "api:1" }
[services.api.volumes.data]
mount = "/data"
size = { one = "10Gi", three = "1024Gi" }
storage_class = "fast"
[services.api.volumes.logs]
mount = "/logs"
size = "1Gi"
storage_class = "slow"
"#;

    #[test]
    fn per_phase_values_hold_until_a_later_phase_changes_them() {
        let at = |phase: &str| resolve_str(PHASED, &[], None, Some(phase));
        let r = at("one").unwrap();
        assert_eq!(r.services["api"].replicas, Some(1));
        assert_eq!(r.services["api"].volumes["data"].size.map(|q| q.to_string()).as_deref(), Some("10Gi"));
        let r = at("three").unwrap();
        assert_eq!(r.services["api"].replicas, Some(4));
        assert_eq!(r.services["api"].volumes["data"].size.map(|q| q.to_string()).as_deref(), Some("1Ti"));
        // no value yet in the first phase: an error that says which phase to add
        let errs = at("pilot").unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].code, "E011");
        assert!(errs[0].message.contains("no value for phase `pilot`"), "{}", errs[0].message);
        assert!(errs[0].help.as_deref().unwrap().contains("add `pilot = …`"));
    }

    #[test]
    fn default_phase_is_the_first_and_a_profile_picks_another() {
        let r = resolve_str(
            &PHASED.replace("{ one = \"10Gi\"", "{ pilot = \"5Gi\", one = \"10Gi\""),
            &[("prod", "phase = \"two\"")],
            None,
            None,
        )
        .unwrap();
        assert_eq!(r.phase.as_deref(), Some("pilot"));
        assert_eq!(r.services["api"].volumes["data"].size.map(|q| q.to_string()).as_deref(), Some("5Gi"));
        let r = resolve_str(PHASED, &[("prod", "phase = \"two\"")], Some("prod"), None).unwrap();
        assert_eq!(r.phase.as_deref(), Some("two"));
        assert_eq!(r.services["api"].replicas, Some(4));
    }

    #[test]
    fn storage_classes_map_to_cluster_names_and_profiles_remap_them() {
        let r = resolve_str(PHASED, &[], None, Some("one")).unwrap();
        assert_eq!(r.services["api"].volumes["data"].storage_class.as_deref(), Some("gp3"));
        // a class without `class =` keeps the topology's name
        assert_eq!(r.services["api"].volumes["logs"].storage_class.as_deref(), Some("slow"));
        let r = resolve_str(
            PHASED,
            &[("azure", "[storage_classes.fast]\nclass = \"premium-lrs\"\n")],
            Some("azure"),
            Some("one"),
        )
        .unwrap();
        assert_eq!(r.services["api"].volumes["data"].storage_class.as_deref(), Some("premium-lrs"));
        let errs = resolve_str(
            &PHASED.replace("storage_class = \"fast\"", "storage_class = \"fsat\""),
            &[],
            None,
            Some("one"),
        )
        .unwrap_err();
        assert_eq!(errs[0].code, "E013");
        assert_eq!(errs[0].help.as_deref(), Some("did you mean `fast`?"));
    }

    const RES: &str = r#"
[project]
name = "p"
[resource_profiles.base]
requests = { cpu = "250m", memory = "0.5Gi" }
limits = { cpu = "1000m", memory = "1Gi" }
[resource_profiles.bigger]
profile = "base"
limits = { memory = "2048Mi" }
[services.a]
kind = "deployment"
resources = "bigger"
container = { image = "a:1" }
"#;

    #[test]
    fn resource_profiles_build_on_each_other_and_canonicalise() {
        let r = resolve_str(RES, &[], None, None).unwrap();
        let res = &r.services["a"].resources;
        assert_eq!(res.requests["cpu"].to_string(), "250m");
        assert_eq!(res.requests["memory"].to_string(), "512Mi");
        assert_eq!(res.limits["cpu"].to_string(), "1");
        assert_eq!(res.limits["memory"].to_string(), "2Gi");
    }

    #[test]
    fn a_profile_cycle_is_an_error_not_a_hang() {
        let topo = RES.replace("[resource_profiles.base]\n", "[resource_profiles.base]\nprofile = \"bigger\"\n");
        let errs = resolve_str(&topo, &[], None, None).unwrap_err();
        assert!(errs.iter().any(|d| d.code == "E014" && d.message.contains("cycle")), "{errs:?}");
    }

    #[test]
    fn requests_above_limits_and_gpu_without_limit_are_errors() {
        let topo = RES.replace("limits = { memory = \"2048Mi\" }", "limits = { memory = \"256Mi\" }");
        let errs = resolve_str(&topo, &[], None, None).unwrap_err();
        assert!(
            errs.iter()
                .any(|d| d.code == "E015" && d.message.contains("memory request 512Mi is above its limit 256Mi")),
            "{errs:?}"
        );
        let topo = RES.replace("resources = \"bigger\"", "resources = { requests = { gpu = 1 } }");
        let errs = resolve_str(&topo, &[], None, None).unwrap_err();
        assert!(errs.iter().any(|d| d.message.contains("GPU is requested without a GPU limit")), "{errs:?}");
    }

    #[test]
    fn builtin_profiles_match_the_product_brief() {
        let b = builtin_profiles();
        let q = |a: &Option<topology::QuantityText>| a.as_ref().unwrap().0.clone();
        assert_eq!((q(&b["small"].requests.cpu), q(&b["small"].requests.memory)), ("1".into(), "2Gi".into()));
        assert_eq!((q(&b["small"].limits.cpu), q(&b["small"].limits.memory)), ("2".into(), "4Gi".into()));
        assert_eq!((q(&b["large"].requests.cpu), q(&b["large"].limits.memory)), ("2".into(), "16Gi".into()));
        assert_eq!((b["gpu"].requests.gpu, b["gpu"].limits.gpu), (Some(1), Some(1)));
        assert_eq!(q(&b["gpu"].limits.memory), "32Gi");
    }

    #[test]
    fn profiles_merge_tables_and_replace_other_values() {
        let profile = r#"
[services.a.container]
args = ["--fast"]
[services.a.container.env]
B = "2"
"#;
        let topo = format!("{RES}[services.a.container.env]\nA = \"1\"\n");
        let topo = topo.replace("container = { image = \"a:1\" }\n", "");
        let topo = format!("{topo}[services.a.container]\nimage = \"a:1\"\nargs = [\"--slow\", \"--safe\"]\n");
        let r = resolve_str(&topo, &[("p", profile)], Some("p"), None).unwrap();
        let c = &r.topology.services["a"].container;
        assert_eq!(c.image, "a:1", "kept from the topology");
        assert_eq!(c.args, ["--fast"], "arrays are replaced whole");
        let env: Vec<&str> = c.env.keys().map(String::as_str).collect();
        assert_eq!(env, ["A", "B"], "tables merge key by key, order kept");
    }
}

#[cfg(test)]
mod builtin_extension_tests {
    use super::tests_support::resolve_str;

    #[test]
    fn a_topology_can_change_a_builtin_profile_under_its_own_name() {
        let topo = r#"
[project]
name = "p"
[resource_profiles.small]
profile = "small"
limits = { memory = "6Gi" }
[services.a]
kind = "deployment"
resources = "small"
container = { image = "a:1" }
"#;
        let r = resolve_str(topo, &[], None, None).unwrap();
        let res = &r.services["a"].resources;
        assert_eq!(res.requests["cpu"].to_string(), "1", "kept from the built-in");
        assert_eq!(res.limits["memory"].to_string(), "6Gi", "changed by the topology");
    }
}
