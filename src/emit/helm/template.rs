//! Chart templates built from rendered objects.
//!
//! Every profile's render is walked in parallel, object by object. Where all
//! profiles agree the template holds the literal value; where they differ,
//! or where operators expect a setting (replicas, images, resources,
//! autoscaling bounds, storage, ingress hosts, common labels), the template
//! reads a value. The same tree is evaluated here against each profile's
//! values, so a template that would not give back the render is caught at
//! generation time, before Helm ever sees it.

use serde_json::Value;

use crate::emit::yaml;

/// A path into `.Values`.
pub(super) type ValuePath = Vec<String>;

/// When a map entry or a whole object is rendered.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Cond {
    /// Go-template truthiness of a value.
    Truthy(ValuePath),
    /// The value is set (not null or missing).
    Set(ValuePath),
    Not(Box<Cond>),
    And(Vec<Cond>),
    /// The API server serves `group/version/Kind` (a custom resource's
    /// CRD is installed), or `capabilities.force` is set. Taken as true
    /// when the chart is checked against the render.
    Serves(String),
}

/// A template tree.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum T {
    /// A literal, the same in every profile.
    Lit(Value),
    /// A map; each entry may be conditional.
    Map(Vec<(String, T, Option<Cond>)>),
    Seq(Vec<T>),
    /// A value, written as JSON (valid YAML for any type).
    Slot(ValuePath),
    /// A container image assembled from `global.imageRegistry` and the
    /// image's `registry`, `repository` and `tag` values.
    Image(ValuePath),
    /// A Go template expression of the release (`.Release.Name`,
    /// `.Release.Namespace`, a namespace value), with the value it has
    /// for the round-trip release: named after the project, installed in
    /// the topology's namespaces.
    Expr {
        go: String,
        value: Value,
    },
}

/// Looks a path up in a values tree (missing keys and non-maps give None).
pub(super) fn lookup<'a>(values: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut v = values;
    for k in path {
        v = v.as_object()?.get(k)?;
    }
    if v.is_null() { None } else { Some(v) }
}

/// Go template truthiness: false, 0, "", nil and empty collections are false.
fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64() != Some(0.0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(m)) => !m.is_empty(),
    }
}

impl Cond {
    pub(super) fn eval(&self, values: &Value) -> bool {
        match self {
            Cond::Truthy(p) => truthy(lookup(values, p)),
            Cond::Set(p) => lookup(values, p).is_some(),
            Cond::Not(c) => !c.eval(values),
            Cond::And(cs) => cs.iter().all(|c| c.eval(values)),
            Cond::Serves(_) => true,
        }
    }

    /// The Go template expression.
    pub(super) fn expr(&self) -> String {
        match self {
            Cond::Truthy(p) => index(p),
            Cond::Set(p) => format!("(ne (toJson {}) \"null\")", index(p)),
            Cond::Not(c) => format!("(not {})", c.expr()),
            Cond::And(cs) => format!("(and {})", cs.iter().map(Cond::expr).collect::<Vec<_>>().join(" ")),
            Cond::Serves(api) => format!(
                "(or {} (.Capabilities.APIVersions.Has {}))",
                index(&["capabilities".into(), "force".into()]),
                go_string(api)
            ),
        }
    }
}

/// `(index .Values "a" "b")`.
pub(super) fn index(path: &[String]) -> String {
    let mut s = String::from("(index .Values");
    for k in path {
        s.push(' ');
        s.push_str(&go_string(k));
    }
    s.push(')');
    s
}

/// A Go string literal.
pub(super) fn go_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Joins an image the way [`split_image`] splits it.
pub(super) fn join_image(global_registry: Option<&str>, image: &Value) -> Option<String> {
    let field = |k: &str| image.get(k).and_then(Value::as_str).unwrap_or("");
    let registry = match global_registry {
        Some(g) if !g.is_empty() => g,
        _ => field("registry"),
    };
    let mut s = String::new();
    if !registry.is_empty() {
        s.push_str(registry);
        s.push('/');
    }
    s.push_str(field("repository"));
    let tag = field("tag");
    if !tag.is_empty() {
        s.push(':');
        s.push_str(tag);
    }
    Some(s)
}

/// Splits `registry/repository:tag` so that [`join_image`] gives it back.
/// The registry is the first path part when it looks like a host.
pub(super) fn split_image(image: &str) -> Value {
    let (registry, rest) = match image.split_once('/') {
        Some((first, rest)) if first.contains('.') || first.contains(':') || first == "localhost" => (first, rest),
        _ => ("", image),
    };
    let last_slash = rest.rfind('/').map(|i| i + 1).unwrap_or(0);
    let (repository, tag) = match rest[last_slash..].find(':') {
        Some(i) => (&rest[..last_slash + i], &rest[last_slash + i + 1..]),
        None => (rest, ""),
    };
    let v = serde_json::json!({"registry": registry, "repository": repository, "tag": tag});
    // a shape join cannot give back (an empty tag after a colon) stays whole
    if join_image(None, &v).as_deref() == Some(image) {
        v
    } else {
        serde_json::json!({"registry": "", "repository": image, "tag": ""})
    }
}

impl T {
    /// Evaluates the template against values; None means "absent".
    pub(super) fn eval(&self, values: &Value) -> Option<Value> {
        match self {
            T::Lit(v) => Some(v.clone()),
            T::Expr { value, .. } => Some(value.clone()),
            T::Slot(p) => lookup(values, p).cloned(),
            T::Image(p) => {
                let img = lookup(values, p)?;
                let global = lookup(values, &["global".into(), "imageRegistry".into()]).and_then(Value::as_str);
                join_image(global, img).map(Value::String)
            }
            T::Seq(items) => Some(Value::Array(items.iter().map(|t| t.eval(values).unwrap_or(Value::Null)).collect())),
            T::Map(entries) => {
                let mut m = serde_json::Map::new();
                for (k, t, cond) in entries {
                    if cond.as_ref().is_none_or(|c| c.eval(values))
                        && let Some(v) = t.eval(values)
                    {
                        m.insert(k.clone(), v);
                    }
                }
                Some(Value::Object(m))
            }
        }
    }

    /// The template as YAML with Go template actions, one document.
    pub(super) fn emit_document(&self, cond: Option<&Cond>, chart: &str) -> String {
        let mut out = String::new();
        if let Some(c) = cond {
            out.push_str(&format!("{{{{- if {} }}}}\n", c.expr()));
        }
        out.push_str("---");
        match self {
            T::Map(entries) => emit_entries(entries, 0, chart, &mut out),
            T::Lit(Value::Object(m)) if !m.is_empty() => emit_entries(&lit_entries(m), 0, chart, &mut out),
            other => {
                out.push(' ');
                emit_inline(other, 0, chart, &mut out);
            }
        }
        out.push('\n');
        if cond.is_some() {
            out.push_str("{{- end }}\n");
        }
        out
    }
}

fn indent(level: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', level));
}

/// Text outside actions must not start an action: `{{` becomes `{{ "{{" }}`.
fn escape(text: &str) -> String {
    text.replace("{{", "{{ \"{{\" }}")
}

fn emit_key(k: &str, out: &mut String) {
    let mut s = String::new();
    yaml::write_string(k, 0, true, &mut s);
    out.push_str(&escape(&s));
}

/// Map entries, each on a new line at `level`.
fn emit_entries(entries: &[(String, T, Option<Cond>)], level: usize, chart: &str, out: &mut String) {
    for (k, t, cond) in entries {
        if let Some(c) = cond {
            out.push_str(&format!("\n{{{{- if {} }}}}", c.expr()));
        }
        out.push('\n');
        indent(level, out);
        emit_entry(k, t, level, chart, out);
        if cond.is_some() {
            out.push_str("\n{{- end }}");
        }
    }
}

/// `key: value` where the cursor is already at the key's column.
fn emit_entry(k: &str, t: &T, level: usize, chart: &str, out: &mut String) {
    emit_key(k, out);
    out.push(':');
    match t {
        T::Map(entries) if !entries.is_empty() => emit_entries(entries, level + 2, chart, out),
        T::Lit(Value::Object(m)) if !m.is_empty() => {
            let entries = lit_entries(m);
            emit_entries(&entries, level + 2, chart, out);
        }
        // kubectl style: a list under a key is not indented further
        T::Seq(items) if !items.is_empty() => emit_seq(items, level, chart, out),
        T::Lit(Value::Array(a)) if !a.is_empty() => {
            let items: Vec<T> = a.iter().cloned().map(T::Lit).collect();
            emit_seq(&items, level, chart, out);
        }
        other => {
            out.push(' ');
            emit_inline(other, level + 2, chart, out);
        }
    }
}

fn lit_entries(m: &serde_json::Map<String, Value>) -> Vec<(String, T, Option<Cond>)> {
    m.iter().map(|(k, v)| (k.clone(), T::Lit(v.clone()), None)).collect()
}

fn emit_seq(items: &[T], level: usize, chart: &str, out: &mut String) {
    for item in items {
        out.push('\n');
        indent(level, out);
        out.push('-');
        let entries = match item {
            T::Map(e) if !e.is_empty() => Some(e.clone()),
            T::Lit(Value::Object(m)) if !m.is_empty() => Some(lit_entries(m)),
            _ => None,
        };
        match entries {
            // the first key on the dash's line, unless it is conditional
            Some(e) if e[0].2.is_none() => {
                out.push(' ');
                emit_entry(&e[0].0, &e[0].1, level + 2, chart, out);
                emit_entries(&e[1..], level + 2, chart, out);
            }
            Some(e) => emit_entries(&e, level + 2, chart, out),
            None => {
                let nested = match item {
                    T::Seq(s) if !s.is_empty() => Some(s.clone()),
                    T::Lit(Value::Array(a)) if !a.is_empty() => Some(a.iter().cloned().map(T::Lit).collect()),
                    _ => None,
                };
                match nested {
                    Some(s) => emit_seq(&s, level + 2, chart, out),
                    None => {
                        out.push(' ');
                        emit_inline(item, level + 2, chart, out);
                    }
                }
            }
        }
    }
}

/// A scalar, an empty collection, or a value read from `.Values`.
fn emit_inline(t: &T, level: usize, chart: &str, out: &mut String) {
    match t {
        T::Slot(p) => out.push_str(&format!("{{{{ {} | toJson }}}}", index(p))),
        T::Expr { go, .. } => out.push_str(&format!("{{{{ {go} | toJson }}}}")),
        T::Image(p) => out.push_str(&format!(
            "{{{{ include \"{chart}.image\" (list {} {}) | toJson }}}}",
            index(&["global".into(), "imageRegistry".into()]),
            index(p)
        )),
        T::Lit(v) => {
            let mut s = String::new();
            yaml::write_scalar(v, level, &mut s);
            out.push_str(&escape(&s));
        }
        T::Map(_) => out.push_str("{}"),
        T::Seq(_) => out.push_str("[]"),
    }
}

/// Values gathered while templates are built: for each variant (profile),
/// the value of every slot; a slot whose value two objects disagree on is
/// refused, and the caller falls back to a slot of its own.
#[derive(Debug, Default)]
pub(super) struct Values {
    pub per_variant: Vec<Value>,
}

impl Values {
    pub(super) fn new(variants: usize) -> Self {
        Values { per_variant: vec![Value::Object(Default::default()); variants] }
    }

    /// Sets `path` to `values[i]` in variant `i`; false if some variant
    /// already holds a different value there.
    pub(super) fn set(&mut self, path: &[String], values: &[Option<Value>]) -> bool {
        let all: Vec<Option<Option<Value>>> = values.iter().cloned().map(Some).collect();
        self.set_some(path, &all)
    }

    /// Like [`Values::set`], leaving variants given as None untouched.
    pub(super) fn set_some(&mut self, path: &[String], values: &[Option<Option<Value>>]) -> bool {
        for (i, v) in values.iter().enumerate() {
            let Some(v) = v else { continue };
            if let Some(existing) = get(&self.per_variant[i], path)
                && Some(existing) != v.as_ref()
                && !(existing.is_null() && v.is_none())
            {
                return false;
            }
        }
        for (i, v) in values.iter().enumerate() {
            if let Some(v) = v {
                put(&mut self.per_variant[i], path, v.clone().unwrap_or(Value::Null));
            }
        }
        true
    }
}

fn get<'a>(root: &'a Value, path: &[String]) -> Option<&'a Value> {
    let mut v = root;
    for k in path {
        v = v.as_object()?.get(k)?;
    }
    Some(v)
}

fn put(root: &mut Value, path: &[String], value: Value) {
    let mut v = root;
    for k in &path[..path.len().saturating_sub(1)] {
        if !v.is_object() {
            *v = Value::Object(Default::default());
        }
        let Value::Object(m) = v else { return };
        v = m.entry(k.clone()).or_insert_with(|| Value::Object(Default::default()));
    }
    if let (Value::Object(m), Some(last)) = (v, path.last()) {
        m.insert(last.clone(), value);
    }
}

/// The key of an object in values and file names.
pub(super) fn object_key(doc: &Value) -> String {
    let kind = doc["kind"].as_str().unwrap_or("");
    let name = doc["metadata"]["name"].as_str().unwrap_or("");
    match doc["metadata"]["namespace"].as_str() {
        Some(ns) => format!("{kind}/{ns}/{name}"),
        None => format!("{kind}/{name}"),
    }
}

/// A JSON path for override keys: `spec.template.spec.containers[0].args`.
pub(super) fn json_path(path: &[PathSeg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            PathSeg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            PathSeg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// A step of a path inside an object.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum PathSeg {
    Key(String),
    Index(usize),
}

/// Names the values a slot reads, for settings operators expect to find
/// under a name of their own; None leaves the place to the generic
/// `overrides`.
pub(super) type Namer<'a> = dyn Fn(&Value, &[PathSeg]) -> Option<Named> + 'a;

/// A named setting.
pub(super) enum Named {
    Slot(ValuePath),
    Image(ValuePath),
}

/// Builds the template of one object from its variants (None where the
/// profile does not render it); records slot values into `values`.
pub(super) fn build(variants: &[Option<&Value>], namer: &Namer<'_>, values: &mut Values) -> T {
    let Some(root) = variants.iter().flatten().next().copied() else {
        return T::Lit(Value::Null);
    };
    let key = object_key(root);
    // profiles that do not render the object at all do not count
    let care: Vec<bool> = variants.iter().map(Option::is_some).collect();
    let mut w = Walk { root, care: &care, key: &key, namer, values };
    w.walk(variants, &mut Vec::new())
}

struct Walk<'a, 'n> {
    /// The object (of the first profile that renders it), for the namer.
    root: &'a Value,
    care: &'a [bool],
    key: &'a str,
    namer: &'a Namer<'n>,
    values: &'a mut Values,
}

impl Walk<'_, '_> {
    /// Records a slot's values for the profiles that render the object.
    fn set(&mut self, path: &[String], vals: &[Option<Value>]) -> bool {
        let cared: Vec<Option<Option<Value>>> = vals.iter().zip(self.care).map(|(v, c)| c.then(|| v.clone())).collect();
        if !self.values.set_some(path, &cared) {
            return false;
        }
        // profiles without the object still get a value, so that switching
        // the object on there finds a complete setting
        let fill = vals.iter().zip(self.care).find(|(_, c)| **c).and_then(|(v, _)| v.clone());
        for (i, c) in self.care.iter().enumerate() {
            if !c && get(&self.values.per_variant[i], path).is_none() {
                put(&mut self.values.per_variant[i], path, fill.clone().unwrap_or(Value::Null));
            }
        }
        true
    }

    /// Whether the namer names anything at or below `path` in `v`.
    fn has_named_below(&self, v: &Value, path: &mut Vec<PathSeg>) -> bool {
        if (self.namer)(self.root, path).is_some() {
            return true;
        }
        match v {
            Value::Object(m) => m.iter().any(|(k, child)| {
                path.push(PathSeg::Key(k.clone()));
                let found = self.has_named_below(child, path);
                path.pop();
                found
            }),
            Value::Array(a) => a.iter().enumerate().any(|(i, child)| {
                path.push(PathSeg::Index(i));
                let found = self.has_named_below(child, path);
                path.pop();
                found
            }),
            _ => false,
        }
    }

    fn walk(&mut self, vs: &[Option<&Value>], path: &mut Vec<PathSeg>) -> T {
        let (key, namer) = (self.key, self.namer);
        // only the profiles that render the object are compared
        let vs_all = vs;
        let vs: Vec<Option<&Value>> = vs_all.iter().zip(self.care).filter(|(_, c)| **c).map(|(v, _)| *v).collect();
        let vs = vs.as_slice();
        // settings with a name of their own come first
        if let Some(named) = namer(self.root, path) {
            let (vp, is_image) = match named {
                Named::Slot(p) => (p, false),
                Named::Image(p) => (p, true),
            };
            let vals: Vec<Option<Value>> = vs_all
                .iter()
                .map(|v| {
                    let v = (*v)?;
                    if is_image { v.as_str().map(split_image) } else { Some(v.clone()) }
                })
                .collect();
            if self.set(&vp, &vals) {
                return if is_image { T::Image(vp) } else { T::Slot(vp) };
            }
        }
        let present: Vec<&Value> = vs.iter().flatten().copied().collect();
        let first = present[0];
        // equal everywhere: literal, unless a named setting lies below (a
        // setting operators expect is a value even where profiles agree)
        if present.len() == vs.len() && present.iter().all(|v| *v == first) && !self.has_named_below(first, path) {
            return T::Lit(first.clone());
        }
        if present.len() == vs.len() && present.iter().all(|v| v.is_object()) {
            let mut keys: Vec<&String> = Vec::new();
            for v in &present {
                for k in v.as_object().into_iter().flat_map(|m| m.keys()) {
                    if !keys.contains(&k) {
                        keys.push(k);
                    }
                }
            }
            let mut entries = Vec::new();
            for k in keys {
                let children: Vec<Option<&Value>> = vs.iter().map(|v| v.and_then(|v| v.get(k.as_str()))).collect();
                let all_children: Vec<Option<&Value>> =
                    vs_all.iter().map(|v| v.and_then(|v| v.get(k.as_str()))).collect();
                path.push(PathSeg::Key(k.clone()));
                let child_path = json_path(path);
                let t = self.walk(&all_children, path);
                path.pop();
                let cond = match &t {
                    _ if children.iter().all(Option::is_some) => None,
                    // a slot is itself absent where the value is null
                    T::Slot(p) | T::Image(p) => Some(Cond::Set(p.clone())),
                    _ => {
                        let p = vec!["overrides".to_string(), key.to_string(), format!("{child_path}?")];
                        let flags: Vec<Option<Value>> =
                            all_children.iter().map(|c| Some(Value::Bool(c.is_some()))).collect();
                        self.set(&p, &flags);
                        Some(Cond::Truthy(p))
                    }
                };
                entries.push((k.clone(), t, cond));
            }
            return T::Map(entries);
        }
        if present.len() == vs.len()
            && let Some(len) = present.first().and_then(|v| v.as_array()).map(Vec::len)
            && present.iter().all(|v| v.as_array().is_some_and(|a| a.len() == len))
        {
            let mut items = Vec::new();
            for i in 0..len {
                let children: Vec<Option<&Value>> = vs_all.iter().map(|v| v.and_then(|v| v.get(i))).collect();
                path.push(PathSeg::Index(i));
                items.push(self.walk(&children, path));
                path.pop();
            }
            return T::Seq(items);
        }
        // anything else that differs: a value of its own
        let p = vec!["overrides".to_string(), key.to_string(), json_path(path)];
        let vals: Vec<Option<Value>> = vs_all.iter().map(|v| v.cloned()).collect();
        self.set(&p, &vals);
        T::Slot(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn images_split_and_join_back() {
        for image in [
            "nginx",
            "nginx:1.27",
            "library/redis:7.2-alpine",
            "localhost:5000/archivist/rag-api:dev",
            "123.dkr.ecr.eu-west-1.amazonaws.com/archivist/rag-api:1.4.2",
            "ghcr.io/acme/app@sha256:abcd",
            "ghcr.io/acme/app:v1@sha256:abcd",
            "weird:",
        ] {
            let v = split_image(image);
            assert_eq!(join_image(None, &v).as_deref(), Some(image), "{v}");
        }
        let v = split_image("localhost:5000/a/b:1");
        assert_eq!(v["registry"], "localhost:5000");
        assert_eq!(join_image(Some("mirror.io"), &v).as_deref(), Some("mirror.io/a/b:1"));
    }

    #[test]
    fn differing_values_become_slots_and_absent_keys_conditions() {
        let a = json!({"kind": "Deployment", "metadata": {"name": "x"}, "spec": {"replicas": 1, "paused": true, "same": "s"}});
        let b = json!({"kind": "Deployment", "metadata": {"name": "x"}, "spec": {"replicas": 3, "same": "s"}});
        let mut values = Values::new(2);
        let namer = |_: &Value, p: &[PathSeg]| {
            (p == [PathSeg::Key("spec".into()), PathSeg::Key("replicas".into())])
                .then(|| Named::Slot(vec!["replicas".into()]))
        };
        let t = build(&[Some(&a), Some(&b)], &namer, &mut values);
        assert_eq!(t.eval(&values.per_variant[0]), Some(a.clone()));
        assert_eq!(t.eval(&values.per_variant[1]), Some(b.clone()));
        assert_eq!(values.per_variant[1]["replicas"], 3);
        let text = t.emit_document(None, "c");
        assert!(text.contains("replicas: {{ (index .Values \"replicas\") | toJson }}"), "{text}");
        // a leaf missing in one profile is a value that may be unset
        assert!(
            text.contains(
                "{{- if (ne (toJson (index .Values \"overrides\" \"Deployment/x\" \"spec.paused\")) \"null\") }}"
            ),
            "{text}"
        );
        assert_eq!(values.per_variant[0]["overrides"]["Deployment/x"]["spec.paused"], true);
        assert!(values.per_variant[1]["overrides"]["Deployment/x"]["spec.paused"].is_null());
    }

    #[test]
    fn an_object_equal_in_every_profile_is_written_out() {
        let doc = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "1"}});
        let mut values = Values::new(2);
        let t = build(&[Some(&doc), Some(&doc)], &|_: &Value, _: &[PathSeg]| None, &mut values);
        assert_eq!(t, T::Lit(doc.clone()));
        let text = t.emit_document(None, "c");
        assert_eq!(text, "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: '1'\n");
    }

    #[test]
    fn literal_braces_are_escaped() {
        let t = T::Lit(json!({"data": {"tpl": "{{ .Values.x }}"}}));
        let text = t.emit_document(None, "c");
        assert!(text.contains("{{ \"{{\" }} .Values.x }}"), "{text}");
    }
}
