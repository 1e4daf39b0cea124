//! external-secrets (external-secrets.io): `v1`, the only version
//! external-secrets 0.17 and later serve (the default), and `v1beta1`, as
//! older guides write it, for a store that asks for it.

use serde::Serialize;

use super::custom_resource;

custom_resource!(
    ExternalSecret,
    "external-secrets.io",
    "v1beta1",
    "ExternalSecret",
    "externalsecrets",
    ExternalSecretSpec
);
custom_resource!(
    ExternalSecretV1,
    "external-secrets.io",
    "v1",
    "ExternalSecret",
    "externalsecrets",
    ExternalSecretSpec
);

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExternalSecretSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_interval: Option<String>,
    pub secret_store_ref: SecretStoreRef,
    pub target: Target,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<SecretData>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub data_from: Vec<DataFrom>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SecretStoreRef {
    pub name: String,
    pub kind: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub name: String,
    pub creation_policy: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretData {
    pub secret_key: String,
    pub remote_ref: RemoteRef,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RemoteRef {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct DataFrom {
    pub extract: RemoteRef,
}
