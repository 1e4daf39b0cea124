//! `archctl explain`: where each field of a rendered object comes from —
//! the key that set it with its file, line and column, the layers it
//! overrode (topology, profile, worker pool), the template variables it
//! read and where those were set, or the built-in default that filled it.
//!
//! The rules that trace a field to its key are the objects stage's
//! ([`crate::objects::origin`]); the chain of layers is the loader's
//! ([`crate::load::provenance`]). Both are computed only here, on demand.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

use crate::diagnostic::path::TomlPath;
use crate::k8s::field::FieldPath;
use crate::load::Context;
use crate::load::provenance::{Provenance, Setting, template_variables};
use crate::objects::origin::{self, Source};
use crate::objects::{Object, Part};
use crate::resolve::Resolved;

/// A place in a source file, one-based.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub(crate) struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One layer that wrote a key.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Written {
    /// `topology`, `profile`, or `worker pool \`NAME\` (topology)`.
    pub layer: String,
    pub location: Location,
    /// The key as written in that file.
    pub key: String,
    /// The value as written, in TOML, before templates were expanded.
    pub value: String,
}

/// A template variable a value read.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Variable {
    pub name: String,
    /// Where `[vars]` set it, earliest first; the last is in effect.
    pub chain: Vec<Written>,
    /// For variables archctl defines (`profile`, `phase`, `project`, `pool`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub builtin: Option<String>,
}

/// Where one field comes from.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct FieldOrigin {
    pub field: String,
    pub value: Value,
    /// `topology`, `profile`, `pool`, `builtin` or `archctl`.
    pub origin: &'static str,
    /// The topology key, in the merged topology's terms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Where the value in effect was written (for a name, where the key is).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// Every layer that wrote the key, earliest first: the last is in effect.
    pub chain: Vec<Written>,
    pub variables: Vec<Variable>,
    /// How the field follows from the key, or which default filled it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The explanation of one object.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Explained {
    pub kind: &'static str,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    pub fields: Vec<FieldOrigin>,
}

/// What explains the objects of one render: built once, asked per field.
pub(crate) struct Explainer<'a> {
    r: &'a Resolved,
    ctx: &'a Context,
    prov: Provenance,
}

impl<'a> Explainer<'a> {
    pub(crate) fn new(r: &'a Resolved, ctx: &'a Context) -> Self {
        Explainer { r, ctx, prov: ctx.provenance() }
    }

    fn location(&self, file: usize, offset: usize) -> Option<Location> {
        let f = self.ctx.sources.get(file)?;
        let (line, column) = f.line_col(offset);
        Some(Location { file: f.display_name.clone(), line, column })
    }

    fn written(&self, s: &Setting) -> Option<Written> {
        Some(Written {
            layer: s.layer.to_string(),
            location: self.location(s.file, s.span.start)?,
            key: s.path.to_string(),
            value: s.value.to_string(),
        })
    }

    fn chain(&self, path: &TomlPath) -> Vec<Written> {
        self.prov.settings(path).iter().filter_map(|s| self.written(s)).collect()
    }

    fn variables(&self, settings: &[Setting], service: Option<&str>) -> Vec<Variable> {
        let Some(text) = settings.last().and_then(|s| s.value.as_str()) else { return Vec::new() };
        template_variables(text)
            .into_iter()
            .map(|name| {
                let chain = self.chain(&TomlPath::root().key("vars").key(name.clone()));
                let builtin = if !chain.is_empty() {
                    None
                } else {
                    match name.as_str() {
                        "profile" => Some(match &self.r.profile {
                            Some(p) => format!("the profile rendered: `{p}` (`--profile`)"),
                            None => "the profile rendered: none (empty)".into(),
                        }),
                        "phase" => Some(format!(
                            "the growth phase rendered: `{}` (`--phase`, else the topology's or profile's `phase`, else the first of `phases`)",
                            self.r.phase.as_deref().unwrap_or("")
                        )),
                        "project" => Some("the project's name (`project.name`)".into()),
                        "pool" => Some(match service.and_then(|s| self.prov.pool_of(s)) {
                            Some((_, pool)) => format!("the worker pool's name: `{pool}`"),
                            None => "the worker pool's name".into(),
                        }),
                        _ => None,
                    }
                };
                Variable { name, chain, builtin }
            })
            .collect()
    }

    /// Where the field at `path` of `object` comes from.
    pub(crate) fn field(&self, object: &Object, part: Part<'_>, path: &FieldPath, value: &Value) -> FieldOrigin {
        let source = origin::origin(self.r, &self.prov, object, part, path);
        let service = match part {
            Part::Service(s) => Some(s),
            _ => None,
        };
        let mut out = FieldOrigin {
            field: path.to_string(),
            value: value.clone(),
            origin: "archctl",
            key: None,
            location: None,
            chain: Vec::new(),
            variables: Vec::new(),
            note: None,
        };
        match source {
            Source::Key { path: key, name_of, note } => {
                out.key = Some(key.to_string());
                out.note = note;
                if name_of {
                    out.location = self.prov.key_of(&key).and_then(|(f, span)| self.location(f, span.start));
                    out.origin = "topology";
                    if let Some((file, _)) = self.prov.key_of(&key)
                        && self.ctx.sources.get(file).is_some_and(|f| f.display_name.starts_with("profiles"))
                    {
                        out.origin = "profile";
                    }
                    if let Some((base, pool)) = service.and_then(|s| self.prov.pool_of(s))
                        && key.len() == 2
                    {
                        out.origin = "pool";
                        out.note = Some(format!(
                            "{}: a pool service is named `{base}-{pool}`, after service `{base}` and its worker pool `{pool}`",
                            out.note.unwrap_or_default()
                        ));
                    }
                } else {
                    let settings = self.prov.settings(&key);
                    out.chain = settings.iter().filter_map(|s| self.written(s)).collect();
                    out.variables = self.variables(&settings, service);
                    match settings.last() {
                        Some(last) => {
                            out.location = self.location(last.file, last.span.start);
                            out.origin = match (&last.layer.pool, last.layer.file) {
                                (Some(_), _) => "pool",
                                (None, crate::load::provenance::FileKind::Topology) => "topology",
                                (None, crate::load::provenance::FileKind::Profile) => "profile",
                            };
                        }
                        None => {
                            out.origin = "builtin";
                            out.note = Some(match out.note {
                                Some(n) => format!("{n}: archctl's default of `{key}`, as no file sets it"),
                                None => format!("archctl's default of `{key}`, as no file sets it"),
                            });
                        }
                    }
                }
            }
            Source::Builtin { what, chosen_at } => {
                out.origin = "builtin";
                out.note = Some(what);
                if let Some(at) = chosen_at {
                    out.key = Some(at.to_string());
                    let settings = self.prov.settings(&at);
                    out.chain = settings.iter().filter_map(|s| self.written(s)).collect();
                    out.location = settings.last().and_then(|s| self.location(s.file, s.span.start));
                }
            }
            Source::Archctl { what } => out.note = Some(what),
        }
        out
    }

    /// Every leaf at or below `at` in `object` (the whole object for the
    /// empty path), explained; Err when no such field is rendered.
    pub(crate) fn object(&self, object: &Object, at: Option<&FieldPath>) -> Result<Explained, String> {
        let json = serde_json::to_value(object).map_err(|e| e.to_string())?;
        let part = origin::owner(self.r, object).unwrap_or(Part::Shared);
        let leaves: Vec<(FieldPath, &Value)> =
            FieldPath::leaves(&json).into_iter().filter(|(p, _)| at.is_none_or(|a| p.starts_with(a))).collect();
        if leaves.is_empty()
            && let Some(a) = at
        {
            return Err(missing_field(object, &json, a));
        }
        let fields = leaves.iter().map(|(p, v)| self.field(object, part, p, v)).collect();
        Ok(Explained {
            kind: object.kind(),
            name: object.metadata().name.clone().unwrap_or_default(),
            namespace: object.metadata().namespace.clone(),
            profile: self.r.profile.clone(),
            phase: self.r.phase.clone(),
            fields,
        })
    }
}

/// The message for a field path the object does not have, with the
/// nearest field it does have.
fn missing_field(object: &Object, json: &Value, at: &FieldPath) -> String {
    let all: Vec<String> = FieldPath::leaves(json).iter().map(|(p, _)| p.to_string()).collect();
    let wanted = at.to_string();
    // the deepest existing ancestor, then the closest spelling below it
    let mut prefix = at.clone();
    while !prefix.steps().is_empty() && prefix.get(json).is_none() {
        prefix = FieldPath(prefix.steps()[..prefix.steps().len() - 1].to_vec());
    }
    let under: Vec<&str> = all
        .iter()
        .filter(|p| prefix.steps().is_empty() || p.starts_with(&prefix.to_string()))
        .map(String::as_str)
        .collect();
    let hint = match crate::diagnostic::suggest::closest(&wanted, under.iter().copied()) {
        Some(c) => format!("did you mean `{c}`?"),
        None => format!(
            "fields under `{prefix}` include {}",
            under.iter().take(5).map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
        ),
    };
    format!(
        "{}/{} has no field `{wanted}`: {hint} (without a field path, explain lists every field)",
        object.kind().to_ascii_lowercase(),
        object.metadata().name.as_deref().unwrap_or_default()
    )
}

fn short(v: &Value) -> String {
    let s = match v {
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        other => other.to_string(),
    };
    if s.chars().count() > 60 { format!("{}…", s.chars().take(59).collect::<String>()) } else { s }
}

/// The lines that say where one field comes from, indented by `pad`.
pub(crate) fn origin_lines(f: &FieldOrigin, pad: &str) -> String {
    let mut out = String::new();
    match f.origin {
        "builtin" => {
            let _ = writeln!(out, "{pad}built-in: {}", f.note.as_deref().unwrap_or("archctl's default"));
        }
        "archctl" => {
            let _ = writeln!(out, "{pad}set by archctl: {}", f.note.as_deref().unwrap_or("no topology key sets it"));
        }
        _ => {
            if let Some(n) = &f.note {
                let _ = writeln!(out, "{pad}{n}");
            }
        }
    }
    let n = f.chain.len();
    for (i, w) in f.chain.iter().enumerate() {
        let mark = match (i + 1 == n, f.origin) {
            (true, "builtin") => "chosen",
            (true, _) => "set",
            (false, _) => "overridden",
        };
        let _ = writeln!(out, "{pad}{mark:<10} {}  {} = {}  ({})", w.location, w.key, w.value, w.layer);
    }
    if f.chain.is_empty()
        && let (Some(l), Some(k)) = (&f.location, &f.key)
    {
        let _ = writeln!(out, "{pad}{:<10} {l}  {k}", "named");
    }
    for v in &f.variables {
        match &v.builtin {
            Some(b) => {
                let _ = writeln!(out, "{pad}variable `{}`: {b}", v.name);
            }
            None if v.chain.is_empty() => {
                let _ = writeln!(out, "{pad}variable `{}`: not set in `[vars]`", v.name);
            }
            None => {
                let m = v.chain.len();
                for (i, w) in v.chain.iter().enumerate() {
                    let mark = if i + 1 == m { "set" } else { "overridden" };
                    let _ = writeln!(
                        out,
                        "{pad}{mark:<10} {}  {} = {}  ({}, variable `{}`)",
                        w.location, w.key, w.value, w.layer, v.name
                    );
                }
            }
        }
    }
    out
}

/// The group a field is listed under without a field path.
fn group(f: &FieldOrigin) -> String {
    match f.origin {
        "builtin" => format!("built-in: {}", f.note.as_deref().unwrap_or("defaults")),
        "archctl" => "set by archctl".into(),
        _ => match (f.chain.last(), &f.location) {
            (Some(w), _) => format!("{}: {}", w.location.file, w.layer),
            (None, Some(l)) => format!("{}: table names", l.file),
            _ => "topology".into(),
        },
    }
}

/// The text of an explanation: one field in full, or every field grouped
/// by where it comes from.
pub(crate) fn text(e: &Explained, one: bool) -> String {
    let mut out = String::new();
    let ns = e.namespace.as_deref().map(|n| format!(" in namespace {n}")).unwrap_or_default();
    let at = match (&e.profile, &e.phase) {
        (Some(p), Some(ph)) => format!(" (profile {p}, phase {ph})"),
        (Some(p), None) => format!(" (profile {p})"),
        (None, Some(ph)) => format!(" (phase {ph})"),
        (None, None) => String::new(),
    };
    let _ = writeln!(out, "{}/{}{ns}{at}", e.kind.to_ascii_lowercase(), e.name);
    if one || e.fields.len() == 1 {
        for f in &e.fields {
            let _ = writeln!(out, "\n{} = {}", f.field, short(&f.value));
            out.push_str(&origin_lines(f, "  "));
        }
        return out;
    }
    let mut groups: Vec<(String, Vec<&FieldOrigin>)> = Vec::new();
    for f in &e.fields {
        let g = group(f);
        match groups.iter_mut().find(|(name, _)| *name == g) {
            Some((_, list)) => list.push(f),
            None => groups.push((g, vec![f])),
        }
    }
    // files first (topology before profile), then built-ins, then archctl
    groups.sort_by_key(|(g, list)| match list[0].origin {
        "topology" => 0,
        "pool" => 1,
        "profile" => 2,
        "builtin" if !g.is_empty() => 3,
        _ => 4,
    });
    for (g, list) in groups {
        let _ = writeln!(out, "\n{g}");
        for f in list {
            // the key as the file writes it (a pool's base service)
            let written = f.chain.last().map(|w| &w.key).or(f.key.as_ref());
            let src = match (written, &f.location) {
                (Some(k), Some(l)) if f.origin != "builtin" => format!("  ← {k} at {l}"),
                (Some(k), _) => format!("  ← {k}"),
                _ => String::new(),
            };
            let _ = writeln!(out, "  {} = {}{src}", f.field, short(&f.value));
        }
    }
    out
}

/// One line saying where a field comes from, for `diff --explain`.
pub(crate) fn brief(f: &FieldOrigin) -> String {
    match f.origin {
        "builtin" => {
            let chosen = f.location.as_ref().map(|l| format!(", chosen at {l}")).unwrap_or_default();
            format!("built-in: {}{chosen}", f.note.as_deref().unwrap_or("archctl's default"))
        }
        "archctl" => format!("set by archctl: {}", f.note.as_deref().unwrap_or("no topology key sets it")),
        _ => {
            let mut out = match (f.chain.last(), &f.location, &f.key) {
                (Some(w), _, _) => format!("{}  {} ({})", w.location, w.key, w.layer),
                (None, Some(l), Some(k)) => format!("{l}  {k}"),
                _ => f.key.clone().unwrap_or_default(),
            };
            if f.chain.len() > 1 {
                let over: Vec<String> = f.chain[..f.chain.len() - 1].iter().map(|w| w.location.to_string()).collect();
                out.push_str(&format!(", overrides {}", over.join(", ")));
            }
            for v in &f.variables {
                match (v.chain.last(), &v.builtin) {
                    (Some(w), _) => out.push_str(&format!("; `{}` from {} ({})", v.name, w.location, w.layer)),
                    (None, Some(b)) => out.push_str(&format!("; `{}`: {b}", v.name)),
                    _ => {}
                }
            }
            if let Some(n) = &f.note {
                out.push_str(&format!("; {n}"));
            }
            out
        }
    }
}

impl Explainer<'_> {
    /// A unified diff of `object` (None when the render lacks it: a prune)
    /// with, under each added line, where its value comes from. `after`
    /// is the YAML the diff's new side was cut from.
    pub(crate) fn annotate_diff(&self, object: Option<&Object>, diff: &str, after: &str) -> String {
        let Some(object) = object else { return diff.to_string() };
        let paths = crate::emit::yaml::line_paths(after);
        let json = serde_json::to_value(object).unwrap_or(Value::Null);
        let part = origin::owner(self.r, object).unwrap_or(Part::Shared);
        let mut out = String::with_capacity(diff.len() * 2);
        let mut new_line = 0usize;
        for line in diff.lines() {
            out.push_str(line);
            out.push('\n');
            if let Some(h) = line.strip_prefix("@@ ") {
                // `@@ -a,b +c,d @@`: the new side starts at line c
                new_line = h
                    .split_whitespace()
                    .find_map(|p| p.strip_prefix('+'))
                    .and_then(|p| p.split(',').next()?.parse().ok())
                    .unwrap_or(1);
                continue;
            }
            if line.starts_with("+++") || line.starts_with("---") {
                continue;
            }
            match line.chars().next() {
                Some(' ') => new_line += 1,
                Some('+') => {
                    let path = new_line.checked_sub(1).and_then(|i| paths.get(i)).cloned().flatten();
                    new_line += 1;
                    let Some(path) = path else { continue };
                    // a line that opens a map or list holds no value
                    if line.trim_end().ends_with(':') {
                        continue;
                    }
                    let note = match path.get(&json) {
                        Some(v) if !v.is_object() && !v.is_array() || v.as_object().is_some_and(|m| m.is_empty()) => {
                            brief(&self.field(object, part, &path, v))
                        }
                        Some(_) => continue,
                        None => "the API server's default (not in the render)".to_string(),
                    };
                    out.push_str(&format!("#   ↳ {note}\n"));
                }
                _ => {}
            }
        }
        out
    }
}

/// `kubectl`'s short names of the kinds archctl renders.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("deploy", "Deployment"),
    ("sts", "StatefulSet"),
    ("cj", "CronJob"),
    ("svc", "Service"),
    ("cm", "ConfigMap"),
    ("ns", "Namespace"),
    ("pvc", "PersistentVolumeClaim"),
    ("sa", "ServiceAccount"),
    ("hpa", "HorizontalPodAutoscaler"),
    ("pdb", "PodDisruptionBudget"),
    ("netpol", "NetworkPolicy"),
    ("ing", "Ingress"),
    ("sc", "StorageClass"),
    ("quota", "ResourceQuota"),
    ("limits", "LimitRange"),
    ("vpa", "VerticalPodAutoscaler"),
    ("so", "ScaledObject"),
    ("es", "ExternalSecret"),
    ("gtw", "Gateway"),
];

/// Whether `kind` (as typed: `deployment`, `deployments`, `deploy`,
/// `Deployment`, `deployment.apps`) names the object's kind.
fn kind_matches(object: &Object, kind: &str) -> bool {
    let kind = kind.to_ascii_lowercase();
    let (kind, group) = match kind.split_once('.') {
        Some((k, g)) => (k.to_string(), Some(g.to_string())),
        None => (kind, None),
    };
    if group.as_deref().is_some_and(|g| g != object.group()) {
        return false;
    }
    let own = object.kind().to_ascii_lowercase();
    kind == own
        || kind == object.plural()
        || SHORT_NAMES.iter().any(|(s, k)| *s == kind && k.eq_ignore_ascii_case(&own))
}

/// The object `spec` (`KIND/NAME`) names in `objects`, or why none is.
pub(crate) fn find<'o>(objects: &'o [Object], spec: &str, namespace: Option<&str>) -> Result<&'o Object, String> {
    let Some((kind, name)) = spec.split_once('/').filter(|(k, n)| !k.is_empty() && !n.is_empty()) else {
        return Err(format!("`{spec}` is not KIND/NAME: write e.g. `deployment/api` or `svc/api`"));
    };
    let of_kind: Vec<&Object> = objects.iter().filter(|o| kind_matches(o, kind)).collect();
    if of_kind.is_empty() {
        let mut kinds: Vec<&str> = objects.iter().map(|o| o.kind()).collect();
        kinds.sort_unstable();
        kinds.dedup();
        return Err(format!(
            "the render has no object of kind `{kind}`; its kinds: {}",
            kinds.iter().map(|k| k.to_ascii_lowercase()).collect::<Vec<_>>().join(", ")
        ));
    }
    let named: Vec<&Object> = of_kind
        .iter()
        .copied()
        .filter(|o| o.metadata().name.as_deref() == Some(name))
        .filter(|o| namespace.is_none_or(|n| o.metadata().namespace.as_deref() == Some(n)))
        .collect();
    let display = of_kind[0].kind().to_ascii_lowercase();
    match named.as_slice() {
        [one] => Ok(one),
        [] => {
            let names: Vec<String> = of_kind
                .iter()
                .filter(|o| namespace.is_none_or(|n| o.metadata().namespace.as_deref() == Some(n)))
                .filter_map(|o| o.metadata().name.clone())
                .collect();
            let hint = match crate::diagnostic::suggest::closest(name, names.iter().map(String::as_str)) {
                Some(c) => format!("did you mean `{display}/{c}`?"),
                None => format!("its {display} objects: {}", names.join(", ")),
            };
            let ns = namespace.map(|n| format!(" in namespace `{n}`")).unwrap_or_default();
            Err(format!("the render has no {display} `{name}`{ns}; {hint}"))
        }
        many => {
            let spaces: Vec<&str> = many.iter().filter_map(|o| o.metadata().namespace.as_deref()).collect();
            Err(format!(
                "{display} `{name}` is in several namespaces ({}): choose one with `--namespace`",
                spaces.join(", ")
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::pipeline::{self, Target};

    #[test]
    fn kinds_are_read_as_kubectl_spells_them_and_ambiguous_names_need_a_namespace() {
        use k8s_openapi::api::core::v1::ConfigMap;
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
        let cm = |ns: &str| -> Object {
            ConfigMap {
                metadata: ObjectMeta { name: Some("conf".into()), namespace: Some(ns.into()), ..Default::default() },
                ..Default::default()
            }
            .into()
        };
        let objects = [cm("a"), cm("b")];
        for spelling in ["configmap/conf", "configmaps/conf", "cm/conf", "ConfigMap/conf"] {
            let e = find(&objects, spelling, None).unwrap_err();
            assert!(e.contains("in several namespaces (a, b): choose one with `--namespace`"), "{spelling}: {e}");
        }
        assert_eq!(find(&objects, "cm/conf", Some("b")).unwrap().metadata().namespace.as_deref(), Some("b"));
        assert!(find(&objects, "configmap.apps/conf", None).is_err(), "ConfigMap is in the core group");
        assert!(find(&objects, "cm/conf", Some("c")).unwrap_err().contains("in namespace `c`"));
    }

    /// Whether a value as written in TOML is the value rendered.
    fn agrees(written: &toml::Value, rendered: &Value) -> bool {
        use crate::k8s::quantity::Quantity;
        let quantity =
            |a: &str, b: &str| matches!((Quantity::parse(a), Quantity::parse(b)), (Ok(x), Ok(y)) if x.nanos == y.nanos);
        match (written, rendered) {
            (toml::Value::String(w), Value::String(r)) => w == r || quantity(w, r),
            (toml::Value::String(w), r) => w.as_str() == r.to_string().as_str(),
            (toml::Value::Integer(w), Value::Number(r)) => r.as_i64() == Some(*w),
            (toml::Value::Integer(w), Value::String(r)) => *r == w.to_string() || quantity(&w.to_string(), r),
            (toml::Value::Float(w), Value::Number(r)) => r.as_f64() == Some(*w),
            (toml::Value::Float(w), Value::String(r)) => quantity(&w.to_string(), r),
            (toml::Value::Boolean(w), Value::Bool(r)) => w == r,
            _ => false,
        }
    }

    /// The rules of `objects::origin` held to the builders: in every
    /// example and profile, each field they trace to a plain value of a key
    /// renders as that value. A rule pointing at the wrong key fails here.
    #[test]
    fn every_field_traced_to_a_key_holds_that_keys_value() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        // and workloads kept by `legacy` tables, as `import` writes them
        let mut topologies = vec![root.join("archctl.toml"), root.join("tests/fixtures/explain-legacy/archctl.toml")];
        for e in std::fs::read_dir(root.join("examples")).unwrap().flatten() {
            if e.path().join("archctl.toml").is_file() {
                topologies.push(e.path().join("archctl.toml"));
            }
        }
        let mut wrong = Vec::new();
        let mut checked = 0;
        for topo in &topologies {
            let profiles: Vec<Option<String>> =
                std::iter::once(None).chain(crate::load::profile_names(topo).into_iter().map(Some)).collect();
            for profile in profiles {
                let Ok(r) = pipeline::render(topo, &Target { profile: profile.clone(), phase: None }) else {
                    continue;
                };
                let ex = Explainer::new(&r.resolved, &r.context);
                for o in &r.objects {
                    let part = origin::owner(&r.resolved, o).unwrap();
                    let json = serde_json::to_value(o).unwrap();
                    for (path, value) in FieldPath::leaves(&json) {
                        let Source::Key { path: key, name_of, note: None } =
                            origin::origin(&r.resolved, &ex.prov, o, part, &path)
                        else {
                            continue;
                        };
                        let settings = ex.prov.settings(&key);
                        let Some(last) = settings.last() else { continue };
                        let written = &last.value;
                        if name_of || written.is_table() || written.is_array() {
                            continue;
                        }
                        if written.as_str().is_some_and(|s| s.contains("{{")) {
                            continue;
                        }
                        checked += 1;
                        if !agrees(written, value) {
                            wrong.push(format!(
                                "{} {}/{} {path} = {value}, but `{key}` = {written} ({:?})",
                                topo.display(),
                                o.kind(),
                                o.metadata().name.as_deref().unwrap_or_default(),
                                profile
                            ));
                        }
                    }
                }
            }
        }
        assert!(checked > 500, "only {checked} fields checked");
        assert!(wrong.is_empty(), "{} fields disagree:\n{}", wrong.len(), wrong.join("\n"));
    }
}
