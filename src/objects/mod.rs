//! Building: a resolved topology becomes typed k8s-openapi objects, sorted
//! into apply order. Nothing here fails: every check happened before.

mod cluster;
pub(crate) mod crd;
mod network;
pub(crate) mod object;
pub(crate) mod origin;
mod pod;
mod scaling;
mod storage;
mod workload;

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::resolve::Resolved;
pub use object::Object;

use crate::k8s::labels::LabelSet;

/// Builds every object of the topology, in apply order.
pub fn build(r: &Resolved) -> Vec<Object> {
    let mut out: Vec<Object> = Vec::new();
    for part in parts(r) {
        build_part(r, part, &mut out);
    }
    object::sort(&mut out);
    out
}

/// A part of the build: the objects shared by the topology, those of one
/// service, or the ingresses. Parts are independent, so they can be built
/// apart (and on several threads); [`parts`] lists them in build order,
/// which decides the order of objects with the same sort key.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Part<'a> {
    /// Namespaces, storage classes, network policies, config maps,
    /// secrets, external secrets and claims.
    Shared,
    /// The objects of one service: workload, Service, autoscalers, …
    Service(&'a str),
    Ingresses,
}

/// The parts of a build, in build order.
pub(crate) fn parts(r: &Resolved) -> Vec<Part<'_>> {
    std::iter::once(Part::Shared)
        .chain(r.topology.services.keys().map(|name| Part::Service(name)))
        .chain(std::iter::once(Part::Ingresses))
        .collect()
}

/// Builds one part, unsorted.
pub(crate) fn build_part(r: &Resolved, part: Part<'_>, out: &mut Vec<Object>) {
    match part {
        Part::Shared => shared(r, out),
        Part::Service(name) => workload::service(r, name, out),
        Part::Ingresses => {
            network::ingresses(r, out);
            network::gateway_api(r, out);
        }
    }
}

fn shared(r: &Resolved, out: &mut Vec<Object>) {
    let topo = &r.topology;

    cluster::namespaces(r, out);
    cluster::storage_classes(r, out);
    network::network_policies(r, out);
    workload::shared_services(r, out);

    for (name, cm) in &topo.config_maps {
        let set = LabelSet { project: &topo.project, name, component: "config", version: None };
        let data: BTreeMap<String, String> = r
            .config_data
            .get(name)
            .map(|d| d.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        out.push(
            ConfigMap {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(r.topology.namespace_of(&cm.namespace).to_string()),
                    labels: set.or_legacy(cm.legacy.as_ref(), &cm.labels),
                    annotations: annotations(&topo.project.annotations, &Default::default()),
                    ..Default::default()
                },
                // a legacy config map without entries is written without `data`, as it was
                data: (cm.legacy.is_none() || !data.is_empty()).then_some(data),
                ..Default::default()
            }
            .into(),
        );
    }

    for (name, s) in &topo.secrets {
        if !s.placeholder {
            continue;
        }
        let set = LabelSet { project: &topo.project, name, component: "secret", version: None };
        let data = s.keys.iter().map(|k| (k.clone(), crate::topology::SECRET_PLACEHOLDER.to_string())).collect();
        out.push(
            Secret {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(r.topology.namespace_of(&s.namespace).to_string()),
                    labels: Some(set.all([])),
                    annotations: annotations(&topo.project.annotations, &Default::default()),
                    ..Default::default()
                },
                type_: Some(s.kind.clone().unwrap_or_else(|| "Opaque".into())),
                string_data: Some(data),
                ..Default::default()
            }
            .into(),
        );
    }

    cluster::external_secrets(r, out);
    storage::claims(r, out);
}

/// Resolved quantities as the API's, or `None` when there are none.
fn quantities(m: &BTreeMap<String, crate::k8s::quantity::Quantity>) -> Option<BTreeMap<String, ApiQuantity>> {
    (!m.is_empty()).then(|| m.iter().map(|(k, v)| (k.clone(), quantity(v))).collect())
}

/// A resolved quantity as the API's, in its canonical spelling.
fn quantity(q: &crate::k8s::quantity::Quantity) -> ApiQuantity {
    ApiQuantity(q.to_string())
}

/// Project annotations merged with an object's own, or `None` when empty.
fn annotations(
    project: &indexmap::IndexMap<String, String>,
    own: &indexmap::IndexMap<String, String>,
) -> Option<BTreeMap<String, String>> {
    let m: BTreeMap<String, String> = project.iter().chain(own.iter()).map(|(k, v)| (k.clone(), v.clone())).collect();
    (!m.is_empty()).then_some(m)
}
