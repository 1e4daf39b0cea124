//! The public surface of the library: what the `archctl` binary, the
//! integration tests, the benchmarks and the fuzzer use. Everything else is
//! private to the crate (`unreachable_pub` is denied), so that the compiler
//! sees dead code and no caller outside grows to depend on internals.
//!
//! - the binary: [`Cli`] (clap) and [`run`];
//! - a whole render: [`Target`], [`render`], [`check`] and what they return;
//! - each stage on its own (benchmarks): [`load()`], [`validate`],
//!   [`resolve()`], [`lints`], [`build`], [`write_built`], [`chart`];
//! - YAML: [`document`], [`stream`], [`parse_stream`] (tests read renders
//!   with the reader archctl itself uses);
//! - [`KINDS`]: the kinds archctl renders, with their API groups (the
//!   tests install and check their CRDs).

pub use crate::cli::Cli;
pub use crate::command::run;
pub use crate::emit::helm::{Skeleton, Variant, chart};
pub use crate::emit::yaml::{ReadError, document, parse_stream, stream, write_built, write_stream};
pub use crate::emit::{Format, write};
pub use crate::exit::ExitStatus;
pub use crate::lint::lints;
pub use crate::load::{LoadOptions, Loaded, load, profile_names};
pub use crate::objects::object::KINDS;
pub use crate::objects::{Object, build};
pub use crate::pipeline::{Checked, Failed, Rendered, Target, check, render};
pub use crate::resolve::{Resolved, resolve};
pub use crate::validate::validate;
