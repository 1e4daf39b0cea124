//! Which HTTP proxy reaches the API server, decided as kubectl decides it.
//!
//! client-go uses a kubeconfig cluster's `proxy-url` for every request
//! when it is set; otherwise Go's `http.ProxyFromEnvironment`:
//! `HTTPS_PROXY` (or `https_proxy`) for an `https` server, `HTTP_PROXY`
//! for `http`, unless `NO_PROXY` names the host, and never for `localhost`
//! or a loopback address. kube-rs reads the variables too but matches
//! `NO_PROXY` against the proxy's own address rather than the server's,
//! and has no loopback rule, so archctl decides here and hands kube-rs
//! the answer. Written by hand because no maintained crate implements Go's
//! rules (the `no_proxy` crates differ on leading dots and ports).

use std::net::IpAddr;

/// The proxy for a request to `server`: `proxy_url` from the kubeconfig,
/// else the environment as read through `env`.
pub(crate) fn choose(
    proxy_url: Option<&str>,
    server: &http::Uri,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    if let Some(p) = proxy_url.filter(|p| !p.trim().is_empty()) {
        return Some(p.trim().to_string());
    }
    let var = |upper: &str, lower: &str| {
        env(upper).filter(|v| !v.is_empty()).or_else(|| env(lower)).filter(|v| !v.is_empty())
    };
    let proxy = match server.scheme_str() {
        Some("http") => var("HTTP_PROXY", "http_proxy"),
        _ => var("HTTPS_PROXY", "https_proxy"),
    }?;
    let host = server.host()?.trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
    let port = server.port_u16().unwrap_or(if server.scheme_str() == Some("http") { 80 } else { 443 });
    if host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()) {
        return None;
    }
    if let Some(no_proxy) = var("NO_PROXY", "no_proxy")
        && bypassed(&no_proxy, &host, port)
    {
        return None;
    }
    // Go reads a bare `host:port` as http://host:port
    Some(if proxy.contains("://") { proxy } else { format!("http://{proxy}") })
}

/// Whether `NO_PROXY` exempts `host:port`: `*`, an IP, a CIDR, or a domain
/// (which covers its subdomains; a leading dot only them), each with an
/// optional `:port`.
fn bypassed(no_proxy: &str, host: &str, port: u16) -> bool {
    let ip = host.parse::<IpAddr>().ok();
    for entry in no_proxy.split(',').map(|e| e.trim().to_ascii_lowercase()).filter(|e| !e.is_empty()) {
        if entry == "*" {
            return true;
        }
        if let Some((net, bits)) = entry.split_once('/') {
            if let (Some(ip), Ok(net), Ok(bits)) = (ip, net.parse::<IpAddr>(), bits.parse::<u8>())
                && in_cidr(ip, net, bits)
            {
                return true;
            }
            continue;
        }
        // an IPv6 entry has colons of its own: only `[addr]:port` has a port
        let (name, entry_port) = match entry.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') || h.ends_with(']') => (h.trim_matches(['[', ']']), p.parse::<u16>().ok()),
            _ => (entry.trim_matches(['[', ']']), None),
        };
        if entry_port.is_some_and(|p| p != port) {
            continue;
        }
        if let (Some(ip), Ok(e)) = (ip, name.parse::<IpAddr>()) {
            if ip == e {
                return true;
            }
            continue;
        }
        let name = name.strip_prefix("*.").map(|n| format!(".{n}")).unwrap_or_else(|| name.to_string());
        let matched = match name.strip_prefix('.') {
            Some(domain) => host.ends_with(&format!(".{domain}")),
            None => host == name || host.ends_with(&format!(".{name}")),
        };
        if matched {
            return true;
        }
    }
    false
}

fn in_cidr(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) if bits <= 32 => {
            let mask = if bits == 0 { 0 } else { u32::MAX << (32 - bits) };
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) if bits <= 128 => {
            let mask = if bits == 0 { 0 } else { u128::MAX << (128 - bits) };
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
    }

    fn pick(server: &str, proxy_url: Option<&str>, vars: &[(&str, &str)]) -> Option<String> {
        choose(proxy_url, &server.parse().unwrap(), &env(vars))
    }

    #[test]
    fn the_kubeconfig_proxy_wins_over_the_environment_and_no_proxy() {
        let vars = [("HTTPS_PROXY", "http://env:3128"), ("NO_PROXY", "*")];
        assert_eq!(pick("https://127.0.0.1:6443", Some("http://cfg:8080"), &vars).as_deref(), Some("http://cfg:8080"));
    }

    #[test]
    fn the_environment_by_scheme_with_loopback_and_no_proxy_exempt() {
        let vars = [("HTTPS_PROXY", "proxy:3128"), ("http_proxy", "http://plain:80")];
        assert_eq!(pick("https://kube.example:6443", None, &vars).as_deref(), Some("http://proxy:3128"));
        assert_eq!(pick("http://kube.example", None, &vars).as_deref(), Some("http://plain:80"));
        assert_eq!(pick("https://127.0.0.1:6443", None, &vars), None);
        assert_eq!(pick("https://localhost:6443", None, &vars), None);
        assert_eq!(pick("https://[::1]:6443", None, &vars), None);
        assert_eq!(pick("https://kube.example", None, &[]), None);
        // an empty upper-case variable falls through to the lower-case one
        assert_eq!(
            pick("https://a.b", None, &[("HTTPS_PROXY", ""), ("https_proxy", "http://l:1")]).as_deref(),
            Some("http://l:1")
        );
    }

    #[test]
    fn no_proxy_entries_match_like_go() {
        let with = |no: &str, server: &str| pick(server, None, &[("HTTPS_PROXY", "http://p:1"), ("NO_PROXY", no)]);
        assert_eq!(with("example.com", "https://example.com"), None);
        assert_eq!(with("example.com", "https://api.example.com"), None);
        assert!(with("example.com", "https://badexample.com").is_some());
        assert!(with(".example.com", "https://example.com").is_some());
        assert_eq!(with(".example.com", "https://api.example.com"), None);
        assert_eq!(with("*.example.com", "https://api.example.com"), None);
        assert_eq!(with("10.0.0.0/8", "https://10.2.3.4:6443"), None);
        assert!(with("10.0.0.0/8", "https://11.2.3.4:6443").is_some());
        assert_eq!(with("10.2.3.4", "https://10.2.3.4"), None);
        assert_eq!(with("kube.test:6443", "https://kube.test:6443"), None);
        assert!(with("kube.test:6443", "https://kube.test:443").is_some());
        assert_eq!(with(" other , kube.test ", "https://kube.test"), None);
        assert_eq!(with("*", "https://anything"), None);
    }
}
