//! The render pipeline as one call: load → validate → resolve → lint →
//! objects, for one [`Target`].
//!
//! Each stage is a pure function of the previous stage's output; this module
//! only chains them and collects the diagnostics of every stage that ran.
//! [`check`] stops before the objects (`archctl check` and `plan` need
//! none), and [`Prepared`] lets `plan` resolve one load at several phases.

mod target;

pub use target::Target;
pub(crate) use target::{TOPOLOGY_ALONE, each_profile, topology_and_profiles};

use std::path::Path;

use crate::diagnostic::{Diagnostic, Severity};
use crate::load::{self, Context, Loaded};
use crate::objects::{self, Object};
use crate::resolve::{self, Resolved};
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

/// A topology that resolved without errors, not built.
#[derive(Debug)]
pub struct Checked {
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

/// A loaded and validated topology, ready to resolve.
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    loaded: Loaded,
    context: Context,
    /// The findings of validation, errors included: they are reported with
    /// those of resolution.
    diagnostics: Vec<Diagnostic>,
}

/// Loads and validates one target; fails only when loading does.
pub(crate) fn prepare(topology: &Path, target: &Target) -> Result<Prepared, Failed> {
    let mut loaded = load::load(&target.load_options(topology))
        .map_err(|r| Failed { diagnostics: r.diagnostics, context: r.context })?;
    let context = std::mem::take(&mut loaded.context);
    let diagnostics = validate::validate(&loaded.topology);
    Ok(Prepared { loaded, context, diagnostics })
}

impl Prepared {
    /// The loaded topology.
    pub(crate) fn topology(&self) -> &crate::topology::Topology {
        &self.loaded.topology
    }

    /// Resolves and lints.
    pub(crate) fn resolve(self) -> Result<Checked, Failed> {
        let Prepared { loaded, context, mut diagnostics } = self;
        let resolved = match resolve::resolve(loaded) {
            Ok(r) => {
                diagnostics.extend(crate::lint::lints(&r));
                Some(r)
            }
            Err(mut problems) => {
                diagnostics.append(&mut problems);
                None
            }
        };
        let (errors, warnings): (Vec<_>, Vec<_>) = diagnostics.into_iter().partition(|d| d.severity == Severity::Error);
        match resolved {
            Some(resolved) if errors.is_empty() => Ok(Checked { resolved, warnings, context }),
            _ => Err(Failed { diagnostics: errors.into_iter().chain(warnings).collect(), context }),
        }
    }

    /// The same profile at `phase`, without loading the files again, when
    /// that would give the same topology but for its `phase`: when no
    /// template mentions `phase`. Validation does not depend on the phase.
    /// None when the files must be loaded again.
    pub(crate) fn at_phase(&self, phase: &str) -> Option<Prepared> {
        if self.loaded.phase_in_templates {
            return None;
        }
        let mut again = self.clone();
        again.loaded.phase = Some(phase.to_string());
        Some(again)
    }
}

/// Loads, validates, resolves and lints one target, without objects.
pub fn check(topology: &Path, target: &Target) -> Result<Checked, Failed> {
    prepare(topology, target)?.resolve()
}

/// Runs the whole pipeline for one target.
pub fn render(topology: &Path, target: &Target) -> Result<Rendered, Failed> {
    let Checked { resolved, warnings, context } = check(topology, target)?;
    Ok(Rendered { objects: objects::build(&resolved), resolved, warnings, context })
}
