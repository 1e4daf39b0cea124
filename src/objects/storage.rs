//! Shared PersistentVolumeClaims and statefulset claim templates.

use std::collections::BTreeMap;

use crate::k8s::quantity::Quantity;
use k8s_openapi::api::core::v1::{PersistentVolumeClaim, PersistentVolumeClaimSpec, VolumeResourceRequirements};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::Object;
use crate::k8s::labels::LabelSet;
use crate::resolve::Resolved;
use crate::topology::AccessMode;

pub(super) fn claims(r: &Resolved, out: &mut Vec<Object>) {
    let topo = &r.topology;
    for (name, claim) in &topo.claims {
        let Some(v) = r.claims.get(name) else {
            continue;
        };
        let set = LabelSet { project: &topo.project, name, component: "storage", version: None };
        out.push(
            PersistentVolumeClaim {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    namespace: Some(v.namespace.clone()),
                    labels: set.or_legacy(claim.legacy.as_ref(), []),
                    annotations: super::annotations(&topo.project.annotations, &Default::default()),
                    ..Default::default()
                },
                spec: Some(claim_spec(claim.access.unwrap_or_default(), v.storage_class.clone(), &v.size)),
                ..Default::default()
            }
            .into(),
        );
    }
}

/// The spec of a claim: one access mode, a class (or the cluster default)
/// and a size.
pub(super) fn claim_spec(access: AccessMode, class: Option<String>, size: &Quantity) -> PersistentVolumeClaimSpec {
    PersistentVolumeClaimSpec {
        access_modes: Some(vec![access.as_str().to_string()]),
        storage_class_name: class,
        resources: Some(VolumeResourceRequirements {
            requests: Some(BTreeMap::from([("storage".to_string(), super::quantity(size))])),
            ..Default::default()
        }),
        ..Default::default()
    }
}
