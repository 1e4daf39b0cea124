//! Rule: every name a topology refers to — namespaces, secrets and their
//! keys, config maps and their keys, claims, sidecar volumes — is declared,
//! in the namespace the reference is made from.

use super::containers;
use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::diagnostic::suggest;
use crate::topology::{Container, EnvValue, Topology};

pub(super) fn check(topo: &Topology, out: &mut Vec<Diagnostic>) {
    let default_ns = topo.default_namespace().to_string();
    let root = TomlPath::root();
    let ns_of = |ns: &Option<String>| topo.namespace_of(ns).to_string();

    // namespaces: when any are declared, every namespace used must be
    if !topo.namespaces.is_empty() {
        let mut uses: Vec<(String, TomlPath, bool)> = Vec::new();
        let project_ns = topo.project.namespace.is_some();
        uses.push((default_ns.clone(), root.key("project").key(if project_ns { "namespace" } else { "name" }), true));
        for (k, s) in &topo.services {
            uses.push((
                ns_of(&s.namespace),
                root.key("services").key(k.clone()).key("namespace"),
                s.namespace.is_none(),
            ));
        }
        for (k, s) in &topo.config_maps {
            uses.push((
                ns_of(&s.namespace),
                root.key("config_maps").key(k.clone()).key("namespace"),
                s.namespace.is_none(),
            ));
        }
        for (k, s) in &topo.secrets {
            uses.push((
                ns_of(&s.namespace),
                root.key("secrets").key(k.clone()).key("namespace"),
                s.namespace.is_none(),
            ));
        }
        for (k, s) in &topo.claims {
            uses.push((ns_of(&s.namespace), root.key("claims").key(k.clone()).key("namespace"), s.namespace.is_none()));
        }
        for (ns, path, defaulted) in uses {
            if topo.namespaces.contains_key(&ns) {
                continue;
            }
            // a defaulted namespace is only a problem where it is used
            if defaulted && path.len() > 2 {
                // reported once through the project entry
                continue;
            }
            out.push(Diagnostic::error("E040", format!("namespace `{ns}` is not declared")).at(&path).with_help(
                match suggest::closest(&ns, topo.namespaces.keys().map(String::as_str)) {
                    Some(c) => format!("did you mean `{c}`? or declare it with `[namespaces.{ns}]`"),
                    None => format!("declare it with `[namespaces.{ns}]`"),
                },
            ));
        }
    }

    for (svc_name, svc) in &topo.services {
        let path = root.key("services").key(svc_name.clone());
        let ns_name = ns_of(&svc.namespace);
        // in an undeclared namespace (reported above) every reference would
        // also be in the wrong namespace: check only that targets exist
        let ns = (topo.namespaces.is_empty() || topo.namespaces.contains_key(&ns_name)).then_some(ns_name.as_str());
        for (cpath, c, _) in containers(svc, &path) {
            container_refs(topo, c, &cpath, ns, &ns_of, out);
            for vol in c.volume_mounts.keys() {
                if !svc.volumes.contains_key(vol) {
                    out.push(
                        Diagnostic::error("E041", format!("volume `{vol}` is not declared on service `{svc_name}`"))
                            .at_key(&cpath.key("volume_mounts").key(vol.clone()))
                            .with_help(format!("declare it under `[services.{svc_name}.volumes.{vol}]`")),
                    );
                }
            }
        }
        for (vname, v) in &svc.volumes {
            let vpath = path.key("volumes").key(vname.clone());
            if let Some(c) = &v.claim {
                let found = topo.claims.get(c).map(|cl| ns_of(&cl.namespace));
                refer(out, "claim", c, found.as_deref(), ns, &vpath.key("claim"), topo.claims.keys(), "claims");
            }
            if let Some(c) = &v.config_map {
                let found = topo.config_maps.get(c).map(|cm| ns_of(&cm.namespace));
                refer(
                    out,
                    "config map",
                    c,
                    found.as_deref(),
                    ns,
                    &vpath.key("config_map"),
                    topo.config_maps.keys(),
                    "config_maps",
                );
            }
            if let Some(s) = &v.secret {
                let found = topo.secrets.get(s).map(|x| ns_of(&x.namespace));
                refer(out, "secret", s, found.as_deref(), ns, &vpath.key("secret"), topo.secrets.keys(), "secrets");
            }
        }
    }
}

/// Checks that `name` is declared (in `table`) and lives in namespace `ns`.
#[allow(clippy::too_many_arguments)]
fn refer<'a>(
    out: &mut Vec<Diagnostic>,
    what: &str,
    name: &str,
    found_in: Option<&str>,
    ns: Option<&str>,
    path: &TomlPath,
    known: impl Iterator<Item = &'a String> + Clone,
    table: &str,
) -> bool {
    match found_in {
        None => {
            out.push(Diagnostic::error("E041", format!("{what} `{name}` is not declared")).at(path).with_help(
                match suggest::closest(name, known.map(String::as_str)) {
                    Some(c) => {
                        format!("did you mean `{c}`? or declare it with `[{table}.{name}]`")
                    }
                    None => format!("declare it with `[{table}.{name}]`"),
                },
            ));
            false
        }
        Some(other) if ns.is_some_and(|ns| ns != other) => {
            let ns = ns.unwrap_or_default();
            out.push(
                Diagnostic::error("E041", format!("{what} `{name}` is in namespace `{other}`, not `{ns}`"))
                    .at(path)
                    .with_help(format!("pods can only use a {what} of their own namespace: declare one in `{ns}`")),
            );
            false
        }
        Some(_) => true,
    }
}

fn container_refs(
    topo: &Topology,
    c: &Container,
    cpath: &TomlPath,
    ns: Option<&str>,
    ns_of: &dyn Fn(&Option<String>) -> String,
    out: &mut Vec<Diagnostic>,
) {
    for (var, v) in &c.env {
        let EnvValue::Ref(r) = v else { continue };
        let epath = cpath.key("env").key(var.clone());
        if let (Some(s), Some(key)) = (&r.secret, &r.key) {
            let decl = topo.secrets.get(s);
            let ok = refer(
                out,
                "secret",
                s,
                decl.map(|d| ns_of(&d.namespace)).as_deref(),
                ns,
                &epath.key("secret"),
                topo.secrets.keys(),
                "secrets",
            );
            if ok
                && let Some(d) = decl
                && !d.keys.is_empty()
                && !d.keys.contains(key)
                && r.optional != Some(true)
            {
                out.push(
                    Diagnostic::error("E042", format!("secret `{s}` has no key `{key}`"))
                        .at(&epath.key("key"))
                        .with_help(match suggest::closest(key, d.keys.iter().map(String::as_str)) {
                            Some(c) => format!("did you mean `{c}`? If the key is new, add it to `secrets.{s}.keys`"),
                            None => format!(
                                "the secret declares {}; add `{key}` to `secrets.{s}.keys` if it is new",
                                suggest::list(d.keys.iter().map(String::as_str))
                            ),
                        }),
                );
            }
        }
        if let (Some(cm), Some(key)) = (&r.config_map, &r.key) {
            let decl = topo.config_maps.get(cm);
            let ok = refer(
                out,
                "config map",
                cm,
                decl.map(|d| ns_of(&d.namespace)).as_deref(),
                ns,
                &epath.key("config_map"),
                topo.config_maps.keys(),
                "config_maps",
            );
            if ok
                && let Some(d) = decl
                && !d.data.contains_key(key)
                && !d.files.contains_key(key)
                && r.optional != Some(true)
            {
                let keys = d.data.keys().chain(d.files.keys()).map(String::as_str);
                out.push(
                    Diagnostic::error("E042", format!("config map `{cm}` has no key `{key}`"))
                        .at(&epath.key("key"))
                        .with_help(suggest::help(key, "keys", keys)),
                );
            }
        }
    }
    for (i, e) in c.env_from.iter().enumerate() {
        let p = cpath.key("env_from").index(i);
        if let Some(s) = &e.secret {
            let found = topo.secrets.get(s).map(|d| ns_of(&d.namespace));
            refer(out, "secret", s, found.as_deref(), ns, &p.key("secret"), topo.secrets.keys(), "secrets");
        }
        if let Some(cm) = &e.config_map {
            let found = topo.config_maps.get(cm).map(|d| ns_of(&d.namespace));
            refer(
                out,
                "config map",
                cm,
                found.as_deref(),
                ns,
                &p.key("config_map"),
                topo.config_maps.keys(),
                "config_maps",
            );
        }
    }
}
