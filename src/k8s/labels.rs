//! The recommended labels (`app.kubernetes.io/*`) and the stable subset that
//! selectors use.
//!
//! Selectors must never change for a running workload (they are immutable on
//! Deployments and StatefulSets), so they use only `name` and `instance`;
//! `version` and `component` may change from release to release.

use std::collections::BTreeMap;

use crate::k8s::names;
use crate::topology::Project;

pub(crate) const NAME: &str = "app.kubernetes.io/name";
pub(crate) const INSTANCE: &str = "app.kubernetes.io/instance";
pub(crate) const COMPONENT: &str = "app.kubernetes.io/component";
pub(crate) const PART_OF: &str = "app.kubernetes.io/part-of";
pub(crate) const VERSION: &str = "app.kubernetes.io/version";
pub(crate) const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub(crate) const MANAGER: &str = "archctl";

/// The label a shared Service (`shared_services.<name>`) selects, on the
/// pods of each service it fronts, with the value `"true"`.
pub(crate) fn shared(name: &str) -> String {
    format!("shared.archctl.io/{name}")
}

/// The labels that select the pods of the service `name`: the selector it
/// keeps from another tool (`[services.NAME.legacy]`), else the recommended
/// pair of [`LabelSet::selector`].
pub(crate) fn pod_selector(
    project: &Project,
    name: &str,
    svc: Option<&crate::topology::Service>,
) -> BTreeMap<String, String> {
    match svc.and_then(|s| s.legacy.as_ref()) {
        Some(l) => map(&l.selector),
        None => LabelSet { project, name, component: "", version: None }.selector(),
    }
}

/// The labels of a service's pod template: its legacy `pod_labels` (default
/// its legacy selector) exactly, or `all` (the project's, the service's own
/// and the recommended ones).
pub(crate) fn legacy_pod_labels(l: &crate::topology::Legacy) -> BTreeMap<String, String> {
    map(l.pod_labels.as_ref().unwrap_or(&l.selector))
}

/// An ordered table as the API's sorted map.
pub(crate) fn map(m: &indexmap::IndexMap<String, String>) -> BTreeMap<String, String> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// Labels for one object.
pub(crate) struct LabelSet<'a> {
    pub project: &'a Project,
    pub name: &'a str,
    pub component: &'a str,
    pub version: Option<&'a str>,
}

impl LabelSet<'_> {
    /// The labels that select the object's pods.
    pub(crate) fn selector(&self) -> BTreeMap<String, String> {
        let mut m = BTreeMap::new();
        m.insert(NAME.to_string(), self.name.to_string());
        m.insert(INSTANCE.to_string(), self.project.name.clone());
        m
    }

    /// The object's labels: those a `legacy` table keeps exactly (none
    /// when it is empty), else [`Self::all`] with `extra`.
    pub(crate) fn or_legacy<'b>(
        &self,
        legacy: Option<&crate::topology::LegacyLabels>,
        extra: impl IntoIterator<Item = (&'b String, &'b String)>,
    ) -> Option<BTreeMap<String, String>> {
        match legacy {
            Some(l) => (!l.labels.is_empty()).then(|| map(&l.labels)),
            None => Some(self.all(extra)),
        }
    }

    /// All labels: the project's common labels, `extra`, then the
    /// recommended ones (which win, so selectors stay intact).
    pub(crate) fn all<'b>(
        &self,
        extra: impl IntoIterator<Item = (&'b String, &'b String)>,
    ) -> BTreeMap<String, String> {
        let mut m: BTreeMap<String, String> = self.project.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        for (k, v) in extra {
            m.insert(k.clone(), v.clone());
        }
        m.extend(self.selector());
        m.insert(COMPONENT.to_string(), self.component.to_string());
        m.insert(PART_OF.to_string(), self.project.name.clone());
        m.insert(MANAGED_BY.to_string(), MANAGER.to_string());
        if let Some(v) = self.version.or(self.project.version.as_deref())
            && names::label_value(v).is_ok()
            && !v.is_empty()
        {
            m.insert(VERSION.to_string(), v.to_string());
        }
        m
    }
}

/// The services of the topology whose pods a network policy selects: the
/// one named, those listed, those whose pods carry every `pod_labels`
/// label, or every service of its namespace.
pub(crate) fn selected_by<'a>(
    policy: &crate::topology::NetworkPolicy,
    topo: &'a crate::topology::Topology,
) -> Vec<(&'a str, &'a crate::topology::Service)> {
    let ns = topo.namespace_of(&policy.namespace);
    let in_namespace = topo.services.iter().filter(|(_, s)| topo.namespace_of(&s.namespace) == ns);
    let named = |n: &String| topo.services.get_key_value(n).map(|(k, v)| (k.as_str(), v));
    match (&policy.service, &policy.services[..], &policy.pod_labels) {
        (Some(s), _, _) => named(s).into_iter().collect(),
        (None, [], None) => in_namespace.map(|(k, v)| (k.as_str(), v)).collect(),
        (None, [], Some(labels)) => in_namespace
            .filter(|(k, s)| {
                let all = match &s.legacy {
                    Some(l) => legacy_pod_labels(l),
                    None => LabelSet { project: &topo.project, name: k, component: "", version: None }.all(&s.labels),
                };
                labels.iter().all(|(key, v)| all.get(key) == Some(v))
            })
            .map(|(k, v)| (k.as_str(), v))
            .collect(),
        (None, names, _) => names.iter().filter_map(named).collect(),
    }
}
