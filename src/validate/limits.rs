//! The API server's size limits, which it enforces only when the objects
//! are applied: a ConfigMap or Secret holds at most 1 MiB of data, and the
//! annotations of an object total at most 256 KiB (keys and values).

use std::collections::BTreeMap;

use indexmap::IndexMap;

use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::topology::Topology;

/// The most data a ConfigMap or a Secret holds: the values of `data` and
/// `binaryData` together (the API server's `MaxSecretSize`).
pub(crate) const MAX_DATA_BYTES: usize = 1 << 20;

/// The most an object's annotations total, keys and values (the API
/// server's `TotalAnnotationSizeLimitB`).
pub(super) const MAX_ANNOTATION_BYTES: usize = 256 << 10;

/// The data size the API server counts: the values.
pub(crate) fn data_size(data: &IndexMap<String, String>) -> usize {
    data.values().map(String::len).sum()
}

/// Config maps over [`MAX_DATA_BYTES`], their `files` read in (`data` is
/// what resolution made of each config map), located at the config map.
pub(crate) fn config_map_sizes(topo: &Topology, data: &IndexMap<String, IndexMap<String, String>>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for name in topo.config_maps.keys() {
        let size = data.get(name).map(data_size).unwrap_or_default();
        if size > MAX_DATA_BYTES {
            out.push(
                Diagnostic::error("E023", format!("the data of config map `{name}` is more than 1 MiB ({size} bytes)"))
                    .at_key(&TomlPath::root().key("config_maps").key(name.clone()))
                    .with_label("too large for the API server")
                    .with_help("the API server rejects a ConfigMap with more than 1 MiB of data: split it into several config maps, or ship large files in the image or on a volume"),
            );
        }
    }
    out
}

/// Placeholder Secrets over [`MAX_DATA_BYTES`] and objects whose
/// annotations are over [`MAX_ANNOTATION_BYTES`].
pub(super) fn check(topo: &Topology, out: &mut Vec<Diagnostic>) {
    for (name, s) in &topo.secrets {
        // only a placeholder Secret is rendered: one value per key
        let size = s.keys.len() * crate::topology::SECRET_PLACEHOLDER.len();
        if s.placeholder && size > MAX_DATA_BYTES {
            out.push(
                Diagnostic::error("E023", format!("the data of secret `{name}` is more than 1 MiB ({size} bytes)"))
                    .at_key(&TomlPath::root().key("secrets").key(name.clone()))
                    .with_label("too large for the API server")
                    .with_help(
                        "the API server rejects a Secret with more than 1 MiB of data: split it into several secrets",
                    ),
            );
        }
    }
    annotations(topo, out);
}

/// Every object carries the project's annotations and its own, the own
/// winning on a shared key; each table is reported where it makes an
/// object too large, once.
fn annotations(topo: &Topology, out: &mut Vec<Diagnostic>) {
    let project = &topo.project.annotations;
    let root = TomlPath::root();
    let mut over = |what: String, sets: &[&IndexMap<String, String>], at: TomlPath| {
        let size = annotation_size(sets);
        if size > MAX_ANNOTATION_BYTES {
            out.push(
                Diagnostic::error("E023", format!("{what} more than 256 KiB ({size} bytes)"))
                    .at_key(&at)
                    .with_label("too large for the API server")
                    .with_help("the API server rejects an object whose annotations (keys and values) total more than 256 KiB: keep large data in a config map or the image, not in annotations"),
            );
            true
        } else {
            false
        }
    };
    if over("the project's annotations are".into(), &[project], root.key("project").key("annotations")) {
        // on every object: once is enough
        return;
    }
    for (name, ns) in &topo.namespaces {
        if !ns.annotations.is_empty() {
            let at = root.key("namespaces").key(name.clone()).key("annotations");
            over(format!("the annotations of namespace `{name}` are"), &[project, &ns.annotations], at);
        }
    }
    for (name, svc) in &topo.services {
        let path = root.key("services").key(name.clone());
        let own = &svc.annotations;
        if !own.is_empty()
            && over(format!("the annotations of service `{name}` are"), &[project, own], path.key("annotations"))
        {
            continue;
        }
        if let Some(spec) = svc.service.as_ref().filter(|s| !s.annotations.is_empty()) {
            let at = path.key("service").key("annotations");
            over(format!("the annotations of the Service of `{name}` are"), &[project, own, &spec.annotations], at);
        }
        if let Some(sa) = svc.service_account.as_ref().filter(|s| !s.annotations.is_empty() && s.create != Some(false))
        {
            let at = path.key("service_account").key("annotations");
            over(
                format!("the annotations of the ServiceAccount of `{name}` are"),
                &[project, own, &sa.annotations],
                at,
            );
        }
        // the pod template carries its own annotations only
        over(
            format!("the pod annotations of service `{name}` are"),
            &[&svc.pod_annotations],
            path.key("pod_annotations"),
        );
    }
    for (name, ing) in &topo.ingresses {
        if !ing.annotations.is_empty() {
            let at = root.key("ingresses").key(name.clone()).key("annotations");
            over(format!("the annotations of ingress `{name}` are"), &[project, &ing.annotations], at);
        }
    }
}

/// The size the API server counts for annotations merged from `sets` (a
/// later set wins on a shared key): every key and value.
fn annotation_size(sets: &[&IndexMap<String, String>]) -> usize {
    let merged: BTreeMap<&str, &str> =
        sets.iter().flat_map(|m| m.iter()).map(|(k, v)| (k.as_str(), v.as_str())).collect();
    merged.iter().map(|(k, v)| k.len() + v.len()).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn findings(topology: &str) -> Vec<String> {
        let topo: Topology = toml::from_str(topology).unwrap();
        let mut out = Vec::new();
        check(&topo, &mut out);
        out.into_iter().map(|d| format!("{} {} {:?}", d.code, d.message, d.anchor)).collect()
    }

    #[test]
    fn annotations_count_keys_and_values_once_per_key() {
        let mut a = IndexMap::new();
        a.insert("k".to_string(), "x".repeat(10));
        let mut b = IndexMap::new();
        b.insert("k".to_string(), "y".repeat(3));
        b.insert("other".to_string(), String::new());
        assert_eq!(annotation_size(&[&a]), 11);
        assert_eq!(annotation_size(&[&a, &b]), 1 + 3 + 5);
    }

    #[test]
    fn annotations_are_reported_on_the_table_that_makes_an_object_too_large() {
        let big = "x".repeat(MAX_ANNOTATION_BYTES);
        let base = "[project]\nname = \"p\"\n[services.web]\nkind = \"deployment\"\ncontainer = { image = \"w:1\" }\n";
        // exactly at the limit is fine: key `a` plus a value one shorter
        let at = format!("{base}annotations = {{ a = \"{}\" }}\n", &big[1..]);
        assert_eq!(findings(&at), Vec::<String>::new());
        let over = format!("{base}annotations = {{ a = \"{big}\" }}\n");
        let f = findings(&over);
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].starts_with("E023 the annotations of service `web` are more than 256 KiB (262145 bytes)"),
            "{f:?}"
        );
        // the Service's own annotations add to the service's
        let half = &big[..MAX_ANNOTATION_BYTES / 2];
        let split =
            format!("{base}annotations = {{ a = \"{half}\" }}\nservice = {{ annotations = {{ b = \"{half}\" }} }}\n");
        let f = findings(&split);
        assert!(f.len() == 1 && f[0].contains("the annotations of the Service of `web`"), "{f:?}");
        // project annotations over the limit: reported once, at the project
        let project = format!(
            "[project]\nname = \"p\"\nannotations = {{ a = \"{big}\" }}\n[namespaces.p]\nannotations = {{ b = \"1\" }}\n"
        );
        let f = findings(&project);
        assert!(f.len() == 1 && f[0].contains("the project's annotations"), "{f:?}");
    }

    #[test]
    fn a_placeholder_secret_with_too_many_keys() {
        let keys: Vec<String> = (0..110_000).map(|i| format!("\"k{i}\"")).collect();
        let topo = format!("[project]\nname = \"p\"\n[secrets.s]\nplaceholder = true\nkeys = [{}]\n", keys.join(","));
        let f = findings(&topo);
        assert!(f.len() == 1 && f[0].contains("the data of secret `s` is more than 1 MiB (1100000 bytes)"), "{f:?}");
        // without a placeholder no Secret is rendered
        assert_eq!(findings(&topo.replace("placeholder = true\n", "")), Vec::<String>::new());
    }
}
