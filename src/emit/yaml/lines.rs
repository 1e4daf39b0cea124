//! The field each line of a document written by this module holds, for
//! `diff --explain` to say where a changed line comes from.
//!
//! It reads the block style our emitter writes (maps one key a line,
//! sequences as `- ` items at their key's indentation, literal blocks
//! below their key), not YAML at large; a test holds it to the emitter over
//! every example render.

use crate::k8s::field::FieldPath;

enum Kind {
    Map,
    Seq(usize),
    /// After `key:` with nothing on its line: a map or a sequence follows.
    Pending,
}

struct Frame {
    col: usize,
    path: FieldPath,
    kind: Kind,
}

/// `key: rest` → the key and what follows the colon (trimmed); None when
/// the text is a scalar.
fn split_key(c: &str) -> Option<(String, &str)> {
    let (key, after) = if let Some(q) = c.strip_prefix('\'') {
        let mut key = String::new();
        let mut chars = q.char_indices();
        let mut end = None;
        while let Some((i, ch)) = chars.next() {
            if ch == '\'' {
                if q[i + 1..].starts_with('\'') {
                    key.push('\'');
                    chars.next();
                } else {
                    end = Some(i + 1);
                    break;
                }
            } else {
                key.push(ch);
            }
        }
        (key, &q[end?..])
    } else if c.starts_with('"') {
        // a JSON-compatible double-quoted key: find its closing quote
        let b = c.as_bytes();
        let mut i = 1;
        while i < b.len() && b[i] != b'"' {
            i += if b[i] == b'\\' { 2 } else { 1 };
        }
        let key: String = serde_json::from_str(c.get(..=i)?).ok()?;
        (key, c.get(i + 1..)?)
    } else {
        let at = c.char_indices().find(|&(i, ch)| ch == ':' && matches!(c.as_bytes().get(i + 1), None | Some(b' ')))?.0;
        (c[..at].to_string(), &c[at..])
    };
    let rest = after.strip_prefix(':')?;
    if !rest.is_empty() && !rest.starts_with(' ') {
        return None;
    }
    Some((key, rest.trim_start()))
}

/// The field path of each line of `text` (a `---` separator line has
/// none); a line of a literal block holds its key's field.
pub(crate) fn line_paths(text: &str) -> Vec<Option<FieldPath>> {
    let mut out = Vec::new();
    let mut frames = vec![Frame { col: 0, path: FieldPath::default(), kind: Kind::Map }];
    let mut block: Option<(usize, FieldPath)> = None;
    for line in text.lines() {
        let ind = line.len() - line.trim_start_matches(' ').len();
        if let Some((min, p)) = &block {
            if line.trim().is_empty() || ind >= *min {
                out.push(Some(p.clone()));
                continue;
            }
            block = None;
        }
        if line == "---" {
            frames.truncate(1);
            frames[0].kind = Kind::Map;
            out.push(None);
            continue;
        }
        let mut col = ind;
        let mut c = &line[ind..];
        let item = c.starts_with("- ") || c == "-";
        // close what this line's indentation ends
        loop {
            let depth = frames.len();
            let Some(top) = frames.last_mut() else { break };
            match top.kind {
                Kind::Pending if item && top.col == col + 2 => {
                    top.kind = Kind::Seq(0);
                    top.col = col;
                    break;
                }
                Kind::Pending if top.col == col => {
                    top.kind = Kind::Map;
                    break;
                }
                Kind::Pending => {
                    frames.pop();
                }
                _ if top.col > col && depth > 1 => {
                    frames.pop();
                }
                Kind::Seq(_) if top.col == col && !item && depth > 1 => {
                    frames.pop();
                }
                _ => break,
            }
        }
        // `- ` items, perhaps nested on one line
        let mut path = None;
        while c.starts_with("- ") || c == "-" {
            let Some(top) = frames.last_mut() else { break };
            let Kind::Seq(n) = &mut top.kind else { break };
            let at = top.path.index(*n);
            *n += 1;
            c = c.get(2..).unwrap_or("");
            col += 2;
            if c.starts_with("- ") {
                frames.push(Frame { col, path: at, kind: Kind::Seq(0) });
                continue;
            }
            if split_key(c).is_some() {
                frames.push(Frame { col, path: at, kind: Kind::Map });
            } else {
                if c.starts_with('|') {
                    block = Some((col - 1, at.clone()));
                }
                path = Some(at);
            }
            break;
        }
        if path.is_none()
            && let Some((key, rest)) = split_key(c)
        {
            let parent = frames.last().map(|f| f.path.clone()).unwrap_or_default();
            let p = parent.key(key);
            if rest.is_empty() {
                frames.push(Frame { col: col + 2, path: p.clone(), kind: Kind::Pending });
            } else if rest.starts_with('|') {
                block = Some((col + 1, p.clone()));
            }
            path = Some(p);
        }
        out.push(path);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_line_gets_its_field() {
        let v = serde_json::json!({
            "a": {"b": 1, "c.d/e": "x: y"},
            "list": [{"name": "n", "args": ["p", "q"]}, "s"],
            "text": "one\ntwo\n",
            "empty": {},
            "nested": [["x"]],
            "it's": true,
        });
        let text = super::super::document(&v).unwrap();
        let paths: Vec<String> =
            line_paths(&text).into_iter().map(|p| p.map(|p| p.to_string()).unwrap_or_default()).collect();
        let lines: Vec<&str> = text.lines().collect();
        let pairs: Vec<(String, &str)> = paths.into_iter().zip(lines).collect();
        let want = [
            ("a", "a:"),
            ("a.b", "  b: 1"),
            ("a[\"c.d/e\"]", "  c.d/e: 'x: y'"),
            ("list", "list:"),
            ("list[0].name", "- name: 'n'"),
            ("list[0].args", "  args:"),
            ("list[0].args[0]", "  - p"),
            ("list[0].args[1]", "  - q"),
            ("list[1]", "- s"),
            ("text", "text: |"),
            ("text", "  one"),
            ("text", "  two"),
            ("empty", "empty: {}"),
            ("nested", "nested:"),
            ("nested[0][0]", "- - x"),
            ("[\"it's\"]", "it's: true"),
        ];
        let got: Vec<(String, String)> = pairs.iter().map(|(p, l)| (p.clone(), l.to_string())).collect();
        let want: Vec<(String, String)> = want.iter().map(|(p, l)| (p.to_string(), l.to_string())).collect();
        assert_eq!(got, want, "{text}");
    }

    /// Over every object of every example render: each line's field is
    /// in the object, and the lines of the leaves are the object's leaves.
    #[test]
    fn the_fields_of_every_example_line_are_the_objects_own() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut topologies = vec![root.join("archctl.toml")];
        for e in std::fs::read_dir(root.join("examples")).unwrap().flatten() {
            topologies.push(e.path().join("archctl.toml"));
        }
        let mut lines = 0;
        for topo in topologies.iter().filter(|t| t.is_file()) {
            let target = crate::pipeline::Target { profile: None, phase: None };
            let r = crate::pipeline::render(topo, &target).unwrap_or_else(|_| panic!("{}", topo.display()));
            for o in &r.objects {
                let v = serde_json::to_value(o).unwrap();
                let text = super::super::document(&v).unwrap();
                let paths = line_paths(&text);
                assert_eq!(paths.len(), text.lines().count());
                let mut leaves: Vec<FieldPath> = Vec::new();
                for (p, l) in paths.iter().zip(text.lines()) {
                    let p = p.as_ref().unwrap_or_else(|| panic!("no field for `{l}` in\n{text}"));
                    assert!(p.get(&v).is_some(), "`{l}` read as {p}, which {} lacks", o.describe());
                    if leaves.last() != Some(p) && !l.trim_end().ends_with(':') {
                        leaves.push(p.clone());
                    }
                    lines += 1;
                }
                let want: Vec<FieldPath> = FieldPath::leaves(&v).into_iter().map(|(p, _)| p).collect();
                assert_eq!(leaves, want, "{}", o.describe());
            }
        }
        assert!(lines > 1000, "{lines}");
    }
}
