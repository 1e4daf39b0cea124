//! Criterion benchmarks of every pipeline stage on generated fleets of N
//! services (`cargo xtask fleet`): load, validate (rules and lints),
//! resolve, build, emit YAML and emit a Helm chart, plus the whole render.
//!
//! ```text
//! cargo bench --bench pipeline                  # N = 100, 1,000 and 10,000
//! ARCHCTL_BENCH_SIZES=1000 cargo bench --bench pipeline -- load
//! ```
//!
//! Each benchmark reports its throughput in objects rendered per second, so
//! the figures of different N compare directly: equal throughput is linear
//! scaling. `cargo test --all-targets` runs this binary without `--bench`,
//! which makes criterion run every benchmark once as a test; it then uses
//! only N = 100, to stay fast.

use std::hint::black_box;
use std::path::Path;
use std::time::Duration;

use archctl::api::{self, LoadOptions, Loaded, Object, Resolved};
use criterion::{BatchSize, BenchmarkGroup, BenchmarkId, Criterion, Throughput, measurement::WallTime};

// the allocator of the archctl binary, so that the stages cost here what
// they cost in a render
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The profiles of a generated fleet, as `render --format helm` orders them.
const PROFILES: [Option<&str>; 4] = [None, Some("dev"), Some("production"), Some("staging")];

fn options(dir: &Path, profile: Option<&str>) -> LoadOptions {
    LoadOptions { topology: dir.join("archctl.toml"), profile: profile.map(str::to_string), phase: None }
}

fn loaded(opts: &LoadOptions) -> Loaded {
    match api::load(opts) {
        Ok(l) => l,
        Err(r) => panic!("the generated fleet does not load: {:?}", r.diagnostics),
    }
}

fn resolved(opts: &LoadOptions) -> Resolved {
    api::resolve(loaded(opts)).expect("the generated fleet resolves")
}

fn group<'a>(c: &'a mut Criterion, stage: &str, n: usize, objects: usize) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(stage);
    g.throughput(Throughput::Elements(objects as u64));
    if n >= 10_000 {
        g.sample_size(10).measurement_time(Duration::from_secs(20));
    } else if n >= 1_000 {
        g.sample_size(20).measurement_time(Duration::from_secs(10));
    }
    g
}

fn fleet(c: &mut Criterion, n: usize) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    xtask::fleet::write(dir.path(), n).expect("the fleet is written");
    let production = options(dir.path(), Some("production"));
    let loaded_production = loaded(&production);
    let resolved_production = resolved(&production);
    let objects: Vec<Object> = api::build(&resolved_production);
    let count = objects.len();
    let id = BenchmarkId::from_parameter(n);

    let mut g = group(c, "load", n, count);
    g.bench_function(id.clone(), |b| b.iter(|| loaded(black_box(&production))));
    g.finish();

    let mut g = group(c, "validate", n, count);
    g.bench_function(id.clone(), |b| {
        b.iter(|| {
            let mut found = api::validate(black_box(&loaded_production.topology));
            found.extend(api::lints(black_box(&resolved_production)));
            found
        })
    });
    g.finish();

    let mut g = group(c, "resolve", n, count);
    g.bench_function(id.clone(), |b| b.iter_batched(|| loaded_production.clone(), api::resolve, BatchSize::LargeInput));
    g.finish();

    let mut g = group(c, "build", n, count);
    g.bench_function(id.clone(), |b| b.iter(|| api::build(black_box(&resolved_production))));
    g.finish();

    let mut g = group(c, "emit_yaml", n, count);
    g.bench_function(id.clone(), |b| {
        b.iter(|| api::write_stream(black_box(&objects), std::io::sink()).expect("YAML is written"))
    });
    g.finish();

    let renders: Vec<(Option<&str>, Resolved, Vec<Object>)> = PROFILES
        .iter()
        .map(|p| {
            let r = resolved(&options(dir.path(), *p));
            let objects = api::build(&r);
            (*p, r, objects)
        })
        .collect();
    let variants: Vec<api::Variant<'_>> = renders
        .iter()
        .map(|(p, r, objects)| api::Variant { profile: p.map(str::to_string), objects, resolved: r })
        .collect();
    let skeleton = api::Skeleton::new(&dir.path().join("templates"));
    let mut g = group(c, "emit_helm", n, count);
    g.bench_function(id.clone(), |b| b.iter(|| api::chart(black_box(&variants), 0, &skeleton).expect("a chart")));
    g.finish();

    // what `archctl render --profile production` does
    let mut g = group(c, "render", n, count);
    let target = api::Target::new(Some("production".into()), None);
    g.bench_function(id, |b| {
        b.iter(|| {
            let r = api::check(black_box(&production.topology), &target).expect("the fleet renders");
            api::write_built(&r.resolved, std::io::sink()).expect("YAML is written")
        })
    });
    g.finish();
}

fn main() {
    let benchmarking = std::env::args().any(|a| a == "--bench");
    let sizes: Vec<usize> = match std::env::var("ARCHCTL_BENCH_SIZES") {
        Ok(list) => list.split(',').filter_map(|s| s.trim().replace('_', "").parse().ok()).collect(),
        // test mode runs each benchmark once: the small fleet shows it works
        Err(_) if !benchmarking => vec![100],
        Err(_) => vec![100, 1_000, 10_000],
    };
    let mut c = Criterion::default().configure_from_args();
    for n in sizes {
        fleet(&mut c, n);
    }
    c.final_summary();
}
