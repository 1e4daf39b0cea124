//! Scaling and availability: HPA, KEDA, VPA, disruption budgets, feature
//! switches.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Amounts, IntOrPercent, PerPhase};

/// A HorizontalPodAutoscaler (autoscaling/v2). While it is on, the
/// workload's `replicas` is left for the autoscaler to own.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Autoscaling {
    /// Name of the HPA object; defaults to the service name.
    pub name: Option<String>,
    pub min: PerPhase<i32>,
    pub max: PerPhase<i32>,
    /// Target average CPU utilisation, percent of requests.
    pub cpu: Option<i32>,
    /// Target average memory utilisation, percent of requests.
    pub memory: Option<i32>,
    pub scale_up: Option<ScalingRules>,
    pub scale_down: Option<ScalingRules>,
}

/// `behavior.scaleUp` / `scaleDown` of an HPA.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScalingRules {
    /// Stabilization window, seconds.
    pub stabilization: Option<i32>,
    /// `Max` (default), `Min` or `Disabled`.
    pub select: Option<String>,
    #[serde(default)]
    pub policies: Vec<ScalingPolicy>,
}

#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ScalingPolicy {
    /// `Percent` or `Pods`.
    #[serde(rename = "type")]
    pub kind: String,
    pub value: i32,
    /// Period, seconds.
    pub period: i32,
}

/// A KEDA ScaledObject (keda.sh/v1alpha1).
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Keda {
    /// Name of the ScaledObject; defaults to the service name.
    pub name: Option<String>,
    /// Replicas when idle; 0 scales to zero.
    pub min: PerPhase<i32>,
    pub max: PerPhase<i32>,
    /// Seconds between trigger checks.
    pub polling_interval: Option<i32>,
    /// Seconds after the last active trigger before scaling to `min`.
    pub cooldown: Option<i32>,
    /// Replicas while a trigger cannot be read.
    pub fallback_replicas: Option<i32>,
    pub triggers: Vec<Trigger>,
}

/// A KEDA trigger: its type (`nats-jetstream`, `prometheus`, `cpu`,
/// `memory`, …) and the type's metadata, passed through as given.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Trigger {
    #[serde(rename = "type")]
    pub kind: String,
    /// Optional trigger name.
    pub name: Option<String>,
    /// For `cpu` and `memory`: `Utilization` or `AverageValue`.
    pub metric_type: Option<String>,
    #[serde(default)]
    pub metadata: IndexMap<String, String>,
    /// A TriggerAuthentication in the same namespace.
    pub authentication: Option<String>,
}

/// A VerticalPodAutoscaler for the main container.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Vpa {
    /// Name of the VPA object; defaults to the service name.
    pub name: Option<String>,
    /// `Off`, `Initial`, `Recreate`, `InPlaceOrRecreate` or `Auto`.
    pub mode: Option<String>,
    pub min: Option<Amounts>,
    pub max: Option<Amounts>,
    /// `RequestsAndLimits` (default) or `RequestsOnly`.
    pub controlled_values: Option<String>,
}

/// A PodDisruptionBudget: one of `min_available` and `max_unavailable`.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Disruption {
    pub min_available: Option<IntOrPercent>,
    pub max_unavailable: Option<IntOrPercent>,
}

/// What a profile may switch off; everything is on by default.
#[derive(Clone, Debug, Serialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Features {
    /// HPAs and KEDA ScaledObjects.
    pub autoscaling: bool,
    pub vpa: bool,
    pub disruption_budgets: bool,
    pub network_policies: bool,
    pub service_monitors: bool,
    pub ingress: bool,
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
        }
        let p = Partial::deserialize(d)?;
        Ok(Features {
            autoscaling: p.autoscaling.unwrap_or(true),
            vpa: p.vpa.unwrap_or(true),
            disruption_budgets: p.disruption_budgets.unwrap_or(true),
            network_policies: p.network_policies.unwrap_or(true),
            service_monitors: p.service_monitors.unwrap_or(true),
            ingress: p.ingress.unwrap_or(true),
        })
    }
}
