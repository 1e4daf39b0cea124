//! The registry of diagnostic codes: every code a [`Diagnostic`] can carry,
//! with a title and an explanation (what it means, how to fix it).
//!
//! `E…` codes are errors, which stop a render; `W…` codes are practice
//! warnings, printed by every render that resolves, failed on by `archctl
//! check --deny warnings` and silenced by `[checks] allow`. The tests below
//! hold the registry, the codes the source uses and `docs/codes.md` (which
//! they generate) to one another.
//!
//! [`Diagnostic`]: crate::diagnostic::Diagnostic

use crate::diagnostic::Severity;

/// One diagnostic code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Code {
    /// `E000`…`E055`, `W001`…
    pub id: &'static str,
    /// A few words, as in the tables of `docs/codes.md`.
    pub title: &'static str,
    /// What it means and how to fix it: one paragraph.
    pub explanation: &'static str,
}

impl Code {
    /// An error for `E…`, a warning for `W…`.
    pub(crate) fn severity(&self) -> Severity {
        if self.id.starts_with('W') { Severity::Warning } else { Severity::Error }
    }
}

/// The code `id`, if there is one.
#[cfg(test)]
pub(crate) fn get(id: &str) -> Option<&'static Code> {
    CODES.iter().find(|c| c.id == id)
}

/// Every code, errors then warnings, each in numeric order.
pub(crate) const CODES: &[Code] = &[
    Code {
        id: "E000",
        title: "Unreadable topology or profile file",
        explanation: "The topology or a profile cannot be read: it does not exist or may not be read, it is larger \
            than 16 MiB (counted while reading, pipes and `/dev/stdin` included), or it is a symbolic link that \
            leads outside the topology's folder. Check the path given with `-f`; split a very large system into \
            several topologies, or move large file contents to `files = { path = … }`; replace a link with the \
            file itself, or pass `--allow-read DIR` to let archctl read files under DIR.",
    },
    Code {
        id: "E001",
        title: "Invalid TOML",
        explanation: "The file is not valid TOML: a syntax error, a key defined twice in one table, an integer \
            beyond the 64-bit range TOML allows, or text that is not UTF-8. The caret points at the place the \
            parser stopped. Fix the syntax there (strings are written in double quotes), merge or rename the \
            duplicate key, write a huge number as a string, or re-save the file as UTF-8.",
    },
    Code {
        id: "E002",
        title: "Unknown profile",
        explanation: "`--profile NAME` names a profile that has no file `profiles/NAME.toml` beside the topology. \
            Check the spelling (the help suggests the closest profile), create the file, or render without \
            `--profile`.",
    },
    Code {
        id: "E003",
        title: "Profile changes something the topology does not define",
        explanation: "A profile can only change what the topology declares: it sets keys of a service, shared service, config \
            map, secret, claim or namespace that the topology has no entry for. This is usually a misspelt \
            name; fix it, or declare the entry in the topology first.",
    },
    Code {
        id: "E004",
        title: "Unknown key",
        explanation: "A key that the topology format (or a price file) does not have at this place, usually a typo (`replcas`). The \
            help names the closest known key and lists the allowed ones. Loading stops here, since nothing after \
            an unknown key can be trusted.",
    },
    Code {
        id: "E005",
        title: "Wrong type or value not allowed",
        explanation: "A value of the wrong type (text where a number is expected, a table where a list is), or \
            a value not among the allowed ones: a service `kind`, `restart_policy`, `protocol`, `scheme`, an \
            ingress path `type`, a secret store's `kind` or `api_version`, `anti_affinity`, \
            `when_unsatisfiable`, a toleration's `operator` or `effect`, `seccomp`, a VPA's `mode` or \
            `controlled_values`, an HPA's `select` or policy `type`, a KEDA trigger's `metric_type`, \
            `reclaim_policy`, `volume_binding_mode`, a code in `[checks] allow` that is not a warning, and \
            more. It also covers a topology scope that is neither a shorthand nor a label key, and `pools` \
            that are not tables. The help lists what is allowed; write one of those values.",
    },
    Code {
        id: "E006",
        title: "Missing required key",
        explanation: "A key that must be given is missing: `project.name`, a container's `image`, a cronjob's \
            `schedule`, a sidecar's or init container's `name`, an autoscaler's `min`, and the like; or a part \
            that must not be empty is: a KEDA scaler without triggers, an ingress without rules, an ingress \
            rule without paths. Add the key or the entry the message names.",
    },
    Code {
        id: "E007",
        title: "Template error",
        explanation: "A `{{ … }}` template in a value fails: it uses a variable that `[vars]` of the topology or \
            the profile does not define, it has a syntax error, or it runs too long (out of fuel). Define the \
            variable, fix the expression (to keep braces literally, use `{% raw %}…{% endraw %}`), or move \
            loops out of the topology: its templates are for short expressions.",
    },
    Code {
        id: "E008",
        title: "Invalid quantity",
        explanation: "A CPU, memory or storage value that is not a Kubernetes quantity, is out of range, or is \
            negative. Kubernetes writes decimal sizes as k, M, G, T (`500GB` is `500G`), binary ones as Ki, \
            Mi, Gi, Ti, and CPU as cores (`2`, `0.5`) or millicores (`500m`); the help suggests the quantity \
            that was probably meant.",
    },
    Code {
        id: "E010",
        title: "Unknown growth phase",
        explanation: "A growth phase that the topology's `phases` list does not declare: the phase selected \
            (`--phase`, or `phase` in the topology or profile) or a key of a per-phase table (`replicas = { \
            pilot = 1, lanch = 3 }`); or a phase selected in a topology that declares no phases. Use one of \
            the declared phases (the help suggests the closest), or declare it in `phases`.",
    },
    Code {
        id: "E011",
        title: "No value for the rendered phase",
        explanation: "A value given per growth phase has no value for the phase being rendered: a value holds \
            from its phase on, so a table whose first phase comes after the rendered one leaves it without a \
            value. Or the value is given per phase while the topology declares no `phases`. Add a value for \
            the earlier phase, declare `phases`, or give a single value.",
    },
    Code {
        id: "E012",
        title: "Config map key in both data and files",
        explanation: "A config map key is given both inline in `data` and as a file in `files`, so its content \
            would be ambiguous. Keep the key in one of the two tables.",
    },
    Code {
        id: "E013",
        title: "Unknown storage class",
        explanation: "A volume or claim names a storage class that `[storage_classes]` does not declare. Fix the \
            name (the help suggests the closest), or declare it with `[storage_classes.NAME]` and the \
            cluster's `class`.",
    },
    Code {
        id: "E014",
        title: "Unknown or cyclic resource profile",
        explanation: "A service or resource profile names a resource profile that `[resource_profiles]` does not \
            declare, or resource profiles name each other as their base (`profile = …`) in a cycle. Fix the \
            name, declare the profile, or break the cycle so that every chain of bases ends.",
    },
    Code {
        id: "E015",
        title: "Request above its limit",
        explanation: "A CPU or memory request is above its limit, which the API server refuses; or a GPU is \
            requested without a GPU limit, or with a different one, while Kubernetes requires requests and \
            limits of extended resources to be equal. Lower the request or raise the limit; give `limits.gpu` \
            equal to `requests.gpu`.",
    },
    Code {
        id: "E016",
        title: "Unreadable config map file",
        explanation: "A file a config map takes from `files` cannot be used: it is missing, it is a folder, FIFO, \
            device or socket (refused before it is opened), it is over 1 MiB (the most data a ConfigMap can \
            hold), or it is not UTF-8 text. Paths are relative to the topology's folder. Name a regular text \
            file of the project; ship larger or binary files in the image or on a volume.",
    },
    Code {
        id: "E017",
        title: "File outside the topology's folder",
        explanation: "A file path the topology names leaves the topology's folder: it is absolute, climbs out \
            with `..`, or leads out through a symbolic link. archctl reads only files of the project unless \
            told otherwise. Move the file into the project, or pass `--allow-read DIR` to let archctl read \
            files under DIR.",
    },
    Code {
        id: "E020",
        title: "Invalid Kubernetes name",
        explanation: "A name Kubernetes would reject, by the rule of what it names: the project, a namespace, \
            service, container, volume, config map, secret, claim, storage class, port, environment variable, \
            data key, label key or value, annotation key, toleration key or value, and the name of every \
            generated object by its kind's rule (ingresses, network policies, service accounts, autoscalers, \
            ServiceMonitors, TLS secrets, names from templates and pools). Some names must also be shorter \
            than the general limit: a cronjob or statefulset name at most 52 characters, a ScaledObject name \
            at most 54 (KEDA prefixes `keda-hpa-`), and a name at most 63 where it becomes a label value. Use \
            lowercase letters, digits and `-` (the help suggests a valid name), or shorten it.",
    },
    Code {
        id: "E021",
        title: "Duplicate name or entry",
        explanation: "Two things that must differ have the same name or number: two containers of a pod, two \
            ports of a container with one number and protocol, a port name used by two containers of a pod, \
            two Service ports with one number and protocol, two mounts at one path, a growth phase listed \
            twice, a pool whose service name exists already or two pools that make one name, a policy named \
            `default-deny` in a namespace with `default_deny`, or two entries that make the same kind, \
            namespace and name. Rename or renumber one of them.",
    },
    Code {
        id: "E022",
        title: "Number out of range",
        explanation: "A number outside what Kubernetes accepts: a negative count or duration, a port outside \
            1–65535 (network policy and probe ports too), probe timings, a liveness or startup \
            `success_threshold` other than 1, a user or group id outside 0–2147483647, a `max_skew` or HPA \
            target below 1, a `pre_stop` sleep below 1 second, rolling-update values (`max_unavailable` over \
            100 %, negative values, a bare number as text), and HPA behaviour periods and values. The help \
            gives the allowed range.",
    },
    Code {
        id: "E023",
        title: "Object too large",
        explanation: "A ConfigMap or Secret with more than 1 MiB of data, or an object whose annotations (the \
            project's included) total more than 256 KiB: the API server rejects both. Split the data into \
            several config maps or secrets, or ship large files in the image or on a volume; keep large data \
            out of annotations.",
    },
    Code {
        id: "E030",
        title: "Key that does not fit here",
        explanation: "A key that is valid in the format but not in this combination: a kind-specific key on \
            another kind (`autoscaling`, `keda` or `vpa` on a job, `schedule` on a deployment), a `size` volume \
            outside a statefulset, `storage_class` or `access` without `size`, a Service on a job, `resources` \
            or `volume_mounts` on the main container, a secret with both `store` and `placeholder`, `remote` \
            or `refresh` without `store`, `to` in an ingress rule or `from` in an egress rule, a `dns = true` \
            rule with peers or ports, a toleration with `operator = \"Exists\"` and a `value`, `pre_stop` on \
            an init container, a storage class with a `provisioner` and `class = \"\"`, and more. Remove the \
            key or move it where it belongs, as the help says.",
    },
    Code {
        id: "E031",
        title: "Invalid cron schedule",
        explanation: "A cronjob `schedule` that the API server would not parse: not five fields or an `@` macro, \
            a bad range (`5-1`) or step (`*/0`), an unknown month or weekday name, a `TZ=` or `CRON_TZ=` \
            prefix (set `time_zone` instead), or a schedule that never fires. Write a standard five-field \
            schedule, e.g. `0 2 * * *` (daily at 02:00).",
    },
    Code {
        id: "E032",
        title: "Not exactly one source or action",
        explanation: "Something that takes exactly one of several forms has none or more than one: a volume's \
            source, an env reference, an `env_from` entry, a probe's action; or an empty exec probe or \
            `pre_stop` command; or a network policy peer that is neither a `cidr` nor a selection, or has both \
            `namespace` and `namespace_labels`. Give exactly one of the forms the help lists.",
    },
    Code {
        id: "E033",
        title: "Path not absolute, or not a CIDR",
        explanation: "A path that must be absolute is not: a mount path, an HTTP probe path, an ingress path; or \
            a `sub_path` is absolute or has `..`; or an ingress path has `//`, `/./`, `/../` or `%2f`; or a \
            network policy peer's `cidr` is not a CIDR. Write paths from the root (`/data`), sub paths \
            relative to the volume, ingress paths normalised, and CIDRs as an address and a prefix length \
            (`10.0.0.0/8`).",
    },
    Code {
        id: "E034",
        title: "Invalid image",
        explanation: "A container image that is empty or contains white space. An image reference is \
            `[registry/]repository[:tag][@digest]`, e.g. `image = \"nginx:1.27\"`.",
    },
    Code {
        id: "E035",
        title: "Probe port not declared",
        explanation: "A probe has no port while its container declares none, or it names a port the container \
            does not declare. Give the probe a `port`, or declare the container's port (the help lists the \
            declared ones).",
    },
    Code {
        id: "E036",
        title: "Invalid duration",
        explanation: "A value that must be a duration is not one: a secret's `refresh`, a `metrics` `interval`. \
            Write a number and a unit: `30s`, `5m`, `1h`, `1h30m`, `500ms`.",
    },
    Code {
        id: "E037",
        title: "Invalid time zone",
        explanation: "A cronjob `time_zone` that is not an IANA time zone name, or is `Local`, which the API \
            server refuses. Write a name such as `Europe/Berlin` or `Etc/UTC`.",
    },
    Code {
        id: "E038",
        title: "Invalid host name",
        explanation: "An ingress, TLS, route or gateway listener host that is not a DNS name: `*` other than as the whole first label, \
            upper case, a port, or an IP address. Write a lowercase DNS name (`shop.example.com`), or a \
            wildcard as `*.example.com`.",
    },
    Code {
        id: "E039",
        title: "Invalid network policy port",
        explanation: "A network policy port written other than `PORT`, `NAME` or `PORT/PROTOCOL`: the protocol \
            first (`\"TCP/8000\"` is `\"8000/TCP\"`), an unknown protocol, or a port range, which is not \
            supported. Write it as the help shows; list ports one by one, or leave `ports` out to allow all.",
    },
    Code {
        id: "E040",
        title: "Undeclared namespace",
        explanation: "A namespace in use that `[namespaces]` does not declare: a service's, a network policy's, \
            or a `namespace` peer's. Declare it with `[namespaces.NAME]`, fix the spelling, or, to select a \
            namespace outside the topology, use `namespace_labels`.",
    },
    Code {
        id: "E041",
        title: "Undeclared or out-of-namespace reference",
        explanation: "A reference to a claim, config map, secret, volume or secret store that is not declared, or \
            to one in another namespace than the pod's (pods can only use those of their own namespace); or a \
            network policy's service outside the policy's namespace. Declare what is referenced, in the right \
            namespace, or fix the name (the help suggests the closest).",
    },
    Code {
        id: "E042",
        title: "Missing secret or config map key",
        explanation: "A reference names a key that the secret or config map does not have, or a secret of a \
            Kubernetes type lacks a key its type requires (the API server refuses it without). Fix the key \
            name (the help suggests the closest), or add the key to the secret's `keys` or the config map.",
    },
    Code {
        id: "E050",
        title: "Autoscaler bounds out of order",
        explanation: "An autoscaler (`autoscaling` or `keda`) whose `min` is above its `max`, or whose `max` is \
            below 1; or an HPA whose `min` is below 1 (a HorizontalPodAutoscaler cannot scale to zero; a KEDA \
            scaler can). Lower `min` or raise `max`.",
    },
    Code {
        id: "E051",
        title: "Both an HPA and a KEDA scaler",
        explanation: "A service with both `autoscaling` (an HPA) and `keda`: KEDA creates its own HPA for the \
            workload, and the two would fight. Keep one of them; KEDA's `cpu` and `memory` triggers cover an \
            HPA's targets.",
    },
    Code {
        id: "E052",
        title: "Invalid disruption budget",
        explanation: "A disruption budget without exactly one of `min_available` and `max_unavailable`, with a \
            malformed percentage, or one that blocks every eviction, so that node drains and upgrades would \
            hang. Give exactly one of the two, as a number or a percentage such as `\"50%\"`, that lets at \
            least one pod go (`max_unavailable = 1`), or run more replicas.",
    },
    Code {
        id: "E053",
        title: "Route to an unknown service or port",
        explanation: "An ingress path, route backend or network policy names a service the topology does not \
            declare, or an \
            ingress path routes to a service in another namespace (an Ingress routes only to Services of its \
            own namespace) or to a port its Service does not expose. Fix the service name or port (the help \
            lists the Service's ports), or move the ingress or the service.",
    },
    Code {
        id: "E054",
        title: "Metrics port not on the Service",
        explanation: "A `metrics` port that is not a port of the service's Service: a ServiceMonitor scrapes \
            through the Service. Name one of the Service's ports, or declare the container port first.",
    },
    Code {
        id: "E055",
        title: "Rolling update that cannot progress",
        explanation: "A rolling update whose `max_surge` and `max_unavailable` are both 0: no pod may be added and \
            none may go, so the rollout never progresses. Allow one extra pod (`max_surge = 1`) or one missing \
            pod (`max_unavailable = 1`).",
    },
    Code {
        id: "E056",
        title: "Route to an undeclared gateway",
        explanation: "A route (or a network policy peer) names a gateway that is not in `[gateways]` and is not \
            marked external, or a listener (`section`) the gateway does not have. Declare the gateway, mark \
            one that exists in the cluster `external = true` (in `[gateways.<name>]` or in the route's \
            `gateway = { name, namespace, external = true }`), or fix the name (the help suggests the closest).",
    },
    Code {
        id: "E057",
        title: "Two routes claim the same requests",
        explanation: "Two route matches, of one route or of two, claim the same host, path (or gRPC method) and \
            headers on one gateway listener: the gateway sends those requests to one of them only. Change \
            the path, host or headers of one, or merge their backends into one rule with weights.",
    },
    Code {
        id: "E058",
        title: "Backend weight out of range",
        explanation: "A route backend's `weight` below 0 or above 1000000, which the Gateway API rejects. \
            Weights are relative: `90` and `10` split the traffic 9:1.",
    },
    Code {
        id: "E059",
        title: "Price file not usable",
        explanation: "A price file given to `archctl plan --prices` that cannot price a plan: no currency, date or \
            source (a price is only as good as where and when it was read), a negative price, a pool with both or \
            neither of `node` and `resources`, a node without CPU or memory, a service placed in two pools, or \
            two default pools. The message names the key; the file's format is in docs/plan.md.",
    },
    Code {
        id: "E060",
        title: "Legacy selector missing or not on the pods",
        explanation: "A deployment or statefulset with `[services.NAME.legacy]` gives no `selector`, or its \
            `pod_labels` lack a selector label, which the API server refuses (`selector does not match template \
            labels`); or a legacy label is not a valid label. Give the workload's `spec.selector.matchLabels` \
            exactly as `selector`, and keep every selector label in `pod_labels` (or leave `pod_labels` out: it \
            defaults to the selector).",
    },
    Code {
        id: "W001",
        title: "Unpinned image in production",
        explanation: "In a profile whose name contains `prod`, a main container image without a tag or tagged \
            `latest`, so that a rollout is not repeatable. Pin a version (`:1.4.2`) or a digest.",
    },
    Code {
        id: "W002",
        title: "No liveness or readiness probe",
        explanation: "A deployment or statefulset whose main container serves ports but has neither a liveness \
            nor a readiness probe. Add `probes.readiness`, so that traffic waits for the pod, and \
            `probes.liveness`, to restart a hung one.",
    },
    Code {
        id: "W003",
        title: "No resources",
        explanation: "A service that sets no `resources`: without requests the scheduler packs blindly and \
            autoscalers have nothing to scale on. Set `resources`, for example through a resource profile \
            (`resources = { profile = \"small\" }`).",
    },
    Code {
        id: "W004",
        title: "Disruption budget on a single replica",
        explanation: "A disruption budget on a service that runs one replica (its autoscaler's `min`, else \
            `replicas`, else 1): a budget keeps a service available only with two or more replicas. Run more \
            replicas, or drop the budget.",
    },
    Code {
        id: "W005",
        title: "LoadBalancer behind an ingress",
        explanation: "A `LoadBalancer` Service that an ingress also routes to: the ingress already reaches it, \
            and the second load balancer costs money. Use `ClusterIP` unless the service must also be reached \
            directly.",
    },
    Code {
        id: "W006",
        title: "HPA and VPA on the same signal",
        explanation: "An HPA on CPU or memory together with a VPA whose `mode` changes requests (anything but \
            `Off` and `Initial`): the two fight over the same signal. Set the VPA's `mode = \"Off\"` \
            (recommendations only), or scale the HPA on another metric.",
    },
    Code {
        id: "W007",
        title: "Address of an unknown service or port",
        explanation: "A plain env value of the main container names a cluster address \
            (`NAME.NAMESPACE.svc[.cluster.local][:PORT]`) that is not a service of the topology in that \
            namespace, or a port that service's containers do not declare. Fix the name, namespace or port; \
            for services managed elsewhere, allow the check with `[checks] allow = [\"W007\"]`.",
    },
    Code {
        id: "W008",
        title: "Replicas outside the autoscaler's range",
        explanation: "`replicas` (used when autoscaling is off) lies outside the HPA's `min`..`max`; while the \
            HPA is on, it owns the count. Keep `replicas` within `min` and `max`.",
    },
    Code {
        id: "W009",
        title: "Statefulset without a headless service",
        explanation: "A statefulset whose Service is not headless: its pods get stable DNS names only through a \
            headless governing Service. Remove the Service's `type`, or set it to `Headless`.",
    },
    Code {
        id: "W010",
        title: "Deprecated external-secrets API version",
        explanation: "A secret store that asks for `external-secrets.io/v1beta1`, which external-secrets 0.17 and \
            later no longer serve, so that applying fails there. Remove `api_version` (`v1` is the default) \
            unless the cluster runs an older release.",
    },
    Code {
        id: "W011",
        title: "Named policy port no container declares",
        explanation: "A network policy port given by name that no container of the pods it applies to declares \
            with that protocol: a named port matches by name and protocol, so it allows nothing there. Fix the \
            name, add the protocol the container uses (`\"dns/UDP\"`), give the port by number, or declare \
            the port.",
    },
    Code {
        id: "W012",
        title: "Deprecated VPA update mode",
        explanation: "A VPA with `mode = \"Auto\"`: VPA 1.4 and later deprecate it (it does what `Recreate` does, and \
            a later API version removes it; the VPA 1.7 API marks it deprecated). Write `Recreate`, or \
            `InPlaceOrRecreate` to resize pods in place where the cluster supports it.",
    },
    Code {
        id: "W013",
        title: "Legacy labels and selector",
        explanation: "A service, config map, claim, namespace, network policy or ingress keeps the labels (and \
            a workload its selector, its Service and its other objects' labels) that \
            another tool gave it (`legacy`, as `archctl import` writes it), in place of the recommended \
            `app.kubernetes.io/*` labels, and a legacy workload gets none of archctl's defaults (security \
            contexts, no service account token, the `/tmp` volume). `diff` and prune find objects by the \
            recommended labels, which these lack. A Deployment's or StatefulSet's selector is immutable: to \
            migrate, remove the `legacy` table, render, and delete and recreate the workload (`kubectl delete \
            deployment NAME`, then apply; for a statefulset, `kubectl delete statefulset NAME --cascade=orphan` \
            keeps its claims, which the new pods reuse by name, and its old pods until you delete them). Until then, allow the code with \
            `[checks] allow = [\"W013\"]`.",
    },
];

/// `docs/codes.md`, as the registry writes it.
#[cfg(test)]
fn markdown() -> String {
    use std::fmt::Write as _;
    let mut out = String::from(
        "# Diagnostic codes\n\n\
         Every problem archctl reports in a topology carries a code. `E…` codes are errors: they stop \
         `render`, `snapshot`, `diff`, `plan` and `graph`, and make `check` fail, with exit 2. `W…` codes are practice warnings: \
         every render that resolves prints them, `archctl check --deny warnings` fails on them, and \
         `[checks] allow` in the topology silences them.\n\n\
         This file is generated from `src/diagnostic/codes.rs`, the one registry of codes; after changing \
         it, run `ARCHCTL_UPDATE_SNAPSHOTS=1 cargo test --lib diagnostic::codes` to rewrite this file.\n\n\
         | code | severity | title |\n|---|---|---|\n",
    );
    for c in CODES {
        let severity = if c.severity() == Severity::Error { "error" } else { "warning" };
        let _ = writeln!(out, "| [{}](#{}) | {severity} | {} |", c.id, c.id.to_lowercase(), c.title);
    }
    for c in CODES {
        let _ = write!(out, "\n## {}\n\n**{}**\n\n{}\n", c.id, c.title, c.explanation);
    }
    out
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};

    use super::*;

    fn root() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
    }

    /// Every `.rs` file under `src/` but this one, with its text.
    fn sources() -> Vec<(PathBuf, String)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
            let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
            entries.sort();
            for p in entries {
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("src/diagnostic/codes.rs") {
                    out.push((p.clone(), std::fs::read_to_string(&p).unwrap()));
                }
            }
        }
        let mut out = Vec::new();
        walk(&root().join("src"), &mut out);
        assert!(out.len() > 50, "found only {} source files", out.len());
        out
    }

    /// The string literals `"E000"` … `"W999"` in `text`.
    fn literals(text: &str) -> Vec<String> {
        let b = text.as_bytes();
        let mut out = Vec::new();
        for i in 0..b.len().saturating_sub(5) {
            if b[i] == b'"'
                && matches!(b[i + 1], b'E' | b'W')
                && b[i + 2..i + 5].iter().all(u8::is_ascii_digit)
                && b[i + 5] == b'"'
            {
                out.push(text[i + 1..i + 5].to_string());
            }
        }
        out
    }

    /// The part of a file that ships: before its test module (which every
    /// file of this crate keeps at its end), without comment lines.
    fn shipped(text: &str) -> String {
        text.lines()
            .take_while(|l| l.trim() != "#[cfg(test)]")
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_registry_is_well_formed() {
        let mut seen = BTreeSet::new();
        for (i, c) in CODES.iter().enumerate() {
            let b = c.id.as_bytes();
            assert!(b.len() == 4 && matches!(b[0], b'E' | b'W') && b[1..].iter().all(u8::is_ascii_digit), "{c:?}");
            assert!(seen.insert(c.id), "{} is registered twice", c.id);
            if let Some(prev) = i.checked_sub(1).map(|p| CODES[p].id) {
                assert!(prev < c.id, "{} comes after {prev}: keep the registry in order", c.id);
            }
            assert!(!c.title.is_empty() && !c.title.contains('|') && !c.title.ends_with('.'), "{c:?}");
            assert!(c.explanation.ends_with('.') && c.explanation.len() > 60, "{}: explain it", c.id);
            assert!(!c.explanation.contains("  "), "{}: a line continuation left spaces", c.id);
        }
        assert_eq!(get("E051").map(|c| c.severity()), Some(Severity::Error));
        assert_eq!(get("W007").map(|c| c.severity()), Some(Severity::Warning));
        assert_eq!(get("E999"), None);
    }

    #[test]
    fn every_code_the_source_names_is_registered() {
        let mut unknown = Vec::new();
        for (path, text) in sources() {
            for code in literals(&text) {
                if get(&code).is_none() {
                    unknown.push(format!("{code} in {}", path.strip_prefix(root()).unwrap().display()));
                }
            }
        }
        assert!(unknown.is_empty(), "codes missing from src/diagnostic/codes.rs: {unknown:?}");
    }

    #[test]
    fn the_severity_of_a_diagnostic_follows_its_letter() {
        for (path, text) in sources() {
            let text = shipped(&text);
            for wrong in ["Diagnostic::error(\"W", "warning(\"E"] {
                assert!(!text.contains(wrong), "{}: `{wrong}…`: E codes are errors, W codes warnings", path.display());
            }
        }
    }

    #[test]
    fn every_registered_code_is_used_outside_tests() {
        let used: BTreeSet<String> = sources().iter().flat_map(|(_, text)| literals(&shipped(text))).collect();
        let unused: Vec<&str> = CODES.iter().map(|c| c.id).filter(|id| !used.contains(*id)).collect();
        assert!(unused.is_empty(), "registered codes that no diagnostic uses (remove them, or use them): {unused:?}");
    }

    #[test]
    fn docs_codes_md_lists_the_registry() {
        let path = root().join("docs/codes.md");
        let expected = markdown();
        if std::env::var_os("ARCHCTL_UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
            std::fs::write(&path, &expected).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        // the table: exactly the registry's codes, in order, with their titles
        let rows: Vec<(String, String)> = text
            .lines()
            .filter_map(|l| {
                let cells: Vec<&str> = l.strip_prefix('|')?.strip_suffix('|')?.split('|').map(str::trim).collect();
                let id = cells.first()?.strip_prefix('[')?.split(']').next()?;
                Some((id.to_string(), cells.get(2)?.to_string()))
            })
            .collect();
        let registry: Vec<(String, String)> = CODES.iter().map(|c| (c.id.to_string(), c.title.to_string())).collect();
        assert_eq!(rows, registry, "the table of docs/codes.md differs from the registry");
        // a section per code
        let sections: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("## ")).collect();
        let ids: Vec<&str> = CODES.iter().map(|c| c.id).collect();
        assert_eq!(sections, ids, "the sections of docs/codes.md differ from the registry");
        assert!(
            text == expected,
            "docs/codes.md is not what the registry writes: run `ARCHCTL_UPDATE_SNAPSHOTS=1 cargo test --lib diagnostic::codes`"
        );
    }
}
