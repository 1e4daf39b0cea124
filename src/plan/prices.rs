//! Price files for `plan --prices`: what a node, a resource-hour and a
//! GB-month of storage cost, where those prices were read and when.
//!
//! archctl holds no price as truth: prices change, differ by region,
//! contract and discount, and a figure without its source and date cannot be
//! reviewed. So a price file must say its `currency`, `date` and `source`,
//! and the examples in `examples/prices/` are only examples. The format is
//! documented in docs/plan.md.
//!
//! Prices are [`Decimal`]s (rust_decimal): a price such as `0.0416` per hour,
//! times 730 hours, times hundreds of nodes must add up to the cent the way
//! a spreadsheet or an invoice does, which binary floating point does not
//! promise. A price written as a TOML float is read through its shortest
//! decimal spelling (`0.384` stays 0.384); a string (`"0.384"`) is read
//! exactly.

use std::path::Path;
use std::str::FromStr;

use indexmap::IndexMap;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::Amount;
use crate::diagnostic::path::TomlPath;
use crate::diagnostic::spans::{SourceFile, SourceMap, SpanIndex};
use crate::diagnostic::{self, Diagnostic};
use crate::k8s::quantity::Quantity;

/// The most a price file may hold.
const MAX_FILE: u64 = 1 << 20;

/// Hours in a month when the file does not say: 365 × 24 / 12, as the
/// clouds' monthly estimates count them.
pub(crate) const HOURS_PER_MONTH: u32 = 730;

/// A price file as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    currency: String,
    date: Date,
    source: String,
    hours_per_month: Option<Price>,
    /// A fee per cluster and hour (a managed control plane).
    cluster_hourly: Option<Price>,
    /// Free text: the region, the purchase option, what was left out.
    #[allow(dead_code)]
    note: Option<String>,
    #[serde(default)]
    pools: IndexMap<String, PoolFile>,
    #[serde(default)]
    storage: IndexMap<String, StorageFile>,
    default_storage_class: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PoolFile {
    node: Option<NodeFile>,
    resources: Option<ResourcesFile>,
    #[serde(default)]
    services: Vec<String>,
    #[serde(default)]
    node_labels: IndexMap<String, String>,
    #[serde(default)]
    default: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeFile {
    /// The instance or machine type, for the reader.
    #[serde(rename = "type")]
    instance: Option<String>,
    cpu: Size,
    memory: Size,
    #[serde(default)]
    gpu: u32,
    hourly: Price,
    reserved: Option<ReservedFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReservedFile {
    cpu: Option<Size>,
    memory: Option<Size>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourcesFile {
    vcpu_hour: Price,
    gib_hour: Price,
    gpu_hour: Option<Price>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StorageFile {
    gb_month: Option<Price>,
    gib_month: Option<Price>,
}

/// A price: a TOML number or a string of decimal digits.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Price(Decimal);

impl<'de> Deserialize<'de> for Price {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Price;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a price such as 0.384 or \"0.384\"")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Price, E> {
                Ok(Price(Decimal::from(v)))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Price, E> {
                Ok(Price(Decimal::from(v)))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Price, E> {
                // the shortest spelling that reads back as `v`: what was written
                Decimal::from_str(&v.to_string())
                    .or_else(|_| Decimal::from_scientific(&format!("{v:e}")))
                    .map(Price)
                    .map_err(|_| E::custom(format!("{v} is not a price archctl can hold exactly")))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Price, E> {
                Decimal::from_str(v.trim())
                    .map(Price)
                    .map_err(|_| E::custom(format!("`{v}` is not a decimal number such as \"0.384\"")))
            }
        }
        d.deserialize_any(V)
    }
}

/// A CPU count or a memory size: a number or a Kubernetes quantity string.
#[derive(Clone, Debug)]
struct Size(Quantity);

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number or a quantity such as \"7910m\" or \"32Gi\"")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Size, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Size, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Size, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Size, E> {
                Quantity::parse(v.trim()).map(Size).map_err(|e| E::custom(e.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The day the prices were read: a TOML date (`2026-11-01`) or a string of
/// one.
#[derive(Clone, Debug)]
struct Date(String);

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let v = toml::Value::deserialize(d)?;
        let text = match v {
            toml::Value::Datetime(dt) if dt.date.is_some() && dt.time.is_none() => dt.to_string(),
            toml::Value::String(s) => match toml::value::Datetime::from_str(s.trim()) {
                Ok(dt) if dt.date.is_some() && dt.time.is_none() => dt.to_string(),
                _ => return Err(D::Error::custom(format!("`{s}` is not a date such as 2026-11-01"))),
            },
            other => return Err(D::Error::custom(format!("{other} is not a date such as 2026-11-01"))),
        };
        Ok(Date(text))
    }
}

/// How a pool is priced.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Pricing {
    /// Whole nodes of one size, by the hour: pods are packed onto them.
    Node {
        /// The instance type, when the file names it.
        instance: Option<String>,
        /// What a node offers pods: its capacity less what it reserves.
        allocatable: Amount,
        hourly: Decimal,
    },
    /// What the pods request, by the resource-hour (serverless node pools:
    /// GKE Autopilot, EKS Fargate): no packing.
    Resources { vcpu_hour: Decimal, gib_hour: Decimal, gpu_hour: Option<Decimal> },
}

/// One node pool.
#[derive(Clone, Debug)]
pub(crate) struct Pool {
    pub name: String,
    pub pricing: Pricing,
    /// Services placed here by name.
    pub services: Vec<String>,
    /// The nodes' labels: a service whose `node_selector` they satisfy runs here.
    pub node_labels: IndexMap<String, String>,
    pub default: bool,
}

impl Pool {
    fn has_gpus(&self) -> bool {
        match &self.pricing {
            Pricing::Node { allocatable, .. } => allocatable.gpu > 0,
            Pricing::Resources { gpu_hour, .. } => gpu_hour.is_some(),
        }
    }
}

/// Why a service runs in its pool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Placed {
    Listed,
    NodeSelector,
    Gpu,
    Default,
}

/// What storage of one class costs a month: `price` per `unit` bytes (a GB,
/// 10⁹, or a GiB, 2³⁰, as the cloud's price list counts).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct StorageRate {
    pub price: Decimal,
    pub unit: i64,
}

const GB: i64 = 1_000_000_000;
const GIB: i64 = 1 << 30;

/// A checked price file.
#[derive(Clone, Debug)]
pub(crate) struct Prices {
    /// The file as the user named it.
    pub file: String,
    pub currency: String,
    pub date: String,
    pub source: String,
    pub hours_per_month: Decimal,
    pub pools: Vec<Pool>,
    /// A fee per cluster and month (a managed control plane), charged once
    /// per profile and phase.
    pub cluster_monthly: Decimal,
    /// By the cluster's storage class name.
    pub storage: IndexMap<String, StorageRate>,
    /// The class that prices volumes and claims with no storage class.
    pub default_storage_class: Option<String>,
}

impl Prices {
    /// Reads and checks the price file at `path`; on failure, the rendered
    /// diagnostics (file, line, column, help).
    pub(crate) fn read(path: &Path, color: bool) -> Result<Prices, String> {
        let display = path.display().to_string();
        let text = crate::load::input::read_text(path, MAX_FILE)
            .map_err(|e| format!("error: cannot read the price file `{display}`: {e}"))?;
        let mut sources = SourceMap::default();
        let file = sources.add(SourceFile::new(display.clone(), text.clone()));
        let (typed, spans) = crate::load::document::<File>(&text, file);
        let fail = |ds: &[Diagnostic], spans: &SpanIndex| diagnostic::render(ds, &sources, Some(spans), color);
        let parsed = typed.map_err(|d| fail(&[d], &spans))?;
        check(parsed, display).map_err(|ds| fail(&ds, &spans))
    }

    /// The pool `service` runs in, and why: named in a pool's `services`;
    /// else the first pool whose `node_labels` satisfy its node selector;
    /// else, for pods that request GPUs, the first pool with GPUs; else the
    /// pool marked `default`, or the first pool without GPUs, or the first.
    pub(crate) fn pool_of(
        &self,
        service: &str,
        node_selector: &IndexMap<String, String>,
        gpus: bool,
    ) -> (usize, Placed) {
        if let Some(i) = self.pools.iter().position(|p| p.services.iter().any(|s| s == service)) {
            return (i, Placed::Listed);
        }
        if !node_selector.is_empty()
            && let Some(i) = self.pools.iter().position(|p| {
                !p.node_labels.is_empty() && node_selector.iter().all(|(k, v)| p.node_labels.get(k) == Some(v))
            })
        {
            return (i, Placed::NodeSelector);
        }
        if gpus && let Some(i) = self.pools.iter().position(Pool::has_gpus) {
            return (i, Placed::Gpu);
        }
        let i = self
            .pools
            .iter()
            .position(|p| p.default)
            .or_else(|| self.pools.iter().position(|p| !p.has_gpus()))
            .unwrap_or(0);
        (i, Placed::Default)
    }

    /// The price per GB-month of a storage class (`(default)`: the
    /// cluster's default class, priced as `default_storage_class`).
    pub(crate) fn storage_price(&self, class: &str) -> Option<StorageRate> {
        let class = if class == "(default)" { self.default_storage_class.as_deref()? } else { class };
        self.storage.get(class).copied()
    }
}

fn at(path: &[&str]) -> TomlPath {
    path.iter().fold(TomlPath::root(), |p, k| p.key(k.to_string()))
}

fn problem(path: &[&str], message: String, help: &str) -> Diagnostic {
    Diagnostic::error("E059", message).at(&at(path)).with_help(help)
}

/// What a size is worth in milli-CPU or bytes.
fn milli(q: &Quantity) -> i64 {
    (q.nanos / 1_000_000) as i64
}

fn check(f: File, display: String) -> Result<Prices, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    for (key, value, help) in [
        ("currency", &f.currency, "an ISO 4217 code such as `currency = \"USD\"`"),
        ("source", &f.source, "where the prices were read, e.g. the price list's URL with region and purchase option"),
    ] {
        if value.trim().is_empty() {
            problems.push(problem(&[key], format!("`{key}` is empty"), help));
        }
    }
    let iso = f.currency.len() == 3 && f.currency.bytes().all(|b| b.is_ascii_uppercase());
    if !f.currency.trim().is_empty() && !iso {
        problems.push(problem(
            &["currency"],
            format!("`{}` is not an ISO 4217 currency code", f.currency),
            "three capital letters, such as `USD`, `EUR` or `GBP`",
        ));
    }
    let hours = f.hours_per_month.map(|p| p.0).unwrap_or(Decimal::from(HOURS_PER_MONTH));
    if hours <= Decimal::ZERO || hours > Decimal::from(744) {
        problems.push(problem(
            &["hours_per_month"],
            format!("{hours} hours is not a month"),
            "leave it out for 730 (365 × 24 / 12), or give the hours your cloud bills, at most 744",
        ));
    }
    if f.pools.is_empty() {
        problems.push(
            Diagnostic::error("E059", "the price file has no node pool")
                .with_help("add `[pools.general]` with `node = { cpu = 8, memory = \"32Gi\", hourly = 0.384 }`"),
        );
    }
    let negative = |path: &[&str], p: Price, problems: &mut Vec<Diagnostic>| {
        if p.0 < Decimal::ZERO {
            problems.push(problem(path, format!("a negative price ({})", p.0), "prices are 0 or more"));
        }
    };
    let mut pools = Vec::new();
    let mut placed: IndexMap<&str, &str> = IndexMap::new();
    for (name, p) in &f.pools {
        let pricing = match (&p.node, &p.resources) {
            (Some(n), None) => {
                negative(&["pools", name, "node", "hourly"], n.hourly, &mut problems);
                let reserved = n.reserved.as_ref();
                let capacity = Amount {
                    cpu_milli: milli(&n.cpu.0),
                    memory_bytes: n.memory.0.ceil_units() as i64,
                    gpu: i64::from(n.gpu),
                };
                let kept = Amount {
                    cpu_milli: reserved.and_then(|r| r.cpu.as_ref()).map(|c| milli(&c.0)).unwrap_or(0),
                    memory_bytes: reserved
                        .and_then(|r| r.memory.as_ref())
                        .map(|m| m.0.ceil_units() as i64)
                        .unwrap_or(0),
                    gpu: 0,
                };
                let allocatable = capacity.minus(kept);
                for (key, have, left) in [
                    ("cpu", capacity.cpu_milli, allocatable.cpu_milli),
                    ("memory", capacity.memory_bytes, allocatable.memory_bytes),
                ] {
                    if have <= 0 {
                        problems.push(problem(
                            &["pools", name, "node", key],
                            format!("a node of pool `{name}` with no {key}"),
                            "give the node's size, e.g. `cpu = 8, memory = \"32Gi\"`",
                        ));
                    } else if left <= 0 {
                        problems.push(problem(
                            &["pools", name, "node", "reserved", key],
                            format!("pool `{name}` reserves all of its nodes' {key}"),
                            "`reserved` is what each node keeps for the system and daemons: less than its size",
                        ));
                    }
                }
                Pricing::Node { instance: n.instance.clone(), allocatable, hourly: n.hourly.0 }
            }
            (None, Some(r)) => {
                negative(&["pools", name, "resources", "vcpu_hour"], r.vcpu_hour, &mut problems);
                negative(&["pools", name, "resources", "gib_hour"], r.gib_hour, &mut problems);
                if let Some(g) = r.gpu_hour {
                    negative(&["pools", name, "resources", "gpu_hour"], g, &mut problems);
                }
                Pricing::Resources {
                    vcpu_hour: r.vcpu_hour.0,
                    gib_hour: r.gib_hour.0,
                    gpu_hour: r.gpu_hour.map(|g| g.0),
                }
            }
            (both, _) => {
                let message = if both.is_some() {
                    format!("pool `{name}` has both `node` and `resources`")
                } else {
                    format!("pool `{name}` has neither `node` nor `resources`")
                };
                problems.push(problem(
                    &["pools", name],
                    message,
                    "price a pool by its nodes (`node = { cpu, memory, gpu, hourly }`) or by what pods request \
                     (`resources = { vcpu_hour, gib_hour, gpu_hour }`), one of the two",
                ));
                continue;
            }
        };
        for (i, s) in p.services.iter().enumerate() {
            if let Some(other) = placed.insert(s, name) {
                problems.push(
                    Diagnostic::error("E059", format!("service `{s}` is placed in pools `{other}` and `{name}`"))
                        .at(&at(&["pools", name, "services"]).index(i))
                        .with_help("a service's pods run in one pool: name it in one `services` list"),
                );
            }
        }
        pools.push(Pool {
            name: name.clone(),
            pricing,
            services: p.services.clone(),
            node_labels: p.node_labels.clone(),
            default: p.default,
        });
    }
    let defaults: Vec<&String> = f.pools.iter().filter(|(_, p)| p.default).map(|(n, _)| n).collect();
    if defaults.len() > 1 {
        problems.push(problem(
            &["pools", defaults[1], "default"],
            format!("pools `{}` and `{}` are both the default", defaults[0], defaults[1]),
            "one pool takes the services no rule places elsewhere: keep `default = true` on one",
        ));
    }
    let mut storage = IndexMap::new();
    for (class, s) in &f.storage {
        let rate = match (s.gb_month, s.gib_month) {
            (Some(p), None) => StorageRate { price: p.0, unit: GB },
            (None, Some(p)) => StorageRate { price: p.0, unit: GIB },
            _ => {
                problems.push(problem(
                    &["storage", class],
                    format!("storage class `{class}` needs one price: `gb_month` or `gib_month`"),
                    "`gb_month` per 10⁹ bytes (as AWS and Azure list it), `gib_month` per 2³⁰ bytes (as Google \
                     Cloud counts its GB); give the one your price list uses",
                ));
                continue;
            }
        };
        negative(
            &["storage", class, if rate.unit == GB { "gb_month" } else { "gib_month" }],
            Price(rate.price),
            &mut problems,
        );
        storage.insert(class.clone(), rate);
    }
    let cluster = f.cluster_hourly.map(|p| p.0).unwrap_or(Decimal::ZERO);
    if cluster < Decimal::ZERO {
        problems.push(problem(&["cluster_hourly"], format!("a negative price ({cluster})"), "prices are 0 or more"));
    }
    if let Some(d) = &f.default_storage_class
        && !f.storage.contains_key(d)
    {
        problems.push(problem(
            &["default_storage_class"],
            format!("`{d}` has no price in `[storage]`"),
            "name a class of `[storage]`, the one your cluster uses when a claim names none",
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Prices {
        file: display,
        currency: f.currency,
        date: f.date.0,
        source: f.source,
        hours_per_month: hours,
        cluster_monthly: cluster * hours,
        pools,
        storage,
        default_storage_class: f.default_storage_class,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Prices, String> {
        let dir = std::env::temp_dir().join(format!("archctl-prices-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("p{}.toml", text.len()));
        std::fs::write(&path, text).unwrap();
        let out = Prices::read(&path, false);
        let _ = std::fs::remove_file(&path);
        out
    }

    const HEAD: &str = "currency = \"USD\"\ndate = 2026-11-01\nsource = \"a list\"\n";

    #[test]
    fn prices_are_read_exactly_and_pools_placed_by_rule() {
        let p = read(&format!(
            "{HEAD}[pools.general]\nnode = {{ cpu = 8, memory = \"32Gi\", hourly = 0.384, reserved = {{ cpu = \"90m\", memory = \"1Gi\" }} }}\n\
             [pools.gpu]\nnode = {{ cpu = 4, memory = \"16Gi\", gpu = 1, hourly = \"1.006\" }}\n\
             [pools.spot]\nnode = {{ cpu = 4, memory = \"16Gi\", hourly = 0.1 }}\nnode_labels = {{ lifecycle = \"spot\" }}\nservices = [\"batch\"]\n\
             [storage.gp3]\ngb_month = 0.08\n"
        ))
        .unwrap();
        assert_eq!(p.hours_per_month, Decimal::from(730));
        assert_eq!(p.date, "2026-11-01");
        let Pricing::Node { allocatable, hourly, .. } = &p.pools[0].pricing else { panic!() };
        assert_eq!(*hourly, Decimal::from_str("0.384").unwrap());
        assert_eq!(*allocatable, Amount { cpu_milli: 7910, memory_bytes: 31 << 30, gpu: 0 });
        assert_eq!(p.storage["gp3"], StorageRate { price: Decimal::from_str("0.08").unwrap(), unit: 1_000_000_000 });
        assert_eq!(p.cluster_monthly, Decimal::ZERO);
        let none = IndexMap::new();
        let spot = IndexMap::from([("lifecycle".to_string(), "spot".to_string())]);
        assert_eq!(p.pool_of("batch", &none, false), (2, Placed::Listed));
        assert_eq!(p.pool_of("x", &spot, false), (2, Placed::NodeSelector));
        assert_eq!(p.pool_of("x", &none, true), (1, Placed::Gpu));
        assert_eq!(p.pool_of("x", &none, false), (0, Placed::Default));
        assert_eq!(p.storage_price("(default)"), None, "no default class named");
    }

    #[test]
    fn bad_price_files_are_located() {
        let no_source = read(
            "currency = \"USD\"\ndate = 2026-11-01\n[pools.a]\nnode = { cpu = 1, memory = \"1Gi\", hourly = 1 }\n",
        )
        .unwrap_err();
        assert!(no_source.contains("missing key `source` at the top level"), "{no_source}");
        let typo = read(&format!("{HEAD}[pools.a]\nnode = {{ cpu = 1, memory = \"1Gi\", hourly = 1, gpus = 1 }}\n"))
            .unwrap_err();
        assert!(typo.contains("unknown key `gpus` in `pools.a.node`"), "{typo}");
        assert!(typo.contains(":5:"), "line 5: {typo}");
        let both = read(&format!(
            "{HEAD}[pools.a]\nnode = {{ cpu = 1, memory = \"1Gi\", hourly = 1 }}\nresources = {{ vcpu_hour = 1, gib_hour = 1 }}\n"
        ))
        .unwrap_err();
        assert!(both.contains("E059") && both.contains("both `node` and `resources`"), "{both}");
        let twice = read(&format!(
            "{HEAD}[pools.a]\nnode = {{ cpu = 1, memory = \"1Gi\", hourly = -1 }}\nservices = [\"x\"]\n\
             [pools.b]\nnode = {{ cpu = 1, memory = \"1Gi\", hourly = 1 }}\nservices = [\"x\"]\n"
        ))
        .unwrap_err();
        assert!(twice.contains("placed in pools `a` and `b`"), "{twice}");
        assert!(twice.contains("a negative price (-1)"), "{twice}");
        let currency = read("currency = \"dollars\"\ndate = \"yesterday\"\nsource = \"x\"\n").unwrap_err();
        assert!(currency.contains("not a date"), "{currency}");
    }
}
