//! `archctl plan`: capacity per growth phase — replicas, CPU, memory, GPUs
//! and storage per service and in total, and with a node size, how many
//! nodes each phase needs (first-fit decreasing, honouring required
//! anti-affinity). With a price file, what each phase costs ([`cost`]).

pub(crate) mod cost;
pub(crate) mod prices;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::k8s::quantity::{Format, Quantity};
use crate::resolve::{GPU_RESOURCE, Resolved};
use crate::topology::Kind;

/// Milli-CPU, bytes and GPUs of one pod.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Amount {
    pub cpu_milli: i64,
    pub memory_bytes: i64,
    pub gpu: i64,
}

impl Amount {
    fn times(self, n: i64) -> Amount {
        Amount { cpu_milli: self.cpu_milli * n, memory_bytes: self.memory_bytes * n, gpu: self.gpu * n }
    }

    fn add(&mut self, o: Amount) {
        self.cpu_milli += o.cpu_milli;
        self.memory_bytes += o.memory_bytes;
        self.gpu += o.gpu;
    }

    fn max(self, o: Amount) -> Amount {
        Amount {
            cpu_milli: self.cpu_milli.max(o.cpu_milli),
            memory_bytes: self.memory_bytes.max(o.memory_bytes),
            gpu: self.gpu.max(o.gpu),
        }
    }

    fn fits_in(self, free: Amount) -> bool {
        self.cpu_milli <= free.cpu_milli && self.memory_bytes <= free.memory_bytes && self.gpu <= free.gpu
    }

    fn minus(self, o: Amount) -> Amount {
        Amount {
            cpu_milli: self.cpu_milli - o.cpu_milli,
            memory_bytes: self.memory_bytes - o.memory_bytes,
            gpu: self.gpu - o.gpu,
        }
    }
}

/// Bytes of storage, shown in the units the topology wrote: decimal
/// (`500G`) when every size added up was decimal, else binary (`465.7Gi`
/// would misreport a `500G` volume as the cloud bills it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Storage {
    pub bytes: i64,
    pub decimal: bool,
}

impl Default for Storage {
    fn default() -> Self {
        Storage { bytes: 0, decimal: true }
    }
}

impl Storage {
    fn add(&mut self, size: &Quantity, times: i64) {
        self.bytes += size.ceil_units() as i64 * times;
        self.decimal &= size.format != Format::BinarySI;
    }

    fn plus(&mut self, o: Storage) {
        self.bytes += o.bytes;
        self.decimal &= o.decimal;
    }
}

/// In JSON, plain bytes.
impl Serialize for Storage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.bytes)
    }
}

fn amounts(m: &BTreeMap<String, Quantity>) -> Amount {
    let q = |k: &str| m.get(k);
    Amount {
        cpu_milli: q("cpu").map(|q| (q.nanos / 1_000_000) as i64).unwrap_or(0),
        memory_bytes: q("memory").map(|q| q.ceil_units() as i64).unwrap_or(0),
        gpu: q(GPU_RESOURCE).map(|q| q.ceil_units() as i64).unwrap_or(0),
    }
}

/// One service in one phase.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ServicePlan {
    pub name: String,
    pub namespace: String,
    pub kind: &'static str,
    pub replicas_min: i64,
    pub replicas_max: i64,
    /// The replicas the topology expects its autoscaler to keep.
    pub replicas_expected: Option<i64>,
    /// Per pod.
    pub requests: Amount,
    pub limits: Amount,
    /// Bytes of storage per class, at the most replicas.
    pub storage: BTreeMap<String, Storage>,
    #[serde(skip)]
    required_anti_affinity: bool,
    /// The service's own node selector: it places the service in a priced
    /// node pool.
    #[serde(skip)]
    pub node_selector: indexmap::IndexMap<String, String>,
}

/// A node's size, from `--node-size 8cpu,32Gi[,1gpu]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct NodeSize(pub Amount);

impl std::str::FromStr for NodeSize {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let mut a = Amount::default();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let lower = part.to_ascii_lowercase();
            if let Some(n) = lower.strip_suffix("gpu").or_else(|| lower.strip_suffix("gpus")) {
                a.gpu = n.trim().parse().map_err(|_| format!("`{part}` is not a GPU count such as `1gpu`"))?;
            } else if let Some(n) = lower.strip_suffix("cpu").or_else(|| lower.strip_suffix("cpus")) {
                let q = Quantity::parse(n.trim()).map_err(|e| e.to_string())?;
                a.cpu_milli = (q.nanos / 1_000_000) as i64;
            } else {
                let q = Quantity::parse(part).map_err(|e| format!("{e}; write memory such as `32Gi`"))?;
                a.memory_bytes = q.ceil_units() as i64;
            }
        }
        if a.cpu_milli <= 0 || a.memory_bytes <= 0 {
            return Err(format!("`{s}` needs both CPU and memory, e.g. `8cpu,32Gi` or `8cpu,64Gi,1gpu`"));
        }
        Ok(NodeSize(a))
    }
}

/// Nodes one phase needs.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct NodePlan {
    pub count: usize,
    /// What is left free across all nodes, by requests.
    pub headroom: Amount,
    /// Services with a pod larger than a node.
    pub unschedulable: Vec<String>,
}

/// One phase: its services, totals and nodes.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct PhasePlan {
    /// The profile planned; None for the topology alone.
    pub profile: Option<String>,
    pub phase: String,
    pub services: Vec<ServicePlan>,
    pub pods_min: i64,
    pub pods_max: i64,
    /// When some service states its expected replicas: those, plus the
    /// fewest pods of every other service.
    pub pods_expected: Option<i64>,
    pub requests_min: Amount,
    pub requests_max: Amount,
    pub limits_max: Amount,
    pub storage: BTreeMap<String, Storage>,
    /// Nodes at the most pods.
    pub nodes: Option<NodePlan>,
    /// Nodes at the fewest pods.
    pub nodes_min: Option<NodePlan>,
}

/// The plan of one resolved phase.
pub(crate) fn phase(r: &Resolved, node: Option<NodeSize>) -> PhasePlan {
    let topo = &r.topology;
    let mut services = Vec::new();
    for (name, svc) in &topo.services {
        let Some(v) = r.services.get(name) else { continue };
        let (lo, hi) = match svc.kind {
            // batch work runs at times, not always: none of its pods at the
            // fewest, `parallelism` of them while it runs
            Kind::Job | Kind::CronJob => (0, i64::from(svc.parallelism.unwrap_or(1))),
            _ => match (v.hpa, v.keda) {
                (Some((a, b)), _) | (_, Some((a, b))) => (i64::from(a), i64::from(b)),
                _ => {
                    let n = i64::from(v.replicas.unwrap_or(1));
                    (n, n)
                }
            },
        };
        let mut requests = amounts(&v.resources.requests);
        let mut limits = amounts(&v.resources.limits);
        for res in &v.sidecar_resources {
            requests.add(amounts(&res.requests));
            limits.add(amounts(&res.limits));
        }
        // init containers run before the others, one at a time: the pod
        // needs the larger of their largest and the running containers' sum
        for res in &v.init_resources {
            requests = requests.max(amounts(&res.requests));
            limits = limits.max(amounts(&res.limits));
        }
        let mut storage: BTreeMap<String, Storage> = BTreeMap::new();
        for vol in v.volumes.values() {
            if let Some(size) = &vol.size {
                let class = vol.storage_class.clone().unwrap_or_else(|| "(default)".into());
                storage.entry(class).or_default().add(size, hi);
            }
        }
        services.push(ServicePlan {
            name: name.clone(),
            namespace: v.namespace.clone(),
            kind: svc.kind.as_str(),
            replicas_min: lo,
            replicas_max: hi,
            replicas_expected: v.expected.map(i64::from),
            requests,
            limits,
            storage,
            required_anti_affinity: svc.placement.anti_affinity.as_deref() == Some("required"),
            node_selector: svc.node_selector.clone(),
        });
    }
    let mut plan = PhasePlan {
        profile: r.profile.clone(),
        phase: r.phase.clone().unwrap_or_else(|| "(no phases)".into()),
        pods_min: services.iter().map(|s| s.replicas_min).sum(),
        pods_max: services.iter().map(|s| s.replicas_max).sum(),
        pods_expected: services
            .iter()
            .any(|s| s.replicas_expected.is_some())
            .then(|| services.iter().map(|s| s.replicas_expected.unwrap_or(s.replicas_min)).sum()),
        requests_min: Amount::default(),
        requests_max: Amount::default(),
        limits_max: Amount::default(),
        storage: BTreeMap::new(),
        nodes: None,
        nodes_min: None,
        services: Vec::new(),
    };
    for s in &services {
        plan.requests_min.add(s.requests.times(s.replicas_min));
        plan.requests_max.add(s.requests.times(s.replicas_max));
        plan.limits_max.add(s.limits.times(s.replicas_max));
        for (c, b) in &s.storage {
            plan.storage.entry(c.clone()).or_default().plus(*b);
        }
    }
    for claim in r.claims.values() {
        plan.storage
            .entry(claim.storage_class.clone().unwrap_or_else(|| "(default)".into()))
            .or_default()
            .add(&claim.size, 1);
    }
    plan.nodes = node.map(|n| nodes(&services, n, |s| s.replicas_max));
    plan.nodes_min = node.map(|n| nodes(&services, n, |s| s.replicas_min));
    plan.services = services;
    plan
}

/// First-fit decreasing: the largest pods first, each into the first node
/// with room (and, under required anti-affinity, no pod of its service),
/// `replicas` of each service.
fn nodes(services: &[ServicePlan], size: NodeSize, replicas: impl Fn(&ServicePlan) -> i64) -> NodePlan {
    let mut pods: Vec<(usize, Amount)> = Vec::new();
    for (i, s) in services.iter().enumerate() {
        pods.extend(std::iter::repeat_n((i, s.requests), replicas(s).max(0) as usize));
    }
    pods.sort_by(|a, b| {
        (b.1.gpu, b.1.cpu_milli, b.1.memory_bytes, a.0).cmp(&(a.1.gpu, a.1.cpu_milli, a.1.memory_bytes, b.0))
    });
    let mut nodes: Vec<(Amount, Vec<usize>)> = Vec::new();
    let mut unschedulable = Vec::new();
    for (svc, need) in pods {
        if !need.fits_in(size.0) {
            if !unschedulable.contains(&services[svc].name) {
                unschedulable.push(services[svc].name.clone());
            }
            continue;
        }
        let apart = services[svc].required_anti_affinity;
        match nodes.iter_mut().find(|(free, on)| need.fits_in(*free) && !(apart && on.contains(&svc))) {
            Some((free, on)) => {
                *free = free.minus(need);
                on.push(svc);
            }
            None => nodes.push((size.0.minus(need), vec![svc])),
        }
    }
    let mut headroom = Amount::default();
    for (free, _) in &nodes {
        headroom.add(*free);
    }
    NodePlan { count: nodes.len(), headroom, unschedulable }
}

/// `1.5` cores, `250m`-style for small values.
pub(crate) fn cpu(milli: i64) -> String {
    if milli % 1000 == 0 {
        format!("{}", milli / 1000)
    } else {
        let s = format!("{:.3}", milli as f64 / 1000.0);
        s.trim_end_matches('0').to_string()
    }
}

/// Bytes in the largest binary unit that keeps one decimal honest.
pub(crate) fn bytes(b: i64) -> String {
    in_units(b, &[("Ti", 1 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10)])
}

/// `b` in the largest of `units` (largest first) it reaches, to one
/// decimal unless whole.
fn in_units(b: i64, units: &[(&str, i64)]) -> String {
    for &(u, n) in units {
        if b >= n {
            let v = b as f64 / n as f64;
            return if (v - v.round()).abs() < 1e-9 {
                format!("{}{u}", v.round() as i64)
            } else {
                format!("{v:.1}{u}")
            };
        }
    }
    format!("{b}")
}

/// A range with the count expected within it.
fn expected(range: String, expected: Option<i64>) -> String {
    match expected {
        Some(n) => format!("{range} (~{n})"),
        None => range,
    }
}

fn range(lo: String, hi: String) -> String {
    if lo == hi { lo } else { format!("{lo}–{hi}") }
}

/// Bytes in the largest decimal unit that keeps one decimal honest.
pub(crate) fn decimal_bytes(b: i64) -> String {
    in_units(
        b,
        &[
            ("E", 1_000_000_000_000_000_000),
            ("P", 1_000_000_000_000_000),
            ("T", 1_000_000_000_000),
            ("G", 1_000_000_000),
            ("M", 1_000_000),
            ("k", 1_000),
        ],
    )
}

fn storage_text(m: &BTreeMap<String, Storage>) -> String {
    if m.is_empty() {
        return "-".into();
    }
    m.iter()
        .map(|(c, s)| format!("{} {c}", if s.decimal { decimal_bytes(s.bytes) } else { bytes(s.bytes) }))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Plain-text or Markdown tables.
pub(crate) fn table(plans: &[PhasePlan], markdown: bool) -> String {
    let mut out = String::new();
    let header =
        ["phase", "pods", "cpu requests", "memory requests", "gpu", "cpu limits", "memory limits", "storage", "nodes"];
    let mut rows: Vec<Vec<String>> = Vec::new();
    for p in plans {
        rows.push(vec![
            p.phase.clone(),
            expected(range(p.pods_min.to_string(), p.pods_max.to_string()), p.pods_expected),
            range(cpu(p.requests_min.cpu_milli), cpu(p.requests_max.cpu_milli)),
            range(bytes(p.requests_min.memory_bytes), bytes(p.requests_max.memory_bytes)),
            range(p.requests_min.gpu.to_string(), p.requests_max.gpu.to_string()),
            cpu(p.limits_max.cpu_milli),
            bytes(p.limits_max.memory_bytes),
            storage_text(&p.storage),
            match (&p.nodes_min, &p.nodes) {
                (Some(lo), Some(hi)) => range(lo.count.to_string(), hi.count.to_string()),
                _ => "-".into(),
            },
        ]);
    }
    write_table(&mut out, &header, &rows, markdown);
    for p in plans {
        let _ = writeln!(out, "\n{}phase {}", if markdown { "### " } else { "" }, p.phase);
        if !markdown {
            out.push('\n');
        }
        let header = [
            "service",
            "namespace",
            "kind",
            "replicas",
            "cpu req/pod",
            "mem req/pod",
            "gpu/pod",
            "cpu lim/pod",
            "mem lim/pod",
            "storage",
        ];
        let rows: Vec<Vec<String>> = p
            .services
            .iter()
            .map(|s| {
                vec![
                    s.name.clone(),
                    s.namespace.clone(),
                    s.kind.to_string(),
                    expected(range(s.replicas_min.to_string(), s.replicas_max.to_string()), s.replicas_expected),
                    cpu(s.requests.cpu_milli),
                    bytes(s.requests.memory_bytes),
                    s.requests.gpu.to_string(),
                    cpu(s.limits.cpu_milli),
                    bytes(s.limits.memory_bytes),
                    storage_text(&s.storage),
                ]
            })
            .collect();
        write_table(&mut out, &header, &rows, markdown);
        if let (Some(lo), Some(n)) = (&p.nodes_min, &p.nodes) {
            let _ = writeln!(
                out,
                "\n{} node(s) (at the fewest pods {}); headroom at the most {} CPU, {} memory, {} GPU{}",
                n.count,
                lo.count,
                cpu(n.headroom.cpu_milli),
                bytes(n.headroom.memory_bytes),
                n.headroom.gpu,
                if n.unschedulable.is_empty() {
                    String::new()
                } else {
                    format!("; larger than a node: {}", n.unschedulable.join(", "))
                }
            );
        }
    }
    out
}

fn write_table(out: &mut String, header: &[&str], rows: &[Vec<String>], markdown: bool) {
    if markdown {
        let _ = writeln!(out, "| {} |", header.join(" | "));
        let _ = writeln!(out, "|{}|", header.iter().map(|_| "---").collect::<Vec<_>>().join("|"));
        for r in rows {
            let _ = writeln!(out, "| {} |", r.join(" | "));
        }
        return;
    }
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| -> String {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c}{}", " ".repeat(widths[i] - c.chars().count())))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(header.iter().map(|h| h.to_uppercase()).collect()));
    for r in rows {
        let _ = writeln!(out, "{}", line(r.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_sizes_and_formats() {
        let n: NodeSize = "8cpu,32Gi,1gpu".parse().unwrap();
        assert_eq!(n.0, Amount { cpu_milli: 8000, memory_bytes: 32 << 30, gpu: 1 });
        assert!("32Gi".parse::<NodeSize>().is_err());
        assert!("8cpu,32GB".parse::<NodeSize>().is_err());
        assert_eq!(cpu(2500), "2.5");
        assert_eq!(cpu(250), "0.25");
        assert_eq!(bytes(3 << 29), "1.5Gi");
        assert_eq!(bytes(1 << 40), "1Ti");
        assert_eq!(decimal_bytes(500_000_000_000), "500G");
        assert_eq!(decimal_bytes(1_500_000_000_000), "1.5T");
        let mut s = Storage::default();
        s.add(&Quantity::parse("500G").unwrap(), 2);
        assert_eq!((s.bytes, s.decimal), (1_000_000_000_000, true));
        assert_eq!(storage_text(&BTreeMap::from([("gp3".to_string(), s)])), "1T gp3");
        s.add(&Quantity::parse("1Gi").unwrap(), 1);
        assert!(!s.decimal, "a binary size makes the sum binary");
    }
}
