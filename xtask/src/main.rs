//! `cargo xtask`: archctl's development tasks.
//!
//! ```text
//! cargo xtask fleet --services N [--out DIR]
//! ```
//! writes a fleet of N services (`archctl.toml` and three profiles) into DIR,
//! or prints its topology to stdout without `--out`.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask fleet --services N [--out DIR]";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: Vec<String>) -> anyhow::Result<()> {
    let mut args = args.into_iter();
    match args.next().as_deref() {
        Some("fleet") => {}
        Some(other) => anyhow::bail!("unknown task `{other}`\n{USAGE}"),
        None => anyhow::bail!("{USAGE}"),
    }
    let (mut services, mut out) = (100usize, None::<PathBuf>);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| anyhow::anyhow!("`{flag}` needs a value\n{USAGE}"));
        match flag.as_str() {
            "--services" => {
                let v = value()?;
                services = v.replace('_', "").parse().map_err(|_| anyhow::anyhow!("`--services {v}`: not a number"))?;
            }
            "--out" => out = Some(PathBuf::from(value()?)),
            _ => anyhow::bail!("unknown flag `{flag}`\n{USAGE}"),
        }
    }
    match out {
        Some(dir) => {
            xtask::fleet::write(&dir, services)?;
            eprintln!("wrote a topology of {services} services to {}", dir.display());
        }
        None => print!("{}", xtask::fleet::generate(services).swap_remove(0).1),
    }
    Ok(())
}
