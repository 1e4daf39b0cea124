//! Build script: the version `archctl --version` prints, with the git
//! commit the binary was built from when it is built from a git checkout
//! (`0.1.0 (1a2b3c4d5e6f)`), else the crate's version alone (a build from
//! a published crate or a source archive).

use std::process::Command;

fn main() {
    let version = env!("CARGO_PKG_VERSION");
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    // only this repository's own checkout: not a repository the sources
    // happen to sit in (vendored, unpacked into another project)
    let manifest_dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let own = git(&["rev-parse", "--show-toplevel"])
        .and_then(|top| std::fs::canonicalize(top).ok())
        .is_some_and(|top| std::fs::canonicalize(&manifest_dir).is_ok_and(|m| m == top));
    let commit = if own { git(&["rev-parse", "--short=12", "HEAD"]) } else { None };
    let full = match commit {
        Some(commit) => format!("{version} ({commit})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=ARCHCTL_VERSION={full}");
    // built again when the checkout moves to another commit
    if let Some(dir) = git(&["rev-parse", "--absolute-git-dir"]).filter(|_| own) {
        println!("cargo:rerun-if-changed={dir}/HEAD");
        if let Some(head) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={dir}/{head}");
        }
        println!("cargo:rerun-if-changed={dir}/packed-refs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
