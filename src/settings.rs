//! The command line and the environment, turned once into what the commands
//! use: the topology file, the colours of each stream, and the renders each
//! command runs.
//!
//! Which profiles and phases a command runs is decided here and nowhere
//! else, as [`Target`]s; a command never builds load options by hand.

use std::path::{Path, PathBuf};

use crate::cli::{Cli, ColorChoice};
use crate::pipeline::{self, Target};
use crate::term;

/// Settings shared by every command.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// The topology file (`-f`).
    topology: PathBuf,
    pub colors: Colors,
}

/// Whether to colour each stream, decided once (`--color`, `NO_COLOR`,
/// whether the stream is a terminal).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Colors {
    pub stderr: bool,
    pub stdout: bool,
}

impl Colors {
    pub(crate) fn new(choice: ColorChoice) -> Colors {
        Colors { stderr: term::stderr_color(choice), stdout: term::stdout_color(choice) }
    }
}

impl Settings {
    pub(crate) fn new(cli: &Cli) -> Settings {
        Settings { topology: cli.topology.clone(), colors: Colors::new(cli.color) }
    }

    /// The project folder: the topology file's.
    pub(crate) fn base_dir(&self) -> PathBuf {
        crate::load::base_dir(&self.topology)
    }

    /// One render (`render`, `graph`, `diff`).
    pub(crate) fn one(&self, profile: &Option<String>, phase: &Option<String>) -> Target {
        Target::new(profile.clone(), phase.clone())
    }

    /// `check`: the profile asked for, else the topology alone and then
    /// every profile.
    pub(crate) fn to_check(&self, profile: &Option<String>) -> Vec<Target> {
        match profile {
            Some(p) => vec![Target::new(Some(p.clone()), None)],
            None => pipeline::topology_and_profiles(&self.topology),
        }
    }

    /// `plan`: the profiles asked for (`--profile`, repeatable), every
    /// profile with `--all-profiles`, else the topology alone.
    pub(crate) fn to_plan(&self, profiles: &[String], all: bool) -> Vec<Target> {
        if all {
            return self.to_snapshot();
        }
        if profiles.is_empty() {
            return vec![Target::default()];
        }
        let mut seen: Vec<&String> = Vec::new();
        profiles
            .iter()
            .filter(|p| {
                if seen.contains(p) {
                    false
                } else {
                    seen.push(p);
                    true
                }
            })
            .map(|p| Target::new(Some(p.clone()), None))
            .collect()
    }

    /// `snapshot`: every profile, or the topology alone when there is none.
    pub(crate) fn to_snapshot(&self) -> Vec<Target> {
        let profiles = pipeline::each_profile(&self.topology);
        if profiles.is_empty() { vec![Target::default()] } else { profiles }
    }

    /// `render --all-profiles`: every profile of `profiles/` (as `check`
    /// finds them) at `phase`, or the topology alone when there is none.
    pub(crate) fn to_hydrate(&self, phase: &Option<String>) -> Vec<Target> {
        self.to_snapshot().into_iter().map(|t| Target::new(t.profile, phase.clone())).collect()
    }

    /// The chart (`render --format helm`): every profile at `phase`, and
    /// the index of the primary one, whose values become the chart's
    /// `values.yaml`: the profile asked for (added first when it is not in
    /// `profiles/`), else the topology alone, added first.
    pub(crate) fn to_chart(&self, profile: &Option<String>, phase: &Option<String>) -> (Vec<Target>, usize) {
        let mut targets: Vec<Target> =
            pipeline::each_profile(&self.topology).into_iter().map(|t| Target::new(t.profile, phase.clone())).collect();
        match targets.iter().position(|t| profile.is_some() && t.profile == *profile) {
            Some(i) => (targets, i),
            None => {
                targets.insert(0, Target::new(profile.clone(), phase.clone()));
                (targets, 0)
            }
        }
    }

    /// What an output folder must never contain: the project's own files.
    pub(crate) fn protected(&self) -> Vec<PathBuf> {
        let base = self.base_dir();
        vec![
            self.topology.clone(),
            crate::load::profiles_dir(&self.topology),
            base.join("snapshots"),
            base.join("templates"),
        ]
    }

    pub(crate) fn topology(&self) -> &Path {
        &self.topology
    }
}
