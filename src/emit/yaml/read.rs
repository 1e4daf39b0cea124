//! Reading YAML streams (`diff --against`, snapshots, tests) with
//! serde-saphyr, a maintained YAML 1.2 reader (serde_yaml is no longer
//! maintained).
//!
//! Every read is bounded: the input is already bounded by whoever read the
//! file; the reader's budget bounds what a small input can make it do —
//! nesting, aliases replayed (an alias bomb), nodes, documents. Errors name
//! the place and the bound, never the input, which may hold Secrets.

use std::fmt;

use serde_json::Value;
use serde_saphyr::ExternalMessageSource;
use serde_saphyr::budget::BudgetBreach;

/// The deepest nesting a stream may have (serde-saphyr's own default, which
/// protects the stack); rendered objects nest about 15 levels, objects read
/// back from a cluster about 20.
pub(super) const MAX_DEPTH: usize = 64;

/// Why a stream could not be read.
#[derive(Debug)]
pub struct ReadError {
    /// Line and column (1-based), when the reader knows them.
    pub location: Option<(usize, usize)>,
    pub kind: ReadErrorKind,
}

/// What went wrong, in words that quote nothing of the input.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadErrorKind {
    /// Not YAML, or not data (a tag or key JSON cannot hold).
    Syntax,
    /// Nested deeper than [`MAX_DEPTH`].
    TooDeep,
    /// Aliases that expand too far.
    AliasBomb,
    /// Another bound of the reader's budget.
    TooLarge,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.kind {
            ReadErrorKind::Syntax => "not YAML",
            ReadErrorKind::TooDeep => "nested more than 64 levels deep",
            ReadErrorKind::AliasBomb => "its aliases expand too far (an alias bomb)",
            ReadErrorKind::TooLarge => "larger than the YAML reader's bounds",
        })?;
        if let Some((line, column)) = self.location {
            write!(f, " at line {line}, column {column}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ReadError {}

/// The reader's budget for an input of `len` bytes: generous for any real
/// stream of that size (written out, YAML takes at least a byte for every
/// two events or nodes), so that only aliases replaying anchors can exceed
/// the event and node bounds.
fn options(len: usize) -> serde_saphyr::Options {
    let scaled = len.saturating_add(1024);
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            flow_nesting_limit: MAX_DEPTH,
            max_events: scaled.saturating_mul(4),
            max_nodes: scaled.saturating_mul(4),
            max_documents: scaled,
            max_total_scalar_bytes: scaled,
            max_aliases: 10_000,
            max_anchors: 10_000,
            max_recorded_anchor_events: 100_000,
            max_recorded_anchor_bytes: 16 << 20,
        },
    }
}

/// Parses a multi-document stream into JSON values, skipping empty
/// documents.
pub fn parse_stream(text: &str) -> Result<Vec<Value>, ReadError> {
    let docs: Vec<Value> =
        serde_saphyr::from_multiple_with_options(text, options(text.len())).map_err(|e| ReadError {
            location: e.location().map(|l| (l.line() as usize, l.column() as usize)).filter(|(l, _)| *l > 0),
            kind: kind(&e),
        })?;
    Ok(docs.into_iter().filter(|v| !v.is_null()).collect())
}

fn kind(mut e: &serde_saphyr::Error) -> ReadErrorKind {
    // the reader wraps errors with the input's snippet (never shown here)
    while let serde_saphyr::Error::WithSnippet { error, .. } | serde_saphyr::Error::AliasError { error, .. } = e {
        e = error;
    }
    match e {
        serde_saphyr::Error::Budget { breach, .. } => match breach {
            BudgetBreach::Depth { .. } => ReadErrorKind::TooDeep,
            // beyond what the input holds: only aliases get there (see `options`)
            BudgetBreach::Events { .. }
            | BudgetBreach::Nodes { .. }
            | BudgetBreach::ScalarBytes { .. }
            | BudgetBreach::Aliases { .. }
            | BudgetBreach::Anchors { .. }
            | BudgetBreach::AliasAnchorRatio { .. }
            | BudgetBreach::RecordedAnchorEvents { .. }
            | BudgetBreach::RecordedAnchorBytes { .. } => ReadErrorKind::AliasBomb,
            _ => ReadErrorKind::TooLarge,
        },
        // flow collections (`[[[…`) are bounded by the scanner
        serde_saphyr::Error::ExternalMessage { source, .. }
            if matches!(&**source, ExternalMessageSource::Parser(scan)
                if *scan.kind() == serde_saphyr::granit_parser::ErrorKind::RecursionLimitExceeded) =>
        {
            ReadErrorKind::TooDeep
        }
        _ => ReadErrorKind::Syntax,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_reads_document_by_document() {
        let docs = parse_stream("a: 1\n---\n---\nb: [x, 'y']\n").unwrap();
        assert_eq!(docs, vec![serde_json::json!({"a": 1}), serde_json::json!({"b": ["x", "y"]})]);
    }

    #[test]
    fn errors_name_the_place_and_the_bound_never_the_input() {
        let e = parse_stream("a: 1\nsecret: [unclosed\n").unwrap_err();
        assert_eq!(e.kind, ReadErrorKind::Syntax);
        assert!(e.location.is_some(), "{e:?}");
        assert!(!e.to_string().contains("secret"), "{e}");
        for deep in [
            format!("{}1{}", "[".repeat(200), "]".repeat(200)),
            (0..200).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect::<String>(),
        ] {
            assert_eq!(parse_stream(&deep).unwrap_err().kind, ReadErrorKind::TooDeep);
        }
        let ok = format!("{}1{}", "[".repeat(MAX_DEPTH - 1), "]".repeat(MAX_DEPTH - 1));
        assert!(parse_stream(&ok).is_ok());
        let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        assert_eq!(parse_stream(&bomb).unwrap_err().kind, ReadErrorKind::AliasBomb);
    }

    #[test]
    fn a_stream_of_many_documents_is_within_the_budget() {
        let stream: String = (0..5000).map(|i| format!("---\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n")).collect();
        assert_eq!(parse_stream(&stream).unwrap().len(), 5000);
    }
}
