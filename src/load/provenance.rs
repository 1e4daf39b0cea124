//! Where a value of the merged topology was written, and what it overrode.
//!
//! The loader merges the profile onto the topology and expands worker pools
//! before anything else sees the tree, and keeps only the winner of each
//! path (the [`SpanIndex`](crate::diagnostic::spans::SpanIndex) diagnostics
//! use). `archctl explain` needs the whole chain: every file and layer that
//! wrote the value, in the order the merge applied them. Like the span
//! index it is built only when asked for, by reading the same source texts
//! again with the reference parser, so a render never pays for it.
//!
//! The layers, earliest first, as the loader applies them: the topology, the
//! profile (merged onto it), then for a pool service the pool's table in the
//! topology and in the profile (merged onto its base service). A later layer
//! that writes a path replaces what the earlier ones wrote there; one that
//! writes a non-table value above it (an array, a string where a table was)
//! replaces everything below.

use std::fmt;
use std::ops::Range;

use indexmap::IndexMap;

use super::Context;
use super::parse;
use crate::diagnostic::path::{Segment, TomlPath};
use crate::diagnostic::spans::SpanIndex;

/// The file a layer was read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FileKind {
    Topology,
    Profile,
}

/// One step of the merge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Layer {
    pub file: FileKind,
    /// The worker pool whose table this is, when it is one.
    pub pool: Option<String>,
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // a pool's file shows in the setting's location
        match (&self.pool, self.file) {
            (Some(p), _) => write!(f, "worker pool `{p}`"),
            (None, FileKind::Topology) => f.write_str("topology"),
            (None, FileKind::Profile) => f.write_str("profile"),
        }
    }
}

/// One place that wrote a value.
#[derive(Clone, Debug)]
pub(crate) struct Setting {
    pub layer: Layer,
    /// The file, in the context's source map.
    pub file: usize,
    /// The value's bytes in that file.
    pub span: Range<usize>,
    /// The path as written in that file (a pool's own table for a pool).
    pub path: TomlPath,
    /// The value as written, before templates were expanded.
    pub value: toml::Value,
}

/// A parsed file and the spans of its keys and values.
struct FileLayer {
    kind: FileKind,
    file: usize,
    spans: SpanIndex,
    tree: toml::Table,
}

/// The layers of one load, ready to answer where a path was written.
pub(crate) struct Provenance {
    layers: Vec<FileLayer>,
    /// Pool services: their base service and pool.
    pools: IndexMap<String, (String, String)>,
}

impl Context {
    /// The chain of settings behind every path, read again from the
    /// sources (see the module documentation).
    pub(crate) fn provenance(&self) -> Provenance {
        let mut layers = Vec::new();
        for (kind, file) in [(FileKind::Topology, self.steps.topology), (FileKind::Profile, self.steps.profile)] {
            let Some(file) = file else { continue };
            let text = self.sources.get(file).map(|s| s.text.as_str()).unwrap_or_default();
            let mut spans = SpanIndex::default();
            if let Ok(tree) = parse::parse_with_spans(text, file, &mut spans) {
                layers.push(FileLayer { kind, file, spans, tree });
            }
        }
        let mut pools = IndexMap::new();
        if self.steps.pools {
            // the merged `pools` tables of every service, as expansion saw them
            let mut services: IndexMap<String, Vec<String>> = IndexMap::new();
            for l in &layers {
                let Some(toml::Value::Table(s)) = l.tree.get("services") else { continue };
                for (name, svc) in s {
                    if let Some(toml::Value::Table(p)) = svc.get("pools") {
                        let known = services.entry(name.clone()).or_default();
                        for pool in p.keys() {
                            if !known.contains(pool) {
                                known.push(pool.clone());
                            }
                        }
                    }
                }
            }
            for (base, list) in services {
                for pool in list {
                    pools.insert(format!("{base}-{pool}"), (base.clone(), pool));
                }
            }
        }
        Provenance { layers, pools }
    }
}

/// The value at `path` in `tree`.
fn lookup<'t>(tree: &'t toml::Table, path: &TomlPath) -> Option<&'t toml::Value> {
    let segs = path.segments();
    let (first, rest) = segs.split_first()?;
    let Segment::Key(k) = first else { return None };
    let mut cur = tree.get(k.as_ref())?;
    for s in rest {
        cur = match s {
            Segment::Key(k) => cur.as_table()?.get(k.as_ref())?,
            Segment::Index(i) => cur.as_array()?.get(*i)?,
        };
    }
    Some(cur)
}

impl Provenance {
    /// The base service and pool of a pool service.
    pub(crate) fn pool_of(&self, service: &str) -> Option<(&str, &str)> {
        self.pools.get(service).map(|(b, p)| (b.as_str(), p.as_str()))
    }

    /// Every setting of `path` (in merged coordinates: a pool service by its
    /// full name) that still counts, earliest first: the last one is the
    /// value in effect. Empty when no file wrote it.
    pub(crate) fn settings(&self, path: &TomlPath) -> Vec<Setting> {
        let segs = path.segments();
        let mut candidates: Vec<(Layer, TomlPath)> = Vec::new();
        let pooled = match segs.as_slice() {
            [Segment::Key(s), Segment::Key(name), ..] if s == "services" => self.pools.get(name.as_ref()),
            _ => None,
        };
        match pooled {
            Some((base, pool)) => {
                let base_path = TomlPath::root().key("services").key(base.clone());
                let on_base = base_path.join_after(path, 2);
                let on_pool = base_path.key("pools").key(pool.clone()).join_after(path, 2);
                for file in [FileKind::Topology, FileKind::Profile] {
                    candidates.push((Layer { file, pool: None }, on_base.clone()));
                }
                for file in [FileKind::Topology, FileKind::Profile] {
                    candidates.push((Layer { file, pool: Some(pool.clone()) }, on_pool.clone()));
                }
            }
            None => {
                for file in [FileKind::Topology, FileKind::Profile] {
                    candidates.push((Layer { file, pool: None }, path.clone()));
                }
            }
        }
        let mut out: Vec<Setting> = Vec::new();
        for (layer, written) in candidates {
            let Some(fl) = self.layers.iter().find(|l| l.kind == layer.file) else { continue };
            // a non-table value written above the path replaces all below it
            let mut ancestor = written.parent();
            while let Some(a) = ancestor {
                if a.is_empty() {
                    break;
                }
                if lookup(&fl.tree, &a).is_some_and(|v| !v.is_table()) {
                    out.clear();
                    break;
                }
                ancestor = a.parent();
            }
            let Some(value) = lookup(&fl.tree, &written) else { continue };
            let span = fl.spans.get(&written).map(|e| e.value.clone()).unwrap_or(0..0);
            out.push(Setting { layer, file: fl.file, span, path: written, value: value.clone() });
        }
        out
    }

    /// Where the key at `path` (a table's name, such as a service's) was
    /// first written: its key span, in merged coordinates.
    pub(crate) fn key_of(&self, path: &TomlPath) -> Option<(usize, Range<usize>)> {
        let segs = path.segments();
        let path = match segs.as_slice() {
            [Segment::Key(s), Segment::Key(name)] if s == "services" => match self.pools.get(name.as_ref()) {
                Some((base, pool)) => TomlPath::root().key("services").key(base.clone()).key("pools").key(pool.clone()),
                None => path.clone(),
            },
            _ => path.clone(),
        };
        self.layers
            .iter()
            .find_map(|l| l.spans.get(&path).map(|e| (l.file, e.key.clone().unwrap_or_else(|| e.value.clone()))))
    }
}

/// The variables a template string reads, sorted; empty for a plain string
/// or one minijinja cannot parse.
pub(crate) fn template_variables(text: &str) -> Vec<String> {
    if !text.contains("{{") && !text.contains("{%") {
        return Vec::new();
    }
    let env = minijinja::Environment::new();
    let Ok(t) = env.template_from_str(text) else { return Vec::new() };
    let mut v: Vec<String> = t.undeclared_variables(false).into_iter().collect();
    v.sort();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::spans::SourceFile;

    fn context(topology: &str, profile: Option<&str>) -> Context {
        let mut ctx = Context::default();
        ctx.steps.topology = Some(ctx.sources.add(SourceFile::new("archctl.toml", topology)));
        if let Some(p) = profile {
            ctx.steps.profile = Some(ctx.sources.add(SourceFile::new("profiles/prod.toml", p)));
        }
        ctx.steps.pools = true;
        ctx
    }

    fn chain(p: &Provenance, path: &str) -> Vec<(String, String)> {
        // `a.b[1]`: the index as a step of its own
        let path = match path.split_once('[') {
            Some((keys, i)) => TomlPath::parse(keys).index(i.trim_end_matches(']').parse().unwrap()),
            None => TomlPath::parse(path),
        };
        p.settings(&path).iter().map(|s| (s.layer.to_string(), s.value.to_string())).collect()
    }

    #[test]
    fn the_chain_lists_each_layer_that_wrote_a_value_in_merge_order() {
        let topo = "[services.api]\nreplicas = 2\nargs = [\"a\", \"b\"]\n[services.api.pools.gpu]\nreplicas = 5\n";
        let prof = "[services.api]\nreplicas = 3\nargs = [\"c\"]\n";
        let ctx = context(topo, Some(prof));
        let p = ctx.provenance();
        assert_eq!(
            chain(&p, "services.api.replicas"),
            [("topology".into(), "2".into()), ("profile".into(), "3".into())]
        );
        // the pool's table wins over its base service in either file
        assert_eq!(
            chain(&p, "services.api-gpu.replicas"),
            [("topology".into(), "2".into()), ("profile".into(), "3".into()), ("worker pool `gpu`".into(), "5".into())]
        );
        // an array is replaced whole: the topology's second element is gone
        assert_eq!(chain(&p, "services.api.args[0]"), [("profile".into(), "\"c\"".into())]);
        assert!(chain(&p, "services.api.args[1]").is_empty());
        let s = &p.settings(&TomlPath::parse("services.api.replicas"))[1];
        assert_eq!(ctx.sources.get(s.file).unwrap().line_col(s.span.start), (2, 12));
        assert_eq!(p.pool_of("api-gpu"), Some(("api", "gpu")));
        let (file, span) = p.key_of(&TomlPath::parse("services.api-gpu")).unwrap();
        assert_eq!(ctx.sources.get(file).unwrap().line_col(span.start), (4, 21));
    }

    #[test]
    fn template_variables_are_read_from_the_template() {
        assert_eq!(template_variables("{{ registry }}/api:{{ tag | default('x') }}"), ["registry", "tag"]);
        assert!(template_variables("plain").is_empty());
    }
}
