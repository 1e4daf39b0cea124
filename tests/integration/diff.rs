//! `archctl diff --against`: against manifests on disk (the diff against a
//! real API server is in cluster.rs and faults.rs).

use serde_json::Value;

use crate::support::Project;

/// The Archivist project with the production render written to `live/`.
fn rendered() -> Project {
    let p = Project::archivist();
    p.run(&["render", "--profile", "production", "--out", "live"]).success();
    p
}

#[test]
fn against_an_unchanged_render_there_is_nothing_to_do() {
    let p = rendered();
    let run = p.run(&["diff", "--profile", "production", "--against", "live"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(
        run.stderr.contains("0 to create, 0 to change, 0 to replace, 0 to prune, 24 unchanged, 0 errors"),
        "{}",
        run.stderr
    );
}

/// Placeholder Secrets are written with `stringData`, which a server stores
/// as `data`: files written by `render --out` still compare unchanged.
#[test]
fn against_its_own_render_with_placeholder_secrets_there_is_nothing_to_do() {
    let p = Project::archivist();
    p.run(&["render", "--profile", "dev", "--out", "live"]).success();
    let run = p.run(&["diff", "--profile", "dev", "--against", "live"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("0 to change"), "{}", run.stderr);
}

/// `--against` reads files: the flags that tune cluster access are refused
/// with it rather than silently ignored.
#[test]
fn cluster_flags_are_refused_with_against() {
    let p = rendered();
    for flag in [["--concurrency", "4"], ["--request-timeout", "5"], ["--timeout", "60"], ["--context", "x"]] {
        let mut args = vec!["diff", "--profile", "production", "--against", "live"];
        args.extend(flag);
        let run = p.run(&args);
        assert_eq!(run.code, 2, "{flag:?}: {}", run.stderr);
        assert!(run.stderr.contains("cannot be used with"), "{flag:?}: {}", run.stderr);
    }
}

/// `--format` is the format in every command; `diff -o/--output`, its old
/// spelling, still works with a deprecation note on stderr.
#[test]
fn the_format_is_format_and_the_old_spelling_still_works() {
    let p = rendered();
    let new = p.run(&["diff", "--profile", "production", "--against", "live", "--format", "json"]);
    assert_eq!(new.code, 0, "{}", new.stderr);
    assert!(serde_json::from_str::<Value>(&new.stdout).is_ok(), "{}", new.stdout);
    assert!(!new.stderr.contains("deprecated"), "{}", new.stderr);
    for old in [["-o", "json"], ["--output", "json"]] {
        let mut args = vec!["diff", "--profile", "production", "--against", "live"];
        args.extend(old);
        let run = p.run(&args);
        assert_eq!(run.code, 0, "{old:?}: {}", run.stderr);
        assert_eq!(run.stdout, new.stdout, "{old:?}");
        assert!(run.stderr.contains("`diff -o/--output` is deprecated: use `--format`"), "{}", run.stderr);
    }
}

#[test]
fn each_change_is_shown_once_and_exits_1() {
    let p = rendered();
    let run = p.run(&["diff", "--profile", "production", "--phase", "phase3", "--against", "live"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stdout.contains("~ apps/v1 Deployment archivist/graph-service (change)"), "{}", run.stdout);
    assert_eq!(run.stdout.matches("-  replicas: 2\n+  replicas: 3\n").count(), 1, "{}", run.stdout);
    assert!(run.stdout.contains("-  maxReplicas: 10\n+  maxReplicas: 20\n"), "{}", run.stdout);
    // unchanged objects are not printed
    assert!(!run.stdout.contains("ConfigMap"), "{}", run.stdout);
    // --exit-zero keeps the report and drops the status
    let quiet = p.run(&["diff", "--profile", "production", "--phase", "phase3", "--against", "live", "--exit-zero"]);
    assert_eq!(quiet.code, 0);
    assert_eq!(quiet.stdout, run.stdout);
}

#[test]
fn new_objects_and_prune_candidates() {
    let p = rendered();
    // dev has no HPA, VPA or network policy but placeholder secrets
    let run = p.run(&["diff", "--profile", "dev", "--against", "live", "--summary"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let out = &run.stdout;
    assert!(out.contains("+ create  v1 Secret archivist/archivist-secrets"), "{out}");
    assert!(out.contains("- prune   autoscaling/v2 HorizontalPodAutoscaler archivist/rag-api-hpa"), "{out}");
    assert!(out.contains("- prune   networking.k8s.io/v1 NetworkPolicy archivist/rag-api-policy"), "{out}");
    assert!(out.contains("~ change  apps/v1 Deployment archivist/rag-api"), "{out}");
    assert!(out.lines().last().unwrap().starts_with("2 to create, "), "{out}");
    // a new object is shown whole as additions, with secret values redacted
    let full = p.run(&["diff", "--profile", "dev", "--against", "live"]);
    assert!(full.stdout.contains("+ v1 Secret archivist/archivist-secrets (create)"), "{}", full.stdout);
    assert!(full.stdout.contains("+  gemini-api-key: <redacted>"), "{}", full.stdout);
    assert!(!full.stdout.contains("REPLACE_ME") && !full.stdout.contains("UkVQTEFDRV9NRQ"), "{}", full.stdout);
}

#[test]
fn objects_without_archctl_labels_are_not_pruned() {
    let p = rendered();
    std::fs::write(
        p.path().join("live/99-foreign.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: someone-elses\n  namespace: archivist\ndata:\n  a: b\n",
    )
    .unwrap();
    let run = p.run(&["diff", "--profile", "production", "--against", "live", "--summary"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(!run.stdout.contains("someone-elses"));
}

#[test]
fn against_a_multi_document_file_and_a_kubectl_list() {
    let p = rendered();
    let stream = p.run(&["render", "--profile", "production"]).success().stdout;
    std::fs::write(p.path().join("all.yaml"), &stream).unwrap();
    let run = p.run(&["diff", "--profile", "production", "--against", "all.yaml"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // `kubectl get -o yaml` prints a List, with server fields to ignore
    let mut docs = archctl::api::parse_stream(&stream).unwrap();
    for d in &mut docs {
        d["metadata"]["uid"] = Value::String("0a1b".into());
        d["metadata"]["resourceVersion"] = Value::String("42".into());
        d["metadata"]["managedFields"] = serde_json::json!([{"manager": "kubectl"}]);
        d["status"] = serde_json::json!({"observedGeneration": 1});
    }
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": docs});
    std::fs::write(p.path().join("list.yaml"), archctl::api::document(&list).unwrap()).unwrap();
    let run = p.run(&["diff", "--profile", "production", "--against", "list.yaml", "--format", "json"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["totals"]["same"], 24);
    assert_eq!(report["objects"][0]["action"], "same");
}

#[test]
fn namespace_flag_limits_the_diff() {
    let p = rendered();
    let run = p.run(&[
        "diff",
        "--profile",
        "production",
        "--phase",
        "phase3",
        "--against",
        "live",
        "-n",
        "archivist-data",
        "--summary",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.lines().filter(|l| !l.contains(" to create")).all(|l| l.contains("archivist-data")),
        "{}",
        run.stdout
    );
}

#[test]
fn an_unreachable_cluster_is_a_clear_error() {
    let p = Project::archivist().file(
        "kubeconfig",
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:9\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n",
    );
    let run = p.run(&["diff", "--kubeconfig", "kubeconfig", "--request-timeout", "5"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains("cannot reach the API server at http://127.0.0.1:9")
            && run.stderr.contains("connection refused"),
        "{}",
        run.stderr
    );
    let missing = Project::archivist().run(&["diff", "--kubeconfig", "nope.yaml"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("cannot read kubeconfig `nope.yaml`"), "{}", missing.stderr);
}

#[test]
fn a_command_line_that_does_not_parse_is_an_error_not_a_difference() {
    let run = Project::archivist().run(&["diff", "--concurrency", "0"]);
    assert_eq!(run.code, 2);
}

/// Secret values in `--against` input never reach the output, whatever
/// the shape of `data`/`stringData` (a map, a list, a string) and in
/// annotations; a file that does not parse is named by place only.
#[test]
fn secrets_on_disk_of_any_shape_are_redacted_and_never_quoted() {
    let p = Project::archivist();
    p.run(&["render", "--profile", "dev", "--out", "live"]).success();
    let secret = |data: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: archivist-secrets\n  namespace: archivist\n  labels:\n    app.kubernetes.io/managed-by: archctl\n    app.kubernetes.io/part-of: archivist\n  annotations:\n    kapp.k14s.io/original: '{{\"data\":\"CANARY-ANN\"}}'\ntype: Opaque\n{data}\n"
        )
    };
    for (i, data) in [
        "data:\n  gemini-api-key: Q0FOQVJZLU1BUA==",
        "data:\n- CANARY-LIST",
        "data: CANARY-STRING",
        "stringData:\n  gemini-api-key: CANARY-SD",
    ]
    .iter()
    .enumerate()
    {
        let dir = p.path().join(format!("case{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("secret.yaml"), secret(data)).unwrap();
        for args in [vec![], vec!["--summary"], vec!["--format", "json"]] {
            let mut all = vec!["diff", "--profile", "dev", "--against"];
            let d = dir.to_string_lossy().into_owned();
            all.push(&d);
            all.extend(args.iter().copied());
            let run = p.run(&all);
            let out = format!("{}{}", run.stdout, run.stderr);
            assert!(!out.contains("CANARY") && !out.contains("Q0FOQVJZ"), "case {i} leaked:\n{out}");
        }
    }
    // a file that does not parse: its place, never its lines
    std::fs::write(
        p.path().join("broken.yaml"),
        "apiVersion: v1\nkind: Secret\ndata:\n  k: CANARY-BROKEN\n   bad: [\n",
    )
    .unwrap();
    let run = p.run(&["diff", "--profile", "dev", "--against", "broken.yaml"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("`broken.yaml` is not YAML at line"), "{}", run.stderr);
    assert!(!run.stderr.contains("CANARY"), "{}", run.stderr);
}

/// `--against -` reads standard input, with the same bound as a file.
#[test]
fn against_standard_input() {
    let p = Project::archivist();
    let yaml = p.run(&["render", "--profile", "production"]).success().stdout;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_archctl"))
        .args(["diff", "--profile", "production", "--against", "-", "--summary"])
        .current_dir(p.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), yaml.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("24 unchanged, 0 errors\n"));
}

/// `--against` input is read within bounds: nesting past 64 levels and an
/// alias bomb are errors that say so, quickly, without quoting the file.
#[test]
fn against_input_that_nests_or_expands_without_bound_is_refused() {
    let p = Project::archivist();
    let deep = format!("a: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    std::fs::write(p.path().join("deep.yaml"), deep).unwrap();
    let mut bomb = String::from("a: &a [\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\",\"x\"]\n");
    for i in 1..10u8 {
        let (name, prev) = ((b'a' + i) as char, (b'a' + i - 1) as char);
        bomb.push_str(&format!("{name}: &{name} [{}]\n", vec![format!("*{prev}"); 10].join(",")));
    }
    std::fs::write(p.path().join("bomb.yaml"), bomb).unwrap();
    for (file, why) in [("deep.yaml", "nested more than 64 levels deep"), ("bomb.yaml", "aliases expand too far")] {
        let started = std::time::Instant::now();
        let run = p.run(&["diff", "--profile", "dev", "--against", file]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains(why), "{}", run.stderr);
        assert!(started.elapsed() < std::time::Duration::from_secs(10));
    }
}

/// `--against` walks folders without following a symbolic link to a
/// folder, so a link loop cannot trap it.
#[test]
fn against_folders_do_not_follow_symbolic_links() {
    let p = Project::archivist();
    p.run(&["render", "--profile", "production", "--out", "live"]).success();
    std::os::unix::fs::symlink(p.path().join("live"), p.path().join("live/loop")).unwrap();
    let run = p.run(&["diff", "--profile", "production", "--against", "live", "--summary"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.ends_with("24 unchanged, 0 errors\n"), "{}", run.stdout);
}
