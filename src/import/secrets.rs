//! External secrets: an ExternalSecret (external-secrets.io `v1`, or
//! `v1beta1`) becomes the `secrets.NAME` it fills, with `store` (a
//! `secret_stores` entry for its SecretStore or ClusterSecretStore),
//! `remote` and `refresh` — the inverse of `objects/cluster.rs`'s external
//! secrets.
//!
//! The values an ExternalSecret fetches are the Secret's contents: one
//! imported with fewer keys, another template or another owner would
//! change what the pods read, so such an object is imported whole or not
//! at all; only what leaves the Secret as it is becomes a note.

use serde_json::Value;

use super::scaling::annotations_of;
use super::toml::Section;
use super::{Ctx, ns_of};

/// The store an ExternalSecret names: its name, kind and API version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Store {
    pub name: String,
    pub kind: String,
    pub v1beta1: bool,
}

/// Where the values live: each key's remote key and property, or one
/// remote key extracted whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Fetch {
    /// `data`: (secretKey, remoteRef.key, remoteRef.property).
    Data(Vec<(String, String, Option<String>)>),
    /// `dataFrom: [{extract: {key}}]`.
    Extract(String),
}

/// An imported ExternalSecret: what its `secrets` entry is written from.
#[derive(Clone, Debug)]
pub(super) struct External {
    /// The key of its store among `secret_stores`.
    pub store: String,
    pub fetch: Fetch,
    pub refresh: Option<String>,
    /// Its labels, where they are not archctl's.
    pub legacy: Option<super::toml::Table>,
}

/// The defaults of a remote reference's other fields, which archctl does
/// not write (the CRD fills them in).
const REMOTE_DEFAULTS: &[(&str, &str)] =
    &[("conversionStrategy", "Default"), ("decodingStrategy", "None"), ("metadataPolicy", "None")];

/// A remote reference: its key and property; notes for the defaults given.
fn remote_ref(r: &Value, at: &str, notes: &mut Vec<String>) -> Result<(String, Option<String>), String> {
    let Some(m) = r.as_object() else { return Err(format!("{at}: not a remote reference")) };
    let Some(key) = m.get("key").and_then(Value::as_str).filter(|k| !k.is_empty()) else {
        return Err(format!("{at}.key: it names no remote key"));
    };
    let mut property = None;
    for (k, v) in m {
        match (k.as_str(), v) {
            ("key", _) => {}
            ("property", Value::String(p)) => property = Some(p.clone()),
            (k, Value::String(s)) if REMOTE_DEFAULTS.contains(&(k, s.as_str())) => {
                notes.push(format!("{at}.{k}: archctl leaves `{s}`, the default, out"));
            }
            (k, _) => {
                return Err(format!(
                    "{at}.{k}: archctl fetches a remote key (and property) as it is, and this changes the values"
                ));
            }
        }
    }
    Ok((key.to_string(), property))
}

/// An ExternalSecret: what its `secrets` entry is written from (in
/// `ctx.external`, its store in `ctx.stores`), and its notes.
pub(super) fn external_secret(ctx: &mut Ctx, o: &Value) -> Result<Vec<String>, String> {
    let name = o["metadata"]["name"].as_str().unwrap_or("").to_string();
    let ns = ns_of(o, &ctx.namespace);
    let spec = &o["spec"];
    let mut notes = Vec::new();
    for (k, _) in spec.as_object().into_iter().flatten() {
        if !matches!(k.as_str(), "refreshInterval" | "secretStoreRef" | "target" | "data" | "dataFrom") {
            notes.push(format!("spec.{k}: the topology's external secrets hold no `{k}`"));
        }
    }
    // the store
    let r = &spec["secretStoreRef"];
    let Some(store_name) = r["name"].as_str().filter(|n| !n.is_empty()) else {
        return Err("spec.secretStoreRef.name: it names no store".into());
    };
    let kind = match r["kind"].as_str() {
        Some(k @ ("SecretStore" | "ClusterSecretStore")) => k.to_string(),
        Some(k) => return Err(format!("spec.secretStoreRef.kind: `{k}` is not a SecretStore or ClusterSecretStore")),
        None => {
            notes.push(
                "spec.secretStoreRef.kind: archctl writes it, and it is not given (external-secrets reads none as `SecretStore`)"
                    .into(),
            );
            "SecretStore".to_string()
        }
    };
    let v1beta1 = o["apiVersion"] == "external-secrets.io/v1beta1";
    // the target: the Secret of the ExternalSecret's name, which it owns
    let target = &spec["target"];
    for (k, v) in target.as_object().into_iter().flatten() {
        match (k.as_str(), v.as_str()) {
            ("name", Some(n)) if n == name => {}
            ("name", _) => {
                return Err(format!(
                    "spec.target.name: archctl's external secret fills the Secret of its own name (`{name}`), not another"
                ));
            }
            ("creationPolicy", Some("Owner")) => {}
            ("creationPolicy", _) => {
                return Err("spec.target.creationPolicy: archctl's external secret owns its Secret (`Owner`)".into());
            }
            ("deletionPolicy", Some("Retain")) => {
                notes.push("spec.target.deletionPolicy: archctl leaves `Retain`, the default, out".into())
            }
            ("template", _) => {
                return Err("spec.target.template: archctl writes the fetched values as they are, not templated".into());
            }
            (k, _) => notes.push(format!("spec.target.{k}: the topology's external secrets hold no `{k}`")),
        }
    }
    for (k, why) in [
        ("name", "archctl writes it, and it is not given (external-secrets defaults it to the object's name)"),
        ("creationPolicy", "archctl writes it, and it is not given (the default is `Owner`)"),
    ] {
        if target[k].is_null() {
            notes.push(format!("spec.target.{k}: {why}"));
        }
    }
    // what it fetches
    let data = spec["data"].as_array().map(Vec::as_slice).unwrap_or_default();
    let from = spec["dataFrom"].as_array().map(Vec::as_slice).unwrap_or_default();
    let fetch = match (data, from) {
        ([], []) => return Err("it fetches nothing (no `data` or `dataFrom`)".into()),
        ([], [one]) => {
            let at = "spec.dataFrom[0]";
            match one.as_object().map(|m| m.keys().map(String::as_str).collect::<Vec<_>>()).as_deref() {
                Some(["extract"]) => {}
                _ => return Err(format!("{at}: archctl's external secrets extract one remote key whole")),
            }
            let (key, property) = remote_ref(&one["extract"], &format!("{at}.extract"), &mut notes)?;
            if property.is_some() {
                return Err(format!("{at}.extract.property: archctl extracts a remote key whole"));
            }
            Fetch::Extract(key)
        }
        ([], _) => return Err("spec.dataFrom: archctl's external secrets extract one remote key whole".into()),
        (_, []) => {
            let mut out: Vec<(String, String, Option<String>)> = Vec::new();
            for (i, d) in data.iter().enumerate() {
                let at = format!("spec.data[{i}]");
                if let Some(k) =
                    d.as_object().into_iter().flatten().map(|(k, _)| k).find(|k| *k != "secretKey" && *k != "remoteRef")
                {
                    return Err(format!("{at}.{k}: archctl fetches from the store the secret names"));
                }
                let Some(key) = d["secretKey"].as_str().filter(|k| !k.is_empty()) else {
                    return Err(format!("{at}.secretKey: it names no key"));
                };
                if out.iter().any(|(k, _, _)| k == key) {
                    return Err(format!("{at}.secretKey: the key `{key}` is fetched twice"));
                }
                let (remote, property) = remote_ref(&d["remoteRef"], &format!("{at}.remoteRef"), &mut notes)?;
                out.push((key.to_string(), remote, property));
            }
            Fetch::Data(out)
        }
        _ => return Err("spec.dataFrom: archctl's external secrets fetch `data` or `dataFrom`, not both".into()),
    };
    if ctx.external.contains_key(&name) {
        return Err(format!("another ExternalSecret `{name}` comes first: the topology names secrets uniquely"));
    }
    // the keys the workloads read must stay readable
    let used = ctx.secrets.get(&name).map(|s| s.keys.clone()).unwrap_or_default();
    if keys_and_remote(&fetch, &used).is_none() {
        return Err(
            "spec.data: a remote key with `#`, which the topology's `remote` table reads as `remote#property`".into()
        );
    }
    if !ctx.use_secret(&name, &ns, None) {
        return Err(format!("a Secret `{name}` of another namespace is imported: the topology names secrets uniquely"));
    }
    let legacy = super::legacy_labels(ctx, o, &name, "secret");
    if !annotations_of(o).is_empty() {
        notes.push("metadata.annotations: archctl writes none on an ExternalSecret".into());
    }
    // the store: one `secret_stores` entry for each store named
    let store = Store { name: store_name.to_string(), kind, v1beta1 };
    let key = match ctx.stores.iter().find(|(_, s)| *s == store) {
        Some((k, _)) => k.clone(),
        None => {
            let mut k = store.name.clone();
            let mut n = 2;
            while ctx.stores.iter().any(|(x, _)| *x == k) {
                k = format!("{}-{n}", store.name);
                n += 1;
            }
            ctx.stores.push((k.clone(), store));
            k
        }
    };
    let refresh = spec["refreshInterval"].as_str().map(str::to_string);
    ctx.external.insert(name, External { store: key, fetch, refresh, legacy });
    if !ctx.used_namespaces.contains(&ns) {
        ctx.used_namespaces.push(ns);
    }
    Ok(notes)
}

/// The `secret_stores` entry of a store.
pub(super) fn store_section(key: &str, store: &Store) -> Section {
    let mut s = Section::new(&["secret_stores", key]);
    s.comments.push("a store of the cluster that imported external secrets fetch from".into());
    if store.name != key {
        s.table.set("name", store.name.as_str());
    }
    if store.kind != "SecretStore" {
        s.table.set("kind", store.kind.as_str());
    }
    if store.v1beta1 {
        s.table.set("api_version", "v1beta1");
    }
    s
}

/// The `keys` and `remote` of a secret that an ExternalSecret fills;
/// `used`: the keys its workloads read. `None` when the topology cannot
/// write it (a remote key with `#`, read as `remote#property`).
pub(super) fn keys_and_remote(fetch: &Fetch, used: &[String]) -> Option<(Vec<String>, Option<super::toml::Value>)> {
    use super::toml::{Table, Value as T};
    match fetch {
        // the keys are the remote key's: any key may be read
        Fetch::Extract(key) => Some((Vec::new(), Some(T::Str(key.clone())))),
        Fetch::Data(data) => {
            let keys: Vec<String> = data.iter().map(|(k, _, _)| k.clone()).collect();
            let covered = used.iter().all(|u| keys.contains(u));
            // each key a remote key of its name
            if covered && data.iter().all(|(k, r, p)| k == r && p.is_none()) {
                return Some((keys, None));
            }
            // each key a property of one remote key
            if covered
                && let Some((_, first, _)) = data.first()
                && data.iter().all(|(k, r, p)| r == first && p.as_deref() == Some(k.as_str()))
            {
                return Some((keys, Some(T::Str(first.clone()))));
            }
            // key by key
            let mut t = Table::default();
            for (k, r, p) in data {
                if r.contains('#') {
                    return None;
                }
                match p {
                    Some(p) => t.set(k, format!("{r}#{p}")),
                    None => t.set(k, r.as_str()),
                }
            }
            let mut all = keys;
            for u in used {
                if !all.contains(u) {
                    all.push(u.clone());
                }
            }
            Some((all, Some(T::Table(t))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::toml::Value as T;

    fn data(entries: &[(&str, &str, Option<&str>)]) -> Fetch {
        Fetch::Data(entries.iter().map(|(k, r, p)| (k.to_string(), r.to_string(), p.map(str::to_string))).collect())
    }

    #[test]
    fn the_remote_is_written_in_the_shortest_form_that_renders_the_same_data() {
        let keys = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        // keys of their own names: no remote
        let f = data(&[("a", "a", None), ("b", "b", None)]);
        assert_eq!(keys_and_remote(&f, &[]), Some((keys(&["a", "b"]), None)));
        // properties of one remote key
        let f = data(&[("user", "db", Some("user")), ("pass", "db", Some("pass"))]);
        assert_eq!(keys_and_remote(&f, &keys(&["pass"])), Some((keys(&["user", "pass"]), Some(T::Str("db".into())))));
        // a workload reads a key the data does not name: key by key, so that the render keeps the data
        let (k, r) = keys_and_remote(&f, &keys(&["other"])).unwrap();
        assert_eq!(k, keys(&["user", "pass", "other"]));
        let Some(T::Table(t)) = r else { panic!("{r:?}") };
        assert_eq!(t.get("user"), Some(&T::Str("db#user".into())));
        // a remote key read whole
        assert_eq!(
            keys_and_remote(&Fetch::Extract("app".into()), &keys(&["x"])),
            Some((vec![], Some(T::Str("app".into()))))
        );
        // `#` in a remote key cannot be written key by key
        assert_eq!(keys_and_remote(&data(&[("a", "x#y", None), ("b", "b", None)]), &[]), None);
    }

    #[test]
    fn a_remote_reference_keeps_its_key_and_property_and_notes_the_defaults() {
        let mut notes = Vec::new();
        let r = serde_json::json!({"key": "db", "property": "pw", "conversionStrategy": "Default"});
        assert_eq!(remote_ref(&r, "spec.data[0].remoteRef", &mut notes), Ok(("db".into(), Some("pw".into()))));
        assert_eq!(notes, ["spec.data[0].remoteRef.conversionStrategy: archctl leaves `Default`, the default, out"]);
        let r = serde_json::json!({"key": "db", "decodingStrategy": "Base64"});
        assert!(remote_ref(&r, "x", &mut notes).unwrap_err().starts_with("x.decodingStrategy:"));
    }
}
