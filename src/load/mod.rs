//! Loading: read the topology and its profile, merge them, expand minijinja
//! expressions, and deserialize the result into the typed model.
//!
//! A profile has the topology's own shape and is merged onto it the way
//! Kustomize's strategic merge treats maps: tables merge key by key, anything
//! else (strings, numbers, arrays) is replaced whole.

mod by_service;
pub(crate) mod input;
pub(crate) mod parse;
pub(crate) mod provenance;
pub(crate) mod template;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;

use self::input::{ReadError, Scope};
use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::{Segment, TomlPath};
use crate::diagnostic::spans::{SourceFile, SourceMap, SpanIndex};
use crate::diagnostic::suggest;
use crate::topology::Topology;

/// What to load.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// The topology file.
    pub topology: PathBuf,
    /// A profile from `profiles/<name>.toml` beside the topology.
    pub profile: Option<String>,
    /// Overrides the phase the topology or profile picks.
    pub phase: Option<String>,
}

/// A topology merged with its profile, with everything needed to point at
/// the source of any value.
#[derive(Clone, Debug)]
pub struct Loaded {
    /// Shared, so that `plan` resolves one load at every phase without
    /// copying it.
    pub topology: Arc<Topology>,
    /// The phase chosen outside the files (`--phase`, or `plan` at each
    /// phase), resolved at instead of the topology's own `phase`.
    pub phase: Option<String>,
    pub profile: Option<String>,
    /// The folder of the topology file; relative file paths start here.
    pub base_dir: PathBuf,
    /// Where the files the topology names may be: its folder and the
    /// `--allow-read` folders.
    pub scope: Scope,
    pub context: Context,
    /// Whether a template mentions `phase`: if none does, loading at
    /// another phase gives the same topology but for its `phase`.
    pub phase_in_templates: bool,
}

/// Sources and spans, kept to print diagnostics after loading.
///
/// The span index is built only when a diagnostic asks for a position: a
/// render without findings never needs it, and for a topology of 10,000
/// services it would hold half a million paths. [`Context::spans`] replays
/// the loading steps that shape it (parse, merge the profile, expand pools)
/// over the same texts, with the reference parser recording every span, so
/// the positions are those an eager index would have held.
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub sources: SourceMap,
    steps: Steps,
    spans: std::sync::OnceLock<SpanIndex>,
}

/// How far loading got, for [`Context::spans`] to replay.
#[derive(Clone, Debug, Default)]
struct Steps {
    /// The topology file, once read.
    topology: Option<usize>,
    /// The profile file, once its overlay was merged (or found to change
    /// what it may not: its spans are merged before that is reported).
    profile: Option<usize>,
    /// Whether worker pools were expanded.
    pools: bool,
}

impl Context {
    /// The position of every key and value of the merged topology.
    pub fn spans(&self) -> &SpanIndex {
        self.spans.get_or_init(|| self.replay())
    }

    fn replay(&self) -> SpanIndex {
        let mut spans = SpanIndex::default();
        let text = |id: usize| self.sources.get(id).map(|s| s.text.as_str()).unwrap_or_default();
        let Some(topology) = self.steps.topology else { return spans };
        let Ok(mut root) = parse::parse_with_spans(text(topology), topology, &mut spans) else { return spans };
        if let Some(profile) = self.steps.profile {
            let mut overlay_spans = SpanIndex::default();
            let Ok(overlay) = parse::parse_with_spans(text(profile), profile, &mut overlay_spans) else {
                return spans;
            };
            merge_spans(&mut spans, overlay_spans, &overlay);
            merge(&mut root, overlay);
        }
        if self.steps.pools {
            let _ = expand_pools(&mut root, &mut spans);
        }
        spans
    }
}

/// Loading failed: the problems found and the context to print them.
#[derive(Debug)]
pub struct Rejected {
    pub diagnostics: Vec<Diagnostic>,
    pub context: Context,
}

/// Names of the profiles beside a topology file, sorted.
pub fn profile_names(topology: &Path) -> Vec<String> {
    let dir = profiles_dir(topology);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            (p.extension().is_some_and(|x| x == "toml") && p.is_file())
                .then(|| p.file_stem()?.to_str().map(str::to_string))
                .flatten()
        })
        .collect();
    names.sort();
    names
}

/// `profiles/` beside the topology file.
pub(crate) fn profiles_dir(topology: &Path) -> PathBuf {
    base_dir(topology).join("profiles")
}

/// The folder of the topology file (empty for the current folder, so that
/// paths in messages read `profiles/dev.toml`, not `./profiles/dev.toml`).
pub(crate) fn base_dir(topology: &Path) -> PathBuf {
    topology.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Loads, merges, expands and deserializes.
pub fn load(opts: &LoadOptions) -> Result<Loaded, Rejected> {
    // Tracking the path of every value during deserialization (to say
    // where a schema error is) costs about a third of it; a topology that
    // deserializes needs no path, so the path is only tracked on a second
    // load, after the first one failed.
    load_tracking(opts, false).or_else(|rejected| match rejected {
        Some(r) => Err(r),
        None => load_tracking(opts, true).map_err(|r| r.unwrap_or_else(untracked_failure)),
    })
}

/// A failure the tracked load did not reproduce: never happens, since
/// loading is deterministic, but is reported rather than trusted.
fn untracked_failure() -> Rejected {
    Rejected {
        diagnostics: vec![
            Diagnostic::error("E005", "the topology does not match the schema").with_help(
                "this is a bug in archctl: the error could not be located; please report it with the topology",
            ),
        ],
        context: Context::default(),
    }
}

/// [`load`], with or without tracking the path of each value during
/// deserialization; Err(None) when deserialization failed without it.
fn load_tracking(opts: &LoadOptions, track: bool) -> Result<Loaded, Option<Rejected>> {
    let mut ctx = Context::default();
    let reject = |ctx: Context, d: Diagnostic| Some(Rejected { diagnostics: vec![d], context: ctx });
    let scope = Scope::project(&base_dir(&opts.topology));

    // `-f /dev/stdin` (or `/dev/fd/N`) is a stream the command line names,
    // read as it is; any other topology is a file of its folder
    let stream = opts.topology.starts_with("/dev");
    let topo_file = match read_source(&opts.topology, &scope, stream, &mut ctx) {
        Ok(id) => id,
        Err(d) => {
            let d = if d.help.is_none() {
                d.with_help(
                    "run archctl in a project folder holding `archctl.toml`, or name the topology with `-f FILE`",
                )
            } else {
                d
            };
            return Err(reject(ctx, d));
        }
    };
    ctx.steps.topology = Some(topo_file);
    // the fast path first, when the path of a schema error need not be known
    let mut profile_read = None;
    if !track {
        match load_by_service(&mut ctx, topo_file, opts, &scope) {
            Ok(topology) => return Ok(topology.finish(opts, scope, ctx)),
            Err(profile) => profile_read = profile,
        }
    }
    let mut root = match parse_file(topo_file, &ctx) {
        Ok(t) => t,
        Err(d) => return Err(reject(ctx, d)),
    };

    if let Some(name) = &opts.profile {
        let known = profile_names(&opts.topology);
        if !known.iter().any(|k| k == name) {
            let dir = profiles_dir(&opts.topology);
            let d = Diagnostic::error(
                "E002",
                format!("unknown profile `{name}`: no file `{}`", dir.join(format!("{name}.toml")).display()),
            )
            .with_help(if known.is_empty() {
                format!("create `{}/{name}.toml`, or render without `--profile`", dir.display())
            } else {
                match suggest::closest(name, known.iter().map(String::as_str)) {
                    Some(c) => format!(
                        "did you mean `{c}`? known profiles: {}",
                        suggest::list(known.iter().map(String::as_str))
                    ),
                    None => format!("known profiles: {}", suggest::list(known.iter().map(String::as_str))),
                }
            });
            return Err(reject(ctx, d));
        }
        let path = profiles_dir(&opts.topology).join(format!("{name}.toml"));
        let read = match profile_read {
            Some(id) => Ok(id),
            None => read_source(&path, &scope, false, &mut ctx),
        };
        let file = match read {
            Ok(id) => id,
            Err(d) => return Err(reject(ctx, d)),
        };
        let overlay = match parse_file(file, &ctx) {
            Ok(t) => t,
            Err(d) => return Err(reject(ctx, d)),
        };
        // from here on the overlay's spans are needed to point at its keys
        ctx.steps.profile = Some(file);
        let mut problems = check_overlay_targets(&root, &overlay);
        if !problems.is_empty() {
            problems.sort_by_key(|d| format!("{:?}", d.anchor));
            return Err(Some(Rejected { diagnostics: problems, context: ctx }));
        }
        merge(&mut root, overlay);
    }

    // spans are replayed later if needed: these go nowhere
    ctx.steps.pools = true;
    let pools = match expand_pools(&mut root, &mut SpanIndex::default()) {
        Ok(pools) => pools,
        Err(diagnostics) => return Err(Some(Rejected { diagnostics, context: ctx })),
    };

    if let Some(phase) = &opts.phase {
        root.insert("phase".into(), toml::Value::String(phase.clone()));
    }

    let phase_in_templates = match template::expand(&mut root, opts.profile.as_deref(), &pools) {
        Ok(expanded) => expanded.mentions_phase,
        Err(diagnostics) => return Err(Some(Rejected { diagnostics, context: ctx })),
    };

    match deserialize(root, track) {
        Ok(topology) => Ok(Typed { topology, phase_in_templates }.finish(opts, scope, ctx)),
        Err(Some(d)) => Err(reject(ctx, d)),
        Err(None) => Err(None),
    }
}

/// A deserialized topology, before it is shared.
struct Typed {
    topology: Topology,
    phase_in_templates: bool,
}

impl Typed {
    fn finish(self, opts: &LoadOptions, scope: Scope, context: Context) -> Loaded {
        Loaded {
            topology: Arc::new(self.topology),
            phase: opts.phase.clone(),
            profile: opts.profile.clone(),
            base_dir: base_dir(&opts.topology),
            scope,
            context,
            phase_in_templates: self.phase_in_templates,
        }
    }
}

/// [`by_service::load`] of the topology `file` and the profile of `opts`;
/// when it declines, the file number of the profile if it was read (so that
/// the ordinary path does not read it again).
fn load_by_service(ctx: &mut Context, file: usize, opts: &LoadOptions, scope: &Scope) -> Result<Typed, Option<usize>> {
    let profile = match &opts.profile {
        Some(name) if profile_names(&opts.topology).iter().any(|k| k == name) => {
            let path = profiles_dir(&opts.topology).join(format!("{name}.toml"));
            Some(read_source(&path, scope, false, ctx).map_err(|_| None)?)
        }
        Some(_) => return Err(None),
        None => None,
    };
    match by_service::load(ctx, file, profile, opts) {
        Some((topology, phase_in_templates)) => {
            ctx.steps.profile = profile;
            ctx.steps.pools = true;
            Ok(Typed { topology, phase_in_templates })
        }
        None => Err(profile),
    }
}

/// The largest topology or profile file archctl reads: far above any real
/// system (a thousand services take about 1 MiB), far below what would
/// strain memory.
pub(crate) const MAX_FILE_BYTES: u64 = 16 << 20;

/// Reads the topology or a profile: a regular file inside the topology's
/// folder (links followed) or an `--allow-read` folder, at most
/// [`MAX_FILE_BYTES`] counted while reading. A `stream` (`-f /dev/stdin`)
/// is read as named, FIFOs and character devices included, with the same
/// bound.
fn read_source(path: &Path, scope: &Scope, stream: bool, ctx: &mut Context) -> Result<usize, Diagnostic> {
    let display = display_path(path);
    let read = if stream {
        input::read_bytes(path, MAX_FILE_BYTES, true)
    } else {
        scope.confine(path).and_then(|real| input::read_bytes(&real, MAX_FILE_BYTES, false))
    };
    let bytes = read.map_err(|e| match e {
        ReadError::TooLarge(limit) => Diagnostic::error(
            "E000",
            format!("`{display}` is too large: topology and profile files are limited to {}", input::size(limit)),
        )
        .with_help("split the system into several topologies, or move large file contents to `files = { path = … }`"),
        e @ ReadError::Outside(_) => Diagnostic::error("E000", format!("cannot read `{display}`: {e}")).with_help(
            "replace the link with the file itself, or pass `--allow-read DIR` to let archctl read files under DIR",
        ),
        e => Diagnostic::error("E000", format!("cannot read `{display}`: {e}")),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..offset].iter().filter(|b| **b == b'\n').count() + 1;
        Diagnostic::error("E001", format!("`{display}` is not valid UTF-8 (at byte {offset}, line {line})"))
            .with_help("TOML files must be UTF-8: re-save the file as UTF-8")
    })?;
    Ok(ctx.sources.add(SourceFile::new(display, text)))
}

fn parse_file(file: usize, ctx: &Context) -> Result<toml::Table, Diagnostic> {
    parse::parse(ctx.sources.get(file).map(|s| s.text.as_str()).unwrap_or_default(), file)
}

/// A path as the user typed it, without a leading `./`.
pub(crate) fn display_path(path: &Path) -> String {
    let s = path.display().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

/// Tables a profile may only change, never create: a profile that names a
/// service the topology lacks is almost always a typo.
const CLOSED_TABLES: [&str; 6] = ["services", "config_maps", "secrets", "claims", "namespaces", "shared_services"];

fn check_overlay_targets(base: &toml::Table, overlay: &toml::Table) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for table in CLOSED_TABLES {
        let Some(toml::Value::Table(over)) = overlay.get(table) else {
            continue;
        };
        let empty = toml::Table::new();
        let known = match base.get(table) {
            Some(toml::Value::Table(t)) => t,
            _ => &empty,
        };
        for name in over.keys() {
            if !known.contains_key(name) {
                let what = table.trim_end_matches('s').replace('_', " ");
                out.push(
                    Diagnostic::error(
                        "E003",
                        format!("the profile changes {what} `{name}`, which the topology does not define"),
                    )
                    .at_key(&TomlPath::root().key(table).key(name.clone()))
                    .with_help(suggest::help(
                        name,
                        table,
                        known.keys().map(String::as_str).collect::<Vec<_>>(),
                    )),
                );
            }
        }
    }
    out
}

/// Merges `overlay` onto `base`: tables key by key, other values replaced.
pub(crate) fn merge(base: &mut toml::Table, overlay: toml::Table) {
    for (k, v) in overlay {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// Keeps the span index in step with [`merge`]: where the overlay replaces a
/// value, the base's spans below it are dropped and the overlay's recorded.
fn merge_spans(base: &mut SpanIndex, mut overlay: SpanIndex, overlay_tree: &toml::Table) {
    // tables the topology already defines keep their place: a profile that
    // only adds a key under `[services.api.container.env]` must not move
    // every finding about `services.api` into the profile
    fn walk(t: &toml::Table, path: &TomlPath, base: &mut SpanIndex, overlay: &mut SpanIndex) {
        for (k, v) in t {
            let p = path.key(k.clone());
            match v {
                toml::Value::Table(inner) => {
                    if base.get(&p).is_some() {
                        overlay.remove(&p);
                    }
                    walk(inner, &p, base, overlay);
                }
                _ => base.remove_subtree(&p),
            }
        }
    }
    walk(overlay_tree, &TomlPath::root(), base, &mut overlay);
    base.extend(overlay);
}

/// Expands worker pools: a service with `[services.<name>.pools.<pool>]`
/// tables becomes one service per pool, `<name>-<pool>`, each the base
/// service with the pool's table merged on top (the profile merge rules).
/// The pool services keep the base name as their component; the result
/// maps each pool service to its pool name (templates see it as `pool`).
fn expand_pools(root: &mut toml::Table, spans: &mut SpanIndex) -> Result<IndexMap<String, String>, Vec<Diagnostic>> {
    let mut made = IndexMap::new();
    let Some(toml::Value::Table(services)) = root.get_mut("services") else {
        return Ok(made);
    };
    if !services.values().any(|v| v.get("pools").is_some()) {
        return Ok(made);
    }
    let mut problems = Vec::new();
    let existing: Vec<String> = services.keys().cloned().collect();
    let mut out = toml::Table::new();
    let base_path = TomlPath::root().key("services");
    for (name, value) in std::mem::take(services) {
        let toml::Value::Table(mut table) = value else {
            out.insert(name, value);
            continue;
        };
        let Some(pools) = table.remove("pools") else {
            out.insert(name, toml::Value::Table(table));
            continue;
        };
        let svc_path = base_path.key(name.clone());
        let toml::Value::Table(pools) = pools else {
            problems.push(
                Diagnostic::error("E005", format!("`pools` of service `{name}` must be a table of pools"))
                    .at(&svc_path.key("pools"))
                    .with_help(format!("write `[services.{name}.pools.<pool>]` tables")),
            );
            continue;
        };
        table.entry("component").or_insert_with(|| toml::Value::String(name.clone()));
        for (pool, overlay) in pools {
            let pool_path = svc_path.key("pools").key(pool.clone());
            let full = format!("{name}-{pool}");
            if existing.contains(&full) {
                problems.push(
                    Diagnostic::error(
                        "E021",
                        format!("pool `{pool}` of `{name}` makes a service `{full}`, which exists already"),
                    )
                    .at_key(&pool_path)
                    .with_help("rename the pool or the other service"),
                );
                continue;
            }
            let toml::Value::Table(overlay) = overlay else {
                problems.push(
                    Diagnostic::error("E005", format!("pool `{pool}` of `{name}` must be a table"))
                        .at(&pool_path)
                        .with_help(format!("write `[services.{name}.pools.{pool}]` with the keys that differ")),
                );
                continue;
            };
            // two pools of different services can make one name
            // (`a` pool `b-c` and `a-b` pool `c`): the second would replace
            // the first without a word
            if let Some(first) = made.get(&full) {
                problems.push(
                    Diagnostic::error(
                        "E021",
                        format!("pool `{pool}` of `{name}` makes a service `{full}`, as pool `{first}` of another service does"),
                    )
                    .at_key(&pool_path)
                    .with_help("rename one of the pools or services: generated service names must be unique"),
                );
                continue;
            }
            let mut merged = table.clone();
            merge(&mut merged, overlay);
            let target = base_path.key(full.clone());
            spans.copy_subtree(&svc_path, &target);
            spans.remove_subtree(&target.key("pools"));
            spans.copy_subtree(&pool_path, &target);
            made.insert(full.clone(), pool.clone());
            out.insert(full, toml::Value::Table(merged));
        }
    }
    *services = out;
    if problems.is_empty() { Ok(made) } else { Err(problems) }
}

/// Deserializes the merged tree, turning serde's message into a located,
/// actionable diagnostic when `track` is set; without it, an error is None.
fn deserialize(root: toml::Table, track: bool) -> Result<Topology, Option<Diagnostic>> {
    use serde::Deserialize;
    if !track {
        return Topology::deserialize(toml::Value::Table(root)).map_err(|_| None);
    }
    serde_path_to_error::deserialize(toml::Value::Table(root)).map_err(|e| Some(located(e)))
}

/// A TOML file other than a topology or a profile (a price file), read into
/// `T` with the topology's messages: a syntax error, an unknown key, a wrong
/// type or a missing key is located at its key. The span index comes back
/// either way, for the caller's own located checks.
pub(crate) fn document<T: serde::de::DeserializeOwned>(text: &str, file: usize) -> (Result<T, Diagnostic>, SpanIndex) {
    let mut spans = SpanIndex::default();
    let table = match parse::parse_with_spans(text, file, &mut spans) {
        Ok(t) => t,
        Err(d) => return (Err(d), spans),
    };
    let typed = serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(located);
    (typed, spans)
}

/// serde's error at the path it stopped, as a located diagnostic.
fn located(e: serde_path_to_error::Error<toml::de::Error>) -> Diagnostic {
    let mut path = TomlPath::root();
    for seg in e.path().iter() {
        match seg {
            serde_path_to_error::Segment::Map { key } => path = path.key(key.clone()),
            serde_path_to_error::Segment::Seq { index } => path = path.index(*index),
            _ => {}
        }
    }
    schema_error(e.into_inner().message(), &path)
}

fn schema_error(message: &str, path: &TomlPath) -> Diagnostic {
    let message = message.trim();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (field, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let expected: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let mut at = path.clone();
        if !matches!(at.last(), Some(Segment::Key(k)) if k == field) {
            at = at.key(field.to_string());
        }
        let within = at.parent().filter(|p| !p.is_empty());
        let msg = match within {
            Some(p) => format!("unknown key `{field}` in `{p}`"),
            None => format!("unknown key `{field}` at the top level"),
        };
        return Diagnostic::error("E004", msg).at_key(&at).with_label("not a known key").with_help(suggest::help(
            field,
            "keys",
            expected.iter().copied(),
        ));
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (variant, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let expected: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        return Diagnostic::error("E005", format!("`{variant}` is not allowed for `{path}`")).at(path).with_help(
            match suggest::closest(variant, expected.iter().copied()) {
                Some(c) => format!("did you mean `{c}`? allowed: {}", suggest::list(expected.iter().copied())),
                None => format!("allowed: {}", suggest::list(expected.iter().copied())),
            },
        );
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        let msg = if path.is_empty() {
            format!("missing key `{field}` at the top level")
        } else {
            format!("missing key `{field}` in `{path}`")
        };
        return Diagnostic::error("E006", msg).at_key(path).with_help(format!("add `{field} = …` to this table"));
    }
    let help = type_help(message, path);
    Diagnostic::error("E005", format!("wrong value for `{path}`: {}", plain_types(message))).at(path).with_help(help)
}

/// serde's message with Rust's type names in a user's words:
/// `invalid type: string "x", expected i32` reads `… expected a whole number`.
fn plain_types(message: &str) -> String {
    let mut out = message.to_string();
    for (rust, words) in [
        ("expected i8", "expected a whole number"),
        ("expected i16", "expected a whole number"),
        ("expected i32", "expected a whole number"),
        ("expected i64", "expected a whole number"),
        ("expected u8", "expected a whole number of 0 or more"),
        ("expected u16", "expected a whole number of 0 or more"),
        ("expected u32", "expected a whole number of 0 or more"),
        ("expected u64", "expected a whole number of 0 or more"),
        ("expected usize", "expected a whole number of 0 or more"),
        ("expected f32", "expected a number"),
        ("expected f64", "expected a number"),
        ("expected a sequence", "expected a list"),
        ("invalid type: sequence", "invalid type: a list"),
        ("expected a map", "expected a table"),
        ("invalid type: map", "invalid type: a table"),
    ] {
        out = out.replace(rust, words);
    }
    out
}

fn type_help(message: &str, path: &TomlPath) -> String {
    let whole = ["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "usize"];
    if whole.iter().any(|t| message.contains(&format!("expected {t}"))) {
        "write a whole number without quotes, e.g. `3`".to_string()
    } else if message.contains("expected a string") {
        "write the value in double quotes".to_string()
    } else if message.contains("expected a boolean") {
        "write `true` or `false`".to_string()
    } else if message.contains("invalid type: sequence") && message.contains("expected a map") {
        // `[[services]]` is an array of tables; the topology keys by name
        let key = path.to_string();
        let key = if key.is_empty() { "NAME".to_string() } else { key };
        format!("write one table per entry, keyed by its name: `[{key}.NAME]` rather than `[[{key}]]`")
    } else if message.contains("expected a sequence") {
        "write a list in brackets, e.g. `[\"a\", \"b\"]`".to_string()
    } else {
        "see the topology reference, docs/topology.md".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A plain deserialization fails without saying where; the load is
    /// then repeated with path tracking, which locates the error.
    #[test]
    fn a_schema_error_deep_in_a_large_topology_is_located() {
        let dir = tempfile::tempdir().unwrap();
        xtask::fleet::write(dir.path(), 300).unwrap();
        let path = dir.path().join("archctl.toml");
        let text = std::fs::read_to_string(&path).unwrap();
        let at = text.rfind("termination_grace_period = 30").unwrap();
        let broken = format!("{}termination_grace_period = \"30s\"{}", &text[..at], &text[at + 29..]);
        std::fs::write(&path, &broken).unwrap();
        let opts = LoadOptions { topology: path, profile: None, phase: None };
        let rejected = load(&opts).map(|_| ()).unwrap_err();
        assert_eq!(rejected.diagnostics.len(), 1);
        let d = &rejected.diagnostics[0];
        assert_eq!(d.code, "E005", "{}", d.message);
        assert!(d.message.contains("services.svc-00299.termination_grace_period"), "{}", d.message);
        let pos = crate::diagnostic::position(d, &rejected.context.sources, Some(rejected.context.spans())).unwrap();
        assert_eq!(pos.line, broken[..at].lines().count() + 1, "{}", d.message);
    }

    /// The fast path on its own: the topology of `opts`, or None when it
    /// declines.
    fn by_service_only(opts: &LoadOptions) -> Option<(String, bool)> {
        let mut ctx = Context::default();
        let scope = Scope::project(&base_dir(&opts.topology));
        let file = read_source(&opts.topology, &scope, false, &mut ctx).ok()?;
        let typed = load_by_service(&mut ctx, file, opts, &scope).ok()?;
        Some((format!("{:#?}", typed.topology), typed.phase_in_templates))
    }

    /// The ordinary path: the whole tree merged, expanded and deserialized.
    fn whole_tree(opts: &LoadOptions) -> (String, bool) {
        let loaded = load_tracking(opts, true).unwrap_or_else(|_| panic!("{opts:?} does not load"));
        (format!("{:#?}", loaded.topology), loaded.phase_in_templates)
    }

    /// Every project of the repository, a generated fleet and a topology of
    /// worker pools, with every profile and with a phase chosen outside the
    /// files: the fast path takes each on and gives what the ordinary path
    /// gives, to the last value and in the same order.
    #[test]
    fn the_fast_path_gives_the_topology_of_the_ordinary_path() {
        let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let fleet = tempfile::tempdir().unwrap();
        xtask::fleet::write(fleet.path(), 300).unwrap();
        let pools = tempfile::tempdir().unwrap();
        std::fs::write(pools.path().join("archctl.toml"), POOLS).unwrap();
        std::fs::create_dir(pools.path().join("profiles")).unwrap();
        std::fs::write(pools.path().join("profiles/big.toml"), POOLS_PROFILE).unwrap();
        let projects = vec![
            repo.join("archctl.toml"),
            repo.join("examples/percolate-reading/archctl.toml"),
            repo.join("examples/semantic-explorer/archctl.toml"),
            fleet.path().join("archctl.toml"),
            pools.path().join("archctl.toml"),
        ];
        let mut compared = 0;
        for topology in projects {
            let mut profiles: Vec<Option<String>> = vec![None];
            profiles.extend(profile_names(&topology).into_iter().map(Some));
            for profile in profiles {
                for phase in [None, Some("scale".to_string())] {
                    let opts = LoadOptions { topology: topology.clone(), profile: profile.clone(), phase };
                    let fast = by_service_only(&opts).unwrap_or_else(|| panic!("the fast path declines {opts:?}"));
                    let whole = whole_tree(&opts);
                    assert!(fast == whole, "{opts:?}: the two paths differ");
                    compared += 1;
                }
            }
        }
        // the five projects, at two phases, with each of their profiles and without
        assert_eq!(compared, 2 * (4 + 4 + 4 + 4 + 2), "loads compared");
    }

    const POOLS: &str = r#"
phases = ["pilot", "scale"]
[project]
name = "pools"
namespace = "work"
[vars]
tag = "1.0"
[services.worker]
kind = "deployment"
container = { image = "registry.example/worker:{{ tag }}-{{ pool }}" }
replicas = { pilot = 1, scale = 4 }
[services.worker.pools.cpu]
resources = "small"
[services.worker.pools.gpu]
resources = "large"
replicas = { pilot = 1, scale = 2 }
[services.api]
kind = "deployment"
container = { image = "registry.example/api:{{ tag }}-{{ phase }}" }
"#;

    const POOLS_PROFILE: &str = r#"
[vars]
tag = "2.0"
[services.worker.pools.gpu]
replicas = { pilot = 2, scale = 8 }
[services.worker.pools.arm]
resources = "small"
"#;

    /// What the fast path leaves to the ordinary one, which reports it: a
    /// pool service named as another service, a profile that changes a
    /// service the topology lacks, a template error, a schema error.
    #[test]
    fn the_fast_path_declines_what_the_ordinary_path_reports() {
        let cases = [
            (
                "pool clash",
                format!("{POOLS}\n[services.worker-cpu]\nkind = \"deployment\"\ncontainer = {{ image = \"x\" }}\n"),
                None,
            ),
            ("template", POOLS.replace("{{ tag }}-{{ pool }}", "{{ nope }}"), None),
            ("schema", POOLS.replace("resources = \"small\"", "resources = 3"), None),
            ("profile", POOLS.to_string(), Some("[services.nope]\nreplicas = 1\n")),
        ];
        for (what, topology, profile) in cases {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("archctl.toml"), topology).unwrap();
            let mut opts = LoadOptions { topology: dir.path().join("archctl.toml"), profile: None, phase: None };
            if let Some(p) = profile {
                std::fs::create_dir(dir.path().join("profiles")).unwrap();
                std::fs::write(dir.path().join("profiles/p.toml"), p).unwrap();
                opts.profile = Some("p".into());
            }
            assert!(by_service_only(&opts).is_none(), "{what}: the fast path took it on");
            let rejected = load(&opts).map(|_| ()).unwrap_err();
            assert!(!rejected.diagnostics.is_empty(), "{what}");
        }
    }
}
