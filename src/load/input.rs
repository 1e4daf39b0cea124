//! Reading files archctl did not write: regular files only, and bounded
//! while reading rather than by what the file's metadata claims (a pipe,
//! `/dev/stdin` or a file that grows says nothing true about its size).
//!
//! Files a project names (config map `files`, profiles, the topology
//! itself) are read through a [`Scope`]: they must resolve, symbolic links
//! followed, inside the topology's folder or a folder the command line
//! admits with `--allow-read`. A pull request's topology must not be able
//! to copy `/proc/self/environ` or a key file into a rendered object, or
//! into a message printed in a CI log.

use std::io::Read as _;
use std::path::{Component, Path, PathBuf};
use std::sync::RwLock;

/// The largest config map file archctl reads: a ConfigMap holds at most
/// 1 MiB of data.
pub(crate) const MAX_CONFIG_FILE_BYTES: u64 = 1 << 20;

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// Not a regular file: a directory, FIFO, device or socket.
    NotAFile(&'static str),
    /// More than the limit, in bytes.
    TooLarge(u64),
    /// Not UTF-8, at this byte offset.
    NotText(usize),
    /// Outside the topology's folder and every `--allow-read` folder: the
    /// file a symbolic link leads to, or None when the path itself leaves
    /// (absolute, or `..` above the folder).
    Outside(Option<PathBuf>),
    Io(std::io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotAFile(what) => write!(f, "it is {what}, not a regular file"),
            ReadError::TooLarge(limit) => write!(f, "it is larger than {}, the limit", size(*limit)),
            ReadError::NotText(at) => write!(f, "it is not UTF-8 text (at byte {at})"),
            ReadError::Outside(None) => f.write_str("it is outside the topology's folder"),
            ReadError::Outside(Some(real)) => {
                write!(f, "it leads to `{}`, outside the topology's folder", real.display())
            }
            ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound => f.write_str("not found"),
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReadError {}

/// A limit for messages: `16 MiB`, or bytes when not whole MiB.
pub(crate) fn size(limit: u64) -> String {
    if limit >= 1 << 20 && limit.is_multiple_of(1 << 20) {
        format!("{} MiB", limit >> 20)
    } else {
        format!("{limit} bytes")
    }
}

/// What a file type is, for messages; None for a regular file. From
/// `symlink_metadata` or a directory entry a symbolic link is one; from
/// `metadata` it was followed.
pub(crate) fn irregular(t: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt as _;
    if t.is_file() {
        None
    } else if t.is_symlink() {
        Some("a symbolic link")
    } else if t.is_dir() {
        Some("a directory")
    } else if t.is_fifo() {
        Some("a FIFO")
    } else if t.is_char_device() || t.is_block_device() {
        Some("a device")
    } else if t.is_socket() {
        Some("a socket")
    } else {
        Some("not a regular file")
    }
}

/// [`irregular`], except that `allow_stream` admits FIFOs and character
/// devices (`-f /dev/stdin`, a pipe), which are still read with the same
/// bound.
fn refused(meta: &std::fs::Metadata, allow_stream: bool) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt as _;
    let t = meta.file_type();
    if allow_stream && (t.is_fifo() || t.is_char_device()) { None } else { irregular(&t) }
}

/// The bytes of a regular file, at most `limit` of them: reading stops at
/// `limit + 1` bytes, whatever the file's metadata says.
pub(crate) fn read_bytes(path: &Path, limit: u64, allow_stream: bool) -> Result<Vec<u8>, ReadError> {
    if !allow_stream {
        // opening a FIFO blocks until something writes to it: its type is
        // checked (through links) before it is opened
        let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
        if let Some(what) = refused(&meta, false) {
            return Err(ReadError::NotAFile(what));
        }
    }
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    // and again once open, in case the path was replaced in between
    let meta = file.metadata().map_err(ReadError::Io)?;
    if let Some(what) = refused(&meta, allow_stream) {
        return Err(ReadError::NotAFile(what));
    }
    let mut bytes = Vec::new();
    file.take(limit + 1).read_to_end(&mut bytes).map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge(limit));
    }
    Ok(bytes)
}

/// The text of a regular file, at most `limit` bytes of UTF-8.
pub(crate) fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_bytes(path, limit, false)?;
    String::from_utf8(bytes).map_err(|e| ReadError::NotText(e.utf8_error().valid_up_to()))
}

/// Folders outside every project that the command line admits
/// (`--allow-read DIR`), canonical. Set by the command handler before
/// anything is loaded; [`Scope::project`] takes a copy.
static ALLOWED: RwLock<Vec<PathBuf>> = RwLock::new(Vec::new());

/// Admits these folders (canonical, as [`allowed_dir`] gives them) for the
/// loads that follow, in place of those admitted before.
pub(crate) fn allow_read(dirs: Vec<PathBuf>) {
    *ALLOWED.write().unwrap_or_else(std::sync::PoisonError::into_inner) = dirs;
}

/// The folders [`allow_read`] admitted.
pub(crate) fn allowed() -> Vec<PathBuf> {
    ALLOWED.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
}

/// Parses `--allow-read DIR`: an existing folder, made canonical so that a
/// link cannot widen it later.
pub(crate) fn allowed_dir(arg: &str) -> Result<PathBuf, String> {
    let real = std::fs::canonicalize(arg).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => "no such folder".to_string(),
        _ => e.to_string(),
    })?;
    if real.is_dir() { Ok(real) } else { Err("not a folder".to_string()) }
}

/// Where the files of one project may be read from: the topology's folder
/// and the `--allow-read` folders, all canonical.
#[derive(Clone, Debug, Default)]
pub struct Scope {
    root: PathBuf,
    allowed: Vec<PathBuf>,
}

impl Scope {
    /// The scope of a topology in `dir` (empty for the current folder),
    /// admitting the `allowed` folders (canonical) besides.
    pub fn new(dir: &Path, allowed: Vec<PathBuf>) -> Scope {
        let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
        let root =
            std::fs::canonicalize(dir).or_else(|_| std::path::absolute(dir)).unwrap_or_else(|_| dir.to_path_buf());
        Scope { root, allowed }
    }

    /// [`Scope::new`] with the folders the command line admitted.
    pub fn project(dir: &Path) -> Scope {
        Scope::new(dir, allowed())
    }

    /// Whether a canonical path is inside the scope.
    fn admits(&self, real: &Path) -> bool {
        real.starts_with(&self.root) || self.allowed.iter().any(|a| real.starts_with(a))
    }

    /// A path a topology names (relative to its folder, or absolute),
    /// resolved through every link; an error unless it ends inside.
    ///
    /// A path that leaves the folder by its text alone (absolute, or `..`
    /// above it) is refused without looking at the file system when no
    /// folder is admitted besides, so that the answer says nothing about
    /// what exists outside.
    pub fn resolve(&self, name: &str) -> Result<PathBuf, ReadError> {
        let name = Path::new(name);
        let inside = stays_inside(name);
        if !inside && self.allowed.is_empty() {
            return Err(ReadError::Outside(None));
        }
        let joined = self.root.join(name);
        match std::fs::canonicalize(&joined) {
            Ok(real) if self.admits(&real) => Ok(real),
            Ok(real) => Err(ReadError::Outside(inside.then_some(real))),
            Err(e) if inside || self.admits(&lexical(&joined)) => Err(ReadError::Io(e)),
            Err(_) => Err(ReadError::Outside(None)),
        }
    }

    /// A file of the project found by archctl (a profile, the topology),
    /// resolved through every link; an error unless it ends inside.
    pub fn confine(&self, path: &Path) -> Result<PathBuf, ReadError> {
        let real = std::fs::canonicalize(path).map_err(ReadError::Io)?;
        if self.admits(&real) { Ok(real) } else { Err(ReadError::Outside(Some(real))) }
    }

    /// The text of a file a topology names: inside the scope, regular, at
    /// most `limit` bytes of UTF-8.
    pub fn read_text(&self, name: &str, limit: u64) -> Result<String, ReadError> {
        read_text(&self.resolve(name)?, limit)
    }
}

/// Whether a relative path stays inside its folder by its text: not
/// absolute, and no `..` climbs above where it starts.
fn stays_inside(path: &Path) -> bool {
    let mut depth = 0usize;
    for c in path.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => return false,
            Component::CurDir => {}
            Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return false,
            },
            Component::Normal(_) => depth += 1,
        }
    }
    true
}

/// `path` with `.` and `..` removed by their text (for a path that does not
/// exist, which cannot be made canonical).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_hold_while_reading_and_only_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a");
        std::fs::write(&f, "12345").unwrap();
        assert_eq!(read_text(&f, 5).unwrap(), "12345");
        assert!(matches!(read_text(&f, 4), Err(ReadError::TooLarge(4))));
        assert!(matches!(read_text(dir.path(), 10), Err(ReadError::NotAFile("a directory"))));
        assert!(matches!(read_text(Path::new("/dev/zero"), 10), Err(ReadError::NotAFile("a device"))));
        // a stream is admitted only when asked for, and still bounded
        assert!(matches!(read_bytes(Path::new("/dev/zero"), 10, true), Err(ReadError::TooLarge(10))));
        std::fs::write(&f, [0xff, 0xfe]).unwrap();
        assert!(matches!(read_text(&f, 10), Err(ReadError::NotText(0))));
    }

    #[test]
    fn a_fifo_is_refused_before_it_is_opened() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        // opening it would block: no writer ever comes
        assert!(matches!(read_text(&fifo, 10), Err(ReadError::NotAFile("a FIFO"))));
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&fifo, &link).unwrap();
        assert!(matches!(read_text(&link, 10), Err(ReadError::NotAFile("a FIFO"))));
    }

    #[test]
    fn a_path_leaves_the_folder_by_its_text() {
        for inside in ["a", "a/b", "./a", "a/../b", "a/b/../../c", ""] {
            assert!(stays_inside(Path::new(inside)), "{inside}");
        }
        for outside in ["/etc/passwd", "..", "../a", "a/../../b", "a/./../.."] {
            assert!(!stays_inside(Path::new(outside)), "{outside}");
        }
        assert_eq!(lexical(Path::new("/a/./b/../c")), Path::new("/a/c"));
    }

    #[test]
    fn a_scope_holds_its_folder_and_the_admitted_ones() {
        let project = tempfile::tempdir().unwrap();
        let other = tempfile::tempdir().unwrap();
        let real_other = other.path().canonicalize().unwrap();
        std::fs::write(project.path().join("in.txt"), "in").unwrap();
        std::fs::write(other.path().join("out.txt"), "out").unwrap();
        std::os::unix::fs::symlink(other.path().join("out.txt"), project.path().join("link.txt")).unwrap();
        std::os::unix::fs::symlink(other.path(), project.path().join("linked")).unwrap();
        let out = other.path().join("out.txt");
        let out = out.to_str().unwrap();

        let scope = Scope::new(project.path(), Vec::new());
        assert_eq!(scope.read_text("in.txt", 10).unwrap(), "in");
        assert_eq!(scope.read_text("./sub/../in.txt", 10).ok(), None, "no `sub`: not found");
        assert!(matches!(scope.resolve(out), Err(ReadError::Outside(None))));
        assert!(matches!(scope.resolve("../x"), Err(ReadError::Outside(None))));
        assert!(
            matches!(scope.resolve("link.txt"), Err(ReadError::Outside(Some(p))) if p == real_other.join("out.txt"))
        );
        assert!(matches!(scope.resolve("linked/out.txt"), Err(ReadError::Outside(Some(_)))));
        assert!(matches!(scope.resolve("missing"), Err(ReadError::Io(_))));
        assert!(scope.confine(&project.path().join("in.txt")).is_ok());
        assert!(matches!(scope.confine(&project.path().join("link.txt")), Err(ReadError::Outside(Some(_)))));

        let scope = Scope::new(project.path(), vec![real_other.clone()]);
        assert_eq!(scope.read_text(out, 10).unwrap(), "out");
        assert_eq!(scope.read_text("link.txt", 10).unwrap(), "out");
        assert_eq!(scope.read_text("linked/out.txt", 10).unwrap(), "out");
        // a missing file in an admitted folder is missing, elsewhere outside
        let missing = real_other.join("missing");
        assert!(matches!(scope.resolve(missing.to_str().unwrap()), Err(ReadError::Io(_))));
        assert!(matches!(scope.resolve("/no/such/file"), Err(ReadError::Outside(None))));
    }

    #[test]
    fn allow_read_takes_existing_folders_only() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(allowed_dir(dir.path().to_str().unwrap()).unwrap(), dir.path().canonicalize().unwrap());
        std::fs::write(dir.path().join("f"), "").unwrap();
        assert_eq!(allowed_dir(dir.path().join("f").to_str().unwrap()).unwrap_err(), "not a folder");
        assert_eq!(allowed_dir("/no/such/folder").unwrap_err(), "no such folder");
    }
}
