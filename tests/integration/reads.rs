//! What archctl reads: every file a project names stays inside the
//! topology's folder unless `--allow-read` admits another folder, only
//! regular files are read, and every read is bounded while reading. The
//! cases the corpus cannot express (symbolic links, FIFOs, large files,
//! stdin) are here; tests/corpus/reads.toml has the rest.

use std::io::Write as _;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Project, Run, find};

/// A value that must never reach stdout or stderr.
const SECRET: &str = "s3cr3t-token-0f-the-ci-runner";

fn topology(path: &str) -> String {
    format!("[project]\nname = \"shop\"\n[config_maps.app]\nfiles = {{ \"app.conf\" = {{ path = {path:?} }} }}\n")
}

/// A folder outside the project holding `secret.txt`.
fn outside() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.txt"), format!("TOKEN={SECRET}\n")).unwrap();
    dir
}

/// Runs archctl in `dir`, killed (and the test failed) after 20 seconds:
/// a read that blocks must not hang the suite.
fn run_bounded(dir: &Path, args: &[&str], stdin: Option<Vec<u8>>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_archctl"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("ARCHCTL_TEST_SECRET", SECRET)
        .env_remove("CLICOLOR_FORCE")
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let feeder = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().unwrap();
        // archctl may stop reading at its bound: a broken pipe is expected
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        })
    });
    // drained while waiting, or a large render would fill the pipe
    let drain = |mut r: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            r.read_to_end(&mut buf).unwrap();
            String::from_utf8_lossy(&buf).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(20) {
            child.kill().unwrap();
            let _ = child.wait();
            panic!("archctl {args:?} still runs after 20 seconds: it blocks on a read");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if let Some(f) = feeder {
        f.join().unwrap();
    }
    Run { code: status.code().unwrap_or(-1), stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

#[track_caller]
fn no_secret(run: &Run) {
    assert!(!run.stdout.contains(SECRET) && !run.stderr.contains(SECRET), "the secret leaked:\n{run:?}");
}

#[test]
fn the_environment_of_archctl_is_not_rendered() {
    let p = Project::with(&topology("/proc/self/environ"));
    let run = run_bounded(p.path(), &["render"], None);
    no_secret(&run);
    run.user_error()
        .stderr_has("error[E017]: config map file `/proc/self/environ` is outside the topology's folder")
        .stderr_has("--> archctl.toml:4:33")
        .stderr_has("--allow-read DIR");
}

#[test]
fn a_symbolic_link_out_of_the_project_is_refused() {
    let out = outside();
    let p = Project::with(&topology("conf/app.conf"));
    std::fs::create_dir(p.path().join("conf")).unwrap();
    symlink(out.path().join("secret.txt"), p.path().join("conf/app.conf")).unwrap();
    let run = run_bounded(p.path(), &["render"], None);
    no_secret(&run);
    let real = out.path().canonicalize().unwrap().join("secret.txt");
    run.user_error()
        .stderr_has(&format!(
            "error[E017]: config map file `conf/app.conf` leads to `{}`, outside the topology's folder",
            real.display()
        ))
        .stderr_has("--> archctl.toml:4:33")
        .stderr_has("move the file into the project");

    // a linked folder is no way out either
    let p = Project::with(&topology("conf/secret.txt"));
    symlink(out.path(), p.path().join("conf")).unwrap();
    let run = run_bounded(p.path(), &["render"], None);
    no_secret(&run);
    run.user_error().stderr_has("error[E017]: config map file `conf/secret.txt` leads to");
}

#[test]
fn a_symbolic_link_within_the_project_is_read() {
    let p = Project::with(&topology("conf/app.conf")).file("shared/app.conf", "level = 1\n");
    std::fs::create_dir(p.path().join("conf")).unwrap();
    symlink("../shared/app.conf", p.path().join("conf/app.conf")).unwrap();
    let run = run_bounded(p.path(), &["render"], None).success();
    let docs = run.docs();
    assert_eq!(find(&docs, "ConfigMap", Some("shop"), "app")["data"]["app.conf"], "level = 1\n");
}

#[test]
fn allow_read_admits_a_folder_outside_the_project() {
    let out = outside();
    let file = out.path().join("secret.txt");
    let p = Project::with(&topology(file.to_str().unwrap()));
    let dir = out.path().to_str().unwrap();
    // refused without the flag, read with it (before or after the command)
    run_bounded(p.path(), &["render"], None).user_error().stderr_has("error[E017]");
    for args in [["--allow-read", dir, "render"], ["render", "--allow-read", dir]] {
        let run = run_bounded(p.path(), &args, None).success();
        let docs = run.docs();
        assert_eq!(find(&docs, "ConfigMap", Some("shop"), "app")["data"]["app.conf"], format!("TOKEN={SECRET}\n"));
    }
    // and admits links that lead there
    let p = Project::with(&topology("conf/app.conf"));
    std::fs::create_dir(p.path().join("conf")).unwrap();
    symlink(&file, p.path().join("conf/app.conf")).unwrap();
    run_bounded(p.path(), &["--allow-read", dir, "render"], None).success();
    // a folder that does not exist is a usage error
    let run = run_bounded(p.path(), &["--allow-read", "/no/such/folder", "render"], None);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--allow-read"), "{}", run.stderr);
}

#[test]
fn a_fifo_is_refused_without_blocking() {
    let p = Project::with(&topology("conf/app.conf"));
    std::fs::create_dir(p.path().join("conf")).unwrap();
    let made = Command::new("mkfifo").arg(p.path().join("conf/app.conf")).status().unwrap();
    assert!(made.success());
    run_bounded(p.path(), &["render"], None)
        .user_error()
        .stderr_has("error[E016]: cannot read `conf/app.conf`: it is a FIFO, not a regular file")
        .stderr_has("--> archctl.toml:4:33");
    // nor through a link
    let p = Project::with(&topology("conf/link.conf"));
    std::fs::create_dir(p.path().join("conf")).unwrap();
    Command::new("mkfifo").arg(p.path().join("conf/app.conf")).status().unwrap();
    symlink("app.conf", p.path().join("conf/link.conf")).unwrap();
    run_bounded(p.path(), &["render"], None).user_error().stderr_has("it is a FIFO, not a regular file");
}

#[test]
fn a_config_file_is_limited_to_1_mib_while_it_is_read() {
    let p = Project::with(&topology("conf/app.conf")).file("conf/app.conf", &"x".repeat(1 << 20));
    // exactly 1 MiB is what a ConfigMap may hold
    run_bounded(p.path(), &["render"], None).success();
    std::fs::write(p.path().join("conf/app.conf"), "x".repeat((1 << 20) + 1)).unwrap();
    run_bounded(p.path(), &["render"], None)
        .user_error()
        .stderr_has("error[E016]: `conf/app.conf` is larger than 1 MiB, the limit for a config map file")
        .stderr_has("--> archctl.toml:4:33");
    // a huge (sparse) file is refused without being read into memory
    let f = std::fs::File::create(p.path().join("conf/app.conf")).unwrap();
    f.set_len(4 << 30).unwrap();
    let start = Instant::now();
    run_bounded(p.path(), &["render"], None).user_error().stderr_has("is larger than 1 MiB");
    assert!(start.elapsed() < Duration::from_secs(10), "took {:?}", start.elapsed());
}

#[test]
fn a_config_map_over_1_mib_from_files_is_refused_at_its_key() {
    let half = "x".repeat(600 << 10);
    let p = Project::with(
        "[project]\nname = \"shop\"\n[config_maps.app]\nfiles = { a = { path = \"a.txt\" }, b = { path = \"b.txt\" } }\n",
    )
    .file("a.txt", &half)
    .file("b.txt", &half);
    run_bounded(p.path(), &["render"], None)
        .user_error()
        .stderr_has("error[E023]: the data of config map `app` is more than 1 MiB (1228800 bytes)")
        .stderr_has("--> archctl.toml:3:14")
        .stderr_has("split it");
}

#[test]
fn a_topology_from_stdin_is_bounded() {
    let p = Project::new();
    let small = "[project]\nname = \"shop\"\n[config_maps.app]\ndata = { a = \"1\" }\n";
    let run = run_bounded(p.path(), &["-f", "/dev/stdin", "render"], Some(small.into())).success();
    assert_eq!(find(&run.docs(), "ConfigMap", Some("shop"), "app")["data"]["a"], "1");
    let mut big = String::from("[project]\nname = \"shop\"\n");
    let line = format!("# {}\n", "x".repeat(1021));
    while big.len() <= 17 << 20 {
        big.push_str(&line);
    }
    run_bounded(p.path(), &["-f", "/dev/stdin", "render"], Some(big.into_bytes()))
        .user_error()
        .stderr_has("error[E000]: `/dev/stdin` is too large: topology and profile files are limited to 16 MiB");
}

#[test]
fn a_profile_or_topology_that_links_out_of_the_project_is_refused() {
    let out = outside();
    let p = Project::with("[project]\nname = \"shop\"\n");
    std::fs::create_dir(p.path().join("profiles")).unwrap();
    symlink(out.path().join("secret.txt"), p.path().join("profiles/prod.toml")).unwrap();
    let run = run_bounded(p.path(), &["render", "--profile", "prod"], None);
    no_secret(&run);
    run.user_error()
        .stderr_has("error[E000]: cannot read `profiles/prod.toml`: it leads to")
        .stderr_has("outside the topology's folder")
        .stderr_has("--allow-read DIR");

    // `archctl.toml` of a checkout is no way out either (its text would
    // show in the TOML error)
    let p = Project::new();
    symlink(out.path().join("secret.txt"), p.path().join("archctl.toml")).unwrap();
    let run = run_bounded(p.path(), &["render"], None);
    no_secret(&run);
    run.user_error().stderr_has("error[E000]: cannot read `archctl.toml`: it leads to");
    let dir = out.path().to_str().unwrap();
    // with the folder admitted, the file is read (and is no topology)
    run_bounded(p.path(), &["--allow-read", dir, "render"], None).user_error().stderr_has("error[E001]");
}

#[test]
fn a_profile_that_is_a_fifo_is_not_a_profile() {
    let p = Project::with("[project]\nname = \"shop\"\n");
    std::fs::create_dir(p.path().join("profiles")).unwrap();
    Command::new("mkfifo").arg(p.path().join("profiles/prod.toml")).status().unwrap();
    run_bounded(p.path(), &["render", "--profile", "prod"], None).user_error().stderr_has("error[E002]");
    run_bounded(p.path(), &["check"], None).success();
}
