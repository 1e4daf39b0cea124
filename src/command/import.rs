//! `archctl import PATH...`: manifests in, a topology out, and the proof
//! that it renders them: the render compared with the input as `diff
//! --against` compares.

use std::io::Write as _;

use anyhow::Context as _;
use serde_json::Value;

use super::{report, warn};
use crate::cli::ImportArgs;
use crate::diff::{self, compare::Action};
use crate::exit::ExitStatus;
use crate::import::{self, Fate};
use crate::pipeline::{self, Target};
use crate::settings::Settings;
use crate::term;

/// The results that fail the proof: a wholly expressed object that the
/// render changes, an object the render adds, an object it cannot compare.
/// An object expressed in part may differ where it is not expressible.
fn failures<'a>(results: &'a [diff::compare::ObjectDiff], whole: &[String]) -> Vec<&'a diff::compare::ObjectDiff> {
    results
        .iter()
        .filter(|d| match d.action {
            Action::Same => false,
            Action::Create | Action::Error => true,
            _ => whole.contains(&d.object),
        })
        .collect()
}

/// `group kind namespace/name` of an input object.
fn identity(v: &Value) -> (String, String, String, String) {
    let api = v["apiVersion"].as_str().unwrap_or("");
    let group = api.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    (
        group.to_string(),
        v["kind"].as_str().unwrap_or("").to_string(),
        v["metadata"]["namespace"].as_str().unwrap_or("").to_string(),
        v["metadata"]["name"].as_str().unwrap_or("").to_string(),
    )
}

/// Whether a field list entry `path: why` (or a bare path) explains `path`.
fn explains(note: &str, path: &str) -> bool {
    let np = note.split(": ").next().unwrap_or(note);
    path == np
        || path.starts_with(&format!("{np}."))
        || path.starts_with(&format!("{np}["))
        || np.starts_with(&format!("{path}["))
        || np.starts_with(&format!("{path}."))
}

pub(super) fn run(settings: &Settings, args: &ImportArgs) -> anyhow::Result<ExitStatus> {
    let color = settings.colors.stderr;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let mut objects = Vec::new();
    let mut others = 0;
    let mut cluster = None;
    let source;
    if args.from_cluster {
        let ns = args.namespace.clone().unwrap_or_default();
        let connect = diff::kube::ConnectOptions {
            kubeconfig: args.kubeconfig.clone(),
            context: args.context.clone(),
            timeout: std::time::Duration::from_secs(30),
            notify: std::sync::Arc::new(|n: &diff::kube::Notice| {
                if let diff::kube::Notice::Warning(w) = n {
                    term::message(&format!("Warning: {w}"));
                }
            }),
        };
        let c = runtime.block_on(diff::kube::KubeCluster::connect(&connect))?;
        objects = runtime
            .block_on(live(&c, &ns, args.selector.as_deref().unwrap_or("")))
            .map_err(|e| anyhow::anyhow!("cannot read the objects of namespace `{ns}` from {}: {e}", c.server))?;
        source = format!("namespace `{ns}` of {}", c.server);
        cluster = Some(c);
    } else {
        for p in &args.paths {
            for mut o in diff::against::Manifests::read(p)?.into_objects() {
                // what `kubectl apply -n` does with an object that names no namespace
                if let Some(ns) = &args.namespace
                    && o["metadata"]["namespace"].is_null()
                    && o["kind"].as_str().is_none_or(crate::objects::object::is_namespaced)
                    && o["metadata"].is_object()
                {
                    o["metadata"]["namespace"] = Value::String(ns.clone());
                }
                if o["apiVersion"].is_string() && o["kind"].is_string() {
                    objects.push(o);
                } else {
                    others += 1;
                }
            }
        }
        source = args.paths.iter().map(|p| format!("`{}`", p.display())).collect::<Vec<_>>().join(", ");
    }
    if others > 0 {
        term::message(&format!(
            "warning: {others} document{} of {source} {} no `apiVersion` and `kind`: not Kubernetes objects, left out",
            if others == 1 { "" } else { "s" },
            if others == 1 { "has" } else { "have" }
        ));
    }
    if objects.is_empty() {
        anyhow::bail!("{source} holds no Kubernetes object: give manifest files (YAML or JSON) or folders of them");
    }
    let imported = import::import(&objects, &import::Options { name: args.name.clone(), source: source.clone() });

    // never over a file that exists, as `init`
    let path = args.out.join("archctl.toml");
    let profile = args.out.join("profiles").join(format!("{}.toml", import::PROFILE));
    for p in [&path, &profile] {
        if std::fs::symlink_metadata(p).is_ok() {
            anyhow::bail!(
                "`{}` exists; `archctl import` never replaces a file: move it or choose another folder with `--out`",
                p.display()
            );
        }
    }
    std::fs::create_dir_all(args.out.join("profiles"))
        .with_context(|| format!("cannot create `{}`", args.out.join("profiles").display()))?;
    {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&profile)
            .with_context(|| format!("cannot create `{}`", profile.display()))?;
        f.write_all(imported.profile_text().as_bytes())
            .with_context(|| format!("cannot write `{}`", profile.display()))?;
    }
    let write = |text: &str, new: bool| -> anyhow::Result<()> {
        let mut o = std::fs::OpenOptions::new();
        if new {
            o.write(true).create_new(true)
        } else {
            o.write(true).truncate(true)
        };
        let mut f = o.open(&path).with_context(|| format!("cannot create `{}`", path.display()))?;
        f.write_all(text.as_bytes()).with_context(|| format!("cannot write `{}`", path.display()))
    };
    write(&imported.text(&[]), true)?;

    // the proof renders what a user renders: the topology with the imported profile
    let target = Target::new(Some(import::PROFILE.to_string()), None);
    let rendered = match pipeline::render(&path, &target) {
        Ok(r) => r,
        Err(failed) => {
            report(&failed, color);
            anyhow::bail!(
                "the topology written to `{}` does not render: the errors above name what import got wrong",
                path.display()
            );
        }
    };
    let others: Vec<_> = rendered.warnings.iter().filter(|d| d.code != "W013").cloned().collect();
    warn(&others, &rendered.context, color);

    // what the render does not reproduce, object by object
    let json: Vec<(_, Value)> = rendered
        .objects
        .iter()
        .map(|o| {
            let id = (
                o.group().to_string(),
                o.kind().to_string(),
                o.namespace().unwrap_or("").to_string(),
                o.name().to_string(),
            );
            (id, serde_json::to_value(o).unwrap_or(Value::Null))
        })
        .collect();
    let mut lists: Vec<(String, Vec<String>)> = Vec::new();
    let mut whole: Vec<String> = Vec::new();
    let mut input = Vec::new();
    for e in &imported.entries {
        let o = &objects[e.index];
        match &e.fate {
            Fate::Mapped => {
                let mut fields = e.notes.clone();
                match json.iter().find(|(id, _)| *id == identity(o)) {
                    Some((_, r)) => {
                        for p in diff::cover::uncovered(o, r) {
                            if !e.notes.iter().any(|n| explains(n, &p)) {
                                fields.push(p);
                            }
                        }
                    }
                    None => fields.push("the whole object: the topology renders none of this name".into()),
                }
                if fields.is_empty() {
                    whole.push(e.id.clone());
                }
                lists.push((e.id.clone(), fields));
                input.push(o.clone());
            }
            Fate::Skipped(why) => lists.push((e.id.clone(), vec![format!("the whole object: {why}")])),
            Fate::Reference(_) => {}
        }
    }
    write(&imported.text(&lists), false)?;

    // the proof: the render against the input, as `diff --against` does it
    let dopts = diff::Options { project: imported.project.clone(), concurrency: 8, namespace: None };
    let report = match &cluster {
        Some(c) => runtime.block_on(diff::run(c, &rendered.objects, &dopts, &|_, _| {})),
        None => {
            runtime.block_on(diff::run(&diff::against::Manifests::new(input), &rendered.objects, &dopts, &|_, _| {}))
        }
    }
    .map_err(|e| anyhow::anyhow!("cannot compare the render with the input: {e}"))?;

    let mut text = String::new();
    let mapped = lists.iter().filter(|(id, _)| imported.entries.iter().any(|e| e.id == *id && e.fate == Fate::Mapped));
    let n_mapped = mapped.count();
    text.push_str(&format!(
        "imported {} of {} objects into `{}` (project `{}`): {} wholly, {} in part\n",
        n_mapped,
        imported.entries.len(),
        path.display(),
        imported.project,
        whole.len(),
        n_mapped - whole.len(),
    ));
    text.push_str(&format!(
        "replicas, images and autoscaler bounds are also in `{}`: render with `--profile {}`\n",
        profile.display(),
        import::PROFILE
    ));
    let listed: Vec<&(String, Vec<String>)> = lists.iter().filter(|(_, f)| !f.is_empty()).collect();
    if !listed.is_empty() {
        text.push_str("not expressible in the topology (also in its header):\n");
        for (id, fields) in &listed {
            for f in fields.iter() {
                text.push_str(&format!("  {id}: {f}\n"));
            }
        }
    }
    for e in &imported.entries {
        if let Fate::Reference(keys) = &e.fate {
            text.push_str(&format!(
                "by reference: {} (keys: {}); its values were not imported\n",
                e.id,
                keys.join(", ")
            ));
        }
    }
    let failed = failures(&report.objects, &whole);
    text.push_str(&match cluster {
        Some(_) => "diff against the cluster:\n".to_string(),
        None => format!("diff --against {source}:\n"),
    });
    for d in &report.objects {
        let wholly = whole.contains(&d.object);
        let what = match d.action {
            Action::Same => "no change",
            Action::Create => "created: not in the input",
            _ if wholly => "CHANGED",
            _ => "changed where it is not expressible",
        };
        text.push_str(&format!("  {}: {what}\n", d.object));
    }
    for d in &failed {
        if !d.diff.is_empty() {
            text.push_str(&d.diff);
        }
    }
    if failed.is_empty() {
        text.push_str(&format!("every wholly expressed object ({}) renders unchanged\n", whole.len()));
    } else {
        text.push_str(&format!(
            "error: {} object{} the topology expresses render{} otherwise than the input: this is a bug of import\n",
            failed.len(),
            if failed.len() == 1 { "" } else { "s" },
            if failed.len() == 1 { "s" } else { "" },
        ));
    }
    term::message(text.trim_end());
    Ok(if failed.is_empty() { ExitStatus::Success } else { ExitStatus::Differences })
}

/// The kinds `--from-cluster` reads: those import maps.
const LIVE_KINDS: &[(&str, &str, &str, &str)] = &[
    ("apps", "v1", "Deployment", "deployments"),
    ("apps", "v1", "StatefulSet", "statefulsets"),
    ("batch", "v1", "Job", "jobs"),
    ("batch", "v1", "CronJob", "cronjobs"),
    ("", "v1", "Service", "services"),
    ("", "v1", "ConfigMap", "configmaps"),
    ("", "v1", "Secret", "secrets"),
    ("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims"),
    ("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers"),
    ("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets"),
    ("", "v1", "ServiceAccount", "serviceaccounts"),
    ("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies"),
    ("networking.k8s.io", "v1", "Ingress", "ingresses"),
    // custom resources: read where their CRDs are installed
    ("autoscaling.k8s.io", "v1", "VerticalPodAutoscaler", "verticalpodautoscalers"),
    ("keda.sh", "v1alpha1", "ScaledObject", "scaledobjects"),
    ("monitoring.coreos.com", "v1", "ServiceMonitor", "servicemonitors"),
    ("external-secrets.io", "v1", "ExternalSecret", "externalsecrets"),
    ("gateway.networking.k8s.io", "v1", "Gateway", "gateways"),
    ("gateway.networking.k8s.io", "v1", "HTTPRoute", "httproutes"),
    ("gateway.networking.k8s.io", "v1", "GRPCRoute", "grpcroutes"),
    ("gateway.networking.k8s.io", "v1", "ReferenceGrant", "referencegrants"),
];

/// The live objects of `ns` that import maps, each with its `apiVersion`
/// and `kind` (a LIST leaves them out of the items), without those a
/// controller made and the CA bundle every namespace gets, and the
/// Namespace itself first.
async fn live(
    c: &diff::kube::KubeCluster,
    ns: &str,
    selector: &str,
) -> Result<Vec<Value>, diff::cluster::ClusterError> {
    use diff::cluster::Cluster as _;
    let mut out = Vec::new();
    for (group, version, kind, plural) in LIVE_KINDS {
        let r = diff::cluster::Resource {
            group: group.to_string(),
            version: version.to_string(),
            kind: kind.to_string(),
            plural: plural.to_string(),
            namespaced: true,
        };
        let items = match c.list(&r, Some(ns), selector).await {
            // a custom resource whose CRD the cluster does not have: none of them
            Err(diff::cluster::ClusterError::UnknownKind(_) | diff::cluster::ClusterError::NotFound(_))
                if !group.is_empty()
                    && !matches!(*group, "apps" | "batch" | "autoscaling" | "policy" | "networking.k8s.io") =>
            {
                continue;
            }
            other => other?,
        };
        for mut item in items {
            // every namespace gets the CA bundle and the `default` account
            let given = matches!(
                (*kind, item["metadata"]["name"].as_str()),
                ("ConfigMap", Some("kube-root-ca.crt")) | ("ServiceAccount", Some("default"))
            );
            if diff::controlled(&item) || given {
                continue;
            }
            item["apiVersion"] = Value::String(r.api_version());
            item["kind"] = Value::String(kind.to_string());
            // what the server wrote by itself is not the system's
            crate::k8s::defaults::strip(&mut item);
            out.push(item);
        }
    }
    // the namespace itself, unless a selector picks the objects (its
    // labels are not the system's); an account that may not read it
    // imports the rest
    if selector.is_empty() {
        let r = diff::cluster::Resource {
            group: String::new(),
            version: "v1".into(),
            kind: "Namespace".into(),
            plural: "namespaces".into(),
            namespaced: false,
        };
        match c.get(&r, None, ns).await {
            Ok(Some(mut item)) => {
                item["apiVersion"] = Value::String("v1".into());
                item["kind"] = Value::String("Namespace".into());
                crate::k8s::defaults::strip(&mut item);
                out.insert(0, item);
            }
            Ok(None) | Err(diff::cluster::ClusterError::NotFound(_)) => {}
            Err(diff::cluster::ClusterError::Forbidden(why)) => term::message(&format!(
                "warning: cannot read Namespace `{ns}` ({why}): its labels and annotations are not imported"
            )),
            Err(e) => return Err(e),
        }
    }
    // an autoscaled workload's replica count is the autoscaler's latest
    // choice (or the server's default), not the system's
    let targets: Vec<(String, String)> = out
        .iter()
        .filter(|o| matches!(o["kind"].as_str(), Some("HorizontalPodAutoscaler" | "ScaledObject")))
        .map(|o| {
            let r = &o["spec"]["scaleTargetRef"];
            (r["kind"].as_str().unwrap_or("Deployment").to_string(), r["name"].as_str().unwrap_or("").to_string())
        })
        .collect();
    for o in &mut out {
        let id =
            (o["kind"].as_str().unwrap_or("").to_string(), o["metadata"]["name"].as_str().unwrap_or("").to_string());
        if targets.contains(&id)
            && let Some(spec) = o.get_mut("spec").and_then(Value::as_object_mut)
        {
            spec.shift_remove("replicas");
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use diff::compare::ObjectDiff;

    #[test]
    fn only_changes_to_wholly_expressed_objects_and_additions_fail_the_proof() {
        let d = |object: &str, action| ObjectDiff::bare(object.into(), action, None);
        let results = [
            d("v1 ConfigMap a/same", Action::Same),
            d("v1 ConfigMap a/whole", Action::Change),
            d("v1 ConfigMap a/part", Action::Change),
            d("v1 ConfigMap a/new", Action::Create),
            d("apps/v1 Deployment a/whole-too", Action::RequiresReplace),
            d("v1 Service a/broken", Action::Error),
        ];
        let whole = ["v1 ConfigMap a/same", "v1 ConfigMap a/whole", "apps/v1 Deployment a/whole-too"].map(String::from);
        let failed: Vec<&str> = failures(&results, &whole).iter().map(|d| d.object.as_str()).collect();
        assert_eq!(
            failed,
            ["v1 ConfigMap a/whole", "v1 ConfigMap a/new", "apps/v1 Deployment a/whole-too", "v1 Service a/broken"]
        );
    }
}
