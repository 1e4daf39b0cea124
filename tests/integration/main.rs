//! Integration tests: run the real `archctl` binary in temporary projects.

mod support;

mod apply;
mod autoscaling;
mod canary;
mod check;
mod cluster;
mod corpus;
mod crds;
mod diff;
mod docs;
mod errors;
mod explain;
mod fault_proxy_selftest;
mod faults;
mod features;
mod findings;
mod fleet;
mod gitops;
mod helm;
mod help;
mod import;
mod init;
mod layout;
mod man;
mod pipes;
mod planning;
mod properties;
mod reads;
mod real_cluster;
mod render;
mod schema;
mod seeds;
mod selection;
mod snapshot;
mod yaml_readers;
