//! The objects archctl renders: one enum over typed k8s-openapi structs, with
//! Helm's install order.

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{
    ConfigMap, LimitRange, Namespace, PersistentVolumeClaim, ResourceQuota, Secret, Service, ServiceAccount,
};
use k8s_openapi::api::networking::v1::{Ingress, NetworkPolicy};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::storage::v1::StorageClass;

use super::crd::{ExternalSecret, ExternalSecretV1, ScaledObject, ServiceMonitor, VerticalPodAutoscaler};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::{Metadata, Resource};
use serde::Serialize;

macro_rules! objects {
    ($($variant:ident),* $(,)?) => {
        /// A rendered Kubernetes object (boxed: the structs differ widely in size).
        #[derive(Clone, Debug, PartialEq, Serialize)]
        #[serde(untagged)]
        pub enum Object {
            $($variant(Box<$variant>),)*
        }

        impl Object {
            /// `kind` of the object (`Deployment`).
            pub fn kind(&self) -> &'static str {
                match self { $(Object::$variant(_) => <$variant as Resource>::KIND,)* }
            }

            /// `apiVersion` of the object (`apps/v1`).
            pub fn api_version(&self) -> &'static str {
                match self { $(Object::$variant(_) => <$variant as Resource>::API_VERSION,)* }
            }

            pub fn metadata(&self) -> &ObjectMeta {
                match self { $(Object::$variant(o) => o.metadata(),)* }
            }
        }

        $(impl From<$variant> for Object {
            fn from(o: $variant) -> Self { Object::$variant(Box::new(o)) }
        })*
    };
}

objects!(
    Namespace,
    NetworkPolicy,
    ResourceQuota,
    LimitRange,
    PodDisruptionBudget,
    ServiceAccount,
    Secret,
    ConfigMap,
    StorageClass,
    PersistentVolumeClaim,
    Service,
    Deployment,
    HorizontalPodAutoscaler,
    StatefulSet,
    Job,
    CronJob,
    Ingress,
    ExternalSecret,
    ExternalSecretV1,
    ScaledObject,
    ServiceMonitor,
    VerticalPodAutoscaler,
);

/// Helm's install order (`pkg/release/util/kind_sorter.go`): what must exist
/// before what refers to it. Kinds not listed go last, as in Helm.
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

impl Object {
    pub fn name(&self) -> &str {
        self.metadata().name.as_deref().unwrap_or("")
    }

    pub fn namespace(&self) -> Option<&str> {
        self.metadata().namespace.as_deref()
    }

    /// Position in [`INSTALL_ORDER`].
    pub fn install_rank(&self) -> usize {
        let kind = self.kind();
        INSTALL_ORDER.iter().position(|k| *k == kind).unwrap_or(INSTALL_ORDER.len())
    }

    /// The sort key of apply order: kind rank, then namespace, then name.
    pub fn order_key(&self) -> (usize, &str, &str, &str) {
        (self.install_rank(), self.kind(), self.namespace().unwrap_or(""), self.name())
    }

    /// `apps/v1 Deployment archivist/rag-api`, for messages and diffs.
    pub fn describe(&self) -> String {
        match self.namespace() {
            Some(ns) => format!("{} {} {ns}/{}", self.api_version(), self.kind(), self.name()),
            None => format!("{} {} {}", self.api_version(), self.kind(), self.name()),
        }
    }
}

/// Sorts objects into apply order.
pub fn sort(objects: &mut [Object]) {
    objects.sort_by(|a, b| a.order_key().cmp(&b.order_key()));
}
