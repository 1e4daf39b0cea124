//! `archctl diff` at fleet scale, timed as a whole process against the test
//! API server (the emulator of the integration tests) with a fixed latency
//! added to every request.
//!
//! ```text
//! cargo bench --bench diff                                  # 1,000 services (3,004 objects), 5 ms, 5 runs
//! ARCHCTL_DIFF_SERVICES=2000 ARCHCTL_DIFF_RUNS=9 cargo bench --bench diff
//! ARCHCTL_DIFF_LATENCY_MS=0 ARCHCTL_DIFF_CONCURRENCY=32 cargo bench --bench diff
//! ```
//!
//! The cluster holds exactly what `archctl render --profile production`
//! prints, applied by the field manager `archctl`, so the diff finds every
//! object unchanged and does all of its work: discovery, one LIST per kind
//! and namespace, and one server-side dry run per object, at most
//! `--concurrency` (16) in flight. Each run is checked before it counts: exit
//! code 0, every object unchanged, one dry run per object, no more LISTs than
//! kinds × namespaces, and no GET of a single object. It prints the median,
//! fastest and slowest wall time, and one Markdown table row for
//! BENCHMARKS.md.
//!
//! `cargo test --all-targets` runs this binary without `--bench`: it then
//! diffs a small fleet once, to show that the benchmark works.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

#[allow(dead_code)]
#[path = "../tests/integration/support/kube_emulator.rs"]
mod kube_emulator;

use kube_emulator::Emulator;

/// What the emulator's `kubectl` helper needs from the test support; the
/// benchmark never runs kubectl.
#[allow(dead_code)]
fn tool(name: &str) -> PathBuf {
    PathBuf::from(name)
}

#[allow(dead_code)]
struct Run;

impl From<Output> for Run {
    fn from(_: Output) -> Self {
        Run
    }
}

fn setting(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
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
    archctl::dev::write(dir.path(), services).expect("the fleet is written");
    let render = Command::new(archctl)
        .args(["render", "--profile", "production"])
        .current_dir(dir.path())
        .output()
        .expect("archctl runs");
    assert!(render.status.success(), "render failed: {}", String::from_utf8_lossy(&render.stderr));
    let yaml = String::from_utf8(render.stdout).expect("UTF-8 YAML");
    let objects = archctl::emit::yaml::parse_stream(&yaml).expect("the render parses");
    let namespaces: std::collections::BTreeSet<String> =
        objects.iter().filter_map(|o| o["metadata"]["namespace"].as_str().map(str::to_string)).collect();
    let count = objects.len();

    let emu = Emulator::start();
    for doc in objects {
        emu.seed_as("archctl", doc);
    }
    let kubeconfig = emu.kubeconfig(dir.path());
    emu.set_latency(latency);

    let max_lists = archctl::build::object::KINDS.len() * namespaces.len();
    let mut times = Vec::new();
    let (mut lists, mut dry_runs) = (0, 0);
    for _ in 0..runs {
        emu.clear_requests();
        let started = Instant::now();
        let out = Command::new(archctl)
            .arg("diff")
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(["--profile", "production", "--summary"])
            .args(concurrency.iter().flat_map(|c| ["--concurrency", c.as_str()]))
            .current_dir(dir.path())
            .output()
            .expect("archctl runs");
        let elapsed = started.elapsed();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "diff failed: {}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.ends_with(&format!("{count} unchanged, 0 errors\n")), "unexpected summary: {stdout}");
        let requests = emu.requests();
        dry_runs = requests.iter().filter(|r| r.method == "PATCH" && r.is_dry_run()).count();
        lists = requests.iter().filter(|r| r.method == "GET" && r.param("labelSelector").is_some()).count();
        let gets = requests
            .iter()
            .filter(|r| r.method == "GET" && r.param("labelSelector").is_none() && r.path.matches('/').count() >= 6)
            .count();
        assert_eq!(dry_runs, count, "one dry run per object");
        assert!(lists <= max_lists, "{lists} LISTs, more than {max_lists} (kinds × namespaces)");
        assert_eq!(gets, 0, "no object is read on its own");
        assert!(requests.iter().all(|r| r.method == "GET" || r.is_dry_run()), "read-only");
        times.push(elapsed);
    }
    times.sort();
    let median = times[times.len() / 2];
    let (min, max) = (times[0], times[times.len() - 1]);
    eprintln!(
        "archctl diff: {count} objects in {} namespaces, {} ms latency per request: median {median:.2?} \
         ({min:.2?} – {max:.2?}, {runs} runs); {lists} LISTs, {dry_runs} dry runs, 0 single-object GETs",
        namespaces.len(),
        latency.as_millis()
    );
    println!(
        "| {services} | {count} | `archctl diff` ({} ms latency) | {:.2} s | {:.2} s – {:.2} s | {lists} LISTs, {dry_runs} dry runs |",
        latency.as_millis(),
        median.as_secs_f64(),
        min.as_secs_f64(),
        max.as_secs_f64()
    );
}
