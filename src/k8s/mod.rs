//! Kubernetes knowledge every stage shares: resource quantities, the names
//! and label values the API server accepts, image references.

pub mod image;
pub mod names;
pub mod quantity;
