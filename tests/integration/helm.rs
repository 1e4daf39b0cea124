//! `render --format helm`: the chart round-trips exactly through real Helm
//! (v4, installed by scripts/test.sh), lints clean, and its values work.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{Project, repo, tool};

/// Objects by `kind namespace/name`.
fn by_key(docs: Vec<Value>) -> BTreeMap<String, Value> {
    docs.into_iter()
        .map(|d| {
            let k = format!(
                "{} {}/{}",
                d["kind"].as_str().unwrap_or(""),
                d["metadata"]["namespace"].as_str().unwrap_or("-"),
                d["metadata"]["name"].as_str().unwrap_or("")
            );
            (k, d)
        })
        .collect()
}

fn helm(args: &[&str], chart: &Path) -> std::process::Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(tool("helm"))
        .args(args)
        .arg(chart)
        .env("HELM_CACHE_HOME", home.path().join("cache"))
        .env("HELM_CONFIG_HOME", home.path().join("config"))
        .env("HELM_DATA_HOME", home.path().join("data"))
        .output()
        .expect("run helm")
}

/// The custom-resource APIs a chart may use, for `--api-versions`: the
/// chart renders a custom kind only where the API server serves it.
const CUSTOM_APIS: &[&str] = &[
    "monitoring.coreos.com/v1/ServiceMonitor",
    "autoscaling.k8s.io/v1/VerticalPodAutoscaler",
    "keda.sh/v1alpha1/ScaledObject",
    "external-secrets.io/v1/ExternalSecret",
    "gateway.networking.k8s.io/v1/Gateway",
    "gateway.networking.k8s.io/v1/HTTPRoute",
    "gateway.networking.k8s.io/v1/GRPCRoute",
    "gateway.networking.k8s.io/v1/ReferenceGrant",
];

/// The chart's name (the project's).
fn chart_name(chart: &Path) -> String {
    let text = std::fs::read_to_string(chart.join("Chart.yaml")).unwrap();
    text.lines().find_map(|l| l.strip_prefix("name: ")).unwrap().trim().to_string()
}

/// `helm template` as it is: raw output, asserted to succeed.
fn template_text(chart: &Path, release: &str, extra: &[&str]) -> String {
    let mut args = vec!["template", release];
    args.extend_from_slice(extra);
    let out = helm(&args, chart);
    assert!(out.status.success(), "helm template {extra:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// The round-trip arguments of the README: the release named after the
/// project, in the topology's namespace (made by the chart) for a
/// single-namespace topology, with every custom API served.
fn round_trip_args(chart: &Path, namespace: Option<&str>) -> Vec<String> {
    let mut args = vec![chart_name(chart)];
    if let Some(ns) = namespace {
        args.extend(["--namespace".into(), ns.into(), "--set".into(), "namespace.create=true".into()]);
    }
    for api in CUSTOM_APIS {
        args.extend(["--api-versions".into(), api.to_string()]);
    }
    args
}

/// `helm template` of the chart for the round trip, with extra arguments,
/// parsed; `namespace` for a single-namespace topology.
fn template_in(chart: &Path, namespace: Option<&str>, extra: &[&str]) -> BTreeMap<String, Value> {
    let args = round_trip_args(chart, namespace);
    let mut all: Vec<&str> = args[1..].iter().map(String::as_str).collect();
    all.extend_from_slice(extra);
    by_key(archctl::api::parse_stream(&template_text(chart, &args[0], &all)).unwrap())
}

/// [`template_in`] for a chart of the topology's namespaces: found from the
/// render's Namespace objects when there is one.
fn template(chart: &Path, extra: &[&str]) -> BTreeMap<String, Value> {
    template_in(chart, namespace_of(chart).as_deref(), extra)
}

/// The one namespace of a single-namespace chart: the `--namespace` of the
/// round-trip command its README gives.
fn namespace_of(chart: &Path) -> Option<String> {
    let readme = std::fs::read_to_string(chart.join("README.md")).unwrap();
    let line = readme.lines().find(|l| l.starts_with("helm template "))?;
    let mut words = line.split_whitespace();
    words.find(|w| *w == "--namespace")?;
    words.next().map(str::to_string)
}

/// Asserts two object sets are equal, naming the first difference.
fn assert_same(archctl: &BTreeMap<String, Value>, helm: &BTreeMap<String, Value>, what: &str) {
    let a: Vec<&String> = archctl.keys().collect();
    let h: Vec<&String> = helm.keys().collect();
    assert_eq!(a, h, "{what}: archctl and helm render different objects");
    for (k, v) in archctl {
        if helm[k] != *v {
            let left = serde_json::to_string_pretty(v).unwrap();
            let right = serde_json::to_string_pretty(&helm[k]).unwrap();
            let first = left.lines().zip(right.lines()).position(|(x, y)| x != y).unwrap_or(0);
            panic!(
                "{what}: {k} differs, first at line {first}:\narchctl: {}\nhelm:    {}",
                left.lines().nth(first).unwrap_or(""),
                right.lines().nth(first).unwrap_or("")
            );
        }
    }
}

fn topologies() -> Vec<PathBuf> {
    vec![
        repo().join("archctl.toml"),
        repo().join("examples/percolate-reading/archctl.toml"),
        repo().join("examples/semantic-explorer/archctl.toml"),
    ]
}

/// Writes the chart of `topology` into a temp dir.
fn chart(p: &Project, topology: &Path, extra: &[&str]) -> PathBuf {
    let dir = p.path().join("chart");
    let topo = topology.to_str().unwrap();
    let mut args = vec!["-f", topo, "render", "--format", "helm", "--out", dir.to_str().unwrap(), "--force"];
    args.extend_from_slice(extra);
    let run = p.run(&args).success();
    assert!(!run.stderr.contains("as a whole value"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
    dir
}

#[test]
fn helm_template_gives_exactly_the_render_of_every_profile() {
    for topology in topologies() {
        let p = Project::new();
        let dir = chart(&p, &topology, &[]);
        let topo = topology.to_str().unwrap();
        // values.yaml alone: the topology without a profile
        let plain = by_key(p.run(&["-f", topo, "render"]).success().docs());
        assert_same(&plain, &template(&dir, &[]), &format!("{topo} (values.yaml)"));
        let profiles = archctl::api::profile_names(&topology);
        assert_eq!(profiles.len(), 3, "{topo}");
        for profile in profiles {
            let values = dir.join(format!("values-{profile}.yaml"));
            assert!(values.is_file(), "{}", values.display());
            let expected = by_key(p.run(&["-f", topo, "render", "--profile", &profile]).success().docs());
            let got = template(&dir, &["-f", values.to_str().unwrap()]);
            assert_same(&expected, &got, &format!("{topo} --profile {profile}"));
        }
    }
}

#[test]
fn the_selected_profile_becomes_the_default_values() {
    let p = Project::new();
    let topology = repo().join("archctl.toml");
    let dir = chart(&p, &topology, &["--profile", "production"]);
    let expected =
        by_key(p.run(&["-f", topology.to_str().unwrap(), "render", "--profile", "production"]).success().docs());
    assert_same(&expected, &template(&dir, &[]), "values.yaml of --profile production");
    let dev = by_key(p.run(&["-f", topology.to_str().unwrap(), "render", "--profile", "dev"]).success().docs());
    let values = dir.join("values-dev.yaml");
    assert_same(&dev, &template(&dir, &["-f", values.to_str().unwrap()]), "dev on top of production");
}

#[test]
fn every_chart_lints_clean_in_strict_mode() {
    for topology in topologies() {
        let p = Project::new();
        let dir = chart(&p, &topology, &[]);
        let out = helm(&["lint", "--strict"], &dir);
        let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{}: {text}", topology.display());
        assert!(!text.contains("[WARNING]") && !text.contains("[ERROR]"), "{}: {text}", topology.display());
    }
}

#[test]
fn values_change_what_helm_renders() {
    let p = Project::new();
    let dir = chart(&p, &repo().join("archctl.toml"), &["--profile", "production"]);
    let set = template(
        &dir,
        &[
            "--set",
            "services.rag-api.image.tag=9.9.9",
            "--set",
            "features.autoscaling=false",
            "--set",
            "services.rag-api.replicas=7",
            "--set",
            "global.imageRegistry=mirror.example.com",
            "--set",
            "services.neo4j.storage.neo4j-data.size=1Ti",
        ],
    );
    let api = &set["Deployment archivist/rag-api"];
    assert_eq!(api["spec"]["replicas"], 7, "autoscaling off: replicas come back");
    assert_eq!(api["spec"]["template"]["spec"]["containers"][0]["image"], "mirror.example.com/archivist/rag-api:9.9.9");
    assert!(!set.contains_key("HorizontalPodAutoscaler archivist/rag-api-hpa"), "the HPA is switched off");
    let neo = &set["StatefulSet archivist-data/neo4j"];
    assert_eq!(neo["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"], "1Ti");
    // a data store keeps its own registry-less image unless a global registry is set
    assert_eq!(neo["spec"]["template"]["spec"]["containers"][0]["image"], "mirror.example.com/neo4j:5.13-community");
}

#[test]
fn the_values_schema_rejects_a_wrong_type() {
    let p = Project::new();
    let dir = chart(&p, &repo().join("archctl.toml"), &["--profile", "production"]);
    for (flag, bad) in [("--set-string", "services.neo4j.replicas=three"), ("--set", "features.autoscaling=maybe")] {
        let out = helm(&["template", "release", flag, bad], &dir);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{bad} must be rejected");
        assert!(err.contains("schema"), "{bad}: {err}");
    }
    let out = helm(&["template", "release", "--set", "servces.neo4j.replicas=2"], &dir);
    assert!(!out.status.success(), "a misspelt top-level key must be rejected");
}

/// Services of one shape share one schema definition, so that the schema of
/// a fleet stays far below Helm's 5 MiB limit per chart file; Helm still
/// checks each service against it, and the chart still renders exactly.
#[test]
fn services_of_one_shape_share_a_schema_definition() {
    let p = Project::fleet(60);
    let dir = chart(&p, &p.path().join("archctl.toml"), &[]);
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("values.schema.json")).unwrap()).unwrap();
    let services = schema["properties"]["services"]["properties"].as_object().unwrap();
    assert_eq!(services.len(), 60);
    assert!(services.values().all(|s| s.get("$ref").is_some()), "every service refers to its shape");
    let shapes = schema["definitions"].as_object().unwrap().keys().filter(|k| k.starts_with("services-")).count();
    assert!((1..=4).contains(&shapes), "{shapes} shapes among 60 services of the generator's few kinds");

    let production = by_key(p.run(&["render", "--profile", "production"]).success().docs());
    let values = dir.join("values-production.yaml");
    assert_same(&production, &template(&dir, &["-f", values.to_str().unwrap()]), "fleet, production");
    for (flag, bad) in
        [("--set-string", "services.svc-00001.replicas=three"), ("--set", "services.svc-00001.replcas=2")]
    {
        let out = helm(&["template", "release", flag, bad], &dir);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{bad} must be rejected through the shared definition");
        assert!(err.contains("schema"), "{bad}: {err}");
    }
}

/// The generated chart of the default topology, file by file; rewrite with
/// `ARCHCTL_UPDATE_SNAPSHOTS=1 cargo test` after reviewing the change.
#[test]
fn chart_files_match_their_snapshot() {
    let p = Project::new();
    let dir = chart(&p, &repo().join("archctl.toml"), &["--profile", "production"]);
    let golden = repo().join("snapshots/chart");
    let mut files = Vec::new();
    let mut stack = vec![dir.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n != ".archctl-output") {
                files.push(path.strip_prefix(&dir).unwrap().to_path_buf());
            }
        }
    }
    files.sort();
    if std::env::var("ARCHCTL_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        let _ = std::fs::remove_dir_all(&golden);
        for f in &files {
            std::fs::create_dir_all(golden.join(f).parent().unwrap()).unwrap();
            std::fs::copy(dir.join(f), golden.join(f)).unwrap();
        }
    }
    for f in &files {
        let want = std::fs::read_to_string(golden.join(f)).unwrap_or_else(|_| {
            panic!("snapshots/chart/{} is missing; review and run with ARCHCTL_UPDATE_SNAPSHOTS=1", f.display())
        });
        let got = std::fs::read_to_string(dir.join(f)).unwrap();
        assert_eq!(got, want, "snapshots/chart/{} differs", f.display());
    }
    let mut stored = 0;
    let mut stack = vec![golden.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() { stack.push(path) } else { stored += 1 }
        }
    }
    assert_eq!(stored, files.len(), "snapshots/chart holds files the chart no longer has");
}

#[test]
fn helm_format_needs_an_output_folder() {
    let run = Project::archivist().run(&["render", "--format", "helm"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("add `--out DIR`"), "{}", run.stderr);
}

#[test]
fn a_project_templates_folder_overrides_the_skeleton() {
    let p = Project::archivist().file("templates/NOTES.txt", "Thanks for installing [[ project ]]!\n");
    let dir = p.path().join("chart");
    p.run(&["render", "--format", "helm", "--out", dir.to_str().unwrap()]).success();
    assert_eq!(std::fs::read_to_string(dir.join("templates/NOTES.txt")).unwrap(), "Thanks for installing archivist!\n");
    // the other skeleton files stay built in
    assert!(
        std::fs::read_to_string(dir.join("templates/_helpers.tpl")).unwrap().contains("define \"archivist.image\"")
    );
    let bad = Project::archivist().file("templates/Chart.yaml", "name: [[ nope ]]\n");
    let run = bad.run(&["render", "--format", "helm", "--out", "chart"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("templates/Chart.yaml"), "{}", run.stderr);
}

/// A skeleton file that links out of the project is not read: a pull
/// request cannot copy a file of the CI machine into a chart.
#[test]
fn a_skeleton_override_that_links_out_of_the_project_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "CANARY-SKELETON [[ project ]]\n").unwrap();
    let p = Project::archivist();
    std::fs::create_dir_all(p.path().join("templates")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), p.path().join("templates/NOTES.txt")).unwrap();
    let run = p.run(&["render", "--format", "helm", "--out", "chart"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("templates/NOTES.txt") && run.stderr.contains("outside the topology's folder"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("CANARY") && !p.path().join("chart").exists(), "{}", run.stderr);
}

#[test]
fn a_topology_without_profiles_or_common_labels_round_trips() {
    let p = Project::with(
        r#"
[project]
name = "tiny"
[config_maps.settings]
data = { mode = "fast", template = "{{ '{{' }} .Values.x }}" }
[services.web]
kind = "deployment"
container = { image = "nginx", ports = { http = 80 } }
"#,
    );
    let dir = p.path().join("chart");
    p.run(&["render", "--format", "helm", "--out", dir.to_str().unwrap()]).success();
    let expected = by_key(p.run(&["render"]).success().docs());
    assert_eq!(expected["ConfigMap tiny/settings"]["data"]["template"], "{{ .Values.x }}");
    assert_same(&expected, &template(&dir, &[]), "tiny");
}

/// `helm template` output, document by document: the text of each, by key.
fn documents(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for chunk in text.split("\n---\n").map(|c| c.trim_start_matches("---\n")) {
        let docs = archctl::api::parse_stream(chunk).unwrap();
        if let Some(key) = by_key(docs).into_keys().next() {
            // the last document of a file ends where the next file's begins
            assert!(out.insert(key.clone(), chunk.trim_end().to_string()).is_none(), "{key} twice");
        }
    }
    out
}

/// The kinds each feature switch owns.
fn kinds_of(feature: &str) -> &'static [&'static str] {
    match feature {
        "autoscaling" => &["HorizontalPodAutoscaler", "ScaledObject"],
        "vpa" => &["VerticalPodAutoscaler"],
        "disruptionBudgets" => &["PodDisruptionBudget"],
        "networkPolicies" => &["NetworkPolicy"],
        "serviceMonitors" => &["ServiceMonitor"],
        "ingress" => &["Ingress"],
        "gatewayApi" => &["Gateway", "HTTPRoute", "GRPCRoute", "ReferenceGrant"],
        other => panic!("a feature switch this test does not know: {other}"),
    }
}

/// `features.gatewayApi=false` removes the Gateway API objects of
/// semantic-explorer's production chart (which has both an Ingress and a
/// Gateway with its route) and changes nothing else.
#[test]
fn the_gateway_api_switch_removes_exactly_its_objects() {
    let p = Project::new();
    let dir = chart(&p, &repo().join("examples/semantic-explorer/archctl.toml"), &["--profile", "production"]);
    let args = round_trip_args(&dir, None);
    let base: Vec<&str> = args[1..].iter().map(String::as_str).collect();
    let with = |extra: &[&str]| {
        let mut a = base.clone();
        a.extend_from_slice(extra);
        documents(&template_text(&dir, &args[0], &a))
    };
    let before = with(&[]);
    assert!(before.keys().any(|k| k.starts_with("HTTPRoute ")), "{:?}", before.keys().collect::<Vec<_>>());
    let after = with(&["--set", "features.gatewayApi=false"]);
    let kinds = kinds_of("gatewayApi");
    assert_removed(
        &before,
        &after,
        |k| kinds.contains(&k.split(' ').next().unwrap()),
        |_, _, _| false,
        "features.gatewayApi=false",
    );
    assert!(after.keys().any(|k| k.starts_with("Ingress ")), "the Ingress stays");
}

/// Asserts `after` is `before` without exactly the objects `gone` picks,
/// every other document byte-identical but those `changed` allows.
fn assert_removed(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
    gone: impl Fn(&str) -> bool,
    changed: impl Fn(&str, &str, &str) -> bool,
    what: &str,
) {
    let mut removed = 0;
    for (k, text) in before {
        match after.get(k) {
            None => {
                assert!(gone(k), "{what}: {k} disappeared");
                removed += 1;
            }
            Some(t) => {
                assert!(!gone(k), "{what}: {k} is still rendered");
                assert!(t == text || changed(k, text, t), "{what}: {k} changed:\n{text}\n---\n{t}");
            }
        }
    }
    assert!(removed > 0, "{what}: nothing was removed");
    assert!(after.keys().all(|k| before.contains_key(k)), "{what}: objects appeared");
}

/// Each switch of values.yaml, set off with `--set`, removes exactly the
/// objects it names and changes nothing else (but the replicas an
/// autoscaler gives back).
#[test]
fn every_switch_removes_exactly_its_objects() {
    let p = Project::new();
    let dir = chart(&p, &repo().join("archctl.toml"), &["--profile", "production"]);
    let values: Value = serde_yaml_values(&std::fs::read_to_string(dir.join("values.yaml")).unwrap());
    let args = round_trip_args(&dir, None);
    let base_args: Vec<&str> = args[1..].iter().map(String::as_str).collect();
    let with = |extra: &[&str]| {
        let mut a = base_args.clone();
        a.extend_from_slice(extra);
        documents(&template_text(&dir, &args[0], &a))
    };
    let before = with(&[]);
    let replicas_back = |k: &str, old: &str, new: &str| {
        // a workload gets `replicas` from its values back, nothing else
        let name = k.rsplit('/').next().unwrap();
        let n = &values["services"][name]["replicas"];
        k.starts_with("Deployment ") && old.replacen("\nspec:\n", &format!("\nspec:\n  replicas: {n}\n"), 1) == new
    };
    let features = values["features"].as_object().unwrap();
    assert_eq!(features.len(), 7);
    for (f, on) in features {
        assert_eq!(on, true, "production has every feature on");
        if f == "gatewayApi" {
            continue; // Archivist has no Gateway API objects: see the next test
        }
        let set = format!("features.{f}={}", false);
        let after = with(&["--set", &set]);
        let kinds = kinds_of(f);
        assert_removed(&before, &after, |k| kinds.contains(&k.split(' ').next().unwrap()), replicas_back, &set);
    }
    let mut scaled = 0;
    for (name, svc) in values["services"].as_object().unwrap() {
        if svc["autoscaling"]["enabled"] != true {
            continue;
        }
        scaled += 1;
        let set = format!("services.{name}.autoscaling.enabled=false");
        let after = with(&["--set", &set]);
        let hpa = |k: &str| {
            let kind = k.split(' ').next().unwrap();
            matches!(kind, "HorizontalPodAutoscaler" | "ScaledObject") && before[k].contains(&format!("name: {name}\n"))
        };
        assert_removed(
            &before,
            &after,
            hpa,
            |k, o, n| k.ends_with(&format!("/{name}")) && replicas_back(k, o, n),
            &set,
        );
        let deploy = archctl::api::parse_stream(&after[&format!("Deployment archivist/{name}")]).unwrap();
        assert_eq!(deploy[0]["spec"]["replicas"], values["services"][name]["replicas"], "{set}");
    }
    assert!(scaled > 0);
    // capabilities.force: the custom kinds without any --api-versions
    let bare = documents(&template_text(&dir, &args[0], &[]));
    let forced = documents(&template_text(&dir, &args[0], &["--set", "capabilities.force=true"]));
    assert_eq!(forced, before, "forced custom kinds are those the APIs give");
    let custom = |k: &str| {
        matches!(
            k.split(' ').next().unwrap(),
            "ServiceMonitor" | "VerticalPodAutoscaler" | "ScaledObject" | "ExternalSecret"
        )
    };
    assert_removed(&forced, &bare, custom, |_, _, _| false, "without the custom APIs");
}

fn serde_yaml_values(text: &str) -> Value {
    archctl::api::parse_stream(text).unwrap().into_iter().next().unwrap()
}

/// A single-namespace chart follows the release's namespace and creates
/// the Namespace only when asked; every chart's instance label is the
/// release's name, selectors included.
#[test]
fn the_release_names_the_instance_and_the_namespace() {
    let p = Project::new();
    let single = repo().join("examples/percolate-reading/archctl.toml");
    let dir = chart(&p, &single, &[]);
    let ns = namespace_of(&dir).expect("a single-namespace chart");
    let plain = template_text(&dir, "other-name", &["--namespace", "elsewhere", "--set", "capabilities.force=true"]);
    let docs = by_key(archctl::api::parse_stream(&plain).unwrap());
    assert!(docs.keys().all(|k| !k.starts_with("Namespace ")), "no Namespace unless asked");
    for (k, d) in &docs {
        assert_eq!(d["metadata"]["namespace"], "elsewhere", "{k}");
    }
    // DNS names in env values follow it (those inside values that differ
    // between profiles, such as some args, stay as the profile wrote them)
    assert!(
        plain.lines().filter(|l| l.trim_start().starts_with("value:")).all(|l| !l.contains(&format!(".{ns}.svc"))),
        "DNS names follow the namespace"
    );
    let made = template_text(&dir, "x", &["--namespace", "elsewhere", "--set", "namespace.create=true"]);
    let made = by_key(archctl::api::parse_stream(&made).unwrap());
    assert!(made.contains_key("Namespace -/elsewhere"), "{:?}", made.keys());
    // and the switch adds the Namespace and changes nothing else
    let with_ns = template_text(
        &dir,
        "other-name",
        &["--namespace", "elsewhere", "--set", "capabilities.force=true", "--set", "namespace.create=true"],
    );
    let mut with_ns = by_key(archctl::api::parse_stream(&with_ns).unwrap());
    assert!(with_ns.remove("Namespace -/elsewhere").is_some());
    assert_eq!(with_ns, docs, "namespace.create=true changes only whether the Namespace is rendered");

    assert_ne!(chart_name(&dir), "other-name");
    let mut instances = 0;
    fn walk(v: &Value, n: &mut usize) {
        match v {
            Value::Object(m) => {
                for (k, child) in m {
                    if k == "app.kubernetes.io/instance" {
                        assert_eq!(child, "other-name", "instance label left as {child}");
                        *n += 1;
                    }
                    walk(child, n);
                }
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, n)),
            _ => {}
        }
    }
    for d in docs.values() {
        walk(d, &mut instances);
    }
    assert!(instances > docs.len(), "labels and selectors: {instances}");

    // several namespaces: each is a value, selectors included
    let p = Project::new();
    let dir = chart(&p, &repo().join("archctl.toml"), &["--profile", "production"]);
    let moved = template_text(
        &dir,
        "archivist",
        &["--set", "namespaces.archivist-data=data2", "--set", "capabilities.force=true"],
    );
    assert!(
        moved
            .lines()
            .filter(|l| l.contains("archivist-data"))
            .all(|l| l.contains("# Source") || l.contains("app.kubernetes.io/name:")),
        "every mention of the namespace follows it:\n{}",
        moved.lines().filter(|l| l.contains("archivist-data")).collect::<Vec<_>>().join("\n")
    );
    let docs = by_key(archctl::api::parse_stream(&moved).unwrap());
    assert_eq!(docs["StatefulSet data2/neo4j"]["metadata"]["namespace"], "data2");
}

/// Every value of the schema says what it is, and the chart's README lists
/// it with its default.
#[test]
fn every_value_has_a_description() {
    let p = Project::new();
    let dir = chart(&p, &repo().join("archctl.toml"), &["--profile", "production"]);
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("values.schema.json")).unwrap()).unwrap();
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    fn walk(s: &Value, root: &Value, path: &mut Vec<String>, readme: &str) {
        let s = match s.get("$ref").and_then(Value::as_str) {
            Some(r) => &root["definitions"][r.rsplit('/').next().unwrap()],
            None => s,
        };
        let key = path.join(".");
        if !path.is_empty() {
            assert!(s.get("description").is_some(), "{key} has no description");
        }
        match s.get("properties").and_then(Value::as_object) {
            Some(props) if !props.is_empty() && path.first().is_none_or(|p| p != "overrides") => {
                for (k, child) in props {
                    path.push(k.clone());
                    walk(child, root, path, readme);
                    path.pop();
                }
            }
            _ => assert!(
                path.first().is_some_and(|p| p == "overrides") || readme.contains(&format!("| `{key}` |")),
                "the README lists no {key}"
            ),
        }
    }
    walk(&schema, &schema, &mut Vec::new(), &readme);
}

/// A service with no autoscaler in any profile has no `autoscaling` switch:
/// turning one on would drop its `replicas` and render no autoscaler, so the
/// values schema refuses it, while a service that has one keeps the switch.
#[test]
fn only_autoscaled_services_have_an_autoscaling_switch() {
    let p = Project::new();
    let dir = chart(&p, &repo().join("archctl.toml"), &["--profile", "production"]);
    let values: Value = serde_yaml_values(&std::fs::read_to_string(dir.join("values.yaml")).unwrap());
    assert_eq!(values["services"]["rag-api"]["autoscaling"]["enabled"], true);
    for name in ["graph-service", "neo4j", "qdrant", "redis", "index-rebuild"] {
        assert!(values["services"][name].get("autoscaling").is_none(), "{name}: {}", values["services"][name]);
    }
    let args = round_trip_args(&dir, None);
    let mut a: Vec<&str> = vec!["template", &args[0]];
    a.extend(args[1..].iter().map(String::as_str));
    a.extend(["--set", "services.graph-service.autoscaling.enabled=true"]);
    let out = helm(&a, &dir);
    assert!(!out.status.success(), "the schema lets a switch with nothing behind it through");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("autoscaling"), "{err}");
}

/// The Gateway API kinds are rendered only where the API server serves
/// them (`.Capabilities.APIVersions`), like the other custom kinds: without
/// those APIs the chart leaves exactly them out; `capabilities.force=true`
/// brings them back.
#[test]
fn gateway_api_kinds_are_guarded_by_the_served_apis() {
    let p = Project::new();
    let dir = chart(&p, &repo().join("examples/semantic-explorer/archctl.toml"), &["--profile", "production"]);
    let all = round_trip_args(&dir, None);
    let release = all[0].clone();
    // every custom API but the Gateway API's
    let mut served: Vec<String> = Vec::new();
    for api in CUSTOM_APIS.iter().filter(|a| !a.starts_with("gateway.networking.k8s.io/")) {
        served.extend(["--api-versions".to_string(), api.to_string()]);
    }
    let with = |args: &[String], extra: &[&str]| {
        let mut a: Vec<&str> = args.iter().map(String::as_str).collect();
        a.extend_from_slice(extra);
        documents(&template_text(&dir, &release, &a))
    };
    let before = with(&all[1..], &[]);
    let without = with(&served, &[]);
    let kinds = kinds_of("gatewayApi");
    assert_removed(
        &before,
        &without,
        |k| kinds.contains(&k.split(' ').next().unwrap()),
        |_, _, _| false,
        "no Gateway API served",
    );
    let forced = with(&served, &["--set", "capabilities.force=true"]);
    assert_eq!(forced, before, "capabilities.force renders every kind as if served");
}
