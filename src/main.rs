//! The `archctl` binary: parse arguments, run, exit.

/// mimalloc instead of the system allocator: a render makes millions of
/// small allocations (strings, maps, typed objects) and frees most of them
/// soon after, where glibc's allocator spends a third of the run. See
/// BENCHMARKS.md.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = archctl::api::Cli::from_env();
    archctl::api::run(cli).into()
}
