//! Rule: a placeholder Secret (rendered with `REPLACE_ME` values) has the
//! keys its `type` requires, and a type whose values must parse is never a
//! placeholder.

use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::topology::Topology;

/// Secret types and the keys the API server requires of them: all of
/// them, or (basic-auth) at least one.
const REQUIRED: [(&str, &[&str], bool); 3] = [
    ("kubernetes.io/tls", &["tls.crt", "tls.key"], true),
    ("kubernetes.io/basic-auth", &["username", "password"], false),
    ("kubernetes.io/ssh-auth", &["ssh-privatekey"], true),
];

pub(super) fn check(topo: &Topology, out: &mut Vec<Diagnostic>) {
    for (name, s) in &topo.secrets {
        let Some(kind) = s.kind.as_deref().filter(|_| s.placeholder) else { continue };
        let path = TomlPath::root().key("secrets").key(name.clone());
        if let Some((_, keys, all)) = REQUIRED.iter().find(|(t, _, _)| *t == kind) {
            let missing: Vec<&str> = keys.iter().copied().filter(|k| !s.keys.iter().any(|x| x == k)).collect();
            let fails = if *all { !missing.is_empty() } else { missing.len() == keys.len() };
            if fails {
                let list = missing.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(if *all {
                    " and "
                } else {
                    " or "
                });
                out.push(
                    Diagnostic::error("E042", format!("a `{kind}` secret needs the key {list}"))
                        .at(&path.key("keys"))
                        .with_help(format!(
                            "the API server refuses a `{kind}` Secret without them: add {list} to `keys`"
                        )),
                );
            }
        }
        let content = match kind {
            "kubernetes.io/dockerconfigjson" => Some(".dockerconfigjson"),
            "kubernetes.io/dockercfg" => Some(".dockercfg"),
            _ => None,
        };
        if let Some(key) = content {
            out.push(
                Diagnostic::error("E030", format!("a `{kind}` secret cannot be a placeholder"))
                    .at(&path.key("placeholder"))
                    .with_help(format!(
                        "the API server parses `{key}` as JSON, and a placeholder holds `REPLACE_ME`: create the secret in the cluster (or through a `store`) and remove `placeholder`"
                    )),
            );
        }
        if kind == "kubernetes.io/service-account-token" {
            out.push(
                Diagnostic::error("E030", format!("a `{kind}` secret cannot be a placeholder"))
                    .at(&path.key("placeholder"))
                    .with_help("the API server wants the annotation `kubernetes.io/service-account.name`, which a placeholder does not carry: let Kubernetes create the token, and remove `placeholder`"),
            );
        }
    }
}
