//! Presenting a diff: unified diffs per object, a summary, or JSON.

use std::fmt::Write as _;

use super::compare::{Action, ObjectDiff};

/// The mark and word of an action in summaries.
fn mark(a: Action) -> (&'static str, &'static str) {
    match a {
        Action::Create => ("+", "create"),
        Action::Change => ("~", "change"),
        Action::Same => ("=", "same"),
        Action::Prune => ("-", "prune"),
        Action::RequiresReplace => ("!", "replace"),
        Action::Error => ("x", "error"),
    }
}

/// Totals: `2 to create, 1 to change, …`.
pub(crate) fn totals(diffs: &[ObjectDiff]) -> String {
    let count = |a: Action| diffs.iter().filter(|d| d.action == a).count();
    format!(
        "{} to create, {} to change, {} to replace, {} to prune, {} unchanged, {} error{}",
        count(Action::Create),
        count(Action::Change),
        count(Action::RequiresReplace),
        count(Action::Prune),
        count(Action::Same),
        count(Action::Error),
        if count(Action::Error) == 1 { "" } else { "s" }
    )
}

/// One line per object and the totals.
pub(crate) fn summary(diffs: &[ObjectDiff]) -> String {
    let mut out = String::new();
    for d in diffs {
        let (m, word) = mark(d.action);
        let _ = write!(out, "{m} {word:<7} {}", d.object);
        if let Some(n) = &d.note {
            let _ = write!(out, "  ({n})");
        }
        out.push('\n');
    }
    out.push_str(&totals(diffs));
    out.push('\n');
    out
}

/// Every object that differs, with its unified diff; `color` paints lines
/// through `paint`.
pub(crate) fn full(diffs: &[ObjectDiff], paint: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    for d in diffs.iter().filter(|d| d.action != Action::Same) {
        let (m, word) = mark(d.action);
        let _ = writeln!(out, "{m} {} ({word})", d.object);
        if let Some(n) = &d.note {
            let _ = writeln!(out, "  {n}");
        }
        for line in d.diff.lines() {
            out.push_str(&paint(line));
            out.push('\n');
        }
    }
    out
}

/// The per-object results as JSON, for tools.
pub(crate) fn json(diffs: &[ObjectDiff]) -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "objects": diffs,
        "totals": {
            "create": diffs.iter().filter(|d| d.action == Action::Create).count(),
            "change": diffs.iter().filter(|d| d.action == Action::Change).count(),
            "replace": diffs.iter().filter(|d| d.action == Action::RequiresReplace).count(),
            "prune": diffs.iter().filter(|d| d.action == Action::Prune).count(),
            "same": diffs.iter().filter(|d| d.action == Action::Same).count(),
            "error": diffs.iter().filter(|d| d.action == Action::Error).count(),
        }
    }))
    .unwrap_or_default()
        + "\n"
}
