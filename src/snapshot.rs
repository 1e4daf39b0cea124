//! `archctl snapshot`: golden renders of every profile, for CI.
//!
//! Each profile's render is kept in `snapshots/<profile>.yaml` (a topology
//! without profiles has `snapshots/default.yaml`). `--check` compares and
//! prints a unified diff of every difference; `--update` rewrites.
//!
//! The folder may hold other golden files (a chart, graphs), so archctl
//! owns only the snapshots it wrote there, which the marker
//! `.archctl-snapshots` lists — the ownership rule of `render --out`
//! ([`crate::emit::files`]): `--update` never removes or overwrites a file
//! the marker does not list, and refuses to run while the folder holds a
//! `*.yaml` of that kind. A folder without a marker (snapshots from before
//! there was one) is adopted when its `*.yaml` files are all current
//! snapshots.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::bail;
use similar::TextDiff;

use crate::emit::files;

/// Lists the snapshots archctl wrote into a snapshot folder.
pub(crate) const MARKER: &str = ".archctl-snapshots";

/// The most a stored snapshot may hold.
const SNAPSHOT_LIMIT: u64 = 256 << 20;

/// What a snapshot comparison found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Same,
    Changed {
        diff: String,
    },
    Missing,
    /// A snapshot whose profile no longer exists.
    Stale,
    /// A `*.yaml` that no profile produces and that archctl did not write:
    /// `--update` leaves it alone (and refuses to run while it is there).
    Foreign,
}

/// One snapshot file and its comparison.
#[derive(Debug)]
pub(crate) struct Entry {
    pub name: String,
    pub path: PathBuf,
    pub outcome: Outcome,
}

/// The file name of a profile's snapshot.
pub(crate) fn file_name(profile: Option<&str>) -> String {
    format!("{}.yaml", profile.unwrap_or("default"))
}

/// The snapshot folder `rel` (`--dir`) of the project in `base`, checked:
/// named plainly, not a symlink out of the project (unless given as an
/// absolute path, the caller's own choice), and holding none of `protect`
/// (the topology, its profiles) — so never the project folder itself.
pub(crate) fn folder(base: &Path, rel: &Path, protect: &[PathBuf]) -> anyhow::Result<PathBuf> {
    let dir = base.join(rel);
    let head = format!("refusing to use `{}` as the snapshot folder", dir.display());
    files::check_plain(rel, &head, "--dir", "snapshots/")?;
    if rel.is_relative() {
        files::check_inside(&dir, base, &head, "the project folder")?;
    }
    if let Some(p) = files::holds(&dir, protect) {
        bail!("{head}: it holds `{}`; choose a folder of its own, such as `snapshots/`", p.display());
    }
    Ok(dir)
}

fn is_yaml(name: &str) -> bool {
    Path::new(name).extension().is_some_and(|x| x == "yaml")
}

/// Compares `rendered` with the stored snapshot at `path`. A stored
/// snapshot that is not a regular file (a symlink, whose target a diff
/// would print) is an error.
pub(crate) fn compare(name: &str, path: &Path, rendered: &str) -> anyhow::Result<Entry> {
    let outcome = match files::read_regular(path, SNAPSHOT_LIMIT)? {
        None => Outcome::Missing,
        Some(stored) if stored == rendered => Outcome::Same,
        Some(stored) => {
            let label = path.display().to_string();
            let diff = TextDiff::from_lines(&stored, rendered)
                .unified_diff()
                .context_radius(3)
                .header(&format!("{label} (snapshot)"), &format!("{label} (render)"))
                .to_string();
            Outcome::Changed { diff }
        }
    };
    Ok(Entry { name: name.to_string(), path: path.to_path_buf(), outcome })
}

/// `*.yaml` files in `dir` that no current snapshot (`expected`, file
/// names) is: [`Outcome::Stale`] when archctl wrote them,
/// [`Outcome::Foreign`] when not.
pub(crate) fn stale(dir: &Path, expected: &[String]) -> anyhow::Result<Vec<Entry>> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let listed = files::read_marker(dir, MARKER)?.unwrap_or_default();
    let mut out = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if !is_yaml(&name) || expected.contains(&name) {
            continue;
        }
        let regular = entry.file_type().is_ok_and(|t| t.is_file());
        out.push(Entry {
            name: name.strip_suffix(".yaml").unwrap_or(&name).to_string(),
            path: entry.path(),
            outcome: if regular && listed.contains(&name) { Outcome::Stale } else { Outcome::Foreign },
        });
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The snapshots archctl owns in a folder, claimed (and locked) for one
/// `--update`.
pub(crate) struct Owned {
    dir: PathBuf,
    /// What archctl owns: the marker's list, or the adopted snapshots.
    owned: BTreeSet<String>,
    expected: Vec<String>,
    /// What the marker on disk says (None: there is none).
    recorded: Option<String>,
    _lock: fs::File,
}

impl Owned {
    /// Claims `dir` for writing the snapshots `expected` (file names).
    /// Refused, naming them, while the folder holds `*.yaml` files archctl
    /// did not write — not listed by the marker, or, with no marker yet,
    /// not current snapshots — or snapshot names that are not regular
    /// files. Other files (`chart/`, `graph.dot`) are not its business.
    pub(crate) fn claim(dir: &Path, expected: &[String]) -> anyhow::Result<Owned> {
        use anyhow::Context as _;
        fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
        let lock = files::lock_folder(dir)?;
        let marker = dir.join(MARKER);
        let recorded = files::read_regular(&marker, files::MARKER_LIMIT)?;
        let owned: BTreeSet<String> = match &recorded {
            Some(text) => text.lines().filter(|l| !l.is_empty()).map(str::to_string).collect(),
            None => expected.iter().cloned().collect(),
        };
        let mut foreign = Vec::new();
        for entry in fs::read_dir(dir).with_context(|| format!("cannot read `{}`", dir.display()))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().to_string();
            if !is_yaml(&name) {
                continue;
            }
            if let Some(what) = files::irregular(&entry.file_type()?) {
                foreign.push(format!("{name} ({what})"));
            } else if !owned.contains(&name) {
                foreign.push(name);
            }
        }
        foreign.sort();
        if !foreign.is_empty() {
            let why = if recorded.is_some() {
                format!("`{}` does not list them", marker.display())
            } else {
                format!(
                    "there is no `{}` yet, and a folder is adopted only when its `*.yaml` files are all current snapshots ({})",
                    marker.display(),
                    expected.join(", ")
                )
            };
            bail!(
                "refusing to update the snapshots in `{}`: it holds files archctl did not write: {}; {why}. archctl never removes or overwrites them: move them elsewhere, or, if archctl did write them, add their names to `{}`",
                dir.display(),
                foreign.join(", "),
                marker.display()
            );
        }
        Ok(Owned { dir: dir.to_path_buf(), owned, expected: expected.to_vec(), recorded, _lock: lock })
    }

    /// Writes the snapshot `name` unless it already holds `content`;
    /// whether it wrote.
    pub(crate) fn write(&mut self, name: &str, content: &str) -> anyhow::Result<bool> {
        let path = self.dir.join(name);
        if files::read_regular(&path, SNAPSHOT_LIMIT)?.is_some_and(|old| old == content) {
            return Ok(false);
        }
        if !self.recorded.as_ref().is_some_and(|r| r.lines().any(|l| l == name)) {
            // listed before it exists: a run killed in between leaves a
            // file the next run still owns
            let mut all = self.owned.clone();
            all.extend(self.expected.iter().cloned());
            self.record(&all)?;
        }
        files::replace_file(&path, content)?;
        self.owned.insert(name.to_string());
        Ok(true)
    }

    /// Removes the snapshots archctl wrote that no current profile
    /// produces; their paths.
    pub(crate) fn remove_stale(&mut self) -> anyhow::Result<Vec<PathBuf>> {
        use anyhow::Context as _;
        let stale: Vec<String> = self.owned.iter().filter(|n| !self.expected.contains(n)).cloned().collect();
        let mut removed = Vec::new();
        for name in stale {
            let path = self.dir.join(&name);
            match fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_file() => {
                    fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
                    removed.push(path);
                }
                _ => {}
            }
            self.owned.remove(&name);
        }
        Ok(removed)
    }

    /// Leaves the marker listing the current snapshots that exist.
    pub(crate) fn finish(mut self) -> anyhow::Result<()> {
        let present: BTreeSet<String> = self
            .expected
            .iter()
            .filter(|n| fs::symlink_metadata(self.dir.join(n)).is_ok_and(|m| m.is_file()))
            .cloned()
            .collect();
        self.record(&present)
    }

    fn record(&mut self, names: &BTreeSet<String>) -> anyhow::Result<()> {
        let text: String = names.iter().map(|n| format!("{n}\n")).collect();
        if self.recorded.as_deref() != Some(text.as_str()) {
            files::replace_file(&self.dir.join(MARKER), &text)?;
            self.recorded = Some(text);
        }
        Ok(())
    }
}
