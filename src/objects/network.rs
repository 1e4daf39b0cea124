//! Network objects: Ingress and NetworkPolicy.

use std::collections::BTreeMap;

use k8s_openapi::api::networking::v1::{
    HTTPIngressPath, HTTPIngressRuleValue, IPBlock, Ingress, IngressBackend, IngressRule, IngressServiceBackend,
    IngressSpec, IngressTLS, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec, ServiceBackendPort,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, LabelSelectorRequirement, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::crd::{
    AllowedRoutes, BackendRef, GRPCMethodMatch, GRPCRoute, GRPCRouteMatch, GRPCRouteRule, GRPCRouteSpec, Gateway,
    GatewaySpec, HTTPPathMatch, HTTPRoute, HTTPRouteMatch, HTTPRouteRule, HTTPRouteSpec, HeaderMatch,
    Listener as GwListener, ListenerTls, ParentReference, ReferenceGrant, ReferenceGrantFrom, ReferenceGrantSpec,
    ReferenceGrantTo, RouteNamespaces, SecretObjectReference,
};
use super::{Object, annotations};
use crate::k8s::labels::LabelSet;
use crate::resolve::Resolved;
use crate::topology::{self, PortRef};

/// The label every namespace carries with its own name (Kubernetes ≥ 1.21).
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

fn selector(labels: BTreeMap<String, String>) -> LabelSelector {
    LabelSelector { match_labels: Some(labels), ..Default::default() }
}

fn map(m: &indexmap::IndexMap<String, String>) -> BTreeMap<String, String> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The selector labels of a service's pods.
fn service_selector(r: &Resolved, service: &str) -> BTreeMap<String, String> {
    crate::k8s::labels::pod_selector(&r.topology.project, service, r.topology.services.get(service))
}

/// The port of a service a reference means: its number, or its name.
pub(super) fn service_port(r: &Resolved, service: &str, port: Option<&PortRef>) -> Option<ServiceBackendPort> {
    match port {
        Some(PortRef::Number(n)) => Some(ServiceBackendPort { number: Some(*n), name: None }),
        Some(PortRef::Name(n)) => Some(ServiceBackendPort { name: Some(n.clone()), number: None }),
        None => {
            let svc = r.topology.services.get(service)?;
            if let Some(l) = &svc.legacy {
                let p = l.service.as_ref()?.ports.first()?;
                return Some(ServiceBackendPort { number: Some(p.port), name: None });
            }
            let (_, p) = svc
                .container
                .ports
                .iter()
                .chain(svc.sidecars.iter().flat_map(|c| c.ports.iter()))
                .find(|(_, p)| p.expose)?;
            Some(ServiceBackendPort { number: Some(p.service_port.unwrap_or(p.port)), name: None })
        }
    }
}

pub(super) fn ingresses(r: &Resolved, out: &mut Vec<Object>) {
    let topo = &r.topology;
    if !topo.features.ingress {
        return;
    }
    for (name, ing) in &topo.ingresses {
        let set = LabelSet { project: &topo.project, name, component: "ingress", version: None };
        let rules = ing
            .rules
            .iter()
            .map(|rule| IngressRule {
                host: rule.host.clone(),
                http: Some(HTTPIngressRuleValue {
                    paths: rule
                        .paths
                        .iter()
                        .map(|p| HTTPIngressPath {
                            path: Some(p.path.clone()),
                            path_type: p.kind.clone().unwrap_or_else(|| "Prefix".into()),
                            backend: IngressBackend {
                                service: Some(IngressServiceBackend {
                                    name: p.service.clone(),
                                    port: service_port(r, &p.service, p.port.as_ref()),
                                }),
                                ..Default::default()
                            },
                        })
                        .collect(),
                }),
            })
            .collect();
        let tls: Vec<IngressTLS> = ing
            .tls
            .iter()
            .map(|t| IngressTLS { hosts: Some(t.hosts.clone()), secret_name: Some(t.secret.clone()) })
            .collect();
        out.push(
            Ingress {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(r.topology.namespace_of(&ing.namespace).to_string()),
                    labels: set.or_legacy(ing.legacy.as_ref(), []),
                    annotations: annotations(&topo.project.annotations, &ing.annotations),
                    ..Default::default()
                },
                spec: Some(IngressSpec {
                    ingress_class_name: ing.class.clone(),
                    tls: (!tls.is_empty()).then_some(tls),
                    rules: Some(rules),
                    ..Default::default()
                }),
                ..Default::default()
            }
            .into(),
        );
    }
}

pub(super) fn network_policies(r: &Resolved, out: &mut Vec<Object>) {
    let topo = &r.topology;
    if !topo.features.network_policies {
        return;
    }
    for (ns, spec) in &topo.namespaces {
        if !spec.default_deny {
            continue;
        }
        let set = LabelSet { project: &topo.project, name: "default-deny", component: "network-policy", version: None };
        out.push(
            NetworkPolicy {
                metadata: ObjectMeta {
                    name: Some("default-deny".into()),
                    namespace: Some(ns.clone()),
                    labels: Some(set.all([])),
                    annotations: annotations(&topo.project.annotations, &Default::default()),
                    ..Default::default()
                },
                spec: Some(NetworkPolicySpec {
                    pod_selector: Some(LabelSelector::default()),
                    policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
                    ..Default::default()
                }),
            }
            .into(),
        );
    }
    for (name, pol) in &topo.network_policies {
        let ns = r.topology.namespace_of(&pol.namespace).to_string();
        let set = LabelSet { project: &topo.project, name, component: "network-policy", version: None };
        let pod_selector = match (&pol.service, &pol.services[..], &pol.pod_labels) {
            (Some(s), _, _) => selector(service_selector(r, s)),
            (None, [], Some(labels)) => selector(map(labels)),
            (None, [], None) => LabelSelector::default(),
            // several services: their one instance, and any of their names
            (None, names, _) => LabelSelector {
                match_labels: Some(BTreeMap::from([(
                    crate::k8s::labels::INSTANCE.to_string(),
                    r.topology.project.name.clone(),
                )])),
                match_expressions: Some(vec![LabelSelectorRequirement {
                    key: crate::k8s::labels::NAME.to_string(),
                    operator: "In".into(),
                    values: Some(names.to_vec()),
                }]),
            },
        };
        let mut types = Vec::new();
        // a legacy policy that denies a direction writes no empty list of rules, as it was
        let legacy = pol.legacy.is_some();
        let ingress = pol.ingress.as_ref().map(|rules| {
            types.push("Ingress".to_string());
            rules
                .iter()
                .map(|rule| {
                    let (peers, ports) = rule_parts(r, &ns, rule, &rule.from);
                    NetworkPolicyIngressRule { from: peers, ports }
                })
                .collect()
        });
        let egress = pol.egress.as_ref().map(|rules| {
            types.push("Egress".to_string());
            rules
                .iter()
                .map(|rule| {
                    let (peers, ports) = rule_parts(r, &ns, rule, &rule.to);
                    NetworkPolicyEgressRule { to: peers, ports }
                })
                .collect()
        });
        out.push(
            NetworkPolicy {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(ns.clone()),
                    labels: set.or_legacy(pol.legacy.as_ref(), []),
                    annotations: annotations(&topo.project.annotations, &Default::default()),
                    ..Default::default()
                },
                spec: Some(NetworkPolicySpec {
                    pod_selector: Some(pod_selector),
                    policy_types: Some(types),
                    ingress: ingress.filter(|r: &Vec<_>| !legacy || !r.is_empty()),
                    egress: egress.filter(|r: &Vec<_>| !legacy || !r.is_empty()),
                }),
            }
            .into(),
        );
    }
}

type RuleParts = (Option<Vec<NetworkPolicyPeer>>, Option<Vec<NetworkPolicyPort>>);

/// Peers and ports of one rule; `dns = true` is kube-dns on port 53.
fn rule_parts(r: &Resolved, ns: &str, rule: &topology::PolicyRule, peers: &[topology::Peer]) -> RuleParts {
    if rule.dns {
        let peer = NetworkPolicyPeer {
            namespace_selector: Some(selector(BTreeMap::from([(NAMESPACE_NAME_LABEL.into(), "kube-system".into())]))),
            pod_selector: Some(selector(BTreeMap::from([("k8s-app".into(), "kube-dns".into())]))),
            ..Default::default()
        };
        let ports = ["UDP", "TCP"]
            .iter()
            .map(|proto| NetworkPolicyPort {
                port: Some(IntOrString::Int(53)),
                protocol: Some(proto.to_string()),
                ..Default::default()
            })
            .collect();
        return (Some(vec![peer]), Some(ports));
    }
    let peers: Vec<NetworkPolicyPeer> = peers.iter().map(|p| peer(r, ns, p)).collect();
    let ports: Vec<NetworkPolicyPort> = rule.ports.iter().map(policy_port).collect();
    ((!peers.is_empty()).then_some(peers), (!ports.is_empty()).then_some(ports))
}

fn peer(r: &Resolved, ns: &str, p: &topology::Peer) -> NetworkPolicyPeer {
    if let Some(cidr) = &p.cidr {
        return NetworkPolicyPeer {
            ip_block: Some(IPBlock { cidr: cidr.clone(), except: (!p.except.is_empty()).then(|| p.except.clone()) }),
            ..Default::default()
        };
    }
    let mut namespace_selector = p.namespace_labels.as_ref().map(|l| selector(map(l)));
    if let Some(n) = &p.namespace {
        namespace_selector = Some(selector(BTreeMap::from([(NAMESPACE_NAME_LABEL.into(), n.clone())])));
    }
    let mut pod_selector = p.pod_labels.as_ref().map(|l| selector(map(l)));
    if let Some(s) = &p.service {
        pod_selector = Some(selector(service_selector(r, s)));
        let svc_ns = r.services.get(s).map(|v| v.namespace.clone());
        if let Some(svc_ns) = svc_ns
            && svc_ns != ns
            && namespace_selector.is_none()
        {
            namespace_selector = Some(selector(BTreeMap::from([(NAMESPACE_NAME_LABEL.into(), svc_ns)])));
        }
    }
    if let Some(g) = &p.gateway
        && let Some(gw) = r.topology.gateways.get(g)
    {
        let gw_ns = r.topology.namespace_of(&gw.namespace).to_string();
        namespace_selector = Some(selector(BTreeMap::from([(NAMESPACE_NAME_LABEL.into(), gw_ns)])));
        pod_selector = gw.pod_labels.as_ref().map(|l| selector(map(l)));
    }
    NetworkPolicyPeer { namespace_selector, pod_selector, ..Default::default() }
}

/// `8000`, `"http"`, or `"53/UDP"`.
fn policy_port(p: &PortRef) -> NetworkPolicyPort {
    match p {
        PortRef::Number(n) => NetworkPolicyPort { port: Some(IntOrString::Int(*n)), ..Default::default() },
        PortRef::Name(s) => {
            let (port, proto) = match s.split_once('/') {
                Some((a, b)) => (a, Some(b.to_ascii_uppercase())),
                None => (s.as_str(), None),
            };
            let port = match port.parse::<i32>() {
                Ok(n) => IntOrString::Int(n),
                Err(_) => IntOrString::String(port.to_string()),
            };
            NetworkPolicyPort { port: Some(port), protocol: proto, ..Default::default() }
        }
    }
}

/// The Service port number a route backend means: a number as given, a name (or nothing: the
/// first exposed port) looked up among the service's ports. 0 when there is none (`check` reports
/// it).
fn backend_port(r: &Resolved, service: &str, port: Option<&PortRef>) -> i32 {
    if let Some(PortRef::Number(n)) = port {
        return *n;
    }
    let Some(svc) = r.topology.services.get(service) else { return 0 };
    svc.container
        .ports
        .iter()
        .chain(svc.sidecars.iter().flat_map(|c| c.ports.iter()))
        .filter(|(_, p)| p.expose)
        .find(|(n, _)| match port {
            Some(PortRef::Name(want)) => *n == want,
            _ => true,
        })
        .map(|(_, p)| p.service_port.unwrap_or(p.port))
        .unwrap_or(0)
}

fn header_matches(h: &indexmap::IndexMap<String, String>) -> Vec<HeaderMatch> {
    h.iter().map(|(k, v)| HeaderMatch { kind: "Exact".into(), name: k.clone(), value: v.clone() }).collect()
}

/// Gateways, ReferenceGrants, HTTPRoutes and GRPCRoutes (`features.gateway_api`).
pub(super) fn gateway_api(r: &Resolved, out: &mut Vec<Object>) {
    let topo = &r.topology;
    if !topo.features.gateway_api {
        return;
    }
    for (name, gw) in &topo.gateways {
        if gw.external {
            continue;
        }
        let ns = topo.namespace_of(&gw.namespace).to_string();
        // routes of other namespaces may attach only when the listener allows them
        let foreign = topo.routes.values().any(|rt| {
            let rns = topo.namespace_of(&rt.namespace);
            let t = rt.gateway.target();
            t.name == *name && !t.external && topo.gateway_namespace(rns, &t) == ns && rns != ns
        });
        let set = LabelSet { project: &topo.project, name, component: "gateway", version: None };
        let listeners = gw
            .listeners
            .iter()
            .map(|l| GwListener {
                name: l.name.clone(),
                hostname: l.hostname.clone(),
                port: l.port,
                protocol: l.protocol.clone(),
                tls: (!l.certificates.is_empty()).then(|| ListenerTls {
                    mode: "Terminate".into(),
                    certificate_refs: l
                        .certificates
                        .iter()
                        .map(|c| SecretObjectReference { kind: "Secret".into(), name: c.clone() })
                        .collect(),
                }),
                allowed_routes: foreign.then(|| AllowedRoutes { namespaces: RouteNamespaces { from: "All".into() } }),
            })
            .collect();
        out.push(
            Gateway {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(ns),
                    labels: set.or_legacy(gw.legacy.as_ref(), []),
                    annotations: annotations(&topo.project.annotations, &gw.annotations),
                    ..Default::default()
                },
                spec: GatewaySpec { gateway_class_name: gw.class.clone().unwrap_or_default(), listeners },
            }
            .into(),
        );
    }
    // (service namespace, route kind, route namespace) → the grant each needs, once
    let mut grants: std::collections::BTreeSet<(String, &'static str, String)> = Default::default();
    for (name, rt) in &topo.routes {
        let ns = topo.namespace_of(&rt.namespace).to_string();
        let grpc = rt.kind.as_deref() == Some("grpc");
        let t = rt.gateway.target();
        let gw_ns = topo.gateway_namespace(&ns, &t);
        let parent_refs = vec![ParentReference {
            name: t.name.clone(),
            namespace: (gw_ns != ns).then_some(gw_ns),
            section_name: t.section.clone(),
        }];
        let set = LabelSet { project: &topo.project, name, component: "route", version: None };
        let backends = |rule: &topology::RouteRule| -> Vec<BackendRef> {
            rule.backends
                .iter()
                .map(|b| {
                    let svc_ns = r.services.get(&b.service).map(|v| v.namespace.clone());
                    BackendRef {
                        name: b.service.clone(),
                        namespace: svc_ns.filter(|s| *s != ns),
                        port: backend_port(r, &b.service, b.port.as_ref()),
                        weight: b.weight,
                    }
                })
                .collect()
        };
        for rule in &rt.rules {
            for b in &rule.backends {
                if let Some(svc) = r.services.get(&b.service)
                    && svc.namespace != ns
                {
                    grants.insert((svc.namespace.clone(), if grpc { "GRPCRoute" } else { "HTTPRoute" }, ns.clone()));
                }
            }
        }
        let metadata = ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(ns.clone()),
            labels: set.or_legacy(rt.legacy.as_ref(), []),
            annotations: annotations(&topo.project.annotations, &rt.annotations),
            ..Default::default()
        };
        if grpc {
            let rules = rt
                .rules
                .iter()
                .map(|rule| GRPCRouteRule {
                    matches: rule
                        .matches
                        .iter()
                        .map(|m| GRPCRouteMatch {
                            method: (m.grpc_service.is_some() || m.grpc_method.is_some()).then(|| GRPCMethodMatch {
                                kind: "Exact".into(),
                                service: m.grpc_service.clone(),
                                method: m.grpc_method.clone(),
                            }),
                            headers: header_matches(&m.headers),
                        })
                        .collect(),
                    backend_refs: backends(rule),
                })
                .collect();
            out.push(
                GRPCRoute { metadata, spec: GRPCRouteSpec { parent_refs, hostnames: rt.hostnames.clone(), rules } }
                    .into(),
            );
        } else {
            let rules = rt
                .rules
                .iter()
                .map(|rule| HTTPRouteRule {
                    matches: rule
                        .matches
                        .iter()
                        .map(|m| HTTPRouteMatch {
                            path: m.path.as_ref().map(|p| HTTPPathMatch {
                                kind: m.kind.clone().unwrap_or_else(|| "PathPrefix".into()),
                                value: p.clone(),
                            }),
                            headers: header_matches(&m.headers),
                        })
                        .collect(),
                    backend_refs: backends(rule),
                })
                .collect();
            out.push(
                HTTPRoute { metadata, spec: HTTPRouteSpec { parent_refs, hostnames: rt.hostnames.clone(), rules } }
                    .into(),
            );
        }
    }
    for (svc_ns, kind, from_ns) in grants {
        let grant = format!("{}-{from_ns}", kind.to_ascii_lowercase());
        let set = LabelSet { project: &topo.project, name: &grant, component: "reference-grant", version: None };
        out.push(
            ReferenceGrant {
                metadata: ObjectMeta {
                    name: Some(grant.clone()),
                    namespace: Some(svc_ns),
                    labels: Some(set.all([])),
                    annotations: annotations(&topo.project.annotations, &Default::default()),
                    ..Default::default()
                },
                spec: ReferenceGrantSpec {
                    from: vec![ReferenceGrantFrom {
                        group: "gateway.networking.k8s.io".into(),
                        kind: kind.into(),
                        namespace: from_ns,
                    }],
                    to: vec![ReferenceGrantTo { group: String::new(), kind: "Service".into(), name: None }],
                },
            }
            .into(),
        );
    }
}
