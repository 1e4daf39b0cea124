//! Normalisation: what the server owns is dropped, equivalent quantities
//! are written one way, and Secret values are never shown.

use serde_json::{Map, Value};

use crate::k8s::quantity::Quantity;

/// The annotation client-side `kubectl apply` keeps.
pub(crate) const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Keys under which the values are resource quantities.
const QUANTITY_PARENTS: &[&str] = &[
    "requests",
    "limits",
    "hard",
    "default",
    "defaultRequest",
    "max",
    "min",
    "maxLimitRequestRatio",
    "minAllowed",
    "maxAllowed",
    "capacity",
    "allocatable",
];

/// Drops server-owned fields and canonicalises quantities.
pub(crate) fn normalize(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(obj) = v.as_object_mut() {
        obj.shift_remove("status");
        if let Some(Value::Object(meta)) = obj.get_mut("metadata") {
            for k in ["managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink"] {
                meta.shift_remove(k);
            }
            if let Some(Value::Object(ann)) = meta.get_mut("annotations") {
                ann.shift_remove(LAST_APPLIED);
                if ann.is_empty() {
                    meta.shift_remove("annotations");
                }
            }
        }
    }
    // a claim template's type is implied (the API server keeps what it is
    // sent): written or not, it is the same template
    if let Some(Value::Array(templates)) = v.pointer_mut("/spec/volumeClaimTemplates") {
        for t in templates.iter_mut().filter_map(Value::as_object_mut) {
            if t.get("apiVersion").is_some_and(|a| a == "v1")
                && t.get("kind").is_some_and(|k| k == "PersistentVolumeClaim")
            {
                t.shift_remove("apiVersion");
                t.shift_remove("kind");
            }
        }
    }
    quantities(&mut v, None);
    sort_keys(&v)
}

fn quantities(v: &mut Value, parent: Option<&str>) {
    match v {
        Value::Object(m) => {
            let here = parent.is_some_and(|p| QUANTITY_PARENTS.contains(&p));
            for (k, child) in m.iter_mut() {
                if k == "sizeLimit" || here && (child.is_string() || child.is_number()) {
                    canonical(child);
                } else {
                    quantities(child, Some(k.as_str()));
                }
            }
        }
        Value::Array(a) => {
            for child in a {
                quantities(child, parent);
            }
        }
        _ => {}
    }
}

fn canonical(v: &mut Value) {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => return,
    };
    if let Ok(q) = Quantity::parse(&text) {
        *v = Value::String(q.canonical());
    }
}

/// Keys in sorted order, so that both sides of a diff line up.
fn sort_keys(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                out.insert(k.clone(), sort_keys(&m[k]));
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(sort_keys).collect()),
        other => other.clone(),
    }
}

/// Replaces Secret values on both sides: unchanged keys show as
/// `<redacted>`, changed ones as `<redacted: changed>`; values never reach
/// the output. `data` and `stringData` of any shape (a map, a list, a
/// string) are covered, and so are a Secret's annotation values: client
/// tools copy the whole object into them (`kubectl apply`'s
/// last-applied-configuration, `kapp.k14s.io/original`), and a
/// `kubernetes.io/change-cause` may quote a command line.
pub(crate) fn redact_secrets(mut desired: Option<&mut Value>, mut live: Option<&mut Value>) {
    let secret = |v: &Option<&mut Value>| v.as_ref().is_some_and(|v| v["kind"] == "Secret");
    if !secret(&desired) && !secret(&live) {
        return;
    }
    for path in [&["data"][..], &["stringData"], &["metadata", "annotations"]] {
        fn at<'a>(v: Option<&'a mut Value>, path: &[&str]) -> Option<&'a mut Value> {
            let mut v = v?;
            for k in path {
                v = v.get_mut(*k)?;
            }
            Some(v)
        }
        let before = at(live.as_deref_mut(), path).map(|v| v.clone());
        if let Some(field) = at(desired.as_deref_mut(), path) {
            redact_field(field, before.as_ref());
        }
        if let Some(field) = at(live.as_deref_mut(), path) {
            redact_field(field, None);
        }
    }
}

/// Redacts one field's values; with `before`, marks those that differ.
fn redact_field(field: &mut Value, before: Option<&Value>) {
    const SAME: &str = "<redacted>";
    const CHANGED: &str = "<redacted: changed>";
    match field {
        Value::Object(m) => {
            for (k, val) in m.iter_mut() {
                let same = before.is_none_or(|b| b.get(k) == Some(val));
                *val = Value::String(if same { SAME } else { CHANGED }.into());
            }
        }
        Value::Null => {}
        other => {
            let same = before.is_none_or(|b| b == other);
            *other = Value::String(if same { SAME } else { CHANGED }.into());
        }
    }
}

/// The live object cut down to the fields the render sets: used when the
/// server cannot tell what an apply would change, so that fields the
/// render leaves to the server are not differences.
pub(crate) fn project(live: &Value, desired: &Value) -> Value {
    match (live, desired) {
        (Value::Object(l), Value::Object(d)) => {
            let mut out = Map::new();
            for (k, dv) in d {
                if let Some(lv) = l.get(k) {
                    out.insert(k.clone(), project(lv, dv));
                }
            }
            Value::Object(out)
        }
        (Value::Array(l), Value::Array(d)) if l.len() == d.len() => {
            Value::Array(l.iter().zip(d).map(|(lv, dv)| project(lv, dv)).collect())
        }
        (l, _) => l.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn drops_server_fields_and_canonicalises_quantities() {
        let live = json!({
            "metadata": {"name": "a", "uid": "1", "resourceVersion": "9", "managedFields": [],
                         "annotations": {LAST_APPLIED: "{}"}},
            "spec": {"containers": [{"resources": {"limits": {"cpu": "1000m", "memory": "1024Mi"}}}],
                     "volumeClaimTemplates": [{"spec": {"resources": {"requests": {"storage": "10240Mi"}}}}]},
            "status": {"ready": true}
        });
        let n = normalize(&live);
        assert_eq!(
            n,
            json!({"metadata": {"name": "a"}, "spec": {
                "containers": [{"resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}],
                "volumeClaimTemplates": [{"spec": {"resources": {"requests": {"storage": "10Gi"}}}}]}})
        );
        // a claim template's implied type is dropped
        let sts = json!({"spec": {"volumeClaimTemplates": [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data"}}, {"apiVersion": "v2", "kind": "PersistentVolumeClaim"}]}});
        assert_eq!(
            normalize(&sts)["spec"]["volumeClaimTemplates"],
            json!([{"metadata": {"name": "data"}}, {"apiVersion": "v2", "kind": "PersistentVolumeClaim"}])
        );
        // not every string is a quantity
        assert_eq!(normalize(&json!({"data": {"max": "1000m"}}))["data"]["max"], "1000m");
    }

    #[test]
    fn secrets_are_redacted_and_changes_marked() {
        let mut d = json!({"kind": "Secret", "data": {"a": "eA==", "b": "eQ=="}});
        let mut l = json!({"kind": "Secret", "data": {"a": "eA==", "b": "eg=="}});
        redact_secrets(Some(&mut d), Some(&mut l));
        assert_eq!(d["data"], json!({"a": "<redacted>", "b": "<redacted: changed>"}));
        assert_eq!(l["data"], json!({"a": "<redacted>", "b": "<redacted>"}));
    }

    #[test]
    fn secret_values_of_any_shape_and_annotations_are_redacted() {
        let mut l = json!({"kind": "Secret", "metadata": {"annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": "{\"stringData\":{\"k\":\"CANARY\"}}",
            "kapp.k14s.io/original": "CANARY", "kubernetes.io/change-cause": "kubectl create secret --from-literal=k=CANARY"}},
            "data": ["CANARY"], "stringData": "CANARY"});
        let mut d = json!({"kind": "Secret", "metadata": {"annotations": {"kapp.k14s.io/original": "CANARY"}},
            "data": {"k": "Q0FOQVJZ"}});
        redact_secrets(Some(&mut d), Some(&mut l));
        let text = format!("{d}{l}");
        assert!(!text.contains("CANARY") && !text.contains("Q0FOQVJZ"), "{text}");
        assert_eq!(l["data"], "<redacted>");
        assert_eq!(d["metadata"]["annotations"]["kapp.k14s.io/original"], "<redacted>");
        assert_eq!(l["metadata"]["annotations"]["kubernetes.io/change-cause"], "<redacted>");
        // only Secrets
        let mut cm = json!({"kind": "ConfigMap", "data": {"k": "visible"}});
        redact_secrets(Some(&mut cm), None);
        assert_eq!(cm["data"]["k"], "visible");
    }

    #[test]
    fn projection_keeps_only_rendered_fields() {
        let live = json!({"spec": {"replicas": 3, "progressDeadlineSeconds": 600, "list": [{"a": 1, "b": 2}]}});
        let desired = json!({"spec": {"replicas": 2, "list": [{"a": 5}]}});
        assert_eq!(project(&live, &desired), json!({"spec": {"replicas": 3, "list": [{"a": 1}]}}));
    }
}
