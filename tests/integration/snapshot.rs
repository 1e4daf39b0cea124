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

/// The repository's snapshot folders carry the marker that lists their
/// snapshots (and nothing else), so `--update` owns exactly those.
#[test]
fn repository_snapshot_folders_list_their_snapshots() {
    for dir in ["snapshots", "examples/percolate-reading/snapshots", "examples/semantic-explorer/snapshots"] {
        let marker = std::fs::read_to_string(repo().join(dir).join(SNAPSHOT_MARKER))
            .unwrap_or_else(|e| panic!("{dir}/{SNAPSHOT_MARKER}: {e} (run `archctl snapshot --update`)"));
        assert_eq!(marker, "dev.yaml\nproduction.yaml\nstaging.yaml\n", "{dir}/{SNAPSHOT_MARKER}");
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

/// The file in a snapshot folder that lists the snapshots archctl wrote.
const SNAPSHOT_MARKER: &str = ".archctl-snapshots";

/// A `*.yaml` in the snapshot folder that archctl did not write survives
/// `--update`, which refuses (exit 2) naming it and changes nothing.
#[test]
fn update_never_removes_a_file_it_did_not_write() {
    let p = Project::archivist();
    p.run(&["snapshot", "--update"]).success();
    let marker = p.read(&format!("snapshots/{SNAPSHOT_MARKER}"));
    assert_eq!(marker, "dev.yaml\nproduction.yaml\nstaging.yaml\n");
    std::fs::write(p.path().join("snapshots/notes.yaml"), "mine\n").unwrap();
    let before = p.read("snapshots/dev.yaml");
    std::fs::write(p.path().join("snapshots/dev.yaml"), "outdated\n").unwrap();

    let run = p.run(&["snapshot", "--update"]).user_error().stderr_has("notes.yaml");
    assert!(run.stderr.contains("did not write"), "{}", run.stderr);
    assert_eq!(p.read("snapshots/notes.yaml"), "mine\n");
    assert_eq!(p.read("snapshots/dev.yaml"), "outdated\n", "a refused update writes nothing");

    // --check names it too, as a file archctl leaves alone
    let run = p.run(&["snapshot", "--check"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("notes.yaml belongs to no profile"), "{}", run.stderr);

    std::fs::rename(p.path().join("snapshots/notes.yaml"), p.path().join("notes.yaml")).unwrap();
    p.run(&["snapshot", "--update"]).success();
    assert_eq!(p.read("snapshots/dev.yaml"), before);
    assert_eq!(p.read("notes.yaml"), "mine\n");
}

/// A snapshot folder without a marker (snapshots committed before there
/// was one) is adopted when its files are exactly snapshot names; a file
/// that is no snapshot name is never removed.
#[test]
fn a_snapshot_folder_without_a_marker_is_adopted_only_when_it_holds_only_snapshots() {
    let p = Project::archivist();
    p.run(&["snapshot", "--update"]).success();
    let marker = p.path().join("snapshots").join(SNAPSHOT_MARKER);
    std::fs::remove_file(&marker).unwrap();
    // the other golden files of a project (folders, other extensions) do not matter
    std::fs::create_dir_all(p.path().join("snapshots/chart")).unwrap();
    std::fs::write(p.path().join("snapshots/chart/Chart.yaml"), "name: x\n").unwrap();
    std::fs::write(p.path().join("snapshots/graph.dot"), "digraph {}\n").unwrap();
    p.run(&["snapshot", "--check"]).success();
    assert!(!marker.exists(), "--check writes nothing");
    let run = p.run(&["snapshot", "--update"]).success();
    assert!(run.stderr.contains("unchanged snapshots/dev.yaml"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "dev.yaml\nproduction.yaml\nstaging.yaml\n");
    assert!(p.path().join("snapshots/chart/Chart.yaml").exists());
    assert!(p.path().join("snapshots/graph.dot").exists());

    // no marker and a file of no current profile: refused, nothing removed
    std::fs::remove_file(&marker).unwrap();
    std::fs::remove_file(p.path().join("profiles/staging.toml")).unwrap();
    let run = p.run(&["snapshot", "--update"]).user_error().stderr_has("staging.yaml");
    assert!(run.stderr.contains(SNAPSHOT_MARKER), "{}", run.stderr);
    assert!(p.path().join("snapshots/staging.yaml").exists());
    assert!(!marker.exists());

    // listed by the marker, a snapshot of a removed profile is removed
    std::fs::write(&marker, "dev.yaml\nproduction.yaml\nstaging.yaml\n").unwrap();
    let run = p.run(&["snapshot", "--update"]).success();
    assert!(run.stderr.contains("removed stale snapshots/staging.yaml"), "{}", run.stderr);
    assert!(!p.path().join("snapshots/staging.yaml").exists());
    assert_eq!(std::fs::read_to_string(&marker).unwrap(), "dev.yaml\nproduction.yaml\n");
}

/// A snapshot folder that is a symlink out of the project is refused:
/// nothing there is read, written or removed.
#[test]
fn a_symlinked_snapshot_folder_outside_the_project_is_refused() {
    let p = Project::archivist();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("keep.yaml"), "precious\n").unwrap();
    std::fs::write(outside.path().join(SNAPSHOT_MARKER), "keep.yaml\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), p.path().join("snapshots")).unwrap();
    for mode in ["--update", "--check"] {
        let run = p.run(&["snapshot", mode]).user_error().stderr_has("outside the project");
        assert!(run.stderr.contains("symlink"), "{}", run.stderr);
    }
    assert_eq!(std::fs::read_to_string(outside.path().join("keep.yaml")).unwrap(), "precious\n");
    let names: Vec<_> = std::fs::read_dir(outside.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names.len(), 2, "{names:?}");

    // a folder inside the project reached through a symlink is fine
    std::fs::remove_file(p.path().join("snapshots")).unwrap();
    std::fs::create_dir(p.path().join("golden")).unwrap();
    std::os::unix::fs::symlink("golden", p.path().join("snapshots")).unwrap();
    p.run(&["snapshot", "--update"]).success();
    assert!(p.path().join("golden/dev.yaml").exists());
}

/// A snapshot file that is a symlink is never read: `--check` would print
/// what it points at.
#[test]
fn a_symlinked_snapshot_file_is_refused() {
    let p = Project::archivist();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "token: s3cr3t\n").unwrap();
    std::fs::create_dir(p.path().join("snapshots")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret"), p.path().join("snapshots/dev.yaml")).unwrap();
    let run = p.run(&["snapshot", "--check"]).user_error().stderr_has("snapshots/dev.yaml");
    assert!(run.stderr.contains("a symbolic link"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cr3t"), "{}", run.stderr);
    p.run(&["snapshot", "--update"]).user_error().stderr_has("a symbolic link");
    assert_eq!(std::fs::read_to_string(outside.path().join("secret")).unwrap(), "token: s3cr3t\n");
}

/// `--dir` may not be the project folder, nor hold the topology.
#[test]
fn a_snapshot_folder_that_holds_the_project_is_refused() {
    let p = Project::archivist().file("docker-compose.yaml", "services: {}\n");
    let project = p.path().to_str().unwrap().to_string();
    let parent = p.path().parent().unwrap().to_str().unwrap().to_string();
    for dir in [".", project.as_str(), parent.as_str(), "profiles", "snapshots/.."] {
        let run = p.run(&["snapshot", "--update", "--dir", dir]).user_error();
        assert!(run.stderr.contains("refusing"), "--dir {dir}: {}", run.stderr);
    }
    assert_eq!(p.read("docker-compose.yaml"), "services: {}\n");
    assert!(!p.path().join("dev.yaml").exists());
    assert!(!p.path().join("profiles/dev.yaml").exists());
}

/// A `--dir` outside the project follows the same rule: only what archctl
/// wrote there is ever removed.
#[test]
fn a_snapshot_folder_outside_the_project_keeps_what_archctl_did_not_write() {
    let p = Project::archivist();
    let outside = tempfile::tempdir().unwrap();
    let dir = outside.path().join("golden");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("other.yaml"), "theirs\n").unwrap();
    let d = dir.to_str().unwrap();
    p.run(&["snapshot", "--update", "--dir", d]).user_error().stderr_has("other.yaml");
    assert_eq!(std::fs::read_to_string(dir.join("other.yaml")).unwrap(), "theirs\n");
    assert!(!dir.join("dev.yaml").exists());

    std::fs::remove_file(dir.join("other.yaml")).unwrap();
    p.run(&["snapshot", "--update", "--dir", d]).success();
    std::fs::remove_file(p.path().join("profiles/dev.toml")).unwrap();
    p.run(&["snapshot", "--update", "--dir", d]).success();
    assert!(!dir.join("dev.yaml").exists(), "its own stale snapshot is removed");
    assert!(dir.join("staging.yaml").exists());
    p.run(&["snapshot", "--check", "--dir", d]).success();
}

/// The marker is a regular file of bounded size, or the folder is refused.
#[test]
fn a_snapshot_marker_that_is_not_a_regular_file_is_refused() {
    let p = Project::archivist();
    p.run(&["snapshot", "--update"]).success();
    let marker = p.path().join("snapshots").join(SNAPSHOT_MARKER);
    std::fs::remove_file(&marker).unwrap();
    let status = std::process::Command::new("mkfifo").arg(&marker).status().unwrap();
    assert!(status.success());
    let run = p.run_within(&["snapshot", "--update"]).user_error();
    assert!(run.stderr.contains("FIFO"), "{}", run.stderr);
    std::fs::remove_file(&marker).unwrap();
    std::fs::write(&marker, "x.yaml\n".repeat(1 << 20)).unwrap();
    let run = p.run_within(&["snapshot", "--update"]).user_error();
    assert!(run.stderr.contains("larger than"), "{}", run.stderr);
}
