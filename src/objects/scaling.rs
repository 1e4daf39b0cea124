//! Autoscalers and disruption budgets: HPA, KEDA ScaledObject, VPA, PDB.

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, ExternalMetricSource, HPAScalingPolicy, HPAScalingRules, HorizontalPodAutoscaler,
    HorizontalPodAutoscalerBehavior, HorizontalPodAutoscalerSpec, MetricIdentifier, MetricSpec, MetricTarget,
    ObjectMetricSource, PodsMetricSource, ResourceMetricSource,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as ApiQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::Object;
use super::crd::{
    Advanced, AuthenticationRef, ContainerPolicy, Fallback, HpaConfig, ResourcePolicy, ScaleTrigger, ScaledObject,
    ScaledObjectSpec, TargetRef, UpdatePolicy, VerticalPodAutoscaler, VpaSpec,
};
use crate::k8s::labels::LabelSet;
use crate::k8s::quantity::Quantity;
use crate::resolve::ResolvedService;
use crate::topology::{self, IntOrPercent, Kind};

/// The workload a scaler targets.
fn target(s: &ResolvedService<'_>) -> TargetRef {
    TargetRef {
        api_version: "apps/v1".into(),
        kind: match s.svc.kind {
            Kind::StatefulSet => "StatefulSet".into(),
            _ => "Deployment".into(),
        },
        name: s.name.to_string(),
    }
}

fn meta(name: &str, meta: &ObjectMeta) -> ObjectMeta {
    ObjectMeta { name: Some(name.to_string()), ..meta.clone() }
}

/// The metadata of one of a service's objects: `base` named `name`, with
/// the labels a legacy service keeps for that object (`pick` chooses
/// which of `legacy.object_labels`) in place of the workload's.
pub(super) fn own_meta(
    s: &ResolvedService<'_>,
    name: &str,
    base: &ObjectMeta,
    pick: fn(&topology::LegacyObjectLabels) -> &Option<indexmap::IndexMap<String, String>>,
) -> ObjectMeta {
    let mut m = meta(name, base);
    if let Some(labels) = s.svc.legacy.as_ref().and_then(|l| pick(&l.object_labels).as_ref()) {
        m.labels = (!labels.is_empty()).then(|| crate::k8s::labels::map(labels));
    }
    m
}

/// HPA, ScaledObject, VPA and PDB of one service, as its topology asks.
pub(super) fn scalers(
    s: &ResolvedService<'_>,
    base: &ObjectMeta,
    set: &LabelSet<'_>,
    features: &topology::Features,
    out: &mut Vec<Object>,
) {
    if let (Some(a), Some((min, max))) = (&s.svc.autoscaling, s.values.hpa) {
        out.push(hpa(s, a, min, max, base).into());
    }
    if let (Some(k), Some((min, max))) = (&s.svc.keda, s.values.keda) {
        out.push(keda(s, k, min, max, base).into());
    }
    if let Some(v) = &s.svc.vpa
        && features.vpa
    {
        out.push(vpa(s, v, base).into());
    }
    if let Some(d) = &s.svc.disruption
        && features.disruption_budgets
    {
        let ios = |v: &IntOrPercent| match v {
            IntOrPercent::Int(i) => IntOrString::Int(*i),
            IntOrPercent::Percent(p) => IntOrString::String(p.clone()),
        };
        out.push(
            PodDisruptionBudget {
                metadata: own_meta(s, d.name.as_deref().unwrap_or(s.name), base, |l| &l.disruption),
                spec: Some(PodDisruptionBudgetSpec {
                    min_available: d.min_available.as_ref().map(ios),
                    max_unavailable: d.max_unavailable.as_ref().map(ios),
                    selector: Some(LabelSelector {
                        match_labels: Some(crate::k8s::labels::pod_selector(set.project, s.name, Some(s.svc))),
                        ..Default::default()
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }
            .into(),
        );
    }
}

fn hpa(
    s: &ResolvedService<'_>,
    a: &topology::Autoscaling,
    min: i32,
    max: i32,
    base: &ObjectMeta,
) -> HorizontalPodAutoscaler {
    let t = target(s);
    let resource = |name: &str, pct: i32| MetricSpec {
        type_: "Resource".into(),
        resource: Some(ResourceMetricSource {
            name: name.into(),
            target: MetricTarget { type_: "Utilization".into(), average_utilization: Some(pct), ..Default::default() },
        }),
        ..Default::default()
    };
    let mut metrics = Vec::new();
    if let Some(c) = a.cpu {
        metrics.push(resource("cpu", c));
    }
    if let Some(m) = a.memory {
        metrics.push(resource("memory", m));
    }
    metrics.extend(a.metrics.iter().map(metric));
    let behavior = behavior(&a.scale_up, &a.scale_down);
    HorizontalPodAutoscaler {
        metadata: own_meta(s, a.name.as_deref().unwrap_or(s.name), base, |l| &l.autoscaling),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some(t.api_version),
                kind: t.kind,
                name: t.name,
            },
            min_replicas: Some(min),
            max_replicas: max,
            metrics: (!metrics.is_empty()).then_some(metrics),
            behavior,
        }),
        ..Default::default()
    }
}

/// `behavior` of an HPA (ours, or the one KEDA creates).
fn behavior(
    up: &Option<topology::ScalingRules>,
    down: &Option<topology::ScalingRules>,
) -> Option<HorizontalPodAutoscalerBehavior> {
    let rules = |r: &topology::ScalingRules| HPAScalingRules {
        stabilization_window_seconds: r.stabilization,
        select_policy: r.select.clone(),
        policies: (!r.policies.is_empty()).then(|| {
            r.policies
                .iter()
                .map(|p| HPAScalingPolicy { type_: p.kind.clone(), value: p.value, period_seconds: p.period })
                .collect()
        }),
        ..Default::default()
    };
    (up.is_some() || down.is_some()).then(|| HorizontalPodAutoscalerBehavior {
        scale_up: up.as_ref().map(rules),
        scale_down: down.as_ref().map(rules),
    })
}

/// A `Pods`, `Object` or `External` metric; its target quantities in
/// canonical form (validation has checked that they parse).
fn metric(m: &topology::HpaMetric) -> MetricSpec {
    let quantity = |q: &Option<topology::QuantityText>| {
        q.as_ref().map(|q| ApiQuantity(Quantity::parse(&q.0).map(|q| q.to_string()).unwrap_or_else(|_| q.0.clone())))
    };
    let target = MetricTarget {
        type_: if m.value.is_some() { "Value" } else { "AverageValue" }.into(),
        average_value: quantity(&m.average_value),
        value: quantity(&m.value),
        ..Default::default()
    };
    let id = MetricIdentifier {
        name: m.name.clone(),
        selector: (!m.selector.is_empty()).then(|| LabelSelector {
            match_labels: Some(m.selector.iter().map(|(k, v)| (k.clone(), v.clone())).collect()),
            ..Default::default()
        }),
    };
    match m.kind.as_str() {
        "pods" => MetricSpec {
            type_: "Pods".into(),
            pods: Some(PodsMetricSource { metric: id, target }),
            ..Default::default()
        },
        "object" => {
            let o = m.object.as_ref();
            MetricSpec {
                type_: "Object".into(),
                object: Some(ObjectMetricSource {
                    described_object: CrossVersionObjectReference {
                        api_version: Some(o.and_then(|o| o.api_version.clone()).unwrap_or_else(|| "v1".into())),
                        kind: o.map(|o| o.kind.clone()).unwrap_or_default(),
                        name: o.map(|o| o.name.clone()).unwrap_or_default(),
                    },
                    metric: id,
                    target,
                }),
                ..Default::default()
            }
        }
        _ => MetricSpec {
            type_: "External".into(),
            external: Some(ExternalMetricSource { metric: id, target }),
            ..Default::default()
        },
    }
}

fn keda(s: &ResolvedService<'_>, k: &topology::Keda, min: i32, max: i32, base: &ObjectMeta) -> ScaledObject {
    ScaledObject {
        metadata: own_meta(s, k.name.as_deref().unwrap_or(s.name), base, |l| &l.keda),
        spec: ScaledObjectSpec {
            scale_target_ref: match k.short_target {
                // KEDA's default target kind is an apps/v1 Deployment
                true => TargetRef { name: s.name.to_string(), ..Default::default() },
                false => target(s),
            },
            polling_interval: k.polling_interval,
            cooldown_period: k.cooldown,
            min_replica_count: Some(min),
            max_replica_count: Some(max),
            fallback: k.fallback_replicas.map(|r| Fallback { failure_threshold: 3, replicas: r }),
            advanced: behavior(&k.scale_up, &k.scale_down)
                .map(|behavior| Advanced { horizontal_pod_autoscaler_config: HpaConfig { behavior } }),
            triggers: k
                .triggers
                .iter()
                .map(|t| ScaleTrigger {
                    type_: t.kind.clone(),
                    name: t.name.clone(),
                    metric_type: t.metric_type.clone(),
                    metadata: t.metadata.iter().map(|(a, b)| (a.clone(), b.clone())).collect(),
                    authentication_ref: t.authentication.clone().map(|name| AuthenticationRef { name }),
                })
                .collect(),
        },
    }
}

fn vpa(s: &ResolvedService<'_>, v: &topology::Vpa, base: &ObjectMeta) -> VerticalPodAutoscaler {
    let container = s.svc.container.name.clone().unwrap_or_else(|| s.name.to_string());
    let policy = ContainerPolicy {
        container_name: container,
        min_allowed: super::quantities(&s.values.vpa_min),
        max_allowed: super::quantities(&s.values.vpa_max),
        controlled_values: v.controlled_values.clone(),
    };
    let has_policy = policy.min_allowed.is_some() || policy.max_allowed.is_some() || policy.controlled_values.is_some();
    VerticalPodAutoscaler {
        metadata: own_meta(s, v.name.as_deref().unwrap_or(s.name), base, |l| &l.vpa),
        spec: VpaSpec {
            target_ref: target(s),
            update_policy: v.mode.clone().map(|update_mode| UpdatePolicy { update_mode }),
            resource_policy: has_policy.then(|| ResourcePolicy { container_policies: vec![policy] }),
        },
    }
}
