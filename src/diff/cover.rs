//! What a render does not reproduce of an object: the fields of the input
//! (after [`normalize`]) that the rendered object lacks or has otherwise.
//! `import` lists them as not expressible, so that nothing it leaves out
//! goes unsaid; `diff --against` answers the other half (what the render
//! sets that the input does not have).

use serde_json::Value;

use super::normalize::normalize;

/// The paths (`spec.template.spec.containers[0].ports[0].hostPort`) of the
/// fields of `input` that `rendered` does not reproduce. Empty values
/// (`{}`, `[]`, `null`) hold nothing and are not listed; a list of another
/// length is listed as a whole, and the entries both have are compared too.
pub(crate) fn uncovered(input: &Value, rendered: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(&normalize(input), Some(&normalize(rendered)), "", &mut out);
    out
}

fn empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.values().all(empty),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// `a.b`, or `a["x.y/z"]` for a key that is not a plain word.
fn join(path: &str, key: &str) -> String {
    let plain = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    match (path.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{}]", serde_json::Value::String(key.to_string())),
    }
}

fn walk(input: &Value, rendered: Option<&Value>, path: &str, out: &mut Vec<String>) {
    if empty(input) {
        return;
    }
    let Some(r) = rendered else {
        out.push(path.to_string());
        return;
    };
    match (input, r) {
        (Value::Object(i), Value::Object(m)) => {
            for (k, v) in i {
                walk(v, m.get(k), &join(path, k), out);
            }
        }
        (Value::Array(i), Value::Array(m)) => {
            // a list of another length is listed as a whole, and the entries
            // both have still compared, so that a field of one the render
            // keeps is not hidden behind the list
            if i.len() != m.len() {
                out.push(path.to_string());
            }
            for (n, (a, b)) in i.iter().zip(m).enumerate() {
                walk(a, Some(b), &format!("{path}[{n}]"), out);
            }
        }
        (a, b) if a == b => {}
        _ => out.push(path.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_what_the_render_lacks_or_changes() {
        let input = json!({"metadata": {"name": "a", "labels": {"app.kubernetes.io/name": "a", "x": "1"},
            "uid": "server-owned"},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80,
            "hostPort": 8080}], "resources": {}, "securityContext": {"capabilities": {}}}],
            "volumes": [{"name": "v"}, {"name": "w"}]}}, "paused": false},
            "status": {"replicas": 2}});
        let rendered = json!({"metadata": {"name": "a", "labels": {"x": "1"}},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [{"name": "a", "ports": [{"containerPort": 80}]}],
            "volumes": [{"name": "v"}]}}}});
        assert_eq!(
            uncovered(&input, &rendered),
            [
                "metadata.labels[\"app.kubernetes.io/name\"]",
                "spec.paused",
                "spec.replicas",
                "spec.template.spec.containers[0].ports[0].hostPort",
                "spec.template.spec.volumes",
            ]
        );
    }

    #[test]
    fn equal_quantities_are_covered() {
        let input = json!({"spec": {"resources": {"limits": {"cpu": "1000m", "memory": "1024Mi"}}}});
        let rendered = json!({"spec": {"resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}});
        assert!(uncovered(&input, &rendered).is_empty());
    }
}
