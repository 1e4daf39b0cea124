//! What each growth phase costs a month: the phase's pods placed in the
//! price file's node pools, the nodes each pool needs at the fewest and at
//! the most pods (first-fit decreasing, as `plan --node-size` packs them),
//! what pods request in pools priced by the resource, and the storage.
//!
//! Every priced line (one pool, one storage class, the cluster fee) is
//! rounded to the cent, and the totals are sums of those lines, so the
//! table adds up by hand. Storage is priced per GB (10⁹ bytes) or per GiB
//! (2³⁰), as the price list counts: a `10Gi` volume is 10.737 GB. It is
//! counted at the most pods at both ends, since a StatefulSet's claims
//! outlive its scale-down.

use std::fmt::Write as _;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Serialize, Serializer};

use super::prices::{Placed, Prices, Pricing};
use super::{Amount, PhasePlan, ServicePlan};

/// Money in JSON: a string of the amount to the cent (`"1121.28"`), exact
/// where a JSON number need not be.
fn money<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format!("{:.2}", cents(*d)))
}

fn money_opt<S: Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => money(d, s),
        None => s.serialize_none(),
    }
}

/// A price as the file gave it, exactly.
fn exact_opt<S: Serializer>(d: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&d.normalize().to_string()),
        None => s.serialize_none(),
    }
}

fn exact<S: Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.normalize().to_string())
}

fn cents(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The whole report: the prices' provenance and every profile's phases.
#[derive(Debug, Serialize)]
pub(crate) struct Report {
    pub currency: String,
    pub date: String,
    pub source: String,
    #[serde(serialize_with = "exact")]
    pub hours_per_month: Decimal,
    pub profiles: Vec<ProfileCost>,
    /// The most expensive phase at the most pods, over every profile.
    pub most_expensive: Option<Costliest>,
    pub budget: Option<Budget>,
}

#[derive(Debug, Serialize)]
pub(crate) struct ProfileCost {
    /// None: the topology alone.
    pub profile: Option<String>,
    pub phases: Vec<PhaseCost>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Costliest {
    pub profile: Option<String>,
    pub phase: String,
    #[serde(serialize_with = "money")]
    pub total: Decimal,
}

#[derive(Debug, Serialize)]
pub(crate) struct Budget {
    #[serde(serialize_with = "money")]
    pub amount: Decimal,
    /// The most expensive phase costs more than the budget.
    pub exceeded: bool,
}

/// One phase of one profile.
#[derive(Debug, Serialize)]
pub(crate) struct PhaseCost {
    pub phase: String,
    pub pods_min: i64,
    pub pods_max: i64,
    pub pools: Vec<PoolCost>,
    pub storage: Vec<StorageCost>,
    #[serde(serialize_with = "money")]
    pub compute_min: Decimal,
    #[serde(serialize_with = "money")]
    pub compute_max: Decimal,
    #[serde(serialize_with = "money")]
    pub storage_total: Decimal,
    /// The price file's fee per cluster (a managed control plane).
    #[serde(serialize_with = "money")]
    pub cluster: Decimal,
    #[serde(serialize_with = "money")]
    pub total_min: Decimal,
    #[serde(serialize_with = "money")]
    pub total_max: Decimal,
    /// `total_max` less the previous phase's (None for the first phase).
    #[serde(serialize_with = "money_opt")]
    pub delta: Option<Decimal>,
    /// Why the figures are a lower bound (an unpriced storage class, pods
    /// larger than their pool's nodes, GPUs without a price); empty when
    /// the cost is complete.
    pub incomplete: Vec<String>,
}

/// One node pool in one phase.
#[derive(Debug, Serialize)]
pub(crate) struct PoolCost {
    pub pool: String,
    /// `node` or `resources`.
    pub pricing: &'static str,
    /// The instance type, when the price file names it.
    pub instance: Option<String>,
    /// Each service placed here, with the rule that placed it.
    pub services: Vec<Placement>,
    pub nodes_min: Option<usize>,
    pub nodes_max: Option<usize>,
    #[serde(serialize_with = "money")]
    pub compute_min: Decimal,
    #[serde(serialize_with = "money")]
    pub compute_max: Decimal,
    /// Services with a pod larger than one of this pool's nodes: not counted.
    pub unschedulable: Vec<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Placement {
    pub service: String,
    /// `listed`, `node_selector`, `gpu` or `default`.
    pub by: &'static str,
}

/// One storage class in one phase.
#[derive(Debug, Serialize)]
pub(crate) struct StorageCost {
    pub class: String,
    pub bytes: i64,
    /// Every size the topology wrote for it was decimal (`100G`).
    #[serde(skip)]
    decimal: bool,
    /// The price per `unit_bytes` and month, None when the file has none
    /// for the class.
    #[serde(serialize_with = "exact_opt")]
    pub price: Option<Decimal>,
    /// 1000000000 (a GB) or 1073741824 (a GiB).
    pub unit_bytes: Option<i64>,
    #[serde(serialize_with = "money_opt")]
    pub cost: Option<Decimal>,
}

const GIB: i64 = 1 << 30;

/// The monthly compute of pods requesting `a` in total, by the resource-hour.
fn by_resource(a: Amount, vcpu: Decimal, gib: Decimal, gpu: Option<Decimal>, hours: Decimal) -> Decimal {
    let cpu = Decimal::from(a.cpu_milli) * vcpu / Decimal::from(1000);
    let mem = Decimal::from(a.memory_bytes) * gib / Decimal::from(GIB);
    let gpu = Decimal::from(a.gpu) * gpu.unwrap_or(Decimal::ZERO);
    cents((cpu + mem + gpu) * hours)
}

/// The cost of one phase.
pub(crate) fn phase(plan: &PhasePlan, prices: &Prices, previous: Option<&PhaseCost>) -> PhaseCost {
    let hours = prices.hours_per_month;
    let mut incomplete = Vec::new();
    let mut by_pool: Vec<(Vec<&ServicePlan>, Vec<Placement>)> =
        prices.pools.iter().map(|_| Default::default()).collect();
    for s in &plan.services {
        let (i, why) = prices.pool_of(&s.name, &s.node_selector, s.requests.gpu > 0);
        by_pool[i].0.push(s);
        let by = match why {
            Placed::Listed => "listed",
            Placed::NodeSelector => "node_selector",
            Placed::Gpu => "gpu",
            Placed::Default => "default",
        };
        by_pool[i].1.push(Placement { service: s.name.clone(), by });
    }
    let mut pools = Vec::new();
    for (pool, (services, placements)) in prices.pools.iter().zip(by_pool) {
        let mut cost = PoolCost {
            pool: pool.name.clone(),
            pricing: "node",
            instance: None,
            services: placements,
            nodes_min: None,
            nodes_max: None,
            compute_min: Decimal::ZERO,
            compute_max: Decimal::ZERO,
            unschedulable: Vec::new(),
        };
        match &pool.pricing {
            Pricing::Node { instance, allocatable, hourly } => {
                let owned: Vec<ServicePlan> = services.iter().map(|s| (*s).clone()).collect();
                let size = super::NodeSize(*allocatable);
                let lo = super::nodes(&owned, size, |s| s.replicas_min);
                let hi = super::nodes(&owned, size, |s| s.replicas_max);
                let monthly = |n: usize| cents(Decimal::from(n) * *hourly * hours);
                cost.instance = instance.clone();
                cost.compute_min = monthly(lo.count);
                cost.compute_max = monthly(hi.count);
                cost.nodes_min = Some(lo.count);
                cost.nodes_max = Some(hi.count);
                for s in &hi.unschedulable {
                    incomplete.push(format!("`{s}` has pods larger than a node of pool `{}`", pool.name));
                }
                cost.unschedulable = hi.unschedulable;
            }
            Pricing::Resources { vcpu_hour, gib_hour, gpu_hour } => {
                cost.pricing = "resources";
                let mut lo = Amount::default();
                let mut hi = Amount::default();
                for s in &services {
                    lo.add(s.requests.times(s.replicas_min));
                    hi.add(s.requests.times(s.replicas_max));
                    if s.requests.gpu > 0 && gpu_hour.is_none() {
                        incomplete.push(format!(
                            "`{}` requests GPUs and pool `{}` has no `gpu_hour` price",
                            s.name, pool.name
                        ));
                        cost.unschedulable.push(s.name.clone());
                    }
                }
                cost.compute_min = by_resource(lo, *vcpu_hour, *gib_hour, *gpu_hour, hours);
                cost.compute_max = by_resource(hi, *vcpu_hour, *gib_hour, *gpu_hour, hours);
            }
        }
        pools.push(cost);
    }
    let mut storage = Vec::new();
    for (class, s) in &plan.storage {
        let price = prices.storage_price(class);
        if price.is_none() {
            incomplete.push(if class == "(default)" {
                "volumes with no storage class and no `default_storage_class` in the price file".to_string()
            } else {
                format!("no price for storage class `{class}`")
            });
        }
        storage.push(StorageCost {
            class: class.clone(),
            bytes: s.bytes,
            decimal: s.decimal,
            price: price.map(|r| r.price),
            unit_bytes: price.map(|r| r.unit),
            cost: price.map(|r| cents(Decimal::from(s.bytes) * r.price / Decimal::from(r.unit))),
        });
    }
    let compute_min: Decimal = pools.iter().map(|p| p.compute_min).sum();
    let compute_max: Decimal = pools.iter().map(|p| p.compute_max).sum();
    let storage_total: Decimal = storage.iter().filter_map(|s| s.cost).sum();
    let cluster = cents(prices.cluster_monthly);
    let total_max = compute_max + storage_total + cluster;
    PhaseCost {
        phase: plan.phase.clone(),
        pods_min: plan.pods_min,
        pods_max: plan.pods_max,
        pools,
        storage,
        compute_min,
        compute_max,
        storage_total,
        cluster,
        total_min: compute_min + storage_total + cluster,
        total_max,
        delta: previous.map(|p| total_max - p.total_max),
        incomplete,
    }
}

/// The report over every profile's phases, in order.
pub(crate) fn report(plans: &[(Option<String>, Vec<PhasePlan>)], prices: &Prices, budget: Option<Decimal>) -> Report {
    let mut profiles = Vec::new();
    for (profile, phases) in plans {
        let mut costs: Vec<PhaseCost> = Vec::new();
        for p in phases {
            let c = phase(p, prices, costs.last());
            costs.push(c);
        }
        profiles.push(ProfileCost { profile: profile.clone(), phases: costs });
    }
    let most_expensive = profiles
        .iter()
        .flat_map(|p| p.phases.iter().map(move |c| (p, c)))
        // the first of equals, in profile and phase order
        .fold(None::<(&ProfileCost, &PhaseCost)>, |best, (p, c)| match best {
            Some((_, b)) if b.total_max >= c.total_max => best,
            _ => Some((p, c)),
        })
        .map(|(p, c)| Costliest { profile: p.profile.clone(), phase: c.phase.clone(), total: c.total_max });
    let budget =
        budget.map(|amount| Budget { amount, exceeded: most_expensive.as_ref().is_some_and(|m| m.total > amount) });
    Report {
        currency: prices.currency.clone(),
        date: prices.date.clone(),
        source: prices.source.clone(),
        hours_per_month: prices.hours_per_month,
        profiles,
        most_expensive,
        budget,
    }
}

/// `1,121.28`.
pub(crate) fn amount(d: Decimal) -> String {
    let s = format!("{:.2}", cents(d));
    let (sign, s) = s.strip_prefix('-').map(|r| ("-", r)).unwrap_or(("", &s));
    let (whole, frac) = s.split_once('.').unwrap_or((s, "00"));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{frac}")
}

fn span(lo: Decimal, hi: Decimal) -> String {
    if lo == hi { amount(hi) } else { format!("{}–{}", amount(lo), amount(hi)) }
}

fn count_span(lo: Option<usize>, hi: Option<usize>) -> String {
    match (lo, hi) {
        (Some(a), Some(b)) if a == b => a.to_string(),
        (Some(a), Some(b)) => format!("{a}–{b}"),
        _ => "-".into(),
    }
}

/// The cost tables: per phase, then per pool, then per storage class.
pub(crate) fn table(r: &Report, markdown: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} a month in {}, at prices of {} ({} hours a month){}\nfrom {}",
        if markdown { "Cost" } else { "cost" },
        r.currency,
        r.date,
        r.hours_per_month.normalize(),
        if markdown { "  " } else { "" },
        r.source,
    );
    out.push('\n');
    let profile = |p: &ProfileCost| p.profile.clone().unwrap_or_else(|| "(topology)".into());
    let c = &r.currency;
    let fee = r.profiles.iter().flat_map(|p| &p.phases).any(|ph| ph.cluster > Decimal::ZERO);
    let header: Vec<String> = ["profile", "phase", "pods", "nodes", "compute", "storage", "cluster", "total", "change"]
        .iter()
        .filter(|h| fee || **h != "cluster")
        .map(|h| match *h {
            "compute" | "storage" | "cluster" | "total" => format!("{h} ({c})"),
            _ => h.to_string(),
        })
        .collect();
    let mut rows = Vec::new();
    for p in &r.profiles {
        for ph in &p.phases {
            let nodes: Vec<String> = ph
                .pools
                .iter()
                .filter(|pool| pool.nodes_max.is_some_and(|n| n > 0))
                .map(|pool| format!("{} {}", pool.pool, count_span(pool.nodes_min, pool.nodes_max)))
                .collect();
            let mut row = vec![
                profile(p),
                ph.phase.clone(),
                if ph.pods_min == ph.pods_max {
                    ph.pods_max.to_string()
                } else {
                    format!("{}–{}", ph.pods_min, ph.pods_max)
                },
                if nodes.is_empty() { "-".into() } else { nodes.join(", ") },
                span(ph.compute_min, ph.compute_max),
                amount(ph.storage_total),
                amount(ph.cluster),
                format!("{}{}", span(ph.total_min, ph.total_max), if ph.incomplete.is_empty() { "" } else { " *" }),
                match ph.delta {
                    Some(d) if d >= Decimal::ZERO => format!("+{}", amount(d)),
                    Some(d) => amount(d),
                    None => "-".into(),
                },
            ];
            if !fee {
                row.remove(6);
            }
            rows.push(row);
        }
    }
    let header_refs: Vec<&str> = header.iter().map(String::as_str).collect();
    super::write_table(&mut out, &header_refs, &rows, markdown);

    let mut rows = Vec::new();
    for p in &r.profiles {
        for ph in &p.phases {
            // a pool no service of the phase runs in costs nothing: left out
            for pool in ph.pools.iter().filter(|p| !p.services.is_empty()) {
                rows.push(vec![
                    profile(p),
                    ph.phase.clone(),
                    pool.pool.clone(),
                    match (&pool.instance, pool.pricing) {
                        (Some(i), _) => i.clone(),
                        (None, "resources") => "per resource".into(),
                        (None, _) => "node".into(),
                    },
                    if pool.services.is_empty() {
                        "-".into()
                    } else {
                        pool.services.iter().map(|s| s.service.as_str()).collect::<Vec<_>>().join(", ")
                    },
                    count_span(pool.nodes_min, pool.nodes_max),
                    span(pool.compute_min, pool.compute_max),
                ]);
            }
        }
    }
    out.push('\n');
    let compute = format!("compute ({c})");
    super::write_table(
        &mut out,
        &["profile", "phase", "pool", "priced by", "services", "nodes", &compute],
        &rows,
        markdown,
    );

    let mut rows = Vec::new();
    for p in &r.profiles {
        for ph in &p.phases {
            for s in &ph.storage {
                rows.push(vec![
                    profile(p),
                    ph.phase.clone(),
                    s.class.clone(),
                    if s.decimal { super::decimal_bytes(s.bytes) } else { super::bytes(s.bytes) },
                    match (s.price, s.unit_bytes) {
                        (Some(p), Some(GIB)) => format!("{}/GiB", p.normalize()),
                        (Some(p), _) => format!("{}/GB", p.normalize()),
                        _ => "no price".into(),
                    },
                    s.cost.map(amount).unwrap_or_else(|| "-".into()),
                ]);
            }
        }
    }
    if !rows.is_empty() {
        out.push('\n');
        let per = format!("price ({c} a month)");
        let cost = format!("storage ({c})");
        super::write_table(&mut out, &["profile", "phase", "class", "size", &per, &cost], &rows, markdown);
    }
    if r.profiles.iter().any(|p| p.phases.iter().any(|ph| !ph.incomplete.is_empty())) {
        let _ = writeln!(out, "\n* incomplete: a lower bound (see the warnings)");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_grouped_and_rounded_to_the_cent() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(amount(d("1121.284")), "1,121.28");
        assert_eq!(amount(d("1234567.005")), "1,234,567.01");
        assert_eq!(amount(d("-42.5")), "-42.50");
        assert_eq!(amount(d("0")), "0.00");
        assert_eq!(amount(d("999.999")), "1,000.00");
        // 2 vCPU and 4 GiB for 730 hours at 0.04 and 0.005: 58.40 + 14.60
        let a = Amount { cpu_milli: 2000, memory_bytes: 4 * GIB, gpu: 0 };
        assert_eq!(by_resource(a, d("0.04"), d("0.005"), None, d("730")), d("73.00"));
        // 0.1 + 0.2 in floating point is not 0.3; in decimals it is
        let half_cpu = Amount { cpu_milli: 100, memory_bytes: 0, gpu: 0 };
        let two = Amount { cpu_milli: 200, memory_bytes: 0, gpu: 0 };
        let sum =
            by_resource(half_cpu, d("1"), d("0"), None, d("1000")) + by_resource(two, d("1"), d("0"), None, d("1000"));
        assert_eq!(sum, d("300"));
    }
}
