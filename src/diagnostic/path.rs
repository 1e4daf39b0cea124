//! Paths into a TOML document (`services.rag-api.ports.http`, `sidecars[0]`).
//!
//! Validation and resolution name the path of nearly every value they look
//! at, for a diagnostic they seldom print: at fleet scale that is millions of
//! paths. A path is therefore a shared list from the leaf to the root:
//! extending it allocates one node (and no string for a fixed key such as
//! `"replicas"`), and copying it is a reference count.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// One step of a [`TomlPath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Key(Cow<'static, str>),
    Index(usize),
}

/// A path from the document root to a key or value.
#[derive(Clone, Default)]
pub struct TomlPath(Option<Arc<Node>>);

struct Node {
    parent: TomlPath,
    segment: Segment,
    len: usize,
}

impl TomlPath {
    pub fn root() -> Self {
        TomlPath(None)
    }

    fn push(&self, segment: Segment) -> Self {
        TomlPath(Some(Arc::new(Node { parent: self.clone(), segment, len: self.len() + 1 })))
    }

    /// This path followed by a key.
    pub fn key(&self, key: impl Into<Cow<'static, str>>) -> Self {
        self.push(Segment::Key(key.into()))
    }

    /// This path followed by an array index.
    pub fn index(&self, index: usize) -> Self {
        self.push(Segment::Index(index))
    }

    /// The path without its last step.
    pub fn parent(&self) -> Option<Self> {
        self.0.as_ref().map(|n| n.parent.clone())
    }

    /// The number of steps.
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |n| n.len)
    }

    /// Whether this is the root.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// The last step.
    pub fn last(&self) -> Option<&Segment> {
        self.0.as_ref().map(|n| &n.segment)
    }

    /// The steps from the root.
    pub fn segments(&self) -> Vec<&Segment> {
        let mut out = Vec::with_capacity(self.len());
        let mut at = self;
        while let Some(n) = &at.0 {
            out.push(&n.segment);
            at = &n.parent;
        }
        out.reverse();
        out
    }

    /// The path of the first `len` steps.
    pub fn prefix(&self, len: usize) -> TomlPath {
        let mut at = self;
        while at.len() > len {
            match &at.0 {
                Some(n) => at = &n.parent,
                None => break,
            }
        }
        at.clone()
    }

    /// Whether `self` is `prefix` or below it.
    pub fn starts_with(&self, prefix: &TomlPath) -> bool {
        self.len() >= prefix.len() && self.prefix(prefix.len()) == *prefix
    }

    /// This path followed by the steps of `other` after its first `skip`.
    pub fn join_after(&self, other: &TomlPath, skip: usize) -> TomlPath {
        other.segments().into_iter().skip(skip).fold(self.clone(), |p, s| p.push(s.clone()))
    }

    /// Builds a path from dotted keys, for tests and fixed paths.
    pub fn parse(dotted: &str) -> Self {
        dotted.split('.').filter(|s| !s.is_empty()).fold(TomlPath::root(), |p, s| p.key(s.to_string()))
    }
}

impl PartialEq for TomlPath {
    fn eq(&self, other: &Self) -> bool {
        let (mut a, mut b) = (self, other);
        if a.len() != b.len() {
            return false;
        }
        loop {
            match (&a.0, &b.0) {
                (None, None) => return true,
                (Some(x), Some(y)) => {
                    if Arc::ptr_eq(x, y) {
                        return true;
                    }
                    if x.segment != y.segment {
                        return false;
                    }
                    a = &x.parent;
                    b = &y.parent;
                }
                _ => return false,
            }
        }
    }
}

impl Eq for TomlPath {}

impl Hash for TomlPath {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.len().hash(state);
        let mut at = self;
        while let Some(n) = &at.0 {
            n.segment.hash(state);
            at = &n.parent;
        }
    }
}

impl PartialOrd for TomlPath {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TomlPath {
    fn cmp(&self, other: &Self) -> Ordering {
        self.segments().cmp(&other.segments())
    }
}

impl fmt::Debug for TomlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TomlPath({self})")
    }
}

impl fmt::Display for TomlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for seg in self.segments() {
            match seg {
                Segment::Key(k) => {
                    if !first {
                        f.write_str(".")?;
                    }
                    let bare = !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
                    if bare {
                        f.write_str(k)?;
                    } else {
                        write!(f, "{k:?}")?;
                    }
                }
                Segment::Index(i) => write!(f, "[{i}]")?,
            }
            first = false;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn displays_keys_indexes_and_quoted_keys() {
        let p = TomlPath::root().key("config_maps").key("app").key("files").key("config.yaml");
        assert_eq!(p.to_string(), r#"config_maps.app.files."config.yaml""#);
        let q = TomlPath::parse("services.api").key("sidecars").index(2);
        assert_eq!(q.to_string(), "services.api.sidecars[2]");
    }

    #[test]
    fn paths_built_apart_are_equal_hash_alike_and_order_by_steps() {
        let a = TomlPath::root().key("services").key("api".to_string()).key("replicas");
        let b = TomlPath::parse("services.api.replicas");
        let c = TomlPath::parse("services.api.replica");
        let d = TomlPath::parse("services.api");
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_ne!(TomlPath::root().index(0), TomlPath::root().key("0"));
        let set: HashSet<TomlPath> = [a.clone(), b.clone(), c.clone()].into_iter().collect();
        assert_eq!(set.len(), 2);
        assert!(d < a && c < a, "a prefix sorts first, then by steps");
        assert_eq!(a.parent(), Some(d.clone()));
        assert_eq!(a.len(), 3);
        assert_eq!(a.last(), Some(&Segment::Key("replicas".into())));
        assert!(a.starts_with(&d) && !d.starts_with(&a) && a.starts_with(&TomlPath::root()));
        assert_eq!(a.prefix(1), TomlPath::parse("services"));
        let moved = TomlPath::parse("services.api-batch").join_after(&a, 2);
        assert_eq!(moved, TomlPath::parse("services.api-batch.replicas"));
        assert_eq!(format!("{a:?}"), "TomlPath(services.api.replicas)");
    }
}
