//! `plan --prices`: monthly cost per growth phase, checked against sums
//! done by hand, through the real binary; the JSON against its schema; the
//! example price files against the repository's own project.

use serde_json::Value;

use crate::support::{Project, repo};

/// Three services over two phases. Every figure in the tests below follows
/// from these by hand.
///
/// api:       1 CPU / 2Gi per pod, autoscaled 2–6 (the default pool)
/// inference: 2 CPU / 8Gi / 1 GPU per pod, 1 then 2 replicas (the GPU pool)
/// db:        1 CPU / 4Gi, 1 replica, a 100G `fast` volume (decimal)
/// shared:    a 20Gi `slow` claim (binary)
const SHOP: &str = r#"
phases = ["pilot", "growth"]
[project]
name = "shop"
[storage_classes.fast]
[storage_classes.slow]
[claims.shared]
size = "20Gi"
storage_class = "slow"
[services.api]
kind = "deployment"
resources = { requests = { cpu = 1, memory = "2Gi" }, limits = { cpu = 1, memory = "2Gi" } }
autoscaling = { min = 2, max = 6, cpu = 70 }
container = { image = "api:1" }
[services.inference]
kind = "deployment"
replicas = { pilot = 1, growth = 2 }
resources = { requests = { cpu = 2, memory = "8Gi", gpu = 1 }, limits = { cpu = 2, memory = "8Gi", gpu = 1 } }
container = { image = "inference:1" }
[services.db]
kind = "statefulset"
replicas = 1
resources = { requests = { cpu = 1, memory = "4Gi" }, limits = { cpu = 1, memory = "4Gi" } }
container = { image = "db:1" }
[services.db.volumes.data]
mount = "/data"
size = "100G"
storage_class = "fast"
"#;

/// 700 hours a month: a general node is 0.2 × 700 = 140.00, a GPU node
/// 1.5 × 700 = 1,050.00. Storage: 100 GB × 0.1 = 10.00; 20 GiB × 0.05 =
/// 1.00.
const NODE_PRICES: &str = r#"
currency = "USD"
date = 2026-11-01
source = "hand-made prices for a test"
hours_per_month = 700
[pools.general]
node = { cpu = 4, memory = "16Gi", hourly = 0.2 }
[pools.gpu]
node = { type = "gpu-node", cpu = 8, memory = "32Gi", gpu = 1, hourly = 1.5 }
[storage.fast]
gb_month = 0.1
[storage.slow]
gib_month = 0.05
"#;

fn shop(prices: &str) -> Project {
    Project::with(SHOP).file("prices.toml", prices)
}

fn json(p: &Project, extra: &[&str]) -> Value {
    let mut args = vec!["plan", "--prices", "prices.toml", "--format", "json"];
    args.extend_from_slice(extra);
    let run = p.run(&args);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let v: Value = serde_json::from_str(&run.stdout).unwrap();
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("docs/schemas/cost.schema.json")).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(&v).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    v
}

#[test]
fn node_pools_cost_what_the_hand_sums_say() {
    let p = shop(NODE_PRICES);
    let v = json(&p, &[]);
    assert_eq!(v["currency"], "USD");
    assert_eq!(v["date"], "2026-11-01");
    let phases = v["profiles"][0]["phases"].as_array().unwrap();
    assert_eq!(v["profiles"][0]["profile"], Value::Null);
    // phase, general nodes at the fewest and most, GPU nodes, compute
    // min/max, total min/max, change
    //
    // general at the fewest: 2 api + db = 3 CPU, one 4-CPU node; at the
    // most: 6 api + db = 7 CPU, two nodes. GPU: one node per GPU pod.
    let expect = [
        ("pilot", (1, 2), 1, ("1190.00", "1330.00"), ("1201.00", "1341.00"), Value::Null),
        ("growth", (1, 2), 2, ("2240.00", "2380.00"), ("2251.00", "2391.00"), Value::from("1050.00")),
    ];
    assert_eq!(phases.len(), 2);
    for (ph, (name, general, gpu, compute, total, delta)) in phases.iter().zip(expect) {
        assert_eq!(ph["phase"], name);
        let pools = ph["pools"].as_array().unwrap();
        assert_eq!((pools[0]["pool"].as_str(), pools[1]["pool"].as_str()), (Some("general"), Some("gpu")));
        assert_eq!(
            (pools[0]["nodes_min"].as_u64(), pools[0]["nodes_max"].as_u64()),
            (Some(general.0), Some(general.1))
        );
        assert_eq!(
            (pools[0]["compute_min"].as_str(), pools[0]["compute_max"].as_str()),
            (Some("140.00"), Some("280.00"))
        );
        assert_eq!(pools[1]["nodes_max"], gpu, "{name}");
        assert_eq!(pools[1]["instance"], "gpu-node");
        assert_eq!((ph["compute_min"].as_str(), ph["compute_max"].as_str()), (Some(compute.0), Some(compute.1)));
        assert_eq!(ph["storage_total"], "11.00");
        assert_eq!((ph["total_min"].as_str(), ph["total_max"].as_str()), (Some(total.0), Some(total.1)));
        assert_eq!(ph["delta"], delta, "{name}");
        assert_eq!(ph["incomplete"], serde_json::json!([]));
    }
    // where each service went, and why
    let placed: Vec<(String, String, String)> = phases[0]["pools"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|pool| {
            pool["services"].as_array().unwrap().iter().map(move |s| {
                (pool["pool"].as_str().unwrap().to_string(), s["service"].to_string(), s["by"].to_string())
            })
        })
        .collect();
    let placed: Vec<String> = placed.iter().map(|(p, s, b)| format!("{p} {s} {b}")).collect();
    assert_eq!(placed, ["general \"api\" \"default\"", "general \"db\" \"default\"", "gpu \"inference\" \"gpu\""]);
    let storage = &phases[0]["storage"];
    assert_eq!(storage[0]["class"], "fast");
    assert_eq!(storage[0]["bytes"], 100_000_000_000i64);
    assert_eq!(storage[0]["cost"], "10.00");
    assert_eq!(storage[1]["class"], "slow");
    assert_eq!(storage[1]["unit_bytes"], 1i64 << 30);
    assert_eq!(storage[1]["cost"], "1.00");
    assert_eq!(v["most_expensive"], serde_json::json!({ "profile": null, "phase": "growth", "total": "2391.00" }));

    // the same figures in the table and in Markdown
    let table = p.run(&["plan", "--prices", "prices.toml"]).success().stdout;
    assert!(table.starts_with("cost a month in USD, at prices of 2026-11-01 (700 hours a month)\n"), "{table}");
    assert!(
        table.contains("(topology)  growth  5–9   general 1–2, gpu 2  2,240.00–2,380.00  11.00          2,251.00–2,391.00  +1,050.00"),
        "{table}"
    );
    assert!(table.contains("(topology)  growth  gpu      gpu-node   inference  2      2,100.00"), "{table}");
    assert!(table.contains("(topology)  pilot   fast   100G  0.1/GB"), "decimal sizes stay decimal: {table}");
    assert!(table.contains("(topology)  pilot   slow   20Gi  0.05/GiB"), "{table}");
    let md = p.run(&["plan", "--prices", "prices.toml", "--format", "markdown"]).success().stdout;
    assert!(
        md.contains(
            "| (topology) | pilot | 4–8 | general 1–2, gpu 1 | 1,190.00–1,330.00 | 11.00 | 1,201.00–1,341.00 | - |"
        ),
        "{md}"
    );
}

#[test]
fn per_resource_pools_placement_rules_and_the_cluster_fee() {
    // api is listed in the serverless pool: per pod (1 × 0.05 + 2 × 0.005) ×
    // 700 = 42.00, so 84.00 at 2 pods and 252.00 at 6. db carries the node
    // label its node selector asks for and goes to `tagged`: one 140.00
    // node. inference asks for GPUs, which only `gpu` has. The cluster fee:
    // 0.1 × 700 = 70.00.
    let prices = r#"
currency = "EUR"
date = "2026-10-01"
source = "hand-made"
hours_per_month = 700
cluster_hourly = 0.1
[pools.general]
node = { cpu = 4, memory = "16Gi", hourly = 0.2 }
default = true
[pools.tagged]
node = { cpu = 4, memory = "16Gi", hourly = 0.2 }
node_labels = { disk = "ssd", zone = "a" }
[pools.serverless]
resources = { vcpu_hour = 0.05, gib_hour = 0.005 }
services = ["api", "ghost"]
[pools.gpu]
node = { cpu = 8, memory = "32Gi", gpu = 1, hourly = 1.5 }
[storage.fast]
gb_month = 0.1
[storage.slow]
gb_month = "0.05"
"#;
    let topo = SHOP.replace(
        "container = { image = \"db:1\" }",
        "container = { image = \"db:1\" }\nnode_selector = { disk = \"ssd\" }",
    );
    let p = Project::with(&topo).file("prices.toml", prices);
    let v = json(&p, &[]);
    let pilot = &v["profiles"][0]["phases"][0];
    let pool = |name: &str| pilot["pools"].as_array().unwrap().iter().find(|p| p["pool"] == name).unwrap().clone();
    let serverless = pool("serverless");
    assert_eq!(serverless["pricing"], "resources");
    assert_eq!(serverless["nodes_max"], Value::Null);
    assert_eq!(
        (serverless["compute_min"].as_str(), serverless["compute_max"].as_str()),
        (Some("84.00"), Some("252.00"))
    );
    assert_eq!(serverless["services"], serde_json::json!([{ "service": "api", "by": "listed" }]));
    assert_eq!(pool("tagged")["services"], serde_json::json!([{ "service": "db", "by": "node_selector" }]));
    assert_eq!(pool("tagged")["compute_max"], "140.00");
    assert_eq!(pool("general")["services"], serde_json::json!([]));
    assert_eq!(pool("general")["compute_max"], "0.00");
    assert_eq!(pool("gpu")["services"], serde_json::json!([{ "service": "inference", "by": "gpu" }]));
    assert_eq!(pilot["cluster"], "70.00");
    // slow is 20 GiB = 21.474836480 GB × 0.05 = 1.07
    assert_eq!(pilot["storage"][1]["cost"], "1.07");
    // 84 + 140 + 1050 = 1274.00 compute; + 11.07 storage + 70 fee
    assert_eq!(pilot["total_min"], "1355.07");
    // 252 + 140 + 1050 + 11.07 + 70
    assert_eq!(pilot["total_max"], "1523.07");
    let run = p.run(&["plan", "--prices", "prices.toml"]).success();
    assert!(
        run.stderr.contains("pool `serverless` lists `ghost`, which is not a service of the plan"),
        "{}",
        run.stderr
    );
    let table = run.stdout;
    assert!(table.contains("CLUSTER (EUR)"), "{table}");
    assert!(!table.contains("general  node"), "a pool no service uses is left out of the table: {table}");
}

#[test]
fn the_budget_holds_the_most_expensive_phase() {
    let p = shop(NODE_PRICES);
    // the most expensive phase is growth at 2,391.00
    let over = p.run(&["plan", "--prices", "prices.toml", "--budget", "2390.99"]);
    assert_eq!(over.code, 1, "{}", over.stderr);
    assert!(
        over.stderr
            .contains("over budget: phase growth costs 2,391.00 USD a month, more than the budget of 2,390.99 USD"),
        "{}",
        over.stderr
    );
    assert!(over.stdout.contains("TOTAL (USD)"), "the report is printed all the same");
    let at = p.run(&["plan", "--prices", "prices.toml", "--budget", "2391"]).success();
    assert!(
        at.stderr.contains("within budget: the most expensive phase, phase growth, costs 2,391.00 USD"),
        "{}",
        at.stderr
    );
    let v = json(&p, &["--budget", "2,000"]);
    assert_eq!(v["budget"], serde_json::json!({ "amount": "2000.00", "exceeded": true }));
    // a budget needs prices, and is an amount
    p.run(&["plan", "--budget", "100"]).user_error().stderr_has("--prices");
    p.run(&["plan", "--prices", "prices.toml", "--budget", "lots"]).user_error().stderr_has("not an amount");
    p.run(&["plan", "--prices", "prices.toml", "--node-size", "8cpu,32Gi"])
        .user_error()
        .stderr_has("cannot be used with");
}

#[test]
fn gaps_in_the_prices_are_warned_and_fail_a_budget() {
    // no price for `slow`, and a GPU node too small for inference's pods
    let prices = NODE_PRICES
        .replace("[storage.slow]\ngib_month = 0.05\n", "")
        .replace("cpu = 8, memory = \"32Gi\", gpu = 1", "cpu = 1, memory = \"32Gi\", gpu = 1");
    let p = shop(&prices);
    let run = p.run(&["plan", "--prices", "prices.toml"]).success();
    assert!(
        run.stderr.contains("warning: the cost of (topology) is incomplete: no price for storage class `slow`\n  = in phases: pilot, growth"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("`inference` has pods larger than a node of pool `gpu`"), "{}", run.stderr);
    assert!(run.stdout.contains("* incomplete: a lower bound"), "{}", run.stdout);
    let v = json(&p, &[]);
    let pilot = &v["profiles"][0]["phases"][0];
    assert_eq!(pilot["pools"][1]["unschedulable"], serde_json::json!(["inference"]));
    assert_eq!(pilot["pools"][1]["compute_max"], "0.00");
    assert_eq!(pilot["storage"][1]["cost"], Value::Null);
    assert_eq!(pilot["incomplete"].as_array().unwrap().len(), 2);
    // under a budget an incomplete cost cannot pass
    let held = p.run(&["plan", "--prices", "prices.toml", "--budget", "100000"]);
    assert_eq!(held.code, 2);
    assert!(held.stderr.contains("cannot hold the plan to the budget of 100,000.00 USD"), "{}", held.stderr);
}

#[test]
fn bad_price_files_are_located_and_explained() {
    let p = shop(&NODE_PRICES.replace("hourly = 0.2 }", "hourly = 0.2, cpus = 4 }"));
    let run = p.run(&["plan", "--prices", "prices.toml"]).user_error();
    assert!(run.stderr.contains("error[E004]: unknown key `cpus` in `pools.general.node`"), "{}", run.stderr);
    assert!(run.stderr.contains("prices.toml:7:"), "{}", run.stderr);
    let p = shop(&NODE_PRICES.replace("source = \"hand-made prices for a test\"\n", ""));
    p.run(&["plan", "--prices", "prices.toml"]).user_error().stderr_has("missing key `source` at the top level");
    let p = shop(&NODE_PRICES.replace("[pools.gpu]\n", "[pools.gpu]\nresources = { vcpu_hour = 1, gib_hour = 1 }\n"));
    p.run(&["plan", "--prices", "prices.toml"])
        .user_error()
        .stderr_has("error[E059]: pool `gpu` has both `node` and `resources`");
    let p = shop(&NODE_PRICES.replace("currency = \"USD\"", "currency = \"$\""));
    p.run(&["plan", "--prices", "prices.toml"]).user_error().stderr_has("`$` is not an ISO 4217 currency code");
    let p = shop(NODE_PRICES);
    p.run(&["plan", "--prices", "missing.toml"]).user_error().stderr_has("cannot read the price file `missing.toml`");
}

#[test]
fn every_example_price_file_prices_every_profile_of_the_archivist() {
    let dir = repo().join("examples/prices");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 2, "examples/prices/ holds at least two clouds");
    let p = Project::archivist();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let t: toml::Table = toml::from_str(&text).unwrap();
        assert!(t["source"].as_str().is_some_and(|s| s.contains("https://")), "{}: a source URL", f.display());
        assert!(t["date"].as_datetime().is_some(), "{}: a date", f.display());
        std::fs::copy(&f, p.path().join("prices.toml")).unwrap();
        let v = json(&p, &["--all-profiles"]);
        let profiles: Vec<&str> =
            v["profiles"].as_array().unwrap().iter().map(|p| p["profile"].as_str().unwrap()).collect();
        assert_eq!(profiles, ["dev", "production", "staging"], "{}", f.display());
        for prof in v["profiles"].as_array().unwrap() {
            for ph in prof["phases"].as_array().unwrap() {
                let total: f64 = ph["total_max"].as_str().unwrap().parse().unwrap();
                assert!(total > 0.0, "{}: {ph}", f.display());
            }
        }
    }
}

#[test]
fn several_profiles_in_one_capacity_plan() {
    let p = Project::archivist();
    let run = p.run(&["plan", "-p", "staging", "-p", "production"]).success();
    let staging = run.stdout.find("profile staging\n").expect("a heading per profile");
    let production = run.stdout.find("profile production\n").expect("a heading per profile");
    assert!(staging < production, "in the order asked");
    let v: Value =
        serde_json::from_str(&p.run(&["plan", "--all-profiles", "--format", "json"]).success().stdout).unwrap();
    let profiles: Vec<&str> = v.as_array().unwrap().iter().map(|ph| ph["profile"].as_str().unwrap()).collect();
    assert_eq!(profiles.iter().filter(|p| **p == "dev").count(), 4, "four phases each: {profiles:?}");
    assert_eq!(profiles.len(), 12);
}
