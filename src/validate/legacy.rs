//! Rule: a workload kept as another tool made it (`[services.NAME.legacy]`)
//! states a selector its pods match, as the API server requires
//! (`spec.selector` must select `spec.template.metadata.labels`), and only
//! where Kubernetes takes one from the manifest.

use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::topology::Topology;

pub(super) fn check(topo: &Topology, out: &mut Vec<Diagnostic>) {
    for (name, svc) in &topo.services {
        let Some(l) = &svc.legacy else { continue };
        let path = TomlPath::root().key("services").key(name.clone()).key("legacy");
        if svc.kind.is_batch() {
            if !l.selector.is_empty() {
                out.push(
                    Diagnostic::error("E030", format!("`{name}` is a {}: it takes no legacy `selector`", svc.kind.as_str()))
                        .at_key(&path.key("selector"))
                        .with_help("Kubernetes makes the selector of a Job's pods: remove `selector` (and give the pods' labels as `pod_labels`)"),
                );
            }
            for key in ["service_name", "service"] {
                let given = if key == "service" { l.service.is_some() } else { l.service_name.is_some() };
                if given {
                    out.push(
                        Diagnostic::error(
                            "E030",
                            format!("`{key}` does not apply to the {} `{name}`", svc.kind.as_str()),
                        )
                        .at_key(&path.key(key))
                        .with_help(format!("remove `{key}`: jobs and cronjobs have no Service")),
                    );
                }
            }
        } else if l.selector.is_empty() {
            out.push(
                Diagnostic::error("E060", format!("the legacy workload `{name}` has no `selector`"))
                    .at_key(&path)
                    .with_help("give the workload's `spec.selector.matchLabels` exactly: `selector = { app = \"…\" }`"),
            );
        } else if let Some(pods) = &l.pod_labels {
            for (k, v) in &l.selector {
                if pods.get(k) != Some(v) {
                    out.push(
                        Diagnostic::error(
                            "E060",
                            format!("`{name}`'s pods do not carry its selector label `{k}: {v}`"),
                        )
                        .at(&path.key("pod_labels"))
                        .with_help(format!(
                            "the API server refuses a selector that does not select the pods: add `\"{k}\" = \"{v}\"` to `pod_labels`"
                        )),
                    );
                }
            }
        }
        if l.service_name.is_some() && svc.kind != crate::topology::Kind::StatefulSet {
            out.push(
                Diagnostic::error(
                    "E030",
                    format!("`service_name` applies to statefulsets, and `{name}` is a {}", svc.kind.as_str()),
                )
                .at_key(&path.key("service_name"))
                .with_help("remove `service_name`"),
            );
        }
        let mut tables = vec![(path.key("selector"), &l.selector), (path.key("labels"), &l.labels)];
        if let Some(p) = &l.pod_labels {
            tables.push((path.key("pod_labels"), p));
        }
        if let Some(s) = &l.service {
            tables.push((path.key("service").key("labels"), &s.labels));
        }
        for (at, table) in tables {
            super::names::labels(table, &at, out);
        }
    }
}
