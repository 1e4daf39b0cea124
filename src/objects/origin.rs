//! Which topology key (or built-in default) each field of a rendered object
//! comes from: the builders' knowledge, read backwards, for `archctl
//! explain` and `diff --explain`.
//!
//! The builders do not record provenance as they go: that would cost every
//! render for the few that ask. Instead these rules restate, per field, the
//! key the builders read it from, and are held to the builders by a test
//! that renders every example and checks that each field a rule traces to a
//! key holds that key's value. A field no rule knows is said to be set by
//! archctl itself (structure such as `apiVersion`, or a value the builder
//! derives), never guessed.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

use super::{Object, Part};
use crate::diagnostic::path::TomlPath;
use crate::k8s::field::{FieldPath, Step};
use crate::k8s::labels;
use crate::load::provenance::Provenance;
use crate::resolve::{Resolved, builtin_profiles};

/// Where a field's value comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    /// The value written at a topology key (in merged coordinates); with
    /// `name_of`, the key's own name (a service's name is its table's key).
    Key { path: TomlPath, name_of: bool, note: Option<String> },
    /// A built-in default: which one (`resource profile \`small\``, `hardened security defaults`).
    /// `chosen_at`: the key that picked it, when one did (a service's
    /// `resources = "small"`).
    Builtin { what: String, chosen_at: Option<TomlPath> },
    /// Set by archctl for the object's structure or derived with no key.
    Archctl { what: String },
}

impl Source {
    fn key(path: TomlPath) -> Source {
        Source::Key { path, name_of: false, note: None }
    }

    fn noted(path: TomlPath, note: impl Into<String>) -> Source {
        Source::Key { path, name_of: false, note: Some(note.into()) }
    }

    fn name_of(path: TomlPath, note: impl Into<String>) -> Source {
        Source::Key { path, name_of: true, note: Some(note.into()) }
    }

    fn builtin(what: impl Into<String>) -> Source {
        Source::Builtin { what: what.into(), chosen_at: None }
    }
}

/// The part of the build that made `object`: its service, or the shared
/// and ingress parts.
pub(crate) fn owner<'r>(r: &'r Resolved, object: &Object) -> Option<Part<'r>> {
    let id = |o: &Object| (o.kind(), o.metadata().namespace.clone(), o.metadata().name.clone());
    let want = id(object);
    super::parts(r).into_iter().find(|part| {
        let mut out = Vec::new();
        super::build_part(r, *part, &mut out);
        out.iter().any(|o| id(o) == want)
    })
}

/// The origin of the field at `path` of `object` (rendered from `r`).
pub(crate) fn origin(r: &Resolved, prov: &Provenance, object: &Object, part: Part<'_>, path: &FieldPath) -> Source {
    let json = serde_json::to_value(object).unwrap_or(Value::Null);
    let rules = Rules { r, prov, json: &json, kind: object.kind(), meta: object.metadata() };
    rules.origin(part, path)
}

struct Rules<'a> {
    r: &'a Resolved,
    prov: &'a Provenance,
    json: &'a Value,
    kind: &'static str,
    meta: &'a ObjectMeta,
}

fn root() -> TomlPath {
    TomlPath::root()
}

/// `minReadySeconds` → `min_ready_seconds`.
fn snake(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The table of a service that holds one of its other objects.
fn section_of(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "HorizontalPodAutoscaler" => "autoscaling",
        "ScaledObject" => "keda",
        "VerticalPodAutoscaler" => "vpa",
        "PodDisruptionBudget" => "disruption",
        "ServiceMonitor" => "metrics",
        "ServiceAccount" => "service_account",
        _ => return None,
    })
}

fn keys(steps: &[Step]) -> Vec<&str> {
    steps
        .iter()
        .map(|s| match s {
            Step::Key(k) => k.as_str(),
            Step::Index(_) => "[]",
        })
        .collect()
}

impl Rules<'_> {
    fn exists(&self, p: &TomlPath) -> bool {
        !self.prov.settings(p).is_empty()
    }

    fn first(&self, candidates: impl IntoIterator<Item = TomlPath>) -> Option<TomlPath> {
        candidates.into_iter().find(|p| self.exists(p))
    }

    fn value(&self, p: &FieldPath) -> Option<&Value> {
        p.get(self.json)
    }

    fn str_at(&self, p: &FieldPath) -> Option<&str> {
        self.value(p).and_then(Value::as_str)
    }

    /// A per-phase key: the phase entry in effect, when it is a table.
    fn phased(&self, path: TomlPath) -> TomlPath {
        let Some(phase) = &self.r.phase else { return path };
        let phases = &self.r.topology.phases;
        let Some(current) = phases.iter().position(|p| p == phase) else { return path };
        for p in phases[..=current].iter().rev() {
            let at = path.key(p.clone());
            if self.exists(&at) {
                return at;
            }
        }
        path
    }

    fn origin(&self, part: Part<'_>, path: &FieldPath) -> Source {
        let k = keys(path.steps());
        match k.as_slice() {
            ["apiVersion"] | ["kind"] => {
                return Source::Archctl { what: format!("the {} API this object belongs to", self.kind) };
            }
            _ => {}
        }
        match part {
            Part::Service(name) => self.service(name, path, &k),
            Part::Shared => self.shared(path, &k),
            Part::Ingresses => self.ingresses(path, &k),
        }
        .unwrap_or_else(|| Source::Archctl {
            what: format!("archctl's {} builder (no topology key sets it)", self.kind),
        })
    }

    /// `metadata.*` and any `labels`/`matchLabels` map of a service's object.
    fn labels_of_service(&self, svc: &TomlPath, name: &str, label: &str) -> Option<Source> {
        let topo = &self.r.topology;
        Some(match label {
            labels::NAME => Source::name_of(svc.clone(), "recommended label: the service's name"),
            labels::INSTANCE | labels::PART_OF => {
                Source::noted(root().key("project").key("name"), "recommended label: the project's name")
            }
            labels::COMPONENT => match self.first([svc.key("component")]) {
                Some(p) => Source::key(p),
                None => match self.prov.pool_of(name) {
                    Some((base, _)) => Source::name_of(
                        root().key("services").key(base.to_string()),
                        "recommended label: a pool service keeps its base service's name as component",
                    ),
                    None => Source::name_of(svc.clone(), "recommended label: the service's name"),
                },
            },
            labels::VERSION => {
                if topo
                    .services
                    .get(name)
                    .is_some_and(|s| crate::k8s::image::ImageRef::parse(&s.container.image).tag.is_some())
                {
                    Source::noted(svc.key("container").key("image"), "recommended label: the image's tag")
                } else {
                    Source::noted(root().key("project").key("version"), "recommended label: the project's version")
                }
            }
            labels::MANAGED_BY => Source::builtin("recommended labels (`app.kubernetes.io/managed-by: archctl`)"),
            l if l.starts_with("shared.archctl.io/") => {
                let front = l.trim_start_matches("shared.archctl.io/");
                Source::noted(
                    root().key("shared_services").key(front.to_string()).key("services"),
                    "the label the shared Service selects",
                )
            }
            l => Source::key(self.first([
                svc.key("labels").key(l.to_string()),
                root().key("project").key("labels").key(l.to_string()),
            ])?),
        })
    }

    /// A label of a workload kept by `[services.NAME.legacy]`: exactly as
    /// that table gives it, none of archctl's.
    fn legacy_label(&self, svc: &TomlPath, k: &[&str], l: &str) -> Option<Source> {
        let legacy = svc.key("legacy");
        let at = |table: &str| legacy.key(table.to_string()).key(l.to_string());
        // an autoscaler's, budget's, account's or monitor's own labels
        if let (Some(section), ["metadata", "labels", _]) = (section_of(self.kind), k) {
            let own = legacy.key("object_labels").key(section);
            if self.exists(&own) {
                return self.first([own.key(l.to_string())]).map(Source::key);
            }
        }
        let candidates = match (self.kind, k) {
            ("Service", ["metadata", "labels", _]) => vec![legacy.key("service").key("labels").key(l.to_string())],
            (_, ["metadata", "labels", _]) => vec![at("labels")],
            (_, ["spec", "template", "metadata", "labels", _])
            | (_, ["spec", "jobTemplate", "spec", "template", "metadata", "labels", _]) => {
                vec![at("pod_labels"), at("selector")]
            }
            _ => vec![at("selector")],
        };
        self.first(candidates).map(Source::key)
    }

    /// `metadata.name`, `namespace`, labels and annotations of an object
    /// owned by the table at `own` (its key the object's name).
    fn metadata(&self, own: &TomlPath, namespace_key: Option<TomlPath>, k: &[&str]) -> Option<Source> {
        match k {
            ["metadata", "name"] => Some(Source::name_of(own.clone(), "the object is named after its table")),
            ["metadata", "namespace"] => Some(self.namespace(namespace_key)),
            ["metadata", "annotations", a] => Some(Source::key(self.first([
                own.key("annotations").key(a.to_string()),
                root().key("project").key("annotations").key(a.to_string()),
            ])?)),
            _ => None,
        }
    }

    fn namespace(&self, own: Option<TomlPath>) -> Source {
        if let Some(p) = own.and_then(|p| self.first([p])) {
            return Source::key(p);
        }
        match self.first([root().key("project").key("namespace")]) {
            Some(p) => Source::noted(p, "the project's namespace"),
            None => {
                Source::noted(root().key("project").key("name"), "the project's name, as no `project.namespace` is set")
            }
        }
    }

    fn service(&self, name: &str, path: &FieldPath, k: &[&str]) -> Option<Source> {
        let svc = root().key("services").key(name.to_string());
        // an object named by its table's `name` (`autoscaling.name`)
        if let (["metadata", "name"], Some(section)) = (k, section_of(self.kind))
            && let Some(p) = self.first([svc.key(section).key("name")])
        {
            return Some(Source::key(p));
        }
        if let Some(s) = self.metadata(&svc, Some(svc.key("namespace")), k) {
            return Some(s);
        }
        // any label map: the object's, the pods', selectors
        if let [.., "labels" | "matchLabels", l] = k {
            if self.r.topology.services.get(name).is_some_and(|s| s.legacy.is_some()) {
                return self.legacy_label(&svc, k, l);
            }
            return self.labels_of_service(&svc, name, l);
        }
        if let ["spec", "selector", l] = k
            && self.kind == "Service"
            && self.r.topology.services.get(name).is_some_and(|s| s.legacy.is_some())
        {
            return self.first([svc.key("legacy").key("selector").key(l.to_string())]).map(Source::key);
        }
        let topo_svc = self.r.topology.services.get(name)?;
        // the pod spec, wherever the kind keeps it
        let pod_at = ["spec", "template", "spec"];
        let cron_at = ["spec", "jobTemplate", "spec", "template", "spec"];
        let pod_len = if k.starts_with(&cron_at) {
            Some(cron_at.len())
        } else if k.starts_with(&pod_at) && matches!(self.kind, "Deployment" | "StatefulSet" | "Job" | "CronJob") {
            Some(pod_at.len())
        } else {
            None
        };
        if let Some(n) = pod_len {
            let pod_path = FieldPath(path.steps()[..n].to_vec());
            return self.pod(name, &svc, topo_svc, &pod_path, &FieldPath(path.steps()[n..].to_vec()));
        }
        if let [.., "template", "metadata", "annotations", a] = k {
            return self.first([svc.key("pod_annotations").key(a.to_string())]).map(Source::key);
        }
        // a Service kept by `legacy.service`: its ports, type and address as given
        let legacy_service = svc.key("legacy").key("service");
        if self.kind == "Service" && self.exists(&legacy_service) {
            match k {
                ["spec", "ports", "[]", field] => {
                    let Some(Step::Index(i)) = path.steps().get(2) else { return None };
                    let port = legacy_service.key("ports").index(*i);
                    return self.first([port.key(snake(field))]).map(Source::key).or(Some(Source::key(port)));
                }
                ["spec", "type"] => return self.first([legacy_service.key("type")]).map(Source::key),
                ["spec", "clusterIP"] => return self.first([legacy_service.key("cluster_ip")]).map(Source::key),
                _ => {}
            }
        }
        match (self.kind, k) {
            ("Deployment" | "StatefulSet", ["spec", "replicas"]) => {
                return Some(Source::key(self.phased(svc.key("replicas"))));
            }
            ("Deployment", ["spec", "minReadySeconds" | "revisionHistoryLimit"]) => {
                return self.first([svc.key("strategy").key(snake(k[1]))]).map(Source::key);
            }
            ("Deployment", ["spec", "strategy", ..]) => {
                let leaf = snake(k[k.len() - 1]);
                return Some(Source::key(self.first([svc.key("strategy").key(leaf)]).unwrap_or(svc.key("strategy"))));
            }
            ("HorizontalPodAutoscaler", ["spec", "minReplicas" | "maxReplicas"]) => {
                let bound = if k[1] == "minReplicas" { "min" } else { "max" };
                return Some(Source::key(self.phased(svc.key("autoscaling").key(bound))));
            }
            ("ScaledObject", ["spec", "minReplicaCount" | "maxReplicaCount"]) => {
                let bound = if k[1] == "minReplicaCount" { "min" } else { "max" };
                return Some(Source::key(self.phased(svc.key("keda").key(bound))));
            }
            ("PodDisruptionBudget", ["spec", "minAvailable" | "maxUnavailable"]) => {
                return self.first([svc.key("disruption").key(snake(k[1]))]).map(Source::key);
            }
            ("Service", ["spec", "ports", "[]", field]) => {
                let port = self.str_at(&FieldPath(path.steps()[..3].to_vec()).key("name"))?.to_string();
                let p = self.first([svc.key("container").key("ports").key(port)])?;
                return Some(match *field {
                    "name" | "targetPort" => Source::name_of(p, "the container port's name"),
                    "port" => Source::key(self.first([p.key("service_port"), p.key("port")]).unwrap_or(p)),
                    f => Source::key(self.first([p.key(snake(f))]).unwrap_or(p)),
                });
            }
            ("Service", ["spec", "selector", ..]) => {
                return Some(Source::builtin("recommended labels: the selector's stable subset"));
            }
            _ => {}
        }
        match (self.kind, k) {
            ("Service", ["spec", "type" | "clusterIP"]) => {
                return Some(self.first([svc.key("service").key("kind")]).map(Source::key).unwrap_or_else(|| {
                    Source::builtin("a Deployment's Service is ClusterIP, a StatefulSet's governing Service headless")
                }));
            }
            ("StatefulSet", ["spec", "serviceName"]) => {
                return Some(Source::name_of(svc.clone(), "the governing Service is named after the service"));
            }
            ("StatefulSet", ["spec", "volumeClaimTemplates", "[]", rest @ ..]) => {
                let vname = self.str_at(&FieldPath(path.steps()[..3].to_vec()).key("metadata").key("name"))?;
                let v = svc.key("volumes").key(vname.to_string());
                return Some(self.claim(&v, rest));
            }
            ("HorizontalPodAutoscaler", ["spec", "metrics", "[]", ..]) => {
                let at = FieldPath(path.steps()[..3].to_vec());
                let res = self.str_at(&at.key("resource").key("name"))?.to_string();
                let p = self.first([svc.key("autoscaling").key(res)])?;
                return Some(match k.last() {
                    Some(&"averageUtilization") => Source::key(p),
                    _ => Source::noted(p, "a resource metric, as `autoscaling` names it"),
                });
            }
            _ => {}
        }
        match (self.kind, k) {
            ("ScaledObject", ["spec", "triggers", "[]", rest @ ..]) => {
                let Some(Step::Index(i)) = path.steps().get(2) else { return None };
                let trigger = svc.key("keda").key("triggers").index(*i);
                let at = match rest {
                    ["metadata", m] => trigger.key("metadata").key(m.to_string()),
                    [f, ..] => trigger.key(snake(f)),
                    [] => trigger.clone(),
                };
                return Some(Source::key(self.first([at]).unwrap_or(trigger)));
            }
            ("ServiceMonitor", ["spec", "endpoints", "[]", f @ ("port" | "path" | "interval")]) => {
                return self.first([svc.key("metrics").key(f.to_string())]).map(Source::key);
            }
            ("VerticalPodAutoscaler", ["spec", "updatePolicy", "updateMode"]) => {
                return self.first([svc.key("vpa").key("mode")]).map(Source::key);
            }
            ("VerticalPodAutoscaler", ["spec", "resourcePolicy", "containerPolicies", "[]", rest @ ..]) => {
                let vpa = svc.key("vpa");
                return match rest {
                    [bound @ ("minAllowed" | "maxAllowed"), res] => {
                        let table = if *bound == "minAllowed" { "min" } else { "max" };
                        let key = match *res {
                            "ephemeral-storage" => "ephemeral_storage",
                            r if r.ends_with("/gpu") => "gpu",
                            r => r,
                        };
                        self.first([vpa.key(table).key(key.to_string())]).map(Source::key)
                    }
                    ["controlledValues"] => self.first([vpa.key("controlled_values")]).map(Source::key),
                    _ => None,
                };
            }
            ("ServiceAccount", ["automountServiceAccountToken"]) => {
                let account = svc.key("service_account");
                return Some(
                    self.first([account.key("account_automount_token"), account.key("automount_token")])
                        .map(Source::key)
                        .unwrap_or_else(|| Source::builtin("no API token unless `service_account.automount_token`")),
                );
            }
            _ => {}
        }
        let short_target =
            self.r.topology.services.get(name).and_then(|s| s.keda.as_ref()).is_some_and(|k| k.short_target);
        if let ["spec", "scaleTargetRef", "name"] = k
            && self.kind == "ScaledObject"
            && short_target
        {
            return Some(Source::name_of(
                svc.clone(),
                "the service's workload it scales, by its name alone as `keda.short_target` asks",
            ));
        }
        if let [.., "scaleTargetRef" | "targetRef", f] = k {
            return Some(match *f {
                "name" => Source::name_of(svc.clone(), "the service's workload it scales"),
                _ => Source::Archctl { what: "the kind of the service's workload".into() },
            });
        }
        // a field of the kind's own table (`autoscaling`, `keda`, `vpa`, …)
        // or of the service, by its name: top-level spec fields only
        if k.len() != 2 || k[0] != "spec" {
            return None;
        }
        let section = section_of(self.kind).or((self.kind == "Service").then_some("service"));
        let leaf = snake(k.iter().rev().find(|s| **s != "[]")?);
        let mut candidates = vec![svc.key(leaf.clone())];
        if let Some(s) = section {
            candidates.insert(0, svc.key(s).key(leaf));
        }
        self.first(candidates).map(|p| Source::key(self.phased(p)))
    }

    /// A field of a service's pod spec; `rel` is the path below the pod spec.
    fn pod(
        &self,
        name: &str,
        svc: &TomlPath,
        topo_svc: &crate::topology::Service,
        pod: &FieldPath,
        rel: &FieldPath,
    ) -> Option<Source> {
        let k = keys(rel.steps());
        let at = |steps: usize| FieldPath([pod.steps(), &rel.steps()[..steps]].concat());
        match k.as_slice() {
            ["containers" | "initContainers", "[]", rest @ ..] => {
                let Step::Index(_) = rel.steps()[1] else { return None };
                let cname = self.str_at(&at(2).key("name"))?;
                let main = topo_svc.container.name.as_deref().unwrap_or(name);
                let (base, resources) = if k[0] == "initContainers" {
                    let i = topo_svc.init_containers.iter().position(|c| c.name.as_deref() == Some(cname))?;
                    let b = svc.key("init_containers").index(i);
                    (b.clone(), b.key("resources"))
                } else if cname == main {
                    (svc.key("container"), svc.key("resources"))
                } else {
                    let i = topo_svc.sidecars.iter().position(|c| c.name.as_deref() == Some(cname))?;
                    let b = svc.key("sidecars").index(i);
                    (b.clone(), b.key("resources"))
                };
                let _ = rest;
                self.container(svc, &base, &resources, cname == main && k[0] == "containers", &at(2), &rel.steps()[2..])
            }
            ["securityContext", f, ..] => Some(self.security(svc, f, &k)),
            ["automountServiceAccountToken"] => Some(
                self.first([svc.key("service_account").key("automount_token")])
                    .map(Source::key)
                    .unwrap_or_else(|| Source::builtin("hardened security defaults: no service account token")),
            ),
            ["serviceAccountName"] => Some(Source::name_of(svc.key("service_account"), "the service's account")),
            ["volumes", "[]", ..] => {
                let v = self.str_at(&at(2).key("name"))?;
                match self.first([svc.key("volumes").key(v.to_string())]) {
                    Some(p) => Some(Source::key(self.first([p.key(snake(k[k.len() - 1]))]).unwrap_or(p))),
                    None => Some(Source::builtin("a writable `/tmp` under the read-only root filesystem")),
                }
            }
            ["nodeSelector", l] => {
                Some(self.first([svc.key("node_selector").key(l.to_string())]).map(Source::key).unwrap_or_else(|| {
                    Source::noted(
                        root().key("gpu").key("node_selector").key(l.to_string()),
                        "the `[gpu]` node selector, for pods that request a GPU",
                    )
                }))
            }
            ["tolerations", ..] => Some(Source::key(
                self.first([svc.key("placement").key("tolerations")]).unwrap_or(root().key("gpu").key("tolerations")),
            )),
            ["affinity", ..] => self
                .first([svc.key("placement").key("anti_affinity")])
                .map(|p| Source::noted(p, "built from the service's anti-affinity and its selector labels")),
            ["topologySpreadConstraints", ..] => self
                .first([svc.key("placement").key("spread")])
                .map(|p| Source::noted(p, "built from the service's spread and its selector labels")),
            ["terminationGracePeriodSeconds"] => self.first([svc.key("termination_grace_period")]).map(Source::key),
            [f] => self.first([svc.key(snake(f))]).map(Source::key),
            _ => None,
        }
    }

    fn container(
        &self,
        svc: &TomlPath,
        base: &TomlPath,
        resources: &TomlPath,
        main: bool,
        at: &FieldPath,
        rest_steps: &[Step],
    ) -> Option<Source> {
        let rest = keys(rest_steps);
        let rest = rest.as_slice();
        match rest {
            ["name"] => Some(match self.first([base.key("name")]) {
                Some(p) => Source::key(p),
                None if main => Source::name_of(svc.clone(), "the main container is named after the service"),
                None => return None,
            }),
            ["image" | "imagePullPolicy" | "workingDir"] => self.first([base.key(snake(rest[0]))]).map(Source::key),
            ["command" | "args", "[]"] => {
                let Step::Index(i) = rest_steps[1] else { return None };
                let list = base.key(rest[0].to_string());
                Some(Source::key(self.first([list.index(i)]).unwrap_or(list)))
            }
            ["envFrom", "[]", ..] => {
                let Step::Index(i) = rest_steps[1] else { return None };
                let list = base.key("env_from");
                Some(Source::key(self.first([list.index(i), list.clone()])?))
            }
            ["env" | "ports" | "volumeMounts", "[]", ..] => {
                let item = FieldPath([at.steps(), &rest_steps[..2]].concat());
                let key = self.str_at(&item.key("name"))?.to_string();
                let leaf = snake(rest[rest.len() - 1]);
                match rest[0] {
                    "env" => {
                        let p = self.first([base.key("env").key(key)])?;
                        Some(if leaf == "name" { Source::name_of(p, "the variable's name") } else { Source::key(p) })
                    }
                    "ports" => {
                        let p = self.first([base.key("ports").key(key)])?;
                        if leaf == "name" {
                            return Some(Source::name_of(p, "the port's name"));
                        }
                        let field = if leaf == "container_port" { "port".to_string() } else { leaf };
                        Some(Source::key(self.first([p.key(field)]).unwrap_or(p)))
                    }
                    _ => {
                        if let Some(v) = self.first([svc.key("volumes").key(key.clone())]) {
                            let field = match leaf.as_str() {
                                "mount_path" => "mount".to_string(),
                                "name" => return Some(Source::name_of(v, "the volume's name")),
                                l => l.to_string(),
                            };
                            return Some(Source::key(self.first([v.key(field)]).unwrap_or(v)));
                        }
                        match self.first([base.key("volume_mounts").key(key.clone())]) {
                            Some(p) => Some(Source::key(p)),
                            None if key == "tmp" => {
                                Some(Source::builtin("a writable `/tmp` under the read-only root filesystem"))
                            }
                            None => None,
                        }
                    }
                }
            }
            ["resources", which @ ("requests" | "limits"), res] => Some(self.resources(resources, which, res)),
            ["securityContext", f, ..] => Some(self.security(svc, f, rest)),
            [probe @ ("livenessProbe" | "readinessProbe" | "startupProbe"), ..] => {
                let p = base.key("probes").key(probe.trim_end_matches("Probe").to_string());
                let leaf = snake(rest[rest.len() - 1]);
                Some(Source::key(self.first([p.key(leaf)]).unwrap_or(p)))
            }
            ["lifecycle", "preStop", ..] => self.first([base.key("pre_stop")]).map(Source::key),
            _ => None,
        }
    }

    /// Requests and limits: the container's own table, then the resource
    /// profiles it builds on, down to a built-in one.
    fn resources(&self, at: &TomlPath, which: &str, res: &str) -> Source {
        let key = match res {
            crate::resolve::GPU_RESOURCE => "gpu".to_string(),
            r => r.replace('-', "_"),
        };
        let topo = &self.r.topology;
        let mut at = at.clone();
        for _ in 0..9 {
            let own = at.key(which.to_string()).key(key.clone());
            if self.exists(&own) {
                return Source::key(own);
            }
            // the profile this table builds on, or the profile it names
            let named = self
                .prov
                .settings(&at)
                .last()
                .and_then(|s| s.value.as_str().map(str::to_string))
                .or_else(|| self.prov.settings(&at.key("profile")).last()?.value.as_str().map(str::to_string));
            let Some(profile) = named else { break };
            let defined = root().key("resource_profiles").key(profile.clone());
            if topo.resource_profiles.contains_key(&profile) && defined != at {
                at = defined;
                continue;
            }
            if builtin_profiles().contains_key(&profile) {
                let chosen = if self.exists(&at.key("profile")) { at.key("profile") } else { at };
                return Source::Builtin { what: format!("resource profile `{profile}`"), chosen_at: Some(chosen) };
            }
            break;
        }
        Source::Archctl { what: "no resource key sets it".into() }
    }

    /// A claim's fields: a shared claim's or a statefulset volume's.
    fn claim(&self, own: &TomlPath, rest: &[&str]) -> Source {
        match rest {
            ["metadata", "name"] => Source::name_of(own.clone(), "the claim is named after its volume"),
            ["spec", "resources", "requests", "storage"] => Source::key(self.phased(own.key("size"))),
            ["spec", "storageClassName"] => match self.first([own.key("storage_class")]) {
                Some(p) => Source::noted(p, "the topology's storage class, as `storage_classes` maps it"),
                None => Source::Archctl { what: "no storage class: the cluster's default".into() },
            },
            ["spec", "accessModes", ..] => self
                .first([own.key("access")])
                .map(|p| Source::noted(p, "the access mode, as Kubernetes spells it"))
                .unwrap_or_else(|| Source::builtin("access mode ReadWriteOnce")),
            _ => Source::Archctl { what: "archctl's claim builder (no topology key sets it)".into() },
        }
    }

    fn security(&self, svc: &TomlPath, field: &str, k: &[&str]) -> Source {
        let key = match field {
            "runAsNonRoot" => "non_root",
            "capabilities" if k.contains(&"add") => "add_capabilities",
            "seccompProfile" => "seccomp",
            "readOnlyRootFilesystem" => "read_only_root_filesystem",
            "allowPrivilegeEscalation" => "allow_privilege_escalation",
            "runAsUser" => "run_as_user",
            "runAsGroup" => "run_as_group",
            "fsGroup" => "fs_group",
            _ => "",
        };
        match self.first([svc.key("security").key(key)]).filter(|_| !key.is_empty()) {
            Some(p) => Source::key(p),
            None => Source::builtin("hardened security defaults"),
        }
    }

    fn shared(&self, path: &FieldPath, k: &[&str]) -> Option<Source> {
        let name = self.meta.name.clone().unwrap_or_default();
        let ns = self.meta.namespace.clone().unwrap_or_default();
        let (table, ns_key) = match self.kind {
            "Namespace" => ("namespaces", None),
            "ResourceQuota" | "LimitRange" => {
                let own = root().key("namespaces").key(ns.clone());
                let section = if self.kind == "ResourceQuota" { "quota" } else { "limits" };
                if let Some(s) = self.metadata(&own, None, k) {
                    return Some(s);
                }
                let leaf = k.last().map(|l| l.to_string()).unwrap_or_default();
                return Some(Source::key(
                    self.first([own.key(section).key(leaf.replace('.', "_"))]).unwrap_or(own.key(section)),
                ));
            }
            "StorageClass" => ("storage_classes", None),
            "ConfigMap" => ("config_maps", Some("namespace")),
            "Secret" | "ExternalSecret" => ("secrets", Some("namespace")),
            "PersistentVolumeClaim" => ("claims", Some("namespace")),
            "NetworkPolicy" if name == "default-deny" => {
                return Some(Source::builtin("default-deny network policy of each namespace"));
            }
            "NetworkPolicy" => ("network_policies", Some("namespace")),
            "Service" => ("shared_services", Some("namespace")),
            _ => return None,
        };
        let own = root().key(table).key(name);
        if let Some(s) = self.metadata(&own, ns_key.map(|n| own.key(n)), k) {
            return Some(s);
        }
        if self.kind == "PersistentVolumeClaim" && k[0] == "spec" {
            return Some(self.claim(&own, k));
        }
        if self.kind == "ExternalSecret"
            && let ["spec", "data", "[]", ..] = k
        {
            return self.first([own.key("keys")]).map(|p| Source::noted(p, "one entry per key of the secret"));
        }
        if let Some(s) = self.own_labels(&own, k) {
            return Some(s);
        }
        if self.kind == "ConfigMap"
            && let ["data", key] = k
        {
            return Some(Source::key(
                self.first([own.key("data").key(key.to_string()), own.key("files").key(key.to_string())])
                    .unwrap_or(own.clone()),
            ));
        }
        let _ = path;
        match k {
            [_, f] | [f] if !matches!(*f, "kind" | "name") => self.first([own.key(snake(f))]).map(Source::key),
            _ => None,
        }
    }

    /// The labels of an object with a table of its own (a config map, an
    /// ingress): the recommended ones, and the table's or the project's.
    fn own_labels(&self, own: &TomlPath, k: &[&str]) -> Option<Source> {
        let ["metadata", "labels", l] = k else { return None };
        // labels a `legacy` table keeps, exactly and alone
        let legacy = own.key("legacy");
        if self.exists(&legacy) {
            return self.first([legacy.key("labels").key(l.to_string())]).map(Source::key);
        }
        Some(match *l {
            labels::MANAGED_BY => Source::builtin("recommended labels (`app.kubernetes.io/managed-by: archctl`)"),
            labels::INSTANCE | labels::PART_OF => {
                Source::noted(root().key("project").key("name"), "recommended label: the project's name")
            }
            labels::NAME => Source::name_of(own.clone(), "recommended label: the object's name"),
            labels::COMPONENT => Source::builtin(format!("recommended labels: the component of every {}", self.kind)),
            labels::VERSION => {
                Source::noted(root().key("project").key("version"), "recommended label: the project's version")
            }
            l => Source::key(self.first([
                own.key("labels").key(l.to_string()),
                root().key("project").key("labels").key(l.to_string()),
            ])?),
        })
    }

    fn ingresses(&self, _path: &FieldPath, k: &[&str]) -> Option<Source> {
        let name = self.meta.name.clone().unwrap_or_default();
        let table = match self.kind {
            "Ingress" => "ingresses",
            "Gateway" => "gateways",
            "HTTPRoute" | "GRPCRoute" => "routes",
            _ => return None,
        };
        let own = root().key(table).key(name);
        if let Some(s) = self.metadata(&own, Some(own.key("namespace")), k) {
            return Some(s);
        }
        if let Some(s) = self.own_labels(&own, k) {
            return Some(s);
        }
        match k {
            ["spec", f] => self.first([own.key(snake(f))]).map(Source::key),
            _ => None,
        }
    }
}
