//! The live cluster, through kube-rs: LIST by label selector, GET, and
//! server-side apply with `dryRun=All`. Nothing here can change a cluster:
//! those are the only requests it sends.

use std::path::PathBuf;
use std::time::Duration;

use kube::api::{Api, ApiResource, DynamicObject, ListParams, Patch, PatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use serde_json::Value;

use super::cluster::{Cluster, ClusterError, Kind};

/// The field manager archctl applies as.
pub const FIELD_MANAGER: &str = "archctl";

/// How to reach the cluster, as kubectl's flags say it.
#[derive(Clone, Debug, Default)]
pub struct ConnectOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub timeout: Option<Duration>,
}

/// A cluster reached with kube-rs.
pub struct KubeCluster {
    client: Client,
    /// The API server's URL, for messages.
    pub server: String,
}

impl KubeCluster {
    /// Connects like kubectl: `--kubeconfig`, else `KUBECONFIG`, else
    /// `~/.kube/config`, else the in-cluster service account; `--context`
    /// picks a context.
    pub async fn connect(opts: &ConnectOptions) -> anyhow::Result<KubeCluster> {
        // one TLS provider for the process, whatever else enables another
        let _ = rustls::crypto::ring::default_provider().install_default();
        let kopts = KubeConfigOptions { context: opts.context.clone(), ..Default::default() };
        let mut config = match &opts.kubeconfig {
            Some(path) => {
                let kc = Kubeconfig::read_from(path)
                    .map_err(|e| anyhow::anyhow!("cannot read kubeconfig `{}`: {e}", path.display()))?;
                Config::from_custom_kubeconfig(kc, &kopts).await.map_err(|e| {
                    anyhow::anyhow!("cannot use kubeconfig `{}`: {e}; name a context with --context", path.display())
                })?
            }
            None if opts.context.is_some() => {
                Config::from_kubeconfig(&kopts).await.map_err(|e| anyhow::anyhow!("{e}"))?
            }
            None => Config::infer().await.map_err(|e| {
                anyhow::anyhow!(
                    "no cluster configured: {e}; set KUBECONFIG or pass --kubeconfig, or use --against PATH"
                )
            })?,
        };
        let timeout = opts.timeout.unwrap_or(Duration::from_secs(30));
        config.connect_timeout = Some(timeout.min(Duration::from_secs(10)));
        config.read_timeout = Some(timeout);
        config.write_timeout = Some(timeout);
        let server = config.cluster_url.to_string();
        let client =
            Client::try_from(config).map_err(|e| anyhow::anyhow!("cannot set up a client for {server}: {e}"))?;
        Ok(KubeCluster { client, server })
    }

    fn api(&self, kind: &Kind, namespace: Option<&str>) -> Api<DynamicObject> {
        let ar = ApiResource {
            group: kind.group.clone(),
            version: kind.version.clone(),
            api_version: kind.api_version(),
            kind: kind.kind.clone(),
            plural: kind.plural.clone(),
        };
        match (kind.namespaced, namespace) {
            (true, Some(ns)) => Api::namespaced_with(self.client.clone(), ns, &ar),
            _ => Api::all_with(self.client.clone(), &ar),
        }
    }
}

/// A list item or response as JSON, with the type fields a list leaves out.
fn to_json(kind: &Kind, o: DynamicObject) -> Result<Value, ClusterError> {
    let v = serde_json::to_value(o).map_err(|e| ClusterError::Rejected(e.to_string()))?;
    Ok(typed(kind, v))
}

/// `v` with the `apiVersion` and `kind` of `kind` (list items have none).
fn typed(kind: &Kind, mut v: Value) -> Value {
    if let Some(m) = v.as_object_mut() {
        m.insert("apiVersion".into(), Value::String(kind.api_version()));
        m.insert("kind".into(), Value::String(kind.kind.clone()));
    }
    v
}

/// Sends a request built by kube-rs and reads the answer as JSON. LISTs and
/// dry runs go this way rather than through `Api<DynamicObject>`, whose
/// typed round trip (JSON → DynamicObject → JSON) was most of the client's
/// work in a diff of thousands of objects.
async fn send_json(
    client: &Client,
    request: Result<http::Request<Vec<u8>>, kube::core::request::Error>,
    what: &str,
) -> Result<Value, kube::Error> {
    let request = request.map_err(kube::Error::BuildRequest)?;
    let text = client.request_text(request).await?;
    serde_json::from_str(&text).map_err(|e| {
        kube::Error::Api(
            kube::core::Status::failure(&format!("{what}: the answer is not JSON: {e}"), "BadResponse")
                .with_code(500)
                .boxed(),
        )
    })
}

/// Sorts a kube-rs error into what the diff acts on.
fn classify(e: kube::Error, what: &str) -> ClusterError {
    match e {
        kube::Error::Api(status) => {
            let msg = if status.message.is_empty() { status.reason.clone() } else { status.message.clone() };
            // the server quotes the whole rejected value; the diff shows it
            let msg = match msg.find("Invalid value: {") {
                Some(i) => {
                    let tail = msg.rfind("}: ").map(|j| &msg[j + 1..]).unwrap_or("");
                    format!("{}Invalid value{tail}", &msg[..i])
                }
                None => msg,
            };
            match status.code {
                401 => ClusterError::Unauthorized(format!(
                    "{what}: the cluster rejected the credentials ({msg}); log in again or refresh the token"
                )),
                403 => ClusterError::Forbidden(format!("{what}: forbidden: {msg}")),
                404 if msg.contains("namespaces \"") && msg.contains("not found") => {
                    ClusterError::NamespaceMissing(msg)
                }
                404 if msg.contains("could not find the requested resource")
                    || status.reason == "NotFound" && msg.is_empty() =>
                {
                    ClusterError::UnknownKind(format!("{what}: the cluster does not serve this kind"))
                }
                404 => ClusterError::NotFound(msg),
                // "field is immutable", and statefulsets' "Forbidden: updates to
                // statefulset spec for fields other than …"
                422 if msg.contains("immutable") || msg.contains("Forbidden: updates to") => {
                    ClusterError::Immutable(msg)
                }
                _ => ClusterError::Rejected(format!("{what}: {msg} ({} {})", status.code, status.reason)),
            }
        }
        kube::Error::Auth(e) => ClusterError::Unauthorized(format!("{what}: cannot authenticate: {e}")),
        other => ClusterError::Unreachable(format!("{what}: {other}")),
    }
}

impl Cluster for KubeCluster {
    async fn list(&self, kind: &Kind, namespace: Option<&str>, selector: &str) -> Result<Vec<Value>, ClusterError> {
        let what = format!("list {}", kind.plural);
        let api = self.api(kind, namespace);
        let request = kube::core::Request::new(api.resource_url()).list(&ListParams::default().labels(selector));
        let mut list = send_json(&self.client, request, &what).await.map_err(|e| match classify(e, &what) {
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

    async fn get(&self, kind: &Kind, namespace: Option<&str>, name: &str) -> Result<Option<Value>, ClusterError> {
        match self.api(kind, namespace).get_opt(name).await {
            Ok(Some(o)) => to_json(kind, o).map(Some),
            Ok(None) => Ok(None),
            Err(e) => Err(classify(e, &format!("get {} {name}", kind.plural))),
        }
    }

    async fn dry_run_apply(&self, kind: &Kind, object: &Value) -> Result<Option<Value>, ClusterError> {
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        let namespace = object["metadata"]["namespace"].as_str();
        let params = PatchParams::apply(FIELD_MANAGER).force().dry_run();
        let api = self.api(kind, namespace);
        let request = kube::core::Request::new(api.resource_url()).patch(name, &params, &Patch::Apply(object));
        match send_json(&self.client, request, "dry-run apply").await {
            Ok(o) => Ok(Some(typed(kind, o))),
            Err(e) => Err(classify(e, "dry-run apply")),
        }
    }
}
