//! Rule: settings that take one of a fixed set of words hold one of them,
//! and hooks sit where Kubernetes allows them.

use super::{Role, containers, one_of};
use crate::diagnostic::codes;
use crate::diagnostic::path::TomlPath;
use crate::diagnostic::suggest;
use crate::diagnostic::{Diagnostic, Severity};
use crate::k8s::names;
use crate::topology::{PreStop, Topology};

/// `zone`, `hostname`, `node`, `region`, or a node label key.
fn topology_scope(v: &str, path: TomlPath, out: &mut Vec<Diagnostic>) {
    if ["zone", "hostname", "node", "region"].contains(&v) {
        return;
    }
    if v.contains('/') && names::qualified_name(v).is_ok() {
        return;
    }
    out.push(
        Diagnostic::error("E005", format!("`{v}` is not a topology scope"))
            .at(&path)
            .with_help("use `zone`, `hostname` or `region`, or a node label key such as `topology.kubernetes.io/zone`"),
    );
}

/// A Go duration as Kubernetes operators read it: `30s`, `1h30m`, `500ms`.
fn duration(v: &str, path: TomlPath, out: &mut Vec<Diagnostic>) {
    let mut rest = v;
    let mut ok = !v.is_empty();
    while ok && !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        let unit_len = rest[digits..].find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len() - digits);
        let (num, unit) = (&rest[..digits], &rest[digits..digits + unit_len]);
        ok = !num.is_empty() && num.parse::<f64>().is_ok() && ["ns", "us", "µs", "ms", "s", "m", "h"].contains(&unit);
        rest = &rest[digits + unit_len..];
    }
    if !ok {
        out.push(
            Diagnostic::error("E036", format!("`{v}` is not a duration"))
                .at(&path)
                .with_help("write a number and a unit: `30s`, `5m`, `1h`, `1h30m`, `500ms`"),
        );
    }
}

/// The practice checks `[checks] allow` may name: the registry's warnings.
fn warnings() -> Vec<&'static str> {
    codes::CODES.iter().filter(|c| c.severity() == Severity::Warning).map(|c| c.id).collect()
}

pub(super) fn check(topo: &Topology, out: &mut Vec<Diagnostic>) {
    let root = TomlPath::root();
    let warnings = warnings();
    let range = format!("{}-{}", warnings.first().unwrap_or(&""), warnings.last().unwrap_or(&""));
    for (i, code) in topo.checks.allow.iter().enumerate() {
        if !warnings.contains(&code.as_str()) {
            out.push(
                Diagnostic::error("E005", format!("`{code}` is not a check that can be allowed"))
                    .at(&root.key("checks").key("allow").index(i))
                    .with_help(match suggest::closest(code, warnings.iter().copied()) {
                        Some(c) => format!(
                            "did you mean `{c}`? only warnings ({range}) can be allowed; errors always stop a render"
                        ),
                        None => format!("only warnings ({range}) can be allowed; errors always stop a render"),
                    }),
            );
        }
    }
    for (name, s) in &topo.secrets {
        if let Some(r) = &s.refresh {
            duration(r, root.key("secrets").key(name.clone()).key("refresh"), out);
        }
    }
    for (name, svc) in &topo.services {
        let path = root.key("services").key(name.clone());
        let pl = &svc.placement;
        let ppath = path.key("placement");
        one_of(pl.anti_affinity.as_deref(), &["preferred", "required"], ppath.key("anti_affinity"), out);
        if let Some(scope) = &pl.anti_affinity_scope {
            topology_scope(scope, ppath.key("anti_affinity_scope"), out);
        }
        for (i, sp) in pl.spread.iter().enumerate() {
            let spath = ppath.key("spread").index(i);
            topology_scope(&sp.across, spath.key("across"), out);
            one_of(
                sp.when_unsatisfiable.as_deref(),
                &["ScheduleAnyway", "DoNotSchedule"],
                spath.key("when_unsatisfiable"),
                out,
            );
            if sp.max_skew.is_some_and(|m| m < 1) {
                out.push(
                    Diagnostic::error("E022", "`max_skew` must be at least 1")
                        .at(&spath.key("max_skew"))
                        .with_help("the allowed difference in pods between domains: 1 or more"),
                );
            }
        }
        for (i, t) in pl.tolerations.iter().enumerate() {
            let tpath = ppath.key("tolerations").index(i);
            one_of(t.operator.as_deref(), &["Exists", "Equal"], tpath.key("operator"), out);
            one_of(t.effect.as_deref(), &["NoSchedule", "PreferNoSchedule", "NoExecute"], tpath.key("effect"), out);
            if t.operator.as_deref() == Some("Exists") && t.value.is_some() {
                out.push(
                    Diagnostic::error("E030", "a toleration with `operator = \"Exists\"` takes no `value`")
                        .at_key(&tpath.key("value"))
                        .with_help("remove `value`, or use `operator = \"Equal\"`"),
                );
            }
        }
        one_of(
            svc.security.seccomp.as_deref(),
            &["RuntimeDefault", "Unconfined"],
            path.key("security").key("seccomp"),
            out,
        );
        if let Some(m) = &svc.metrics
            && let Some(i) = &m.interval
        {
            duration(i, path.key("metrics").key("interval"), out);
        }
        if let Some(v) = &svc.vpa {
            let vpath = path.key("vpa");
            one_of(
                v.mode.as_deref(),
                &["Off", "Initial", "Recreate", "InPlaceOrRecreate", "InPlace", "Auto"],
                vpath.key("mode"),
                out,
            );
            one_of(
                v.controlled_values.as_deref(),
                &["RequestsAndLimits", "RequestsOnly"],
                vpath.key("controlled_values"),
                out,
            );
        }
        if let Some(a) = &svc.autoscaling {
            for (key, rules) in [("scale_up", &a.scale_up), ("scale_down", &a.scale_down)] {
                let Some(rules) = rules else { continue };
                let rpath = path.key("autoscaling").key(key);
                one_of(rules.select.as_deref(), &["Max", "Min", "Disabled"], rpath.key("select"), out);
                for (i, p) in rules.policies.iter().enumerate() {
                    one_of(
                        Some(p.kind.as_str()),
                        &["Percent", "Pods"],
                        rpath.key("policies").index(i).key("type"),
                        out,
                    );
                }
            }
            for (key, pct) in [("cpu", a.cpu), ("memory", a.memory)] {
                if pct.is_some_and(|p| p < 1) {
                    out.push(
                        Diagnostic::error("E022", format!("the {key} target must be a percentage above 0"))
                            .at(&path.key("autoscaling").key(key))
                            .with_help("a utilisation target in percent of the requests, e.g. 70"),
                    );
                }
            }
        }
        if let Some(k) = &svc.keda {
            for (i, t) in k.triggers.iter().enumerate() {
                one_of(
                    t.metric_type.as_deref(),
                    &["Utilization", "AverageValue", "Value"],
                    path.key("keda").key("triggers").index(i).key("metric_type"),
                    out,
                );
            }
        }
        for (cpath, c, role) in containers(svc, &path) {
            let init = role == Role::Init;
            match &c.pre_stop {
                Some(_) if init => out.push(
                    Diagnostic::error("E030", "init containers take no `pre_stop` hook")
                        .at_key(&cpath.key("pre_stop"))
                        .with_help("Kubernetes runs hooks only for the pod's long-running containers: remove it"),
                ),
                Some(PreStop::Sleep(s)) if *s < 1 => out.push(
                    Diagnostic::error("E022", format!("`pre_stop` sleeps {s} seconds"))
                        .at(&cpath.key("pre_stop"))
                        .with_help("sleep at least 1 second, or give a command"),
                ),
                Some(PreStop::Exec(cmd)) if cmd.is_empty() => out.push(
                    Diagnostic::error("E032", "the `pre_stop` command is empty")
                        .at(&cpath.key("pre_stop"))
                        .with_help("e.g. `pre_stop = [\"/bin/sh\", \"-c\", \"sleep 5\"]`"),
                ),
                _ => {}
            }
        }
    }
    for (name, sc) in &topo.storage_classes {
        let path = root.key("storage_classes").key(name.clone());
        one_of(sc.reclaim_policy.as_deref(), &["Delete", "Retain"], path.key("reclaim_policy"), out);
        one_of(
            sc.volume_binding_mode.as_deref(),
            &["Immediate", "WaitForFirstConsumer"],
            path.key("volume_binding_mode"),
            out,
        );
        if sc.provisioner.is_some() && sc.class.as_deref() == Some("") {
            out.push(
                Diagnostic::error("E030", format!("storage class `{name}` has a provisioner but no cluster name"))
                    .at(&path.key("class"))
                    .with_help("`class = \"\"` means the cluster's default class, which archctl cannot create: give the class a name"),
            );
        } else if let Some(c) = sc.class.as_deref().filter(|c| !c.is_empty())
            && let Err(why) = names::dns1123_subdomain(c)
        {
            out.push(
                Diagnostic::error("E020", format!("`{c}` is not a valid storage class name: it {why}"))
                    .at(&path.key("class"))
                    .with_help("use lowercase letters, digits, `-` and `.`"),
            );
        }
    }
    for (ns, spec) in &topo.namespaces {
        if spec.default_deny
            && topo.network_policies.iter().any(|(n, p)| n == "default-deny" && topo.namespace_of(&p.namespace) == ns)
        {
            out.push(
                Diagnostic::error(
                    "E021",
                    format!("namespace `{ns}` has `default_deny` and a policy named `default-deny`"),
                )
                .at_key(&root.key("network_policies").key("default-deny"))
                .with_help("`default_deny = true` renders a policy of that name: rename this one"),
            );
        }
    }
}
