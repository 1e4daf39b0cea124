//! Kubernetes knowledge every stage shares: resource quantities, the names
//! and label values the API server accepts.

pub mod names;
pub mod quantity;
