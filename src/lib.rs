//! archctl: typed infrastructure-as-code for Kubernetes.
//!
//! The pipeline is a chain of stages, each in its own module:
//! [`topology::load`] (files → merged model) → [`validate`] (rules) →
//! [`topology::resolve`] (profile, phase → concrete values) → [`build`]
//! (typed k8s-openapi objects in apply order) → [`emit`] (YAML, JSON,
//! folders). [`commands`] runs them for the CLI; only [`cli`] knows clap and
//! only [`term`] writes to the terminal.

pub mod address;
pub mod build;
pub mod cli;
pub mod commands;
pub mod dev;
pub mod diagnostic;
pub mod diff;
pub mod emit;
pub mod graph;
pub mod input;
pub mod parallel;
pub mod pipeline;
pub mod plan;
pub mod schema;
pub mod snapshot;
pub mod suggest;
pub mod term;
pub mod topology;
pub mod validate;

/// How a run ended, as `kubectl diff` counts: 0 same, 1 differences, 2 errors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Success,
    Differences,
    Error,
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(s: ExitStatus) -> Self {
        std::process::ExitCode::from(match s {
            ExitStatus::Success => 0,
            ExitStatus::Differences => 1,
            ExitStatus::Error => 2,
        })
    }
}

/// Runs a parsed command line.
pub fn run(cli: cli::Cli) -> ExitStatus {
    commands::run(cli)
}
