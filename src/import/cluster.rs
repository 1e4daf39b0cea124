//! Accounts, namespaces and storage classes: a ServiceAccount that an
//! imported workload runs as becomes that service's `service_account`
//! (rendered, no longer `create = false`), Namespace objects the topology's
//! `namespaces`, and a StorageClass `storage_classes.NAME` with its
//! provisioner — the inverse of `objects/workload.rs`'s account and
//! `objects/cluster.rs`'s namespaces and storage classes.

use serde_json::Value;

use super::scaling::{Attached, WORKLOADS, annotations_of, object_labels, workload_of};
use super::toml::{Section, Table, Value as T};
use super::{Ctx, ns_of};

/// The annotation that marks the cluster's default class.
const DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";

/// A StorageClass: `storage_classes.NAME` with its provisioner, parameters
/// and policies, the class claims of that name use.
pub(super) fn storage_class(ctx: &mut Ctx, o: &Value) -> Result<(Section, Vec<String>), String> {
    let sc: k8s_openapi::api::storage::v1::StorageClass =
        serde_json::from_value(o.clone()).map_err(|e| format!("it is not a valid object of its kind: {e}"))?;
    let name = sc.metadata.name.clone().unwrap_or_default();
    if name.is_empty() {
        return Err("it has no name".into());
    }
    let mut notes = Vec::new();
    let mut s = Section::new(&["storage_classes", &name]);
    s.comments.push("a class of the cluster, rendered with its provisioner".into());
    s.table.set("provisioner", sc.provisioner.as_str());
    if let Some(p) = sc.parameters.as_ref().filter(|p| !p.is_empty()) {
        s.table.set("parameters", super::toml::strings(p));
    }
    s.table.opt("reclaim_policy", sc.reclaim_policy.clone());
    s.table.opt("volume_binding_mode", sc.volume_binding_mode.clone());
    s.table.opt("allow_volume_expansion", sc.allow_volume_expansion);
    // the default class: archctl writes the annotation `"true"`, and no other
    let annotations = annotations_of(o);
    if annotations.iter().any(|(k, v)| k == DEFAULT_CLASS && v == "true") {
        s.table.set("default", true);
    }
    if annotations.iter().any(|(k, v)| k != DEFAULT_CLASS || v != "true") {
        notes.push(format!(
            "metadata.annotations: archctl writes a StorageClass's `{DEFAULT_CLASS}: \"true\"` (`default = true`) and no other annotation"
        ));
    }
    s.table.opt("legacy", super::legacy_labels(ctx, o, &name, "storage"));
    if sc.mount_options.as_ref().is_some_and(|m| !m.is_empty()) {
        notes.push("mountOptions: the topology's storage classes hold no mount options".into());
    }
    if sc.allowed_topologies.as_ref().is_some_and(|t| !t.is_empty()) {
        notes.push("allowedTopologies: the topology's storage classes hold no topology constraints".into());
    }
    ctx.storage_class(&name);
    Ok((s, notes))
}

/// A ServiceAccount: the first imported workload of its namespace that
/// runs as it (`serviceAccountName`) renders it.
pub(super) fn service_account(
    ctx: &Ctx,
    objects: &[Value],
    wanted: &[usize],
    o: &Value,
    sections: &mut [Section],
) -> Result<Attached, String> {
    let name = o["metadata"]["name"].as_str().unwrap_or("");
    let ns = ns_of(o, &ctx.namespace);
    let mut notes = Vec::new();
    // the service whose pods run as it, and that does not render it yet
    let service = sections
        .iter()
        .filter(|s| s.path.len() == 2 && s.path[0] == "services")
        .find(|s| {
            ctx.services.get(&s.path[1]) == Some(&ns)
                && matches!(s.table.get("service_account"), Some(T::Table(t))
                    if t.get("name") == Some(&T::Str(name.to_string())) && t.get("create") == Some(&T::Bool(false)))
        })
        .map(|s| s.path[1].clone())
        .ok_or_else(|| {
            format!(
                "no imported workload of namespace `{ns}` runs as it (`serviceAccountName`), and archctl renders a service's own account"
            )
        })?;
    let Some(j) = workload_of(ctx, objects, wanted, WORKLOADS, &service, &ns) else {
        return Err(format!("the workload `{service}` is not imported"));
    };
    let workload = &objects[j];
    // the account's annotations: the workload's, and its own
    let theirs = annotations_of(workload);
    let mine = annotations_of(o);
    let mut own = Table::default();
    for (k, v) in &mine {
        if !theirs.iter().any(|(a, b)| a == k && b == v) {
            own.set(k, v.as_str().unwrap_or(""));
        }
    }
    for (k, _) in &theirs {
        if !mine.iter().any(|(a, _)| a == k) {
            notes.push(format!(
                "metadata.annotations: the workload's annotation `{k}` is missing here, and archctl puts the workload's annotations on its ServiceAccount"
            ));
        }
    }
    let Some(section) = super::section_mut(sections, &["services", &service]) else {
        return Err(format!("the service `{service}` is not imported"));
    };
    let Some(T::Table(t)) = section.table.get_mut("service_account") else {
        return Err(format!("the service `{service}` names no account"));
    };
    t.0.retain(|(k, _)| k != "create");
    // a legacy service's account has its own setting only
    t.opt("account_automount_token", o["automountServiceAccountToken"].as_bool());
    if !own.is_empty() {
        t.set("annotations", own);
    }
    object_labels(sections, &service, "service_account", o, workload);
    Ok(Attached { service, workload: j, notes })
}

/// The Namespace objects as `namespaces` sections — only when they are
/// every namespace the topology uses (a topology declares all of them or
/// none); otherwise why not.
pub(super) fn namespaces(objects: &[Value], found: &[usize], used: &[String]) -> Result<Vec<(usize, Section)>, String> {
    let names: Vec<&str> = found.iter().filter_map(|&i| objects[i]["metadata"]["name"].as_str()).collect();
    if let Some(missing) = used.iter().find(|u| !names.contains(&u.as_str())) {
        return Err(format!(
            "a topology declares every namespace it uses or none, and `{missing}` is not among the imported Namespaces"
        ));
    }
    let mut out = Vec::new();
    for &i in found {
        let o = &objects[i];
        let name = o["metadata"]["name"].as_str().unwrap_or("");
        let mut s = Section::new(&["namespaces", name]);
        let annotations = annotations_of(o);
        if !annotations.is_empty() {
            let mut t = Table::default();
            for (k, v) in &annotations {
                t.set(k, v.as_str().unwrap_or(""));
            }
            s.table.set("annotations", t);
        }
        let mut legacy = Table::default();
        legacy.set("labels", super::labels(&o["metadata"]["labels"]));
        s.table.set("legacy", legacy);
        out.push((i, s));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{Fate, Options, import};
    use super::T;

    #[test]
    fn a_storage_class_a_claim_names_is_one_section_with_its_provisioner() {
        let claim = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": "shop"},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "fast",
                "resources": {"requests": {"storage": "1Gi"}}}});
        let class = json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
            "metadata": {"name": "fast", "annotations": {"storageclass.kubernetes.io/is-default-class": "false"}},
            "provisioner": "ebs.csi.aws.com", "allowVolumeExpansion": false});
        let imported = import(&[claim, class], &Options::default());
        let classes: Vec<_> = imported.sections.iter().filter(|s| s.path[0] == "storage_classes").collect();
        assert_eq!(classes.len(), 1, "{classes:?}");
        assert_eq!(classes[0].table.get("provisioner"), Some(&T::Str("ebs.csi.aws.com".into())));
        assert_eq!(classes[0].table.get("allow_volume_expansion"), Some(&T::Bool(false)));
        // `"false"` is not what `default` writes: listed, not kept
        assert_eq!(classes[0].table.get("default"), None);
        let e = imported.entries.iter().find(|e| e.id.contains("StorageClass")).unwrap();
        assert_eq!(e.fate, Fate::Mapped);
        assert!(e.notes.iter().any(|n| n.starts_with("metadata.annotations:")), "{:?}", e.notes);
    }
}
