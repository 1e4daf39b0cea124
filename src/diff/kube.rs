//! The live cluster, through kube-rs: discovery, LIST by label selector,
//! GET, and server-side apply with `dryRun=All`. Nothing here can change a
//! cluster: those are the only requests it sends.
//!
//! kube-rs builds the requests (URLs are encoded by its typed API, never
//! formatted here) and carries them; this module owns what a CI gate needs
//! around each one, as kubectl does it: a preflight that names the server
//! and the cause, a timeout that bounds the whole response (headers and
//! every byte of the body), a bound on the body's size, retries of 429 and
//! 503 that say so, the server's `Warning` headers passed on once each,
//! and errors sorted by what the diff does with them (an RBAC 403 falls
//! back, an admission 403 is that object's error).

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::BodyExt as _;
use kube::api::{ApiResource, ListParams, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::Value;

use super::cluster::{Cluster, ClusterError, Conflict, Resource, Served, ServedVersion};

/// The field manager archctl applies as.
pub(crate) const FIELD_MANAGER: &str = "archctl";

/// The most a response body may hold: a LIST of every Deployment of a
/// 10,000-service fleet is ~60 MB.
const MAX_RESPONSE: usize = 256 << 20;

/// The most a kubeconfig may hold.
const MAX_KUBECONFIG: u64 = 16 << 20;

/// Retries of a request the server asked to come back to (429, 503).
const RETRIES: u32 = 3;

/// The longest wait a `Retry-After` may ask for before a retry.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// Something a user should hear about while the diff runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Notice {
    /// A `Warning` header of the API server (PodSecurity, deprecated APIs).
    Warning(String),
    /// A request is retried.
    Retry(String),
}

/// Where notices go (the command layer prints them on stderr).
pub(crate) type Notify = Arc<dyn Fn(&Notice) + Send + Sync>;

/// How to reach the cluster, as kubectl's flags say it.
#[derive(Clone)]
pub(crate) struct ConnectOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// The bound on each request, response body included.
    pub timeout: Duration,
    pub notify: Notify,
}

/// A cluster reached with kube-rs.
pub(crate) struct KubeCluster {
    client: Client,
    /// The API server's URL, for messages.
    pub server: String,
    /// The proxy the requests go through, if any (no credentials in it).
    pub proxy: Option<String>,
    timeout: Duration,
    notify: Notify,
    warned: Mutex<HashSet<String>>,
}

/// A response: its status and its body as read.
struct Response {
    status: u16,
    body: Vec<u8>,
}

/// Reads a kubeconfig, at most [`MAX_KUBECONFIG`] bytes; a parse error
/// names the file and where, never a line of it (it holds credentials).
fn read_kubeconfig(path: &std::path::Path) -> anyhow::Result<Kubeconfig> {
    let text = crate::load::input::read_text(path, MAX_KUBECONFIG)
        .map_err(|e| anyhow::anyhow!("cannot read kubeconfig `{}`: {e}", path.display()))?;
    Kubeconfig::from_yaml(&text).map_err(|e| {
        let e = e.to_string();
        let place = located(&e).map(|(l, c)| format!(" at line {l}, column {c}")).unwrap_or_default();
        anyhow::anyhow!("kubeconfig `{}` is not valid YAML{place}; its contents are not shown", path.display())
    })
}

/// The kubeconfig kubectl would use without `--kubeconfig`: every file of
/// `KUBECONFIG` that exists, merged in order, else `~/.kube/config`; each
/// read bounded and never quoted. None when there is none (in-cluster).
fn read_default_kubeconfig() -> anyhow::Result<Option<Kubeconfig>> {
    let paths: Vec<PathBuf> = match std::env::var_os("KUBECONFIG") {
        Some(v) if !v.is_empty() => std::env::split_paths(&v).filter(|p| !p.as_os_str().is_empty()).collect(),
        _ => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kube/config")).into_iter().collect(),
    };
    let mut merged: Option<Kubeconfig> = None;
    for path in paths.iter().filter(|p| p.exists()) {
        let next = read_kubeconfig(path)?;
        merged = Some(match merged {
            None => next,
            Some(m) => {
                m.merge(next).map_err(|e| anyhow::anyhow!("cannot merge kubeconfig `{}`: {e}", path.display()))?
            }
        });
    }
    Ok(merged)
}

/// The names of the default kubeconfig's contexts (for shell completion):
/// none when it cannot be read.
pub(crate) fn context_names() -> Vec<String> {
    match read_default_kubeconfig() {
        Ok(Some(kc)) => kc.contexts.into_iter().map(|c| c.name).collect(),
        _ => Vec::new(),
    }
}

/// `line N column M` out of a parser's message.
fn located(message: &str) -> Option<(u64, u64)> {
    let number_after = |word: &str| {
        let i = message.find(word)? + word.len();
        let digits: String =
            message[i..].trim_start_matches([' ', ':']).chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<u64>().ok()
    };
    Some((number_after("line")?, number_after("column").unwrap_or(1)))
}

/// The kubeconfig cluster's `proxy-url` for the context in use.
fn kubeconfig_proxy(kc: &Kubeconfig, context: Option<&str>) -> Option<String> {
    let context = context.or(kc.current_context.as_deref())?;
    let ctx = kc.contexts.iter().find(|c| c.name == context)?.context.as_ref()?;
    let cluster = kc.clusters.iter().find(|c| c.name == ctx.cluster)?.cluster.as_ref()?;
    cluster.proxy_url.clone()
}

/// A URL with any user-info masked, for messages.
pub(crate) fn masked(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((user, host)) if !user.contains('/') => {
                let name = user.split(':').next().unwrap_or("");
                format!("{scheme}://{name}:***@{host}")
            }
            _ => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// The chain of an error's causes on one line.
fn causes(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !text.contains(&s_text) {
            text.push_str(": ");
            text.push_str(&s_text);
        }
        source = s.source();
    }
    text
}

/// Why a connection failed, in a user's words.
fn connection_cause(detail: &str) -> String {
    let d = detail.to_ascii_lowercase();
    if d.contains("connection refused") {
        "connection refused (nothing listens there: is the cluster running, is this the right context?)".into()
    } else if d.contains("dns error") || d.contains("failed to lookup") || d.contains("name or service not known") {
        format!("the host name does not resolve ({detail})")
    } else if d.contains("certificate") || d.contains("tls") || d.contains("handshake") {
        format!("TLS failed: {detail} (check the kubeconfig's certificate-authority)")
    } else if d.contains("proxy") || d.contains("tunnel") {
        format!("the proxy failed: {detail}")
    } else {
        detail.to_string()
    }
}

impl KubeCluster {
    /// Connects like kubectl: `--kubeconfig`, else `KUBECONFIG`, else
    /// `~/.kube/config`, else the in-cluster service account; `--context`
    /// picks a context; proxies as kubectl picks them. Then a preflight
    /// (`GET /version`) fails fast with the server and the cause.
    pub(crate) async fn connect(opts: &ConnectOptions) -> anyhow::Result<KubeCluster> {
        // one TLS provider for the process, whatever else enables another
        let _ = rustls::crypto::ring::default_provider().install_default();
        let kopts = KubeConfigOptions { context: opts.context.clone(), ..Default::default() };
        let loaded = match &opts.kubeconfig {
            Some(path) => Some(read_kubeconfig(path)?),
            None => read_default_kubeconfig()?,
        };
        let (mut config, proxy_url) = match loaded {
            Some(kc) => {
                if let Some(name) = &opts.context
                    && !kc.contexts.iter().any(|c| &c.name == name)
                {
                    let known: Vec<&str> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
                    anyhow::bail!(
                        "the kubeconfig has no context `{name}`; known contexts: {}",
                        if known.is_empty() { "none".to_string() } else { known.join(", ") }
                    );
                }
                let proxy = kubeconfig_proxy(&kc, opts.context.as_deref());
                let config = Config::from_custom_kubeconfig(kc, &kopts)
                    .await
                    .map_err(|e| anyhow::anyhow!("cannot use the kubeconfig: {}", causes(&e)))?;
                (config, proxy)
            }
            None if opts.context.is_some() => anyhow::bail!("--context needs a kubeconfig; none was found"),
            None => (
                Config::incluster().map_err(|e| {
                    anyhow::anyhow!(
                        "no cluster configured ({e}); set KUBECONFIG or pass --kubeconfig, or use --against PATH"
                    )
                })?,
                None,
            ),
        };
        let server = config.cluster_url.to_string().trim_end_matches('/').to_string();
        let proxy = super::proxy::choose(proxy_url.as_deref(), &config.cluster_url, &|k| std::env::var(k).ok());
        config.proxy_url = match &proxy {
            Some(p) => Some(p.parse().map_err(|e| anyhow::anyhow!("the proxy URL `{}` is not a URL: {e}", masked(p)))?),
            None => None,
        };
        // retries are ours: they say so on stderr and count against the
        // deadline (kube-rs would retry 429/503 silently, up to 15 times)
        config.default_retry = false;
        // the whole exchange is bounded in `attempt`; kube-rs's own read
        // timeout would end a slow request as a broken connection
        config.connect_timeout = Some(opts.timeout.min(Duration::from_secs(10)));
        config.read_timeout = None;
        config.write_timeout = None;
        config.headers.push((
            http::header::USER_AGENT,
            http::HeaderValue::from_static(concat!("archctl/", env!("CARGO_PKG_VERSION"))),
        ));
        let client = Client::try_from(config)
            .map_err(|e| anyhow::anyhow!("cannot set up a client for {server}: {}", causes(&e)))?;
        let cluster = KubeCluster {
            client,
            server,
            proxy: proxy.as_deref().map(masked),
            timeout: opts.timeout,
            notify: opts.notify.clone(),
            warned: Mutex::new(HashSet::new()),
        };
        cluster.preflight().await?;
        Ok(cluster)
    }

    /// `GET /version`: one request that tells an unreachable server, a
    /// wrong certificate or bad credentials apart before any real work.
    async fn preflight(&self) -> anyhow::Result<()> {
        let via = self.proxy.as_ref().map(|p| format!(" through the proxy {p}")).unwrap_or_default();
        let request = http::Request::get("/version").body(Vec::new())?;
        match self.send(request, "GET /version", false).await {
            Ok(_) => Ok(()),
            Err(ClusterError::Unauthorized(m)) => {
                anyhow::bail!("the API server at {}{via} refused the credentials: {m}", self.server)
            }
            Err(ClusterError::Forbidden(m) | ClusterError::Denied(m)) => {
                anyhow::bail!("the API server at {}{via} forbids even `GET /version`: {m}", self.server)
            }
            Err(ClusterError::Timeout(_)) => anyhow::bail!(
                "the API server at {}{via} did not answer within {} s (--request-timeout)",
                self.server,
                self.timeout.as_secs()
            ),
            Err(e) => anyhow::bail!("cannot reach the API server at {}{via}: {e}", self.server),
        }
    }

    /// Passes a `Warning` header on, once per distinct message.
    fn warn(&self, header: &http::HeaderValue) {
        let Ok(text) = header.to_str() else { return };
        // `299 - "text"` (RFC 7234), the text quoted with `\"` escapes
        let text = match text.find('"') {
            Some(i) => {
                let quoted = &text[i + 1..];
                let end = quoted.rfind('"').unwrap_or(quoted.len());
                quoted[..end].replace("\\\"", "\"").replace("\\\\", "\\")
            }
            None => text.to_string(),
        };
        if self.warned.lock().map(|mut seen| seen.insert(text.clone())).unwrap_or(false) {
            (self.notify)(&Notice::Warning(text));
        }
    }

    /// One attempt: the whole response within the timeout, its body
    /// bounded.
    async fn attempt(&self, request: http::Request<Vec<u8>>) -> Result<(Response, Option<Duration>), ClusterError> {
        let exchange = async {
            let response = self
                .client
                .send(request.map(kube::client::Body::from))
                .await
                .map_err(|e| ClusterError::Unreachable(connection_cause(&causes(&e))))?;
            for w in response.headers().get_all("warning") {
                self.warn(w);
            }
            let retry_after = response
                .headers()
                .get(http::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let status = response.status().as_u16();
            let mut body = response.into_body();
            let mut bytes = Vec::new();
            while let Some(frame) = body.frame().await {
                let frame =
                    frame.map_err(|e| ClusterError::Unreachable(format!("the answer broke off: {}", causes(&e))))?;
                if let Ok(data) = frame.into_data() {
                    if bytes.len() + data.len() > MAX_RESPONSE {
                        return Err(ClusterError::Rejected(format!(
                            "the answer is larger than {} MiB; narrow the diff with -n",
                            MAX_RESPONSE >> 20
                        )));
                    }
                    bytes.extend_from_slice(&data);
                }
            }
            Ok((Response { status, body: bytes }, retry_after))
        };
        match tokio::time::timeout(self.timeout, exchange).await {
            Ok(r) => r,
            Err(_) => Err(ClusterError::Timeout(format!(
                "no complete answer within {} s (--request-timeout)",
                self.timeout.as_secs()
            ))),
        }
    }

    /// Sends a request, retrying what the server asked to retry, and
    /// returns a 2xx body or the error the answer means.
    async fn send(&self, request: http::Request<Vec<u8>>, what: &str, read: bool) -> Result<Vec<u8>, ClusterError> {
        let mut tries = 0;
        loop {
            let copy = {
                let mut b = http::Request::builder().method(request.method().clone()).uri(request.uri().clone());
                for (k, v) in request.headers() {
                    b = b.header(k, v);
                }
                b.body(request.body().clone()).map_err(|e| ClusterError::Rejected(e.to_string()))?
            };
            let (response, retry_after) = self.attempt(copy).await.map_err(|e| match e {
                ClusterError::Unreachable(m) => ClusterError::Unreachable(format!("{what}: {m}")),
                ClusterError::Timeout(m) => ClusterError::Timeout(format!("{what}: {m}")),
                other => other,
            })?;
            if (200..300).contains(&response.status) {
                return Ok(response.body);
            }
            let status: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
            let retryable = response.status == 429 || response.status == 503 || read && response.status == 504;
            if retryable && tries < RETRIES {
                tries += 1;
                let wait = retry_after.unwrap_or(Duration::from_secs(1 << (tries - 1))).min(MAX_RETRY_AFTER);
                (self.notify)(&Notice::Retry(format!(
                    "{what}: the server answered {} ({}); retry {tries} of {RETRIES} in {} s",
                    response.status,
                    message_of(&status, &response.body),
                    wait.as_secs()
                )));
                tokio::time::sleep(wait).await;
                continue;
            }
            return Err(classify(response.status, &status, &response.body, what));
        }
    }

    /// Sends and reads the answer as JSON.
    async fn json(&self, request: http::Request<Vec<u8>>, what: &str, read: bool) -> Result<Value, ClusterError> {
        let body = self.send(request, what, read).await?;
        serde_json::from_slice(&body)
            .map_err(|e| ClusterError::Rejected(format!("{what}: the answer is not JSON: {e}")))
    }
}

/// The text of an error answer: a `Status` message, or the plain body.
fn message_of(status: &Value, body: &[u8]) -> String {
    match status["message"].as_str().filter(|m| !m.is_empty()).or(status["reason"].as_str()) {
        Some(m) => m.to_string(),
        None => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            let short: String = text.chars().take(200).collect();
            if short.is_empty() { "no message".to_string() } else { short }
        }
    }
}

/// Whether a 403 comes from RBAC (the authoriser), not from admission.
/// The authoriser says `User "x" cannot <verb> resource "r" …`; admission
/// webhooks, quotas and terminating namespaces say otherwise.
fn is_rbac(message: &str) -> bool {
    message.contains(" cannot ") && (message.contains("resource \"") || message.contains("path \""))
}

/// Sorts an error answer into what the diff acts on.
fn classify(code: u16, status: &Value, body: &[u8], what: &str) -> ClusterError {
    let reason = status["reason"].as_str().unwrap_or("");
    let msg = message_of(status, body);
    // the server quotes the whole rejected value; the diff shows it
    let msg = match msg.find("Invalid value: {") {
        Some(i) => {
            let tail = msg.rfind("}: ").map(|j| &msg[j + 1..]).unwrap_or("");
            format!("{}Invalid value{tail}", &msg[..i])
        }
        None => msg,
    };
    match code {
        401 => ClusterError::Unauthorized(format!(
            "{what}: the cluster rejected the credentials ({msg}); log in again or refresh the token"
        )),
        403 if is_rbac(&msg) => ClusterError::Forbidden(format!("{what}: forbidden: {msg}")),
        403 => ClusterError::Denied(format!("{what}: denied: {msg}")),
        404 if msg.contains("namespaces \"") && msg.contains("not found") => ClusterError::NamespaceMissing(msg),
        // a kind the server does not serve: `404 page not found` as plain
        // text (not a Status) up to 1.37, or a Status without details
        404 if !status.is_object()
            || msg.contains("could not find the requested resource")
            || reason == "NotFound" && status["details"].is_null() =>
        {
            ClusterError::UnknownKind(format!("{what}: the cluster does not serve this kind"))
        }
        404 => ClusterError::NotFound(msg),
        409 if status["details"]["causes"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["reason"] == "FieldManagerConflict")) =>
        {
            ClusterError::Conflict { message: msg, conflicts: conflicts(status) }
        }
        // "field is immutable", and statefulsets' "Forbidden: updates to
        // statefulset spec for fields other than …"
        422 if msg.contains("immutable") || msg.contains("Forbidden: updates to") => ClusterError::Immutable(msg),
        _ => ClusterError::Rejected(format!("{what}: {msg} ({code} {reason})")),
    }
}

/// The managers and fields of a 409 apply conflict. Each cause reads
/// `conflict with "kubectl-edit" using apps/v1` with the field beside it.
fn conflicts(status: &Value) -> Vec<Conflict> {
    let mut out = Vec::new();
    for c in status["details"]["causes"].as_array().into_iter().flatten() {
        let message = c["message"].as_str().unwrap_or("");
        let manager = message.split('"').nth(1).unwrap_or("another manager").to_string();
        let field = c["field"].as_str().unwrap_or("").to_string();
        out.push(Conflict { manager, field });
    }
    out
}

/// The served kinds of an aggregated discovery document
/// (`apidiscovery.k8s.io/v2` `APIGroupDiscoveryList`).
fn aggregated(doc: &Value, served: &mut Served) {
    for group in doc["items"].as_array().into_iter().flatten() {
        let name = group["metadata"]["name"].as_str().unwrap_or("");
        for version in group["versions"].as_array().into_iter().flatten() {
            let v = version["version"].as_str().unwrap_or("");
            for r in version["resources"].as_array().into_iter().flatten() {
                let (Some(plural), Some(kind)) = (r["resource"].as_str(), r["responseKind"]["kind"].as_str()) else {
                    continue;
                };
                served.kinds.entry((name.to_string(), kind.to_string())).or_default().push(ServedVersion {
                    version: v.to_string(),
                    plural: plural.to_string(),
                    namespaced: r["scope"] == "Namespaced",
                });
            }
        }
    }
}

/// The served kinds of one legacy `APIResourceList`.
fn legacy(group: &str, version: &str, doc: &Value, served: &mut Served) {
    for r in doc["resources"].as_array().into_iter().flatten() {
        let (Some(plural), Some(kind)) = (r["name"].as_str(), r["kind"].as_str()) else { continue };
        if plural.contains('/') {
            continue; // a subresource
        }
        served.kinds.entry((group.to_string(), kind.to_string())).or_default().push(ServedVersion {
            version: version.to_string(),
            plural: plural.to_string(),
            namespaced: r["namespaced"].as_bool().unwrap_or(true),
        });
    }
}

/// A resource name from discovery that is safe in a URL path.
fn safe_segment(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && s != "."
        && s != ".."
}

const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";

impl Cluster for KubeCluster {
    async fn discover(&self) -> Result<Option<Served>, ClusterError> {
        let mut served = Served::default();
        for path in ["/api", "/apis"] {
            let request = http::Request::get(path)
                .header(http::header::ACCEPT, AGGREGATED)
                .body(Vec::new())
                .map_err(|e| ClusterError::Rejected(e.to_string()))?;
            let doc = self.json(request, &format!("discovery ({path})"), true).await?;
            if doc["kind"] == "APIGroupDiscoveryList" {
                aggregated(&doc, &mut served);
                continue;
            }
            // a server without aggregated discovery (before 1.26): one
            // request per group version
            let versions: Vec<(String, String, String)> = if path == "/api" {
                doc["versions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .map(|v| (String::new(), v.to_string(), format!("/api/{v}")))
                    .collect()
            } else {
                let mut out = Vec::new();
                for g in doc["groups"].as_array().into_iter().flatten() {
                    let name = g["name"].as_str().unwrap_or("").to_string();
                    let preferred = g["preferredVersion"]["version"].as_str().unwrap_or("");
                    let mut vs: Vec<&str> =
                        g["versions"].as_array().into_iter().flatten().filter_map(|v| v["version"].as_str()).collect();
                    vs.sort_by_key(|v| *v != preferred);
                    for v in vs {
                        if safe_segment(&name) && safe_segment(v) {
                            out.push((name.clone(), v.to_string(), format!("/apis/{name}/{v}")));
                        }
                    }
                }
                out
            };
            for (group, version, url) in versions {
                let request = http::Request::get(url.as_str())
                    .body(Vec::new())
                    .map_err(|e| ClusterError::Rejected(e.to_string()))?;
                match self.json(request, &format!("discovery ({url})"), true).await {
                    Ok(doc) => legacy(&group, &version, &doc, &mut served),
                    Err(e) if e.is_fatal() => return Err(e),
                    Err(_) => {} // an aggregated API that is down: its kinds count as not served
                }
            }
        }
        // names that reach URLs must be plain
        for versions in served.kinds.values_mut() {
            versions.retain(|v| safe_segment(&v.plural) && safe_segment(&v.version));
        }
        served.kinds.retain(|_, v| !v.is_empty());
        Ok(Some(served))
    }

    async fn list(&self, kind: &Resource, namespace: Option<&str>, selector: &str) -> Result<Vec<Value>, ClusterError> {
        let what = match namespace {
            Some(ns) => format!("list {} in {ns}", kind.plural),
            None => format!("list {}", kind.plural),
        };
        let request = kube::core::Request::new(resource_url(kind, namespace))
            .list(&ListParams::default().labels(selector))
            .map_err(|e| ClusterError::Rejected(format!("{what}: {e}")))?;
        let mut list = self.json(request, &what, true).await.map_err(|e| match e {
            // a list that 404s means the kind is not served
            ClusterError::NotFound(m) => ClusterError::UnknownKind(m),
            other => other,
        })?;
        match list.get_mut("items").map(Value::take) {
            Some(Value::Array(items)) => Ok(items.into_iter().map(|o| typed(kind, o)).collect()),
            Some(Value::Null) | None => Ok(Vec::new()),
            Some(_) => Err(ClusterError::Rejected(format!("{what}: the answer's `items` is not a list"))),
        }
    }

    async fn get(&self, kind: &Resource, namespace: Option<&str>, name: &str) -> Result<Option<Value>, ClusterError> {
        let what = format!("get {} {name}", kind.plural);
        let request = kube::core::Request::new(resource_url(kind, namespace))
            .get(name, &Default::default())
            .map_err(|e| ClusterError::Rejected(format!("{what}: {e}")))?;
        match self.json(request, &what, true).await {
            Ok(o) => Ok(Some(typed(kind, o))),
            // `namespaces "x" not found`: the object cannot exist either
            Err(ClusterError::NotFound(_) | ClusterError::NamespaceMissing(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn dry_run_apply(&self, kind: &Resource, object: &Value, force: bool) -> Result<Option<Value>, ClusterError> {
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        let namespace = object["metadata"]["namespace"].as_str();
        let mut params = PatchParams::apply(FIELD_MANAGER).dry_run();
        if force {
            params = params.force();
        }
        let request = kube::core::Request::new(resource_url(kind, namespace))
            .patch(name, &params, &Patch::Apply(object))
            .map_err(|e| ClusterError::Rejected(format!("dry-run apply: {e}")))?;
        self.json(request, "dry-run apply", true).await.map(|o| Some(typed(kind, o)))
    }
}

/// The collection URL of a kind, built by kube-rs (which encodes it).
fn resource_url(kind: &Resource, namespace: Option<&str>) -> String {
    let ar = ApiResource {
        group: kind.group.clone(),
        version: kind.version.clone(),
        api_version: kind.api_version(),
        kind: kind.kind.clone(),
        plural: kind.plural.clone(),
    };
    let ns = if kind.namespaced { namespace } else { None };
    <kube::api::DynamicObject as kube::Resource>::url_path(&ar, ns)
}

/// `v` with the `apiVersion` and `kind` of `kind` (list items have none).
fn typed(kind: &Resource, mut v: Value) -> Value {
    if let Some(m) = v.as_object_mut() {
        m.insert("apiVersion".into(), Value::String(kind.api_version()));
        m.insert("kind".into(), Value::String(kind.kind.clone()));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rbac_403s_are_told_from_admission_403s() {
        let rbac = json!({"kind": "Status", "code": 403, "reason": "Forbidden",
            "message": "deployments.apps \"a\" is forbidden: User \"viewer\" cannot patch resource \"deployments\" in API group \"apps\" in the namespace \"n\""});
        assert!(matches!(classify(403, &rbac, b"", "x"), ClusterError::Forbidden(_)));
        for message in [
            "admission webhook \"validate.kyverno.svc\" denied the request: policy require-labels",
            "configmaps \"c\" is forbidden: exceeded quota: q, requested: count/configmaps=1, used: count/configmaps=1, limited: count/configmaps=1",
            "unable to create new content in namespace n because it is being terminated",
        ] {
            let s = json!({"kind": "Status", "code": 403, "reason": "Forbidden", "message": message});
            match classify(403, &s, b"", "dry-run apply") {
                ClusterError::Denied(m) => assert!(m.contains(message), "{m}"),
                other => panic!("{message}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_plain_text_404_means_an_unserved_kind() {
        assert!(matches!(classify(404, &Value::Null, b"404 page not found", "x"), ClusterError::UnknownKind(_)));
        let missing = json!({"kind": "Status", "code": 404, "reason": "NotFound", "message": "deployments.apps \"a\" not found",
                             "details": {"name": "a", "group": "apps", "kind": "deployments"}});
        assert!(matches!(classify(404, &missing, b"", "x"), ClusterError::NotFound(_)));
    }

    #[test]
    fn apply_conflicts_name_managers_and_fields() {
        let s = json!({"kind": "Status", "code": 409, "reason": "Conflict", "message": "Apply failed with 1 conflict: conflict with \"kubectl-scale\" using apps/v1: .spec.replicas",
            "details": {"causes": [{"reason": "FieldManagerConflict", "message": "conflict with \"kubectl-scale\" using apps/v1", "field": ".spec.replicas"}]}});
        match classify(409, &s, b"", "x") {
            ClusterError::Conflict { conflicts, .. } => {
                assert_eq!(conflicts, [Conflict { manager: "kubectl-scale".into(), field: ".spec.replicas".into() }])
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn discovery_documents_list_served_kinds_preferred_first() {
        let doc = json!({"kind": "APIGroupDiscoveryList", "items": [{"metadata": {"name": "external-secrets.io"}, "versions": [
            {"version": "v1", "resources": [{"resource": "externalsecrets", "responseKind": {"kind": "ExternalSecret"}, "scope": "Namespaced"}]},
            {"version": "v1beta1", "resources": [{"resource": "externalsecrets", "responseKind": {"kind": "ExternalSecret"}, "scope": "Namespaced"},
                                                  {"resource": "bad/one", "responseKind": {"kind": "Bad"}, "scope": "Namespaced"}]}]}]});
        let mut served = Served::default();
        aggregated(&doc, &mut served);
        let versions: Vec<&str> =
            served.versions("external-secrets.io", "ExternalSecret").iter().map(|v| v.version.as_str()).collect();
        assert_eq!(versions, ["v1", "v1beta1"]);
        assert_eq!(served.preferred("external-secrets.io", "ExternalSecret").unwrap().version, "v1");
        assert!(!safe_segment("bad/one") && !safe_segment("..") && safe_segment("externalsecrets"));
    }

    #[test]
    fn urls_keep_their_credentials_out_of_messages() {
        assert_eq!(masked("http://user:secret@proxy:3128"), "http://user:***@proxy:3128");
        assert_eq!(masked("http://proxy:3128"), "http://proxy:3128");
    }

    #[test]
    fn parse_errors_are_located_without_quoting() {
        assert_eq!(located("invalid type at line 3 column 7"), Some((3, 7)));
        assert_eq!(located("no place"), None);
    }
}
