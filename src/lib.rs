//! archctl: typed infrastructure-as-code for Kubernetes.
//!
//! The pipeline is a chain of stages, each in its own module:
//! [`load`] (files → merged model) → [`validate`] (rules on the model) →
//! [`resolve`] (profile, phase → concrete values) → [`lint`] (rules on the
//! resolved values) → [`objects`] (typed k8s-openapi objects in apply order)
//! → [`emit`] (YAML, JSON, folders, a Helm chart). [`pipeline`] chains them;
//! [`command`] runs them for the CLI; only [`cli`] knows clap and only
//! [`term`] writes to the terminal. Everything is private to the crate but
//! [`api`], the surface the binary, the tests, the benches and the fuzzer
//! use.

mod address;
pub mod api;
mod cli;
mod command;
mod completion;
mod diagnostic;
mod diff;
mod emit;
mod exit;
mod explain;
mod graph;
mod import;
mod k8s;
mod lint;
mod load;
mod objects;
mod pipeline;
mod plan;
mod resolve;
mod scaffold;
mod schema;
mod settings;
mod snapshot;
mod term;
mod topology;
mod validate;
