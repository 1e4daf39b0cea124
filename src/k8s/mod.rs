//! Kubernetes knowledge every stage shares: resource quantities, the names
//! and label values the API server accepts, image references.

pub(crate) mod image;
pub(crate) mod names;
pub(crate) mod quantity;
