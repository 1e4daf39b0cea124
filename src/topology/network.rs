//! Ingress, network policies and secret stores.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::PortRef;

/// An Ingress (networking.k8s.io/v1).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ingress {
    pub namespace: Option<String>,
    /// `ingressClassName`.
    pub class: Option<String>,
    #[serde(default)]
    pub annotations: IndexMap<String, String>,
    #[serde(default)]
    pub tls: Vec<IngressTls>,
    pub rules: Vec<IngressRule>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngressTls {
    pub hosts: Vec<String>,
    pub secret: String,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngressRule {
    pub host: Option<String>,
    pub paths: Vec<IngressPath>,
}

/// A path routed to a service of the topology.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngressPath {
    pub path: String,
    /// `Prefix` (default), `Exact` or `ImplementationSpecific`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub service: String,
    /// The service's port, by number or name; defaults to its first port.
    pub port: Option<PortRef>,
}

/// A NetworkPolicy for the pods of one service (or of a whole namespace).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkPolicy {
    pub namespace: Option<String>,
    /// The service whose pods the policy selects; omit for every pod of the
    /// namespace.
    pub service: Option<String>,
    /// Allowed incoming traffic; an empty list denies all.
    pub ingress: Option<Vec<PolicyRule>>,
    /// Allowed outgoing traffic; an empty list denies all.
    pub egress: Option<Vec<PolicyRule>>,
}

/// One allow rule: from/to these peers, on these ports.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    /// Peers (for `ingress`).
    #[serde(default)]
    pub from: Vec<Peer>,
    /// Peers (for `egress`).
    #[serde(default)]
    pub to: Vec<Peer>,
    /// Ports, by number or name; `53/UDP` style strings give a protocol.
    #[serde(default)]
    pub ports: Vec<PortRef>,
    /// Shorthand for the cluster DNS: kube-system's kube-dns pods on 53
    /// over UDP and TCP.
    #[serde(default)]
    pub dns: bool,
}

/// A peer: namespaces by labels, pods by labels, a service of the
/// topology, or an IP block.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Peer {
    /// Namespaces with these labels.
    pub namespace_labels: Option<IndexMap<String, String>>,
    /// A namespace of the topology, by name.
    pub namespace: Option<String>,
    /// Pods with these labels.
    pub pod_labels: Option<IndexMap<String, String>>,
    /// The pods of a service of the topology.
    pub service: Option<String>,
    pub cidr: Option<String>,
    #[serde(default)]
    pub except: Vec<String>,
}

/// A SecretStore or ClusterSecretStore that already exists in the cluster.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SecretStoreRef {
    /// `SecretStore` (default) or `ClusterSecretStore`.
    pub kind: Option<String>,
    /// The store's name in the cluster; defaults to the key.
    pub name: Option<String>,
    /// The external-secrets API version: `v1` (default) or `v1beta1`
    /// (only for external-secrets before 0.17: later releases no longer
    /// serve it).
    pub api_version: Option<String>,
}

/// Where a secret's values live in its store.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum RemoteRef {
    /// One remote key; each secret key is a property of it.
    Key(String),
    /// Secret key → remote key (optionally `remote#property`).
    Keys(IndexMap<String, String>),
}

impl<'de> Deserialize<'de> for RemoteRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::string_or_struct(d, RemoteRef::Key, RemoteRef::Keys)
    }
}
