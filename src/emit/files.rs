//! Folders archctl writes, and the one rule by which it owns what is in
//! them.
//!
//! `render --out DIR` writes one file per object: the folder is built next
//! to its destination and renamed into place, so a failed render leaves
//! the previous output intact. Snapshot folders (`archctl snapshot`) are
//! rewritten file by file. Either way a marker file in the folder lists
//! what archctl wrote there, and nothing unlisted is ever removed or
//! overwritten: a folder holding anything else is refused (exit 2, naming
//! the files), so that archctl can never wipe what it does not own — not
//! even when the folder, its marker or its files come from a pull request.
//!
//! The same checks guard both: the folder is named plainly (no `.` or `..`
//! components), a relative folder is not a symlink out of the folder it is
//! relative to, it never holds the project's own files, the marker is a
//! regular file read with a bound, and runs writing the same folder take
//! turns on a lock.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

use crate::objects::Object;

/// Lists the files archctl wrote into an output folder.
pub(crate) const MARKER: &str = ".archctl-output";

/// The most a marker may hold; a real one lists file names.
pub(crate) const MARKER_LIMIT: u64 = 4 << 20;

/// The file name of an object: its install rank first, so that
/// `kubectl apply -f DIR` (which reads files in name order) applies in
/// order; then kind, namespace and name, which are stable across renders.
/// Namespaces cannot contain dots, so the first dot after the kind ends the
/// namespace.
pub(crate) fn file_name(o: &Object, ext: &str) -> String {
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
pub(crate) fn write_dir(
    dir: &Path,
    files: &[(String, String)],
    force: bool,
    protect: &[PathBuf],
) -> anyhow::Result<()> {
    for (name, _) in files {
        if name.contains('/') || name.contains('\\') || name.starts_with('.') {
            bail!("refusing to write `{name}`: object file names must stay inside the output folder");
        }
    }
    write_tree(dir, files, force, protect)
}

/// Like [`write_dir`], for files in sub-folders (`templates/api/service.yaml`).
pub(crate) fn write_tree(
    dir: &Path,
    files: &[(String, String)],
    force: bool,
    protect: &[PathBuf],
) -> anyhow::Result<()> {
    for (name, _) in files {
        let path = Path::new(name);
        let inside = path.components().all(|c| matches!(c, std::path::Component::Normal(_)));
        if !inside || name.is_empty() || name == MARKER || name.contains('\\') {
            bail!("refusing to write `{name}`: files must stay inside the output folder");
        }
    }
    let head = format!("refusing to write into `{}`", dir.display());
    check_plain(dir, &head, "--out", "out/")?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // the parent first, before anything is created in it; the folder
    // itself only under the lock, since another run renames it away and
    // back while it writes
    if dir.is_relative() {
        check_inside(&parent, Path::new(""), &head, "the working folder")?;
    }
    fs::create_dir_all(&parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
    // a plain path always ends in a name
    let base = dir.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "out".into());
    // runs into the same folder take turns: each one sees the folder as
    // the previous one left it, and what a killed run left is no one's
    let _lock = lock_file(&parent.join(format!(".{base}.archctl-lock")), dir)?;
    if dir.is_relative() {
        check_inside(dir, Path::new(""), &head, "the working folder")?;
    }
    if let Some(p) = holds(dir, protect) {
        bail!(
            "{head}: it holds `{}`, which replacing the folder would delete; choose an output folder of its own, such as `out/`",
            p.display()
        );
    }
    reclaim(&parent, &base)?;
    refuse_foreign(dir, force)?;
    let staging = parent.join(format!(".{base}.archctl-new-{}", std::process::id()));
    let previous = parent.join(format!(".{base}.archctl-old-{}", std::process::id()));
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

/// Refuses an existing folder `dir` that is not a folder, or (without
/// `force`) holds files its marker does not list. Checked under the lock by
/// [`write_tree`], and before it by runs that write several folders and
/// want to write none while one of them would be refused.
pub(crate) fn refuse_foreign(dir: &Path, force: bool) -> anyhow::Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    if !dir.is_dir() {
        bail!("`{}` exists and is not a folder", dir.display());
    }
    // read (and so checked) even with --force: a marker that is not a
    // regular file is not archctl's
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
    Ok(())
}

/// Removes the output folder `dir` that [`write_tree`] wrote, under the
/// same lock, but only when its marker lists every file in it: Ok(false)
/// (and nothing removed) when it has no marker, is a symlink or not a
/// folder, or holds a file archctl did not write.
pub(crate) fn remove_owned(dir: &Path) -> anyhow::Result<bool> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Some(base) = dir.file_name().map(|s| s.to_string_lossy().to_string()) else {
        return Ok(false);
    };
    let _lock = lock_file(&parent.join(format!(".{base}.archctl-lock")), dir)?;
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_dir() => {}
        _ => return Ok(false),
    }
    if read_marker(dir, MARKER)?.is_none() || !foreign_files(dir)?.is_empty() {
        return Ok(false);
    }
    fs::remove_dir_all(dir).with_context(|| format!("cannot remove `{}`", dir.display()))?;
    Ok(true)
}

/// Files in `dir` (and below) that the marker does not list.
fn foreign_files(dir: &Path) -> anyhow::Result<Vec<String>> {
    let listed = read_marker(dir, MARKER)?.unwrap_or_default();
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

/// Removes what a killed run into `parent/base` left: its staging folder
/// (`.BASE.archctl-new-PID`) and the previous output it had moved aside
/// (`.BASE.archctl-old-PID`). Only under the lock, when no run is writing.
fn reclaim(parent: &Path, base: &str) -> anyhow::Result<()> {
    let prefix = format!(".{base}.archctl-");
    for entry in fs::read_dir(parent).with_context(|| format!("cannot read `{}`", parent.display()))? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let Some(pid) = rest.strip_prefix("new-").or_else(|| rest.strip_prefix("old-")) else {
            continue;
        };
        if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let path = entry.path();
        // neither follows a symlink: a symlink is removed, not its target
        let removed = if entry.file_type()?.is_dir() { fs::remove_dir_all(&path) } else { fs::remove_file(&path) };
        removed.with_context(|| format!("cannot remove `{}`, left by an interrupted run", path.display()))?;
    }
    Ok(())
}

pub(crate) use crate::load::input::irregular;

/// The text of a file archctl writes (a marker, a snapshot), at most
/// `limit` bytes, or None when there is none. Anything but a regular file
/// is refused before it is opened: a symlink is not followed (it may point
/// anywhere), and opening a FIFO would block.
pub(crate) fn read_regular(path: &Path, limit: u64) -> anyhow::Result<Option<String>> {
    let meta = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", path.display())),
        Ok(meta) => meta,
    };
    if let Some(what) = irregular(&meta.file_type()) {
        bail!(
            "refusing to use `{}`: it is {what}, not a regular file, and archctl writes only regular files; remove it (and find out what put it there)",
            path.display()
        );
    }
    crate::load::input::read_text(path, limit)
        .map(Some)
        .map_err(|e| anyhow::anyhow!("refusing to use `{}`: {e}", path.display()))
}

/// The names a marker file `name` in `dir` lists, or None when there is
/// no marker.
pub(crate) fn read_marker(dir: &Path, name: &str) -> anyhow::Result<Option<BTreeSet<String>>> {
    let text = read_regular(&dir.join(name), MARKER_LIMIT)?;
    Ok(text.map(|t| t.lines().filter(|l| !l.is_empty()).map(str::to_string).collect()))
}

/// Replaces the file `path` with `content` atomically: a new temporary
/// file beside it (never an existing one, which might be a symlink placed
/// there), then a rename over it (which replaces a symlink, not its target).
pub(crate) fn replace_file(path: &Path, content: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
    let mut attempt = 0;
    let (tmp, mut file) = loop {
        let tmp = folder.join(format!(".{name}.archctl-tmp-{}-{attempt}", std::process::id()));
        match fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => break (tmp, file),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
            Err(e) => return Err(e).with_context(|| format!("cannot create `{}`", tmp.display())),
        }
    };
    let written = file.write_all(content.as_bytes()).and_then(|()| file.flush());
    drop(file);
    let result = written.and_then(|()| fs::rename(&tmp, path));
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result.with_context(|| format!("cannot write `{}`", path.display()))
}

/// Refuses a folder path that is not plain: one with a `..` component, a
/// `.` anywhere but at the start (`./out` is fine, `out/.` is not), or no
/// name at all. Such paths name some other folder than they seem to
/// (`new/..` is the current one), and replacing them goes wrong.
pub(crate) fn check_plain(path: &Path, head: &str, flag: &str, example: &str) -> anyhow::Result<()> {
    use std::os::unix::ffi::OsStrExt as _;
    let segments: Vec<&[u8]> = path.as_os_str().as_bytes().split(|b| *b == b'/').filter(|s| !s.is_empty()).collect();
    let plain = segments.iter().enumerate().all(|(i, s)| match *s {
        b".." => false,
        b"." => i == 0 && path.is_relative(),
        _ => true,
    }) && segments.iter().any(|s| *s != b".");
    if !plain {
        bail!(
            "{head}: {flag} must name a folder of its own plainly, without `.` or `..` components; write the folder it means, such as `{example}`"
        );
    }
    Ok(())
}

/// Refuses a relative folder `path` (already joined to `base`) that a
/// symlink leads out of `base`: what lies outside is not the project's to
/// replace, and a pull request can commit a symlink.
pub(crate) fn check_inside(path: &Path, base: &Path, head: &str, base_name: &str) -> anyhow::Result<()> {
    let or_dot = |p: &Path| if p.as_os_str().is_empty() { PathBuf::from(".") } else { p.to_path_buf() };
    let real_base =
        fs::canonicalize(or_dot(base)).with_context(|| format!("cannot resolve `{}`", or_dot(base).display()))?;
    // the deepest part of the path that exists
    let mut probe = path.to_path_buf();
    loop {
        match fs::symlink_metadata(or_dot(&probe)) {
            Ok(_) => break,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && probe.pop() => {}
            Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", probe.display())),
        }
    }
    let real = fs::canonicalize(or_dot(&probe))
        .with_context(|| format!("{head}: `{}` is a symlink that leads nowhere", probe.display()))?;
    if !real.starts_with(&real_base) {
        bail!(
            "{head}: it leads through a symlink to `{}`, outside {base_name} `{}`; archctl does not write through symlinks that leave it",
            real.display(),
            real_base.display()
        );
    }
    Ok(())
}

/// The first of `protect` (the topology, its profiles) that lies inside
/// the folder `dir`, if it exists.
pub(crate) fn holds(dir: &Path, protect: &[PathBuf]) -> Option<PathBuf> {
    let dir = dir.canonicalize().ok()?;
    protect.iter().filter_map(|p| p.canonicalize().ok()).find(|p| p.starts_with(&dir))
}

/// An exclusive lock on the lock file `path` (created if missing, never
/// removed: removing it would let two runs hold two locks), held until
/// the file is dropped. `what` names the folder it guards, for the
/// message shown while waiting.
fn lock_file(path: &Path, what: &Path) -> anyhow::Result<fs::File> {
    if let Ok(meta) = fs::symlink_metadata(path)
        && let Some(kind) = irregular(&meta.file_type())
    {
        bail!("refusing to use `{}` as a lock file: it is {kind}, not a regular file; remove it", path.display());
    }
    let file = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .with_context(|| format!("cannot open the lock file `{}`", path.display()))?;
    lock(file, what)
}

/// An exclusive lock on the folder `dir` itself, for folders whose files
/// are replaced one by one (the folder stays).
pub(crate) fn lock_folder(dir: &Path) -> anyhow::Result<fs::File> {
    let file = fs::File::open(dir).with_context(|| format!("cannot open `{}`", dir.display()))?;
    lock(file, dir)
}

fn lock(file: fs::File, what: &Path) -> anyhow::Result<fs::File> {
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => {
            crate::term::message(&format!("waiting for another archctl run writing `{}`", what.display()));
            file.lock().with_context(|| format!("cannot lock `{}`", what.display()))?;
            Ok(file)
        }
        Err(fs::TryLockError::Error(e)) => Err(e).with_context(|| format!("cannot lock `{}`", what.display())),
    }
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
        // no staging folders are left behind, only the lock file
        let mut left: Vec<_> = fs::read_dir(base.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        left.sort();
        assert_eq!(left, [std::ffi::OsString::from(".out.archctl-lock"), "out".into()]);
    }

    #[test]
    fn only_plain_folder_paths_are_accepted() {
        for good in ["out", "./out", "out/", "a/b", "/abs/out", ".hidden", "a..b", "..a"] {
            assert!(check_plain(Path::new(good), "x", "--out", "out/").is_ok(), "{good:?} was refused");
        }
        for bad in ["", ".", "./", "..", "../out", "a/..", "a/../b", "a/.", "a/./b", "/", "/.", "/./a", "a/.."] {
            assert!(check_plain(Path::new(bad), "x", "--out", "out/").is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn a_marker_is_a_bounded_regular_file() {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path();
        assert_eq!(read_marker(dir, MARKER).unwrap(), None);
        fs::write(dir.join(MARKER), "a.yaml\n\nb.yaml\n").unwrap();
        assert_eq!(read_marker(dir, MARKER).unwrap().unwrap().len(), 2);
        fs::remove_file(dir.join(MARKER)).unwrap();
        std::os::unix::fs::symlink("/dev/zero", dir.join(MARKER)).unwrap();
        let e = read_marker(dir, MARKER).unwrap_err().to_string();
        assert!(e.contains("a symbolic link"), "{e}");
        fs::remove_file(dir.join(MARKER)).unwrap();
        fs::write(dir.join(MARKER), vec![b'a'; MARKER_LIMIT as usize + 1]).unwrap();
        let e = read_marker(dir, MARKER).unwrap_err().to_string();
        assert!(e.contains("larger than"), "{e}");
    }

    #[test]
    fn a_replaced_file_never_writes_through_a_symlink() {
        let base = tempfile::tempdir().unwrap();
        let target = base.path().join("target");
        fs::write(&target, "keep").unwrap();
        let path = base.path().join("a.yaml");
        std::os::unix::fs::symlink(&target, &path).unwrap();
        // a planted temporary name is skipped, not written through
        let planted = base.path().join(format!(".a.yaml.archctl-tmp-{}-0", std::process::id()));
        std::os::unix::fs::symlink(&target, &planted).unwrap();
        replace_file(&path, "new").unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "keep");
        assert_eq!(fs::read_to_string(&path).unwrap(), "new");
        assert!(!fs::symlink_metadata(&path).unwrap().file_type().is_symlink());
    }
}
