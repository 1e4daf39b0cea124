//! Every render applied for real: each topology of the repository (the
//! root project and every `examples/*`), each profile and growth phase,
//! the generated fleet, and the Helm chart, go into a real kube-apiserver
//! with the real CRDs. The server must take each without an error or a
//! warning, and `archctl diff` of the same render must then report no
//! change and exit 0.

use std::path::Path;

use crate::cluster::{CRDS, Live};
use crate::support::{Project, repo, tool};

/// The phases a topology declares (none: the render has no phase).
fn phases(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("archctl.toml")).unwrap();
    let doc: toml::Table = text.parse().unwrap();
    doc.get("phases")
        .and_then(|p| p.as_array())
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

/// The profiles of a project, by name.
fn profiles(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir.join("profiles"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str()?.strip_suffix(".toml").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// The render's objects but its Namespaces, for deleting between runs
/// (namespaces stay: deleting one takes the namespace controller a while).
fn without_namespaces(yaml: &str) -> String {
    yaml.split("\n---\n")
        .filter(|d| !d.trim_start_matches("---\n").starts_with("apiVersion: v1\nkind: Namespace\n"))
        .collect::<Vec<_>>()
        .join("\n---\n")
}

/// Applies and diffs every profile × phase of the project in `dir`, one
/// after the other on one control plane, deleting each render's objects
/// before the next.
fn apply_then_diff_everything(dir: &Path) {
    let c = Live::new(Project::copy_of(dir), CRDS);
    let phases = phases(dir);
    let mut combos: Vec<Vec<String>> = Vec::new();
    for profile in profiles(dir) {
        if phases.is_empty() {
            combos.push(vec!["--profile".into(), profile]);
        } else {
            for phase in &phases {
                combos.push(vec!["--profile".into(), profile.clone(), "--phase".into(), phase.clone()]);
            }
        }
    }
    assert!(!combos.is_empty(), "{} has no profile", dir.display());
    for args in &combos {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        c.apply(&args);
        let mut diff = args.clone();
        diff.push("--summary");
        let run = c.diff(&diff);
        assert_eq!(
            run.code,
            0,
            "{}: `archctl diff {}` after applying the same render:\n{}\n{}",
            dir.display(),
            args.join(" "),
            run.stdout,
            run.stderr
        );
        let last = run.stdout.lines().last().unwrap_or("");
        assert!(last.starts_with("0 to create, 0 to change, 0 to replace, 0 to prune, "), "{last}");
        assert!(last.ends_with(" unchanged, 0 errors"), "{last}");
        // next combination from a clean slate
        let mut render = vec!["render"];
        render.extend_from_slice(&args);
        let yaml = c.p.run(&render).success().stdout;
        let run = c.k.kubectl_stdin(
            &["delete", "--wait=true", "--timeout=120s", "--ignore-not-found", "-f", "-"],
            &without_namespaces(&yaml),
        );
        assert_eq!(run.code, 0, "cleaning up after {}: {}", args.join(" "), run.stderr);
    }
}

#[test]
fn every_render_of_the_root_project_applies_and_diffs_clean() {
    apply_then_diff_everything(&repo());
}

#[test]
fn every_render_of_percolate_reading_applies_and_diffs_clean() {
    apply_then_diff_everything(&repo().join("examples/percolate-reading"));
}

#[test]
fn every_render_of_semantic_explorer_applies_and_diffs_clean() {
    apply_then_diff_everything(&repo().join("examples/semantic-explorer"));
}

#[test]
fn every_render_of_a_new_project_applies_and_diffs_clean() {
    let p = Project::new();
    p.run(&["init", "--name", "shop"]).success();
    apply_then_diff_everything(p.path());
}

#[test]
fn the_generated_fleet_applies_and_diffs_clean() {
    let p = Project::fleet(100);
    let c = Live::new(p, CRDS);
    c.apply(&["--profile", "production"]);
    let run = c.diff(&["--profile", "production", "--summary"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout.lines().rev().take(20).collect::<Vec<_>>().join("\n"), run.stderr);
    assert!(run.stdout.lines().last().unwrap_or("").ends_with(" unchanged, 0 errors"), "{}", run.stdout);
}

/// The real Helm against the project's cluster, with its caches in the
/// project's folder.
fn helm(c: &Live, args: &[&str]) -> crate::support::Run {
    let out = std::process::Command::new(tool("helm"))
        .args(args)
        .arg("--kubeconfig")
        .arg(c.k.kubeconfig())
        .current_dir(c.p.path())
        .env("HELM_CACHE_HOME", c.p.path().join(".helm/cache"))
        .env("HELM_CONFIG_HOME", c.p.path().join(".helm/config"))
        .env("HELM_DATA_HOME", c.p.path().join(".helm/data"))
        .output()
        .unwrap();
    crate::support::Run::from(out)
}

/// The chart, installed by the real Helm with each profile's values, is
/// the render: `archctl diff` of that profile reports no change.
#[test]
fn the_helm_chart_installs_and_diffs_clean_for_every_profile() {
    let c = Live::archivist();
    c.p.run(&["render", "--format", "helm", "--out", "chart"]).success();
    let helm_run = |args: &[&str]| helm(&c, args);
    for profile in profiles(&repo()) {
        let values = format!("chart/values-{profile}.yaml");
        let run = helm_run(&["upgrade", "--install", "archivist", "chart", "-f", &values]);
        assert_eq!(run.code, 0, "helm install with {values}:\n{}\n{}", run.stdout, run.stderr);
        let diff = c.diff(&["--profile", &profile, "--summary"]);
        assert_eq!(diff.code, 0, "after helm install of {profile}:\n{}\n{}", diff.stdout, diff.stderr);
        let run = helm_run(&["uninstall", "archivist", "--wait", "--timeout", "120s"]);
        assert_eq!(run.code, 0, "helm uninstall:\n{}\n{}", run.stdout, run.stderr);
        // the chart's namespaces go too, and one that is still terminating
        // refuses the next install's objects
        let gone =
            c.k.kubectl(&["wait", "--for=delete", "namespace/archivist", "namespace/archivist-data", "--timeout=180s"]);
        assert!(gone.code == 0 || gone.stderr.contains("not found"), "namespaces not deleted:\n{}", gone.stderr);
    }
}

/// Two releases of a single-namespace chart, in two namespaces, do not
/// collide: the first installed for real, the second accepted by the API
/// server's dry run, and each object of it in its own namespace with its
/// own instance label.
#[test]
fn two_releases_of_a_single_namespace_chart_do_not_collide() {
    let c = Live::new(Project::copy_of(&repo().join("examples/percolate-reading")), CRDS);
    c.p.run(&["render", "--format", "helm", "--out", "chart"]).success();
    let helm_run = |args: &[&str]| helm(&c, args);
    let values = "chart/values-production.yaml";
    let first = helm_run(&["install", "one", "chart", "-n", "team-one", "--create-namespace", "-f", values]);
    assert_eq!(first.code, 0, "first release:\n{}\n{}", first.stdout, first.stderr);
    let second = helm_run(&[
        "install",
        "two",
        "chart",
        "-n",
        "team-two",
        "--create-namespace",
        "-f",
        values,
        "--dry-run=server",
    ]);
    assert_eq!(second.code, 0, "second release beside the first:\n{}\n{}", second.stdout, second.stderr);
    let docs = archctl::api::parse_stream(
        second.stdout.split_once("MANIFEST:").map(|(_, m)| m).unwrap_or(&second.stdout).split("NOTES:").next().unwrap(),
    )
    .unwrap();
    assert!(!docs.is_empty(), "{}", second.stdout);
    for d in &docs {
        assert_eq!(d["metadata"]["namespace"], "team-two", "{}", d["metadata"]["name"]);
        assert_eq!(d["metadata"]["labels"]["app.kubernetes.io/instance"], "two", "{}", d["metadata"]["name"]);
    }
    let pods = c.k.kubectl(&["get", "deployments,statefulsets", "-n", "team-one", "-o", "name"]);
    assert_eq!(pods.code, 0, "{}", pods.stderr);
    assert!(!pods.stdout.trim().is_empty(), "the first release's workloads are in team-one");
}

#[test]
fn every_gateway_api_kind_applies_and_diffs_clean() {
    // the API server also runs the CRDs' CEL rules, which the schema test cannot
    // and routes to gateways that exist outside the topology, with weights,
    // header and method matches and a cross-namespace backend
    for topology in [crate::crds::GATEWAY_TOPOLOGY, crate::crds::EXTERNAL_GATEWAYS] {
        let c = Live::new(Project::with(topology), CRDS);
        c.apply(&[]);
        let run = c.diff(&["--summary"]);
        assert_eq!(run.code, 0, "diff after apply:\n{}\n{}", run.stdout, run.stderr);
        let last = run.stdout.lines().last().unwrap_or("");
        assert!(last.starts_with("0 to create, 0 to change, 0 to replace, 0 to prune, "), "{last}");
    }
}
