//! `render --out DIR`: one file per object, written atomically.
//!
//! The folder is built next to its destination and renamed into place, so a
//! failed render leaves the previous output intact. A marker file lists what
//! archctl wrote; a folder holding anything else is refused unless forced,
//! so that `--out` can never wipe a folder archctl does not own.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::build::Object;

/// Lists the files archctl wrote into an output folder.
pub const MARKER: &str = ".archctl-output";

/// The file name of an object: its install rank first, so that
/// `kubectl apply -f DIR` (which reads files in name order) applies in
/// order; then kind, namespace and name, which are stable across renders.
/// Namespaces cannot contain dots, so the first dot after the kind ends the
/// namespace.
pub fn file_name(o: &Object, ext: &str) -> String {
    let kind = o.kind().to_ascii_lowercase();
    let rank = o.install_rank();
    let name = o.name();
    match o.namespace() {
        Some(ns) => format!("{rank:02}-{kind}.{ns}.{name}.{ext}"),
        None => format!("{rank:02}-{kind}.{name}.{ext}"),
    }
}

/// Writes `files` (name, content) into `dir`, replacing what archctl wrote
/// there before. `protect` lists paths (the topology, its profiles) that
/// must never lie inside the folder, since replacing it would delete them.
pub fn write_dir(dir: &Path, files: &[(String, String)], force: bool, protect: &[PathBuf]) -> anyhow::Result<()> {
    for (name, _) in files {
        if name.contains('/') || name.contains('\\') || name.starts_with('.') {
            bail!("refusing to write `{name}`: object file names must stay inside the output folder");
        }
    }
    write_tree(dir, files, force, protect)
}

/// Like [`write_dir`], for files in sub-folders (`templates/api/service.yaml`).
pub fn write_tree(dir: &Path, files: &[(String, String)], force: bool, protect: &[PathBuf]) -> anyhow::Result<()> {
    if let Ok(out) = dir.canonicalize() {
        for p in protect {
            if let Ok(p) = p.canonicalize()
                && p.starts_with(&out)
            {
                bail!(
                    "refusing to write into `{}`: it holds `{}`, which replacing the folder would delete; choose an output folder of its own, such as `out/`",
                    dir.display(),
                    p.display()
                );
            }
        }
    }
    for (name, _) in files {
        let path = Path::new(name);
        let inside = path.components().all(|c| matches!(c, std::path::Component::Normal(_)));
        if !inside || name.is_empty() || name == MARKER || name.contains('\\') {
            bail!("refusing to write `{name}`: files must stay inside the output folder");
        }
    }
    if dir.exists() {
        if !dir.is_dir() {
            bail!("`{}` exists and is not a folder", dir.display());
        }
        let foreign = foreign_files(dir)?;
        if !foreign.is_empty() && !force {
            let list: Vec<String> = foreign.iter().take(5).cloned().collect();
            bail!(
                "`{}` holds files archctl did not write ({}{}); choose an empty folder, or pass --force to replace it",
                dir.display(),
                list.join(", "),
                if foreign.len() > 5 { ", …" } else { "" }
            );
        }
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
    let base = dir.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "out".into());
    let staging = parent.join(format!(".{base}.archctl-new-{}", std::process::id()));
    let previous = parent.join(format!(".{base}.archctl-old-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir(&staging).with_context(|| format!("cannot create `{}`", staging.display()))?;
    let result = (|| -> anyhow::Result<()> {
        let mut listed = String::new();
        for (name, content) in files {
            let path = staging.join(name);
            if let Some(parent) = path.parent() {
                fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
            }
            fs::write(&path, content).with_context(|| format!("cannot write `{name}`"))?;
            listed.push_str(name);
            listed.push('\n');
        }
        fs::write(staging.join(MARKER), listed)?;
        if dir.exists() {
            fs::rename(dir, &previous).with_context(|| format!("cannot move `{}` aside", dir.display()))?;
        }
        if let Err(e) = fs::rename(&staging, dir) {
            // put the old output back
            let _ = fs::rename(&previous, dir);
            return Err(e).with_context(|| format!("cannot move the new output into `{}`", dir.display()));
        }
        if previous.exists() {
            fs::remove_dir_all(&previous).with_context(|| format!("cannot remove `{}`", previous.display()))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_dir_all(&staging);
    }
    result
}

/// Files in `dir` (and below) that the marker does not list.
fn foreign_files(dir: &Path) -> anyhow::Result<Vec<String>> {
    let listed: BTreeSet<String> =
        fs::read_to_string(dir.join(MARKER)).map(|s| s.lines().map(str::to_string).collect()).unwrap_or_default();
    let mut foreign = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((folder, prefix)) = stack.pop() {
        for entry in fs::read_dir(&folder).with_context(|| format!("cannot read `{}`", folder.display()))? {
            let entry = entry?;
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if name == MARKER {
                continue;
            }
            let kind = entry.file_type()?;
            if kind.is_dir() && !kind.is_symlink() {
                stack.push((entry.path(), format!("{name}/")));
            } else if !listed.contains(&name) || !kind.is_file() {
                foreign.push(name);
            }
        }
    }
    foreign.sort();
    Ok(foreign)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_written_outside_the_folder() {
        let base = tempfile::tempdir().unwrap();
        let out = base.path().join("out");
        for bad in ["../escape.yaml", "/etc/escape.yaml", "a/../../escape.yaml", ".archctl-output", ""] {
            let files = vec![(bad.to_string(), "x".to_string())];
            assert!(write_tree(&out, &files, true, &[]).is_err(), "{bad:?} was accepted");
        }
        assert!(!base.path().join("escape.yaml").exists());
        assert!(!out.exists(), "a refused write creates nothing");
        // flat object files may not contain folders at all
        assert!(write_dir(&out, &[("a/b.yaml".into(), "x".into())], true, &[]).is_err());
    }

    #[test]
    fn a_replaced_folder_loses_only_its_own_stale_files() {
        let base = tempfile::tempdir().unwrap();
        let out = base.path().join("out");
        write_dir(&out, &[("a.yaml".into(), "1".into()), ("b.yaml".into(), "2".into())], false, &[]).unwrap();
        write_dir(&out, &[("a.yaml".into(), "3".into())], false, &[]).unwrap();
        assert_eq!(fs::read_to_string(out.join("a.yaml")).unwrap(), "3");
        assert!(!out.join("b.yaml").exists());
        // no staging folders are left behind
        let left: Vec<_> = fs::read_dir(base.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(left, [std::ffi::OsString::from("out")]);
    }
}
