//! The house's plan, held against the source: each pipeline stage is a
//! folder (or file) of `src/`, and no stage's shipped code imports a later
//! stage (test modules may: they cross-check a rule against what is built).

use std::path::{Path, PathBuf};

use crate::support::repo;

/// The stages, earliest first; a stage may import only those before it.
const STAGES: &[&str] = &[
    "topology",
    "k8s",
    "diagnostic",
    "load",
    "import",
    "validate",
    "resolve",
    "lint",
    "objects",
    "emit",
    "diff",
    "command",
];

fn sources(stage: &str) -> Vec<PathBuf> {
    let src = repo().join("src");
    let file = src.join(format!("{stage}.rs"));
    if file.is_file() {
        return vec![file];
    }
    let mut out = Vec::new();
    let mut dirs = vec![src.join(stage)];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out
}

/// The code before the file's test module.
fn shipped(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.split("#[cfg(test)]").next().unwrap_or_default().to_string()
}

#[test]
fn every_stage_is_a_folder_and_none_imports_a_later_one() {
    assert!(!repo().join("src/build").exists(), "src/build/ is now src/objects/");
    let mut wrong = Vec::new();
    for (i, stage) in STAGES.iter().enumerate() {
        let files = sources(stage);
        assert!(!files.is_empty(), "no sources for stage `{stage}`");
        for file in files {
            let code = shipped(&file);
            for later in &STAGES[i + 1..] {
                if code.contains(&format!("crate::{later}::")) || code.contains(&format!("crate::{later};")) {
                    wrong.push(format!("{} imports the later stage `{later}`", file.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Which renders a command runs is decided in settings.rs, as targets: no
/// command builds load options by hand.
#[test]
fn no_command_builds_load_options_by_hand() {
    for file in sources("command").into_iter().chain([repo().join("src/settings.rs")]) {
        assert!(!shipped(&file).contains("LoadOptions {"), "{} builds LoadOptions", file.display());
    }
}
