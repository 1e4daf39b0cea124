//! Ingress, network policies and secret stores.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::PortRef;

/// An Ingress (networking.k8s.io/v1).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Ingress {
    /// Default: the project's namespace.
    pub namespace: Option<String>,
    /// `ingressClassName`.
    pub class: Option<String>,
    /// Annotations on the Ingress, such as an ingress controller's or cert-manager's settings.
    #[serde(default)]
    pub annotations: IndexMap<String, String>,
    /// Hosts served over TLS, with the Secret of their certificate (`tls`).
    #[serde(default)]
    pub tls: Vec<IngressTls>,
    /// Required: hosts and their paths (`rules`).
    pub rules: Vec<IngressRule>,
}

/// Hosts served with one certificate.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngressTls {
    /// The hosts the certificate covers (`hosts`).
    pub hosts: Vec<String>,
    /// The Secret holding the certificate and its key (`secretName`).
    pub secret: String,
}

/// The paths routed for one host.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngressRule {
    /// The host name (`host`); a `*` only as the whole first label (`*.example.com`). Omitted:
    /// every host.
    pub host: Option<String>,
    /// The paths routed to services (`http.paths`).
    pub paths: Vec<IngressPath>,
}

/// A path routed to a service of the topology.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IngressPath {
    /// The URL path (`path`); it must start with `/`.
    pub path: String,
    /// `Prefix` (default), `Exact` or `ImplementationSpecific`.
    /// Becomes `pathType`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// The service of the topology that gets the traffic; it must be in the ingress's namespace and
    /// expose the port.
    pub service: String,
    /// The service's port, by number or name; defaults to its first port.
    /// That is the Service port of the first exposed port of the main container, else of a sidecar.
    pub port: Option<PortRef>,
}

/// A Service that fronts the pods of several services of the topology: one API address for an
/// ingestion and a query deployment, say. Each selected service's pods get the label
/// `shared.archctl.io/<name>: "true"`, and the Service selects it.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SharedService {
    /// Default: the project's namespace. Every selected service must be in it.
    pub namespace: Option<String>,
    /// Required, at least one: the services whose pods the Service selects (deployments and
    /// statefulsets).
    pub services: Vec<String>,
    /// Required, at least one: names of container ports that every selected service declares,
    /// with one protocol. The Service's port is the first service's `service_port` (else
    /// `port`) for that name; its target is the name, so each workload may use its own number.
    pub ports: Vec<String>,
    /// `ClusterIP` (default), `LoadBalancer`, `NodePort` or `Headless`.
    #[serde(rename = "type")]
    pub kind: Option<super::ServiceType>,
    /// Annotations on the Service, such as a cloud load balancer's settings.
    #[serde(default)]
    pub annotations: IndexMap<String, String>,
}

/// A NetworkPolicy for the pods of one service (or of a whole namespace).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NetworkPolicy {
    /// Default: the project's namespace.
    pub namespace: Option<String>,
    /// The service whose pods the policy selects; omit `service`, `services` and `pod_labels` for
    /// every pod of the namespace.
    pub service: Option<String>,
    /// The services whose pods the policy selects, all in its namespace: one policy for several
    /// workloads (`app.kubernetes.io/name In [...]`). Not with `service` or `pod_labels`.
    #[serde(default)]
    pub services: Vec<String>,
    /// The pods the policy selects, by their labels (`podSelector.matchLabels`), such as the
    /// `labels` several services share. Not with `service` or `services`.
    pub pod_labels: Option<IndexMap<String, String>>,
    /// Allowed incoming traffic; an empty list denies all.
    /// Given, even empty, it puts `Ingress` in `policyTypes`; omitted, this policy does not
    /// restrict incoming traffic.
    pub ingress: Option<Vec<PolicyRule>>,
    /// Allowed outgoing traffic; an empty list denies all.
    /// Given, even empty, it puts `Egress` in `policyTypes`; omitted, this policy does not restrict
    /// outgoing traffic.
    pub egress: Option<Vec<PolicyRule>>,
}

/// One allow rule: from/to these peers, on these ports.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    /// Peers (for `ingress`).
    /// Not in `egress` rules. A rule without peers allows every peer.
    #[serde(default)]
    pub from: Vec<Peer>,
    /// Peers (for `egress`).
    /// Not in `ingress` rules. A rule without peers allows every peer.
    #[serde(default)]
    pub to: Vec<Peer>,
    /// Ports, by number or name; `53/UDP` style strings give a protocol.
    /// A rule without ports allows every port.
    #[serde(default)]
    pub ports: Vec<PortRef>,
    /// Shorthand for the cluster DNS: kube-system's kube-dns pods on 53
    /// over UDP and TCP.
    /// A rule of its own: not with peers or ports.
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
    /// It is selected by its `kubernetes.io/metadata.name` label and must be declared. Not with
    /// `namespace_labels`.
    pub namespace: Option<String>,
    /// Pods with these labels.
    pub pod_labels: Option<IndexMap<String, String>>,
    /// The pods of a service of the topology.
    /// A service in another namespace also gets a namespace selector for it, unless one is given.
    pub service: Option<String>,
    /// An IP block (`ipBlock.cidr`) such as `"10.0.0.0/8"`, instead of a selection of namespaces
    /// and pods.
    pub cidr: Option<String>,
    /// With `cidr`: blocks inside it that are not allowed (`ipBlock.except`).
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
