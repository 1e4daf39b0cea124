//! No credential reaches what archctl prints about a topology: a password
//! in a URL (an env value, a config value) never appears in `check` (text,
//! JSON, SARIF or workflow commands), `graph` (Mermaid or DOT), `plan` (any
//! format) or an error's quoted source line; a proxy's password from the environment never
//! appears in `diff`'s messages. (`render` writes what the topology says,
//! by design: that is the user's manifest.)

use crate::support::{Project, Run};

const CANARY: &str = "CANARY-PW-93af";

fn topology(extra: &str) -> String {
    format!(
        r#"[project]
name = "shop"

[services.web]
kind = "deployment"
replicas = 2
resources = "small"
container = {{ image = "web:1.0", ports = {{ http = 8080 }}, probes = {{ readiness = {{ http = "/ready" }} }}, env = {{ DB = "postgres://app:{CANARY}@db.data.svc.cluster.local:5432/app", CACHE = "redis://{CANARY}@cache.shop.svc:6379" }} }}
{extra}"#
    )
}

fn clean(run: &Run, what: &str) {
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(!all.contains(CANARY), "{what} printed the password:\n{all}");
    assert!(!all.contains("panicked"), "{all}");
}

#[test]
fn passwords_in_urls_never_reach_check_graph_plan_or_errors() {
    let p = Project::with(&topology(""));
    // W007 fires on the address and quotes the line that holds it
    let run = p.run(&["check"]);
    assert!(run.stderr.contains("warning[W007]"), "{}", run.stderr);
    assert!(run.stderr.contains("postgres://app:"), "the line is still shown: {}", run.stderr);
    clean(&run, "check");
    for args in [
        vec!["check", "--format", "json"],
        vec!["check", "--format", "sarif"],
        vec!["check", "--format", "github"],
        vec!["graph"],
        vec!["graph", "--format", "dot"],
        vec!["plan"],
        vec!["plan", "--format", "markdown"],
        vec!["plan", "--format", "json"],
    ] {
        let run = p.run(&args);
        assert!(run.code == 0 || run.code == 1, "{args:?}: {}", run.stderr);
        clean(&run, &args.join(" "));
    }
    // the graph names the host, not the user
    let run = p.run(&["graph"]);
    assert!(run.stdout.contains("db.data"), "{}", run.stdout);
    // an error on the line that holds the URL quotes it masked
    let broken = Project::with(&topology("").replace("replicas = 2", "replicas = -2"));
    let run = broken.run(&["render"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    clean(&run, "render error");
    let broken = Project::with(&topology("").replace("web:1.0\"", "web:1.0\", bogus = 1"));
    let run = broken.run(&["check"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("bogus"), "{}", run.stderr);
    clean(&run, "check error");
}

#[test]
fn a_proxy_password_from_the_environment_is_masked() {
    let p = Project::archivist().file(
        "kubeconfig",
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://kube.invalid:6443\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: TOKEN-CANARY-77\n",
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_archctl"))
        .args(["diff", "--kubeconfig", "kubeconfig", "--profile", "production", "--request-timeout", "3"])
        .current_dir(p.path())
        .env("NO_COLOR", "1")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .env("HTTPS_PROXY", format!("http://proxyuser:{CANARY}@127.0.0.1:{port}"))
        .output()
        .unwrap();
    let run = Run::from(out);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("proxyuser:***@127.0.0.1"), "names the proxy, masked: {}", run.stderr);
    clean(&run, "diff through a proxy");
    assert!(!run.stderr.contains("TOKEN-CANARY-77"), "{}", run.stderr);
}

/// A kubeconfig that does not parse is named by path, line and column:
/// its lines (tokens, client keys) never reach the output.
#[test]
fn a_broken_kubeconfig_is_located_never_quoted() {
    let p = Project::archivist().file(
        "kubeconfig",
        "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: TOKEN-CANARY-5512\n    client-key-data: KEY-CANARY-8841\n  bad: [unclosed\ncontexts: {\n",
    );
    let run = p.run(&["diff", "--kubeconfig", "kubeconfig", "--profile", "production"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("kubeconfig `kubeconfig` is not valid YAML at line"), "{}", run.stderr);
    assert!(run.stderr.contains("its contents are not shown"), "{}", run.stderr);
    assert!(!run.stderr.contains("CANARY") && !run.stdout.contains("CANARY"), "{}", run.stderr);
    // the same through KUBECONFIG, as a second file of a list
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_archctl"))
        .args(["diff", "--profile", "production"])
        .current_dir(p.path())
        .env("KUBECONFIG", format!("{}:{}", p.path().join("missing").display(), p.path().join("kubeconfig").display()))
        .output()
        .unwrap();
    let run = Run::from(out);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("is not valid YAML at line"), "{}", run.stderr);
    assert!(!run.stderr.contains("CANARY"), "{}", run.stderr);
}
