//! Paths into a TOML document (`services.rag-api.ports.http`, `sidecars[0]`).

use std::fmt;

/// One step of a [`TomlPath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path from the document root to a key or value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TomlPath(pub Vec<Segment>);

impl TomlPath {
    pub fn root() -> Self {
        TomlPath(Vec::new())
    }

    /// This path followed by a key.
    pub fn key(&self, key: impl Into<String>) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Key(key.into()));
        p
    }

    /// This path followed by an array index.
    pub fn index(&self, index: usize) -> Self {
        let mut p = self.clone();
        p.0.push(Segment::Index(index));
        p
    }

    /// The path without its last step.
    pub fn parent(&self) -> Option<Self> {
        let mut p = self.clone();
        p.0.pop()?;
        Some(p)
    }

    /// Builds a path from dotted keys, for tests and fixed paths.
    pub fn parse(dotted: &str) -> Self {
        TomlPath(dotted.split('.').filter(|s| !s.is_empty()).map(|s| Segment::Key(s.to_string())).collect())
    }
}

impl fmt::Display for TomlPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for seg in &self.0 {
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

    #[test]
    fn displays_keys_indexes_and_quoted_keys() {
        let p = TomlPath::root().key("config_maps").key("app").key("files").key("config.yaml");
        assert_eq!(p.to_string(), r#"config_maps.app.files."config.yaml""#);
        let q = TomlPath::parse("services.api").key("sidecars").index(2);
        assert_eq!(q.to_string(), "services.api.sidecars[2]");
    }
}
