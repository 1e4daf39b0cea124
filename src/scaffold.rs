//! `archctl init`: the files of a new project, as a pure function of its
//! name, namespace and first image — a topology with one namespace and one
//! service (probes, a built-in resource profile, a disruption budget, two
//! growth phases), the dev, staging and production profiles, the JSON
//! Schemas their `#:schema` directives name (taplo and Even Better TOML
//! read them), and a `.gitignore` for `out/`.
//!
//! What it writes renders in every profile and passes `check --deny
//! warnings`; the tests hold it to that.

use crate::k8s::names;

/// What `init` asks for.
#[derive(Clone, Debug)]
pub(crate) struct Scaffold {
    pub name: String,
    pub namespace: String,
    pub image: String,
}

/// The image of the first service when none is given: an nginx that runs
/// as a non-root user on port 8080, as the hardened defaults require.
pub(crate) const DEFAULT_IMAGE: &str = "nginxinc/nginx-unprivileged:1.27-alpine";

impl Scaffold {
    /// Checks the names as Kubernetes would, naming what is wrong.
    pub(crate) fn check(&self) -> Result<(), String> {
        names::dns1123_label(&self.name).map_err(|why| format!("`{}` cannot name a project: it {why}", self.name))?;
        names::dns1123_label(&self.namespace)
            .map_err(|why| format!("`{}` cannot name a namespace: it {why}", self.namespace))?;
        if self.image.is_empty() || self.image.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"') {
            return Err(format!("`{}` is not an image reference", self.image.escape_debug()));
        }
        Ok(())
    }

    /// The files, as (path relative to the project folder, text), in the
    /// order they are written.
    pub(crate) fn files(&self) -> Vec<(&'static str, String)> {
        let Scaffold { name, namespace, image } = self;
        let topology = format!(
            r#"#:schema ./archctl.schema.json
# The topology of `{name}`: its namespaces and services. The profiles in
# `profiles/` change what differs per environment (the growth phase, images,
# replicas); `archctl check` checks the topology and every profile.

phases = ["pilot", "growth"]

[project]
name = "{name}"
namespace = "{namespace}"
version = "0.1.0"

[vars]
image = "{image}"

[namespaces.{namespace}]

[services.web]
kind = "deployment"
component = "web"
replicas = {{ pilot = 2, growth = 3 }}
resources = "small"
disruption = {{ max_unavailable = 1 }}

[services.web.container]
image = "{{{{ image }}}}"
ports = {{ http = 8080 }}
probes = {{ readiness = {{ http = "/", port = "http" }}, liveness = {{ http = "/", port = "http" }} }}
"#
        );
        let dev = r#"#:schema ../profile.schema.json
# A developer's cluster (kind, minikube): one replica, no disruption budget.
phase = "pilot"

[features]
disruption_budgets = false

[services.web]
replicas = 1
"#;
        let staging = r#"#:schema ../profile.schema.json
# Staging: production's shape at the first growth phase.
phase = "pilot"
"#;
        let production = format!(
            r#"#:schema ../profile.schema.json
# Production: the current growth phase, and the image it runs.
phase = "growth"

[vars]
image = "{image}"
"#
        );
        let json = |v: serde_json::Value| serde_json::to_string_pretty(&v).unwrap_or_default() + "\n";
        vec![
            ("archctl.toml", topology),
            ("profiles/dev.toml", dev.to_string()),
            ("profiles/staging.toml", staging.to_string()),
            ("profiles/production.toml", production),
            ("archctl.schema.json", json(crate::schema::topology())),
            ("profile.schema.json", json(crate::schema::profile())),
            (".gitignore", "/out/\n".to_string()),
        ]
    }
}
