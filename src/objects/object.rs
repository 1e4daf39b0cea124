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

use super::crd::{
    ExternalSecret, ExternalSecretV1, GRPCRoute, Gateway, HTTPRoute, ReferenceGrant, ScaledObject, ServiceMonitor,
    VerticalPodAutoscaler,
};
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

            /// The API group (empty for the core group).
            pub fn group(&self) -> &'static str {
                match self { $(Object::$variant(_) => <$variant as Resource>::GROUP,)* }
            }

            /// The API version within the group (`v1`).
            pub fn version(&self) -> &'static str {
                match self { $(Object::$variant(_) => <$variant as Resource>::VERSION,)* }
            }

            /// The resource's URL path segment (`deployments`).
            pub fn plural(&self) -> &'static str {
                match self { $(Object::$variant(_) => <$variant as Resource>::URL_PATH_SEGMENT,)* }
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
    Gateway,
    ReferenceGrant,
    HTTPRoute,
    GRPCRoute,
    ExternalSecret,
    ExternalSecretV1,
    ScaledObject,
    ServiceMonitor,
    VerticalPodAutoscaler,
);

/// Helm's install order (`pkg/release/util/kind_sorter.go`): what must exist
/// before what refers to it. Kinds not listed go last, as in Helm.
pub(crate) const INSTALL_ORDER: &[&str] = &[
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
    // Gateway API: the gateway and the grants a route relies on before the routes
    "Gateway",
    "ReferenceGrant",
    "HTTPRoute",
    "GRPCRoute",
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

    /// Whether the kind lives in a namespace.
    pub fn namespaced(&self) -> bool {
        is_namespaced(self.kind())
    }

    /// Position in [`INSTALL_ORDER`].
    pub fn install_rank(&self) -> usize {
        let kind = self.kind();
        INSTALL_ORDER.iter().position(|k| *k == kind).unwrap_or(INSTALL_ORDER.len())
    }

    /// The sort key of apply order: kind rank, then namespace, then name.
    pub fn order_key(&self) -> (usize, &str, &str, &str) {
        self.key_at(self.install_rank())
    }

    /// [`Object::order_key`] with the rank already known.
    fn key_at(&self, rank: usize) -> (usize, &str, &str, &str) {
        (rank, self.kind(), self.namespace().unwrap_or(""), self.name())
    }

    /// `apps/v1 Deployment archivist/rag-api`, for messages and diffs.
    pub fn describe(&self) -> String {
        match self.namespace() {
            Some(ns) => format!("{} {} {ns}/{}", self.api_version(), self.kind(), self.name()),
            None => format!("{} {} {}", self.api_version(), self.kind(), self.name()),
        }
    }
}

/// Whether a kind archctl renders lives in a namespace.
pub(crate) fn is_namespaced(kind: &str) -> bool {
    !matches!(kind, "Namespace" | "StorageClass" | "PriorityClass" | "ClusterRole" | "ClusterRoleBinding")
}

/// `(group, version, kind, plural)` of every kind archctl renders, so that
/// `diff` can look for objects a render no longer contains.
pub const KINDS: &[(&str, &str, &str, &str)] = &[
    ("", "v1", "Namespace", "namespaces"),
    ("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies"),
    ("", "v1", "ResourceQuota", "resourcequotas"),
    ("", "v1", "LimitRange", "limitranges"),
    ("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets"),
    ("", "v1", "ServiceAccount", "serviceaccounts"),
    ("", "v1", "Secret", "secrets"),
    ("", "v1", "ConfigMap", "configmaps"),
    ("storage.k8s.io", "v1", "StorageClass", "storageclasses"),
    ("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
    ("", "v1", "Service", "services"),
    ("apps", "v1", "Deployment", "deployments"),
    ("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
    ("apps", "v1", "StatefulSet", "statefulsets"),
    ("batch", "v1", "Job", "jobs"),
    ("batch", "v1", "CronJob", "cronjobs"),
    ("networking.k8s.io", "v1", "Ingress", "ingresses"),
    ("gateway.networking.k8s.io", "v1", "Gateway", "gateways"),
    ("gateway.networking.k8s.io", "v1", "ReferenceGrant", "referencegrants"),
    ("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes"),
    ("gateway.networking.k8s.io", "v1", "GRPCRoute", "grpcroutes"),
    ("external-secrets.io", "v1", "ExternalSecret", "externalsecrets"),
    ("keda.sh", "v1alpha1", "ScaledObject", "scaledobjects"),
    ("monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors"),
    ("autoscaling.k8s.io", "v1", "VerticalPodAutoscaler", "verticalpodautoscalers"),
];

/// The API groups built into Kubernetes; a kind of any other group is a
/// custom resource, served only where its CRD is installed.
const BUILTIN_GROUPS: &[&str] = &[
    "",
    "admissionregistration.k8s.io",
    "apiextensions.k8s.io",
    "apiregistration.k8s.io",
    "apps",
    "authentication.k8s.io",
    "authorization.k8s.io",
    "autoscaling",
    "batch",
    "certificates.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "internal.apiserver.k8s.io",
    "networking.k8s.io",
    "node.k8s.io",
    "policy",
    "rbac.authorization.k8s.io",
    "resource.k8s.io",
    "scheduling.k8s.io",
    "storage.k8s.io",
    "storagemigration.k8s.io",
];

/// Whether `group` is served by every Kubernetes API server (not a CRD's).
pub(crate) fn is_builtin_group(group: &str) -> bool {
    BUILTIN_GROUPS.contains(&group)
}

/// Sorts objects into apply order.
pub(crate) fn sort(objects: &mut Vec<Object>) {
    // the rank is a search of INSTALL_ORDER: found once per object rather
    // than twice in each of the n log n comparisons (30,000 objects at
    // fleet scale, where that search was most of the build)
    let mut ranked: Vec<(usize, Object)> = objects.drain(..).map(|o| (o.install_rank(), o)).collect();
    ranked.sort_by(|(ra, a), (rb, b)| a.key_at(*ra).cmp(&b.key_at(*rb)));
    objects.extend(ranked.into_iter().map(|(_, o)| o));
}
