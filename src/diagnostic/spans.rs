//! Source files and the index from TOML paths to their positions.
//!
//! The topology and its profile are merged into one value tree before they are
//! deserialized, so positions cannot come from the deserializer. Instead the
//! loader records, for every key and value of every file, the byte span it came
//! from; a path then finds the file that last set it (the profile wins over the
//! topology, as the merge does).

use std::collections::HashMap;
use std::ops::Range;

use super::path::TomlPath;

/// One file the user gave us.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as the user would type it (relative where possible).
    pub display_name: String,
    pub text: String,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(display_name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceFile { display_name: display_name.into(), text, line_starts }
    }

    /// One-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let mut end = offset;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let column = self.text[start..end].chars().count() + 1;
        (line + 1, column)
    }
}

/// All files of one run, addressed by index. Files are shared: a copy of
/// the map (one per phase in `plan`) does not copy their text.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<std::sync::Arc<SourceFile>>,
}

impl SourceMap {
    pub fn add(&mut self, file: SourceFile) -> usize {
        self.files.push(std::sync::Arc::new(file));
        self.files.len() - 1
    }

    pub fn get(&self, id: usize) -> Option<&SourceFile> {
        self.files.get(id).map(|f| &**f)
    }
}

/// Where a key and its value were written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub file: usize,
    pub key: Option<Range<usize>>,
    pub value: Range<usize>,
}

/// Positions of every key and value, by path.
#[derive(Clone, Debug, Default)]
pub struct SpanIndex {
    entries: HashMap<TomlPath, Entry>,
}

impl SpanIndex {
    pub fn insert(&mut self, path: TomlPath, entry: Entry) {
        self.entries.insert(path, entry);
    }

    /// Adds every entry of `other`, replacing entries at the same paths.
    pub fn extend(&mut self, other: SpanIndex) {
        self.entries.extend(other.entries);
    }

    /// Records every entry at or below `from` again below `to` (pools copy
    /// their base service), replacing what `to` had.
    pub fn copy_subtree(&mut self, from: &TomlPath, to: &TomlPath) {
        let n = from.len();
        let copies: Vec<(TomlPath, Entry)> = self
            .entries
            .iter()
            .filter(|(p, _)| p.starts_with(from))
            .map(|(p, e)| (to.join_after(p, n), e.clone()))
            .collect();
        self.entries.extend(copies);
    }

    /// Forgets one entry (not its children).
    pub fn remove(&mut self, path: &TomlPath) {
        self.entries.remove(path);
    }

    pub fn get(&self, path: &TomlPath) -> Option<&Entry> {
        self.entries.get(path)
    }

    /// Drops every entry at or below `path` (a profile replaced that value).
    pub fn remove_subtree(&mut self, path: &TomlPath) {
        self.entries.retain(|p, _| !p.starts_with(path));
    }

    /// The file and span of a path; falls back to the nearest ancestor that
    /// was written down, so that a diagnostic about a defaulted field points
    /// at the table it is missing from.
    pub fn locate(&self, path: &TomlPath, key: bool) -> Option<(usize, Range<usize>)> {
        let mut p = path.clone();
        let mut exact = true;
        loop {
            if let Some(e) = self.entries.get(&p) {
                let span = match (&e.key, key || !exact) {
                    (Some(k), true) => k.clone(),
                    _ => e.value.clone(),
                };
                return Some((e.file, span));
            }
            // nothing written down at all (an empty file): its first line
            let Some(parent) = p.parent() else {
                return self.entries.is_empty().then_some((0, 0..0));
            };
            p = parent;
            exact = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based_and_count_characters() {
        let f = SourceFile::new("a.toml", "a = 1\nnamé = 2\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(6), (2, 1));
        // the `=` after a two-byte character is the 6th character
        let eq = f.text.find("= 2").unwrap();
        assert_eq!(f.line_col(eq), (2, 6));
    }

    #[test]
    fn locate_falls_back_to_the_nearest_written_ancestor() {
        let mut idx = SpanIndex::default();
        idx.insert(TomlPath::parse("services.api"), Entry { file: 0, key: Some(1..4), value: 5..9 });
        let missing = TomlPath::parse("services.api.replicas");
        assert_eq!(idx.locate(&missing, false), Some((0, 1..4)));
        assert_eq!(idx.locate(&TomlPath::parse("services.api"), false), Some((0, 5..9)));
        idx.remove_subtree(&TomlPath::parse("services"));
        // nothing recorded at all (an empty file): the start of the topology
        assert_eq!(idx.locate(&missing, false), Some((0, 0..0)));
    }
}
