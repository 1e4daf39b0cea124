//! Placement, security contexts, service accounts, metrics.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Where pods run.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Placement {
    /// Keep replicas apart: `preferred` or `required`.
    /// `required` is a `requiredDuringSchedulingIgnoredDuringExecution` term, `preferred` a
    /// preferred term of weight 100; both select the service's own pods.
    pub anti_affinity: Option<String>,
    /// Apart across `hostname` (default) or `zone`.
    /// Also `node` (the same as `hostname`), `region`, or a node label key with a prefix
    /// (`example.com/rack`).
    pub anti_affinity_scope: Option<String>,
    /// Topology spread constraints.
    /// Becomes `topologySpreadConstraints` over the service's own pods.
    #[serde(default)]
    pub spread: Vec<Spread>,
    /// Node taints the pods tolerate (`tolerations`); GPU pods get the `[gpu]` tolerations first.
    #[serde(default)]
    pub tolerations: Vec<Toleration>,
    /// `PriorityClass` of the pods.
    /// Becomes `priorityClassName`.
    pub priority_class: Option<String>,
}

/// A topology spread constraint over the service's pods.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Spread {
    /// `zone`, `hostname`, or a node label key.
    /// Also `node` and `region`; becomes `topologyKey`.
    pub across: String,
    /// The most the pod count may differ between two domains (`maxSkew`), at least 1; default 1.
    pub max_skew: Option<i32>,
    /// `ScheduleAnyway` (default) or `DoNotSchedule`.
    /// Becomes `whenUnsatisfiable`.
    pub when_unsatisfiable: Option<String>,
}

/// A toleration of a node taint.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Toleration {
    /// The taint key (`key`); omitted with `operator = "Exists"`, every taint is tolerated.
    pub key: Option<String>,
    /// `Exists` or `Equal` (default when a value is given).
    /// Becomes `operator`.
    pub operator: Option<String>,
    /// The taint value (`value`); not with `operator = "Exists"`.
    pub value: Option<String>,
    /// `NoSchedule`, `PreferNoSchedule` or `NoExecute`.
    /// Becomes `effect`; omitted, every effect is tolerated.
    pub effect: Option<String>,
    /// With `NoExecute`: seconds the pod stays on a node after the taint appears
    /// (`tolerationSeconds`).
    pub seconds: Option<i64>,
}

/// How GPU services are scheduled; the defaults fit the NVIDIA GPU operator.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GpuScheduling {
    /// Node labels merged into the `nodeSelector` of pods that ask for GPUs; default
    /// `{ "nvidia.com/gpu.present" = "true" }`, `{}` adds none. The service's own `node_selector`
    /// wins on the same key.
    #[serde(default = "gpu_node_selector")]
    pub node_selector: IndexMap<String, String>,
    /// Tolerations given to pods that ask for GPUs, before the service's own; default
    /// `[{ key = "nvidia.com/gpu", operator = "Exists", effect = "NoSchedule" }]`.
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
    /// With `true`, the user (`run_as_user`, else the image's) must be numeric and not root.
    pub non_root: Option<bool>,
    /// The pod's user id (`runAsUser`), 0 to 2147483647; default unset, i.e. the image's user.
    pub run_as_user: Option<i64>,
    /// The pod's group id (`runAsGroup`), 0 to 2147483647; default unset, i.e. the image's group.
    pub run_as_group: Option<i64>,
    /// The group that owns the pod's volumes (`fsGroup`), 0 to 2147483647; default unset.
    pub fs_group: Option<i64>,
    /// `readOnlyRootFilesystem` (default true); a writable `/tmp` is
    /// mounted when the root is read-only.
    /// `false` also leaves out that `/tmp` volume.
    pub read_only_root_filesystem: Option<bool>,
    /// `allowPrivilegeEscalation` (default false).
    pub allow_privilege_escalation: Option<bool>,
    /// Capabilities to add back after dropping ALL.
    /// Becomes `capabilities.add`, e.g. `["NET_BIND_SERVICE"]`.
    #[serde(default)]
    pub add_capabilities: Vec<String>,
    /// `RuntimeDefault` (default) or `Unconfined`.
    /// The pod's `seccompProfile.type`.
    pub seccomp: Option<String>,
}

/// The pod's service account.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceAccount {
    /// Defaults to the service name.
    /// Becomes `serviceAccountName`.
    pub name: Option<String>,
    /// Render the ServiceAccount (default true).
    /// `false` uses an existing one.
    pub create: Option<bool>,
    /// Mount the API token into pods (default false).
    /// It sets `automountServiceAccountToken` on the pods and on the rendered ServiceAccount.
    pub automount_token: Option<bool>,
    /// The rendered ServiceAccount's own `automountServiceAccountToken`, where it is not the
    /// pods'; default `automount_token`, else false. A legacy service's account has only this
    /// one (left out when not given).
    pub account_automount_token: Option<bool>,
    /// Annotations, e.g. a cloud IAM role.
    /// Added to the service's annotations on the ServiceAccount.
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
    /// Required; it must be a port of the service's Service.
    pub port: String,
    /// Defaults to `/metrics`.
    pub path: Option<String>,
    /// Scrape interval (`30s`).
    pub interval: Option<String>,
    /// Labels the Prometheus instance selects ServiceMonitors by.
    /// They are added to the service's labels on the ServiceMonitor.
    #[serde(default)]
    pub labels: IndexMap<String, String>,
}
