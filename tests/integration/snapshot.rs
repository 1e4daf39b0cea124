//! `archctl snapshot` and the repository's own golden renders.

use crate::support::{Project, repo};

/// The repository's snapshots in `snapshots/` match the current render of
/// every profile, byte for byte.
#[test]
fn repository_snapshots_are_up_to_date() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_archctl"))
        .args(["snapshot", "--check"])
        .current_dir(repo())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "snapshots differ from the render; review the diff and run `cargo run -- snapshot --update`\n{stdout}\n{stderr}"
    );
    for profile in ["dev", "staging", "production"] {
        let stored = std::fs::read_to_string(repo().join(format!("snapshots/{profile}.yaml"))).unwrap();
        let fresh = Project::archivist().run(&["render", "--profile", profile]).success().stdout;
        assert_eq!(stored, fresh, "snapshots/{profile}.yaml");
    }
}

/// Every example's snapshots match its current renders.
#[test]
fn example_snapshots_are_up_to_date() {
    for example in ["percolate-reading", "semantic-explorer"] {
        let topo = repo().join("examples").join(example).join("archctl.toml");
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_archctl"))
            .arg("-f")
            .arg(&topo)
            .args(["snapshot", "--check"])
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{example}: snapshots differ\n{stdout}\n{stderr}");
        assert!(stderr.contains("3 snapshots up to date"), "{example}: {stderr}");
    }
}

#[test]
fn check_update_cycle() {
    let p = Project::archivist();
    // no snapshots yet: every profile is missing
    let run = p.run(&["snapshot", "--check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("snapshots/dev.yaml is missing"), "{}", run.stderr);

    p.run(&["snapshot", "--update"]).success();
    for profile in ["dev", "staging", "production"] {
        assert!(p.path().join(format!("snapshots/{profile}.yaml")).exists());
    }
    let run = p.run(&["snapshot", "--check"]).success();
    assert!(run.stderr.contains("3 snapshots up to date"), "{}", run.stderr);
    assert!(run.stdout.is_empty());

    // a change in the topology shows as a unified diff on stdout and exit 1
    let topo = p.read("archctl.toml").replace(
        "replicas = { pilot = 1, phase1 = 2, phase3 = 3 }",
        "replicas = { pilot = 1, phase1 = 2, phase2 = 4 }",
    );
    std::fs::write(p.path().join("archctl.toml"), topo).unwrap();
    let run = p.run(&["snapshot"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("-  replicas: 2\n+  replicas: 4\n"), "{}", run.stdout);
    assert!(run.stdout.contains("snapshots/production.yaml (snapshot)"), "{}", run.stdout);
    assert!(!run.stdout.contains("dev.yaml"), "dev (pilot) is unchanged:\n{}", run.stdout);
    assert!(run.stderr.contains("1 of 3 snapshots differ"), "{}", run.stderr);

    // a snapshot for a removed profile is stale
    std::fs::remove_file(p.path().join("profiles/staging.toml")).unwrap();
    p.run(&["snapshot", "--update"]).success();
    assert!(!p.path().join("snapshots/staging.yaml").exists());
    p.run(&["snapshot", "--check"]).success();
    std::fs::write(p.path().join("snapshots/old.yaml"), "").unwrap();
    let run = p.run(&["snapshot", "--check"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("belongs to no profile"), "{}", run.stderr);
}

#[test]
fn broken_topology_makes_snapshot_exit_2() {
    let p = Project::archivist();
    std::fs::write(p.path().join("archctl.toml"), "[project\n").unwrap();
    let run = p.run(&["snapshot", "--check"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}
