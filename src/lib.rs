//! archctl: typed infrastructure-as-code for Kubernetes.
//!
//! The pipeline is a chain of stages, each in its own module:
//! [`load`] (files → merged model) → [`validate`] (rules on the model) →
//! [`resolve`] (profile, phase → concrete values) → [`lint`] (rules on the
//! resolved values) → [`objects`] (typed k8s-openapi objects in apply order)
//! → [`emit`] (YAML, JSON, folders, a Helm chart). [`pipeline`] chains them;
//! [`command`] runs them for the CLI; only [`cli`] knows clap and only
//! [`term`] writes to the terminal.

pub mod address;
pub mod cli;
pub mod command;
pub mod diagnostic;
pub mod diff;
pub mod emit;
mod exit;
pub mod graph;
pub mod k8s;
pub mod lint;
pub mod load;
pub mod objects;
pub mod parallel;
pub mod pipeline;
pub mod plan;
pub mod resolve;
pub mod schema;
pub mod settings;
pub mod snapshot;
pub mod term;
pub mod topology;
pub mod validate;

pub use exit::ExitStatus;
