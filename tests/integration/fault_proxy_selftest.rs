//! The fault-injecting proxies of the testkit crate (testkit/), against a tiny
//! HTTPS upstream started in-process (hyper over tokio-rustls, certificates
//! made with the `openssl` CLI): forwarding, latency, injected 429/503, hung
//! and trickled answers, upstream TLS options, CONNECT tunnels, and kube-rs
//! through both proxies.

use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener as StdTcpListener, TcpStream as StdTcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderMap;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use archctl_testkit::{ConnectProxy, Fault, FaultProxy};

// ---------------------------------------------------------------------------
// Certificates

/// `ca.crt`; `server.crt/key` (localhost, 127.0.0.1), `localhost.crt/key`
/// (localhost only), `client.crt/key` (a client certificate), all in
/// `target/tmp/fault-proxy-certs-v1`, made once (in a temp folder, then
/// renamed into place, so that concurrent test processes see it whole) and
/// kept for later runs. Change the suffix when changing the certificates.
fn certs() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let kept = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fault-proxy-certs-v1");
        if kept.join("done").is_file() {
            return kept;
        }
        let tmp = tempfile::Builder::new()
            .prefix(".fault-proxy-certs-")
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("a temp dir for the certificates");
        let dir = tmp.path();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl").args(args).current_dir(dir).output().expect("run openssl");
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        openssl(
            &[
                &["req", "-x509", "-new"][..],
                &ec,
                &["-keyout", "ca.key", "-out", "ca.crt", "-days", "3650", "-subj", "/CN=fault-proxy-test-ca"],
                &["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ]
            .concat(),
        );
        let leaves = [
            ("server", "serverAuth", "subjectAltName=DNS:localhost,IP:127.0.0.1\n", "1001"),
            ("localhost", "serverAuth", "subjectAltName=DNS:localhost\n", "1002"),
            ("client", "clientAuth", "", "1003"),
        ];
        for (name, usage, san, serial) in leaves {
            std::fs::write(
                dir.join(format!("{name}.ext")),
                format!(
                    "{san}basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage={usage}\n"
                ),
            )
            .unwrap();
            let (key, csr, crt, ext) =
                (format!("{name}.key"), format!("{name}.csr"), format!("{name}.crt"), format!("{name}.ext"));
            openssl(
                &[&["req", "-new"][..], &ec, &["-keyout", &key, "-out", &csr, "-subj", &format!("/CN={name}")]]
                    .concat(),
            );
            openssl(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.crt",
                "-CAkey",
                "ca.key",
                "-set_serial",
                serial,
                "-days",
                "3650",
                "-out",
                &crt,
                "-extfile",
                &ext,
            ]);
        }
        std::fs::write(dir.join("done"), "").unwrap();
        // Fails when another process got there first: then its folder is used.
        let _ = std::fs::rename(dir, &kept);
        assert!(kept.join("done").is_file(), "no certificates in {}", kept.display());
        kept
    })
}

fn ca() -> PathBuf {
    certs().join("ca.crt")
}

fn roots() -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(ca()).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    roots
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

// ---------------------------------------------------------------------------
// The upstream: a tiny HTTPS server

/// An HTTPS server on 127.0.0.1 answering
/// - `/version`: a `version.Info` as the API server's;
/// - `/bytes?n=N`: N bytes `x`;
/// - anything else: a JSON echo of the request (method, path, query, some
///   headers, body, whether a client certificate was presented), with a
///   `Warning` header.
struct Upstream {
    addr: SocketAddr,
    /// The paths of the requests it received.
    hits: Arc<Mutex<Vec<String>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Upstream {
    /// Serving `server.crt` (localhost, 127.0.0.1).
    fn start() -> Upstream {
        Upstream::with("server", false)
    }

    /// Serving `NAME.crt`; requiring a client certificate signed by the CA
    /// when `client_auth`.
    fn with(name: &str, client_auth: bool) -> Upstream {
        let dir = certs();
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(dir.join(format!("{name}.crt"))).unwrap().map(Result::unwrap).collect();
        let key = PrivateKeyDer::from_pem_file(dir.join(format!("{name}.key"))).unwrap();
        let builder =
            rustls::ServerConfig::builder_with_provider(provider()).with_safe_default_protocol_versions().unwrap();
        let builder = if client_auth {
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots()), provider())
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let mut config = builder.with_single_cert(chain, key).unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

        let listener = StdTcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let hits = Arc::new(Mutex::new(Vec::new()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn({
            let hits = hits.clone();
            move || {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                rt.block_on(async move {
                    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                    let serve = async {
                        loop {
                            let Ok((tcp, _)) = listener.accept().await else { continue };
                            let (acceptor, hits) = (acceptor.clone(), hits.clone());
                            tokio::spawn(async move {
                                let Ok(tls) = acceptor.accept(tcp).await else { return };
                                let client_cert = tls.get_ref().1.peer_certificates().is_some_and(|c| !c.is_empty());
                                let service = service_fn(move |req| answer(req, client_cert, hits.clone()));
                                let _ = hyper::server::conn::http1::Builder::new()
                                    .serve_connection(TokioIo::new(tls), service)
                                    .await;
                            });
                        }
                    };
                    tokio::select! {
                        _ = serve => {}
                        _ = stopped => {}
                    }
                });
            }
        });
        Upstream { addr, hits, stop: Some(stop), thread: Some(thread) }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.addr.port())
    }

    fn hits(&self) -> Vec<String> {
        self.hits.lock().unwrap().clone()
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        let _ = self.stop.take().unwrap().send(());
        let _ = self.thread.take().unwrap().join();
    }
}

async fn answer(
    req: Request<Incoming>,
    client_cert: bool,
    hits: Arc<Mutex<Vec<String>>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    hits.lock().unwrap().push(req.uri().path().to_owned());
    let json_response = |value: Value| {
        Response::builder()
            .header("content-type", "application/json")
            .header("warning", "299 - \"upstream says hi\"")
            .body(Full::new(Bytes::from(value.to_string())))
            .unwrap()
    };
    let response = match req.uri().path() {
        "/version" => json_response(json!({
            "major": "1", "minor": "33", "gitVersion": "v1.33.0-upstream", "gitCommit": "0", "gitTreeState": "clean",
            "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.24", "compiler": "gc", "platform": "linux/amd64",
        })),
        "/bytes" => {
            let n = req.uri().query().and_then(|q| q.strip_prefix("n=")).and_then(|n| n.parse().ok()).unwrap_or(10);
            Response::new(Full::new(Bytes::from(vec![b'x'; n])))
        }
        _ => {
            let header = |name: &str| req.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
            let echo = json!({
                "method": req.method().as_str(),
                "path": req.uri().path(),
                "query": req.uri().query(),
                "host": header("host"),
                "authorization": header("authorization"),
                "content_type": header("content-type"),
                "user_agent": header("user-agent"),
                "accept": header("accept"),
                "client_cert": client_cert,
            });
            let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            let mut echo = echo;
            echo["body"] = Value::String(String::from_utf8_lossy(&body).into_owned());
            json_response(echo)
        }
    };
    Ok(response)
}

// ---------------------------------------------------------------------------
// A test client

#[derive(Debug)]
struct Answer {
    status: u16,
    headers: HeaderMap,
    body: String,
    /// From sending the request to the response head.
    head: Duration,
    /// From sending the request to the end of the body.
    total: Duration,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }
}

/// Sends one request (a connection of its own, closed on return), waiting at
/// most `timeout` for the whole answer; `Err("timed out")` past it.
fn send(
    url: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
    timeout: Duration,
) -> Result<Answer, String> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
        let mut req = Request::builder().method(method).uri(format!("{url}{target}"));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Full::new(Bytes::from(body.to_owned()))).unwrap();
        let start = Instant::now();
        let exchange = async {
            let response = client.request(req).await.map_err(|e| format!("request failed: {e}"))?;
            let head = start.elapsed();
            let (parts, body) = response.into_parts();
            let body = body.collect().await.map_err(|e| format!("body failed: {e}"))?.to_bytes();
            Ok(Answer {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body: String::from_utf8_lossy(&body).into_owned(),
                head,
                total: start.elapsed(),
            })
        };
        tokio::time::timeout(timeout, exchange).await.map_err(|_| "timed out".to_owned())?
    })
}

fn get(url: &str, target: &str) -> Answer {
    send(url, "GET", target, &[], "", Duration::from_secs(5)).unwrap_or_else(|e| panic!("GET {target}: {e}"))
}

/// Waits (at most 2 s) until `cond` holds.
fn eventually(what: &str, cond: impl Fn() -> bool) {
    let start = Instant::now();
    while !cond() {
        assert!(start.elapsed() < Duration::from_secs(2), "still not true after 2 s: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

// ---------------------------------------------------------------------------
// FaultProxy

#[test]
fn forwards_method_target_headers_and_body_and_streams_the_answer_back() {
    let up = Upstream::start();
    let proxy = FaultProxy::start(&up.url(), &ca());
    assert!(proxy.url().starts_with("http://127.0.0.1:"));

    let answer = send(
        &proxy.url(),
        "POST",
        "/api/v1/namespaces/shop/configmaps?dryRun=All&fieldManager=arch%20ctl",
        &[
            ("authorization", "Bearer secret-token"),
            ("content-type", "application/json"),
            ("user-agent", "archctl/test"),
            ("accept", "application/json;as=Table"),
        ],
        r#"{"kind":"ConfigMap"}"#,
        Duration::from_secs(5),
    )
    .unwrap();
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.header("warning"), Some("299 - \"upstream says hi\""));
    assert_eq!(answer.header("content-type"), Some("application/json"));
    let echo = answer.json();
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["path"], "/api/v1/namespaces/shop/configmaps");
    assert_eq!(echo["query"], "dryRun=All&fieldManager=arch%20ctl");
    assert_eq!(echo["authorization"], "Bearer secret-token");
    assert_eq!(echo["content_type"], "application/json");
    assert_eq!(echo["user_agent"], "archctl/test");
    assert_eq!(echo["accept"], "application/json;as=Table");
    assert_eq!(echo["body"], r#"{"kind":"ConfigMap"}"#);
    assert_eq!(echo["host"], format!("127.0.0.1:{}", up.addr.port()), "Host names the upstream");
    assert_eq!(echo["client_cert"], false);

    let requests = proxy.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/api/v1/namespaces/shop/configmaps"));
    assert_eq!(r.query.as_deref(), Some("dryRun=All&fieldManager=arch%20ctl"));
    assert_eq!(r.param("dryRun").as_deref(), Some("All"));
    assert_eq!(r.param("fieldManager").as_deref(), Some("arch ctl"));
    assert_eq!(r.user_agent.as_deref(), Some("archctl/test"));
    assert_eq!(r.header("Authorization"), Some("Bearer secret-token"));
    assert_eq!(r.fault, None);
    eventually("nothing in flight", || proxy.in_flight() == 0);
    assert_eq!(proxy.max_in_flight(), 1);

    proxy.clear_requests();
    assert!(proxy.requests().is_empty());
    assert_eq!(proxy.max_in_flight(), 0);
}

#[test]
fn latency_delays_every_request_until_cleared() {
    let up = Upstream::start();
    let proxy = FaultProxy::start(&up.url(), &ca());
    proxy.set_latency(Duration::from_millis(400));
    let slow = get(&proxy.url(), "/version");
    assert_eq!(slow.status, 200);
    assert!(slow.total >= Duration::from_millis(400), "{:?}", slow.total);
    proxy.clear();
    let fast = get(&proxy.url(), "/version");
    assert!(fast.total < Duration::from_millis(400), "{:?}", fast.total);
}

#[test]
fn fail_next_answers_matching_requests_with_a_status_and_retry_after() {
    let up = Upstream::start();
    let proxy = FaultProxy::start(&up.url(), &ca());
    proxy.fail_next(2, 429, Some(3), "/api/v1/pods");

    let first = get(&proxy.url(), "/api/v1/pods?limit=500");
    assert_eq!(first.status, 429);
    assert_eq!(first.header("retry-after"), Some("3"));
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert_eq!(
        first.json(),
        json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "Too many requests, please try again later.", "reason": "TooManyRequests",
            "details": {"retryAfterSeconds": 3}, "code": 429,
        })
    );
    assert_eq!(get(&proxy.url(), "/api/v1/services").status, 200, "another path is forwarded");
    assert_eq!(get(&proxy.url(), "/api/v1/pods").status, 429);
    assert_eq!(get(&proxy.url(), "/api/v1/pods").status, 200, "the budget is spent");
    assert_eq!(up.hits(), ["/api/v1/services", "/api/v1/pods"], "failed requests are not forwarded");
    let faults: Vec<_> = proxy.requests().iter().map(|r| r.fault).collect();
    assert_eq!(faults, [Some(Fault::Fail(429)), None, Some(Fault::Fail(429)), None]);

    proxy.fail_next(1, 503, None, "");
    let unavailable = get(&proxy.url(), "/apis");
    assert_eq!(unavailable.status, 503);
    assert_eq!(unavailable.header("retry-after"), None);
    assert_eq!(unavailable.json()["reason"], "ServiceUnavailable");
    assert_eq!(unavailable.json()["code"], 503);
    assert_eq!(get(&proxy.url(), "/apis").status, 200);
}

#[test]
fn hang_never_answers_and_the_client_timeout_fires() {
    let up = Upstream::start();
    let proxy = FaultProxy::start(&up.url(), &ca());
    proxy.hang("/apis/apps/v1");

    let start = Instant::now();
    let hung = send(&proxy.url(), "GET", "/apis/apps/v1/deployments", &[], "", Duration::from_millis(300));
    assert_eq!(hung.unwrap_err(), "timed out");
    assert!(start.elapsed() >= Duration::from_millis(300));
    assert_eq!(get(&proxy.url(), "/api/v1/pods").status, 200, "other paths still answer");
    assert_eq!(up.hits(), ["/api/v1/pods"], "a hung request is not forwarded");
    assert_eq!(proxy.requests()[0].fault, Some(Fault::Hang));
    // The client went away: the proxy notices and forgets the request.
    eventually("the hung request is dropped", || proxy.in_flight() == 0);

    proxy.clear();
    assert_eq!(get(&proxy.url(), "/apis/apps/v1/deployments").status, 200);
}

#[test]
fn dropping_the_proxy_closes_hung_connections() {
    let up = Upstream::start();
    let proxy = FaultProxy::start(&up.url(), &ca());
    proxy.hang("");
    let addr = proxy.addr();
    let mut conn = StdTcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
    conn.write_all(b"GET /api HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
    eventually("the request arrives", || proxy.in_flight() == 1);

    let start = Instant::now();
    drop(proxy);
    let mut buf = [0u8; 64];
    match conn.read(&mut buf) {
        Ok(0) => {}
        Ok(n) => panic!("a hung request got an answer: {:?}", String::from_utf8_lossy(&buf[..n])),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}"),
    }
    assert!(start.elapsed() < Duration::from_secs(1), "{:?}", start.elapsed());
    assert!(StdTcpStream::connect(addr).is_err(), "the port is closed");
}

#[test]
fn trickle_sends_the_head_at_once_and_the_body_a_byte_at_a_time() {
    let up = Upstream::start();
    let proxy = FaultProxy::start(&up.url(), &ca());
    proxy.trickle("/bytes", Duration::from_millis(25));

    let slow = get(&proxy.url(), "/bytes?n=20");
    assert_eq!(slow.status, 200);
    assert_eq!(slow.body, "x".repeat(20));
    assert_eq!(slow.header("content-length"), Some("20"));
    assert!(slow.total >= Duration::from_millis(500), "20 bytes at 25 ms: {:?}", slow.total);
    assert!(slow.head < Duration::from_millis(250), "the head comes at once: {:?}", slow.head);
    assert_eq!(proxy.requests()[0].fault, Some(Fault::Trickle));

    // A timeout on the whole exchange fires although the head came quickly.
    let cut = send(&proxy.url(), "GET", "/bytes?n=20", &[], "", Duration::from_millis(200));
    assert_eq!(cut.unwrap_err(), "timed out");
    assert!(get(&proxy.url(), "/version").total < Duration::from_millis(250), "other paths are not trickled");
}

#[test]
fn max_in_flight_counts_the_requests_handled_at_once() {
    let up = Upstream::start();
    let proxy = FaultProxy::start(&up.url(), &ca());
    proxy.set_latency(Duration::from_millis(300));
    let url = proxy.url();
    let clients: Vec<_> = (0..4)
        .map(|i| {
            let url = url.clone();
            std::thread::spawn(move || get(&url, &format!("/api/v1/namespaces/n{i}")).status)
        })
        .collect();
    for c in clients {
        assert_eq!(c.join().unwrap(), 200);
    }
    assert_eq!(proxy.requests().len(), 4);
    assert_eq!(proxy.max_in_flight(), 4);
    eventually("nothing in flight", || proxy.in_flight() == 0);
    proxy.clear_requests();
    assert_eq!(proxy.max_in_flight(), 0);
    proxy.clear();
    get(&url, "/version");
    assert_eq!(proxy.max_in_flight(), 1);
}

#[test]
fn upstream_server_name_and_client_identity_are_configurable() {
    // A certificate for `localhost` only: verifying against the URL's host
    // (127.0.0.1) fails, as a 502 Status naming the cause.
    let up = Upstream::with("localhost", false);
    let by_ip = FaultProxy::start(&up.url(), &ca());
    let refused = get(&by_ip.url(), "/version");
    assert_eq!(refused.status, 502);
    assert_eq!(refused.json()["kind"], "Status");
    assert!(refused.body.contains("certificate"), "{}", refused.body);
    let by_name = FaultProxy::builder(&up.url()).ca(&ca()).server_name("localhost").start();
    assert_eq!(get(&by_name.url(), "/version").status, 200);

    // An upstream that wants a client certificate.
    let up = Upstream::with("server", true);
    let anonymous = FaultProxy::start(&up.url(), &ca());
    assert_eq!(get(&anonymous.url(), "/version").status, 502);
    let dir = certs();
    let identified = FaultProxy::builder(&up.url())
        .ca(&ca())
        .client_identity(&dir.join("client.crt"), &dir.join("client.key"))
        .start();
    assert_eq!(get(&identified.url(), "/echo").json()["client_cert"], true);
}

#[test]
fn token_is_added_to_requests_without_authorization() {
    let up = Upstream::start();
    let proxy = FaultProxy::builder(&up.url()).ca(&ca()).token("injected").start();
    assert_eq!(get(&proxy.url(), "/echo").json()["authorization"], "Bearer injected");
    let own =
        send(&proxy.url(), "GET", "/echo", &[("authorization", "Bearer own")], "", Duration::from_secs(5)).unwrap();
    assert_eq!(own.json()["authorization"], "Bearer own", "the client's own header wins");
    assert_eq!(proxy.requests()[0].header("authorization"), None, "the log shows the request as received");
}

#[tokio::test]
async fn kube_rs_reaches_the_upstream_through_the_proxy_and_retries_429() {
    let up = Upstream::start();
    let proxy = FaultProxy::start(&up.url(), &ca());
    let dir = tempfile::tempdir().unwrap();
    let path = proxy.kubeconfig_through(&dir.path().join("kubeconfig"), "tok-123");

    let kubeconfig = kube::config::Kubeconfig::read_from(&path).unwrap();
    let config =
        kube::Config::from_custom_kubeconfig(kubeconfig, &kube::config::KubeConfigOptions::default()).await.unwrap();
    assert_eq!(config.cluster_url.to_string(), format!("{}/", proxy.url()));
    let client = kube::Client::try_from(config).unwrap();
    assert_eq!(client.apiserver_version().await.unwrap().git_version, "v1.33.0-upstream");
    let requests = proxy.requests();
    assert_eq!(requests[0].path, "/version");
    assert_eq!(requests[0].header("authorization"), Some("Bearer tok-123"), "kube-rs sends the token over http://");

    // kube-rs 5 retries 429/503/504 by itself (up to 15 times), honouring
    // Retry-After: two 429s cost one second and go unnoticed by the caller.
    proxy.clear_requests();
    proxy.fail_next(1, 429, Some(1), "/version");
    proxy.fail_next(1, 429, None, "/version");
    let start = Instant::now();
    assert_eq!(client.apiserver_version().await.unwrap().git_version, "v1.33.0-upstream");
    assert!(start.elapsed() >= Duration::from_secs(1), "{:?}", start.elapsed());
    let faults: Vec<_> = proxy.requests().iter().map(|r| r.fault).collect();
    assert_eq!(faults, [Some(Fault::Fail(429)), Some(Fault::Fail(429)), None]);
}

// ---------------------------------------------------------------------------
// ConnectProxy

#[test]
fn connect_tunnels_any_host_to_the_target_and_records_it() {
    let up = Upstream::start();
    let proxy = ConnectProxy::start(up.addr);
    assert!(proxy.url().starts_with("http://127.0.0.1:"));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let answer = rt.block_on(async {
        let mut tcp = tokio::net::TcpStream::connect(proxy.addr()).await.unwrap();
        tcp.write_all(b"CONNECT kube.test:8443 HTTP/1.1\r\nhost: kube.test:8443\r\n\r\n").await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            assert_eq!(tcp.read(&mut byte).await.unwrap(), 1, "the proxy closed: {:?}", String::from_utf8_lossy(&head));
            head.push(byte[0]);
        }
        assert!(head.starts_with(b"HTTP/1.1 200"), "{:?}", String::from_utf8_lossy(&head));

        let tls = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots())
            .with_no_client_auth();
        let tls = tokio_rustls::TlsConnector::from(Arc::new(tls))
            .connect(ServerName::try_from("localhost").unwrap(), tcp)
            .await
            .unwrap();
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls)).await.unwrap();
        tokio::spawn(conn);
        let req = Request::get("/version").header("host", "kube.test:8443").body(Full::<Bytes>::default()).unwrap();
        let response = sender.send_request(req).await.unwrap();
        let status = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice::<Value>(&body).unwrap())
    });
    assert_eq!(answer.0, 200);
    assert_eq!(answer.1["gitVersion"], "v1.33.0-upstream");
    assert_eq!(proxy.connects(), ["kube.test:8443"]);

    // Anything but CONNECT is refused.
    let mut conn = StdTcpStream::connect(proxy.addr()).unwrap();
    conn.write_all(b"GET http://kube.test/ HTTP/1.1\r\nhost: kube.test\r\n\r\n").unwrap();
    let mut text = String::new();
    conn.read_to_string(&mut text).unwrap();
    assert!(text.starts_with("HTTP/1.1 405"), "{text}");
    assert_eq!(proxy.connects(), ["kube.test:8443"]);
}

#[tokio::test]
async fn kube_rs_reaches_a_name_that_only_resolves_through_the_connect_proxy() {
    let up = Upstream::start();
    let proxy = ConnectProxy::start(up.addr);
    let dir = tempfile::tempdir().unwrap();
    let path = proxy.kubeconfig_via(
        &dir.path().join("kubeconfig"),
        "https://kube.test:6443",
        &ca(),
        Some("localhost"),
        "tok-456",
    );
    let kubeconfig = kube::config::Kubeconfig::read_from(&path).unwrap();
    let config =
        kube::Config::from_custom_kubeconfig(kubeconfig, &kube::config::KubeConfigOptions::default()).await.unwrap();
    let client = kube::Client::try_from(config).unwrap();
    assert_eq!(client.apiserver_version().await.unwrap().git_version, "v1.33.0-upstream");
    assert_eq!(proxy.connects(), ["kube.test:6443"]);
}
