//! What one run of the pipeline renders: the topology alone or one of its
//! profiles, at the phase the files pick or one chosen from outside them.
//!
//! Every command names its renders as targets (render, check, plan, graph,
//! snapshot, diff and the chart), so that which profiles and phases run is
//! decided once, in [`crate::settings`], and never by hand in a command.

use std::path::Path;

use crate::load::{self, LoadOptions};

/// One render: a profile (or none: the topology alone) at a phase (or
/// none: the phase the files pick).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Target {
    pub profile: Option<String>,
    /// A phase chosen outside the files (`--phase`, or `plan` at each phase).
    pub phase: Option<String>,
}

/// How reports name the render of the topology without a profile.
pub(crate) const TOPOLOGY_ALONE: &str = "(topology)";

impl Target {
    pub fn new(profile: Option<String>, phase: Option<String>) -> Target {
        Target { profile, phase }
    }

    /// The same profile at `phase`.
    pub fn at_phase(&self, phase: &str) -> Target {
        Target { profile: self.profile.clone(), phase: Some(phase.to_string()) }
    }

    /// The profile's name, or [`TOPOLOGY_ALONE`].
    pub fn name(&self) -> &str {
        self.profile.as_deref().unwrap_or(TOPOLOGY_ALONE)
    }

    /// What [`load::load`] reads for this target.
    pub(crate) fn load_options(&self, topology: &Path) -> LoadOptions {
        LoadOptions { topology: topology.to_path_buf(), profile: self.profile.clone(), phase: self.phase.clone() }
    }
}

/// The topology alone, then each profile of the project (`check`).
pub(crate) fn topology_and_profiles(topology: &Path) -> Vec<Target> {
    std::iter::once(Target::default()).chain(each_profile(topology)).collect()
}

/// Each profile of the project, in name order.
pub(crate) fn each_profile(topology: &Path) -> Vec<Target> {
    load::profile_names(topology).into_iter().map(|p| Target::new(Some(p), None)).collect()
}
