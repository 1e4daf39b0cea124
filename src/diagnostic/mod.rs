//! Diagnostics: what is wrong with a topology, where, and how to fix it.
//!
//! Every problem a user can cause is a [`Diagnostic`] rather than an `Err` that
//! stops the pipeline, so that one run reports all of them together (the habit
//! Helm's linter and rustc share). A diagnostic names a TOML path; the loader's
//! [`SpanIndex`](crate::diagnostic::spans::SpanIndex) turns that path into a file,
//! line and column when the diagnostic is printed.

pub(crate) mod codes;
pub(crate) mod path;
pub(crate) mod report;
pub(crate) mod spans;
pub(crate) mod suggest;

use std::fmt;
use std::ops::Range;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

use crate::address::mask_credentials;
use crate::diagnostic::path::TomlPath;
use crate::diagnostic::spans::{SourceMap, SpanIndex};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Advice; never fails a render.
    Warning,
    /// The topology cannot be rendered.
    Error,
}

/// Where a diagnostic points: a TOML path, or a byte span in a known file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// No position (for example a missing profile file).
    None,
    /// A key or value of the merged topology, located through the span index.
    Path {
        path: TomlPath,
        /// Point at the key rather than the value (unknown keys).
        key: bool,
    },
    /// A span in a source file, for errors that come from the TOML parser.
    Span { file: usize, span: Range<usize> },
}

/// One problem found in the user's input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable identifier, such as `E005`: one of [`codes::CODES`] (docs/codes.md).
    pub code: &'static str,
    pub message: String,
    pub anchor: Anchor,
    /// A short label under the caret.
    pub label: Option<String>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with the given code and message, anchored nowhere yet.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            anchor: Anchor::None,
            label: None,
            help: None,
        }
    }

    /// Points the diagnostic at the value stored under `path`.
    pub fn at(mut self, path: &TomlPath) -> Self {
        self.anchor = Anchor::Path { path: path.clone(), key: false };
        self
    }

    /// Points the diagnostic at the key of `path` (for unknown or misplaced keys).
    pub fn at_key(mut self, path: &TomlPath) -> Self {
        self.anchor = Anchor::Path { path: path.clone(), key: true };
        self
    }

    /// Points the diagnostic at a byte span of a source file.
    pub fn at_span(mut self, file: usize, span: Range<usize>) -> Self {
        self.anchor = Anchor::Span { file, span };
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
}

/// A resolved position, for tests and `--format json`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Position {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// Finds the file and span a diagnostic points at.
pub(crate) fn locate(diagnostic: &Diagnostic, spans: Option<&SpanIndex>) -> Option<(usize, Range<usize>)> {
    match &diagnostic.anchor {
        Anchor::None => None,
        Anchor::Span { file, span } => Some((*file, span.clone())),
        Anchor::Path { path, key } => {
            let spans = spans?;
            spans.locate(path, *key)
        }
    }
}

/// The `file:line:column` of a diagnostic, if it has one.
pub(crate) fn position(diagnostic: &Diagnostic, sources: &SourceMap, spans: Option<&SpanIndex>) -> Option<Position> {
    let (file, span) = locate(diagnostic, spans)?;
    let source = sources.get(file)?;
    let (line, column) = source.line_col(span.start);
    Some(Position { file: source.display_name.clone(), line, column })
}

/// Renders diagnostics the way rustc and cargo do: a title, the offending
/// line with a caret, then the fix.
pub(crate) fn render(
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    spans: Option<&SpanIndex>,
    color: bool,
) -> String {
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    let mut out = String::new();
    for d in diagnostics {
        let level = match d.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        // credentials in URLs are masked in everything quoted from the
        // topology: the message, the label, the help and the source lines
        let message = mask_credentials(&d.message);
        let title = level.primary_title(message.as_ref()).id(d.code);
        let located = locate(d, spans).and_then(|(file, span)| sources.get(file).map(|s| (s, span)));
        let label = d.label.as_deref().map(mask_credentials);
        let masked_source;
        let first = match located {
            Some((source, span)) => {
                let span = clamp_span(&source.text, span);
                let mut annotation = AnnotationKind::Primary.span(span);
                if let Some(label) = &label {
                    annotation = annotation.label(label.as_ref());
                }
                masked_source = mask_credentials(&source.text);
                title.element(
                    Snippet::source(masked_source.as_ref()).path(source.display_name.as_str()).annotation(annotation),
                )
            }
            None => Group::with_title(title),
        };
        let mut group: Vec<Group<'_>> = vec![first];
        let help = d.help.as_deref().map(mask_credentials);
        if let Some(help) = &help {
            group.push(Group::with_title(Level::HELP.secondary_title(help.as_ref())));
        }
        out.push_str(&renderer.render(&group));
        out.push_str("\n\n");
    }
    out
}

/// Keeps a span inside the text and on character boundaries, so that a
/// stale or odd span can never make the renderer panic.
fn clamp_span(text: &str, span: Range<usize>) -> Range<usize> {
    let mut start = span.start.min(text.len());
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    while !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}
