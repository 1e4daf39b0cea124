//! Faults a real API server cannot produce on demand, injected by small
//! proxies placed in front of it:
//!
//! - [`FaultProxy`]: a plain-HTTP/1.1 reverse proxy on 127.0.0.1 that forwards
//!   every request to an upstream HTTPS API server (verified against a CA
//!   file) and streams the answer back, unless told to add latency, answer
//!   itself with an error `Status` (429 with `Retry-After`, 5xx, ...), accept
//!   and never answer, or trickle the body back one byte at a time;
//! - [`ConnectProxy`]: an HTTP `CONNECT` proxy that tunnels every CONNECT,
//!   whatever host it names, to one fixed address, and records the hosts.
//!
//! Both run on a tokio runtime of their own in a background thread, so that
//! synchronous tests can use them; faults are set from the test thread at any
//! time; dropping a proxy stops it (its port is closed and every connection it
//! holds, hung ones included, is closed before `drop` returns).
//!
//! Good to know:
//! - kube-rs sends a kubeconfig's bearer token to an `http://` server, but
//!   kubectl (client-go) drops the credentials for one: give kubectl a proxy
//!   built with [`FaultProxyBuilder::token`].
//! - kube-rs 5 retries 429, 503 and 504 by itself (up to 15 times, honouring
//!   `Retry-After`): a `fail_next` budget smaller than that goes unnoticed by
//!   the caller, except in time and in [`FaultProxy::requests`].
//! - HTTP/1.1 only on both sides, no protocol upgrades (exec, attach,
//!   port-forward); watches and other streamed answers pass through.
//!
//! ```text
//! let proxy = FaultProxy::start("https://127.0.0.1:6443", &dir.join("ca.crt"));
//! let kubeconfig = proxy.kubeconfig_through(&dir.join("kubeconfig"), "admin-token");
//! proxy.fail_next(2, 429, Some(1), "/apis/apps/v1");   // two 429s, then forward
//! proxy.set_latency(Duration::from_millis(200));
//! // ... run `archctl diff --kubeconfig ...` ...
//! assert!(proxy.requests().iter().any(|r| r.fault == Some(Fault::Fail(429))));
//! proxy.clear();
//! ```

use std::convert::Infallible;
use std::future::Future;
use std::net::{SocketAddr, TcpListener as StdTcpListener};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::thread::JoinHandle;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::{Body, Frame, Incoming, SizeHint};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode, Uri};
use hyper_rustls::{FixedServerNameResolver, HttpsConnector};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type ProxyBody = BoxBody<Bytes, BoxError>;
type Upstream = Client<HttpsConnector<HttpConnector>, Incoming>;

/// What the proxy did with a request instead of (or on top of) forwarding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Answered by the proxy itself with this status (see [`FaultProxy::fail_next`]).
    Fail(u16),
    /// Accepted and never answered (see [`FaultProxy::hang`]).
    Hang,
    /// Forwarded, the body sent back one byte at a time (see [`FaultProxy::trickle`]).
    Trickle,
}

/// One request the proxy received, logged on arrival (before any latency).
#[derive(Clone, Debug)]
pub struct Req {
    pub method: String,
    pub path: String,
    /// The raw query string, without the `?`.
    pub query: Option<String>,
    pub user_agent: Option<String>,
    /// Every request header, names in lower case, in order.
    pub headers: Vec<(String, String)>,
    /// `None` when the request was forwarded as is (latency aside).
    pub fault: Option<Fault>,
}

impl Req {
    /// The first value of a query parameter, percent-decoded.
    pub fn param(&self, name: &str) -> Option<String> {
        self.query.as_deref()?.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k) == name).then(|| percent_decode(v))
        })
    }

    /// The first value of a header (the name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'%' => match (b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

struct FailRule {
    remaining: usize,
    status: u16,
    retry_after: Option<u64>,
    path_contains: String,
}

#[derive(Default)]
struct Faults {
    latency: Duration,
    fail: Vec<FailRule>,
    hang: Vec<String>,
    trickle: Vec<(String, Duration)>,
}

enum Action {
    Forward,
    Fail { status: u16, retry_after: Option<u64> },
    Hang,
    Trickle(Duration),
}

impl Faults {
    /// Decides, on arrival, what to do with a request whose target
    /// (`path?query`) is `target`; consumes one of a `fail_next` budget.
    fn decide(&mut self, target: &str) -> Action {
        if let Some(rule) = self.fail.iter_mut().find(|r| r.remaining > 0 && target.contains(&r.path_contains)) {
            rule.remaining -= 1;
            let action = Action::Fail { status: rule.status, retry_after: rule.retry_after };
            self.fail.retain(|r| r.remaining > 0);
            return action;
        }
        if self.hang.iter().any(|p| target.contains(p.as_str())) {
            return Action::Hang;
        }
        if let Some((_, interval)) = self.trickle.iter().find(|(p, _)| target.contains(p.as_str())) {
            return Action::Trickle(*interval);
        }
        Action::Forward
    }
}

#[derive(Default)]
struct Shared {
    faults: Mutex<Faults>,
    requests: Mutex<Vec<Req>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Counts a request as being handled from its arrival until its response
/// body has been sent (or the client went away, or the proxy stopped).
struct InFlight(Arc<Shared>);

impl InFlight {
    fn new(shared: &Arc<Shared>) -> InFlight {
        let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight(shared.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response body that keeps its request counted as in flight.
struct Tracked {
    body: ProxyBody,
    _in_flight: InFlight,
}

impl Body for Tracked {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A tokio runtime on a thread of its own, serving one listener until dropped.
struct Background {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Background {
    fn start<F, Fut>(name: &str, listener: StdTcpListener, serve: F) -> Background
    where
        F: FnOnce(TcpListener) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + 'static,
    {
        listener.set_nonblocking(true).expect("set the listener non-blocking");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
                rt.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("register the listener");
                    tokio::select! {
                        _ = serve(listener) => {}
                        _ = stopped => {}
                    }
                });
                // Dropping the runtime drops every connection task: hung and
                // trickling requests are cut, their sockets closed.
                drop(rt);
            })
            .expect("spawn the proxy thread");
        Background { stop: Some(stop), thread: Some(thread) }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn bind_local() -> (StdTcpListener, SocketAddr) {
    let listener = StdTcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("the listener's address");
    (listener, addr)
}

/// How to reach and trust the upstream API server; see [`FaultProxy::builder`].
pub struct FaultProxyBuilder {
    upstream: String,
    ca: Option<PathBuf>,
    server_name: Option<String>,
    identity: Option<(PathBuf, PathBuf)>,
    token: Option<String>,
}

impl FaultProxyBuilder {
    /// Trusts only the CA certificates (PEM) in this file for the upstream.
    pub fn ca(mut self, ca: &Path) -> Self {
        self.ca = Some(ca.to_owned());
        self
    }

    /// Presents this SNI name and verifies the upstream certificate against
    /// it (`localhost`, `kubernetes`, or an IP such as `127.0.0.1`) instead of
    /// the upstream URL's host.
    pub fn server_name(mut self, name: &str) -> Self {
        self.server_name = Some(name.to_owned());
        self
    }

    /// Authenticates to the upstream with this client certificate and key
    /// (PEM files): every forwarded request then carries that identity, on
    /// top of whatever `Authorization` header the client sent.
    pub fn client_identity(mut self, cert: &Path, key: &Path) -> Self {
        self.identity = Some((cert.to_owned(), key.to_owned()));
        self
    }

    /// Adds `Authorization: Bearer TOKEN` to the forwarded requests that
    /// carry no `Authorization` header. Needed for kubectl: client-go drops
    /// a kubeconfig's credentials when the server is `http://` (kube-rs
    /// sends them). The request log shows the requests as received.
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    pub fn start(self) -> FaultProxy {
        let token = self
            .token
            .as_deref()
            .map(|token| HeaderValue::from_str(&format!("Bearer {token}")).expect("a token fit for an HTTP header"));
        let base = self.upstream.trim_end_matches('/').to_owned();
        let uri: Uri = base.parse().unwrap_or_else(|e| panic!("upstream {base:?} is not a URL: {e}"));
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => panic!("upstream {base:?}: the scheme must be https or http"),
        };
        assert!(uri.host().is_some(), "upstream {base:?} has no host");

        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS protocol versions");
        let builder = match &self.ca {
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(ca)
                    .and_then(|certs| certs.collect())
                    .unwrap_or_else(|e| panic!("cannot read the CA file {}: {e}", ca.display()));
                assert!(!certs.is_empty(), "no certificate in the CA file {}", ca.display());
                for cert in certs {
                    roots.add(cert).unwrap_or_else(|e| panic!("a bad CA certificate in {}: {e}", ca.display()));
                }
                builder.with_root_certificates(roots)
            }
            None => {
                // A plain http:// upstream: TLS is never used.
                assert!(!https, "upstream {base:?}: an https upstream needs a CA file");
                builder.with_root_certificates(rustls::RootCertStore::empty())
            }
        };
        let tls = match &self.identity {
            Some((cert, key)) => {
                let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
                    .and_then(|certs| certs.collect())
                    .unwrap_or_else(|e| panic!("cannot read the client certificate {}: {e}", cert.display()));
                let key = PrivateKeyDer::from_pem_file(key)
                    .unwrap_or_else(|e| panic!("cannot read the client key {}: {e}", key.display()));
                builder.with_client_auth_cert(chain, key).expect("a usable client certificate and key")
            }
            None => builder.with_no_client_auth(),
        };

        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let connector = hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(tls).https_or_http();
        let connector = match &self.server_name {
            Some(name) => {
                let name = ServerName::try_from(name.clone())
                    .unwrap_or_else(|e| panic!("{name:?} is not a TLS server name: {e}"));
                connector.with_server_name_resolver(FixedServerNameResolver::new(name))
            }
            None => connector,
        };
        let connector = connector.enable_http1().wrap_connector(http);

        let shared = Arc::new(Shared::default());
        let (listener, addr) = bind_local();
        let bg = Background::start("fault-proxy", listener, {
            let shared = shared.clone();
            move |listener| serve_proxy(listener, shared, connector, Arc::new(Target { base, token }))
        });
        FaultProxy { shared, addr, _bg: bg }
    }
}

/// A fault-injecting HTTP/1.1 reverse proxy in front of an API server; see
/// the module documentation.
pub struct FaultProxy {
    shared: Arc<Shared>,
    addr: SocketAddr,
    _bg: Background,
}

impl FaultProxy {
    /// A proxy to `upstream` (`https://127.0.0.1:6443`), trusting the CA
    /// certificates in `ca` and verifying the upstream's certificate against
    /// the URL's host. See [`FaultProxy::builder`] for another server name or
    /// a client certificate.
    pub fn start(upstream: &str, ca: &Path) -> FaultProxy {
        FaultProxy::builder(upstream).ca(ca).start()
    }

    /// A proxy to `upstream`, to be configured further (a plain `http://`
    /// upstream needs no CA).
    pub fn builder(upstream: &str) -> FaultProxyBuilder {
        FaultProxyBuilder { upstream: upstream.to_owned(), ca: None, server_name: None, identity: None, token: None }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Delays every request by `latency` before it is forwarded (or failed).
    pub fn set_latency(&self, latency: Duration) {
        lock(&self.shared.faults).latency = latency;
    }

    /// Answers the next `n` requests whose `path?query` contains
    /// `path_contains` ("" matches all) with `status` and an API server
    /// `Status` body, with a `Retry-After` header when given, without
    /// forwarding them. Budgets add up: rules are tried in the order set.
    pub fn fail_next(&self, n: usize, status: u16, retry_after: Option<u64>, path_contains: &str) {
        assert!(StatusCode::from_u16(status).is_ok(), "{status} is not an HTTP status");
        if n > 0 {
            lock(&self.shared.faults).fail.push(FailRule {
                remaining: n,
                status,
                retry_after,
                path_contains: path_contains.to_owned(),
            });
        }
    }

    /// Accepts the requests whose `path?query` contains `path_contains` and
    /// never answers them: the connection stays open until the client goes
    /// away or the proxy is dropped.
    pub fn hang(&self, path_contains: &str) {
        lock(&self.shared.faults).hang.push(path_contains.to_owned());
    }

    /// Forwards the requests whose `path?query` contains `path_contains`,
    /// sends the response head back at once and the body one byte per
    /// `interval` (a pause before each byte).
    pub fn trickle(&self, path_contains: &str, interval: Duration) {
        lock(&self.shared.faults).trickle.push((path_contains.to_owned(), interval));
    }

    /// Removes every fault and the latency (requests already hanging or
    /// trickling carry on).
    pub fn clear(&self) {
        *lock(&self.shared.faults) = Faults::default();
    }

    /// Every request received since the last [`FaultProxy::clear_requests`], in
    /// order of arrival.
    pub fn requests(&self) -> Vec<Req> {
        lock(&self.shared.requests).clone()
    }

    /// Empties the request log and restarts [`FaultProxy::max_in_flight`] from the
    /// requests being handled now.
    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
        self.shared.max_in_flight.store(self.shared.in_flight.load(Ordering::SeqCst), Ordering::SeqCst);
    }

    /// The requests being handled now (arrived, response body not yet sent).
    pub fn in_flight(&self) -> usize {
        self.shared.in_flight.load(Ordering::SeqCst)
    }

    /// The most requests handled at once since the last `clear_requests()`.
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// Writes a kubeconfig at `path` whose current context ("fault-proxy",
    /// namespace "default") reaches the API server through this proxy over
    /// plain HTTP with the bearer `token`; returns `path`.
    pub fn kubeconfig_through(&self, path: &Path, token: &str) -> PathBuf {
        let text = format!(
            "apiVersion: v1\nkind: Config\n\
             clusters:\n- name: fault-proxy\n  cluster:\n    server: {}\n\
             users:\n- name: fault-proxy\n  user:\n    token: {}\n\
             contexts:\n- name: fault-proxy\n  context:\n    cluster: fault-proxy\n    user: fault-proxy\n\
             \x20   namespace: default\n\
             current-context: fault-proxy\npreferences: {{}}\n",
            self.url(),
            serde_json::Value::String(token.to_owned()),
        );
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the kubeconfig's folder");
        }
        std::fs::write(path, text).expect("write the kubeconfig");
        path.to_owned()
    }
}

/// Where forwarded requests go.
struct Target {
    /// The upstream URL without a trailing `/`.
    base: String,
    /// `Bearer TOKEN` for requests without an `Authorization` header.
    token: Option<HeaderValue>,
}

async fn serve_proxy(
    listener: TcpListener,
    shared: Arc<Shared>,
    connector: HttpsConnector<HttpConnector>,
    to: Arc<Target>,
) {
    let client: Upstream = Client::builder(TokioExecutor::new()).build(connector);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of descriptors or a reset before accept: try again.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let (shared, client, to) = (shared.clone(), client.clone(), to.clone());
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(shared.clone(), client.clone(), to.clone(), req));
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

async fn handle(
    shared: Arc<Shared>,
    client: Upstream,
    to: Arc<Target>,
    req: Request<Incoming>,
) -> Result<Response<Tracked>, Infallible> {
    let in_flight = InFlight::new(&shared);
    let target = req.uri().path_and_query().map_or("/", |pq| pq.as_str()).to_owned();
    let (action, latency) = {
        let mut faults = lock(&shared.faults);
        (faults.decide(&target), faults.latency)
    };
    lock(&shared.requests).push(Req {
        method: req.method().to_string(),
        path: req.uri().path().to_owned(),
        query: req.uri().query().map(str::to_owned),
        user_agent: req.headers().get(header::USER_AGENT).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()),
        headers: req
            .headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect(),
        fault: match action {
            Action::Forward => None,
            Action::Fail { status, .. } => Some(Fault::Fail(status)),
            Action::Hang => Some(Fault::Hang),
            Action::Trickle(_) => Some(Fault::Trickle),
        },
    });
    if let Action::Hang = action {
        // Dropped with the connection when the client goes away (hyper
        // notices the EOF) or with the runtime when the proxy stops.
        std::future::pending::<()>().await;
    }
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let response = match action {
        Action::Fail { status, retry_after } => status_response(status, retry_after, None),
        Action::Forward | Action::Hang => forward(&client, &to, &target, req).await,
        Action::Trickle(interval) => {
            let response = forward(&client, &to, &target, req).await;
            let (parts, body) = response.into_parts();
            Response::from_parts(parts, trickled(body, interval))
        }
    };
    let (parts, body) = response.into_parts();
    Ok(Response::from_parts(parts, Tracked { body, _in_flight: in_flight }))
}

async fn forward(client: &Upstream, to: &Target, target: &str, req: Request<Incoming>) -> Response<ProxyBody> {
    let base = &to.base;
    let (mut parts, body) = req.into_parts();
    parts.uri = match format!("{base}{target}").parse() {
        Ok(uri) => uri,
        Err(e) => return status_response(400, None, Some(format!("fault proxy: bad request target {target:?}: {e}"))),
    };
    parts.version = hyper::Version::HTTP_11;
    strip_hop_by_hop(&mut parts.headers);
    // The client sets Host from the upstream URL.
    parts.headers.remove(header::HOST);
    if let Some(token) = &to.token {
        parts.headers.entry(header::AUTHORIZATION).or_insert_with(|| token.clone());
    }
    match client.request(Request::from_parts(parts, body)).await {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            Response::from_parts(parts, body.map_err(BoxError::from).boxed())
        }
        Err(e) => {
            let mut message = format!("fault proxy: the upstream {base} did not answer: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                message.push_str(&format!(": {s}"));
                source = s.source();
            }
            status_response(502, None, Some(message))
        }
    }
}

/// Removes the headers that describe one hop (RFC 9110 §7.6.1): hyper sets
/// framing and connection management anew on each side.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let listed: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in listed {
        headers.remove(name);
    }
    for name in [
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ] {
        headers.remove(name);
    }
}

/// The `reason` the API server gives with a status code.
fn reason(status: u16) -> &'static str {
    match status {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        409 => "Conflict",
        410 => "Expired",
        413 => "RequestEntityTooLarge",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ if status >= 500 => "InternalError",
        _ => "Unknown",
    }
}

/// An answer of the proxy's own: a `Status` object as the API server writes it.
fn status_response(status: u16, retry_after: Option<u64>, message: Option<String>) -> Response<ProxyBody> {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let message = message.unwrap_or_else(|| match status {
        429 => "Too many requests, please try again later.".to_owned(),
        _ => format!("fault proxy: injected {status} {}", code.canonical_reason().unwrap_or("")),
    });
    let mut body = serde_json::json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason(status),
        "code": status,
    });
    if let Some(seconds) = retry_after {
        body["details"] = serde_json::json!({ "retryAfterSeconds": seconds });
    }
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())).map_err(BoxError::from).boxed());
    *response.status_mut() = code;
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, private"));
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// `body`, re-sent one byte per `interval` (trailers passed through).
fn trickled(body: ProxyBody, interval: Duration) -> ProxyBody {
    let stream = futures::stream::unfold((body, Bytes::new()), move |(mut body, mut pending)| async move {
        loop {
            if !pending.is_empty() {
                tokio::time::sleep(interval).await;
                let byte = pending.split_to(1);
                return Some((Ok(Frame::data(byte)), (body, pending)));
            }
            match body.frame().await? {
                Ok(frame) => match frame.into_data() {
                    Ok(data) => pending = data,
                    Err(trailers) => return Some((Ok(trailers), (body, pending))),
                },
                Err(e) => return Some((Err(e), (body, pending))),
            }
        }
    });
    BodyExt::boxed(StreamBody::new(stream))
}

/// An HTTP proxy that answers `CONNECT host:port` by tunnelling to one fixed
/// address, whatever the host, so that a kubeconfig can name a server
/// (`https://kube.test:PORT`) that only resolves through the proxy. Other
/// methods get a 405.
pub struct ConnectProxy {
    connects: Arc<Mutex<Vec<String>>>,
    addr: SocketAddr,
    _bg: Background,
}

impl ConnectProxy {
    /// Tunnels every CONNECT to `target`.
    pub fn start(target: SocketAddr) -> ConnectProxy {
        let connects = Arc::new(Mutex::new(Vec::new()));
        let (listener, addr) = bind_local();
        let bg = Background::start("connect-proxy", listener, {
            let connects = connects.clone();
            move |listener| serve_connect(listener, connects, target)
        });
        ConnectProxy { connects, addr, _bg: bg }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The `host:port` of every CONNECT received, in order.
    pub fn connects(&self) -> Vec<String> {
        lock(&self.connects).clone()
    }

    /// Writes a kubeconfig at `path` whose current context ("connect-proxy",
    /// namespace "default") reaches `server` (`https://kube.test:6443`, any
    /// host: it only has to resolve through this proxy) with `proxy-url` set
    /// to this proxy, trusting `ca`, verifying the server certificate against
    /// `tls_server_name` when given (e.g. `localhost`, a name the real
    /// server's certificate holds), with the bearer `token`; returns `path`.
    pub fn kubeconfig_via(
        &self,
        path: &Path,
        server: &str,
        ca: &Path,
        tls_server_name: Option<&str>,
        token: &str,
    ) -> PathBuf {
        let q = |s: &str| serde_json::Value::String(s.to_owned());
        let tls_server_name =
            tls_server_name.map(|name| format!("    tls-server-name: {}\n", q(name))).unwrap_or_default();
        let text = format!(
            "apiVersion: v1\nkind: Config\n\
             clusters:\n- name: connect-proxy\n  cluster:\n    server: {}\n    proxy-url: {}\n\
             \x20   certificate-authority: {}\n{tls_server_name}\
             users:\n- name: connect-proxy\n  user:\n    token: {}\n\
             contexts:\n- name: connect-proxy\n  context:\n    cluster: connect-proxy\n    user: connect-proxy\n\
             \x20   namespace: default\n\
             current-context: connect-proxy\npreferences: {{}}\n",
            q(server),
            q(&self.url()),
            q(&ca.to_string_lossy()),
            q(token),
        );
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create the kubeconfig's folder");
        }
        std::fs::write(path, text).expect("write the kubeconfig");
        path.to_owned()
    }
}

async fn serve_connect(listener: TcpListener, connects: Arc<Mutex<Vec<String>>>, target: SocketAddr) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let connects = connects.clone();
        tokio::spawn(async move {
            let _ = tunnel(stream, connects, target).await;
        });
    }
}

async fn tunnel(mut client: TcpStream, connects: Arc<Mutex<Vec<String>>>, target: SocketAddr) -> std::io::Result<()> {
    const MAX_HEAD: usize = 64 * 1024;
    let mut buf = Vec::with_capacity(1024);
    let end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > MAX_HEAD {
            client
                .write_all(
                    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                )
                .await?;
            return Ok(());
        }
        let mut chunk = [0u8; 4096];
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..end]).into_owned();
    let mut words = head.lines().next().unwrap_or("").split_whitespace();
    let (method, authority) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    if !method.eq_ignore_ascii_case("CONNECT") {
        client
            .write_all(
                b"HTTP/1.1 405 Method Not Allowed\r\nallow: CONNECT\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            )
            .await?;
        return Ok(());
    }
    lock(&connects).push(authority.to_owned());
    let mut upstream = match TcpStream::connect(target).await {
        Ok(upstream) => upstream,
        Err(_) => {
            client.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await?;
            return Ok(());
        }
    };
    let _ = upstream.set_nodelay(true);
    client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await?;
    // Bytes the client sent after the head (it should wait for the 200).
    upstream.write_all(&buf[end..]).await?;
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}
