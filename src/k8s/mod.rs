//! Kubernetes knowledge every stage shares: resource quantities, the names
//! and label values the API server accepts, image references, and the
//! recommended labels (with the stable subset selectors use), and field
//! paths into objects.

pub(crate) mod field;
pub(crate) mod image;
pub(crate) mod labels;
pub(crate) mod names;
pub(crate) mod quantity;
