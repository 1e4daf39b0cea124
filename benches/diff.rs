//! `archctl diff` at fleet scale, timed as a whole process against the real
//! API server of the test suite (`scripts/test-cluster.sh`), directly and
//! with a fixed latency added to every request by the fault proxy of the
//! integration tests.
//!
//! ```text
//! cargo bench --bench diff                                  # 1,000 services (3,004 objects), 5 runs
//! ARCHCTL_DIFF_SERVICES=2000 ARCHCTL_DIFF_RUNS=9 cargo bench --bench diff
//! ARCHCTL_DIFF_LATENCY_MS=5 ARCHCTL_DIFF_CONCURRENCY=32 cargo bench --bench diff
//! ARCHCTL_DIFF_CONTROLLERS='*' cargo bench --bench diff      # with every controller running
//! ```
//!
//! The control plane runs only the `serviceaccount`, `namespace` and
//! `clusterrole-aggregation` controllers unless ARCHCTL_DIFF_CONTROLLERS says otherwise: with all of
//! them, 1,000 Deployments become ReplicaSets and ~3,000 pending pods whose
//! controllers share the 2 cores with the diff being measured (and write to
//! the Deployments while it runs, so it reads some of them again).
//!
//! The cluster holds exactly what `archctl render --profile production`
//! prints, applied by `kubectl apply --server-side --field-manager=archctl`,
//! so the diff finds every object unchanged and does all of its work:
//! discovery, one LIST per kind across namespaces, and one server-side dry
//! run per object, at most `--concurrency` in flight. Each run is checked
//! before it counts: exit code 0 and every object unchanged; through the
//! proxy also one dry run per object, no more LISTs than kinds, and a GET
//! of a single object only where a controller wrote to it after the LIST
//! (it waits up to 90 s for a quiet cluster first). It prints the median, fastest and slowest wall time,
//! with no added latency and with ARCHCTL_DIFF_LATENCY_MS (default 5),
//! and one Markdown table row each for BENCHMARKS.md.
//!
//! `cargo test --all-targets` runs this binary without `--bench`: it then
//! diffs a small fleet once each way, to show that the benchmark works.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use archctl_testkit as fault_proxy;

/// The repository.
fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A tool of `.tools/bin` (scripts/test.sh installs them).
fn tool(name: &str) -> PathBuf {
    repo().join(".tools/bin").join(name)
}

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

/// A control plane of scripts/test-cluster.sh, stopped on drop.
struct ControlPlane {
    dir: PathBuf,
    kubeconfig: PathBuf,
}

impl ControlPlane {
    fn up() -> ControlPlane {
        let dir = std::env::temp_dir().join(format!("archctl-bench-{}", std::process::id()));
        let script = repo().join("scripts/test-cluster.sh");
        // the controllers that would turn 1,000 Deployments into ReplicaSets
        // and pending pods stay off: on 2 cores they would share the CPU
        // with the diff being measured (on a real cluster they run elsewhere)
        let controllers = std::env::var("ARCHCTL_DIFF_CONTROLLERS")
            .unwrap_or_else(|_| "serviceaccount,namespace,clusterrole-aggregation".into());
        let out = Command::new("bash")
            .arg(&script)
            .arg("up")
            .arg(&dir)
            .env("ARCHCTL_TEST_CLUSTER_CONTROLLERS", controllers)
            .output()
            .expect("run test-cluster.sh");
        assert!(out.status.success(), "test-cluster.sh up failed:\n{}", String::from_utf8_lossy(&out.stderr));
        let stdout = String::from_utf8_lossy(&out.stdout);
        let kubeconfig = PathBuf::from(stdout.lines().last().expect("the kubeconfig path").trim());
        ControlPlane { dir, kubeconfig }
    }

    /// `server`, `ca` and the admin token from the cluster's cluster.json.
    fn info(&self) -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(self.dir.join("cluster.json")).expect("cluster.json"))
            .expect("cluster.json is JSON")
    }
}

impl Drop for ControlPlane {
    fn drop(&mut self) {
        let script = repo().join("scripts/test-cluster.sh");
        let _ = Command::new("bash").arg(script).arg("down").arg(&self.dir).output();
    }
}

fn check(out: &Output, count: usize) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let differing: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("= same")).collect();
    assert_eq!(out.status.code(), Some(0), "diff failed: {differing:#?}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.ends_with(&format!("{count} unchanged, 0 errors\n")), "unexpected summary: {stdout}");
}

fn diff(archctl: &str, dir: &Path, kubeconfig: &Path, concurrency: Option<&String>) -> (Duration, Output) {
    let started = Instant::now();
    let out = Command::new(archctl)
        .arg("diff")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["--profile", "production", "--summary"])
        .args(concurrency.iter().flat_map(|c| ["--concurrency", c.as_str()]))
        .current_dir(dir)
        .output()
        .expect("archctl runs");
    (started.elapsed(), out)
}

fn report(label: &str, services: usize, count: usize, times: &mut [Duration]) {
    times.sort();
    let median = times[times.len() / 2];
    let (min, max) = (times[0], times[times.len() - 1]);
    eprintln!(
        "archctl diff, {label}: {count} objects: median {median:.2?} ({min:.2?} – {max:.2?}, {} runs)",
        times.len()
    );
    println!(
        "| {services} | {count} | `archctl diff` ({label}) | {:.2} s | {:.2} s – {:.2} s |",
        median.as_secs_f64(),
        min.as_secs_f64(),
        max.as_secs_f64()
    );
}

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let services = setting("ARCHCTL_DIFF_SERVICES", if benchmarking { 1_000 } else { 20 });
    let runs = setting("ARCHCTL_DIFF_RUNS", if benchmarking { 5 } else { 1 }).max(1);
    let latency = Duration::from_millis(setting("ARCHCTL_DIFF_LATENCY_MS", 5) as u64);
    // archctl's default unless set
    let concurrency = std::env::var("ARCHCTL_DIFF_CONCURRENCY").ok();
    let archctl = env!("CARGO_BIN_EXE_archctl");

    let dir = tempfile::tempdir().expect("a temporary folder");
    xtask::fleet::write(dir.path(), services).expect("the fleet is written");
    let render = Command::new(archctl)
        .args(["render", "--profile", "production"])
        .current_dir(dir.path())
        .output()
        .expect("archctl runs");
    assert!(render.status.success(), "render failed: {}", String::from_utf8_lossy(&render.stderr));
    let count = String::from_utf8_lossy(&render.stdout).matches("\nkind: ").count()
        + usize::from(render.stdout.starts_with(b"kind: "));

    let cp = ControlPlane::up();
    let mut apply = Command::new(tool("kubectl"))
        .arg("--kubeconfig")
        .arg(&cp.kubeconfig)
        .args(["apply", "--server-side", "--field-manager=archctl", "-f", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("kubectl runs (scripts/test.sh installs it)");
    std::io::Write::write_all(&mut apply.stdin.take().expect("stdin"), &render.stdout).expect("kubectl reads");
    assert!(apply.wait().expect("kubectl ends").success(), "kubectl apply failed");

    let info = cp.info();
    let proxy = fault_proxy::FaultProxy::start(
        info["server"].as_str().expect("server"),
        Path::new(info["ca"].as_str().expect("ca")),
    );
    let through =
        proxy.kubeconfig_through(&dir.path().join("through-proxy"), info["admin_token"].as_str().expect("token"));
    proxy.set_latency(latency);

    // the controllers write to what was just applied for a while (status,
    // the deployment revision annotation), and a dry run that sees a newer
    // version than the LIST reads that object again: measure a quiet cluster
    let single_gets = |p: &fault_proxy::FaultProxy| {
        p.requests()
            .iter()
            .filter(|r| r.method == "GET" && r.param("labelSelector").is_none() && r.path.matches('/').count() >= 6)
            .count()
    };
    let started = Instant::now();
    loop {
        proxy.clear_requests();
        let (_, out) = diff(archctl, dir.path(), &through, concurrency.as_ref());
        check(&out, count);
        if single_gets(&proxy) == 0 || started.elapsed() > Duration::from_secs(90) {
            break;
        }
        std::thread::sleep(Duration::from_secs(2));
    }

    // interleaved: direct, then through the proxy, run after run
    let (mut direct, mut delayed) = (Vec::new(), Vec::new());
    let mut rereads = Vec::new();
    for _ in 0..runs {
        let (t, out) = diff(archctl, dir.path(), &cp.kubeconfig, concurrency.as_ref());
        check(&out, count);
        direct.push(t);
        proxy.clear_requests();
        let (t, out) = diff(archctl, dir.path(), &through, concurrency.as_ref());
        check(&out, count);
        let requests = proxy.requests();
        let dry_runs =
            requests.iter().filter(|r| r.method == "PATCH" && r.param("dryRun").as_deref() == Some("All")).count();
        let lists = requests.iter().filter(|r| r.method == "GET" && r.param("labelSelector").is_some()).count();
        let gets = single_gets(&proxy);
        assert_eq!(dry_runs, count, "one dry run per object");
        assert!(lists <= archctl::api::KINDS.len(), "{lists} LISTs, more than one per kind");
        // a re-read only where a controller wrote to the object since the
        // LIST (1,000 Deployments keep the deployment controller busy for
        // minutes on 2 cores), at most once per object
        assert!(gets <= count, "{gets} single-object GETs for {count} objects");
        rereads.push(gets);
        assert!(requests.iter().all(|r| r.method == "GET" || r.param("dryRun").as_deref() == Some("All")), "read-only");
        delayed.push(t);
    }
    eprintln!("re-reads (GETs of objects a controller changed after the LIST), per run: {rereads:?}");
    report("no added latency", services, count, &mut direct);
    report(&format!("{} ms per request", latency.as_millis()), services, count, &mut delayed);
}
