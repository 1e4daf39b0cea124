//! Where live objects come from: a cluster behind a trait, so that the
//! diff itself is a pure function testable without a network.

use std::fmt;

use serde_json::Value;

/// What kind of object a request is about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Kind {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
}

impl Kind {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.group, self.version) }
    }
}

/// Why a request failed, in the terms the diff acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClusterError {
    /// The object (or its kind) does not exist.
    NotFound(String),
    /// The kind is not served by this cluster (CRD not installed).
    UnknownKind(String),
    /// The namespace of the object does not exist yet.
    NamespaceMissing(String),
    /// RBAC or another authoriser refused.
    Forbidden(String),
    /// The change touches an immutable field.
    Immutable(String),
    /// Any other refusal (validation, webhook …).
    Rejected(String),
    /// The cluster could not be reached or answered garbage.
    Unreachable(String),
    /// Credentials are missing, wrong or expired.
    Unauthorized(String),
}

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterError::NotFound(m)
            | ClusterError::UnknownKind(m)
            | ClusterError::NamespaceMissing(m)
            | ClusterError::Forbidden(m)
            | ClusterError::Immutable(m)
            | ClusterError::Rejected(m)
            | ClusterError::Unreachable(m)
            | ClusterError::Unauthorized(m) => f.write_str(m),
        }
    }
}

/// Read access plus dry-run apply: all the diff ever asks of a cluster.
#[allow(async_fn_in_trait)]
pub trait Cluster {
    /// Objects of a kind in a namespace (or cluster-wide) that carry the
    /// labels of `selector`.
    async fn list(&self, kind: &Kind, namespace: Option<&str>, selector: &str) -> Result<Vec<Value>, ClusterError>;

    /// One object, or None.
    async fn get(&self, kind: &Kind, namespace: Option<&str>, name: &str) -> Result<Option<Value>, ClusterError>;

    /// What the object would become if applied (server-side apply with
    /// `dryRun=All`); None where the source cannot tell (files on disk).
    async fn dry_run_apply(&self, kind: &Kind, object: &Value) -> Result<Option<Value>, ClusterError>;
}
