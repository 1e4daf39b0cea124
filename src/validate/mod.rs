//! Validation: checks of the merged topology that the type system cannot
//! express — Kubernetes name rules, which keys fit which kind of service,
//! and that every reference points at something declared.
//!
//! Each rule lives in its own file and pushes all of its findings; nothing
//! stops at the first problem.

mod cron;
mod ingress;
mod kinds;
mod legacy;
mod limits;
mod names;
mod network;
mod objects;
mod pods;
pub(crate) mod ports;
mod references;
mod routes;
mod secrets;
mod shared;
mod values;
mod workloads;
mod zones;

pub(crate) use limits::{MAX_DATA_BYTES, config_map_sizes, data_size};

use rayon::prelude::*;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::diagnostic::suggest;
use crate::topology::Topology;

/// A rule: its findings about a topology, pushed in order.
type Rule = fn(&Topology, &mut Vec<Diagnostic>);

/// Every rule, in the order their findings are reported.
const RULES: &[Rule] = &[
    names::check,
    kinds::check,
    references::check,
    network::check,
    values::check,
    limits::check,
    // what the API server's own validation (`pkg/apis/*/validation`)
    // refuses beyond the OpenAPI schema
    objects::check,
    cron::check,
    ports::check,
    pods::check,
    ingress::check,
    routes::check,
    workloads::check,
    secrets::check,
    shared::check,
    legacy::check,
];

/// Runs every rule and returns all findings, in rule order. The rules are
/// independent and each reads the whole topology: they run side by side
/// (10,000 services: ~120 ms one after another).
pub fn validate(topo: &Topology) -> Vec<Diagnostic> {
    RULES
        .par_iter()
        .map(|rule| {
            let mut out = Vec::new();
            rule(topo, &mut out);
            out
        })
        .collect::<Vec<_>>()
        .concat()
}

/// Where a container stands in its service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Main,
    Sidecar,
    Init,
}

/// Every container of a service with its TOML path and role, in order: the
/// main container, the sidecars, the init containers.
fn containers<'a>(
    svc: &'a crate::topology::Service,
    path: &TomlPath,
) -> impl Iterator<Item = (TomlPath, &'a crate::topology::Container, Role)> + 'a {
    let (main, sidecars, init) = (path.key("container"), path.key("sidecars"), path.key("init_containers"));
    std::iter::once((main, &svc.container, Role::Main))
        .chain(svc.sidecars.iter().enumerate().map(move |(i, c)| (sidecars.index(i), c, Role::Sidecar)))
        .chain(svc.init_containers.iter().enumerate().map(move |(i, c)| (init.index(i), c, Role::Init)))
}

/// E005 unless `value` is one of the `allowed` words (settings that take
/// one of a fixed set: a policy, a protocol, an operator).
fn one_of(value: Option<&str>, allowed: &[&str], path: TomlPath, out: &mut Vec<Diagnostic>) {
    if let Some(v) = value
        && !allowed.contains(&v)
    {
        let list = suggest::list(allowed.iter().copied());
        out.push(Diagnostic::error("E005", format!("`{v}` is not allowed for `{path}`")).at(&path).with_help(
            match suggest::closest(v, allowed.iter().copied()) {
                Some(c) => format!("did you mean `{c}`? allowed: {list}"),
                None => format!("allowed: {list}"),
            },
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(topology: &str) -> Vec<(String, &'static str)> {
        let topo: Topology = toml::from_str(topology).unwrap();
        validate(&topo).into_iter().map(|d| (d.message, d.code)).collect()
    }

    const OK: &str = r#"
[project]
name = "shop"
[namespaces.shop]
[secrets.db]
keys = ["password"]
[config_maps.cfg]
data = { mode = "fast" }
[claims.shared]
size = "1Gi"
access = "ReadWriteMany"
[services.web]
kind = "deployment"
replicas = 2
[services.web.container]
image = "web:1"
ports = { http = 8080 }
env = { PASSWORD = { secret = "db", key = "password" }, MODE = { config_map = "cfg", key = "mode" } }
probes.liveness = { http = "/health" }
[services.web.volumes.files]
mount = "/srv"
claim = "shared"
"#;

    #[test]
    fn a_sound_topology_has_no_findings() {
        assert_eq!(codes(OK), []);
    }

    #[test]
    fn keys_that_do_not_fit_the_kind() {
        let found = codes(&OK.replace("replicas = 2", "replicas = 2\nschedule = \"@daily\"\nparallelism = 2"));
        assert!(found.contains(&("`schedule` does not apply to a deployment".into(), "E030")), "{found:?}");
        assert!(found.contains(&("`parallelism` does not apply to a deployment".into(), "E030")), "{found:?}");
        let found = codes(&OK.replace("kind = \"deployment\"\nreplicas = 2", "kind = \"cronjob\""));
        assert!(found.contains(&("a cronjob needs a `schedule`".into(), "E006")), "{found:?}");
    }

    #[test]
    fn references_must_be_declared_in_the_same_namespace() {
        let found = codes(&OK.replace("key = \"password\"", "key = \"pasword\""));
        assert_eq!(found, [("secret `db` has no key `pasword`".to_string(), "E042")]);
        let found = codes(&OK.replace("claim = \"shared\"", "claim = \"shard\""));
        assert_eq!(found, [("claim `shard` is not declared".to_string(), "E041")]);
        let moved = OK.replace("[secrets.db]\n", "[namespaces.other]\n[secrets.db]\nnamespace = \"other\"\n");
        let found = codes(&moved);
        assert_eq!(found, [("secret `db` is in namespace `other`, not `shop`".to_string(), "E041")]);
        let found = codes(&OK.replace("[services.web]\n", "[services.web]\nnamespace = \"shpo\"\n"));
        assert_eq!(found, [("namespace `shpo` is not declared".to_string(), "E040")]);
    }

    #[test]
    fn probes_and_volumes_need_exactly_one_source() {
        let found = codes(&OK.replace("{ http = \"/health\" }", "{ http = \"/health\", tcp = true }"));
        assert_eq!(found[0].1, "E032");
        let found = codes(&OK.replace("{ http = \"/health\" }", "{ http = \"/health\", port = \"admin\" }"));
        assert_eq!(found, [("the probe uses port `admin`, which the container does not declare".to_string(), "E035")]);
        let found = codes(&OK.replace("claim = \"shared\"", "claim = \"shared\"\nempty_dir = true"));
        assert_eq!(found, [("volume `files` needs exactly one source, it has 2".to_string(), "E032")]);
        let found = codes(&OK.replace("claim = \"shared\"", "size = \"1Gi\""));
        assert!(found.iter().any(|(m, _)| m.contains("only a statefulset can give")), "{found:?}");
    }

    #[test]
    fn names_and_ports_follow_kubernetes_rules() {
        let found = codes(
            &OK.replace("ports = { http = 8080 }", "ports = { http = 8080, metrics = 8080, \"Admin_Port\" = 70000 }"),
        );
        let msgs: Vec<&str> = found.iter().map(|(m, _)| m.as_str()).collect();
        assert!(msgs.contains(&"ports `http` and `metrics` both use 8080"), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.starts_with("`Admin_Port` is not a valid port name")), "{msgs:?}");
        assert!(msgs.contains(&"port 70000 of `Admin_Port` is out of range"), "{msgs:?}");
        let found = codes(&OK.replace("replicas = 2", "replicas = -1"));
        assert_eq!(found, [("`replicas` is -1, and must not be negative".to_string(), "E022")]);
    }
}
