//! Validation: checks of the merged topology that the type system cannot
//! express — Kubernetes name rules, which keys fit which kind of service,
//! and that every reference points at something declared.
//!
//! Each rule lives in its own file and pushes all of its findings; nothing
//! stops at the first problem.

mod kinds;
mod names;
mod references;

use crate::diagnostic::Diagnostic;
use crate::topology::model::Topology;

/// Runs every rule and returns all findings, in rule order.
pub fn validate(topo: &Topology) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    names::check(topo, &mut out);
    kinds::check(topo, &mut out);
    references::check(topo, &mut out);
    out
}
