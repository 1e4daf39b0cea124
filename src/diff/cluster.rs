//! Where live objects come from: a cluster behind a trait, so that the
//! diff itself is a pure function testable without a network.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value;

/// The API resource a request is about: group, version, kind and plural.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Resource {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub namespaced: bool,
}

impl Resource {
    pub(crate) fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.group, self.version) }
    }
}

/// One field another manager owns, which a plain server-side apply would
/// refuse to take over (HTTP 409).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Conflict {
    /// The field manager that owns the field (`kubectl-edit`, `helm` …).
    pub manager: String,
    /// The field, as the server names it (`.spec.replicas`).
    pub field: String,
}

/// Why a request failed, in the terms the diff acts on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ClusterError {
    /// The object (or its kind) does not exist.
    NotFound(String),
    /// The kind is not served by this cluster (CRD not installed).
    UnknownKind(String),
    /// The namespace of the object does not exist yet.
    NamespaceMissing(String),
    /// RBAC refused the verb: the diff falls back where it can.
    Forbidden(String),
    /// A 403 that is not RBAC: an admission webhook, a quota, a
    /// terminating namespace. Apply would fail the same way.
    Denied(String),
    /// A plain server-side apply would fail: other managers own fields.
    Conflict { message: String, conflicts: Vec<Conflict> },
    /// The change touches an immutable field.
    Immutable(String),
    /// Any other refusal (validation …).
    Rejected(String),
    /// One request did not finish in time (after its retries).
    Timeout(String),
    /// The cluster could not be reached or answered garbage.
    Unreachable(String),
    /// Credentials are missing, wrong or expired.
    Unauthorized(String),
}

impl ClusterError {
    /// Whether the whole run should stop: nothing else can succeed.
    pub(crate) fn is_fatal(&self) -> bool {
        matches!(self, ClusterError::Unreachable(_) | ClusterError::Unauthorized(_))
    }
}

impl fmt::Display for ClusterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClusterError::NotFound(m)
            | ClusterError::UnknownKind(m)
            | ClusterError::NamespaceMissing(m)
            | ClusterError::Forbidden(m)
            | ClusterError::Denied(m)
            | ClusterError::Immutable(m)
            | ClusterError::Rejected(m)
            | ClusterError::Timeout(m)
            | ClusterError::Unreachable(m)
            | ClusterError::Unauthorized(m) => f.write_str(m),
            ClusterError::Conflict { message, .. } => f.write_str(message),
        }
    }
}

/// One served version of a kind, from discovery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ServedVersion {
    pub version: String,
    pub plural: String,
    pub namespaced: bool,
}

/// What the cluster serves, from discovery: for each `(group, kind)` its
/// versions, the preferred one first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Served {
    pub kinds: BTreeMap<(String, String), Vec<ServedVersion>>,
}

impl Served {
    /// The versions of a kind the cluster serves (empty: not served).
    pub(crate) fn versions(&self, group: &str, kind: &str) -> &[ServedVersion] {
        self.kinds.get(&(group.to_string(), kind.to_string())).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The served `kind` at `version`, if any.
    pub(crate) fn get(&self, group: &str, kind: &str, version: &str) -> Option<&ServedVersion> {
        self.versions(group, kind).iter().find(|v| v.version == version)
    }

    /// `kind` in the version the cluster prefers, if it serves the kind.
    pub(crate) fn preferred(&self, group: &str, kind: &str) -> Option<Resource> {
        self.versions(group, kind).first().map(|v| Resource {
            group: group.to_string(),
            version: v.version.clone(),
            kind: kind.to_string(),
            plural: v.plural.clone(),
            namespaced: v.namespaced,
        })
    }
}

/// Read access plus dry-run apply: all the diff ever asks of a cluster.
#[allow(async_fn_in_trait)]
pub(crate) trait Cluster {
    /// What the cluster serves; None where the source cannot tell (files
    /// on disk), and then every kind counts as served.
    async fn discover(&self) -> Result<Option<Served>, ClusterError>;

    /// Objects of a kind in a namespace, or in every namespace (None),
    /// that carry the labels of `selector`.
    async fn list(&self, kind: &Resource, namespace: Option<&str>, selector: &str) -> Result<Vec<Value>, ClusterError>;

    /// One object, or None.
    async fn get(&self, kind: &Resource, namespace: Option<&str>, name: &str) -> Result<Option<Value>, ClusterError>;

    /// What the object would become if applied (server-side apply with
    /// `dryRun=All`, taking over fields of other managers when `force`);
    /// None where the source cannot tell (files on disk).
    async fn dry_run_apply(&self, kind: &Resource, object: &Value, force: bool) -> Result<Option<Value>, ClusterError>;
}
