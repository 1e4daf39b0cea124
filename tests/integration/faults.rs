//! What a real server cannot do on demand — latency, 429 with
//! `Retry-After`, a request that never ends, a body that trickles, an HTTP
//! proxy in between — through the fault-injecting proxy of
//! the testkit crate (testkit/) placed in front of the real API server.

use std::time::{Duration, Instant};

use crate::cluster::{CRDS, Live, assert_read_only};
use crate::support::{Project, Run};
use archctl_testkit::{ConnectProxy, FaultProxy};

/// The Archivist production render applied, and a fault proxy in front.
fn behind_a_proxy() -> (Live, FaultProxy, String) {
    let c = Live::archivist();
    c.apply(&["--profile", "production"]);
    let proxy = FaultProxy::start(c.k.server(), c.k.ca());
    let kubeconfig = proxy.kubeconfig_through(&c.p.path().join("through-proxy"), c.k.admin_token());
    (c, proxy, kubeconfig.to_string_lossy().into_owned())
}

fn diff_via(c: &Live, kubeconfig: &str, args: &[&str]) -> Run {
    let mut all = vec!["diff", "--kubeconfig", kubeconfig, "--profile", "production"];
    all.extend_from_slice(args);
    let run = c.p.run(&all);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    run
}

/// Divergence 7: An unreachable server fails at once, naming the server and the cause;
/// no connect timeout per LIST.
#[test]
fn an_unreachable_server_fails_fast_with_its_url_and_the_cause() {
    let p = Project::archivist();
    // a port nobody listens on
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let kubeconfig = p.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:{port}\nusers:\n- name: u\n  user:\n    token: SECRET-TOKEN-123\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\n"
        ),
    )
    .unwrap();
    let started = Instant::now();
    let run = p.run(&["diff", "--kubeconfig", "kubeconfig", "--profile", "production"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert!(run.stderr.contains(&format!("https://127.0.0.1:{port}")), "{}", run.stderr);
    assert!(run.stderr.contains("connection refused"), "{}", run.stderr);
    assert!(!run.stderr.contains("SECRET-TOKEN-123"), "{}", run.stderr);
    // an unknown context lists the known ones
    let run = p.run(&["diff", "--kubeconfig", "kubeconfig", "--context", "nope", "--profile", "production"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no context `nope`; known contexts: x"), "{}", run.stderr);
}

/// Divergence 7: The preflight tells bad credentials and a wrong certificate apart.
#[test]
fn bad_credentials_and_a_wrong_certificate_are_named() {
    let c = Live::new(Project::archivist(), &[]);
    let server = c.k.server().to_string();
    let write = |name: &str, ca: &str, token: &str| {
        let path = c.p.path().join(name);
        std::fs::write(
            &path,
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n{ca}users:\n- name: u\n  user:\n    token: {token}\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\ncurrent-context: x\n"
            ),
        )
        .unwrap();
        path.to_string_lossy().into_owned()
    };
    let ca = format!("    certificate-authority: {}\n", c.k.ca().display());
    let bad_token = write("bad-token", &ca, "WRONG-TOKEN-456");
    let run = c.p.run(&["diff", "--kubeconfig", &bad_token, "--profile", "production"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("refused the credentials"), "{}", run.stderr);
    assert!(!run.stderr.contains("WRONG-TOKEN-456"), "{}", run.stderr);
    let no_ca = write("no-ca", "", c.k.admin_token());
    let run = c.p.run(&["diff", "--kubeconfig", &no_ca, "--profile", "production"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("TLS failed"), "{}", run.stderr);
    assert!(run.stderr.contains(&server), "{}", run.stderr);
}

/// Divergence 7: A server that accepts and never answers: the preflight gives up
/// after --request-timeout; one request that never ends is that object's
/// error while every other object is still diffed; a body that trickles
/// is bounded as a whole; and the whole run has a deadline.
#[test]
fn hangs_are_bounded_per_request_and_overall() {
    let (c, proxy, kubeconfig) = behind_a_proxy();
    proxy.hang("/version");
    let started = Instant::now();
    let run = diff_via(&c, &kubeconfig, &["--request-timeout", "2"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(started.elapsed() < Duration::from_secs(8), "{:?}", started.elapsed());
    assert!(run.stderr.contains("did not answer within 2 s"), "{}", run.stderr);
    assert!(run.stderr.contains(&proxy.url()), "names the server: {}", run.stderr);

    proxy.clear();
    proxy.hang("configmaps/archivist-config?");
    let run = diff_via(&c, &kubeconfig, &["--request-timeout", "2", "--summary"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let line = run.stdout.lines().find(|l| l.contains("v1 ConfigMap archivist/archivist-config")).unwrap_or("");
    assert!(
        line.starts_with("x error") && line.contains("no complete answer within 2 s"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(run.stdout.contains("23 unchanged, 1 error"), "{}", run.stdout);

    proxy.clear();
    proxy.trickle("/apis/apps/v1/deployments?", Duration::from_millis(200));
    let started = Instant::now();
    let run = diff_via(&c, &kubeconfig, &["--request-timeout", "2", "--summary"]);
    assert!(started.elapsed() < Duration::from_secs(12), "a trickling body must be bounded: {:?}", started.elapsed());
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("no complete answer within 2 s"), "{}", run.stdout);

    proxy.clear();
    proxy.set_latency(Duration::from_millis(400));
    let run = diff_via(&c, &kubeconfig, &["--timeout", "2", "--concurrency", "1"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("did not finish within 2 s (--timeout)"), "{}", run.stderr);
    assert_read_only(&c.k);
}

/// Divergence 7: 429 and 503 are retried after `Retry-After`, and the retries are
/// said on stderr.
#[test]
fn throttled_requests_are_retried_and_said() {
    let (c, proxy, kubeconfig) = behind_a_proxy();
    proxy.fail_next(2, 429, Some(1), "/apis/apps/v1/deployments?");
    proxy.fail_next(1, 503, None, "dryRun=All");
    let run = diff_via(&c, &kubeconfig, &["--summary"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let retries: Vec<&str> = run.stderr.lines().filter(|l| l.starts_with("retrying ")).collect();
    assert_eq!(retries.len(), 3, "{}", run.stderr);
    assert!(
        retries[0].contains("list deployments: the server answered 429") && retries[0].contains("in 1 s"),
        "{retries:?}"
    );
    assert!(retries.iter().any(|r| r.contains("answered 503")), "{retries:?}");
    // a server that keeps refusing: the object's error after the retries
    proxy.fail_next(100, 429, Some(0), "configmaps/archivist-config?");
    let run = diff_via(&c, &kubeconfig, &["--summary"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("x error   v1 ConfigMap archivist/archivist-config"), "{}", run.stdout);
}

/// `--concurrency N` bounds the requests in flight, LISTs and dry runs alike.
#[test]
fn concurrency_bounds_the_requests_in_flight() {
    let (c, proxy, kubeconfig) = behind_a_proxy();
    proxy.set_latency(Duration::from_millis(30));
    for n in [1usize, 3] {
        proxy.clear_requests();
        let run = diff_via(&c, &kubeconfig, &["--summary", "--concurrency", &n.to_string()]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let at_once = proxy.max_in_flight();
        assert!(at_once <= n, "--concurrency {n}: {at_once} requests at once");
        if n > 1 {
            assert!(at_once > 1, "--concurrency {n}: the requests never overlapped");
        }
    }
    // every request carries archctl's user agent
    assert!(proxy.requests().iter().all(|r| r.user_agent.as_deref().is_some_and(|u| u.starts_with("archctl/"))));
}

/// Divergence 4: Proxies as kubectl uses them: a kubeconfig `proxy-url`, or
/// `HTTPS_PROXY` unless `NO_PROXY` names the server. The server's name,
/// `kube.test`, resolves only through the proxy, so a diff that works
/// went through it.
#[test]
fn proxies_from_the_kubeconfig_and_the_environment() {
    let c = Live::archivist();
    c.apply(&["--profile", "production"]);
    let port = c.k.server().rsplit(':').next().unwrap().trim_end_matches('/').to_string();
    let target: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let tunnel = ConnectProxy::start(target);
    let server = format!("https://kube.test:{port}");
    let via = tunnel.kubeconfig_via(&c.p.path().join("via-proxy"), &server, c.k.ca(), None, c.k.admin_token());
    let run = c.p.run(&["diff", "--kubeconfig", via.to_str().unwrap(), "--profile", "production", "--summary"]);
    assert_eq!(run.code, 0, "proxy-url:\n{}\n{}", run.stdout, run.stderr);
    assert!(tunnel.connects().iter().all(|h| h == &format!("kube.test:{port}")), "{:?}", tunnel.connects());
    assert!(!tunnel.connects().is_empty());

    // the same kubeconfig without proxy-url, and HTTPS_PROXY in the environment
    let text = std::fs::read_to_string(&via).unwrap();
    let plain: String = text.lines().filter(|l| !l.contains("proxy-url")).map(|l| format!("{l}\n")).collect();
    std::fs::write(c.p.path().join("plain"), plain).unwrap();
    let env_run = |extra: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_archctl"));
        cmd.args(["diff", "--kubeconfig", "plain", "--profile", "production", "--summary", "--request-timeout", "5"])
            .current_dir(c.p.path())
            .env("NO_COLOR", "1")
            .env_remove("NO_PROXY")
            .env_remove("no_proxy")
            .env("HTTPS_PROXY", tunnel.url());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        Run::from(cmd.output().unwrap())
    };
    let before = tunnel.connects().len();
    let run = env_run(&[]);
    assert_eq!(run.code, 0, "HTTPS_PROXY:\n{}\n{}", run.stdout, run.stderr);
    assert!(tunnel.connects().len() > before, "the requests went through the proxy");
    // NO_PROXY names the server: no proxy, and kube.test does not resolve
    let before = tunnel.connects().len();
    let run = env_run(&[("NO_PROXY", "localhost,.test")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("kube.test"), "{}", run.stderr);
    assert_eq!(tunnel.connects().len(), before, "NO_PROXY bypasses the proxy");
    assert_read_only(&c.k);
}

/// Fleet scale, through the proxy's request log: one LIST per kind across
/// namespaces, one dry run per object, no per-object GET.
#[test]
fn at_fleet_scale_reads_are_batched_and_dry_runs_concurrent() {
    let p = Project::fleet(100);
    let c = Live::new(p, CRDS);
    c.apply(&["--profile", "production"]);
    let objects = archctl::api::parse_stream(&c.p.run(&["render", "--profile", "production"]).stdout).unwrap();
    let proxy = FaultProxy::start(c.k.server(), c.k.ca());
    let kubeconfig = proxy.kubeconfig_through(&c.p.path().join("through-proxy"), c.k.admin_token());
    proxy.set_latency(Duration::from_millis(5));
    // the controllers write to what was just applied for a while (status,
    // the revision annotation), and a dry run that sees a newer version
    // than the LIST reads that object again: wait for a quiet cluster
    let single_gets = |p: &FaultProxy| {
        p.requests()
            .iter()
            .filter(|r| r.method == "GET" && r.param("labelSelector").is_none() && r.path.matches('/').count() >= 6)
            .map(|r| r.path.clone())
            .collect::<Vec<String>>()
    };
    let started = Instant::now();
    loop {
        proxy.clear_requests();
        diff_via(&c, kubeconfig.to_str().unwrap(), &["--summary"]);
        if single_gets(&proxy).is_empty() || started.elapsed() > Duration::from_secs(60) {
            break;
        }
        std::thread::sleep(Duration::from_secs(2));
    }
    proxy.clear_requests();
    let run = diff_via(&c, kubeconfig.to_str().unwrap(), &["--summary"]);
    let differing: Vec<&str> = run.stdout.lines().filter(|l| !l.starts_with("= same")).collect();
    assert_eq!(run.code, 0, "{differing:#?}\n{}", run.stderr);
    assert!(run.stdout.ends_with(&format!("{} unchanged, 0 errors\n", objects.len())), "{}", run.stdout);
    let requests = proxy.requests();
    let dry_runs =
        requests.iter().filter(|r| r.method == "PATCH" && r.param("dryRun").as_deref() == Some("All")).count();
    assert_eq!(dry_runs, objects.len());
    let lists = requests.iter().filter(|r| r.method == "GET" && r.param("labelSelector").is_some()).count();
    assert!(lists <= archctl::api::KINDS.len(), "{lists} lists");
    let gets = single_gets(&proxy);
    assert!(gets.is_empty(), "no object is read on its own: {gets:#?}");
    let at_once = proxy.max_in_flight();
    assert!((2..=16).contains(&at_once), "{at_once} requests at once; the default bound is 16");
    assert_read_only(&c.k);
}
