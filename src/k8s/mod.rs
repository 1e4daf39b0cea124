//! Kubernetes knowledge every stage shares: resource quantities, the names
//! and label values the API server accepts, image references, and the
//! recommended labels (with the stable subset selectors use), field paths
//! into objects, and the fields the API server fills in (`defaults`).

pub(crate) mod defaults;
pub(crate) mod field;
pub(crate) mod image;
pub(crate) mod labels;
pub(crate) mod names;
pub(crate) mod quantity;

/// `apps/v1 Deployment ns/name`: an object as reports name it.
pub(crate) fn describe(v: &serde_json::Value) -> String {
    let api = v["apiVersion"].as_str().unwrap_or("");
    let kind = v["kind"].as_str().unwrap_or("");
    let name = v["metadata"]["name"].as_str().unwrap_or("");
    match v["metadata"]["namespace"].as_str() {
        Some(ns) => format!("{api} {kind} {ns}/{name}"),
        None => format!("{api} {kind} {name}"),
    }
}
