//! Typed custom resources: KEDA, VPA, prometheus-operator and
//! external-secrets objects, with the same discipline as k8s-openapi's
//! structs (every field typed, optional fields omitted when unset).
//!
//! Each type implements k8s-openapi's `Resource` and `Metadata` traits, so
//! the rest of archctl treats built-in and custom kinds alike.

mod external_secrets;
mod gateway;
mod keda;
mod monitoring;
mod vpa;

pub(crate) use external_secrets::*;
pub(crate) use gateway::*;
pub(crate) use keda::*;
pub(crate) use monitoring::*;
pub(crate) use vpa::*;

/// Declares a namespaced custom resource `$name` with spec type `$spec`.
macro_rules! custom_resource {
    ($name:ident, $group:literal, $version:literal, $kind:literal, $plural:literal, $spec:ty) => {
        #[doc = concat!("`", $group, "/", $version, " ", $kind, "`.")]
        #[derive(Clone, Debug, Default, PartialEq)]
        pub struct $name {
            pub metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
            pub spec: $spec,
        }

        impl k8s_openapi::Resource for $name {
            const API_VERSION: &'static str = concat!($group, "/", $version);
            const GROUP: &'static str = $group;
            const KIND: &'static str = $kind;
            const VERSION: &'static str = $version;
            const URL_PATH_SEGMENT: &'static str = $plural;
            type Scope = k8s_openapi::NamespaceResourceScope;
        }

        impl k8s_openapi::Metadata for $name {
            type Ty = k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
            fn metadata(&self) -> &Self::Ty {
                &self.metadata
            }
            fn metadata_mut(&mut self) -> &mut Self::Ty {
                &mut self.metadata
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeStruct;
                let mut st = s.serialize_struct($kind, 4)?;
                st.serialize_field("apiVersion", <Self as k8s_openapi::Resource>::API_VERSION)?;
                st.serialize_field("kind", $kind)?;
                st.serialize_field("metadata", &self.metadata)?;
                st.serialize_field("spec", &self.spec)?;
                st.end()
            }
        }
    };
}
pub(crate) use custom_resource;

/// `{ apiVersion, kind, name }` of the workload a scaler targets.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetRef {
    /// Empty only in a KEDA target that names the workload alone (`keda.short_target`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    pub name: String,
}
