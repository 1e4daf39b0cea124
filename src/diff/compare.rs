//! The diff of one object: a pure function of what the render wants, what
//! the cluster has, and what the cluster says an apply would make of it.

use base64::Engine as _;
use serde_json::Value;
use similar::TextDiff;

use super::cluster::{ClusterError, Conflict};
use super::normalize::{normalize, project, redact_secrets};

/// What applying the render would do to one object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Action {
    Create,
    Change,
    Same,
    /// In the cluster, labelled as archctl's, but no longer rendered.
    Prune,
    /// An immutable field changes: the object must be deleted and created.
    RequiresReplace,
    Error,
}

impl Action {
    /// Whether the action is a difference (for the exit code).
    pub(crate) fn differs(self) -> bool {
        matches!(self, Action::Create | Action::Change | Action::Prune | Action::RequiresReplace)
    }
}

/// The result for one object.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct ObjectDiff {
    /// `apps/v1 Deployment archivist/rag-api`.
    pub object: String,
    pub action: Action,
    /// A unified diff of the YAML (live → archctl), values of Secrets
    /// redacted; empty when nothing changes.
    pub diff: String,
    /// Why the comparison took the path it did (fallbacks, errors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Fields other managers own that a plain `kubectl apply
    /// --server-side` would refuse to take over; the diff shows what the
    /// forced apply would do.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<Conflict>,
    /// What the user should know about the live object (fields an apply
    /// cannot remove).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The YAML the diff's new side was cut from, Secret values redacted
    /// (`diff --explain` finds each changed line's field in it).
    #[serde(skip)]
    pub after: String,
}

impl ObjectDiff {
    /// A result with no diff text.
    pub(crate) fn bare(object: String, action: Action, note: Option<String>) -> ObjectDiff {
        ObjectDiff {
            object,
            action,
            diff: String::new(),
            note,
            conflicts: Vec::new(),
            warnings: Vec::new(),
            after: String::new(),
        }
    }
}

/// The server's treatment of `stringData`: merged into `data`, base64.
fn secret_as_stored(v: &Value) -> Value {
    let mut v = v.clone();
    if v["kind"] != "Secret" {
        return v;
    }
    if let Some(obj) = v.as_object_mut()
        && let Some(Value::Object(sd)) = obj.shift_remove("stringData")
    {
        let data = obj.entry("data").or_insert_with(|| Value::Object(Default::default()));
        if let Value::Object(d) = data {
            for (k, val) in sd {
                let text = val.as_str().unwrap_or_default();
                d.insert(k, Value::String(base64::engine::general_purpose::STANDARD.encode(text)));
            }
        }
    }
    v
}

fn yaml(v: &Value) -> String {
    crate::emit::yaml::document(v).unwrap_or_default()
}

/// A unified diff between two objects, with Secret values redacted.
pub(crate) fn text_diff(before: Option<&Value>, after: Option<&Value>) -> String {
    texts(before, after).0
}

/// The unified diff and the YAML of its new side.
fn texts(before: Option<&Value>, after: Option<&Value>) -> (String, String) {
    let mut b = before.cloned();
    let mut a = after.cloned();
    redact_secrets(a.as_mut(), b.as_mut());
    let old = b.as_ref().map(yaml).unwrap_or_default();
    let new = a.as_ref().map(yaml).unwrap_or_default();
    let diff = TextDiff::from_lines(&old, &new).unified_diff().context_radius(3).header("live", "archctl").to_string();
    (diff, new)
}

/// Compares what the render wants with the live object.
///
/// `dry_run` is the server's answer to a dry-run apply: the object as it
/// would be stored, so defaults and server-owned fields are already there
/// and only real changes differ. Where the server cannot answer, the live
/// object is cut down to the fields the render sets, so that fields left
/// to the server are not differences.
pub(crate) fn object(
    id: String,
    desired: &Value,
    live: Option<&Value>,
    dry_run: Result<Option<Value>, ClusterError>,
) -> ObjectDiff {
    let done = |action, (diff, after): (String, String), note: Option<String>| ObjectDiff {
        diff,
        after,
        ..ObjectDiff::bare(id.clone(), action, note)
    };
    match dry_run {
        Ok(Some(after)) => {
            let after = normalize(&after);
            match live {
                None => done(Action::Create, texts(None, Some(&after)), None),
                Some(l) => {
                    let before = normalize(l);
                    if before == after {
                        done(Action::Same, Default::default(), None)
                    } else {
                        done(Action::Change, texts(Some(&before), Some(&after)), None)
                    }
                }
            }
        }
        Ok(None) => fallback(id, desired, live, None),
        Err(e @ (ClusterError::Forbidden(_) | ClusterError::UnknownKind(_))) => {
            fallback(id, desired, live, Some(format!("no dry run ({e}); compared the fields the render sets")))
        }
        Err(ClusterError::NamespaceMissing(m)) => {
            let want = normalize(&secret_as_stored(desired));
            done(Action::Create, texts(None, Some(&want)), Some(format!("{m}: it will be created first")))
        }
        Err(ClusterError::Immutable(m)) => {
            let want = normalize(&secret_as_stored(desired));
            let have = live.map(|l| normalize(&project(l, &want)));
            done(Action::RequiresReplace, texts(have.as_ref(), Some(&want)), Some(format!("requires replace: {m}")))
        }
        Err(e) => done(Action::Error, Default::default(), Some(e.to_string())),
    }
}

/// The comparison without a dry run: the live object cut down to the
/// fields the render sets.
pub(crate) fn fallback(id: String, desired: &Value, live: Option<&Value>, note: Option<String>) -> ObjectDiff {
    let want = normalize(&secret_as_stored(desired));
    let (action, (diff, after)) = match live {
        None => (Action::Create, texts(None, Some(&want))),
        Some(l) => {
            // files hold `stringData` as written; a server would have stored it
            let have = normalize(&project(&normalize(&secret_as_stored(l)), &want));
            if have == want {
                (Action::Same, Default::default())
            } else {
                (Action::Change, texts(Some(&have), Some(&want)))
            }
        }
    };
    ObjectDiff { diff, after, ..ObjectDiff::bare(id, action, note) }
}

/// A live object archctl created that the render no longer has.
pub(crate) fn prune(id: String, live: &Value) -> ObjectDiff {
    let before = normalize(live);
    ObjectDiff { diff: text_diff(Some(&before), None), ..ObjectDiff::bare(id, Action::Prune, None) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy(replicas: i64, extra: Value) -> Value {
        let mut v = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "a", "namespace": "n"},
                           "spec": {"replicas": replicas}});
        if let (Some(spec), Value::Object(e)) = (v["spec"].as_object_mut(), extra) {
            spec.extend(e);
        }
        v
    }

    #[test]
    fn dry_run_results_compare_with_defaults_included() {
        let live = deploy(2, json!({"progressDeadlineSeconds": 600}));
        let same = object("x".into(), &deploy(2, json!({})), Some(&live), Ok(Some(live.clone())));
        assert_eq!(same.action, Action::Same);
        let after = deploy(3, json!({"progressDeadlineSeconds": 600}));
        let changed = object("x".into(), &deploy(3, json!({})), Some(&live), Ok(Some(after)));
        assert_eq!(changed.action, Action::Change);
        assert!(changed.diff.contains("-  replicas: 2\n+  replicas: 3\n"), "{}", changed.diff);
        // server defaults are on both sides: context, never a change
        let changes: Vec<&str> = changed
            .diff
            .lines()
            .filter(|l| (l.starts_with('-') || l.starts_with('+')) && !l.starts_with("---") && !l.starts_with("+++"))
            .collect();
        assert_eq!(changes, ["-  replicas: 2", "+  replicas: 3"]);
    }

    #[test]
    fn without_a_dry_run_only_rendered_fields_count() {
        let live = deploy(2, json!({"progressDeadlineSeconds": 600}));
        let r = object("x".into(), &deploy(2, json!({})), Some(&live), Err(ClusterError::Forbidden("f".into())));
        assert_eq!(r.action, Action::Same);
        assert!(r.note.unwrap().contains("no dry run"));
        let r = object("x".into(), &deploy(4, json!({})), Some(&live), Ok(None));
        assert_eq!(r.action, Action::Change);
    }

    #[test]
    fn errors_and_replacements_are_per_object() {
        let live = deploy(2, json!({}));
        let r = object(
            "x".into(),
            &deploy(2, json!({})),
            Some(&live),
            Err(ClusterError::Immutable("spec.selector: field is immutable".into())),
        );
        assert_eq!(r.action, Action::RequiresReplace);
        let r = object(
            "x".into(),
            &deploy(2, json!({})),
            None,
            Err(ClusterError::NamespaceMissing("namespaces \"n\" not found".into())),
        );
        assert_eq!(r.action, Action::Create);
        let r = object("x".into(), &deploy(2, json!({})), None, Err(ClusterError::Rejected("webhook said no".into())));
        assert_eq!((r.action, r.note.as_deref()), (Action::Error, Some("webhook said no")));
    }

    #[test]
    fn secret_values_never_appear() {
        let desired =
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"k": "canary-123"}});
        let live = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "data": {"k": "b2xk"}});
        let r = object("x".into(), &desired, Some(&live), Ok(None));
        assert_eq!(r.action, Action::Change);
        assert!(!r.diff.contains("canary") && !r.diff.contains("Y2FuYXJ5") && !r.diff.contains("b2xk"), "{}", r.diff);
        assert!(r.diff.contains("<redacted: changed>"), "{}", r.diff);
    }
}
