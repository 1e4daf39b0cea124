//! Namespace-level and cluster-level objects: namespaces with their quotas
//! and limit ranges, storage classes, external secrets.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{
    LimitRange, LimitRangeItem, LimitRangeSpec, Namespace, ResourceQuota, ResourceQuotaSpec,
};
use k8s_openapi::api::storage::v1::StorageClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::crd::{
    DataFrom, ExternalSecret, ExternalSecretSpec, ExternalSecretV1, RemoteRef, SecretData, SecretStoreRef, Target,
};
use super::{Object, annotations, quantities};
use crate::k8s::labels::LabelSet;
use crate::resolve::Resolved;
use crate::topology;

pub(super) fn namespaces(r: &Resolved, out: &mut Vec<Object>) {
    let topo = &r.topology;
    for (name, ns) in &topo.namespaces {
        let set = LabelSet { project: &topo.project, name, component: "namespace", version: None };
        let meta = |object: &str| ObjectMeta {
            name: Some(object.to_string()),
            namespace: Some(name.clone()),
            labels: Some(set.all([])),
            annotations: annotations(&topo.project.annotations, &Default::default()),
            ..Default::default()
        };
        out.push(
            Namespace {
                metadata: ObjectMeta {
                    name: Some(name.clone()),
                    labels: set.or_legacy(ns.legacy.as_ref(), &ns.labels),
                    annotations: annotations(&topo.project.annotations, &ns.annotations),
                    ..Default::default()
                },
                ..Default::default()
            }
            .into(),
        );
        let Some(values) = r.namespaces.get(name) else { continue };
        if !values.quota.is_empty() {
            out.push(
                ResourceQuota {
                    metadata: meta("quota"),
                    spec: Some(ResourceQuotaSpec { hard: quantities(&values.quota), ..Default::default() }),
                    ..Default::default()
                }
                .into(),
            );
        }
        if let Some(l) = &values.limits {
            out.push(
                LimitRange {
                    metadata: meta("limits"),
                    spec: Some(LimitRangeSpec {
                        limits: vec![LimitRangeItem {
                            type_: "Container".into(),
                            default: quantities(&l.default),
                            default_request: quantities(&l.default_request),
                            max: quantities(&l.max),
                            min: quantities(&l.min),
                            ..Default::default()
                        }],
                    }),
                }
                .into(),
            );
        }
    }
}

/// `StorageClass` objects for classes that name a provisioner.
pub(super) fn storage_classes(r: &Resolved, out: &mut Vec<Object>) {
    let topo = &r.topology;
    for (name, sc) in &topo.storage_classes {
        let Some(provisioner) = &sc.provisioner else { continue };
        let class = sc.class.clone().unwrap_or_else(|| name.clone());
        let set = LabelSet { project: &topo.project, name: &class, component: "storage", version: None };
        let mut ann = annotations(&topo.project.annotations, &Default::default()).unwrap_or_default();
        if sc.default == Some(true) {
            ann.insert("storageclass.kubernetes.io/is-default-class".into(), "true".into());
        }
        let parameters: BTreeMap<String, String> = sc.parameters.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        out.push(
            StorageClass {
                metadata: ObjectMeta {
                    name: Some(class.clone()),
                    labels: set.or_legacy(sc.legacy.as_ref(), []),
                    annotations: (!ann.is_empty()).then_some(ann),
                    ..Default::default()
                },
                provisioner: provisioner.clone(),
                parameters: (!parameters.is_empty()).then_some(parameters),
                reclaim_policy: sc.reclaim_policy.clone(),
                volume_binding_mode: sc.volume_binding_mode.clone(),
                allow_volume_expansion: sc.allow_volume_expansion,
                ..Default::default()
            }
            .into(),
        );
    }
}

/// An ExternalSecret for every secret that names a store.
pub(super) fn external_secrets(r: &Resolved, out: &mut Vec<Object>) {
    let topo = &r.topology;
    for (name, s) in &topo.secrets {
        let Some(store_key) = &s.store else { continue };
        let store = topo.secret_stores.get(store_key);
        let set = LabelSet { project: &topo.project, name, component: "secret", version: None };
        let (data, data_from) = match &s.remote {
            Some(topology::RemoteRef::Key(key)) if !s.keys.is_empty() => (
                s.keys
                    .iter()
                    .map(|k| SecretData {
                        secret_key: k.clone(),
                        remote_ref: RemoteRef { key: key.clone(), property: Some(k.clone()) },
                    })
                    .collect(),
                Vec::new(),
            ),
            Some(topology::RemoteRef::Key(key)) => {
                (Vec::new(), vec![DataFrom { extract: RemoteRef { key: key.clone(), property: None } }])
            }
            Some(topology::RemoteRef::Keys(map)) => (
                map.iter()
                    .map(|(k, remote)| {
                        let (key, property) = match remote.split_once('#') {
                            Some((a, b)) => (a.to_string(), Some(b.to_string())),
                            None => (remote.clone(), None),
                        };
                        SecretData { secret_key: k.clone(), remote_ref: RemoteRef { key, property } }
                    })
                    .collect(),
                Vec::new(),
            ),
            // no remote given: each key is a remote key of the same name
            None => (
                s.keys
                    .iter()
                    .map(|k| SecretData {
                        secret_key: k.clone(),
                        remote_ref: RemoteRef { key: k.clone(), property: None },
                    })
                    .collect(),
                Vec::new(),
            ),
        };
        let metadata = ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(r.topology.namespace_of(&s.namespace).to_string()),
            labels: set.or_legacy(s.legacy.as_ref(), []),
            annotations: annotations(&topo.project.annotations, &Default::default()),
            ..Default::default()
        };
        let spec = ExternalSecretSpec {
            refresh_interval: s.refresh.clone(),
            secret_store_ref: SecretStoreRef {
                name: store.and_then(|st| st.name.clone()).unwrap_or_else(|| store_key.clone()),
                kind: store.and_then(|st| st.kind.clone()).unwrap_or_else(|| "SecretStore".into()),
            },
            target: Target { name: name.clone(), creation_policy: "Owner".into() },
            data,
            data_from,
        };
        // v1 unless the store asks for v1beta1 (W010 says what that costs)
        if store.and_then(|st| st.api_version.as_deref()) == Some("v1beta1") {
            out.push(ExternalSecret { metadata, spec }.into());
        } else {
            out.push(ExternalSecretV1 { metadata, spec }.into());
        }
    }
}
