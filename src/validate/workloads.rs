//! Rule: controller settings as the API server validates them — rolling
//! updates that can progress, HPA bounds and behaviour, one autoscaler per
//! workload, the component label, and growth phases named once.

use std::collections::HashMap;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::k8s::names;
use crate::topology::{IntOrPercent, PerPhase, Strategy, Topology};

/// The longest HPA stabilization window and policy period, seconds.
const MAX_STABILIZATION: i32 = 3600;
const MAX_PERIOD: i32 = 1800;

/// `intstr` as `ValidatePositiveIntOrPercent` reads it: a whole number of
/// pods, or digits and `%`. None when it is neither.
fn amount(v: &IntOrPercent) -> Option<(i64, bool)> {
    match v {
        IntOrPercent::Int(n) => Some((i64::from(*n), false)),
        IntOrPercent::Percent(s) => {
            let digits = s.strip_suffix('%')?;
            (!digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                .then(|| digits.parse::<i64>().ok().map(|n| (n, true)))
                .flatten()
        }
    }
}

fn strategy(st: &Strategy, path: &TomlPath, out: &mut Vec<Diagnostic>) {
    let spath = path.key("strategy");
    let rolling = st.max_surge.is_some() || st.max_unavailable.is_some();
    if st.kind.as_deref() == Some("Recreate") && rolling {
        let key = if st.max_surge.is_some() { "max_surge" } else { "max_unavailable" };
        out.push(
            Diagnostic::error("E030", format!("`{key}` does not apply to a `Recreate` strategy"))
                .at_key(&spath.key(key))
                .with_help("Recreate stops every pod before starting new ones: remove `max_surge` and `max_unavailable`, or use `type = \"RollingUpdate\"`"),
        );
        return;
    }
    let mut values = Vec::new();
    for (key, v) in [("max_surge", &st.max_surge), ("max_unavailable", &st.max_unavailable)] {
        let Some(v) = v else { continue };
        match amount(v) {
            None => out.push(
                Diagnostic::error("E022", format!("`{key}` is `{}`, not a number or a percentage", shown(v)))
                    .at(&spath.key(key))
                    .with_help("write a number of pods (`1`) or a whole percentage (`\"25%\"`)"),
            ),
            Some((n, _)) if n < 0 => out.push(
                Diagnostic::error("E022", format!("`{key}` is {n}, and must not be negative"))
                    .at(&spath.key(key))
                    .with_help("write zero or a positive number of pods, or a percentage"),
            ),
            Some((n, true)) if key == "max_unavailable" && n > 100 => out.push(
                Diagnostic::error("E022", format!("`max_unavailable` is {n}%, above 100%"))
                    .at(&spath.key(key))
                    .with_help("at most every pod can be unavailable: use a percentage from 0% to 100%"),
            ),
            Some(a) => values.push((key, a.0)),
        }
    }
    // a missing value defaults to 25%: only two explicit zeros stall
    if values.len() == 2 && values.iter().all(|(_, n)| *n == 0) {
        out.push(
            Diagnostic::error("E055", "`max_surge` and `max_unavailable` are both 0: the rollout can never progress")
                .at(&spath.key("max_unavailable"))
                .with_help("allow one extra pod (`max_surge = 1`) or one missing pod (`max_unavailable = 1`)"),
        );
    }
    for (key, v) in [("min_ready_seconds", st.min_ready_seconds), ("revision_history_limit", st.revision_history_limit)]
    {
        if let Some(v) = v
            && v < 0
        {
            out.push(
                Diagnostic::error("E022", format!("`{key}` is {v}, and must not be negative"))
                    .at(&spath.key(key))
                    .with_help("use zero or a positive number"),
            );
        }
    }
}

fn shown(v: &IntOrPercent) -> String {
    match v {
        IntOrPercent::Int(n) => n.to_string(),
        IntOrPercent::Percent(s) => s.clone(),
    }
}

pub(super) fn check(topo: &Topology, out: &mut Vec<Diagnostic>) {
    let root = TomlPath::root();
    let mut phases: HashMap<&str, usize> = HashMap::new();
    for (i, p) in topo.phases.iter().enumerate() {
        if let Some(first) = phases.insert(p.as_str(), i) {
            out.push(
                Diagnostic::error("E021", format!("phase `{p}` is declared twice"))
                    .at(&root.key("phases").index(i))
                    .with_help(format!(
                        "growth phases are an ordered list of distinct names (the first `{p}` is entry {}): remove or rename this one",
                        first + 1
                    )),
            );
        }
    }
    for (name, svc) in &topo.services {
        let path = root.key("services").key(name.clone());
        if let Some(st) = &svc.strategy {
            strategy(st, &path, out);
        }
        if let Some(c) = &svc.component
            && let Err(why) = names::label_value(c)
        {
            out.push(
                Diagnostic::error("E020", format!("`{c}` is not a valid component: it {why}"))
                    .at(&path.key("component"))
                    .with_help(format!(
                        "the component becomes the label `app.kubernetes.io/component`; try `{}`",
                        names::suggest_label(c).unwrap_or_else(|| "api".into())
                    )),
            );
        }
        if svc.autoscaling.is_some() && svc.keda.is_some() {
            out.push(
                Diagnostic::error("E051", format!("service `{name}` has both an HPA (`autoscaling`) and a KEDA `keda` scaler"))
                    .at_key(&path.key("keda"))
                    .with_help("KEDA creates its own HPA for the workload: keep one of the two (KEDA's `cpu` and `memory` triggers cover an HPA's targets)"),
            );
        }
        if svc.keda.as_ref().is_some_and(|k| k.short_target) && svc.kind != crate::topology::Kind::Deployment {
            out.push(
                Diagnostic::error("E030", format!("`short_target` does not apply to a {}", svc.kind.as_str()))
                    .at_key(&path.key("keda").key("short_target"))
                    .with_help("a target named alone is a Deployment: remove `short_target` for a statefulset"),
            );
        }
        let Some(a) = &svc.autoscaling else { continue };
        let apath = path.key("autoscaling");
        for (i, m) in a.metrics.iter().enumerate() {
            metric(m, &apath.key("metrics").index(i), out);
        }
        let mins: Vec<i32> = match &a.min {
            PerPhase::Fixed(v) => vec![*v],
            PerPhase::Phased(m) => m.values().copied().collect(),
        };
        if let Some(low) = mins.iter().copied().filter(|v| *v < 1).min() {
            out.push(
                Diagnostic::error("E050", format!("the HPA's min is {low}, and must be at least 1"))
                    .at(&apath.key("min"))
                    .with_help("a HorizontalPodAutoscaler cannot scale to zero: use `min = 1`, or a KEDA scaler (`keda`), which can"),
            );
        }
        for (key, rules) in [("scale_up", &a.scale_up), ("scale_down", &a.scale_down)] {
            let Some(rules) = rules else { continue };
            let rpath = apath.key(key);
            if let Some(s) = rules.stabilization
                && !(0..=MAX_STABILIZATION).contains(&s)
            {
                out.push(
                    Diagnostic::error(
                        "E022",
                        format!("`stabilization` is {s} seconds, outside 0..{MAX_STABILIZATION}"),
                    )
                    .at(&rpath.key("stabilization"))
                    .with_help("the stabilization window is at most one hour (3600 seconds)"),
                );
            }
            for (i, p) in rules.policies.iter().enumerate() {
                let ppath = rpath.key("policies").index(i);
                if p.value <= 0 {
                    out.push(
                        Diagnostic::error(
                            "E022",
                            format!("a scaling policy's `value` is {}, and must be above 0", p.value),
                        )
                        .at(&ppath.key("value"))
                        .with_help("the number of pods or the percentage a policy allows per period: 1 or more"),
                    );
                }
                if !(1..=MAX_PERIOD).contains(&p.period) {
                    out.push(
                        Diagnostic::error(
                            "E022",
                            format!("a scaling policy's `period` is {} seconds, outside 1..{MAX_PERIOD}", p.period),
                        )
                        .at(&ppath.key("period"))
                        .with_help("a policy's period is 1 second to 30 minutes (1800 seconds)"),
                    );
                }
            }
        }
    }
}

/// A `Pods`, `Object` or `External` HPA metric: the fields its type takes,
/// and exactly one target. (Its quantities are read in resolve.)
fn metric(m: &crate::topology::HpaMetric, path: &TomlPath, out: &mut Vec<Diagnostic>) {
    super::one_of(Some(m.kind.as_str()), &["pods", "object", "external"], path.key("type"), out);
    if m.name.trim().is_empty() {
        out.push(
            Diagnostic::error("E005", "an HPA metric needs the `name` its metrics adapter serves")
                .at(&path.key("name"))
                .with_help("write the metric's name, such as `name = \"queue_messages_ready\"`"),
        );
    }
    if m.average_value.is_some() == m.value.is_some() {
        out.push(
            Diagnostic::error(
                "E032",
                format!("the HPA metric `{}` needs exactly one target: `average_value` or `value`", m.name),
            )
            .at_key(path)
            .with_help("`average_value` is a target per pod; `value` a total (`object` and `external` metrics only)"),
        );
    }
    if m.kind == "pods" && m.value.is_some() {
        out.push(
            Diagnostic::error("E030", format!("the pods metric `{}` cannot have a `value` target", m.name))
                .at(&path.key("value"))
                .with_help("a `Pods` metric is averaged over the pods: write the target as `average_value`"),
        );
    }
    match (m.kind.as_str(), &m.object) {
        ("object", None) => out.push(
            Diagnostic::error("E006", format!("the object metric `{}` needs the `object` it describes", m.name))
                .at_key(path)
                .with_help("name the object: `object = { kind = \"Ingress\", name = \"main\", api_version = \"networking.k8s.io/v1\" }`"),
        ),
        ("pods" | "external", Some(_)) => out.push(
            Diagnostic::error("E030", format!("only an `object` metric describes an object; `{}` is a {} metric", m.name, m.kind))
                .at(&path.key("object"))
                .with_help("remove `object`, or set `type = \"object\"`"),
        ),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_or_percent_as_the_api_server_reads_it() {
        assert_eq!(amount(&IntOrPercent::Int(2)), Some((2, false)));
        assert_eq!(amount(&IntOrPercent::Percent("25%".into())), Some((25, true)));
        assert_eq!(amount(&IntOrPercent::Percent("0%".into())), Some((0, true)));
        for bad in ["25", "25.5%", "-5%", "%", " 25%", "abc"] {
            assert_eq!(amount(&IntOrPercent::Percent(bad.into())), None, "{bad}");
        }
    }
}
