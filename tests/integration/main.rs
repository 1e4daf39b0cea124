//! Integration tests: run the real `archctl` binary in temporary projects.

mod support;

mod check;
mod cluster;
mod corpus;
mod crds;
mod diff;
mod emulator;
mod errors;
mod features;
mod helm;
mod planning;
mod properties;
mod real_cluster;
mod render;
mod schema;
mod seeds;
mod snapshot;
