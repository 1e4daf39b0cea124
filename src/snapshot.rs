//! `archctl snapshot`: golden renders of every profile, for CI.
//!
//! Each profile's render is kept in `snapshots/<profile>.yaml` (a topology
//! without profiles has `snapshots/default.yaml`). `--check` compares and
//! prints a unified diff of every difference; `--update` rewrites.

use std::fs;
use std::path::{Path, PathBuf};

use similar::TextDiff;

/// What a snapshot comparison found.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Same,
    Changed {
        diff: String,
    },
    Missing,
    /// A snapshot whose profile no longer exists.
    Stale,
}

/// One snapshot file and its comparison.
#[derive(Debug)]
pub struct Entry {
    pub name: String,
    pub path: PathBuf,
    pub outcome: Outcome,
}

/// The file of a profile's snapshot.
pub fn path_for(dir: &Path, profile: Option<&str>) -> PathBuf {
    dir.join(format!("{}.yaml", profile.unwrap_or("default")))
}

/// Compares `rendered` with the stored snapshot at `path`.
pub fn compare(name: &str, path: &Path, rendered: &str) -> Entry {
    let outcome = match fs::read_to_string(path) {
        Err(_) => Outcome::Missing,
        Ok(stored) if stored == rendered => Outcome::Same,
        Ok(stored) => {
            let label = path.display().to_string();
            let diff = TextDiff::from_lines(&stored, rendered)
                .unified_diff()
                .context_radius(3)
                .header(&format!("{label} (snapshot)"), &format!("{label} (render)"))
                .to_string();
            Outcome::Changed { diff }
        }
    };
    Entry { name: name.to_string(), path: path.to_path_buf(), outcome }
}

/// Snapshot files in `dir` that no current profile produces.
pub fn stale(dir: &Path, expected: &[PathBuf]) -> Vec<Entry> {
    let mut out: Vec<Entry> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml") && !expected.contains(p))
        .map(|p| Entry {
            name: p.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_default(),
            path: p,
            outcome: Outcome::Stale,
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// Writes a snapshot atomically (temporary file, then rename).
pub fn write(path: &Path, content: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension(format!("yaml.tmp-{}", std::process::id()));
    fs::write(&tmp, content)?;
    fs::rename(&tmp, path)?;
    Ok(())
}
