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
    /// The Ingress's labels kept exactly as another tool made them (`archctl import`), in place
    /// of the project's and the recommended ones. Legacy: warned about as `W013`.
    pub legacy: Option<super::LegacyLabels>,
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
    /// The policy's labels kept exactly as another tool made them (`archctl import`), in place of
    /// the project's and the recommended ones. Legacy: warned about as `W013`.
    pub legacy: Option<super::LegacyLabels>,
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
    /// Traffic from a gateway of `[gateways]`: its namespace, and its pods by the gateway's
    /// `pod_labels` when it declares them. Not with other selectors.
    pub gateway: Option<String>,
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

/// A Gateway (gateway.networking.k8s.io/v1) that routes attach to, or one that already exists.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Gateway {
    /// Default: the project's namespace.
    pub namespace: Option<String>,
    /// `true`: the gateway exists in the cluster (managed elsewhere); nothing is rendered for it,
    /// and routes may still name it.
    #[serde(default)]
    pub external: bool,
    /// `gatewayClassName`; required unless `external`.
    pub class: Option<String>,
    /// The gateway's listeners (`listeners`); at least one unless `external`.
    #[serde(default)]
    pub listeners: Vec<Listener>,
    /// Labels of the gateway's own pods (the data plane), for network policy peers
    /// `{ gateway = "<name>" }`. Omitted: such a peer selects every pod of the gateway's namespace.
    pub pod_labels: Option<IndexMap<String, String>>,
    /// Annotations on the Gateway.
    #[serde(default)]
    pub annotations: IndexMap<String, String>,
    /// The Gateway's labels kept exactly as another tool made them (`archctl import`), in place
    /// of the project's and the recommended ones. Legacy: warned about as `W013`.
    pub legacy: Option<super::LegacyLabels>,
}

/// One listener of a gateway: a port, a protocol and an optional host name.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Listener {
    /// The listener's name (`name`), which routes name as `section`; an RFC 1123 label.
    pub name: String,
    /// `HTTP`, `HTTPS`, `TLS`, `TCP` or `UDP` (`protocol`).
    pub protocol: String,
    /// The port (`port`), 1–65535.
    pub port: i32,
    /// The host name the listener serves (`hostname`); a `*` only as the whole first label.
    pub hostname: Option<String>,
    /// Secrets holding the certificate and key for `HTTPS` and `TLS` listeners
    /// (`tls.certificateRefs`, mode `Terminate`), in the gateway's namespace.
    #[serde(default)]
    pub certificates: Vec<String>,
}

/// An HTTPRoute or GRPCRoute (gateway.networking.k8s.io/v1) attached to a gateway.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// `http` (default, an HTTPRoute) or `grpc` (a GRPCRoute).
    pub kind: Option<String>,
    /// Default: the project's namespace.
    pub namespace: Option<String>,
    /// Required: the gateway the route attaches to (`parentRefs`), by name (`"public"`) or as
    /// `{ name, namespace, section, external }`.
    pub gateway: GatewayRef,
    /// Host names the route serves (`hostnames`); a `*` only as the whole first label. Omitted: the
    /// listener's.
    #[serde(default)]
    pub hostnames: Vec<String>,
    /// Annotations on the route.
    #[serde(default)]
    pub annotations: IndexMap<String, String>,
    /// Required: the rules, each matches and the backends they go to (`rules`).
    pub rules: Vec<RouteRule>,
    /// The route's labels kept exactly as another tool made them (`archctl import`), in place of
    /// the project's and the recommended ones. Legacy: warned about as `W013`.
    pub legacy: Option<super::LegacyLabels>,
}

/// The gateway a route attaches to.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GatewayTarget {
    /// The gateway's name: one of `[gateways]`, unless `external`.
    pub name: String,
    /// The gateway's namespace; default: that of the `[gateways]` entry, else the route's.
    pub namespace: Option<String>,
    /// One listener of the gateway, by name (`sectionName`).
    pub section: Option<String>,
    /// `true`: the gateway exists in the cluster and is not in `[gateways]`.
    #[serde(default)]
    pub external: bool,
}

/// A gateway by name, or with its namespace, listener and whether it is external.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum GatewayRef {
    /// A gateway of `[gateways]` by name.
    Name(String),
    /// `{ name, namespace, section, external }`.
    Target(GatewayTarget),
}

impl<'de> Deserialize<'de> for GatewayRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        super::string_or_struct(d, GatewayRef::Name, GatewayRef::Target)
    }
}

impl GatewayRef {
    /// As a target: a bare name is `{ name }`.
    pub fn target(&self) -> GatewayTarget {
        match self {
            GatewayRef::Name(n) => GatewayTarget { name: n.clone(), ..Default::default() },
            GatewayRef::Target(t) => t.clone(),
        }
    }
}

/// One rule of a route: requests that match, and the backends they go to.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    /// Matches (`matches`); a request matching any of them takes this rule. Omitted: every request
    /// (`/` as a prefix for HTTP).
    #[serde(default)]
    pub matches: Vec<RouteMatch>,
    /// Required: services of the topology that get the traffic (`backendRefs`).
    pub backends: Vec<RouteBackend>,
}

/// What a request must look like: its path (HTTP) or method (gRPC), and headers.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteMatch {
    /// HTTP routes: the URL path (`path.value`); it must start with `/`.
    pub path: Option<String>,
    /// HTTP routes: `PathPrefix` (default), `Exact` or `RegularExpression` (`path.type`).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// gRPC routes: the service (`method.service`), such as `"shop.Cart"`.
    pub grpc_service: Option<String>,
    /// gRPC routes: the method (`method.method`), such as `"AddItem"`.
    pub grpc_method: Option<String>,
    /// Headers that must have these exact values (`headers`, type `Exact`).
    #[serde(default)]
    pub headers: IndexMap<String, String>,
}

/// A service of the topology that gets part of a rule's traffic.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteBackend {
    /// The service; in another namespace than the route, a ReferenceGrant is rendered in the
    /// service's namespace.
    pub service: String,
    /// The service's port, by number or name; defaults to its first port.
    pub port: Option<PortRef>,
    /// The share of the rule's traffic (`weight`), 0–1000000; default 1.
    pub weight: Option<i32>,
}

impl super::Topology {
    /// The namespace of the gateway a route in `route_ns` attaches to: as given, else the
    /// `[gateways]` entry's, else the route's own.
    pub fn gateway_namespace(&self, route_ns: &str, target: &GatewayTarget) -> String {
        if let Some(ns) = &target.namespace {
            return ns.clone();
        }
        match self.gateways.get(&target.name) {
            Some(g) => self.namespace_of(&g.namespace).to_string(),
            None => route_ns.to_string(),
        }
    }
}
