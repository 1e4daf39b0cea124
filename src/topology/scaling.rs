//! Scaling and availability: HPA, KEDA, VPA, disruption budgets, feature
//! switches.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Amounts, IntOrPercent, PerPhase, QuantityText};

/// A HorizontalPodAutoscaler (autoscaling/v2). While it is on, the
/// workload's `replicas` is left for the autoscaler to own.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Autoscaling {
    /// Name of the HPA object; defaults to the service name.
    pub name: Option<String>,
    /// Required: the fewest replicas (`minReplicas`), a number or one per phase.
    pub min: PerPhase<i32>,
    /// Required: the most replicas (`maxReplicas`), a number or one per phase; at least 1 and not
    /// below `min`.
    pub max: PerPhase<i32>,
    /// Target average CPU utilisation, percent of requests.
    /// At least 1. Without `cpu` and `memory` the HPA has no `metrics`, and Kubernetes then targets
    /// 80% CPU.
    pub cpu: Option<i32>,
    /// Target average memory utilisation, percent of requests.
    /// At least 1.
    pub memory: Option<i32>,
    /// Metrics beyond CPU and memory: `Pods`, `Object` and `External` metrics served by a
    /// metrics adapter (a queue length from a Prometheus adapter, say), each with its target.
    #[serde(default)]
    pub metrics: Vec<HpaMetric>,
    /// The replicas expected under normal load, a number or one per phase, within `min`..`max`.
    /// Only `plan` reads it (its growth table shows it beside the min–max); the render leaves
    /// `replicas` out, because the HPA owns it.
    pub expected: Option<PerPhase<i32>>,
    /// How fast the HPA scales up (`behavior.scaleUp`).
    pub scale_up: Option<ScalingRules>,
    /// How fast the HPA scales down (`behavior.scaleDown`).
    pub scale_down: Option<ScalingRules>,
}

/// One `autoscaling/v2` metric that is not a container resource.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HpaMetric {
    /// `pods` (a metric of each pod, averaged), `object` (a metric of one Kubernetes object) or
    /// `external` (a metric from outside the cluster, such as a queue's length).
    /// Becomes the metric's `type`: `Pods`, `Object` or `External`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The metric's name as the metrics adapter serves it (`metric.name`).
    pub name: String,
    /// Labels that select among the metric's series (`metric.selector.matchLabels`).
    #[serde(default)]
    pub selector: IndexMap<String, String>,
    /// With `type = "object"`, required: the object the metric describes (`describedObject`).
    pub object: Option<DescribedObject>,
    /// Target per pod (`target.averageValue`, type `AverageValue`): a quantity such as `"30"` or
    /// `"500m"`. The only target of a `pods` metric. Not with `value`.
    pub average_value: Option<QuantityText>,
    /// Target total (`target.value`, type `Value`), for `object` and `external` metrics. Not
    /// with `average_value`.
    pub value: Option<QuantityText>,
}

/// The object an `object` metric describes.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DescribedObject {
    /// Its kind, such as `Ingress` or `Service`.
    pub kind: String,
    /// Its name, in the service's namespace.
    pub name: String,
    /// Its API version (`apiVersion`), such as `networking.k8s.io/v1`; default `v1`.
    pub api_version: Option<String>,
}

/// `behavior.scaleUp` / `scaleDown` of an HPA.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScalingRules {
    /// Stabilization window, seconds.
    /// Becomes `stabilizationWindowSeconds`.
    pub stabilization: Option<i32>,
    /// `Max` (default), `Min` or `Disabled`.
    /// Which policy wins when several allow a change (`selectPolicy`).
    pub select: Option<String>,
    /// Bounds on each step (`policies`): `{ type = "Percent" | "Pods", value, period }`.
    #[serde(default)]
    pub policies: Vec<ScalingPolicy>,
}

/// At most `value` pods, or `value` percent of the pods, per `period` seconds.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScalingPolicy {
    /// `Percent` or `Pods`.
    /// Becomes the policy's `type`.
    #[serde(rename = "type")]
    pub kind: String,
    /// How many pods, or what percent of them (`value`).
    pub value: i32,
    /// Period, seconds.
    /// Becomes `periodSeconds`.
    pub period: i32,
}

/// A KEDA ScaledObject (keda.sh/v1alpha1).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keda {
    /// Name of the ScaledObject; defaults to the service name.
    pub name: Option<String>,
    /// Replicas when idle; 0 scales to zero.
    /// Required: `minReplicaCount`, a number or one per phase.
    pub min: PerPhase<i32>,
    /// Required: the most replicas (`maxReplicaCount`), a number or one per phase; at least 1 and
    /// not below `min`.
    pub max: PerPhase<i32>,
    /// Seconds between trigger checks.
    /// Becomes `pollingInterval`.
    pub polling_interval: Option<i32>,
    /// Seconds after the last active trigger before scaling to `min`.
    /// Becomes `cooldownPeriod`.
    pub cooldown: Option<i32>,
    /// Replicas while a trigger cannot be read.
    /// Becomes `fallback.replicas`, with `failureThreshold: 3`.
    pub fallback_replicas: Option<i32>,
    /// Required, at least one: what the ScaledObject scales on (`triggers`).
    pub triggers: Vec<Trigger>,
    /// The replicas expected under normal load, a number or one per phase, within `min`..`max`.
    /// Only `plan` reads it.
    pub expected: Option<PerPhase<i32>>,
    /// How fast KEDA's HPA scales up
    /// (`advanced.horizontalPodAutoscalerConfig.behavior.scaleUp`).
    pub scale_up: Option<ScalingRules>,
    /// How fast KEDA's HPA scales down
    /// (`advanced.horizontalPodAutoscalerConfig.behavior.scaleDown`).
    pub scale_down: Option<ScalingRules>,
    /// Deployments: `true` writes only the target's name (`scaleTargetRef.name`), as another tool
    /// wrote it; KEDA then targets the `apps/v1` Deployment of that name. Default `false`.
    #[serde(default)]
    pub short_target: bool,
}

/// A KEDA trigger: its type (`nats-jetstream`, `prometheus`, `cpu`,
/// `memory`, …) and the type's metadata, passed through as given.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    /// The KEDA scaler (`type`): `nats-jetstream`, `prometheus`, `cpu`, `memory`, …; passed through
    /// as written.
    #[serde(rename = "type")]
    pub kind: String,
    /// Optional trigger name.
    pub name: Option<String>,
    /// The metric target type (`metricType`): `AverageValue` (KEDA's default), `Value`, or, for
    /// `cpu` and `memory` triggers, `Utilization`.
    pub metric_type: Option<String>,
    /// The scaler's settings (`metadata`), string values passed through as written.
    #[serde(default)]
    pub metadata: IndexMap<String, String>,
    /// A TriggerAuthentication in the same namespace.
    /// Becomes `authenticationRef.name`.
    pub authentication: Option<String>,
}

/// A VerticalPodAutoscaler for the main container.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vpa {
    /// Name of the VPA object; defaults to the service name.
    pub name: Option<String>,
    /// `Off`, `Initial`, `Recreate`, `InPlaceOrRecreate`, `InPlace` (VPA 1.7: resize in place only), or
    /// `Auto` (deprecated since VPA 1.4: it
    /// means `Recreate`; warning W012).
    /// Becomes `updatePolicy.updateMode`.
    pub mode: Option<String>,
    /// The least the VPA may set (`resourcePolicy.containerPolicies[].minAllowed`): `cpu`,
    /// `memory`, `ephemeral_storage`, `gpu`.
    pub min: Option<Amounts>,
    /// The most the VPA may set (`resourcePolicy.containerPolicies[].maxAllowed`): `cpu`, `memory`,
    /// `ephemeral_storage`, `gpu`.
    pub max: Option<Amounts>,
    /// `RequestsAndLimits` (default) or `RequestsOnly`.
    /// Becomes `controlledValues`.
    pub controlled_values: Option<String>,
}

/// A PodDisruptionBudget: one of `min_available` and `max_unavailable`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Disruption {
    /// Name of the PodDisruptionBudget; defaults to the service name.
    pub name: Option<String>,
    /// Pods that must stay up through voluntary disruptions such as node drains (`minAvailable`): a
    /// number or a percentage. Not with `max_unavailable`, and low enough that a pod can be
    /// evicted.
    pub min_available: Option<IntOrPercent>,
    /// Pods that may be down at once during voluntary disruptions (`maxUnavailable`): a number or a
    /// percentage, above 0. Not with `min_available`.
    pub max_unavailable: Option<IntOrPercent>,
}

/// What a profile may switch off; everything is on by default.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Features {
    /// HPAs and KEDA ScaledObjects.
    /// `false` leaves them out, and workloads get their `replicas` again. Default `true`.
    pub autoscaling: bool,
    /// `false` leaves out every VerticalPodAutoscaler. Default `true`.
    pub vpa: bool,
    /// `false` leaves out every PodDisruptionBudget, and the check that a budget allows an
    /// eviction. Default `true`.
    pub disruption_budgets: bool,
    /// `false` leaves out every NetworkPolicy, the `default_deny` ones included. Default `true`.
    pub network_policies: bool,
    /// `false` leaves out every ServiceMonitor. Default `true`.
    pub service_monitors: bool,
    /// `false` leaves out every Ingress. Default `true`.
    pub ingress: bool,
    /// `false` leaves out every Gateway, HTTPRoute, GRPCRoute and ReferenceGrant. Default `true`.
    pub gateway_api: bool,
}

impl Default for Features {
    fn default() -> Self {
        Features {
            autoscaling: true,
            vpa: true,
            disruption_budgets: true,
            network_policies: true,
            service_monitors: true,
            ingress: true,
            gateway_api: true,
        }
    }
}

impl<'de> Deserialize<'de> for Features {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Partial {
            autoscaling: Option<bool>,
            vpa: Option<bool>,
            disruption_budgets: Option<bool>,
            network_policies: Option<bool>,
            service_monitors: Option<bool>,
            ingress: Option<bool>,
            gateway_api: Option<bool>,
        }
        let p = Partial::deserialize(d)?;
        Ok(Features {
            autoscaling: p.autoscaling.unwrap_or(true),
            vpa: p.vpa.unwrap_or(true),
            disruption_budgets: p.disruption_budgets.unwrap_or(true),
            network_policies: p.network_policies.unwrap_or(true),
            service_monitors: p.service_monitors.unwrap_or(true),
            ingress: p.ingress.unwrap_or(true),
            gateway_api: p.gateway_api.unwrap_or(true),
        })
    }
}
