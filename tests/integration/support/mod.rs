//! A small builder around the real executable, in the style of `just`'s
//! test suite: write a project into a temp dir, run a command, inspect.

#![allow(dead_code)]

pub(crate) mod cluster;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// The repository root (the default Archivist project).
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary archctl project.
pub(crate) struct Project {
    pub dir: TempDir,
}

impl Project {
    /// An empty project.
    pub(crate) fn new() -> Self {
        Project { dir: tempfile::tempdir().expect("temp dir") }
    }

    /// A project with `archctl.toml` holding `topology`.
    pub(crate) fn with(topology: &str) -> Self {
        Project::new().file("archctl.toml", topology)
    }

    /// A synthetic fleet of `services` services (`xtask::fleet`): the
    /// topology and its dev, staging and production profiles.
    pub(crate) fn fleet(services: usize) -> Self {
        let p = Project::new();
        xtask::fleet::write(p.path(), services).expect("the fleet is written");
        p
    }

    /// A copy of the repository's own project (topology and profiles).
    pub(crate) fn archivist() -> Self {
        let p = Project::new();
        std::fs::create_dir_all(p.path().join("profiles")).unwrap();
        std::fs::copy(repo().join("archctl.toml"), p.path().join("archctl.toml")).unwrap();
        for e in std::fs::read_dir(repo().join("profiles")).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), p.path().join("profiles").join(e.file_name())).unwrap();
        }
        p
    }

    /// A copy of another project's topology and profiles.
    pub(crate) fn copy_of(dir: &Path) -> Self {
        let p = Project::new();
        std::fs::create_dir_all(p.path().join("profiles")).unwrap();
        std::fs::copy(dir.join("archctl.toml"), p.path().join("archctl.toml")).unwrap();
        if let Ok(entries) = std::fs::read_dir(dir.join("profiles")) {
            for e in entries {
                let e = e.unwrap();
                std::fs::copy(e.path(), p.path().join("profiles").join(e.file_name())).unwrap();
            }
        }
        p
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating folders).
    pub(crate) fn file(self, name: &str, content: &str) -> Self {
        let path = self.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, content).unwrap();
        self
    }

    pub(crate) fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).unwrap()
    }

    /// Runs archctl in the project folder with a deadline of 60 s: a run
    /// that hangs (reading a FIFO) fails the test instead of stalling the
    /// suite.
    pub(crate) fn run_within(&self, args: &[&str]) -> Run {
        use std::process::Stdio;
        let mut child = Command::new(env!("CARGO_BIN_EXE_archctl"))
            .args(args)
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run archctl");
        let start = std::time::Instant::now();
        while child.try_wait().unwrap().is_none() {
            if start.elapsed() > std::time::Duration::from_secs(60) {
                let _ = child.kill();
                let _ = child.wait();
                panic!("`archctl {}` hung", args.join(" "));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        child.wait_with_output().unwrap().into()
    }

    /// Runs archctl in the project folder.
    pub(crate) fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_archctl"))
            .args(args)
            .current_dir(self.path())
            .env("NO_COLOR", "1")
            .env_remove("CLICOLOR_FORCE")
            .output()
            .expect("run archctl");
        Run::from(output)
    }
}

/// The outcome of one run.
#[derive(Debug)]
pub(crate) struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    #[track_caller]
    pub(crate) fn success(self) -> Self {
        assert_eq!(self.code, 0, "expected success, stderr:\n{}", self.stderr);
        self
    }

    /// Asserts a user error: exit code 2, no manifests on stdout.
    #[track_caller]
    pub(crate) fn user_error(self) -> Self {
        assert_eq!(self.code, 2, "expected exit 2, stderr:\n{}\nstdout:\n{}", self.stderr, self.stdout);
        assert!(self.stdout.is_empty(), "stdout must stay empty on error:\n{}", self.stdout);
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self
    }

    /// Asserts stderr contains `needle`.
    #[track_caller]
    pub(crate) fn stderr_has(self, needle: &str) -> Self {
        assert!(self.stderr.contains(needle), "stderr lacks {needle:?}:\n{}", self.stderr);
        self
    }

    /// The parsed YAML documents of stdout.
    pub(crate) fn docs(&self) -> Vec<serde_json::Value> {
        archctl::api::parse_stream(&self.stdout).expect("stdout is a YAML stream")
    }
}

/// The finding with `code` that `check --format json` reports for `p`,
/// which must fail with errors (exit 2).
pub(crate) fn check_error(p: &Project, code: &str) -> serde_json::Value {
    let run = p.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 2, "{code}: {}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == code)
        .cloned()
        .unwrap_or_else(|| panic!("no {code} in {report:#}"))
}

/// Finds a document by kind, namespace and name.
pub(crate) fn find<'a>(
    docs: &'a [serde_json::Value],
    kind: &str,
    ns: Option<&str>,
    name: &str,
) -> &'a serde_json::Value {
    docs.iter()
        .find(|d| d["kind"] == kind && d["metadata"]["name"] == name && d["metadata"]["namespace"].as_str() == ns)
        .unwrap_or_else(|| panic!("no {kind} {ns:?}/{name} among {} documents", docs.len()))
}

/// A path to an external test tool, failing loudly when it is missing:
/// `./scripts/test.sh` installs them into `.tools/bin`.
pub(crate) fn tool(name: &str) -> PathBuf {
    let candidates = std::env::var_os("ARCHCTL_TOOLS_DIR")
        .map(PathBuf::from)
        .into_iter()
        .chain([repo().join(".tools/bin")])
        .chain(std::env::var_os("PATH").into_iter().flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>()));
    for dir in candidates {
        let p = dir.join(name);
        if p.is_file() {
            return p;
        }
    }
    panic!(
        "`{name}` is not installed: run the tests through ./scripts/test.sh, which installs it into .tools/bin{}",
        if std::env::var("CI").is_ok_and(|v| v == "true") { " (CI=true: external tools are required)" } else { "" }
    );
}
