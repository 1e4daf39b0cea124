//! Placement, security contexts, service accounts, metrics.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where pods run.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// Keep replicas apart: `preferred` or `required`.
    pub anti_affinity: Option<String>,
    /// Apart across `hostname` (default) or `zone`.
    pub anti_affinity_scope: Option<String>,
    /// Topology spread constraints.
    #[serde(default)]
    pub spread: Vec<Spread>,
    #[serde(default)]
    pub tolerations: Vec<Toleration>,
    /// `PriorityClass` of the pods.
    pub priority_class: Option<String>,
}

/// A topology spread constraint over the service's pods.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spread {
    /// `zone`, `hostname`, or a node label key.
    pub across: String,
    pub max_skew: Option<i32>,
    /// `ScheduleAnyway` (default) or `DoNotSchedule`.
    pub when_unsatisfiable: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Toleration {
    pub key: Option<String>,
    /// `Exists` or `Equal` (default when a value is given).
    pub operator: Option<String>,
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    pub effect: Option<String>,
    pub seconds: Option<i64>,
}

/// How GPU services are scheduled; the defaults fit the NVIDIA GPU operator.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GpuScheduling {
    #[serde(default = "gpu_node_selector")]
    pub node_selector: IndexMap<String, String>,
    #[serde(default = "gpu_tolerations")]
    pub tolerations: Vec<Toleration>,
}

impl Default for GpuScheduling {
    fn default() -> Self {
        GpuScheduling { node_selector: gpu_node_selector(), tolerations: gpu_tolerations() }
    }
}

fn gpu_node_selector() -> IndexMap<String, String> {
    IndexMap::from([("nvidia.com/gpu.present".to_string(), "true".to_string())])
}

fn gpu_tolerations() -> Vec<Toleration> {
    vec![Toleration {
        key: Some("nvidia.com/gpu".into()),
        operator: Some("Exists".into()),
        value: None,
        effect: Some("NoSchedule".into()),
        seconds: None,
    }]
}

/// Security settings; every pod and container is hardened unless a key here
/// says otherwise.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Security {
    /// `runAsNonRoot` (default true).
    pub non_root: Option<bool>,
    pub run_as_user: Option<i64>,
    pub run_as_group: Option<i64>,
    pub fs_group: Option<i64>,
    /// `readOnlyRootFilesystem` (default true); a writable `/tmp` is
    /// mounted when the root is read-only.
    pub read_only_root_filesystem: Option<bool>,
    /// `allowPrivilegeEscalation` (default false).
    pub allow_privilege_escalation: Option<bool>,
    /// Capabilities to add back after dropping ALL.
    #[serde(default)]
    pub add_capabilities: Vec<String>,
    /// `RuntimeDefault` (default) or `Unconfined`.
    pub seccomp: Option<String>,
}

/// The pod's service account.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceAccount {
    /// Defaults to the service name.
    pub name: Option<String>,
    /// Render the ServiceAccount (default true).
    pub create: Option<bool>,
    /// Mount the API token into pods (default false).
    pub automount_token: Option<bool>,
    /// Annotations, e.g. a cloud IAM role.
    #[serde(default)]
    pub annotations: IndexMap<String, String>,
}

/// A Prometheus ServiceMonitor for the service.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Metrics {
    /// Name of the ServiceMonitor; defaults to the service name.
    pub name: Option<String>,
    /// A port name of the service.
    pub port: String,
    /// Defaults to `/metrics`.
    pub path: Option<String>,
    /// Scrape interval (`30s`).
    pub interval: Option<String>,
    /// Labels the Prometheus instance selects ServiceMonitors by.
    #[serde(default)]
    pub labels: IndexMap<String, String>,
}
