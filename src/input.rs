//! Reading files archctl did not write: regular files only, and bounded
//! while reading rather than by what the file's metadata claims (a pipe,
//! `/dev/stdin` or a file that grows says nothing true about its size).

use std::io::Read as _;
use std::path::Path;

/// Why a file could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// Not a regular file: a directory, FIFO, device or socket.
    NotAFile(&'static str),
    /// More than the limit, in bytes.
    TooLarge(u64),
    /// Not UTF-8, at this byte offset.
    NotText(usize),
    Io(std::io::Error),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotAFile(what) => write!(f, "it is {what}, not a regular file"),
            ReadError::TooLarge(limit) => write!(f, "it is larger than {} MiB, the limit", limit >> 20),
            ReadError::NotText(at) => write!(f, "it is not UTF-8 text (at byte {at})"),
            ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound => f.write_str("not found"),
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ReadError {}

/// What a file that is not regular is, for messages; None for a regular
/// file. `allow_stream` admits FIFOs and character devices (`-f
/// /dev/stdin`, a pipe), which are still read with the same bound.
fn irregular(meta: &std::fs::Metadata, allow_stream: bool) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt as _;
    let t = meta.file_type();
    if t.is_file() {
        None
    } else if t.is_dir() {
        Some("a directory")
    } else if (t.is_fifo() || t.is_char_device()) && allow_stream {
        None
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

/// The bytes of a regular file, at most `limit` of them.
pub fn read_bytes(path: &Path, limit: u64, allow_stream: bool) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if let Some(what) = irregular(&meta, allow_stream) {
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
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_bytes(path, limit, false)?;
    String::from_utf8(bytes).map_err(|e| ReadError::NotText(e.utf8_error().valid_up_to()))
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
}
