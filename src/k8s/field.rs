//! Field paths of Kubernetes objects, as `kubectl explain` and JSONPath
//! write them: `spec.template.spec.containers[0].image`, with keys that hold
//! dots or slashes in brackets: `metadata.labels["app.kubernetes.io/name"]`.

use std::fmt;

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

/// A path from an object's root to one of its fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct FieldPath(pub Vec<Step>);

impl FieldPath {
    pub(crate) fn key(&self, k: impl Into<String>) -> FieldPath {
        let mut v = self.0.clone();
        v.push(Step::Key(k.into()));
        FieldPath(v)
    }

    pub(crate) fn index(&self, i: usize) -> FieldPath {
        let mut v = self.0.clone();
        v.push(Step::Index(i));
        FieldPath(v)
    }

    pub(crate) fn steps(&self) -> &[Step] {
        &self.0
    }

    /// Whether `prefix` is this path or one of its ancestors.
    pub(crate) fn starts_with(&self, prefix: &FieldPath) -> bool {
        self.0.starts_with(&prefix.0)
    }

    /// The value at this path inside `v`.
    pub(crate) fn get<'v>(&self, v: &'v serde_json::Value) -> Option<&'v serde_json::Value> {
        let mut cur = v;
        for s in &self.0 {
            cur = match s {
                Step::Key(k) => cur.get(k)?,
                Step::Index(i) => cur.get(i)?,
            };
        }
        Some(cur)
    }

    /// Reads `spec.containers[0].image` or `metadata.labels["a.b/c"]`.
    pub(crate) fn parse(s: &str) -> Result<FieldPath, String> {
        let mut steps = Vec::new();
        let b = s.as_bytes();
        let mut i = 0;
        let bad = |at: usize, what: &str| {
            format!(
                "`{s}` is not a field path ({what} at character {}); write it as `spec.template.spec.containers[0].image` or `metadata.labels[\"app.kubernetes.io/name\"]`",
                at + 1
            )
        };
        while i < b.len() {
            match b[i] {
                b'.' if !steps.is_empty() && i + 1 < b.len() && b[i + 1] != b'.' && b[i + 1] != b'[' => i += 1,
                b'[' => {
                    let close = s[i..].find(']').map(|c| c + i).ok_or_else(|| bad(i, "an unclosed `[`"))?;
                    let inner = s[i + 1..close].trim();
                    if let Some(q) = inner
                        .strip_prefix('"')
                        .and_then(|r| r.strip_suffix('"'))
                        .or_else(|| inner.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')))
                    {
                        steps.push(Step::Key(q.to_string()));
                    } else if let Ok(n) = inner.parse::<usize>() {
                        steps.push(Step::Index(n));
                    } else if !inner.is_empty() {
                        steps.push(Step::Key(inner.to_string()));
                    } else {
                        return Err(bad(i, "an empty `[]`"));
                    }
                    i = close + 1;
                }
                b'.' => return Err(bad(i, "a misplaced `.`")),
                _ => {
                    if i > 0 && b[i - 1] != b'.' {
                        return Err(bad(i, "a missing `.`"));
                    }
                    let end = s[i..].find(['.', '[']).map(|e| e + i).unwrap_or(s.len());
                    steps.push(Step::Key(s[i..end].to_string()));
                    i = end;
                }
            }
        }
        if steps.is_empty() {
            return Err("the field path is empty; write e.g. `spec.replicas`".into());
        }
        Ok(FieldPath(steps))
    }

    /// Every leaf below `v` (scalars, and empty maps and lists), with its
    /// path, in the object's order.
    pub(crate) fn leaves(v: &serde_json::Value) -> Vec<(FieldPath, &serde_json::Value)> {
        fn walk<'v>(p: FieldPath, v: &'v serde_json::Value, out: &mut Vec<(FieldPath, &'v serde_json::Value)>) {
            match v {
                serde_json::Value::Object(m) if !m.is_empty() => {
                    for (k, x) in m {
                        walk(p.key(k.clone()), x, out);
                    }
                }
                serde_json::Value::Array(a) if !a.is_empty() => {
                    for (i, x) in a.iter().enumerate() {
                        walk(p.index(i), x, out);
                    }
                }
                _ => out.push((p, v)),
            }
        }
        let mut out = Vec::new();
        walk(FieldPath::default(), v, &mut out);
        out
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, s) in self.0.iter().enumerate() {
            match s {
                Step::Key(k)
                    if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') && !k.is_empty() =>
                {
                    if n > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Step::Key(k) => write!(f, "[{}]", serde_json::Value::String(k.clone()))?,
                Step::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_and_print_as_kubectl_writes_them() {
        let p = FieldPath::parse("spec.template.spec.containers[0].image").unwrap();
        assert_eq!(p.0.len(), 6);
        assert_eq!(p.0[4], Step::Index(0));
        assert_eq!(p.to_string(), "spec.template.spec.containers[0].image");
        let l = FieldPath::parse("metadata.labels[\"app.kubernetes.io/name\"]").unwrap();
        assert_eq!(l.0[2], Step::Key("app.kubernetes.io/name".into()));
        assert_eq!(l.to_string(), "metadata.labels[\"app.kubernetes.io/name\"]");
        assert_eq!(FieldPath::parse("metadata.labels['a.b']").unwrap().0[2], Step::Key("a.b".into()));
        for bad in ["", ".spec", "spec..replicas", "spec.", "spec[", "spec[]", "a[0]b"] {
            assert!(FieldPath::parse(bad).is_err(), "{bad}");
        }
        let v = serde_json::json!({"spec": {"containers": [{"image": "a"}]}, "x": {}});
        assert_eq!(FieldPath::parse("spec.containers[0].image").unwrap().get(&v), Some(&serde_json::json!("a")));
        let leaves: Vec<String> = FieldPath::leaves(&v).iter().map(|(p, _)| p.to_string()).collect();
        assert_eq!(leaves, ["spec.containers[0].image", "x"]);
    }
}
