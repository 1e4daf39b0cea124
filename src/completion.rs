//! Values for dynamic shell completion (`COMPLETE=bash archctl`, which
//! `archctl completions SHELL` registers): the profiles beside the topology,
//! its growth phases, and the kubeconfig's contexts.
//!
//! A completion runs before any argument is parsed, so the topology is the
//! one in the current folder (`archctl.toml`); everything is read bounded,
//! and any failure just offers nothing.

use std::path::Path;

use clap_complete::CompletionCandidate;

/// The topology a completion looks at.
const TOPOLOGY: &str = "archctl.toml";

/// A topology larger than this offers no phases.
const MAX_TOPOLOGY_BYTES: u64 = 4 << 20;

pub(crate) fn profiles() -> Vec<CompletionCandidate> {
    crate::load::profile_names(Path::new(TOPOLOGY)).into_iter().map(CompletionCandidate::new).collect()
}

pub(crate) fn phases() -> Vec<CompletionCandidate> {
    let Ok(text) = crate::load::input::read_text(Path::new(TOPOLOGY), MAX_TOPOLOGY_BYTES) else {
        return Vec::new();
    };
    let Ok(table) = text.parse::<toml::Table>() else { return Vec::new() };
    table
        .get("phases")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_str)
        .map(CompletionCandidate::new)
        .collect()
}

pub(crate) fn contexts() -> Vec<CompletionCandidate> {
    crate::diff::kube::context_names().into_iter().map(CompletionCandidate::new).collect()
}
