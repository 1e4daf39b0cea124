//! The Gateway API (gateway.networking.k8s.io/v1): a Gateway becomes
//! `gateways.NAME`, an HTTPRoute or GRPCRoute whose backends are the
//! Services of imported workloads `routes.NAME`, and a ReferenceGrant is
//! the one archctl renders for a route's backend in another namespace —
//! the inverse of `objects/network.rs`'s `gateway_api`.
//!
//! Each is imported whole or not at all: a listener or a rule left out of
//! the render would be one removed from the cluster by the next apply.

use indexmap::IndexMap;
use serde_json::{Value, json};

use super::scaling::annotations_of;
use super::toml::{Section, Table, Value as T};
use super::{Ctx, Entry, Fate, ns_of};
use crate::k8s::describe;

const GROUP: &str = "gateway.networking.k8s.io";
const API: &str = "gateway.networking.k8s.io/v1";

/// The keys of a JSON object (none: empty).
fn keys(v: &Value) -> impl Iterator<Item = &str> {
    v.as_object().into_iter().flatten().map(|(k, _)| k.as_str())
}

/// An object's annotations as a table (those tools write left out).
fn annotations(o: &Value) -> Table {
    let mut t = Table::default();
    for (k, v) in annotations_of(o) {
        t.set(&k, v.as_str().unwrap_or(""));
    }
    t
}

/// A Gateway, before its routes are known.
struct Gw {
    index: usize,
    name: String,
    ns: String,
    /// Its listeners allow routes of every namespace (`from: All`).
    all: bool,
    listeners: Vec<String>,
    section: Section,
    notes: Vec<String>,
}

/// A Gateway: its class, listeners and annotations.
fn gateway(ctx: &Ctx, index: usize, o: &Value) -> Result<Gw, String> {
    let name = o["metadata"]["name"].as_str().unwrap_or("").to_string();
    let ns = ns_of(o, &ctx.namespace);
    let spec = &o["spec"];
    if let Some(k) = keys(spec).find(|k| !matches!(*k, "gatewayClassName" | "listeners")) {
        return Err(format!("spec.{k}: archctl's gateways hold a class and listeners only"));
    }
    let Some(class) = spec["gatewayClassName"].as_str() else {
        return Err("spec.gatewayClassName: it names no class".into());
    };
    let mut notes = Vec::new();
    let mut listeners = Vec::new();
    let mut names = Vec::new();
    let mut from: Vec<bool> = Vec::new();
    for (i, l) in spec["listeners"].as_array().into_iter().flatten().enumerate() {
        let at = format!("spec.listeners[{i}]");
        if let Some(k) =
            keys(l).find(|k| !matches!(*k, "name" | "hostname" | "port" | "protocol" | "tls" | "allowedRoutes"))
        {
            return Err(format!(
                "{at}.{k}: archctl's listeners hold a name, protocol, port, host name and certificates"
            ));
        }
        let (Some(lname), Some(protocol), Some(port)) =
            (l["name"].as_str(), l["protocol"].as_str(), l["port"].as_i64())
        else {
            return Err(format!("{at}: a listener without a name, protocol or port"));
        };
        let mut t = Table::default();
        t.set("name", lname);
        t.set("protocol", protocol);
        t.set("port", port);
        if let Some(h) = l["hostname"].as_str() {
            t.set("hostname", h);
        }
        if !l["tls"].is_null() {
            t.set("certificates", certificates(&l["tls"], &at, &mut notes)?);
        }
        // routes of other namespaces: allowed on every listener or on none
        let routes = &l["allowedRoutes"];
        if let Some(k) = keys(routes).find(|k| *k != "namespaces") {
            return Err(format!("{at}.allowedRoutes.{k}: archctl's listeners take the kinds of routes they serve"));
        }
        let namespaces = &routes["namespaces"];
        if let Some(k) = keys(namespaces).find(|k| *k != "from") {
            return Err(format!("{at}.allowedRoutes.namespaces.{k}: archctl allows routes of its namespace or all"));
        }
        match namespaces["from"].as_str() {
            None if routes.is_null() => from.push(false),
            Some("Same") => {
                notes.push(format!("{at}.allowedRoutes: archctl leaves `namespaces.from: Same`, the default, out"));
                from.push(false);
            }
            Some("All") => from.push(true),
            _ => {
                return Err(format!(
                    "{at}.allowedRoutes.namespaces.from: archctl allows routes of its namespace or all"
                ));
            }
        }
        names.push(lname.to_string());
        listeners.push(T::Table(t));
    }
    if listeners.is_empty() {
        return Err("spec.listeners: it has none".into());
    }
    let all = from.iter().all(|a| *a);
    if !all && from.iter().any(|a| *a) {
        return Err(
            "spec.listeners: some allow routes of every namespace and some do not, and archctl allows them on all of a gateway's listeners or none"
                .into(),
        );
    }
    let mut s = Section::new(&["gateways", &name]);
    ctx.namespace(&mut s.table, &ns);
    s.table.set("class", class);
    s.table.set("listeners", T::Array(listeners));
    let a = annotations(o);
    if !a.is_empty() {
        s.table.set("annotations", a);
    }
    s.table.opt("legacy", super::legacy_labels(ctx, o, &name, "gateway"));
    Ok(Gw { index, name, ns, all, listeners: names, section: s, notes })
}

/// A listener's `tls`: the Secrets of its certificates, which it terminates.
fn certificates(tls: &Value, at: &str, notes: &mut Vec<String>) -> Result<Vec<String>, String> {
    let at = format!("{at}.tls");
    if let Some(k) = keys(tls).find(|k| !matches!(*k, "mode" | "certificateRefs")) {
        return Err(format!("{at}.{k}: archctl's listeners terminate TLS with certificates only"));
    }
    match tls["mode"].as_str() {
        Some("Terminate") => {}
        None => notes.push(format!("{at}.mode: archctl writes it, and it is not given (the default is `Terminate`)")),
        Some(m) => return Err(format!("{at}.mode: `{m}`, and archctl's listeners terminate TLS")),
    }
    let mut out = Vec::new();
    for (i, c) in tls["certificateRefs"].as_array().into_iter().flatten().enumerate() {
        let cat = format!("{at}.certificateRefs[{i}]");
        for (k, v) in c.as_object().into_iter().flatten() {
            match (k.as_str(), v.as_str()) {
                ("name", Some(n)) => out.push(n.to_string()),
                ("kind", Some("Secret")) => {}
                ("group", Some("")) => notes.push(format!("{cat}.group: archctl leaves `\"\"`, the default, out")),
                _ => return Err(format!("{cat}.{k}: archctl's certificates are Secrets of the gateway's namespace")),
            }
        }
        if c["kind"].is_null() {
            notes.push(format!("{cat}.kind: archctl writes it, and it is not given (the default is `Secret`)"));
        }
    }
    if out.is_empty() {
        return Err(format!("{at}.certificateRefs: TLS without certificates, and archctl's TLS names its Secrets"));
    }
    Ok(out)
}

/// A route, before the gateways are settled: its section without
/// `gateway`, the gateway it attaches to, and the grants it needs.
struct Rt {
    index: usize,
    name: String,
    ns: String,
    /// The gateway's name, namespace and listener.
    parent: (String, String, Option<String>),
    section: Section,
    notes: Vec<String>,
}

/// The grant archctl renders for routes of `kind` in `from` to Services of
/// `ns`: its name and spec.
fn grant(kind: &str, from: &str) -> (String, Value) {
    (
        format!("{}-{from}", kind.to_ascii_lowercase()),
        json!({"from": [{"group": GROUP, "kind": kind, "namespace": from}], "to": [{"group": "", "kind": "Service"}]}),
    )
}

/// Whether the input holds, as archctl writes it, the grant of `ns` named
/// `name` with `spec`.
fn granted(ctx: &Ctx, objects: &[Value], wanted: &[usize], ns: &str, name: &str, spec: &Value) -> bool {
    wanted.iter().any(|&i| {
        let g = &objects[i];
        g["apiVersion"] == API
            && g["kind"] == "ReferenceGrant"
            && g["metadata"]["name"] == name
            && ns_of(g, &ctx.namespace) == ns
            && g["spec"] == *spec
    })
}

/// An HTTPRoute or GRPCRoute to the Services of imported workloads.
fn route(ctx: &Ctx, objects: &[Value], wanted: &[usize], index: usize, services: &[Section]) -> Result<Rt, String> {
    let o = &objects[index];
    let grpc = o["kind"] == "GRPCRoute";
    let kind = if grpc { "GRPCRoute" } else { "HTTPRoute" };
    let name = o["metadata"]["name"].as_str().unwrap_or("").to_string();
    let ns = ns_of(o, &ctx.namespace);
    let spec = &o["spec"];
    if let Some(k) = keys(spec).find(|k| !matches!(*k, "parentRefs" | "hostnames" | "rules")) {
        return Err(format!("spec.{k}: archctl's routes hold a gateway, host names and rules only"));
    }
    let mut notes = Vec::new();
    // the gateway
    let parents = spec["parentRefs"].as_array().map(Vec::as_slice).unwrap_or_default();
    let [p] = parents else {
        return Err("spec.parentRefs: archctl's route attaches to one gateway".into());
    };
    for (k, v) in p.as_object().into_iter().flatten() {
        match (k.as_str(), v.as_str()) {
            ("name" | "namespace" | "sectionName", Some(_)) => {}
            ("group", Some(GROUP)) | ("kind", Some("Gateway")) => notes.push(format!(
                "spec.parentRefs[0].{k}: archctl leaves `{}`, the default, out",
                v.as_str().unwrap_or("")
            )),
            _ => {
                return Err(format!(
                    "spec.parentRefs[0].{k}: archctl attaches a route to a gateway by name and listener"
                ));
            }
        }
    }
    let Some(gw) = p["name"].as_str() else { return Err("spec.parentRefs[0].name: it names no gateway".into()) };
    let gw_ns = p["namespace"].as_str().unwrap_or(&ns).to_string();
    if p["namespace"].as_str() == Some(ns.as_str()) {
        notes.push("spec.parentRefs[0].namespace: archctl leaves out the route's own namespace".into());
    }
    let parent = (gw.to_string(), gw_ns, p["sectionName"].as_str().map(str::to_string));
    let mut t = Table::default();
    if grpc {
        t.set("kind", "grpc");
    }
    ctx.namespace(&mut t, &ns);
    // `gateway` comes here, once the gateways are settled
    let hostnames: Vec<String> =
        spec["hostnames"].as_array().into_iter().flatten().filter_map(|h| h.as_str().map(str::to_string)).collect();
    if !hostnames.is_empty() {
        t.set("hostnames", hostnames);
    }
    let a = annotations(o);
    if !a.is_empty() {
        t.set("annotations", a);
    }
    let mut rules = Vec::new();
    for (ri, r) in spec["rules"].as_array().into_iter().flatten().enumerate() {
        let at = format!("spec.rules[{ri}]");
        if let Some(k) = keys(r).find(|k| !matches!(*k, "matches" | "backendRefs")) {
            return Err(format!("{at}.{k}: archctl's route rules hold matches and backends only"));
        }
        let mut rt = Table::default();
        let mut matches = Vec::new();
        for (mi, m) in r["matches"].as_array().into_iter().flatten().enumerate() {
            matches.push(T::Table(route_match(m, grpc, &format!("{at}.matches[{mi}]"), &mut notes)?));
        }
        if !matches.is_empty() {
            rt.set("matches", T::Array(matches));
        }
        let mut backends = Vec::new();
        for (bi, b) in r["backendRefs"].as_array().into_iter().flatten().enumerate() {
            let bat = format!("{at}.backendRefs[{bi}]");
            for (k, v) in b.as_object().into_iter().flatten() {
                match (k.as_str(), v) {
                    ("name" | "namespace" | "port" | "weight", _) => {}
                    ("group", Value::String(g)) if g.is_empty() => {
                        notes.push(format!("{bat}.group: archctl leaves `\"\"`, the default, out"))
                    }
                    ("kind", Value::String(k)) if k == "Service" => {
                        notes.push(format!("{bat}.kind: archctl leaves `Service`, the default, out"))
                    }
                    _ => return Err(format!("{bat}.{k}: archctl's backends are the Services of imported workloads")),
                }
            }
            let svc = b["name"].as_str().unwrap_or("");
            let svc_ns = b["namespace"].as_str().unwrap_or(&ns).to_string();
            if b["namespace"].as_str() == Some(ns.as_str()) {
                notes.push(format!("{bat}.namespace: archctl leaves out the route's own namespace"));
            }
            let Some(ports) =
                super::network::service_ports(services, svc).filter(|_| ctx.services.get(svc) == Some(&svc_ns))
            else {
                return Err(format!(
                    "{bat}: it routes to the Service `{svc}`, which is not among the imported objects of a workload of namespace `{svc_ns}`"
                ));
            };
            let Some(port) = b["port"].as_i64().filter(|n| ports.iter().any(|(_, q)| q == n)) else {
                return Err(format!("{bat}.port: not a port of the Service `{svc}` by number"));
            };
            if svc_ns != ns {
                let (g, want) = grant(kind, &ns);
                if !granted(ctx, objects, wanted, &svc_ns, &g, &want) {
                    return Err(format!(
                        "{bat}: a Service of namespace `{svc_ns}`, where archctl renders the ReferenceGrant `{g}` for it, and the input has none of that name and spec"
                    ));
                }
            }
            let mut bt = Table::default();
            bt.set("service", svc);
            bt.set("port", port);
            if let Some(w) = b["weight"].as_i64() {
                bt.set("weight", w);
            }
            backends.push(T::Table(bt));
        }
        if backends.is_empty() {
            return Err(format!("{at}.backendRefs: a rule without backends, and archctl's rules have some"));
        }
        rt.set("backends", T::Array(backends));
        rules.push(T::Table(rt));
    }
    if rules.is_empty() {
        return Err("spec.rules: it has none, and archctl's routes have some".into());
    }
    t.set("rules", T::Array(rules));
    t.opt("legacy", super::legacy_labels(ctx, o, &name, "route"));
    let mut section = Section::new(&["routes", &name]);
    section.table = t;
    Ok(Rt { index, name, ns, parent, section, notes })
}

/// What a route claims of its gateway, as `check` compares routes
/// (E057): each match on each host name of each listener.
fn claims(r: &Rt) -> Vec<String> {
    let t = &r.section.table;
    let grpc = t.get("kind").is_some();
    let text = |v: Option<&T>| match v {
        Some(T::Str(s)) => Some(s.clone()),
        _ => None,
    };
    let mut whats = Vec::new();
    for rule in as_list(t.get("rules")) {
        let T::Table(rule) = rule else { continue };
        let matches = as_list(rule.get("matches"));
        if matches.is_empty() {
            whats.push(if grpc { "any method".to_string() } else { "path prefix `/`".to_string() });
        }
        for m in matches {
            let T::Table(m) = m else { continue };
            let mut headers: Vec<String> = match m.get("headers") {
                Some(T::Table(h)) => {
                    h.0.iter()
                        .map(|(k, v)| format!("{}={}", k.to_ascii_lowercase(), text(Some(v)).unwrap_or_default()))
                        .collect()
                }
                _ => Vec::new(),
            };
            headers.sort();
            let what = if grpc {
                format!(
                    "method `{}/{}`",
                    text(m.get("grpc_service")).unwrap_or_else(|| "*".into()),
                    text(m.get("grpc_method")).unwrap_or_else(|| "*".into())
                )
            } else {
                format!(
                    "{} `{}`",
                    text(m.get("type")).unwrap_or_else(|| "PathPrefix".into()),
                    text(m.get("path")).unwrap_or_else(|| "/".into())
                )
            };
            whats.push(if headers.is_empty() { what } else { format!("{what} with headers {}", headers.join(", ")) });
        }
    }
    let hosts: Vec<String> = match t.get("hostnames") {
        Some(T::Array(h)) => h.iter().filter_map(|x| text(Some(x))).collect(),
        _ => vec![String::new()],
    };
    let (gw, gw_ns, listener) = &r.parent;
    let mut out = Vec::new();
    for what in &whats {
        for h in &hosts {
            out.push(format!(
                "{gw_ns}\n{gw}\n{}\n{h}\n{}:{what}",
                listener.as_deref().unwrap_or(""),
                if grpc { "grpc" } else { "http" }
            ));
        }
    }
    out
}

/// The entries of an array value (none: empty).
fn as_list(v: Option<&T>) -> &[T] {
    match v {
        Some(T::Array(a)) => a,
        _ => &[],
    }
}

/// One match of a rule: a path (HTTP) or method (gRPC), and headers.
fn route_match(m: &Value, grpc: bool, at: &str, notes: &mut Vec<String>) -> Result<Table, String> {
    let mut t = Table::default();
    let what = if grpc { "method" } else { "path" };
    if let Some(k) = keys(m).find(|k| *k != what && *k != "headers") {
        return Err(format!("{at}.{k}: archctl's routes match a {what} and headers only"));
    }
    let v = &m[what];
    if !v.is_null() {
        let allowed: &[&str] = if grpc { &["type", "service", "method"] } else { &["type", "value"] };
        if let Some(k) = keys(v).find(|k| !allowed.contains(k)) {
            return Err(format!("{at}.{what}.{k}: archctl does not write it"));
        }
        let default = if grpc { "Exact" } else { "PathPrefix" };
        match v["type"].as_str() {
            None => notes
                .push(format!("{at}.{what}.type: archctl writes it, and it is not given (the default is `{default}`)")),
            Some(k) if k == default => {}
            Some(k) if !grpc => t.set("type", k),
            Some(k) => return Err(format!("{at}.method.type: `{k}`, and archctl matches methods exactly")),
        }
        if grpc {
            if v["service"].is_null() && v["method"].is_null() {
                return Err(format!("{at}.method: it names no service or method"));
            }
            t.opt("grpc_service", v["service"].as_str());
            t.opt("grpc_method", v["method"].as_str());
        } else {
            let Some(p) = v["value"].as_str() else {
                return Err(format!("{at}.path.value: archctl writes the path, and it is not given"));
            };
            t.0.insert(0, ("path".into(), T::Str(p.to_string())));
        }
    }
    let mut headers: IndexMap<String, String> = IndexMap::new();
    for (hi, h) in m["headers"].as_array().into_iter().flatten().enumerate() {
        let hat = format!("{at}.headers[{hi}]");
        if let Some(k) = keys(h).find(|k| !matches!(*k, "type" | "name" | "value")) {
            return Err(format!("{hat}.{k}: archctl does not write it"));
        }
        match h["type"].as_str() {
            Some("Exact") => {}
            None => notes.push(format!("{hat}.type: archctl writes it, and it is not given (the default is `Exact`)")),
            Some(k) => return Err(format!("{hat}.type: `{k}`, and archctl matches headers exactly")),
        }
        let (Some(n), Some(v)) = (h["name"].as_str(), h["value"].as_str()) else {
            return Err(format!("{hat}: a header match without a name or value"));
        };
        if headers.insert(n.to_string(), v.to_string()).is_some() {
            return Err(format!("{hat}.name: the header `{n}` is matched twice"));
        }
    }
    if !headers.is_empty() {
        t.set("headers", super::toml::strings(&headers));
    }
    Ok(t)
}

/// The Gateway API objects of the input: their entries, and the
/// `gateways` and `routes` sections.
pub(super) fn gateway_api(
    ctx: &mut Ctx,
    objects: &[Value],
    wanted: &[usize],
    services: &[Section],
) -> (Vec<Entry>, Vec<Section>) {
    let mut entries = Vec::new();
    let skip = |i: usize, why: String| Entry {
        id: describe(&objects[i]),
        index: i,
        fate: Fate::Skipped(why),
        notes: Vec::new(),
    };
    let of = |kind: &'static str| {
        wanted.iter().copied().filter(move |&i| objects[i]["apiVersion"] == API && objects[i]["kind"] == kind)
    };
    // the gateways, each name once
    let mut gateways: Vec<Gw> = Vec::new();
    for i in of("Gateway") {
        let name = objects[i]["metadata"]["name"].as_str().unwrap_or("");
        if let Some(first) = gateways.iter().find(|g| g.name == name) {
            entries.push(skip(
                i,
                format!(
                    "a Gateway `{name}` of namespace `{}` is imported: the topology names gateways uniquely",
                    first.ns
                ),
            ));
            continue;
        }
        match gateway(ctx, i, &objects[i]) {
            Ok(g) => gateways.push(g),
            Err(why) => entries.push(skip(i, why)),
        }
    }
    // the routes, each name once (HTTP and gRPC alike)
    let mut routes: Vec<Rt> = Vec::new();
    for i in wanted.iter().copied().filter(|&i| {
        objects[i]["apiVersion"] == API && matches!(objects[i]["kind"].as_str(), Some("HTTPRoute" | "GRPCRoute"))
    }) {
        let name = objects[i]["metadata"]["name"].as_str().unwrap_or("");
        if routes.iter().any(|r| r.name == name) {
            entries.push(skip(i, format!("another route `{name}` comes first: the topology names routes uniquely")));
            continue;
        }
        match route(ctx, objects, wanted, i, services) {
            Ok(r) => routes.push(r),
            Err(why) => entries.push(skip(i, why)),
        }
    }
    // two routes that claim the same requests of a gateway: archctl refuses the second (E057)
    let mut claimed: Vec<(String, String)> = Vec::new();
    routes.retain(|r| {
        let mine = claims(r);
        if let Some((_, first)) = claimed.iter().find(|(c, _)| mine.contains(c)) {
            entries.push(skip(
                r.index,
                format!(
                    "it claims requests of the gateway `{}` that the route `{first}` claims too, and archctl sends requests of a gateway to one route",
                    r.parent.0
                ),
            ));
            return false;
        }
        claimed.extend(mine.into_iter().map(|c| (c, r.name.clone())));
        true
    });
    // a gateway whose listeners allow every namespace: archctl writes that
    // only when a route of another namespace attaches to it; a route's
    // listener must be one of the topology's gateway of that name
    let foreign =
        |g: &Gw, routes: &[Rt]| routes.iter().any(|r| r.parent.0 == g.name && r.parent.1 == g.ns && r.ns != g.ns);
    loop {
        let before = gateways.len() + routes.len();
        let (kept, dropped): (Vec<Gw>, Vec<Gw>) = gateways.into_iter().partition(|g| !g.all || foreign(g, &routes));
        gateways = kept;
        for g in dropped {
            entries.push(skip(
                g.index,
                "its listeners allow routes of every namespace (`allowedRoutes.namespaces.from: All`), which archctl writes only for a gateway that an imported route of another namespace attaches to, and none does".into(),
            ));
        }
        routes.retain(|r| {
            let (gw, gw_ns, listener) = &r.parent;
            let Some(l) = listener else { return true };
            let Some(g) = gateways.iter().find(|g| g.name == *gw) else { return true };
            if g.listeners.contains(l) {
                return true;
            }
            entries.push(skip(
                r.index,
                if g.ns == *gw_ns {
                    format!("spec.parentRefs[0].sectionName: the gateway `{gw}` has no listener `{l}`")
                } else {
                    format!(
                        "spec.parentRefs[0].sectionName: the imported gateway `{gw}` (of namespace `{}`) has no listener `{l}`, and archctl checks a route's listener against the gateway of its name",
                        g.ns
                    )
                },
            ));
            false
        });
        if gateways.len() + routes.len() == before {
            break;
        }
    }
    let kept = gateways;
    // each route's gateway: one of `gateways`, or one that exists elsewhere
    let mut sections: Vec<Section> = Vec::new();
    let mut grants: Vec<(String, String)> = Vec::new();
    let mut mapped = Vec::new();
    for mut r in routes {
        let (gw, gw_ns, listener) = r.parent.clone();
        let ours = kept.iter().find(|g| g.name == gw && g.ns == gw_ns);
        let reference = match ours {
            Some(g) if g.all || r.ns == gw_ns => match &listener {
                None => T::Str(gw.clone()),
                Some(l) => {
                    let mut t = Table::default();
                    t.set("name", gw.as_str());
                    t.set("section", l.as_str());
                    T::Table(t)
                }
            },
            // a gateway of the cluster, or one that does not let the route attach
            _ => {
                let mut t = Table::default();
                t.set("name", gw.as_str());
                // a gateway of `gateways` by that name would give its own namespace
                if gw_ns != r.ns || kept.iter().any(|g| g.name == gw) {
                    t.set("namespace", gw_ns.as_str());
                }
                t.opt("section", listener.clone());
                t.set("external", true);
                T::Table(t)
            }
        };
        let at = usize::from(r.section.table.get("kind").is_some())
            + usize::from(r.section.table.get("namespace").is_some());
        r.section.table.0.insert(at, ("gateway".into(), reference));
        // the grants its backends in other namespaces need
        let kind = objects[r.index]["kind"].as_str().unwrap_or("");
        for b in objects[r.index]["spec"]["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|x| x["backendRefs"].as_array().into_iter().flatten())
        {
            if let Some(svc_ns) = b["namespace"].as_str().filter(|n| *n != r.ns) {
                let g = (svc_ns.to_string(), grant(kind, &r.ns).0);
                if !grants.contains(&g) {
                    grants.push(g);
                }
            }
        }
        if !ctx.used_namespaces.contains(&r.ns) {
            ctx.used_namespaces.push(r.ns.clone());
        }
        entries.push(Entry { id: describe(&objects[r.index]), index: r.index, fate: Fate::Mapped, notes: r.notes });
        mapped.push(r.section);
    }
    for g in kept {
        if !ctx.used_namespaces.contains(&g.ns) {
            ctx.used_namespaces.push(g.ns.clone());
        }
        entries.push(Entry { id: describe(&objects[g.index]), index: g.index, fate: Fate::Mapped, notes: g.notes });
        sections.push(g.section);
    }
    sections.extend(mapped);
    // the grants: those archctl renders for the imported routes
    for i in of("ReferenceGrant") {
        let o = &objects[i];
        let name = o["metadata"]["name"].as_str().unwrap_or("");
        let ns = ns_of(o, &ctx.namespace);
        if !grants.iter().any(|(n, g)| *n == ns && g == name) {
            entries.push(skip(
                i,
                "archctl renders the ReferenceGrants its routes need, one for each kind of route and namespace (`httproute-NAMESPACE`, `grpcroute-NAMESPACE`), and no imported route needs this one".into(),
            ));
            continue;
        }
        let mut notes: Vec<String> = super::own_labels(ctx, o, name, "reference-grant").into_iter().collect();
        if !annotations_of(o).is_empty() {
            notes.push("metadata.annotations: archctl writes none on a ReferenceGrant".into());
        }
        entries.push(Entry { id: describe(o), index: i, fate: Fate::Mapped, notes });
    }
    (entries, sections)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_match_keeps_its_path_type_and_headers_and_notes_the_defaults_archctl_writes() {
        let mut notes = Vec::new();
        let m = json!({"path": {"type": "Exact", "value": "/x"}, "headers": [{"name": "X-A", "value": "1"}]});
        let t = route_match(&m, false, "m", &mut notes).unwrap();
        assert_eq!(t.get("path"), Some(&T::Str("/x".into())));
        assert_eq!(t.get("type"), Some(&T::Str("Exact".into())));
        assert!(matches!(t.get("headers"), Some(T::Table(h)) if h.get("X-A") == Some(&T::Str("1".into()))));
        assert_eq!(notes, ["m.headers[0].type: archctl writes it, and it is not given (the default is `Exact`)"]);
        // the default path type is not written
        let t = route_match(&json!({"path": {"type": "PathPrefix", "value": "/"}}), false, "m", &mut notes).unwrap();
        assert_eq!(t.get("type"), None);
        // what archctl cannot match: the whole route
        let regex = json!({"method": {"type": "RegularExpression", "service": "a.*"}});
        assert!(route_match(&regex, true, "m", &mut notes).unwrap_err().starts_with("m.method.type:"));
        assert!(
            route_match(&json!({"queryParams": []}), false, "m", &mut notes).unwrap_err().starts_with("m.queryParams:")
        );
    }

    #[test]
    fn the_grant_of_a_route_kind_and_namespace_is_the_one_the_renderer_writes() {
        let (name, spec) = grant("GRPCRoute", "shop");
        assert_eq!(name, "grpcroute-shop");
        assert_eq!(spec["from"][0], json!({"group": GROUP, "kind": "GRPCRoute", "namespace": "shop"}));
        assert_eq!(spec["to"], json!([{"group": "", "kind": "Service"}]));
    }
}
