//! The bad-input corpus (every `tests/corpus/*.toml`, cases.toml first):
//! every case is rejected with exit code 2, its error code, its place and
//! its message — never a panic (exit code 101).

use serde::Deserialize;

use crate::support::{Project, repo};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    topology: String,
    #[serde(default)]
    profiles: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    args: Vec<String>,
    /// Other files of the project: path (relative) -> text.
    #[serde(default)]
    files: std::collections::BTreeMap<String, String>,
    code: String,
    at: String,
    message: String,
}

#[derive(Deserialize)]
struct Corpus {
    case: Vec<Case>,
}

#[test]
fn every_bad_input_is_a_located_error_and_never_a_panic() {
    let mut paths: Vec<std::path::PathBuf> = std::fs::read_dir(repo().join("tests/corpus"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort_by_key(|p| (p.file_name() != Some(std::ffi::OsStr::new("cases.toml")), p.clone()));
    let mut corpus = Corpus { case: Vec::new() };
    for path in &paths {
        let text = std::fs::read_to_string(path).unwrap();
        let part: Corpus = toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        corpus.case.extend(part.case);
    }
    assert!(corpus.case.len() >= 40, "the corpus holds at least 40 cases");
    let mut failures = Vec::new();
    for case in &corpus.case {
        let p = Project::new();
        match case.topology.as_str() {
            "generate:latin1" => {
                let mut bytes = b"[project]\nname = \"caf".to_vec();
                bytes.push(0xE9); // é in Latin-1, not UTF-8
                bytes.extend_from_slice(b"\"\n");
                std::fs::write(p.path().join("archctl.toml"), bytes).unwrap();
            }
            "generate:50mb" => {
                let mut text = String::from("[project]\nname = \"big\"\n");
                let line = format!("# {}\n", "x".repeat(1021));
                while text.len() < 50 << 20 {
                    text.push_str(&line);
                }
                std::fs::write(p.path().join("archctl.toml"), text).unwrap();
            }
            "generate:none" => {}
            t => std::fs::write(p.path().join("archctl.toml"), t).unwrap(),
        }
        for (name, body) in &case.files {
            let path = p.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, body).unwrap();
        }
        if !case.profiles.is_empty() {
            std::fs::create_dir_all(p.path().join("profiles")).unwrap();
            for (name, body) in &case.profiles {
                std::fs::write(p.path().join("profiles").join(format!("{name}.toml")), body).unwrap();
            }
        }
        let args: Vec<&str> =
            if case.args.is_empty() { vec!["render"] } else { case.args.iter().map(String::as_str).collect() };
        let run = p.run(&args);
        let mut problems = Vec::new();
        if run.code != 2 {
            problems.push(format!("exit code {} (want 2)", run.code));
        }
        if run.stderr.contains("panicked") {
            problems.push("panicked".into());
        }
        if !run.stdout.is_empty() {
            problems.push("wrote to stdout".into());
        }
        if !run.stderr.contains(&format!("error[{}]", case.code)) {
            problems.push(format!("no error[{}]", case.code));
        }
        if !run.stderr.contains(&case.message) {
            problems.push(format!("no message {:?}", case.message));
        }
        if case.at.is_empty() {
            if run.stderr.contains("-->") {
                problems.push("has a place, expected none".into());
            }
        } else if !run.stderr.contains(&format!("--> {}", case.at)) {
            problems.push(format!("not at {}", case.at));
        }
        if !run.stderr.contains("help:") {
            problems.push("no help".into());
        }
        if !problems.is_empty() {
            failures.push(format!("{}: {}\n{}", case.name, problems.join("; "), run.stderr));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n\n{}",
        failures.len(),
        corpus.case.len(),
        failures.join("\n\n")
    );
}
