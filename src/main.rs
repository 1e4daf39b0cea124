//! The `archctl` binary: parse arguments, run, exit.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = archctl::cli::Cli::parse();
    archctl::run(cli).into()
}
