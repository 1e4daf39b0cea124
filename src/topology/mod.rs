//! The topology file format, as serde types.
//!
//! Every struct rejects unknown keys, and every map keeps the order it was
//! written in (IndexMap), so output follows the author's order where order is
//! not fixed by Kubernetes. A profile file has the same shape: it is merged
//! onto the topology before these types are deserialized.

mod network;
mod scaling;
mod schema;
mod security;

pub(crate) use network::*;
pub(crate) use scaling::*;
pub(crate) use security::*;

use std::fmt;
use std::marker::PhantomData;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// A whole topology (`archctl.toml`), after its profile has been merged in.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    /// The project: its name, default namespace, version, and the labels and annotations of every
    /// object. Required.
    pub project: Project,
    /// Growth phases, in order (`["pilot", "phase1", …]`).
    #[serde(default)]
    pub phases: Vec<String>,
    /// The phase to render; profiles set it, `--phase` overrides it.
    /// Default: the first of `phases`.
    pub phase: Option<String>,
    /// Variables for minijinja expressions in string values.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, serde_json::Value>")]
    pub vars: IndexMap<String, toml::Value>,
    /// Namespaces to render, by name, each a `Namespace` with an optional ResourceQuota, LimitRange
    /// and default-deny NetworkPolicy. Once one is declared, every namespace the topology uses must
    /// be; with none, no Namespace is rendered and the namespaces must exist.
    #[serde(default)]
    pub namespaces: IndexMap<String, Namespace>,
    /// Size classes; `small`, `large` and `gpu` are built in.
    #[serde(default)]
    pub resource_profiles: IndexMap<String, Resources>,
    /// The topology's storage class names, mapped to a cluster's classes.
    #[serde(default)]
    pub storage_classes: IndexMap<String, StorageClass>,
    /// The workloads, by name: each a Deployment, StatefulSet, Job or CronJob (`kind`) with its
    /// pods, Service, autoscalers and budget. The name is that of the workload, its Service and its
    /// main container; an RFC 1035 label.
    #[serde(default)]
    pub services: IndexMap<String, Service>,
    /// ConfigMaps by name, from plain entries and files.
    #[serde(default)]
    pub config_maps: IndexMap<String, ConfigMap>,
    /// Secrets by name. Their values never appear in a topology: a secret exists in the cluster, is
    /// fetched by an ExternalSecret (`store`), or is rendered with placeholder values
    /// (`placeholder`).
    #[serde(default)]
    pub secrets: IndexMap<String, Secret>,
    /// Persistent volume claims shared by services.
    #[serde(default)]
    pub claims: IndexMap<String, Claim>,
    /// Ingresses by name.
    #[serde(default)]
    pub ingresses: IndexMap<String, Ingress>,
    /// Gateways (Gateway API) by name: rendered ones, and `external` ones that routes may name.
    #[serde(default)]
    pub gateways: IndexMap<String, Gateway>,
    /// HTTPRoutes and GRPCRoutes (Gateway API) by name.
    #[serde(default)]
    pub routes: IndexMap<String, Route>,
    /// Network policies by name.
    #[serde(default)]
    pub network_policies: IndexMap<String, NetworkPolicy>,
    /// Services (Kubernetes Service objects) that front the pods of several services, by name.
    #[serde(default)]
    pub shared_services: IndexMap<String, SharedService>,
    /// External secret stores (external-secrets.io) that secrets may name.
    #[serde(default)]
    pub secret_stores: IndexMap<String, SecretStoreRef>,
    /// What a profile may switch off.
    #[serde(default)]
    pub features: Features,
    /// How GPU services are scheduled.
    #[serde(default)]
    pub gpu: GpuScheduling,
    /// Settings of `archctl check`.
    #[serde(default)]
    pub checks: Checks,
}

/// Settings of `archctl check`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Checks {
    /// Warning codes that do not apply to this system (`["W007"]`).
    #[serde(default)]
    pub allow: Vec<String>,
}

/// The system as a whole: what every object is labelled with.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Project {
    /// Required; an RFC 1123 label. Becomes `app.kubernetes.io/instance` and
    /// `app.kubernetes.io/part-of` of every object, and the default namespace.
    pub name: String,
    /// Namespace of objects that do not name one; defaults to the project name.
    pub namespace: Option<String>,
    /// Version of the system, used for `app.kubernetes.io/version` where an
    /// image tag does not give one.
    pub version: Option<String>,
    /// Labels added to every object.
    /// Pod templates get them too; the recommended `app.kubernetes.io/*` labels win on a clash.
    #[serde(default)]
    pub labels: IndexMap<String, String>,
    /// Annotations added to every object.
    /// Not added to pod templates (see a service's `pod_annotations`).
    #[serde(default)]
    pub annotations: IndexMap<String, String>,
}

/// A namespace, rendered as a `Namespace` object.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Namespace {
    /// Labels on the Namespace, besides the project's and the recommended ones.
    #[serde(default)]
    pub labels: IndexMap<String, String>,
    /// Annotations on the Namespace, besides the project's.
    #[serde(default)]
    pub annotations: IndexMap<String, String>,
    /// Render a NetworkPolicy that denies all traffic not allowed by another
    /// policy (ingress and egress).
    /// The policy is named `default-deny` and selects every pod; default `false`. Left out with
    /// `features.network_policies = false`.
    #[serde(default)]
    pub default_deny: bool,
    /// ResourceQuota `hard` limits (`"requests.cpu" = "20"`, `pods = 100`).
    /// Rendered as the ResourceQuota `quota` in the namespace; the values are quantities.
    #[serde(default)]
    pub quota: IndexMap<String, QuantityText>,
    /// LimitRange defaults for containers.
    /// Rendered as the LimitRange `limits` (type `Container`).
    pub limits: Option<LimitRangeSpec>,
    /// The Namespace's labels kept exactly as another tool made them (`archctl import`), in
    /// place of the project's, the recommended ones and `labels`. Legacy: warned about as `W013`.
    pub legacy: Option<LegacyLabels>,
}

/// Container defaults and bounds of a namespace.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitRangeSpec {
    /// Limits of containers that give none.
    /// Becomes the LimitRange's `default`.
    pub default: Option<Amounts>,
    /// Requests of containers that give none.
    /// Becomes the LimitRange's `defaultRequest`.
    pub default_request: Option<Amounts>,
    /// The most a container may ask for (`max`).
    pub max: Option<Amounts>,
    /// The least a container may ask for (`min`).
    pub min: Option<Amounts>,
}

/// Requests and limits of a container.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// Start from this resource profile and change what is given here.
    pub profile: Option<String>,
    /// Requests (`resources.requests`): `cpu`, `memory`, `ephemeral_storage`, `gpu`. Each value
    /// given replaces the base profile's.
    #[serde(default)]
    pub requests: Amounts,
    /// Limits (`resources.limits`): `cpu`, `memory`, `ephemeral_storage`, `gpu`. Each value given
    /// replaces the base profile's.
    #[serde(default)]
    pub limits: Amounts,
}

/// CPU, memory, GPUs and ephemeral storage.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Amounts {
    /// CPU (`cpu`), a quantity: cores (`2`, `0.5`) or millicores (`"250m"`).
    pub cpu: Option<QuantityText>,
    /// Memory (`memory`), a quantity of bytes: `"512Mi"`, `"8Gi"`, `"100G"`.
    pub memory: Option<QuantityText>,
    /// `nvidia.com/gpu` count.
    /// A whole number; `gpu = 0` removes a GPU inherited from a base profile.
    pub gpu: Option<u32>,
    /// Local scratch storage (`ephemeral-storage`), a quantity of bytes.
    pub ephemeral_storage: Option<QuantityText>,
}

/// A quantity as written (`"250m"`, `2`, `0.5`, `"8Gi"`); checked and
/// canonicalised when the topology is resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct QuantityText(pub String);

impl<'de> Deserialize<'de> for QuantityText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = QuantityText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a quantity such as \"500m\", \"2Gi\" or 2")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<QuantityText, E> {
                Ok(QuantityText(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<QuantityText, E> {
                Ok(QuantityText(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<QuantityText, E> {
                Ok(QuantityText(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<QuantityText, E> {
                Ok(QuantityText(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A resource profile name, or resources written out.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum ResourcesRef {
    Profile(String),
    Inline(Resources),
}

impl<'de> Deserialize<'de> for ResourcesRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        string_or_struct(d, ResourcesRef::Profile, ResourcesRef::Inline)
    }
}

/// A storage class name of the topology, mapped to a cluster's class per profile; volumes and
/// claims refer to it by its key.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StorageClass {
    /// The cluster's class name (`gp3`, `premium-lrs`); defaults to the
    /// topology's own name; `""` leaves `storageClassName` out, so that the
    /// cluster's default class is used.
    pub class: Option<String>,
    /// Give a provisioner to render the `StorageClass` object itself.
    /// The object is named `class` (or the key); without a provisioner only the mapping exists.
    pub provisioner: Option<String>,
    /// The StorageClass's `parameters` (string values); with `provisioner` only.
    #[serde(default)]
    pub parameters: IndexMap<String, String>,
    /// `Delete` (default) or `Retain`.
    /// The StorageClass's `reclaimPolicy`.
    pub reclaim_policy: Option<String>,
    /// `Immediate` or `WaitForFirstConsumer`.
    /// The StorageClass's `volumeBindingMode`.
    pub volume_binding_mode: Option<String>,
    /// The StorageClass's `allowVolumeExpansion`: whether claims may grow.
    pub allow_volume_expansion: Option<bool>,
    /// Mark it the cluster's default class.
    /// The StorageClass gets the annotation `storageclass.kubernetes.io/is-default-class: "true"`.
    pub default: Option<bool>,
    /// The StorageClass's labels kept exactly as another tool made them (`archctl import`), in
    /// place of the project's and the recommended ones; with `provisioner` only. Legacy: warned
    /// about as `W013`.
    pub legacy: Option<LegacyLabels>,
}

/// A value that is either the same in every growth phase or given per phase.
/// A value given for a phase holds in later phases until one changes it.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum PerPhase<T> {
    Fixed(T),
    Phased(IndexMap<String, T>),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for PerPhase<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = PerPhase<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value, or a table of values per growth phase")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                IndexMap::deserialize(de::value::MapAccessDeserializer::new(map)).map(PerPhase::Phased)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                T::deserialize(de::value::StrDeserializer::new(v)).map(PerPhase::Fixed)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                T::deserialize(de::value::I64Deserializer::new(v)).map(PerPhase::Fixed)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                T::deserialize(de::value::U64Deserializer::new(v)).map(PerPhase::Fixed)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                T::deserialize(de::value::F64Deserializer::new(v)).map(PerPhase::Fixed)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                T::deserialize(de::value::BoolDeserializer::new(v)).map(PerPhase::Fixed)
            }
        }
        d.deserialize_any(V(PhantomData))
    }
}

/// What a service runs as.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Deployment,
    StatefulSet,
    Job,
    CronJob,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Deployment => "deployment",
            Kind::StatefulSet => "statefulset",
            Kind::Job => "job",
            Kind::CronJob => "cronjob",
        }
    }

    /// Jobs and cron jobs run to completion; they have no replicas or Service.
    pub fn is_batch(self) -> bool {
        matches!(self, Kind::Job | Kind::CronJob)
    }
}

/// A workload: its controller, pod, main container and what it exposes.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Required: `deployment`, `statefulset`, `job` or `cronjob`.
    pub kind: Kind,
    /// The namespace of the service's objects; default the project's namespace.
    pub namespace: Option<String>,
    /// `app.kubernetes.io/component`; defaults to the service name.
    pub component: Option<String>,
    /// Extra labels on the service's objects and pods.
    #[serde(default)]
    pub labels: IndexMap<String, String>,
    /// Annotations on the workload, its Service and its other objects (autoscalers, budget, service
    /// account, ServiceMonitor); not on the pods (see `pod_annotations`).
    #[serde(default)]
    pub annotations: IndexMap<String, String>,
    /// Annotations on the pod template only.
    #[serde(default)]
    pub pod_annotations: IndexMap<String, String>,
    /// Replicas (deployments and statefulsets), per phase if given so.
    /// Becomes `spec.replicas`, left out while an HPA or KEDA scaler owns the count; omitted,
    /// Kubernetes runs 1.
    pub replicas: Option<PerPhase<i32>>,
    /// Resources of the main container: a profile name or a table.
    pub resources: Option<ResourcesRef>,
    /// The main container.
    pub container: Container,
    /// Further containers in the pod.
    #[serde(default)]
    pub sidecars: Vec<Container>,
    /// Init containers (`initContainers`), run in order before the pod's other containers start;
    /// each needs a `name`.
    #[serde(default)]
    pub init_containers: Vec<Container>,
    /// Pod volumes by name, mounted into the main container.
    #[serde(default)]
    pub volumes: IndexMap<String, Volume>,
    /// The Kubernetes Service in front of the pods.
    pub service: Option<ServiceSpec>,
    /// Rolling update (deployments).
    pub strategy: Option<Strategy>,
    /// Seconds the pods get to stop after SIGTERM (`terminationGracePeriodSeconds`); Kubernetes'
    /// default is 30.
    pub termination_grace_period: Option<i64>,
    /// Node labels the pods must run on (`nodeSelector`); on the same key they win over the `[gpu]`
    /// node selector.
    #[serde(default)]
    pub node_selector: IndexMap<String, String>,
    // -- statefulset
    /// `OrderedReady` (default) or `Parallel`.
    /// Statefulsets only (`podManagementPolicy`).
    pub pod_management_policy: Option<String>,
    // -- job and cronjob
    /// Jobs and cronjobs: pods that run at once (`parallelism`); Kubernetes' default is 1.
    pub parallelism: Option<i32>,
    /// Jobs and cronjobs: pods that must succeed for the Job to complete (`completions`).
    pub completions: Option<i32>,
    /// Jobs and cronjobs: retries before the Job is marked failed (`backoffLimit`); Kubernetes'
    /// default is 6.
    pub backoff_limit: Option<i32>,
    /// Jobs and cronjobs: seconds a Job may run before it is stopped and marked failed
    /// (`activeDeadlineSeconds`).
    pub active_deadline_seconds: Option<i64>,
    /// Jobs and cronjobs: seconds after a Job finishes before it is deleted
    /// (`ttlSecondsAfterFinished`).
    pub ttl_seconds_after_finished: Option<i32>,
    /// `OnFailure` (default for jobs) or `Never`.
    /// Jobs and cronjobs only: the pods' `restartPolicy`.
    pub restart_policy: Option<String>,
    // -- cronjob
    /// Cronjobs, required: when the job runs (`schedule`), as five cron fields (`"0 2 * * *"`) or a
    /// macro (`"@daily"`), checked as the API server parses it.
    pub schedule: Option<String>,
    /// Cronjobs: the IANA time zone `schedule` is read in (`timeZone`, e.g. `"Europe/Berlin"`);
    /// default the controller manager's.
    pub time_zone: Option<String>,
    /// `Allow`, `Forbid` or `Replace`.
    /// Cronjobs only: whether a run may start while the last one is still running
    /// (`concurrencyPolicy`); Kubernetes' default is `Allow`.
    pub concurrency_policy: Option<String>,
    /// Cronjobs: `true` starts no new runs (`suspend`).
    pub suspend: Option<bool>,
    /// Cronjobs: seconds after a missed start time in which the run may still start
    /// (`startingDeadlineSeconds`).
    pub starting_deadline_seconds: Option<i64>,
    /// Cronjobs: finished Jobs to keep (`successfulJobsHistoryLimit`); Kubernetes' default is 3.
    pub successful_jobs_history_limit: Option<i32>,
    /// Cronjobs: failed Jobs to keep (`failedJobsHistoryLimit`); Kubernetes' default is 1.
    pub failed_jobs_history_limit: Option<i32>,
    // -- scaling, availability, placement, security, observability
    /// HorizontalPodAutoscaler (autoscaling/v2).
    pub autoscaling: Option<Autoscaling>,
    /// KEDA ScaledObject (scale to zero on queue depth and more).
    pub keda: Option<Keda>,
    /// VerticalPodAutoscaler.
    pub vpa: Option<Vpa>,
    /// PodDisruptionBudget.
    pub disruption: Option<Disruption>,
    /// Anti-affinity, topology spread, tolerations.
    #[serde(default)]
    pub placement: Placement,
    /// Pod and container security context; hardened unless changed here.
    #[serde(default)]
    pub security: Security,
    /// The pod's service account.
    pub service_account: Option<ServiceAccount>,
    /// Prometheus ServiceMonitor for a metrics endpoint.
    pub metrics: Option<Metrics>,
    /// Labels, selector and Service kept exactly as another tool made them (`archctl import`), in
    /// place of the recommended ones; archctl adds none of its defaults to such a workload. Legacy:
    /// warned about as `W013`.
    pub legacy: Option<Legacy>,
    /// Worker pools: each table is merged onto this service to make a
    /// service `<name>-<pool>`; expanded when the topology is loaded, so
    /// always empty here.
    #[serde(default, skip_serializing)]
    #[schemars(with = "IndexMap<String, serde_json::Map<String, serde_json::Value>>")]
    pub pools: IndexMap<String, toml::Table>,
}

/// A workload as another tool made it: its labels and selector, kept exactly.
///
/// A Deployment's or StatefulSet's `spec.selector` is immutable, so a workload that moves to
/// archctl's recommended labels must be deleted and created again; until then this table keeps
/// what the cluster has. With it, archctl adds neither the project's labels nor the recommended
/// ones, nor any of its defaults (security contexts, `automountServiceAccountToken`, the `/tmp`
/// volume, the Service's `type`, a job's `restartPolicy`): only what the topology states.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Legacy {
    /// The workload's `spec.selector.matchLabels`, exactly; required for deployments and
    /// statefulsets, not given for jobs and cronjobs (whose selectors Kubernetes makes).
    #[serde(default)]
    pub selector: IndexMap<String, String>,
    /// The workload's own labels (`metadata.labels`), exactly; default none.
    #[serde(default)]
    pub labels: IndexMap<String, String>,
    /// The pod template's labels, exactly; default `selector`. They must hold every `selector`
    /// label.
    pub pod_labels: Option<IndexMap<String, String>>,
    /// Statefulsets: the governing Service's name (`serviceName`); default none.
    pub service_name: Option<String>,
    /// The Service in front of the pods, exactly; without it, no Service is rendered.
    pub service: Option<LegacyService>,
    /// The labels of the service's other objects, exactly, where they differ from `labels`
    /// (each default `labels`).
    #[serde(default)]
    pub object_labels: LegacyObjectLabels,
}

/// The labels of a legacy service's other objects, each exactly (`{}`: none); not given, the
/// object gets the workload's `labels`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LegacyObjectLabels {
    /// The HorizontalPodAutoscaler's labels (`autoscaling`).
    pub autoscaling: Option<IndexMap<String, String>>,
    /// The PodDisruptionBudget's labels (`disruption`).
    pub disruption: Option<IndexMap<String, String>>,
    /// The VerticalPodAutoscaler's labels (`vpa`).
    pub vpa: Option<IndexMap<String, String>>,
    /// The KEDA ScaledObject's labels (`keda`).
    pub keda: Option<IndexMap<String, String>>,
    /// The ServiceMonitor's labels (`metrics`), in place of the workload's and `metrics.labels`.
    pub metrics: Option<IndexMap<String, String>>,
    /// The ServiceAccount's labels (`service_account`).
    pub service_account: Option<IndexMap<String, String>>,
}

/// A Service kept as another tool made it; it selects the pods with `selector`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LegacyService {
    /// The Service's labels (`metadata.labels`), exactly; default none.
    #[serde(default)]
    pub labels: IndexMap<String, String>,
    /// `ClusterIP`, `NodePort` or `LoadBalancer` (`type`); left out when not given.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `"None"` for a headless Service (`clusterIP`); left out when not given.
    pub cluster_ip: Option<String>,
    /// The Service's ports, exactly, in order.
    #[serde(default)]
    pub ports: Vec<LegacyServicePort>,
}

/// A Service port as written.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LegacyServicePort {
    /// The port's `name`; left out when not given.
    pub name: Option<String>,
    /// Required: the Service's `port`.
    pub port: i32,
    /// `targetPort`: a number or a container port name; left out when not given.
    pub target_port: Option<PortRef>,
    /// `protocol`; left out when not given.
    pub protocol: Option<String>,
}

/// An object's labels kept exactly as another tool made them.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LegacyLabels {
    /// The object's labels (`metadata.labels`), exactly; default none.
    #[serde(default)]
    pub labels: IndexMap<String, String>,
}

/// A container of a pod.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Container {
    /// Defaults to the service name for the main container.
    /// Required for sidecars and init containers; unique within the pod.
    pub name: Option<String>,
    /// Required: the image reference (`ghcr.io/acme/api:1.4.2`), without white space. The main
    /// container's tag becomes the `app.kubernetes.io/version` label.
    pub image: String,
    /// `Always`, `IfNotPresent` or `Never`.
    /// Becomes `imagePullPolicy`; Kubernetes' default depends on the tag.
    pub image_pull_policy: Option<String>,
    /// The entrypoint (`command`), replacing the image's `ENTRYPOINT`.
    #[serde(default)]
    pub command: Vec<String>,
    /// The arguments (`args`), replacing the image's `CMD`.
    #[serde(default)]
    pub args: Vec<String>,
    /// The working directory (`workingDir`).
    pub working_dir: Option<String>,
    /// Named ports: `{ http = 8000 }` or `{ http = { port = 8000, protocol = "UDP" } }`.
    /// Exposed ports are also the ports of the service's Service.
    #[serde(default)]
    pub ports: IndexMap<String, Port>,
    /// Environment, in order: plain values or references.
    #[serde(default)]
    pub env: IndexMap<String, EnvValue>,
    /// Every key of a Secret or ConfigMap as an environment variable (`envFrom`):
    /// `{ secret = "…" }` or `{ config_map = "…" }`, each with optional `prefix` and `optional`.
    #[serde(default)]
    pub env_from: Vec<EnvFrom>,
    /// The container's `liveness`, `readiness` and `startup` probes.
    #[serde(default)]
    pub probes: Probes,
    /// Only for sidecars and init containers: the main container's resources
    /// are the service's `resources`.
    pub resources: Option<ResourcesRef>,
    /// Only for sidecars and init containers: volume name to mount path.
    #[serde(default)]
    pub volume_mounts: IndexMap<String, String>,
    /// `preStop` hook: a command, or seconds to sleep.
    /// A number sleeps that many seconds (at least 1); not on init containers.
    pub pre_stop: Option<PreStop>,
}

/// A `preStop` hook: `["cmd", "arg"]` runs a command, a number sleeps.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum PreStop {
    Sleep(i64),
    Exec(Vec<String>),
}

impl<'de> Deserialize<'de> for PreStop {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PreStop;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("seconds to sleep, or a command as a list of strings")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PreStop, E> {
                Ok(PreStop::Sleep(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PreStop, E> {
                Ok(PreStop::Sleep(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<PreStop, A::Error> {
                Vec::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(PreStop::Exec)
            }
        }
        d.deserialize_any(V)
    }
}

/// A named container port.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Port {
    pub port: i32,
    pub protocol: Option<String>,
    /// The Service's port, when it differs from the container's.
    pub service_port: Option<i32>,
    /// Set false to keep the port out of the Service.
    pub expose: bool,
    /// The container port has no `name` (manifests that another tool wrote); the key names it
    /// only within the topology.
    pub unnamed: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PortTable {
    port: i32,
    protocol: Option<String>,
    service_port: Option<i32>,
    #[serde(default = "yes")]
    expose: bool,
    #[serde(default)]
    unnamed: bool,
}

fn yes() -> bool {
    true
}

impl<'de> Deserialize<'de> for Port {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Port;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a port number, or a table with `port`")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Port, E> {
                let port = i32::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))?;
                Ok(Port { port, protocol: None, service_port: None, expose: true, unnamed: false })
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Port, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Port, A::Error> {
                let t = PortTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                Ok(Port {
                    port: t.port,
                    protocol: t.protocol,
                    service_port: t.service_port,
                    expose: t.expose,
                    unnamed: t.unnamed,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// A port by number or by container port name.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum PortRef {
    Number(i32),
    Name(String),
}

/// An environment variable's value.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum EnvValue {
    /// A plain value; numbers and booleans are written as strings.
    Plain(String),
    Ref(EnvRef),
}

/// A value taken from a Secret, a ConfigMap or the pod itself.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvRef {
    /// A secret of `[secrets]` in the service's namespace (`secretKeyRef`); goes with `key`.
    pub secret: Option<String>,
    /// A config map of `[config_maps]` in the service's namespace (`configMapKeyRef`); goes with
    /// `key`.
    pub config_map: Option<String>,
    /// With `secret` or `config_map`: the key to read. It must be one of the secret's `keys` (when
    /// it lists any) or of the config map's `data` and `files`, unless `optional`.
    pub key: Option<String>,
    /// A pod field such as `metadata.name` or `status.podIP`.
    /// Becomes a `fieldRef`.
    pub field: Option<String>,
    /// A container resource such as `limits.memory`.
    /// Becomes a `resourceFieldRef`.
    pub resource: Option<String>,
    /// `true`: the container starts even when the secret, the config map or the key is missing
    /// (`optional`).
    pub optional: Option<bool>,
}

impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = EnvValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string, number or boolean, or a table with `secret` and `key`, `config_map` and `key`, or `field`")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EnvValue, E> {
                Ok(EnvValue::Plain(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<EnvValue, E> {
                Ok(EnvValue::Plain(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<EnvValue, E> {
                Ok(EnvValue::Plain(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<EnvValue, E> {
                Ok(EnvValue::Plain(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<EnvValue, E> {
                Ok(EnvValue::Plain(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<EnvValue, A::Error> {
                EnvRef::deserialize(de::value::MapAccessDeserializer::new(map)).map(EnvValue::Ref)
            }
        }
        d.deserialize_any(V)
    }
}

/// All keys of a Secret or ConfigMap as environment variables.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvFrom {
    /// A secret of `[secrets]` in the service's namespace (`secretRef`).
    pub secret: Option<String>,
    /// A config map of `[config_maps]` in the service's namespace (`configMapRef`).
    pub config_map: Option<String>,
    /// Put before the name of every variable (`prefix`).
    pub prefix: Option<String>,
    /// `true`: the container starts even when the secret or config map is missing (`optional`).
    pub optional: Option<bool>,
}

/// A container's probes.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Probes {
    /// Restarts the container when it fails (`livenessProbe`).
    pub liveness: Option<Probe>,
    /// Takes the pod out of its Service's endpoints while it fails (`readinessProbe`).
    pub readiness: Option<Probe>,
    /// Holds the other probes back until it succeeds once (`startupProbe`), for slow starters.
    pub startup: Option<Probe>,
}

/// A probe: exactly one of `http`, `exec`, `tcp`, `grpc`, plus timing.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Probe {
    /// HTTP GET of this path.
    /// It must start with `/` (`httpGet`).
    pub http: Option<String>,
    /// `HTTP` (default) or `HTTPS`.
    pub scheme: Option<String>,
    /// Run this command.
    /// Becomes an `exec` action.
    pub exec: Option<Vec<String>>,
    /// Open a TCP connection.
    /// `tcp = true` becomes a `tcpSocket` action.
    pub tcp: Option<bool>,
    /// gRPC health check; `grpc_service` names the service.
    /// A named port is rendered as its number, which gRPC probes require.
    pub grpc: Option<bool>,
    /// With `grpc`: the service name sent in the health check request (`grpc.service`).
    pub grpc_service: Option<String>,
    /// Port number or name; defaults to the container's first port.
    pub port: Option<PortRef>,
    /// Seconds after the container starts before the first probe (`initialDelaySeconds`);
    /// Kubernetes' default is 0.
    pub initial_delay: Option<i32>,
    /// Seconds between probes (`periodSeconds`), at least 1; Kubernetes' default is 10.
    pub period: Option<i32>,
    /// Seconds before a probe times out (`timeoutSeconds`), at least 1; Kubernetes' default is 1.
    pub timeout: Option<i32>,
    /// Failures in a row before the probe counts as failed (`failureThreshold`); Kubernetes'
    /// default is 3.
    pub failure_threshold: Option<i32>,
    /// Successes in a row before the probe counts as passing again (`successThreshold`);
    /// Kubernetes' default is 1, the only value liveness and startup probes accept.
    pub success_threshold: Option<i32>,
}

/// `ReadWriteOnce`, `ReadWriteMany`, `ReadOnlyMany` or `ReadWriteOncePod`.
// the variants are spelt as Kubernetes spells the access modes
#[allow(clippy::enum_variant_names)]
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Default, JsonSchema)]
pub enum AccessMode {
    #[default]
    ReadWriteOnce,
    ReadWriteMany,
    ReadOnlyMany,
    ReadWriteOncePod,
}

impl AccessMode {
    pub fn as_str(self) -> &'static str {
        match self {
            AccessMode::ReadWriteOnce => "ReadWriteOnce",
            AccessMode::ReadWriteMany => "ReadWriteMany",
            AccessMode::ReadOnlyMany => "ReadOnlyMany",
            AccessMode::ReadWriteOncePod => "ReadWriteOncePod",
        }
    }
}

/// A pod volume and where the main container mounts it. Its source is
/// exactly one of: `size` (a statefulset's per-pod claim), `claim` (a shared
/// claim from `[claims]`), `config_map`, `secret`, `empty_dir`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Volume {
    /// Mount path in the main container; omit to mount it only in sidecars.
    pub mount: Option<String>,
    /// Mount only this path inside the volume (`subPath`); relative, without `..`.
    pub sub_path: Option<String>,
    /// Mount the volume read-only (`readOnly`); a claim volume is marked read-only too.
    pub read_only: Option<bool>,
    /// Statefulsets only: one claim per pod of this size, rendered as a `volumeClaimTemplate` named
    /// after the volume; a quantity, or one per phase.
    pub size: Option<PerPhase<QuantityText>>,
    /// With `size`: a storage class of `[storage_classes]`; omitted, the claims get no
    /// `storageClassName` (the cluster's default class).
    pub storage_class: Option<String>,
    /// With `size`: the claims' access mode; default `ReadWriteOnce`.
    pub access: Option<AccessMode>,
    /// A shared claim of `[claims]` in the service's namespace (`persistentVolumeClaim`).
    pub claim: Option<String>,
    /// A config map of `[config_maps]` in the service's namespace, its keys as files (`configMap`).
    pub config_map: Option<String>,
    /// A secret of `[secrets]` in the service's namespace, its keys as files (`secret`).
    pub secret: Option<String>,
    /// `true`: scratch space that lives as long as the pod (`emptyDir`).
    pub empty_dir: Option<bool>,
    /// `Memory` for a tmpfs empty dir.
    /// Becomes `emptyDir.medium`.
    pub medium: Option<String>,
    /// With `empty_dir`: the most it may hold (`emptyDir.sizeLimit`), a quantity.
    pub size_limit: Option<QuantityText>,
}

/// How the pods are exposed.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, JsonSchema)]
pub enum ServiceType {
    ClusterIP,
    LoadBalancer,
    NodePort,
    /// `clusterIP: None`; the default for statefulsets.
    Headless,
    /// No Service object.
    None,
}

/// The Service in front of a deployment's or statefulset's pods, rendered when at least one port is
/// exposed.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// `ClusterIP` (default for deployments), `Headless` (`clusterIP: None`; default for
    /// statefulsets), `LoadBalancer`, `NodePort`, or `None` for no Service.
    #[serde(rename = "type")]
    pub kind: Option<ServiceType>,
    /// Annotations on the Service only, such as a cloud load balancer's settings.
    #[serde(default)]
    pub annotations: IndexMap<String, String>,
    /// Publish addresses of pods that are not ready (statefulset peers).
    /// Becomes `publishNotReadyAddresses`.
    pub publish_not_ready: Option<bool>,
}

/// Rolling update settings; numbers or percentages.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Strategy {
    /// `RollingUpdate` (default) or `Recreate`.
    /// Becomes `strategy.type`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Pods above `replicas` during a rolling update (`rollingUpdate.maxSurge`): a number or a
    /// percentage such as `"25%"`; Kubernetes' default is 25%.
    pub max_surge: Option<IntOrPercent>,
    /// Pods below `replicas` during a rolling update (`rollingUpdate.maxUnavailable`): a number or
    /// a percentage; Kubernetes' default is 25%. Not 0 when `max_surge` is 0.
    pub max_unavailable: Option<IntOrPercent>,
    /// Seconds a new pod must be ready before it counts as available (`minReadySeconds`).
    pub min_ready_seconds: Option<i32>,
    /// Old ReplicaSets kept for rollbacks (`revisionHistoryLimit`); Kubernetes' default is 10.
    pub revision_history_limit: Option<i32>,
}

/// A whole number, or a percentage such as `"25%"`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum IntOrPercent {
    Int(i32),
    Percent(String),
}

/// A ConfigMap, rendered from plain entries and files.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigMap {
    /// Default: the project's namespace.
    pub namespace: Option<String>,
    /// Plain key/value entries.
    /// A key may be in `data` or `files`, not both.
    #[serde(default)]
    pub data: IndexMap<String, String>,
    /// Whole files: inline text, or `{ path = "…" }` relative to the topology.
    /// A file must be a regular UTF-8 file of at most 1 MiB inside the topology's folder (or an
    /// `--allow-read` folder).
    #[serde(default)]
    pub files: IndexMap<String, FileSource>,
    /// Labels on the ConfigMap, besides the project's and the recommended ones.
    #[serde(default)]
    pub labels: IndexMap<String, String>,
    /// The ConfigMap's labels kept exactly as another tool made them (`archctl import`), in place
    /// of the project's, the recommended and `labels`. Legacy: warned about as `W013`.
    pub legacy: Option<LegacyLabels>,
}

/// A file's text, or `{ path = "…" }` to read it from a file.
#[derive(Clone, Debug, PartialEq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum FileSource {
    Inline(String),
    Path(FilePath),
}

/// A file to read.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilePath {
    /// The file, relative to the topology file's folder.
    pub path: String,
}

impl<'de> Deserialize<'de> for FileSource {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        string_or_struct(d, FileSource::Inline, FileSource::Path)
    }
}

/// A Secret that exists in the cluster (created by an operator or a secret
/// manager); the topology only names its keys, never its values.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Secret {
    /// Default: the project's namespace.
    pub namespace: Option<String>,
    /// The keys workloads may reference.
    /// When the list is empty, any key is accepted.
    #[serde(default)]
    pub keys: Vec<String>,
    /// Secret type; `Opaque` by default.
    /// Becomes the `type` of a placeholder Secret.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Render the Secret with placeholder values (for throwaway dev
    /// clusters); by default no Secret object is rendered.
    #[serde(default)]
    pub placeholder: bool,
    /// Fetch the values from this store (`[secret_stores.<name>]`) with an
    /// ExternalSecret.
    pub store: Option<String>,
    /// Where the values live in the store: one remote key holding every
    /// key as a property, or a table from key to remote key.
    pub remote: Option<RemoteRef>,
    /// How often the operator refreshes the values (`1h`).
    pub refresh: Option<String>,
    /// The ExternalSecret's labels kept exactly as another tool made them (`archctl import`), in
    /// place of the project's and the recommended ones; with `store` only. Legacy: warned about
    /// as `W013`.
    pub legacy: Option<LegacyLabels>,
}

/// A PersistentVolumeClaim, typically shared by several pods.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// Default: the project's namespace.
    pub namespace: Option<String>,
    /// Required: the storage requested (`resources.requests.storage`), a quantity or one per phase.
    pub size: PerPhase<QuantityText>,
    /// A storage class of `[storage_classes]`; omitted, the claim gets no `storageClassName` (the
    /// cluster's default class).
    pub storage_class: Option<String>,
    /// The access mode: `ReadWriteOnce` (default), `ReadWriteMany` (shared across nodes),
    /// `ReadOnlyMany` or `ReadWriteOncePod`.
    pub access: Option<AccessMode>,
    /// The claim's labels kept exactly as another tool made them (`archctl import`), in place of
    /// the project's and the recommended ones. Legacy: warned about as `W013`.
    pub legacy: Option<LegacyLabels>,
}

/// Deserializes a value that is either a string or a table.
fn string_or_struct<'de, D, T, S>(d: D, from_str: fn(String) -> T, from_table: fn(S) -> T) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    S: Deserialize<'de>,
{
    struct V<T, S>(fn(String) -> T, fn(S) -> T);
    impl<'de, T, S: Deserialize<'de>> Visitor<'de> for V<T, S> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a string or a table")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            Ok((self.0)(v.to_string()))
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            S::deserialize(de::value::MapAccessDeserializer::new(map)).map(self.1)
        }
    }
    d.deserialize_any(V(from_str, from_table))
}

/// The value of every key of a placeholder Secret (`placeholder = true`).
pub(crate) const SECRET_PLACEHOLDER: &str = "REPLACE_ME";

impl Topology {
    /// Where an entity without its own `namespace` lands: the project's
    /// `namespace`, else a namespace named after the project.
    pub fn default_namespace(&self) -> &str {
        self.project.namespace.as_deref().unwrap_or(&self.project.name)
    }

    /// The namespace of an entity whose own `namespace` is `own`.
    pub fn namespace_of<'a>(&'a self, own: &'a Option<String>) -> &'a str {
        own.as_deref().unwrap_or_else(|| self.default_namespace())
    }
}
