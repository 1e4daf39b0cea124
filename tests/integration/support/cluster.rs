//! A real Kubernetes control plane (etcd, kube-apiserver,
//! kube-controller-manager) for one test, started and stopped by
//! `scripts/test-cluster.sh` (see the comment at its top).
//!
//! ```ignore
//! let c = TestCluster::start();
//! c.kubectl(&["create", "namespace", "shop"]).success();
//! c.kubectl(&["--context", "viewer", "get", "pods", "-A"]).success();
//! ```
//!
//! The binaries are built by `scripts/test.sh` (`scripts/test-cluster.sh build`);
//! a test calling `start()` without them builds them first (once, under a lock).
//! Each cluster costs about 450 MB of memory and 4–8 s to start.
//! `ARCHCTL_KEEP_TEST_CLUSTER=1` keeps the cluster (and its folder) after the
//! test, for a look at its logs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

use crate::support::{Run, repo, tool};

/// One running control plane; stopped (and its folder removed) on drop.
pub(crate) struct TestCluster {
    dir: PathBuf,
    kubeconfig: PathBuf,
    server: String,
    ca: PathBuf,
    audit_log: PathBuf,
    admin_token: String,
    viewer_token: String,
}

fn script() -> PathBuf {
    repo().join("scripts/test-cluster.sh")
}

impl TestCluster {
    /// Starts a control plane in a fresh folder under the temp dir; panics
    /// with the script's stderr (which ends with the logs' tails) on failure.
    pub(crate) fn start() -> TestCluster {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "archctl-cluster-{}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst),
            nanos % 1_000_000_000
        ));
        let output = Command::new(script())
            .arg("up")
            .arg(&dir)
            // A watchdog stops the cluster if this process dies without dropping it.
            .env("ARCHCTL_TEST_CLUSTER_OWNER_PID", std::process::id().to_string())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script().display()));
        let run = Run::from(output);
        if run.code != 0 {
            if dir.exists() && std::env::var_os("ARCHCTL_KEEP_TEST_CLUSTER").is_none() {
                let _ = Command::new(script()).arg("down").arg(&dir).stdin(Stdio::null()).output();
            }
            panic!(
                "scripts/test-cluster.sh up {} failed (exit {}):\n{}\n{}",
                dir.display(),
                run.code,
                run.stderr,
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    ""
                } else {
                    "(the control plane is built by ./scripts/test.sh; it needs Go)"
                }
            );
        }
        let info_path = dir.join("cluster.json");
        let info: Value = std::fs::read_to_string(&info_path)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_else(|| panic!("{} missing or not JSON; up said:\n{}", info_path.display(), run.stderr));
        let field = |k: &str| {
            info[k].as_str().unwrap_or_else(|| panic!("{} has no string {k:?}", info_path.display())).to_string()
        };
        let cluster = TestCluster {
            kubeconfig: PathBuf::from(field("kubeconfig")),
            server: field("server"),
            ca: PathBuf::from(field("ca")),
            audit_log: PathBuf::from(field("audit_log")),
            admin_token: field("admin_token"),
            viewer_token: field("viewer_token"),
            dir,
        };
        assert_eq!(
            run.stdout.lines().last().map(Path::new),
            Some(cluster.kubeconfig.as_path()),
            "up must print the kubeconfig's path last"
        );
        cluster
    }

    /// The cluster's folder (logs, pki/, audit.log, cluster.json …).
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// A kubeconfig with the contexts `admin` (current) and `viewer`.
    pub(crate) fn kubeconfig(&self) -> &Path {
        &self.kubeconfig
    }

    /// `https://127.0.0.1:PORT`.
    pub(crate) fn server(&self) -> &str {
        &self.server
    }

    /// The CA that signed the API server's certificate (SANs localhost,
    /// 127.0.0.1, kube.test).
    pub(crate) fn ca(&self) -> &Path {
        &self.ca
    }

    /// A bearer token of user `admin`, group `system:masters`.
    pub(crate) fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// A bearer token of user `viewer`, bound to the ClusterRole `view`.
    pub(crate) fn viewer_token(&self) -> &str {
        &self.viewer_token
    }

    fn kubectl_command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(tool("kubectl"));
        cmd.arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.dir.join(".kube-cache"))
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("KUBERC", "off");
        cmd
    }

    /// Runs the real kubectl against the cluster (context `admin` unless
    /// `--context viewer` is among `args`).
    pub(crate) fn kubectl(&self, args: &[&str]) -> Run {
        let output = self.kubectl_command(args).stdin(Stdio::null()).output().expect("run kubectl");
        Run::from(output)
    }

    /// Like `kubectl`, with `stdin` on its standard input (`-f -`).
    pub(crate) fn kubectl_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut child = self
            .kubectl_command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run kubectl");
        let mut pipe = child.stdin.take().expect("kubectl stdin");
        let input = stdin.to_string();
        // A thread, so that a large input cannot deadlock against kubectl's output.
        let writer = std::thread::spawn(move || {
            let _ = pipe.write_all(input.as_bytes());
        });
        let output = child.wait_with_output().expect("wait for kubectl");
        writer.join().expect("stdin writer");
        Run::from(output)
    }

    /// Installs CustomResourceDefinitions from the shared CRD manifests
    /// (`$ARCHCTL_SHARED/crds/manifests`, default `<repo>/../shared`), e.g.
    /// `&["keda.sh_scaledobjects.yaml"]`, server-side, and waits until they
    /// are Established.
    pub(crate) fn install_crds(&self, files: &[&str]) {
        assert!(!files.is_empty(), "install_crds: no files");
        let shared = std::env::var_os("ARCHCTL_SHARED").map(PathBuf::from).unwrap_or_else(|| repo().join("../shared"));
        let manifests = shared.join("crds/manifests");
        assert!(
            manifests.is_dir(),
            "the shared CRD manifests are missing: {} is not a folder (set ARCHCTL_SHARED to the shared folder)",
            manifests.display()
        );
        let mut args = vec!["apply".to_string(), "--server-side".into(), "-o".into(), "name".into()];
        for f in files {
            let path = manifests.join(f);
            assert!(path.is_file(), "install_crds: no CRD manifest {}", path.display());
            args.push("-f".into());
            args.push(path.to_string_lossy().into_owned());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let applied = self.kubectl(&args);
        assert_eq!(applied.code, 0, "kubectl apply of CRDs {files:?} failed:\n{}\n{}", applied.stdout, applied.stderr);
        let names: Vec<&str> = applied.stdout.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        assert!(!names.is_empty(), "kubectl apply -o name printed nothing for {files:?}");
        let mut wait = vec!["wait", "--for=condition=Established", "--timeout=60s"];
        wait.extend(names.iter().copied());
        let waited = self.kubectl(&wait);
        assert_eq!(waited.code, 0, "CRDs {names:?} not Established:\n{}\n{}", waited.stdout, waited.stderr);
        // Established is not yet servable: the first LISTs are answered 429
        // "storage is (re)initializing" for a moment. kubectl retries those
        // silently, so one successful `get` per kind means it is ready.
        for name in &names {
            let resource = name.trim_start_matches("customresourcedefinition.apiextensions.k8s.io/");
            let started = std::time::Instant::now();
            loop {
                let run = self.kubectl(&["get", resource, "--all-namespaces", "-o", "name"]);
                if run.code == 0 {
                    break;
                }
                assert!(
                    started.elapsed() < std::time::Duration::from_secs(60),
                    "{resource} never served:\n{}",
                    run.stderr
                );
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        }
    }

    /// The audit log's events of stage ResponseComplete, oldest first (one
    /// per finished request; the log is written before the response ends).
    /// Every request is there: kubectl's (`userAgent` "kubectl/v1.35…"),
    /// the API server's own ("kube-apiserver/…"), the controller manager's
    /// (user `system:kube-controller-manager`), and the start script's
    /// ("archctl-test-cluster").
    pub(crate) fn audit(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.audit_log)
            .unwrap_or_else(|e| panic!("read {}: {e}", self.audit_log.display()));
        // Only complete lines: an event being written may be cut short.
        let complete = match text.rfind('\n') {
            Some(i) => &text[..=i],
            None => "",
        };
        complete
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str::<Value>(l).unwrap_or_else(|e| panic!("audit line is not JSON ({e}): {l}")))
            .filter(|e| e["stage"] == "ResponseComplete")
            .collect()
    }

    /// Writes a copy of the kubeconfig whose current context is `context`
    /// (`admin` or `viewer`).
    pub(crate) fn write_kubeconfig(&self, path: &Path, context: &str) {
        assert!(matches!(context, "admin" | "viewer"), "no context {context:?} (admin or viewer)");
        let text = std::fs::read_to_string(&self.kubeconfig).expect("read kubeconfig");
        let text: String = text
            .lines()
            .map(|l| {
                if l.starts_with("current-context:") {
                    format!("current-context: {context}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        if std::env::var_os("ARCHCTL_KEEP_TEST_CLUSTER").is_some() {
            eprintln!(
                "ARCHCTL_KEEP_TEST_CLUSTER: keeping the cluster in {} (stop it with scripts/test-cluster.sh down {0})",
                self.dir.display()
            );
            return;
        }
        match Command::new(script()).arg("down").arg(&self.dir).stdin(Stdio::null()).output() {
            Ok(o) if o.status.success() => {}
            Ok(o) => eprintln!(
                "scripts/test-cluster.sh down {} failed:\n{}",
                self.dir.display(),
                String::from_utf8_lossy(&o.stderr)
            ),
            Err(e) => eprintln!("cannot run scripts/test-cluster.sh down {}: {e}", self.dir.display()),
        }
    }
}
