//! Rule: ingresses as the API server validates them — host names (a `*`
//! only as the whole first label), at least one rule with at least one
//! path, clean `Prefix` and `Exact` paths, class and TLS secret names.

use crate::diagnostic::Diagnostic;
use crate::diagnostic::path::TomlPath;
use crate::k8s::names;
use crate::topology::Topology;

/// The annotation older controllers read the class from.
const CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";

/// A host as `validateIngressRules` checks it: a DNS subdomain, or one with
/// `*` as its whole first label; never an IP address (`ip` false for TLS
/// hosts, which the API server does not check for addresses).
pub(super) fn host(h: &str, ip: bool) -> Result<(), String> {
    if ip && h.parse::<std::net::IpAddr>().is_ok() {
        return Err("is an IP address, and a rule's host must be a DNS name".into());
    }
    if h.contains(':') {
        return Err("has a port or a `:`; a host is a DNS name only".into());
    }
    if h.contains('*') {
        let Some(rest) = h.strip_prefix("*.") else {
            return Err("has a `*` that is not the whole first label (`*.example.com`)".into());
        };
        if rest.contains('*') {
            return Err("has a `*` that is not the whole first label (`*.example.com`)".into());
        }
        return names::dns1123_subdomain(rest).map_err(|e| format!("after `*.`: {e}"));
    }
    if h.chars().any(|c| c.is_ascii_uppercase()) {
        return Err("has uppercase letters; host names are lowercase".into());
    }
    names::dns1123_subdomain(h)
}

pub(super) fn check(topo: &Topology, out: &mut Vec<Diagnostic>) {
    for (name, ing) in &topo.ingresses {
        let path = TomlPath::root().key("ingresses").key(name.clone());
        if ing.rules.is_empty() {
            out.push(
                Diagnostic::error("E006", format!("ingress `{name}` has no rules"))
                    .at(&path.key("rules"))
                    .with_help("add a rule: `rules = [{ host = \"shop.example.com\", paths = [{ path = \"/\", service = \"web\" }] }]`"),
            );
        }
        for (i, rule) in ing.rules.iter().enumerate() {
            let rpath = path.key("rules").index(i);
            if let Some(h) = &rule.host
                && !h.is_empty()
                && let Err(why) = host(h, true)
            {
                out.push(
                    Diagnostic::error("E038", format!("`{h}` is not a valid ingress host: it {why}"))
                        .at(&rpath.key("host"))
                        .with_help(host_help(h)),
                );
            }
            if rule.paths.is_empty() {
                out.push(
                    Diagnostic::error("E006", "an ingress rule needs at least one path")
                        .at(&rpath.key("paths"))
                        .with_help("route a path to a service: `paths = [{ path = \"/\", service = \"web\" }]`"),
                );
            }
            for (j, p) in rule.paths.iter().enumerate() {
                let kind = p.kind.as_deref().unwrap_or("Prefix");
                if !["Prefix", "Exact"].contains(&kind) || !p.path.starts_with('/') {
                    continue; // ImplementationSpecific is the controller's; E005 and E033 are network.rs's
                }
                let bad = ["//", "/./", "/../", "%2f", "%2F"]
                    .iter()
                    .find(|s| p.path.contains(**s))
                    .map(|s| format!("contains `{s}`"))
                    .or_else(|| {
                        ["/..", "/."].iter().find(|s| p.path.ends_with(**s)).map(|s| format!("ends with `{s}`"))
                    });
                if let Some(why) = bad {
                    out.push(
                        Diagnostic::error("E033", format!("ingress path `{}` {why}", p.path))
                            .at(&rpath.key("paths").index(j).key("path"))
                            .with_help(format!(
                                "a `{kind}` path must be a clean absolute path (no `//`, `.` or `..` segments, no encoded `/`); write it normalised, or use `type = \"ImplementationSpecific\"`"
                            )),
                    );
                }
            }
        }
        for (i, tls) in ing.tls.iter().enumerate() {
            let tpath = path.key("tls").index(i);
            for (j, h) in tls.hosts.iter().enumerate() {
                if let Err(why) = host(h, false) {
                    out.push(
                        Diagnostic::error("E038", format!("`{h}` is not a valid TLS host: it {why}"))
                            .at(&tpath.key("hosts").index(j))
                            .with_help(host_help(h)),
                    );
                }
            }
            if !tls.secret.is_empty()
                && let Err(why) = super::objects::subdomain(&tls.secret)
            {
                out.push(
                    Diagnostic::error("E020", format!("`{}` is not a valid secret name: it {why}", tls.secret))
                        .at(&tpath.key("secret"))
                        .with_help(match names::suggest_label(&tls.secret) {
                            Some(s) => format!("the TLS secret is a Secret of the ingress's namespace; try `{s}`"),
                            None => "use lowercase letters, digits, `-` and `.`".to_string(),
                        }),
                );
            }
        }
        if let Some(class) = &ing.class {
            if let Err(why) = super::objects::subdomain(class) {
                out.push(
                    Diagnostic::error("E020", format!("`{class}` is not a valid ingress class name: it {why}"))
                        .at(&path.key("class"))
                        .with_help("name an IngressClass of the cluster, e.g. `nginx` or `traefik`"),
                );
            }
            if let Some(a) = ing.annotations.get(CLASS_ANNOTATION)
                && a != class
            {
                out.push(
                    Diagnostic::error(
                        "E030",
                        format!("annotation `{CLASS_ANNOTATION}` is `{a}`, and `class` is `{class}`"),
                    )
                    .at(&path.key("annotations").key(CLASS_ANNOTATION))
                    .with_help("Kubernetes refuses an ingress whose class annotation differs from `ingressClassName`: remove the annotation (`class` replaces it)"),
                );
            }
        }
    }
}

fn host_help(h: &str) -> String {
    let lower = h.to_ascii_lowercase();
    let without_port = lower.split(':').next().unwrap_or(&lower).trim_end_matches('.').to_string();
    if without_port != h && host(&without_port, true).is_ok() {
        format!("write `{without_port}`")
    } else if h.parse::<std::net::IpAddr>().is_ok() {
        "leave `host` out to match every host, or use a DNS name that resolves to the address".to_string()
    } else {
        "a host is a lowercase DNS name such as `shop.example.com`, or `*.example.com` for every subdomain".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::host;

    #[test]
    fn hosts() {
        for ok in ["shop.example.com", "*.example.com", "a-b.c", "localhost"] {
            assert!(host(ok, true).is_ok(), "{ok}");
        }
        for bad in [
            "*",
            "*.",
            "a.*.com",
            "**.example.com",
            "*example.com",
            "Shop.example.com",
            "shop.example.com:443",
            "10.0.0.1",
            "::1",
            "shop..example.com",
            "-shop.com",
            "shop_1.com",
            "shop.example.com.",
        ] {
            assert!(host(bad, true).is_err(), "{bad}");
        }
        assert!(host("10.0.0.1", false).is_ok(), "TLS hosts are not checked for addresses");
    }
}
