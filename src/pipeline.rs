//! The render pipeline as one call: load → validate → resolve → build.
//!
//! Each stage is a pure function of the previous stage's output; this module
//! only chains them and collects the diagnostics of every stage that ran.

use crate::build::{self, Object};
use crate::diagnostic::{Diagnostic, Severity};
use crate::topology::load::{self, Context, LoadOptions};
use crate::topology::resolve::{self, Resolved};
use crate::validate;

/// A successful render.
#[derive(Debug)]
pub struct Rendered {
    pub objects: Vec<Object>,
    pub resolved: Resolved,
    /// Warnings found on the way.
    pub warnings: Vec<Diagnostic>,
    pub context: Context,
}

/// A render that stopped on errors, with what is needed to print them.
#[derive(Debug)]
pub struct Failed {
    pub diagnostics: Vec<Diagnostic>,
    pub context: Context,
}

/// Runs the whole pipeline for one profile and phase.
pub fn render(opts: &LoadOptions) -> Result<Rendered, Failed> {
    let loaded = load::load(opts).map_err(|r| Failed { diagnostics: r.diagnostics, context: r.context })?;
    let mut diagnostics = validate::validate(&loaded.topology);
    let resolved = resolve::resolve(&loaded, opts.phase.is_some());
    let resolved = match resolved {
        Ok(r) => {
            diagnostics.extend(validate::lints(&r));
            Some(r)
        }
        Err(mut problems) => {
            diagnostics.append(&mut problems);
            None
        }
    };
    let (errors, warnings): (Vec<_>, Vec<_>) = diagnostics.into_iter().partition(|d| d.severity == Severity::Error);
    match resolved {
        Some(resolved) if errors.is_empty() => {
            Ok(Rendered { objects: build::build(&resolved), resolved, warnings, context: loaded.context })
        }
        _ => Err(Failed { diagnostics: errors.into_iter().chain(warnings).collect(), context: loaded.context }),
    }
}
