//! A small Kubernetes API server emulator for the integration tests: enough
//! of the REST API, served as JSON over plain HTTP/1.1 on 127.0.0.1, for
//! kube-rs (`archctl diff`) and the real `kubectl` to talk to.
//!
//! ```ignore
//! let emu = Emulator::start();
//! let dir = tempfile::tempdir().unwrap();
//! let kubeconfig = emu.kubeconfig(dir.path());     // current-context "emulator"
//! emu.seed(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}));
//! emu.kubectl(dir.path(), &["apply", "--server-side", "--validate=false", "-f", "all.yaml"]).success();
//! assert!(emu.requests().iter().any(|r| r.method == "PATCH" && r.param("dryRun").as_deref() == Some("All")));
//! ```
//!
//! What it serves:
//! - discovery: `/version`, `/api`, `/apis` (plain, and aggregated
//!   `apidiscovery.k8s.io/v2` when the Accept header asks for it, as kubectl
//!   1.35 and kube-rs' `run_aggregated` do), `/api/v1`, `/apis/G`, `/apis/G/V`;
//! - for each resource of [`RESOURCES`]: GET, LIST (label and field
//!   selectors, across namespaces too), POST, PUT, PATCH (server-side apply,
//!   JSON merge patch, strategic merge patch, JSON patch), DELETE, with
//!   `dryRun=All`; Table and PartialObjectMetadata responses when asked for;
//! - errors as `Status` objects with the real reasons, codes and messages.
//!
//! Approximations (documented so that a test does not rely on more):
//! - Server-side apply tracks ownership per field manager as a set of leaf
//!   paths: maps are walked, lists and scalars are atomic leaves (the real
//!   server merges lists such as `containers` by key). Applying replaces the
//!   leaves in the body and deep-merges maps; a leaf that the same manager
//!   applied before and no longer does is removed unless another manager owns
//!   it. Another manager owning a leaf whose value would change is a 409
//!   conflict unless `force=true` (which moves ownership). Only
//!   `metadata.labels/annotations/finalizers/ownerReferences` and everything
//!   outside `metadata`, `status`, `apiVersion` and `kind` is owned.
//!   `fieldsV1` is written from those leaf paths (no `k:`/`.` entries).
//! - Update operations (POST, PUT, merge/strategic/JSON patch) own every leaf
//!   they changed, defaults included, like the real server. A strategic merge
//!   patch merges lists of maps by a guessed merge key (`containerPort`,
//!   `port`, `mountPath`, `devicePath`, `name`, `ip`) and honours `$patch`,
//!   `$deleteFromPrimitiveList/..`; other directives are ignored.
//! - Defaulting is hand-written for the built-in kinds archctl renders (see
//!   `default_object`); custom resources get none. A "controller" then fills
//!   Deployment/StatefulSet status and the `deployment.kubernetes.io/revision`
//!   annotation, owned by `kube-controller-manager` — never on dry-run.
//! - One storage per group and resource: external-secrets.io v1 and v1beta1
//!   serve the same objects, only `apiVersion` differs.
//! - The namespaces `default`, `kube-system`, `kube-public` and
//!   `kube-node-lease` exist from the start, as in a real cluster. Deleting a
//!   namespace deletes its objects at once.
//! - No watch, no protobuf (JSON is always answered, which clients accept), no
//!   authentication (any token works), no openapi (404, which kubectl
//!   tolerates with `--validate=false`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use archctl::topology::quantity::Quantity;
use serde_json::{Map, Value, json};

/// Request bodies larger than this are refused with 413, as the real API
/// server does (3 MiB).
pub const MAX_BODY: usize = 3 * 1024 * 1024;
const MAX_HEAD: u64 = 64 * 1024;
/// The Kubernetes version the emulator claims to be (archctl targets 1.33).
pub const SERVER_VERSION: (&str, &str) = ("1", "33");
const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
const VERBS: [&str; 8] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

/// One resource the emulator serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Res {
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub subresources: &'static [&'static str],
}

const fn res(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    namespaced: bool,
    short_names: &'static [&'static str],
    subresources: &'static [&'static str],
) -> Res {
    Res { group, version, plural, kind, namespaced, short_names, subresources }
}

/// Every resource served, the preferred version of a group first.
pub const RESOURCES: &[Res] = &[
    res("", "v1", "namespaces", "Namespace", false, &["ns"], &["status", "finalize"]),
    res("", "v1", "configmaps", "ConfigMap", true, &["cm"], &[]),
    res("", "v1", "secrets", "Secret", true, &[], &[]),
    res("", "v1", "services", "Service", true, &["svc"], &["status", "proxy"]),
    res("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, &["pvc"], &["status"]),
    res("", "v1", "serviceaccounts", "ServiceAccount", true, &["sa"], &["token"]),
    res("", "v1", "resourcequotas", "ResourceQuota", true, &["quota"], &["status"]),
    res("", "v1", "limitranges", "LimitRange", true, &["limits"], &[]),
    res("apps", "v1", "deployments", "Deployment", true, &["deploy"], &["status", "scale"]),
    res("apps", "v1", "statefulsets", "StatefulSet", true, &["sts"], &["status", "scale"]),
    res("batch", "v1", "jobs", "Job", true, &[], &["status"]),
    res("batch", "v1", "cronjobs", "CronJob", true, &["cj"], &["status"]),
    res("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", true, &["hpa"], &["status"]),
    res("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, &["pdb"], &["status"]),
    res("networking.k8s.io", "v1", "ingresses", "Ingress", true, &["ing"], &["status"]),
    res("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, &["netpol"], &[]),
    res("storage.k8s.io", "v1", "storageclasses", "StorageClass", false, &["sc"], &[]),
    res("keda.sh", "v1alpha1", "scaledobjects", "ScaledObject", true, &["so"], &["status"]),
    res("autoscaling.k8s.io", "v1", "verticalpodautoscalers", "VerticalPodAutoscaler", true, &["vpa"], &["status"]),
    res("monitoring.coreos.com", "v1", "servicemonitors", "ServiceMonitor", true, &["smon"], &[]),
    res("external-secrets.io", "v1", "externalsecrets", "ExternalSecret", true, &["es"], &["status"]),
    res("external-secrets.io", "v1beta1", "externalsecrets", "ExternalSecret", true, &["es"], &["status"]),
];

impl Res {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.to_string() } else { format!("{}/{}", self.group, self.version) }
    }

    /// `deployments.apps`, `configmaps`: how the server names the resource in messages.
    fn qualified(&self) -> String {
        if self.group.is_empty() { self.plural.to_string() } else { format!("{}.{}", self.plural, self.group) }
    }

    /// `Deployment.apps`, `Service`: how validation messages name the kind.
    fn group_kind(&self) -> String {
        if self.group.is_empty() { self.kind.to_string() } else { format!("{}.{}", self.kind, self.group) }
    }

    fn categories(&self) -> &'static [&'static str] {
        match self.plural {
            "services" | "deployments" | "statefulsets" | "jobs" | "cronjobs" | "horizontalpodautoscalers" => &["all"],
            _ => &[],
        }
    }

    /// Whether the strategy keeps `metadata.generation` (not core kinds).
    fn has_generation(&self) -> bool {
        !self.group.is_empty() && self.group != "storage.k8s.io"
    }
}

/// One request the emulator received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    /// The path, percent-decoded (`/apis/apps/v1/namespaces/shop/deployments/web`).
    pub path: String,
    /// The raw query string without `?` (`fieldManager=archctl&dryRun=All`).
    pub query: String,
    pub content_type: Option<String>,
    pub accept: Option<String>,
    pub user_agent: Option<String>,
    /// The body as text (lossy UTF-8; empty when there was none or it was refused).
    pub body: String,
}

impl Request {
    /// A decoded query parameter (the first one of that name).
    pub fn param(&self, key: &str) -> Option<String> {
        parse_query(&self.query).into_iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn is_dry_run(&self) -> bool {
        self.param("dryRun").is_some_and(|v| !v.is_empty())
    }
}

/// A response from [`Emulator::call`].
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl Reply {
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }
}

/// A running emulator; it stops when dropped.
pub struct Emulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Binds 127.0.0.1 on a free port and serves on background threads.
    pub fn start() -> Emulator {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            state: Mutex::new(State::new(addr.port())),
            stop: AtomicBool::new(false),
            conns: Mutex::new(HashMap::new()),
            next_conn: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
            max_in_flight: AtomicU64::new(0),
        });
        for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
            let mut st = shared.lock();
            let obj = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
            st.seed("kube-apiserver", "Update", obj).expect("seed a namespace");
        }
        let s = shared.clone();
        let accept = thread::Builder::new()
            .name("kube-emulator".into())
            .spawn(move || accept_loop(listener, s))
            .expect("spawn the emulator thread");
        Emulator { addr, shared, accept: Some(accept) }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Writes `DIR/kubeconfig` (cluster, user with a dummy token, and the
    /// current context "emulator" with namespace "default") and returns its path.
    pub fn kubeconfig(&self, dir: &Path) -> PathBuf {
        let path = dir.join("kubeconfig");
        let text = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: emulator\n  cluster:\n    server: {}\n\
             users:\n- name: emulator\n  user:\n    token: emulator-token\n\
             contexts:\n- name: emulator\n  context:\n    cluster: emulator\n    user: emulator\n\
             \x20   namespace: default\n\
             current-context: emulator\npreferences: {{}}\n",
            self.url()
        );
        std::fs::write(&path, text).expect("write the kubeconfig");
        path
    }

    /// Runs the real kubectl (see `support::tool`) against the emulator, in
    /// `dir`, with a kubeconfig and a discovery cache of its own in `dir`.
    pub fn kubectl(&self, dir: &Path, args: &[&str]) -> super::Run {
        let kubeconfig = self.kubeconfig(dir);
        let output = Command::new(super::tool("kubectl"))
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .arg("--cache-dir")
            .arg(dir.join(".kube-cache"))
            .args(args)
            .current_dir(dir)
            .env("KUBECONFIG", &kubeconfig)
            .env("KUBERC", "off")
            .output()
            .expect("run kubectl");
        super::Run::from(output)
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.lock().requests.clone()
    }

    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
        self.shared.max_in_flight.store(0, Ordering::SeqCst);
    }

    /// The most requests answered at once (latency included) since the
    /// emulator started or the request log was last cleared.
    pub fn max_in_flight(&self) -> u64 {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// Inserts an object as if server-side applied by the field manager "seed"
    /// (defaulting, system metadata, managedFields, status), replacing any
    /// object of the same name. Panics on an unknown kind. The namespace need
    /// not exist.
    pub fn seed(&self, object: Value) {
        self.seed_as("seed", object);
    }

    /// [`Emulator::seed`] with another field manager (use the one archctl
    /// applies with to avoid apply conflicts).
    pub fn seed_as(&self, manager: &str, object: Value) {
        if let Err(e) = self.shared.lock().seed(manager, "Apply", object) {
            panic!("seed: {e}");
        }
    }

    /// Seeds every document of a YAML stream.
    pub fn seed_yaml(&self, yaml: &str) {
        for doc in serde_yaml::Deserializer::from_str(yaml) {
            let value: Value = serde::Deserialize::deserialize(doc).expect("YAML document");
            if !value.is_null() {
                self.seed(value);
            }
        }
    }

    /// Delay every response by `d`.
    pub fn set_latency(&self, d: Duration) {
        self.shared.lock().latency = d;
    }

    /// Answers 403 Forbidden to requests with this HTTP method or verb
    /// (case-insensitive: "GET" forbids get and list, "list" only list,
    /// "PATCH", "POST"/"create", "PUT"/"update", "DELETE") on this resource
    /// (`deployments`, `deployments.apps`, or `*` for all).
    pub fn forbid(&self, method: &str, kind_plural: &str) {
        self.shared.lock().forbidden.push((method.to_string(), kind_plural.to_string()));
    }

    /// Answers 403 Forbidden to every PATCH with `dryRun`.
    pub fn forbid_dry_run(&self) {
        self.shared.lock().forbid_dry_run = true;
    }

    /// Removes a resource (`scaledobjects`, or `scaledobjects.keda.sh`) from
    /// discovery, as if its CRD were not installed: its paths answer 404.
    pub fn hide_kind(&self, plural: &str) {
        self.shared.lock().hidden.insert(plural.to_string());
    }

    /// The stored objects, ordered by group, resource, namespace and name.
    pub fn objects(&self) -> Vec<Value> {
        self.shared.lock().objects.values().map(|e| e.obj.clone()).collect()
    }

    /// One stored object by kind (`Deployment`), namespace and name.
    pub fn object(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        let st = self.shared.lock();
        st.objects
            .iter()
            .find(|((g, p, ns, n), _)| {
                n == name
                    && ns.as_str() == namespace.unwrap_or("")
                    && RESOURCES.iter().any(|r| r.group == g && r.plural == p && r.kind == kind)
            })
            .map(|(_, e)| e.obj.clone())
    }

    /// Sends one HTTP request (logged like any other) and returns the reply.
    /// `path_and_query` starts with `/`.
    pub fn call(&self, method: &str, path_and_query: &str, content_type: Option<&str>, body: &str) -> Reply {
        http_call(self.addr, method, path_and_query, content_type, body).expect("HTTP request to the emulator")
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
        let conns = std::mem::take(&mut *self.shared.conns.lock().unwrap_or_else(|e| e.into_inner()));
        for (_, c) in conns {
            let _ = c.shutdown(Shutdown::Both);
        }
    }
}

// --- HTTP ------------------------------------------------------------------

struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
    conns: Mutex<HashMap<u64, TcpStream>>,
    next_conn: AtomicU64,
    /// Requests being answered now, and the most seen at once since the
    /// request log was last cleared.
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let Ok(stream) = stream else {
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        let id = shared.next_conn.fetch_add(1, Ordering::SeqCst);
        if let Ok(clone) = stream.try_clone() {
            shared.conns.lock().unwrap_or_else(|e| e.into_inner()).insert(id, clone);
        }
        let s = shared.clone();
        let spawned = thread::Builder::new().name(format!("kube-emulator-{id}")).spawn(move || {
            serve_connection(&s, stream);
            s.conns.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
        });
        if spawned.is_err() {
            shared.conns.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
        }
    }
}

/// A parsed HTTP request.
struct RawRequest {
    method: String,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    close: bool,
    /// A body that was refused (413) or could not be read (400).
    body_error: Option<(u16, String)>,
}

impl RawRequest {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

struct Response {
    status: u16,
    content_type: String,
    body: Vec<u8>,
}

impl Response {
    fn json(status: u16, value: &Value) -> Response {
        Response::typed(status, "application/json", value)
    }

    fn typed(status: u16, content_type: &str, value: &Value) -> Response {
        Response { status, content_type: content_type.to_string(), body: serde_json::to_vec(value).unwrap_or_default() }
    }
}

fn serve_connection(shared: &Shared, stream: TcpStream) {
    let _ = stream.set_nodelay(true);
    let Ok(read_half) = stream.try_clone() else { return };
    let mut reader = BufReader::new(read_half);
    let mut writer = stream;
    loop {
        let req = match read_request(&mut reader, &mut writer) {
            Ok(Some(r)) => r,
            Ok(None) => return,
            Err((status, message)) => {
                let body = status_body(status, reason_for(status), &message, json!({}));
                let _ = write_response(&mut writer, &Response::json(status, &body), true);
                linger(&mut reader, &writer);
                return;
            }
        };
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
        let latency = shared.lock().latency;
        if !latency.is_zero() {
            thread::sleep(latency);
        }
        let response = catch_unwind(AssertUnwindSafe(|| handle(shared, &req))).unwrap_or_else(|_| {
            let body = status_body(500, "InternalError", "the emulator panicked on this request", json!({}));
            Response::json(500, &body)
        });
        shared.in_flight.fetch_sub(1, Ordering::SeqCst);
        let close = req.close || req.body_error.is_some();
        let response = if req.method == "HEAD" { Response { body: Vec::new(), ..response } } else { response };
        if write_response(&mut writer, &response, close).is_err() || close {
            linger(&mut reader, &writer);
            return;
        }
    }
}

/// Closes after a reply: stops writing, then drains what the client still
/// sends (a refused body) for a moment, so that it reads the reply instead of
/// a connection reset.
fn linger(reader: &mut BufReader<TcpStream>, writer: &TcpStream) {
    let _ = writer.shutdown(Shutdown::Write);
    let _ = writer.set_read_timeout(Some(Duration::from_millis(200)));
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    let mut sink = [0u8; 64 * 1024];
    let mut drained = 0usize;
    while std::time::Instant::now() < deadline && drained < 64 * MAX_BODY {
        match reader.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
    let _ = writer.shutdown(Shutdown::Both);
}

/// Reads one request; `Ok(None)` at a clean end of the connection.
fn read_request(
    reader: &mut BufReader<TcpStream>,
    writer: &mut TcpStream,
) -> Result<Option<RawRequest>, (u16, String)> {
    let mut head_left = MAX_HEAD;
    let mut line = String::new();
    // The request line, skipping stray empty lines between requests.
    loop {
        line.clear();
        match read_line(reader, &mut line, &mut head_left) {
            Ok(0) => return Ok(None),
            Ok(_) if line.trim().is_empty() => continue,
            Ok(_) => break,
            Err(e) if e.kind() == io::ErrorKind::InvalidData => return Err((431, e.to_string())),
            Err(_) => return Ok(None),
        }
    }
    let mut parts = line.split_ascii_whitespace();
    let (Some(method), Some(target), version) = (parts.next(), parts.next(), parts.next()) else {
        return Err((400, format!("malformed request line {:?}", line.trim())));
    };
    let method = method.to_ascii_uppercase();
    let target = target.to_string();
    let http10 = version == Some("HTTP/1.0");
    let target = target.strip_prefix("http://").map_or(target.as_str(), |t| t.find('/').map_or("/", |i| &t[i..]));
    let (raw_path, query) = target.split_once('?').unwrap_or((target, ""));
    let (path, query) = (percent_decode(raw_path, false), query.to_string());
    let mut headers = Vec::new();
    loop {
        line.clear();
        match read_line(reader, &mut line, &mut head_left) {
            Ok(0) => return Ok(None),
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::InvalidData => return Err((431, e.to_string())),
            Err(_) => return Ok(None),
        }
        let l = line.trim_end_matches(['\r', '\n']);
        if l.is_empty() {
            break;
        }
        if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let mut req = RawRequest { method, path, query, headers, body: Vec::new(), close: http10, body_error: None };
    if let Some(c) = req.header("connection") {
        let c = c.to_ascii_lowercase();
        req.close = c.contains("close") || (http10 && !c.contains("keep-alive"));
    }
    let chunked = req.header("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked"));
    let length = req.header("content-length").map(|l| l.trim().parse::<usize>());
    let expect_continue = req.header("expect").is_some_and(|e| e.eq_ignore_ascii_case("100-continue"));
    match (chunked, length) {
        (false, Some(Err(_))) => req.body_error = Some((400, "invalid Content-Length".into())),
        (false, Some(Ok(n))) if n > MAX_BODY => {
            req.body_error = Some((413, format!("Request entity too large: limit is {MAX_BODY}")))
        }
        (false, Some(Ok(n))) => {
            if expect_continue && n > 0 {
                let _ = writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
            }
            let mut body = vec![0; n];
            if reader.read_exact(&mut body).is_err() {
                return Ok(None);
            }
            req.body = body;
        }
        (true, _) => {
            if expect_continue {
                let _ = writer.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
            }
            match read_chunked(reader) {
                Ok(body) => req.body = body,
                Err(e) if e.kind() == io::ErrorKind::InvalidData => req.body_error = Some((413, e.to_string())),
                Err(_) => return Ok(None),
            }
        }
        (false, None) => {}
    }
    Ok(Some(req))
}

/// Reads one line, charging it to the head budget.
fn read_line(reader: &mut BufReader<TcpStream>, line: &mut String, left: &mut u64) -> io::Result<usize> {
    let mut buf = Vec::new();
    let n = reader.by_ref().take(*left).read_until(b'\n', &mut buf)?;
    *left -= n as u64;
    if n > 0 && !buf.ends_with(b"\n") {
        if *left == 0 {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "request header fields too large"));
        }
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed in a header"));
    }
    line.push_str(&String::from_utf8_lossy(&buf));
    Ok(n)
}

fn read_chunked(reader: &mut BufReader<TcpStream>) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        let mut left = 4096;
        if read_line(reader, &mut size_line, &mut left)? == 0 {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed in a chunk"));
        }
        let hex = size_line.trim().split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(hex, 16).map_err(|_| io::Error::other("bad chunk size"))?;
        if size == 0 {
            // Trailers until the empty line.
            loop {
                let mut t = String::new();
                let mut left = MAX_HEAD;
                if read_line(reader, &mut t, &mut left)? == 0 || t.trim().is_empty() {
                    return Ok(body);
                }
            }
        }
        if body.len() + size > MAX_BODY {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("Request entity too large: limit is {MAX_BODY}"),
            ));
        }
        let start = body.len();
        body.resize(start + size, 0);
        reader.read_exact(&mut body[start..])?;
        let mut crlf = String::new();
        let mut left = 16;
        read_line(reader, &mut crlf, &mut left)?;
    }
}

fn write_response(w: &mut TcpStream, r: &Response, close: bool) -> io::Result<()> {
    let mut out = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-cache, private\r\n",
        r.status,
        reason_phrase(r.status),
        r.content_type,
        r.body.len()
    )
    .into_bytes();
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(&r.body);
    w.write_all(&out)?;
    w.flush()
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        409 => "Conflict",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        431 => "Request Header Fields Too Large",
        _ => "Internal Server Error",
    }
}

fn reason_for(status: u16) -> &'static str {
    match status {
        400 => "BadRequest",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        409 => "Conflict",
        413 => "RequestEntityTooLarge",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        _ => "InternalError",
    }
}

/// A minimal HTTP/1.1 client for [`Emulator::call`].
fn http_call(
    addr: SocketAddr,
    method: &str,
    path_and_query: &str,
    content_type: Option<&str>,
    body: &str,
) -> io::Result<Reply> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!(
        "{method} {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\n\
         User-Agent: emulator-test/1.0\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    if let Some(ct) = content_type {
        head.push_str(&format!("Content-Type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    // A refused body may not be read in full: read the reply regardless.
    let _ = s.write_all(head.as_bytes()).and_then(|()| s.write_all(body.as_bytes()));
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let content_type = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-type")))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_default();
    Ok(Reply { status, content_type, body: body.to_string() })
}

// --- state -----------------------------------------------------------------

/// (group, plural, namespace or "", name)
type Key = (String, String, String, String);
type FieldPath = Vec<String>;

#[derive(Clone, Debug, PartialEq)]
struct Manager {
    name: String,
    operation: &'static str,
    api_version: String,
    time: String,
    subresource: Option<&'static str>,
    fields: BTreeSet<FieldPath>,
}

#[derive(Clone, Debug)]
struct Entry {
    obj: Value,
    managers: Vec<Manager>,
}

struct State {
    port: u16,
    objects: BTreeMap<Key, Entry>,
    requests: Vec<Request>,
    latency: Duration,
    forbidden: Vec<(String, String)>,
    forbid_dry_run: bool,
    hidden: BTreeSet<String>,
    resource_version: u64,
    counter: u64,
    seed: u64,
}

/// A failed request: the Status to answer.
struct Fail(u16, Value);

impl std::fmt::Display for Fail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0, self.1["message"].as_str().unwrap_or(""))
    }
}

fn status_body(code: u16, reason: &str, message: &str, details: Value) -> Value {
    let mut s = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    });
    if details.as_object().is_some_and(|d| !d.is_empty()) {
        s["details"] = details;
    }
    s
}

fn fail(code: u16, message: impl Into<String>) -> Fail {
    Fail(code, status_body(code, reason_for(code), &message.into(), json!({})))
}

fn not_found(r: &Res, name: &str) -> Fail {
    Fail(
        404,
        status_body(
            404,
            "NotFound",
            &format!("{} \"{name}\" not found", r.qualified()),
            json!({"name": name, "group": r.group, "kind": r.plural}),
        ),
    )
}

fn namespace_not_found(ns: &str) -> Fail {
    Fail(
        404,
        status_body(
            404,
            "NotFound",
            &format!("namespaces \"{ns}\" not found"),
            json!({"name": ns, "kind": "namespaces"}),
        ),
    )
}

fn unknown_resource() -> Fail {
    Fail(404, status_body(404, "NotFound", "the server could not find the requested resource", json!({})))
}

fn invalid(r: &Res, name: &str, field: &str, detail: String) -> Fail {
    Fail(
        422,
        status_body(
            422,
            "Invalid",
            &format!("{} \"{name}\" is invalid: {field}: {detail}", r.group_kind()),
            json!({
                "name": name,
                "group": r.group,
                "kind": r.kind,
                "causes": [{"reason": "FieldValueInvalid", "message": detail, "field": field}],
            }),
        ),
    )
}

fn immutable(r: &Res, name: &str, field: &str, value: Option<&Value>) -> Fail {
    let shown = value.map_or("null".to_string(), Value::to_string);
    invalid(r, name, field, format!("Invalid value: {shown}: field is immutable"))
}

impl State {
    fn new(port: u16) -> State {
        let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        State {
            port,
            objects: BTreeMap::new(),
            requests: Vec::new(),
            latency: Duration::ZERO,
            forbidden: Vec::new(),
            forbid_dry_run: false,
            hidden: BTreeSet::new(),
            resource_version: 1000,
            counter: 0,
            seed: nanos ^ (u64::from(port) << 40),
        }
    }

    fn visible(&self, r: &Res) -> bool {
        !self.hidden.contains(r.plural) && !self.hidden.contains(&format!("{}.{}", r.plural, r.group))
    }

    fn next(&mut self) -> u64 {
        self.counter += 1;
        splitmix(self.seed.wrapping_add(self.counter))
    }

    fn uid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }

    /// Inserts an object directly (seed), replacing any existing one.
    fn seed(&mut self, manager: &str, operation: &'static str, mut obj: Value) -> Result<(), String> {
        let api_version = obj["apiVersion"].as_str().unwrap_or("").to_string();
        let kind = obj["kind"].as_str().unwrap_or("").to_string();
        let r = *RESOURCES
            .iter()
            .find(|r| r.api_version() == api_version && r.kind == kind)
            .ok_or_else(|| format!("unknown apiVersion {api_version:?} kind {kind:?}"))?;
        let name = obj["metadata"]["name"].as_str().filter(|n| !n.is_empty()).ok_or("no metadata.name")?.to_string();
        let ns = if r.namespaced {
            let ns = obj["metadata"]["namespace"].as_str().unwrap_or("default").to_string();
            obj["metadata"]["namespace"] = json!(ns);
            Some(ns)
        } else {
            None
        };
        let key = (r.group.to_string(), r.plural.to_string(), ns.clone().unwrap_or_default(), name.clone());
        self.objects.remove(&key);
        let ctx = Target { res: r, ns, name: Some(name), status: false };
        let body = sanitize(obj);
        let fields = owned_paths(&body);
        let managers = vec![Manager {
            name: manager.to_string(),
            operation,
            api_version: r.api_version(),
            time: now_rfc3339(),
            subresource: None,
            fields,
        }];
        self.finish(&ctx, None, body, managers, None, false).map(|_| ()).map_err(|e| e.to_string())
    }
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

// --- routing ---------------------------------------------------------------

/// What a resource path names.
struct Target {
    res: Res,
    ns: Option<String>,
    name: Option<String>,
    /// The request is for the status subresource.
    status: bool,
}

fn handle(shared: &Shared, req: &RawRequest) -> Response {
    let mut st = shared.lock();
    st.requests.push(Request {
        method: req.method.clone(),
        path: req.path.clone(),
        query: req.query.clone(),
        content_type: req.header("content-type").map(str::to_string),
        accept: req.header("accept").map(str::to_string),
        user_agent: req.header("user-agent").map(str::to_string),
        body: String::from_utf8_lossy(&req.body).into_owned(),
    });
    if let Some((status, message)) = &req.body_error {
        return Response::json(*status, &status_body(*status, reason_for(*status), message, json!({})));
    }
    match route(&mut st, req) {
        Ok(r) => r,
        Err(Fail(code, body)) => Response::json(code, &body),
    }
}

fn route(st: &mut State, req: &RawRequest) -> Result<Response, Fail> {
    let segs: Vec<&str> = req.path.split('/').filter(|s| !s.is_empty()).collect();
    let get = req.method == "GET" || req.method == "HEAD";
    let accept = req.header("accept").unwrap_or("");
    let discovery = |v: Value| -> Result<Response, Fail> {
        if get { Ok(Response::json(200, &v)) } else { Err(method_not_allowed(&req.method)) }
    };
    match segs.as_slice() {
        ["version"] => discovery(version_info()),
        ["healthz" | "livez" | "readyz"] => {
            Ok(Response { status: 200, content_type: "text/plain".into(), body: b"ok".to_vec() })
        }
        ["api"] if get && wants_aggregated(accept) => Ok(Response::typed(200, AGGREGATED, &st.aggregated(true))),
        ["api"] => discovery(json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": format!("127.0.0.1:{}", st.port)},
            ],
        })),
        ["apis"] if get && wants_aggregated(accept) => Ok(Response::typed(200, AGGREGATED, &st.aggregated(false))),
        ["apis"] => discovery(st.group_list()),
        ["api", "v1"] => discovery(st.resource_list("", "v1").ok_or_else(unknown_resource)?),
        ["apis", group] => discovery(st.group(group).ok_or_else(unknown_resource)?),
        ["apis", group, version] => discovery(st.resource_list(group, version).ok_or_else(unknown_resource)?),
        ["api", "v1", rest @ ..] => resource_request(st, req, "", "v1", rest),
        ["apis", group, version, rest @ ..] => resource_request(st, req, group, version, rest),
        _ => Err(unknown_resource()),
    }
}

fn method_not_allowed(method: &str) -> Fail {
    fail(405, format!("the server does not allow this method on the requested resource ({method})"))
}

fn wants_aggregated(accept: &str) -> bool {
    accept.split(',').any(|range| {
        let params: Vec<&str> = range.split(';').map(str::trim).collect();
        params.first().is_some_and(|t| *t == "application/json")
            && params.contains(&"g=apidiscovery.k8s.io")
            && params.contains(&"v=v2")
            && params.contains(&"as=APIGroupDiscoveryList")
    })
}

fn version_info() -> Value {
    let (major, minor) = SERVER_VERSION;
    json!({
        "major": major,
        "minor": minor,
        "emulationMajor": major,
        "emulationMinor": minor,
        "gitVersion": format!("v{major}.{minor}.0"),
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2025-04-23T00:00:00Z",
        "goVersion": "go1.24.2",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

impl State {
    fn served(&self) -> impl Iterator<Item = &'static Res> + '_ {
        RESOURCES.iter().filter(|r| self.visible(r))
    }

    /// Groups in order with their versions, preferred first.
    fn groups(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        let mut out: Vec<(&str, Vec<&str>)> = Vec::new();
        for r in self.served().filter(|r| !r.group.is_empty()) {
            match out.iter_mut().find(|(g, _)| *g == r.group) {
                Some((_, vs)) if !vs.contains(&r.version) => vs.push(r.version),
                Some(_) => {}
                None => out.push((r.group, vec![r.version])),
            }
        }
        out
    }

    fn group_json(group: &str, versions: &[&str]) -> Value {
        let gv = |v: &str| json!({"groupVersion": format!("{group}/{v}"), "version": v});
        json!({
            "name": group,
            "versions": versions.iter().map(|v| gv(v)).collect::<Vec<_>>(),
            "preferredVersion": gv(versions[0]),
        })
    }

    fn group_list(&self) -> Value {
        let groups: Vec<Value> = self.groups().iter().map(|(g, vs)| State::group_json(g, vs)).collect();
        json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
    }

    fn group(&self, group: &str) -> Option<Value> {
        let groups = self.groups();
        let (g, vs) = groups.iter().find(|(g, _)| *g == group)?;
        let mut v = State::group_json(g, vs);
        v["kind"] = json!("APIGroup");
        v["apiVersion"] = json!("v1");
        Some(v)
    }

    fn resource_list(&self, group: &str, version: &str) -> Option<Value> {
        let mut resources = Vec::new();
        for r in self.served().filter(|r| r.group == group && r.version == version) {
            let mut entry = json!({
                "name": r.plural,
                "singularName": r.kind.to_ascii_lowercase(),
                "namespaced": r.namespaced,
                "kind": r.kind,
                "verbs": VERBS,
            });
            if !r.short_names.is_empty() {
                entry["shortNames"] = json!(r.short_names);
            }
            if !r.categories().is_empty() {
                entry["categories"] = json!(r.categories());
            }
            resources.push(entry);
            for sub in r.subresources {
                let (kind, verbs): (&str, &[&str]) = match *sub {
                    "scale" => ("Scale", &["get", "patch", "update"]),
                    "proxy" => ("ServiceProxyOptions", &["create", "delete", "get", "patch", "update"]),
                    "token" => ("TokenRequest", &["create"]),
                    "finalize" => (r.kind, &["update"]),
                    _ => (r.kind, &["get", "patch", "update"]),
                };
                let mut e = json!({
                    "name": format!("{}/{sub}", r.plural),
                    "singularName": "",
                    "namespaced": r.namespaced,
                    "kind": kind,
                    "verbs": verbs,
                });
                if *sub == "scale" {
                    e["group"] = json!("autoscaling");
                    e["version"] = json!("v1");
                }
                resources.push(e);
            }
        }
        if resources.is_empty() {
            return None;
        }
        let gv = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
        Some(json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}))
    }

    /// Aggregated discovery (apidiscovery.k8s.io/v2) for `/api` or `/apis`.
    fn aggregated(&self, core: bool) -> Value {
        let groups: Vec<(&str, Vec<&str>)> = if core { vec![("", vec!["v1"])] } else { self.groups() };
        let mut items = Vec::new();
        for (group, versions) in groups {
            let mut vs = Vec::new();
            for version in versions {
                let resources: Vec<Value> = self
                    .served()
                    .filter(|r| r.group == group && r.version == version)
                    .map(|r| {
                        let gvk = json!({"group": r.group, "version": r.version, "kind": r.kind});
                        let subs: Vec<Value> = r
                            .subresources
                            .iter()
                            .map(|s| {
                                let kind = if *s == "scale" {
                                    json!({"group": "autoscaling", "version": "v1", "kind": "Scale"})
                                } else {
                                    gvk.clone()
                                };
                                json!({"subresource": s, "responseKind": kind, "verbs": ["get", "patch", "update"]})
                            })
                            .collect();
                        json!({
                            "resource": r.plural,
                            "responseKind": gvk,
                            "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                            "singularResource": r.kind.to_ascii_lowercase(),
                            "verbs": VERBS,
                            "shortNames": r.short_names,
                            "categories": r.categories(),
                            "subresources": subs,
                        })
                    })
                    .collect();
                if !resources.is_empty() {
                    vs.push(json!({"version": version, "resources": resources, "freshness": "Current"}));
                }
            }
            if vs.is_empty() {
                continue;
            }
            let metadata = if group.is_empty() { json!({}) } else { json!({"name": group}) };
            items.push(json!({"metadata": metadata, "versions": vs}));
        }
        json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
    }
}

fn resource_request(
    st: &mut State,
    req: &RawRequest,
    group: &str,
    version: &str,
    rest: &[&str],
) -> Result<Response, Fail> {
    let served = |plural: &str| st.served().find(|r| r.group == group && r.version == version && r.plural == plural);
    let (ns, plural, name, sub): (Option<&str>, &str, Option<&str>, Option<&str>) = match rest {
        [p] => (None, *p, None, None),
        [p, n] => (None, *p, Some(*n), None),
        ["namespaces", ns, p] if served(p).is_some_and(|r| r.namespaced) => (Some(*ns), *p, None, None),
        [p, n, s] => (None, *p, Some(*n), Some(*s)),
        ["namespaces", ns, p, n] => (Some(*ns), *p, Some(*n), None),
        ["namespaces", ns, p, n, s] => (Some(*ns), *p, Some(*n), Some(*s)),
        _ => return Err(unknown_resource()),
    };
    let r = *served(plural).ok_or_else(unknown_resource)?;
    // Scope: a namespaced object needs a namespace; a cluster-scoped one has none.
    if (r.namespaced && name.is_some() && ns.is_none()) || (!r.namespaced && ns.is_some()) {
        return Err(unknown_resource());
    }
    if let Some(s) = sub
        && (!r.subresources.contains(&s) || s != "status")
    {
        return Err(fail(404, format!("the emulator does not serve the {s} subresource of {}", r.plural)));
    }
    let params = parse_query(&req.query);
    let param = |k: &str| params.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let verb = match (req.method.as_str(), name) {
        ("GET" | "HEAD", Some(_)) => "get",
        ("GET" | "HEAD", None) if param("watch").is_some_and(|w| w == "true" || w == "1") => "watch",
        ("GET" | "HEAD", None) => "list",
        ("POST", None) => "create",
        ("PUT", Some(_)) => "update",
        ("PATCH", Some(_)) => "patch",
        ("DELETE", Some(_)) => "delete",
        ("DELETE", None) => "deletecollection",
        (m, _) => return Err(method_not_allowed(m)),
    };
    let dry_run = match param("dryRun") {
        None | Some("") => false,
        Some("All") => true,
        Some(other) => return Err(fail(400, format!("Invalid dry run value: {other:?}: supported values: \"All\""))),
    };
    let forbidden = st.forbidden.iter().any(|(m, p)| {
        (m.eq_ignore_ascii_case(&req.method) || m.eq_ignore_ascii_case(verb))
            && (p == "*" || p == r.plural || *p == r.qualified())
    });
    let dry_run_forbidden = st.forbid_dry_run && dry_run && req.method == "PATCH";
    if forbidden || dry_run_forbidden {
        let subject = match name {
            Some(n) => format!("{} \"{n}\"", r.qualified()),
            None => r.qualified(),
        };
        let scope = match ns {
            Some(ns) => format!("in the namespace \"{ns}\""),
            None => "at the cluster scope".to_string(),
        };
        let extra = if forbidden { "" } else { ": dry-run requests are forbidden by the emulator" };
        let message = format!(
            "{subject} is forbidden: User \"emulator\" cannot {verb} resource \"{}\" \
             in API group \"{}\" {scope}{extra}",
            r.plural, r.group
        );
        let mut details = json!({"group": r.group, "kind": r.plural});
        if let Some(n) = name {
            details["name"] = json!(n);
        }
        return Err(Fail(403, status_body(403, "Forbidden", &message, details)));
    }
    let target = Target { res: r, ns: ns.map(str::to_string), name: name.map(str::to_string), status: sub.is_some() };
    let accept = req.header("accept").unwrap_or("");
    match verb {
        "get" => {
            let obj = st.get(&target)?;
            Ok(Response::json(200, &present_one(obj, accept)))
        }
        "list" => {
            let list = st.list(&target, param("labelSelector").unwrap_or(""), param("fieldSelector").unwrap_or(""))?;
            Ok(Response::json(200, &present_list(list, &r, st.resource_version, accept)))
        }
        "watch" => Err(method_not_allowed("watch")),
        "create" => {
            let body = parse_body(&req.body, true)?;
            let manager = manager_name(param("fieldManager"), req.header("user-agent"));
            let obj = st.create(&target, body, &manager, dry_run)?;
            Ok(Response::json(201, &obj))
        }
        "update" => {
            let body = parse_body(&req.body, true)?;
            let manager = manager_name(param("fieldManager"), req.header("user-agent"));
            let obj = st.update(&target, body, &manager, dry_run)?;
            Ok(Response::json(200, &obj))
        }
        "patch" => {
            let content_type = req.header("content-type").unwrap_or("").split(';').next().unwrap_or("").trim();
            let force = param("force").is_some_and(|f| f == "true" || f == "1");
            let (obj, created) = match content_type {
                "application/apply-patch+yaml" | "application/apply-patch+cbor" => {
                    let Some(manager) = param("fieldManager").filter(|m| !m.is_empty()) else {
                        return Err(fail(
                            400,
                            "PatchOptions.meta.k8s.io \"\" is invalid: \
                             fieldManager: Required value: is required for apply patch",
                        ));
                    };
                    let body = parse_body(&req.body, true)?;
                    st.apply(&target, body, manager, force, dry_run)?
                }
                "application/merge-patch+json"
                | "application/strategic-merge-patch+json"
                | "application/json-patch+json" => {
                    let body = parse_body(&req.body, false)?;
                    let manager = manager_name(param("fieldManager"), req.header("user-agent"));
                    (st.patch(&target, content_type, &body, &manager, dry_run)?, false)
                }
                other => {
                    return Err(fail(
                        415,
                        format!(
                            "the body of the request was in an unknown format - accepted media types include: \
                             application/json-patch+json, application/merge-patch+json, \
                             application/apply-patch+yaml (got {other:?})"
                        ),
                    ));
                }
            };
            Ok(Response::json(if created { 201 } else { 200 }, &obj))
        }
        "delete" => Ok(Response::json(200, &st.delete(&target, dry_run)?)),
        _ => Err(method_not_allowed(&req.method)),
    }
}

fn manager_name(param: Option<&str>, user_agent: Option<&str>) -> String {
    match param.filter(|m| !m.is_empty()) {
        Some(m) => m.to_string(),
        None => {
            user_agent.and_then(|ua| ua.split('/').next()).filter(|m| !m.is_empty()).unwrap_or("unknown").to_string()
        }
    }
}

/// Parses JSON, or YAML when `yaml` (server-side apply bodies may be either).
fn parse_body(body: &[u8], yaml: bool) -> Result<Value, Fail> {
    let text = std::str::from_utf8(body).map_err(|_| fail(400, "the request body is not UTF-8"))?;
    let parsed = match serde_json::from_str::<Value>(text) {
        Ok(v) => v,
        Err(e) if !yaml => return Err(fail(400, format!("the request body is not valid JSON: {e}"))),
        Err(_) => serde_yaml::from_str::<Value>(text).map_err(|e| fail(400, format!("error decoding YAML: {e}")))?,
    };
    Ok(parsed)
}

/// The object as the client asked for it (Table and PartialObjectMetadata too).
fn present_one(obj: Value, accept: &str) -> Value {
    if accept.contains("as=Table") {
        table(&[obj])
    } else if accept.contains("as=PartialObjectMetadata") {
        partial(&obj)
    } else {
        obj
    }
}

fn present_list(items: Vec<Value>, r: &Res, rv: u64, accept: &str) -> Value {
    let metadata = json!({"resourceVersion": rv.to_string()});
    if accept.contains("as=Table") {
        let mut t = table(&items);
        t["metadata"] = metadata;
        t
    } else if accept.contains("as=PartialObjectMetadataList") {
        let items: Vec<Value> = items.iter().map(partial).collect();
        let kind = "PartialObjectMetadataList";
        json!({"kind": kind, "apiVersion": "meta.k8s.io/v1", "metadata": metadata, "items": items})
    } else {
        json!({"kind": format!("{}List", r.kind), "apiVersion": r.api_version(), "metadata": metadata, "items": items})
    }
}

fn partial(obj: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]})
}

/// The server's default table (what a CRD without printer columns gets).
fn table(items: &[Value]) -> Value {
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            json!({
                "cells": [o["metadata"]["name"], o["metadata"]["creationTimestamp"]],
                "object": partial(o),
            })
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": [
            {
                "name": "Name",
                "type": "string",
                "format": "name",
                "description": "Name must be unique within a namespace.",
                "priority": 0,
            },
            {
                "name": "Created At",
                "type": "date",
                "format": "",
                "description": "CreationTimestamp is a timestamp representing the server time when this object was created.",
                "priority": 0,
            },
        ],
        "rows": rows,
    })
}

// --- operations ------------------------------------------------------------

impl State {
    fn key(t: &Target, name: &str) -> Key {
        (t.res.group.to_string(), t.res.plural.to_string(), t.ns.clone().unwrap_or_default(), name.to_string())
    }

    fn namespace_exists(&self, ns: &str) -> bool {
        self.objects.contains_key(&(String::new(), "namespaces".into(), String::new(), ns.to_string()))
    }

    fn output(obj: &Value, r: &Res) -> Value {
        let mut o = obj.clone();
        o["apiVersion"] = json!(r.api_version());
        o
    }

    fn get(&self, t: &Target) -> Result<Value, Fail> {
        let name = t.name.as_deref().unwrap_or("");
        self.objects
            .get(&State::key(t, name))
            .map(|e| State::output(&e.obj, &t.res))
            .ok_or_else(|| not_found(&t.res, name))
    }

    fn list(&self, t: &Target, label_selector: &str, field_selector: &str) -> Result<Vec<Value>, Fail> {
        let labels = parse_label_selector(label_selector).map_err(|e| fail(400, e))?;
        let fields = parse_field_selector(field_selector).map_err(|e| fail(400, e))?;
        let mut items = Vec::new();
        for ((g, p, ns, _), e) in &self.objects {
            if g != t.res.group || p != t.res.plural || t.ns.as_ref().is_some_and(|want| want != ns) {
                continue;
            }
            let obj_labels = e.obj["metadata"]["labels"].as_object();
            if !labels.iter().all(|req| req.matches(obj_labels)) {
                continue;
            }
            let field_ok = fields.iter().all(|(field, op_eq, value)| {
                let actual = match field.as_str() {
                    "metadata.name" => e.obj["metadata"]["name"].as_str().unwrap_or(""),
                    _ => e.obj["metadata"]["namespace"].as_str().unwrap_or(""),
                };
                (actual == value) == *op_eq
            });
            if field_ok {
                items.push(State::output(&e.obj, &t.res));
            }
        }
        Ok(items)
    }

    /// Checks the body's apiVersion, kind, name and namespace against the URL.
    fn check_identity(t: &Target, body: &mut Value) -> Result<(), Fail> {
        if !body.is_object() {
            return Err(fail(400, "the request body must be a JSON or YAML object"));
        }
        let r = &t.res;
        let api_version = body["apiVersion"].as_str().unwrap_or("");
        if !api_version.is_empty() && api_version != r.api_version() {
            return Err(fail(
                400,
                format!(
                    "the API version in the data ({api_version}) does not match the expected API version ({})",
                    r.api_version()
                ),
            ));
        }
        let kind = body["kind"].as_str().unwrap_or("");
        if !kind.is_empty() && kind != r.kind {
            return Err(fail(
                400,
                format!("the kind in the data ({kind}) does not match the expected kind ({})", r.kind),
            ));
        }
        body["apiVersion"] = json!(r.api_version());
        body["kind"] = json!(r.kind);
        if !body["metadata"].is_object() {
            body["metadata"] = json!({});
        }
        if let Some(url_name) = &t.name {
            match body["metadata"]["name"].as_str() {
                Some(n) if n != url_name => {
                    return Err(fail(
                        400,
                        format!("the name of the object ({n}) does not match the name on the URL ({url_name})"),
                    ));
                }
                _ => body["metadata"]["name"] = json!(url_name),
            }
        }
        match (&t.ns, body["metadata"]["namespace"].as_str()) {
            (Some(ns), Some(b)) if !b.is_empty() && b != ns => {
                Err(fail(400, "the namespace of the provided object does not match the namespace sent on the request"))
            }
            (Some(ns), _) => {
                body["metadata"]["namespace"] = json!(ns);
                Ok(())
            }
            (None, _) => {
                if let Some(m) = body["metadata"].as_object_mut() {
                    m.shift_remove("namespace");
                }
                Ok(())
            }
        }
    }

    fn require_namespace(&self, t: &Target) -> Result<(), Fail> {
        match &t.ns {
            Some(ns) if !self.namespace_exists(ns) => Err(namespace_not_found(ns)),
            _ => Ok(()),
        }
    }

    fn create(&mut self, t: &Target, mut body: Value, manager: &str, dry_run: bool) -> Result<Value, Fail> {
        State::check_identity(t, &mut body)?;
        let name = match body["metadata"]["name"].as_str().filter(|n| !n.is_empty()) {
            Some(n) => n.to_string(),
            None => match body["metadata"]["generateName"].as_str().filter(|n| !n.is_empty()) {
                Some(prefix) => {
                    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
                    let n = self.next();
                    let suffix: String =
                        (0..5).map(|i| ALPHABET[((n >> (i * 8)) % ALPHABET.len() as u64) as usize] as char).collect();
                    format!("{prefix}{suffix}")
                }
                None => {
                    return Err(invalid(
                        &t.res,
                        "",
                        "metadata.name",
                        "Required value: name or generateName is required".into(),
                    ));
                }
            },
        };
        body["metadata"]["name"] = json!(name);
        self.require_namespace(t)?;
        let target = Target { res: t.res, ns: t.ns.clone(), name: Some(name.clone()), status: false };
        if self.objects.contains_key(&State::key(t, &name)) {
            return Err(Fail(
                409,
                status_body(
                    409,
                    "AlreadyExists",
                    &format!("{} \"{name}\" already exists", t.res.qualified()),
                    json!({"name": name, "group": t.res.group, "kind": t.res.plural}),
                ),
            ));
        }
        let body = sanitize(body);
        self.finish(&target, None, body, Vec::new(), Some(manager), dry_run)
    }

    fn update(&mut self, t: &Target, mut body: Value, manager: &str, dry_run: bool) -> Result<Value, Fail> {
        let status = t.status;
        State::check_identity(t, &mut body)?;
        let name = t.name.clone().unwrap_or_default();
        let old = self.objects.get(&State::key(t, &name)).cloned().ok_or_else(|| not_found(&t.res, &name))?;
        let old_rv = old.obj["metadata"]["resourceVersion"].as_str().unwrap_or("");
        if let Some(rv) = body["metadata"]["resourceVersion"].as_str().filter(|rv| !rv.is_empty())
            && rv != old_rv
        {
            return Err(Fail(
                409,
                status_body(
                    409,
                    "Conflict",
                    &format!(
                        "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; \
                         please apply your changes to the latest version and try again",
                        t.res.qualified()
                    ),
                    json!({"name": name, "group": t.res.group, "kind": t.res.plural}),
                ),
            ));
        }
        let mut new = strip_managed(&old.obj);
        if status {
            new["status"] = body["status"].clone();
        } else {
            new = sanitize(body);
            copy_status(&old.obj, &mut new);
        }
        self.finish(t, Some(&old), new, old.managers.clone(), Some(manager), dry_run)
    }

    fn patch(
        &mut self,
        t: &Target,
        content_type: &str,
        patch: &Value,
        manager: &str,
        dry_run: bool,
    ) -> Result<Value, Fail> {
        let status = t.status;
        let name = t.name.clone().unwrap_or_default();
        let old = self.objects.get(&State::key(t, &name)).cloned().ok_or_else(|| not_found(&t.res, &name))?;
        let mut new = strip_managed(&old.obj);
        match content_type {
            "application/merge-patch+json" => merge_patch(&mut new, patch),
            "application/strategic-merge-patch+json" => strategic_merge(&mut new, patch),
            _ => json_patch(&mut new, patch).map_err(|e| fail(422, e))?,
        }
        State::check_identity(t, &mut new)?;
        let new = if status {
            let mut o = strip_managed(&old.obj);
            o["status"] = new["status"].clone();
            o
        } else {
            let mut n = sanitize(new);
            copy_status(&old.obj, &mut n);
            n
        };
        self.finish(t, Some(&old), new, old.managers.clone(), Some(manager), dry_run)
    }

    /// Server-side apply; returns the object and whether it was created.
    fn apply(
        &mut self,
        t: &Target,
        mut body: Value,
        manager: &str,
        force: bool,
        dry_run: bool,
    ) -> Result<(Value, bool), Fail> {
        State::check_identity(t, &mut body)?;
        self.require_namespace(t)?;
        let name = t.name.clone().unwrap_or_default();
        let body = sanitize(body);
        let fields = owned_paths(&body);
        let api_version = t.res.api_version();
        let me = |m: &Manager| m.name == manager && m.operation == "Apply" && m.subresource.is_none();
        let Some(old) = self.objects.get(&State::key(t, &name)).cloned() else {
            let managers = vec![Manager {
                name: manager.to_string(),
                operation: "Apply",
                api_version,
                time: now_rfc3339(),
                subresource: None,
                fields,
            }];
            return Ok((self.finish(t, None, body, managers, None, dry_run)?, true));
        };
        let live = strip_managed(&old.obj);
        let mut merged = live.clone();
        merge_patch(&mut merged, &body);
        // Conflicts: another manager owns a leaf that this apply would change.
        let mut managers = old.managers.clone();
        let mut conflicts: Vec<(String, String, FieldPath)> = Vec::new();
        for m in managers.iter_mut().filter(|m| !me(m)) {
            let mut lost = BTreeSet::new();
            for q in &m.fields {
                for p in fields.iter().filter(|p| overlaps(p, q)) {
                    let shorter = if p.len() <= q.len() { p } else { q };
                    if get_path(&live, shorter) != get_path(&merged, shorter) {
                        if !conflicts.iter().any(|(n, _, s)| *n == m.name && s == shorter) {
                            conflicts.push((m.name.clone(), m.api_version.clone(), shorter.clone()));
                        }
                        lost.insert(q.clone());
                    }
                }
            }
            if force {
                m.fields.retain(|q| !lost.contains(q));
            }
        }
        if !conflicts.is_empty() && !force {
            return Err(apply_conflict(&t.res, &name, &conflicts));
        }
        // Leaves this manager applied before and no longer does, unless shared.
        let before: BTreeSet<FieldPath> = managers.iter().filter(|m| me(m)).flat_map(|m| m.fields.clone()).collect();
        for stale in before.difference(&fields) {
            let shared = managers.iter().filter(|m| !me(m)).any(|m| m.fields.iter().any(|q| overlaps(q, stale)));
            if !shared {
                remove_path(&mut merged, stale);
                prune_empty(&mut merged, stale, &managers);
            }
        }
        let time = now_rfc3339();
        match managers.iter_mut().find(|m| me(m)) {
            Some(m) => {
                m.fields = fields;
                m.api_version = api_version;
                m.time = time;
            }
            None => managers.push(Manager {
                name: manager.to_string(),
                operation: "Apply",
                api_version,
                time,
                subresource: None,
                fields,
            }),
        }
        Ok((self.finish(t, Some(&old), merged, managers, None, dry_run)?, false))
    }

    fn delete(&mut self, t: &Target, dry_run: bool) -> Result<Value, Fail> {
        let name = t.name.clone().unwrap_or_default();
        let key = State::key(t, &name);
        let entry = self.objects.get(&key).cloned().ok_or_else(|| not_found(&t.res, &name))?;
        if !dry_run {
            self.objects.remove(&key);
            if t.res.plural == "namespaces" && t.res.group.is_empty() {
                self.objects.retain(|(_, _, ns, _), _| *ns != name);
            }
            self.resource_version += 1;
        }
        Ok(State::output(&entry.obj, &t.res))
    }

    /// The common tail of every write: conversions, defaulting, system
    /// metadata, validation, ownership, generation, storage and status.
    /// `updater` is the manager of an Update operation (None for Apply, whose
    /// `managers` are already computed).
    fn finish(
        &mut self,
        t: &Target,
        old: Option<&Entry>,
        mut obj: Value,
        mut managers: Vec<Manager>,
        updater: Option<&str>,
        dry_run: bool,
    ) -> Result<Value, Fail> {
        let r = t.res;
        let name = t.name.clone().unwrap_or_default();
        obj["apiVersion"] = json!(r.api_version());
        obj["kind"] = json!(r.kind);
        if !obj["metadata"].is_object() {
            obj["metadata"] = json!({});
        }
        obj["metadata"]["name"] = json!(name);
        if let Some(ns) = &t.ns {
            obj["metadata"]["namespace"] = json!(ns);
        }
        let old_obj = old.map(|e| &e.obj);
        // System metadata.
        let meta = obj["metadata"].as_object_mut().expect("metadata is an object");
        match old_obj {
            Some(o) => {
                for k in ["uid", "creationTimestamp", "resourceVersion", "generation"] {
                    match o["metadata"].get(k) {
                        Some(v) => meta.insert(k.to_string(), v.clone()),
                        None => meta.shift_remove(k),
                    };
                }
            }
            None => {
                let uid = self.uid();
                meta.insert("uid".into(), json!(uid));
                meta.insert("creationTimestamp".into(), json!(now_rfc3339()));
                if r.has_generation() {
                    meta.insert("generation".into(), json!(1));
                }
            }
        }
        if old_obj.is_none() {
            match initial_status(r.kind) {
                Some(status) => obj["status"] = status,
                None => {
                    if let Some(m) = obj.as_object_mut() {
                        m.shift_remove("status");
                    }
                }
            }
        }
        convert(r.kind, &mut obj);
        self.default_object(r.kind, &mut obj, old_obj);
        if let Some(o) = old_obj {
            validate_update(&r, &name, o, &obj)?;
        }
        // Ownership of an Update operation: every leaf it changed.
        if let Some(updater) = updater {
            let candidates = if t.status { owned_paths_of_status(&obj["status"]) } else { owned_paths(&obj) };
            let changed: BTreeSet<FieldPath> =
                candidates.into_iter().filter(|p| old_obj.and_then(|o| get_path(o, p)) != get_path(&obj, p)).collect();
            for m in managers.iter_mut() {
                m.fields.retain(|q| !changed.iter().any(|p| overlaps(p, q)));
            }
            let subresource = t.status.then_some("status");
            take_ownership(&mut managers, updater, "Update", &r.api_version(), subresource, changed);
            for m in managers.iter_mut().filter(|m| m.operation != "Apply") {
                m.fields.retain(|p| get_path(&obj, p).is_some());
            }
        }
        managers.retain(|m| !m.fields.is_empty());
        if let Some(o) = old
            && strip_managed(&o.obj) == obj
            && same_ownership(&o.managers, &managers)
        {
            return Ok(State::output(&o.obj, &r)); // no-op: nothing is written
        }
        if let Some(o) = old_obj
            && r.has_generation()
            && without(o, &["metadata", "status"]) != without(&obj, &["metadata", "status"])
        {
            let g = o["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
            obj["metadata"]["generation"] = json!(g);
        }
        if !dry_run {
            self.resource_version += 1;
            obj["metadata"]["resourceVersion"] = json!(self.resource_version.to_string());
            if !t.status {
                controller(&r, old_obj, &mut obj, &mut managers);
            }
        }
        if !managers.is_empty() {
            obj["metadata"]["managedFields"] = managed_fields_json(&managers);
        }
        if !dry_run {
            let key = State::key(t, &name);
            self.objects.insert(key, Entry { obj: obj.clone(), managers });
        }
        Ok(State::output(&obj, &r))
    }
}

fn apply_conflict(r: &Res, name: &str, conflicts: &[(String, String, FieldPath)]) -> Fail {
    let dotted = |p: &FieldPath| format!(".{}", p.join("."));
    let message = if let [(m, v, p)] = conflicts {
        format!("Apply failed with 1 conflict: conflict with \"{m}\" using {v}: {}", dotted(p))
    } else {
        let mut s = format!("Apply failed with {} conflicts: ", conflicts.len());
        let lines: Vec<String> =
            conflicts.iter().map(|(m, v, p)| format!("conflict with \"{m}\" using {v}: {}", dotted(p))).collect();
        s.push_str(&lines.join("\n"));
        s
    };
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|(m, v, p)| {
            let message = format!("conflict with \"{m}\" using {v}");
            json!({"reason": "FieldManagerConflict", "message": message, "field": dotted(p)})
        })
        .collect();
    Fail(
        409,
        status_body(
            409,
            "Conflict",
            &message,
            json!({"name": name, "group": r.group, "kind": r.plural, "causes": causes}),
        ),
    )
}

fn take_ownership(
    managers: &mut Vec<Manager>,
    name: &str,
    operation: &'static str,
    api_version: &str,
    subresource: Option<&'static str>,
    fields: BTreeSet<FieldPath>,
) {
    if fields.is_empty() {
        return;
    }
    let time = now_rfc3339();
    match managers.iter_mut().find(|m| m.name == name && m.operation == operation && m.subresource == subresource) {
        Some(m) => {
            m.fields.extend(fields);
            m.time = time;
            m.api_version = api_version.to_string();
        }
        None => managers.push(Manager {
            name: name.to_string(),
            operation,
            api_version: api_version.to_string(),
            time,
            subresource,
            fields,
        }),
    }
}

fn same_ownership(a: &[Manager], b: &[Manager]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| x.name == y.name && x.operation == y.operation && x.fields == y.fields)
}

fn managed_fields_json(managers: &[Manager]) -> Value {
    Value::Array(
        managers
            .iter()
            .map(|m| {
                let mut fields = Map::new();
                for p in &m.fields {
                    let mut cur = &mut fields;
                    for seg in p {
                        cur = cur
                            .entry(format!("f:{seg}"))
                            .or_insert_with(|| json!({}))
                            .as_object_mut()
                            .expect("fieldsV1 nodes are objects");
                    }
                }
                let mut e = json!({
                    "manager": m.name,
                    "operation": m.operation,
                    "apiVersion": m.api_version,
                    "time": m.time,
                    "fieldsType": "FieldsV1",
                    "fieldsV1": fields,
                });
                if let Some(s) = m.subresource {
                    e["subresource"] = json!(s);
                }
                e
            })
            .collect(),
    )
}

/// Drops what a client may not set: system metadata and (for the main
/// resource) status.
fn sanitize(mut obj: Value) -> Value {
    if let Some(m) = obj.as_object_mut() {
        m.shift_remove("status");
    }
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink"] {
            meta.shift_remove(k);
        }
    }
    obj
}

fn copy_status(from: &Value, to: &mut Value) {
    if let (Some(status), Some(m)) = (from.get("status"), to.as_object_mut()) {
        m.insert("status".into(), status.clone());
    }
}

fn strip_managed(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.shift_remove("managedFields");
    }
    o
}

fn without(obj: &Value, keys: &[&str]) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        for k in keys {
            m.shift_remove(*k);
        }
    }
    o
}

// --- field paths and merging -------------------------------------------------

/// The leaf paths an object sets that a field manager can own.
fn owned_paths(obj: &Value) -> BTreeSet<FieldPath> {
    let mut out = BTreeSet::new();
    let Some(m) = obj.as_object() else { return out };
    for (k, v) in m {
        match k.as_str() {
            "apiVersion" | "kind" | "status" => {}
            "metadata" => {
                for mk in ["labels", "annotations", "finalizers", "ownerReferences"] {
                    if let Some(mv) = v.get(mk) {
                        leaves(mv, &mut vec!["metadata".into(), mk.into()], &mut out);
                    }
                }
            }
            _ => leaves(v, &mut vec![k.clone()], &mut out),
        }
    }
    out
}

fn leaves(v: &Value, path: &mut FieldPath, out: &mut BTreeSet<FieldPath>) {
    match v {
        Value::Null => {}
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                path.push(k.clone());
                leaves(child, path, out);
                path.pop();
            }
        }
        _ => {
            out.insert(path.clone());
        }
    }
}

fn overlaps(a: &[String], b: &[String]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

fn get_path<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, seg| cur.as_object()?.get(seg))
}

fn remove_path(v: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else { return };
    let mut cur = v;
    for seg in parents {
        match cur.get_mut(seg.as_str()) {
            Some(next) => cur = next,
            None => return,
        }
    }
    if let Some(m) = cur.as_object_mut() {
        m.shift_remove(last);
    }
}

/// Removes the ancestors of `removed` that became empty maps and that no
/// manager owns (never `metadata` itself).
fn prune_empty(v: &mut Value, removed: &[String], managers: &[Manager]) {
    for depth in (1..removed.len()).rev() {
        let parent = &removed[..depth];
        if parent == ["metadata"] {
            return;
        }
        let empty = get_path(v, parent).and_then(Value::as_object).is_some_and(Map::is_empty);
        let owned = managers.iter().any(|m| m.fields.iter().any(|q| q.as_slice() == parent));
        if !empty || owned {
            return;
        }
        remove_path(v, parent);
    }
}

/// RFC 7386 JSON merge patch (also the apply merge: maps merge, the rest is
/// replaced, null removes).
fn merge_patch(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, pv) in p {
                if pv.is_null() {
                    t.shift_remove(k);
                } else if let Some(tv) = t.get_mut(k)
                    && tv.is_object()
                    && pv.is_object()
                {
                    merge_patch(tv, pv);
                } else {
                    let mut fresh = Value::Null;
                    merge_patch(&mut fresh, pv);
                    t.insert(k.clone(), fresh);
                }
            }
        }
        (t, Value::Object(p)) => {
            *t = Value::Object(Map::new());
            merge_patch(t, &Value::Object(p.clone()));
        }
        (t, p) => *t = p.clone(),
    }
}

/// A strategic merge patch, approximated (see the module documentation).
fn strategic_merge(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    match p.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            let mut fresh = Value::Object(Map::new());
            strategic_merge(&mut fresh, &without(patch, &["$patch"]));
            *target = fresh;
            return;
        }
        Some("delete") => {
            *target = Value::Null;
            return;
        }
        _ => {}
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let t = target.as_object_mut().expect("an object");
    for (k, pv) in p {
        if k == "$patch" || k == "$retainKeys" || k.starts_with("$setElementOrder/") {
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(list), Some(del)) = (t.get_mut(field).and_then(Value::as_array_mut), pv.as_array()) {
                list.retain(|x| !del.contains(x));
            }
            continue;
        }
        if pv.is_null() {
            t.shift_remove(k);
            continue;
        }
        match (t.get_mut(k), pv) {
            (Some(tv @ Value::Object(_)), Value::Object(_)) => {
                strategic_merge(tv, pv);
                if tv.is_null() {
                    t.shift_remove(k);
                }
            }
            (Some(Value::Array(tl)), Value::Array(pl)) if merge_key(pl).is_some() => {
                let key = merge_key(pl).expect("checked");
                for item in pl {
                    let id = &item[key];
                    let pos = tl.iter().position(|x| x[key] == *id);
                    let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
                    match (pos, delete) {
                        (Some(i), true) => {
                            tl.remove(i);
                        }
                        (None, true) => {}
                        (Some(i), false) => strategic_merge(&mut tl[i], item),
                        (None, false) => {
                            let mut fresh = Value::Object(Map::new());
                            strategic_merge(&mut fresh, item);
                            tl.push(fresh);
                        }
                    }
                }
            }
            _ => {
                let mut fresh = Value::Null;
                strategic_merge(&mut fresh, pv);
                if pv.is_object() {
                    t.insert(k.clone(), fresh);
                } else {
                    t.insert(k.clone(), pv.clone());
                }
            }
        }
    }
}

/// The merge key of a list of maps, guessed from the keys every item has.
fn merge_key(list: &[Value]) -> Option<&'static str> {
    if list.is_empty() || !list.iter().all(Value::is_object) {
        return None;
    }
    ["containerPort", "port", "mountPath", "devicePath", "name", "ip"]
        .into_iter()
        .find(|k| list.iter().all(|item| item.get(*k).is_some()))
}

/// RFC 6902 JSON patch.
fn json_patch(target: &mut Value, patch: &Value) -> Result<(), String> {
    let ops = patch.as_array().ok_or("a JSON patch must be a list of operations")?;
    for op in ops {
        let path = pointer(op["path"].as_str().ok_or("an operation lacks a path")?)?;
        match op["op"].as_str().unwrap_or("") {
            "add" => pointer_add(target, &path, op["value"].clone())?,
            "remove" => {
                pointer_remove(target, &path)?;
            }
            "replace" => {
                pointer_remove(target, &path)?;
                pointer_add(target, &path, op["value"].clone())?;
            }
            "test" => {
                if pointer_get(target, &path) != Some(&op["value"]) {
                    return Err(format!("the test of {} failed", op["path"]));
                }
            }
            "move" | "copy" => {
                let from = pointer(op["from"].as_str().ok_or("an operation lacks from")?)?;
                let value = if op["op"] == "move" {
                    pointer_remove(target, &from)?
                } else {
                    pointer_get(target, &from).cloned().ok_or("from does not exist")?
                };
                pointer_add(target, &path, value)?;
            }
            other => return Err(format!("unknown JSON patch operation {other:?}")),
        }
    }
    Ok(())
}

fn pointer(p: &str) -> Result<Vec<String>, String> {
    if p.is_empty() {
        return Ok(Vec::new());
    }
    let rest = p.strip_prefix('/').ok_or_else(|| format!("invalid JSON pointer {p:?}"))?;
    Ok(rest.split('/').map(|s| s.replace("~1", "/").replace("~0", "~")).collect())
}

fn pointer_get<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, seg| match cur {
        Value::Object(m) => m.get(seg),
        Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

fn pointer_parent<'a>(v: &'a mut Value, path: &[String]) -> Result<&'a mut Value, String> {
    let mut cur = v;
    for seg in path {
        cur = match cur {
            Value::Object(m) => m.get_mut(seg),
            Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| format!("the path /{} does not exist", path.join("/")))?;
    }
    Ok(cur)
}

fn pointer_add(v: &mut Value, path: &[String], value: Value) -> Result<(), String> {
    let Some((last, parents)) = path.split_last() else {
        *v = value;
        return Ok(());
    };
    match pointer_parent(v, parents)? {
        Value::Object(m) => {
            m.insert(last.clone(), value);
        }
        Value::Array(a) => {
            let i = if last == "-" { a.len() } else { last.parse::<usize>().map_err(|_| "bad index")? };
            if i > a.len() {
                return Err("index out of range".into());
            }
            a.insert(i, value);
        }
        _ => return Err("cannot add to a scalar".into()),
    }
    Ok(())
}

fn pointer_remove(v: &mut Value, path: &[String]) -> Result<Value, String> {
    let (last, parents) = path.split_last().ok_or("cannot remove the whole object")?;
    let missing = || format!("the path /{} does not exist", path.join("/"));
    match pointer_parent(v, parents)? {
        Value::Object(m) => m.shift_remove(last).ok_or_else(missing),
        Value::Array(a) => {
            let i = last.parse::<usize>().map_err(|_| missing())?;
            if i < a.len() { Ok(a.remove(i)) } else { Err(missing()) }
        }
        _ => Err(missing()),
    }
}

// --- selectors ---------------------------------------------------------------

enum LabelReq {
    Eq(String, String),
    Ne(String, String),
    Exists(String),
    NotExists(String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
}

impl LabelReq {
    fn matches(&self, labels: Option<&Map<String, Value>>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
        match self {
            LabelReq::Eq(k, v) => get(k) == Some(v.as_str()),
            LabelReq::Ne(k, v) => get(k) != Some(v.as_str()),
            LabelReq::Exists(k) => get(k).is_some(),
            LabelReq::NotExists(k) => get(k).is_none(),
            LabelReq::In(k, vs) => get(k).is_some_and(|v| vs.iter().any(|x| x == v)),
            LabelReq::NotIn(k, vs) => get(k).is_none_or(|v| !vs.iter().any(|x| x == v)),
        }
    }
}

/// Parses a label selector: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`,
/// `a notin (x,y)`, joined by commas (AND).
fn parse_label_selector(s: &str) -> Result<Vec<LabelReq>, String> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    let bad = |p: &str| format!("unable to parse requirement: found {p:?}, expected a label selector requirement");
    let valid_key =
        |k: &str| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    let mut out = Vec::new();
    for part in parts.into_iter().map(str::trim).filter(|p| !p.is_empty()) {
        let set = |rest: &str| -> Option<Vec<String>> {
            let inner = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
            Some(inner.split(',').map(|v| v.trim().to_string()).collect())
        };
        let req = if let Some(k) = part.strip_prefix('!') {
            LabelReq::NotExists(k.trim().to_string())
        } else if let Some((k, v)) = part.split_once("!=") {
            LabelReq::Ne(k.trim().to_string(), v.trim().to_string())
        } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
            LabelReq::Eq(k.trim().to_string(), v.trim().to_string())
        } else if let Some((k, rest)) = part.split_once(" notin ") {
            LabelReq::NotIn(k.trim().to_string(), set(rest).ok_or_else(|| bad(part))?)
        } else if let Some((k, rest)) = part.split_once(" in ") {
            LabelReq::In(k.trim().to_string(), set(rest).ok_or_else(|| bad(part))?)
        } else {
            LabelReq::Exists(part.to_string())
        };
        let key = match &req {
            LabelReq::Eq(k, _)
            | LabelReq::Ne(k, _)
            | LabelReq::Exists(k)
            | LabelReq::NotExists(k)
            | LabelReq::In(k, _)
            | LabelReq::NotIn(k, _) => k,
        };
        if !valid_key(key) {
            return Err(bad(part));
        }
        out.push(req);
    }
    Ok(out)
}

/// `metadata.name` and `metadata.namespace`, with `=`, `==` or `!=`.
fn parse_field_selector(s: &str) -> Result<Vec<(String, bool, String)>, String> {
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (field, eq, value) = if let Some((f, v)) = part.split_once("!=") {
            (f, false, v)
        } else if let Some((f, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
            (f, true, v)
        } else {
            return Err(format!("invalid selector: '{part}'; can't understand '{part}'"));
        };
        let field = field.trim();
        if field != "metadata.name" && field != "metadata.namespace" {
            return Err(format!("field label not supported: {field}"));
        }
        out.push((field.to_string(), eq, value.trim().to_string()));
    }
    Ok(out)
}

// --- defaulting, conversion, validation, controllers ----------------------------

fn initial_status(kind: &str) -> Option<Value> {
    Some(match kind {
        "Namespace" => json!({"phase": "Active"}),
        "Service" | "Ingress" => json!({"loadBalancer": {}}),
        "PersistentVolumeClaim" => json!({"phase": "Pending"}),
        "StatefulSet" => json!({"replicas": 0, "availableReplicas": 0}),
        "HorizontalPodAutoscaler" => json!({"currentMetrics": null, "desiredReplicas": 0}),
        "PodDisruptionBudget" => {
            json!({"currentHealthy": 0, "desiredHealthy": 0, "disruptionsAllowed": 0, "expectedPods": 0})
        }
        "Deployment" | "Job" | "CronJob" | "ResourceQuota" => json!({}),
        _ => return None,
    })
}

/// Conversions the real registry makes on write.
fn convert(kind: &str, obj: &mut Value) {
    if kind != "Secret" {
        return;
    }
    let Some(m) = obj.as_object_mut() else { return };
    if let Some(Value::Object(string_data)) = m.shift_remove("stringData") {
        let data = m.entry("data").or_insert_with(|| json!({}));
        if !data.is_object() {
            *data = json!({});
        }
        for (k, v) in string_data {
            let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
            data[k.as_str()] = json!(base64(text.as_bytes()));
        }
    }
    if m.get("type").is_none_or(Value::is_null) {
        m.insert("type".into(), json!("Opaque"));
    }
}

fn set_default(m: &mut Map<String, Value>, key: &str, value: Value) {
    if m.get(key).is_none_or(Value::is_null) {
        m.insert(key.to_string(), value);
    }
}

fn child<'a>(m: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Map<String, Value>> {
    m.get_mut(key).and_then(Value::as_object_mut)
}

fn child_or_insert<'a>(m: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let v = m.entry(key.to_string()).or_insert_with(|| json!({}));
    if !v.is_object() {
        *v = json!({});
    }
    v.as_object_mut().expect("just made an object")
}

fn items<'a>(m: &'a mut Map<String, Value>, key: &str) -> impl Iterator<Item = &'a mut Map<String, Value>> {
    m.get_mut(key).and_then(Value::as_array_mut).into_iter().flatten().filter_map(Value::as_object_mut)
}

/// Rewrites quantities (strings or numbers) in their canonical form.
fn canonical_quantities(m: &mut Map<String, Value>) {
    for v in m.values_mut() {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => continue,
        };
        if let Ok(q) = Quantity::parse(&text) {
            *v = json!(q.canonical());
        }
    }
}

fn canonical_resources(m: &mut Map<String, Value>) {
    if let Some(resources) = child(m, "resources") {
        for k in ["limits", "requests"] {
            if let Some(q) = child(resources, k) {
                canonical_quantities(q);
            }
        }
    }
}

fn pull_policy(image: &str) -> &'static str {
    if image.contains('@') {
        return "IfNotPresent";
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) if tag != "latest" => "IfNotPresent",
        _ => "Always",
    }
}

fn default_container(c: &mut Map<String, Value>) {
    set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
    set_default(c, "terminationMessagePolicy", json!("File"));
    if let Some(image) = c.get("image").and_then(Value::as_str) {
        let policy = pull_policy(image);
        set_default(c, "imagePullPolicy", json!(policy));
    }
    for p in items(c, "ports") {
        set_default(p, "protocol", json!("TCP"));
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = child(c, probe) {
            set_default(p, "timeoutSeconds", json!(1));
            set_default(p, "periodSeconds", json!(10));
            set_default(p, "successThreshold", json!(1));
            set_default(p, "failureThreshold", json!(3));
            if let Some(h) = child(p, "httpGet") {
                set_default(h, "scheme", json!("HTTP"));
            }
        }
    }
    if let Some(lifecycle) = child(c, "lifecycle") {
        for hook in ["postStart", "preStop"] {
            if let Some(h) = child(lifecycle, hook).and_then(|h| child(h, "httpGet")) {
                set_default(h, "scheme", json!("HTTP"));
            }
        }
    }
    set_default(c, "resources", json!({}));
    canonical_resources(c);
    for e in items(c, "env") {
        if let Some(f) = child(e, "valueFrom").and_then(|v| child(v, "fieldRef")) {
            set_default(f, "apiVersion", json!("v1"));
        }
    }
}

fn default_pod_spec(spec: &mut Map<String, Value>, job: bool) {
    if !job {
        set_default(spec, "restartPolicy", json!("Always"));
    }
    set_default(spec, "dnsPolicy", json!("ClusterFirst"));
    set_default(spec, "schedulerName", json!("default-scheduler"));
    set_default(spec, "terminationGracePeriodSeconds", json!(30));
    set_default(spec, "securityContext", json!({}));
    for key in ["initContainers", "containers", "ephemeralContainers"] {
        for c in items(spec, key) {
            default_container(c);
        }
    }
    for v in items(spec, "volumes") {
        for source in ["configMap", "secret", "downwardAPI", "projected"] {
            if let Some(s) = child(v, source) {
                set_default(s, "defaultMode", json!(420));
            }
        }
        if let Some(e) = child(v, "emptyDir") {
            canonical_quantities_at(e, "sizeLimit");
        }
    }
}

fn canonical_quantities_at(m: &mut Map<String, Value>, key: &str) {
    if let Some(v) = m.get(key).cloned() {
        let mut single = Map::new();
        single.insert(key.to_string(), v);
        canonical_quantities(&mut single);
        m.insert(key.to_string(), single.remove(key).unwrap_or(Value::Null));
    }
}

fn default_template(spec: &mut Map<String, Value>, job: bool) {
    if let Some(pod) = child(spec, "template").and_then(|t| child(t, "spec")) {
        default_pod_spec(pod, job);
    }
}

fn default_pvc_spec(spec: &mut Map<String, Value>) {
    set_default(spec, "volumeMode", json!("Filesystem"));
    canonical_resources(spec);
}

impl State {
    fn default_object(&mut self, kind: &str, obj: &mut Value, old: Option<&Value>) {
        let uid = obj["metadata"]["uid"].as_str().unwrap_or("").to_string();
        let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        let Some(o) = obj.as_object_mut() else { return };
        if kind == "Namespace" {
            let labels = child_or_insert(child_or_insert(o, "metadata"), "labels");
            labels.insert("kubernetes.io/metadata.name".into(), json!(name));
            let spec = child_or_insert(o, "spec");
            set_default(spec, "finalizers", json!(["kubernetes"]));
            return;
        }
        if kind == "StorageClass" {
            set_default(o, "reclaimPolicy", json!("Delete"));
            set_default(o, "volumeBindingMode", json!("Immediate"));
            return;
        }
        let Some(spec) = child(o, "spec") else { return };
        match kind {
            "Deployment" => {
                set_default(spec, "replicas", json!(1));
                set_default(spec, "progressDeadlineSeconds", json!(600));
                set_default(spec, "revisionHistoryLimit", json!(10));
                let strategy = child_or_insert(spec, "strategy");
                set_default(strategy, "type", json!("RollingUpdate"));
                if strategy["type"] == "RollingUpdate" {
                    let ru = child_or_insert(strategy, "rollingUpdate");
                    set_default(ru, "maxSurge", json!("25%"));
                    set_default(ru, "maxUnavailable", json!("25%"));
                }
                default_template(spec, false);
            }
            "StatefulSet" => {
                set_default(spec, "replicas", json!(1));
                set_default(spec, "podManagementPolicy", json!("OrderedReady"));
                set_default(spec, "revisionHistoryLimit", json!(10));
                let strategy = child_or_insert(spec, "updateStrategy");
                set_default(strategy, "type", json!("RollingUpdate"));
                if strategy["type"] == "RollingUpdate" {
                    set_default(child_or_insert(strategy, "rollingUpdate"), "partition", json!(0));
                }
                let retention = child_or_insert(spec, "persistentVolumeClaimRetentionPolicy");
                set_default(retention, "whenDeleted", json!("Retain"));
                set_default(retention, "whenScaled", json!("Retain"));
                for t in items(spec, "volumeClaimTemplates") {
                    set_default(t, "apiVersion", json!("v1"));
                    set_default(t, "kind", json!("PersistentVolumeClaim"));
                    if let Some(s) = child(t, "spec") {
                        default_pvc_spec(s);
                    }
                    set_default(t, "status", json!({"phase": "Pending"}));
                }
                default_template(spec, false);
            }
            "Job" => {
                set_default(spec, "backoffLimit", json!(6));
                set_default(spec, "completionMode", json!("NonIndexed"));
                set_default(spec, "completions", json!(1));
                set_default(spec, "parallelism", json!(1));
                set_default(spec, "suspend", json!(false));
                if spec.get("podFailurePolicy").is_none() {
                    set_default(spec, "podReplacementPolicy", json!("TerminatingOrFailed"));
                }
                if spec.get("manualSelector") != Some(&json!(true)) && old.is_none() {
                    let selector = json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}});
                    set_default(spec, "selector", selector);
                    if let Some(t) = child(spec, "template") {
                        let labels = child_or_insert(child_or_insert(t, "metadata"), "labels");
                        labels.insert("batch.kubernetes.io/controller-uid".into(), json!(uid));
                        labels.insert("batch.kubernetes.io/job-name".into(), json!(name));
                        labels.insert("controller-uid".into(), json!(uid));
                        labels.insert("job-name".into(), json!(name));
                    }
                }
                default_template(spec, true);
            }
            "CronJob" => {
                set_default(spec, "concurrencyPolicy", json!("Allow"));
                set_default(spec, "suspend", json!(false));
                set_default(spec, "successfulJobsHistoryLimit", json!(3));
                set_default(spec, "failedJobsHistoryLimit", json!(1));
                if let Some(job) = child(spec, "jobTemplate").and_then(|j| child(j, "spec")) {
                    default_template(job, true);
                }
            }
            "Service" => self.default_service(spec, old),
            "PersistentVolumeClaim" => default_pvc_spec(spec),
            "ResourceQuota" => {
                if let Some(h) = child(spec, "hard") {
                    canonical_quantities(h);
                }
            }
            "LimitRange" => {
                for l in items(spec, "limits") {
                    for k in ["default", "defaultRequest", "max", "min", "maxLimitRequestRatio"] {
                        if let Some(q) = child(l, k) {
                            canonical_quantities(q);
                        }
                    }
                }
            }
            "HorizontalPodAutoscaler" => {
                set_default(spec, "minReplicas", json!(1));
                if spec.get("metrics").and_then(Value::as_array).is_none_or(Vec::is_empty) {
                    spec.insert(
                        "metrics".into(),
                        json!([{
                            "type": "Resource",
                            "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}},
                        }]),
                    );
                }
                if let Some(b) = child(spec, "behavior") {
                    let up = child_or_insert(b, "scaleUp");
                    set_default(up, "stabilizationWindowSeconds", json!(0));
                    set_default(up, "selectPolicy", json!("Max"));
                    set_default(
                        up,
                        "policies",
                        json!([
                            {"type": "Pods", "value": 4, "periodSeconds": 15},
                            {"type": "Percent", "value": 100, "periodSeconds": 15},
                        ]),
                    );
                    let down = child_or_insert(b, "scaleDown");
                    set_default(down, "selectPolicy", json!("Max"));
                    set_default(down, "policies", json!([{"type": "Percent", "value": 100, "periodSeconds": 15}]));
                }
            }
            "NetworkPolicy" => {
                let egress = spec.get("egress").and_then(Value::as_array).is_some_and(|e| !e.is_empty());
                let types = if egress { json!(["Ingress", "Egress"]) } else { json!(["Ingress"]) };
                set_default(spec, "policyTypes", types);
                for direction in ["ingress", "egress"] {
                    for rule in items(spec, direction) {
                        for p in items(rule, "ports") {
                            set_default(p, "protocol", json!("TCP"));
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn default_service(&mut self, spec: &mut Map<String, Value>, old: Option<&Value>) {
        set_default(spec, "type", json!("ClusterIP"));
        let ty = spec["type"].as_str().unwrap_or("ClusterIP").to_string();
        if ty != "ExternalName" {
            if spec.get("clusterIP").and_then(Value::as_str).is_none_or(str::is_empty) {
                let ip = match old.and_then(|o| o["spec"]["clusterIP"].as_str()).filter(|ip| !ip.is_empty()) {
                    Some(ip) => ip.to_string(),
                    None => {
                        let n = self.next() % 60000 + 100;
                        format!("10.96.{}.{}", n / 250, n % 250 + 2)
                    }
                };
                spec.insert("clusterIP".into(), json!(ip));
            }
            let ip = spec["clusterIP"].clone();
            set_default(spec, "clusterIPs", json!([ip]));
            set_default(spec, "ipFamilies", json!(["IPv4"]));
            set_default(spec, "ipFamilyPolicy", json!("SingleStack"));
            set_default(spec, "internalTrafficPolicy", json!("Cluster"));
        }
        set_default(spec, "sessionAffinity", json!("None"));
        let node_ports = ty == "NodePort" || ty == "LoadBalancer";
        if node_ports {
            set_default(spec, "externalTrafficPolicy", json!("Cluster"));
        }
        if ty == "LoadBalancer" {
            set_default(spec, "allocateLoadBalancerNodePorts", json!(true));
        }
        let old_ports: Vec<Value> = old.and_then(|o| o["spec"]["ports"].as_array().cloned()).unwrap_or_default();
        for p in items(spec, "ports") {
            set_default(p, "protocol", json!("TCP"));
            let port = p.get("port").cloned().unwrap_or(Value::Null);
            set_default(p, "targetPort", port.clone());
            if node_ports && p.get("nodePort").is_none() {
                let same = old_ports.iter().find(|o| o["port"] == port && o["protocol"] == p["protocol"]);
                let n = match same.and_then(|o| o.get("nodePort")) {
                    Some(n) => n.clone(),
                    None => json!(30000 + self.next() % 2768),
                };
                p.insert("nodePort".into(), n);
            }
        }
    }
}

/// Immutable fields and forbidden updates.
fn validate_update(r: &Res, name: &str, old: &Value, new: &Value) -> Result<(), Fail> {
    let changed = |path: &[&str]| {
        let p: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        let before = get_path(old, &p);
        (before != get_path(new, &p)).then(|| get_path(new, &p).cloned())
    };
    match r.kind {
        "Deployment" => {
            if let Some(v) = changed(&["spec", "selector"]) {
                return Err(immutable(r, name, "spec.selector", v.as_ref()));
            }
        }
        "StatefulSet" => {
            if let Some(v) = changed(&["spec", "selector"]) {
                return Err(immutable(r, name, "spec.selector", v.as_ref()));
            }
            let allowed = [
                "replicas",
                "ordinals",
                "template",
                "updateStrategy",
                "persistentVolumeClaimRetentionPolicy",
                "minReadySeconds",
                "revisionHistoryLimit",
            ];
            let rest = |o: &Value| without(&o["spec"], &allowed);
            if rest(old) != rest(new) {
                return Err(invalid(
                    r,
                    name,
                    "spec",
                    "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', \
                     'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and \
                     'minReadySeconds' are forbidden"
                        .into(),
                ));
            }
        }
        "Job" => {
            if let Some(v) = changed(&["spec", "selector"]) {
                return Err(immutable(r, name, "spec.selector", v.as_ref()));
            }
            if let Some(v) = changed(&["spec", "template"]) {
                return Err(immutable(r, name, "spec.template", v.as_ref()));
            }
        }
        "Service" => {
            let before = old["spec"]["clusterIP"].as_str().unwrap_or("");
            let after = new["spec"]["clusterIP"].as_str().unwrap_or("");
            if !before.is_empty() && before != after && new["spec"]["type"] != "ExternalName" {
                return Err(immutable(r, name, "spec.clusterIP", Some(&json!(after))));
            }
        }
        "PersistentVolumeClaim" => {
            let rest = |o: &Value| without(&o["spec"], &["resources", "volumeAttributesClassName"]);
            if rest(old) != rest(new) {
                return Err(invalid(
                    r,
                    name,
                    "spec",
                    "Forbidden: spec is immutable after creation except resources.requests and \
                     volumeAttributesClassName for bound claims"
                        .into(),
                ));
            }
        }
        "ConfigMap" | "Secret" if old["immutable"] == true => {
            for field in ["data", "binaryData", "immutable"] {
                if changed(&[field]).is_some() {
                    return Err(invalid(
                        r,
                        name,
                        field,
                        "Forbidden: field is immutable when `immutable` is set".into(),
                    ));
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// What controllers would do right after a write: workload status and the
/// Deployment revision annotation.
fn controller(r: &Res, old: Option<&Value>, obj: &mut Value, managers: &mut Vec<Manager>) {
    let api_version = r.api_version();
    match r.kind {
        "Deployment" | "StatefulSet" => {
            let replicas = obj["spec"]["replicas"].as_i64().unwrap_or(1);
            let mut status = json!({
                "observedGeneration": obj["metadata"]["generation"],
                "replicas": replicas,
                "updatedReplicas": replicas,
                "readyReplicas": replicas,
                "availableReplicas": replicas,
            });
            if r.kind == "StatefulSet" {
                status["currentReplicas"] = json!(replicas);
                status["collisionCount"] = json!(0);
            }
            if obj["status"] != status {
                obj["status"] = status;
                let fields = owned_paths_of_status(&obj["status"]);
                managers.retain(|m| !(m.name == "kube-controller-manager" && m.subresource == Some("status")));
                take_ownership(managers, "kube-controller-manager", "Update", &api_version, Some("status"), fields);
            }
            if r.kind == "Deployment" {
                let template_changed = old.is_none_or(|o| o["spec"]["template"] != obj["spec"]["template"]);
                let key = "deployment.kubernetes.io/revision";
                let current = obj["metadata"]["annotations"][key].as_str().and_then(|s| s.parse::<u64>().ok());
                let next = match current {
                    None => Some(1),
                    Some(n) if template_changed => Some(n + 1),
                    Some(_) => None,
                };
                if let Some(n) = next {
                    let meta = obj["metadata"].as_object_mut().expect("metadata is an object");
                    child_or_insert(meta, "annotations").insert(key.into(), json!(n.to_string()));
                    let path = vec!["metadata".to_string(), "annotations".into(), key.into()];
                    take_ownership(managers, "kube-controller-manager", "Update", &api_version, None, [path].into());
                }
            }
        }
        _ => {}
    }
}

fn owned_paths_of_status(status: &Value) -> BTreeSet<FieldPath> {
    let mut out = BTreeSet::new();
    leaves(status, &mut vec!["status".to_string()], &mut out);
    out
}

// --- small helpers -----------------------------------------------------------

fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn base64(data: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn now_rfc3339() -> String {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}
