//! The release in the templates: the `app.kubernetes.io/instance` label is
//! the release's name, and each namespace of the topology is the release's
//! namespace (a single-namespace topology) or a value of its own
//! (`namespaces.<name>`), wherever an object names it — `metadata.namespace`,
//! a Namespace's name, namespace selectors (`kubernetes.io/metadata.name`,
//! `matchNames`, `namespaces`) and service DNS names (`<svc>.<ns>.svc…`)
//! inside strings.
//!
//! Each replaced literal becomes a [`T::Expr`] that keeps the literal as its
//! value for the round-trip release (named after the project, in the
//! topology's namespaces), so the chart is still checked against the render.

use std::collections::BTreeMap;

use serde_json::Value;

use super::template::{T, go_string, index};
use crate::k8s::labels::INSTANCE;

/// What the templates say instead of the project's and namespaces' names.
pub(super) struct Release {
    project: String,
    /// Namespace name → the Go expression of it.
    namespaces: BTreeMap<String, String>,
}

impl Release {
    /// `single`: the topology's one namespace follows `.Release.Namespace`;
    /// otherwise each of `namespaces` reads `namespaces.<name>`.
    pub(super) fn new(project: &str, namespaces: &[String], single: bool) -> Self {
        let namespaces = namespaces
            .iter()
            .map(|ns| {
                let go =
                    if single { ".Release.Namespace".to_string() } else { index(&["namespaces".into(), ns.clone()]) };
                (ns.clone(), go)
            })
            .collect();
        Release { project: project.to_string(), namespaces }
    }

    /// Rewrites the template of an object of `kind`.
    pub(super) fn apply(&self, t: T, kind: &str) -> T {
        self.tree(t, &mut Vec::new(), kind)
    }

    fn tree(&self, t: T, path: &mut Vec<String>, kind: &str) -> T {
        match t {
            T::Lit(v) => self.value(&v, path, kind).unwrap_or(T::Lit(v)),
            T::Map(entries) => T::Map(
                entries
                    .into_iter()
                    .map(|(k, t, c)| {
                        path.push(k.clone());
                        let t = self.tree(t, path, kind);
                        path.pop();
                        (k, t, c)
                    })
                    .collect(),
            ),
            T::Seq(items) => T::Seq(items.into_iter().map(|t| self.tree(t, path, kind)).collect()),
            other => other,
        }
    }

    /// The template of a literal when something in it is replaced.
    fn value(&self, v: &Value, path: &mut Vec<String>, kind: &str) -> Option<T> {
        match v {
            Value::Object(m) => {
                let mut changed = false;
                let mut entries = Vec::with_capacity(m.len());
                for (k, child) in m {
                    path.push(k.clone());
                    let t = self.value(child, path, kind);
                    path.pop();
                    changed |= t.is_some();
                    entries.push((k.clone(), t.unwrap_or_else(|| T::Lit(child.clone())), None));
                }
                changed.then_some(T::Map(entries))
            }
            Value::Array(a) => {
                let items: Vec<Option<T>> = a.iter().map(|child| self.value(child, path, kind)).collect();
                if items.iter().all(Option::is_none) {
                    return None;
                }
                Some(T::Seq(items.into_iter().zip(a).map(|(t, v)| t.unwrap_or_else(|| T::Lit(v.clone()))).collect()))
            }
            Value::String(s) => self.string(s, path, kind),
            _ => None,
        }
    }

    fn string(&self, s: &str, path: &[String], kind: &str) -> Option<T> {
        let key = path.last().map(String::as_str).unwrap_or("");
        let expr = |go: &str| Some(T::Expr { go: go.to_string(), value: Value::String(s.to_string()) });
        if key == INSTANCE && s == self.project {
            return expr(".Release.Name");
        }
        let names_namespace = matches!(key, "namespace" | "kubernetes.io/metadata.name" | "matchNames" | "namespaces")
            || (kind == "Namespace" && path == ["metadata", "name"]);
        if names_namespace && let Some(go) = self.namespaces.get(s) {
            return expr(go);
        }
        self.dns(s)
    }

    /// A string naming services by DNS (`qdrant.data.svc.cluster.local`,
    /// `bolt://neo4j.data.svc:7687`): the namespace parts replaced.
    fn dns(&self, s: &str) -> Option<T> {
        // (byte offset, length, expression) of each namespace found
        let mut hits: Vec<(usize, usize, &str)> = Vec::new();
        for (ns, go) in &self.namespaces {
            let needle = format!(".{ns}.svc");
            let mut from = 0;
            while let Some(i) = s[from..].find(&needle) {
                let start = from + i + 1;
                let end = from + i + needle.len();
                let after = s[end..].chars().next();
                if after.is_none_or(|c| !c.is_ascii_alphanumeric() && c != '-') {
                    hits.push((start, ns.len(), go));
                }
                from = end;
            }
        }
        if hits.is_empty() {
            return None;
        }
        hits.sort();
        let mut parts = Vec::new();
        let mut at = 0;
        for (start, len, go) in hits {
            if start < at {
                continue;
            }
            if start > at {
                parts.push(go_string(&s[at..start]));
            }
            parts.push(go.to_string());
            at = start + len;
        }
        if at < s.len() {
            parts.push(go_string(&s[at..]));
        }
        // print joins strings without spaces
        Some(T::Expr { go: format!("(print {})", parts.join(" ")), value: Value::String(s.to_string()) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn instance_namespaces_and_dns_names_follow_the_release() {
        let r = Release::new("shop", &["shop".into(), "data".into()], false);
        let doc = json!({
            "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "shop", "labels": {"app.kubernetes.io/instance": "shop", "app.kubernetes.io/part-of": "shop"}},
            "spec": {"env": [{"name": "DB", "value": "bolt://db.data.svc.cluster.local:7687"}, {"name": "X", "value": "data.svc"}]},
        });
        let t = r.apply(T::Lit(doc.clone()), "Deployment");
        assert_eq!(t.eval(&json!({})), Some(doc), "the round-trip release gives the literal back");
        let text = t.emit_document(None, "shop");
        assert!(text.contains("namespace: {{ (index .Values \"namespaces\" \"shop\") | toJson }}"), "{text}");
        assert!(text.contains("app.kubernetes.io/instance: {{ .Release.Name | toJson }}"), "{text}");
        assert!(text.contains("app.kubernetes.io/part-of: shop"), "{text}");
        assert!(
            text.contains(
                "value: {{ (print \"bolt://db.\" (index .Values \"namespaces\" \"data\") \".svc.cluster.local:7687\") | toJson }}"
            ),
            "{text}"
        );
        assert!(text.contains("value: data.svc"), "not a DNS name of a service: {text}");
    }

    #[test]
    fn a_single_namespace_is_the_release_namespace() {
        let r = Release::new("shop", &["shop".into()], true);
        let ns = json!({"kind": "Namespace", "metadata": {"name": "shop"}});
        let text = r.apply(T::Lit(ns), "Namespace").emit_document(None, "shop");
        assert!(text.contains("name: {{ .Release.Namespace | toJson }}"), "{text}");
        let cm = json!({"kind": "ConfigMap", "metadata": {"name": "shop"}});
        assert_eq!(r.apply(T::Lit(cm.clone()), "ConfigMap"), T::Lit(cm), "a name that is not a namespace stays");
    }
}
