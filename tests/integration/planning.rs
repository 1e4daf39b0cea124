//! `plan`, `graph` and `schema`: figures checked by hand, a graph
//! snapshot, and the JSON Schema against every example.

use serde_json::Value;

use crate::support::{Project, repo};

/// Two services over four phases; every figure below is computed by hand.
///
/// api: 250m / 512Mi per pod, limits 500m / 1Gi; replicas 1, 2, 2, 4
///      (phase2 inherits phase1), with required anti-affinity.
/// db:  1 CPU / 4Gi per pod, limits 2 / 8Gi; 1 replica; 10Gi `fast` per
///      replica until phase3, then 50Gi.
/// shared claim: 5Gi `slow` throughout.
const FOUR_PHASES: &str = r#"
phases = ["pilot", "phase1", "phase2", "phase3"]
[project]
name = "cap"
[storage_classes.fast]
[storage_classes.slow]
[claims.shared]
size = "5Gi"
storage_class = "slow"
[services.api]
kind = "deployment"
replicas = { pilot = 1, phase1 = 2, phase3 = 4 }
resources = { requests = { cpu = "250m", memory = "512Mi" }, limits = { cpu = "500m", memory = "1Gi" } }
placement = { anti_affinity = "required" }
container = { image = "api:1" }
[services.db]
kind = "statefulset"
replicas = 1
resources = { requests = { cpu = 1, memory = "4Gi" }, limits = { cpu = 2, memory = "8Gi" } }
container = { image = "db:1" }
[services.db.volumes.data]
mount = "/data"
size = { pilot = "10Gi", phase3 = "50Gi" }
storage_class = "fast"
"#;

#[test]
fn plan_totals_match_hand_computed_figures() {
    let p = Project::with(FOUR_PHASES);
    let run = p.run(&["plan", "--format", "json", "--node-size", "2cpu,8Gi"]).success();
    let plans: Value = serde_json::from_str(&run.stdout).unwrap();
    let expect = [
        // phase, pods, cpu milli, memory bytes, fast, slow, nodes
        ("pilot", 2, 1250, (512i64 + 4096) << 20, 10i64 << 30, 5i64 << 30, 1),
        ("phase1", 3, 1500, (1024 + 4096) << 20, 10 << 30, 5 << 30, 2),
        ("phase2", 3, 1500, (1024 + 4096) << 20, 10 << 30, 5 << 30, 2),
        ("phase3", 5, 2000, (2048 + 4096) << 20, 50 << 30, 5 << 30, 4),
    ];
    let plans = plans.as_array().unwrap();
    assert_eq!(plans.len(), 4);
    for (plan, (phase, pods, cpu, mem, fast, slow, nodes)) in plans.iter().zip(expect) {
        assert_eq!(plan["phase"], phase);
        assert_eq!(plan["pods_max"], pods, "{phase}");
        assert_eq!(plan["requests_max"]["cpu_milli"], cpu, "{phase}");
        assert_eq!(plan["requests_max"]["memory_bytes"], mem, "{phase}");
        assert_eq!(plan["storage"]["fast"], fast, "{phase}");
        assert_eq!(plan["storage"]["slow"], slow, "{phase}");
        // required anti-affinity: one api pod per node; db fits beside one
        assert_eq!(plan["nodes"]["count"], nodes, "{phase}");
    }
    // phase3: 4 nodes of 2 CPU = 8 CPU, 2 used: 6 CPU headroom
    assert_eq!(plans[3]["nodes"]["headroom"]["cpu_milli"], 6000);
    assert_eq!(plans[3]["limits_max"]["cpu_milli"], 4000);

    let table = p.run(&["plan"]).success().stdout;
    assert!(table.contains("PHASE   PODS  CPU REQUESTS  MEMORY REQUESTS"), "{table}");
    assert!(table.contains("phase3  5     2             6Gi"), "{table}");
    let md = p.run(&["plan", "--format", "markdown"]).success().stdout;
    assert!(md.contains("| phase3 | 5 | 2 | 6Gi | 0 |"), "{md}");
}

#[test]
fn autoscaled_services_show_their_range_and_oversized_pods_are_named() {
    let topo = FOUR_PHASES
        .replace("placement = { anti_affinity = \"required\" }", "autoscaling = { min = 2, max = 6, cpu = 70 }");
    let p = Project::with(&topo);
    let plans: Value =
        serde_json::from_str(&p.run(&["plan", "--format", "json", "--node-size", "1cpu,2Gi"]).success().stdout)
            .unwrap();
    let pilot = &plans[0];
    assert_eq!((pilot["pods_min"].as_i64(), pilot["pods_max"].as_i64()), (Some(3), Some(7)));
    assert_eq!(pilot["requests_min"]["cpu_milli"], 1500);
    assert_eq!(pilot["requests_max"]["cpu_milli"], 2500);
    assert_eq!(pilot["nodes"]["unschedulable"], serde_json::json!(["db"]));
    let bad = p.run(&["plan", "--node-size", "32Gi"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("needs both CPU and memory"), "{}", bad.stderr);
}

#[test]
fn graph_of_archivist_matches_its_snapshot() {
    let root = repo();
    for (format, file) in [("mermaid", "graph.mmd"), ("dot", "graph.dot")] {
        let out = Project::new()
            .run(&[
                "-f",
                root.join("archctl.toml").to_str().unwrap(),
                "graph",
                "--profile",
                "production",
                "--format",
                format,
            ])
            .success()
            .stdout;
        let golden = root.join("snapshots").join(file);
        if std::env::var("ARCHCTL_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
            std::fs::write(&golden, &out).unwrap();
        }
        let want = std::fs::read_to_string(&golden).expect("snapshots/graph.* (ARCHCTL_UPDATE_SNAPSHOTS=1 writes it)");
        assert_eq!(out, want, "{format}");
    }
    let mermaid = std::fs::read_to_string(root.join("snapshots/graph.mmd")).unwrap();
    assert!(mermaid.contains("ing_archivist_ingress -->|\"api.archivist.example.com/rag\"| svc_rag_api"));
    assert!(mermaid.contains("svc_rag_api --> svc_qdrant"));
    assert!(mermaid.contains("svc_qdrant -->|\"qdrant-storage\"| sc_gp3"));
}

#[test]
fn graph_shows_workers_scaling_on_their_queue() {
    let topo = repo().join("examples/percolate-reading/archctl.toml");
    let out = Project::new().run(&["-f", topo.to_str().unwrap(), "graph"]).success().stdout;
    assert!(out.contains("svc_percolate_reading_workers_gpu -->|\"scales on\"| svc_nats"), "{out}");
    assert!(out.contains("svc_percolate_reading_gateway --> svc_minio"), "{out}");
}

fn schema(profile: bool) -> jsonschema::Validator {
    let args: Vec<&str> = if profile { vec!["schema", "--profile"] } else { vec!["schema"] };
    let out = Project::new().run(&args).success().stdout;
    let v: Value = serde_json::from_str(&out).unwrap();
    jsonschema::validator_for(&v).unwrap()
}

fn toml_as_json(path: &std::path::Path) -> Value {
    let t: toml::Value = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    serde_json::to_value(t).unwrap()
}

#[test]
fn the_json_schema_accepts_every_topology_and_profile() {
    let topology = schema(false);
    let profile = schema(true);
    for dir in [repo(), repo().join("examples/percolate-reading"), repo().join("examples/semantic-explorer")] {
        let t = toml_as_json(&dir.join("archctl.toml"));
        let errors: Vec<String> = topology.iter_errors(&t).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", dir.display());
        for e in std::fs::read_dir(dir.join("profiles")).unwrap() {
            let path = e.unwrap().path();
            let errors: Vec<String> =
                profile.iter_errors(&toml_as_json(&path)).map(|e| format!("{e} at {}", e.instance_path())).collect();
            assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        }
    }
}

#[test]
fn the_json_schema_rejects_a_broken_topology() {
    let topology = schema(false);
    for broken in [
        "[project]\nname = \"x\"\n[services.a]\nkind = \"deployment\"\nreplcas = 2\ncontainer = { image = \"a\" }\n",
        "[project]\nname = \"x\"\n[services.a]\nkind = \"daemonset\"\ncontainer = { image = \"a\" }\n",
        "[project]\nname = \"x\"\n[services.a]\nkind = \"deployment\"\nreplicas = \"two\"\ncontainer = { image = \"a\" }\n",
        "[services.a]\nkind = \"deployment\"\ncontainer = { image = \"a\" }\n",
    ] {
        let t: toml::Value = toml::from_str(broken).unwrap();
        assert!(!topology.is_valid(&serde_json::to_value(t).unwrap()), "accepted:\n{broken}");
    }
}

#[test]
fn completions_and_man_page() {
    let p = Project::new();
    let bash = p.run(&["completions", "bash"]).success().stdout;
    // the script asks archctl itself at each completion
    assert!(bash.contains("_clap_complete_archctl()") && bash.contains("COMPLETE=\"bash\""), "{bash}");
    assert!(p.run(&["completions", "zsh"]).success().stdout.contains("#compdef archctl"));
    assert!(p.run(&["man"]).success().stdout.contains(".TH archctl 1"));
}

#[test]
fn init_containers_count_when_they_need_more_than_the_pod() {
    let topo = format!(
        "{FOUR_PHASES}[[services.db.init_containers]]\nname = \"migrate\"\nimage = \"db:1\"\nresources = {{ requests = {{ cpu = 3, memory = \"1Gi\" }} }}\n"
    );
    let plans: Value =
        serde_json::from_str(&Project::with(&topo).run(&["plan", "--format", "json"]).success().stdout).unwrap();
    let db = plans[0]["services"].as_array().unwrap().iter().find(|s| s["name"] == "db").unwrap().clone();
    // cpu: the init container's 3 beats the pod's 1; memory: the pod's 4Gi stays
    assert_eq!(db["requests"]["cpu_milli"], 3000);
    assert_eq!(db["requests"]["memory_bytes"], 4i64 << 30);
}

/// Batch work runs at times: a job or cronjob adds none of its pods to the
/// fewest, and its `parallelism` to the most.
#[test]
fn jobs_and_cronjobs_count_only_while_they_run() {
    let topo = r#"[project]
name = "p"
[services.web]
kind = "deployment"
replicas = 2
resources = { requests = { cpu = 1, memory = "1Gi" } }
container = { image = "web:1" }
[services.batch]
kind = "job"
parallelism = 3
resources = { requests = { cpu = 2, memory = "2Gi" } }
container = { image = "batch:1" }
[services.nightly]
kind = "cronjob"
schedule = "@daily"
resources = { requests = { cpu = 1, memory = "1Gi" } }
container = { image = "nightly:1" }
"#;
    let plans: Value =
        serde_json::from_str(&Project::with(topo).run(&["plan", "--format", "json"]).success().stdout).unwrap();
    let plan = &plans[0];
    // 2 web pods always; 3 batch pods and 1 nightly pod only while they run
    assert_eq!((plan["pods_min"].as_i64(), plan["pods_max"].as_i64()), (Some(2), Some(6)));
    assert_eq!(plan["requests_min"]["cpu_milli"], 2000);
    assert_eq!(plan["requests_max"]["cpu_milli"], 2000 + 3 * 2000 + 1000);
    let batch = plan["services"].as_array().unwrap().iter().find(|s| s["name"] == "batch").unwrap();
    assert_eq!((batch["replicas_min"].as_i64(), batch["replicas_max"].as_i64()), (Some(0), Some(3)));
}

/// Storage in the units the topology wrote, nodes at the fewest pods as
/// well as the most, warnings printed with their phases, and a phase with
/// an error reported without stopping the others.
#[test]
fn plan_keeps_units_counts_nodes_at_both_ends_and_survives_a_bad_phase() {
    let topo = r#"phases = ["pilot", "growth", "scale"]
[project]
name = "p"
[storage_classes.gp3]
[storage_classes.efs]
[storage_classes.s3]
[services.web]
kind = "deployment"
resources = { requests = { cpu = 1, memory = "1Gi" } }
autoscaling = { min = { pilot = 1, growth = 2 }, max = { pilot = 1, growth = 6 }, cpu = 70 }
disruption = { max_unavailable = 1 }
container = { image = "web:1" }
[services.db]
kind = "statefulset"
replicas = 2
resources = { requests = { cpu = 1, memory = "1Gi" } }
container = { image = "db:1" }
volumes = { data = { mount = "/data", size = "500G", storage_class = "gp3" } }
[claims.logs]
size = "1Gi"
storage_class = "efs"
[claims.media]
size = { pilot = "10G", growth = "10G", scale = "lots" }
storage_class = "s3"
"#;
    let p = Project::with(topo);
    let run = p.run(&["plan", "--node-size", "2cpu,8Gi"]);
    // scale's size is no quantity: exit 2, yet pilot and growth are planned
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("error[E008]"), "{}", run.stderr);
    assert!(run.stderr.contains("= in phase: scale"), "{}", run.stderr);
    assert!(run.stderr.contains("1 of 3 phases cannot be planned (scale)"), "{}", run.stderr);
    // W004 (a budget on one replica) holds at pilot only, and is printed
    assert!(run.stderr.contains("warning[W004]"), "{}", run.stderr);
    assert!(run.stderr.contains("= in phase: pilot"), "{}", run.stderr);
    let table = &run.stdout;
    assert!(!table.contains("scale"), "{table}");
    // 2 × 500G stays decimal; a binary claim stays binary
    assert!(table.contains("1T gp3"), "{table}");
    assert!(table.contains("1Gi efs"), "{table}");
    assert!(table.contains("10G s3"), "{table}");
    assert!(!table.contains("931.3Gi"), "{table}");
    // growth: 2 db pods + 2..6 web pods of 1 CPU on 2-CPU nodes: 2..4 nodes
    let growth = table.lines().find(|l| l.starts_with("growth")).unwrap();
    assert!(growth.trim_end().ends_with("2–4"), "{growth}");
    assert!(table.contains("4 node(s) (at the fewest pods 2)"), "{table}");
    let json = p.run(&["plan", "--format", "json", "--node-size", "2cpu,8Gi"]);
    let plans: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(plans.as_array().unwrap().len(), 2);
    assert_eq!(plans[1]["nodes_min"]["count"], 2);
    assert_eq!(plans[1]["nodes"]["count"], 4);
    assert_eq!(plans[1]["storage"]["gp3"], 1_000_000_000_000i64, "JSON keeps plain bytes");
}

/// `graph` draws every connection a topology states: addresses in config
/// map values, bare service names and `host:port` as well as cluster
/// addresses and URLs, and network policy allows (dashed, with their ports).
#[test]
fn graph_shows_config_addresses_bare_names_and_policy_allows() {
    let topo = r#"[project]
name = "g"
[namespaces.g]
[namespaces.data]
[config_maps.settings]
data = { DATABASE = "postgres.data:5432", SEARCH_URL = "http://search:9200/index", NOTE = "see example.com" }
[services.web]
kind = "deployment"
container = { image = "web:1", ports = { http = 8080 }, env = { CACHE = "redis", QUEUE = "nats:4222" }, env_from = [{ config_map = "settings" }] }
[services.redis]
kind = "deployment"
container = { image = "redis:7", ports = { redis = 6379 } }
[services.nats]
kind = "deployment"
container = { image = "nats:2", ports = { client = 4222 } }
[services.search]
kind = "deployment"
container = { image = "search:1", ports = { http = 9200 } }
[services.postgres]
kind = "statefulset"
namespace = "data"
container = { image = "postgres:16", ports = { pg = 5432 } }
[network_policies.redis-in]
service = "redis"
ingress = [{ from = [{ service = "web" }], ports = ["redis"] }]
[network_policies.web-out]
service = "web"
egress = [{ to = [{ service = "search" }] }]
"#;
    let p = Project::with(topo);
    let mermaid = p.run(&["graph"]).success().stdout;
    for edge in [
        "svc_web --> svc_redis",
        "svc_web --> svc_nats",
        "svc_web -->|\"via settings\"| svc_postgres",
        "svc_web -->|\"via settings\"| svc_search",
        "svc_web -.->|\"allows redis\"| svc_redis",
        "svc_web -.->|\"allows\"| svc_search",
    ] {
        assert!(mermaid.contains(edge), "{edge} missing:\n{mermaid}");
    }
    // `example.com` is no service of the topology: no node, no edge
    assert!(!mermaid.contains("example"), "{mermaid}");
    let dot = p.run(&["graph", "--format", "dot"]).success().stdout;
    assert!(dot.contains("svc_web -> svc_redis [label=\"allows redis\", style=dashed];"), "{dot}");
    assert!(dot.contains("svc_web -> svc_redis;"), "{dot}");
}

#[test]
fn graph_draws_routes_to_their_backends_with_weights() {
    let p = Project::with(crate::crds::GATEWAY_TOPOLOGY);
    let out = p.run(&["graph"]).success().stdout;
    assert!(out.contains(r#"route_web -->|"shop.example.com/ (90)"| svc_web"#), "{out}");
    assert!(out.contains("route_db -->"), "{out}");
    assert!(out.contains("svc_db"), "{out}");
    // no routes without the Gateway API
    let off = Project::with(&format!("{}\n[features]\ngateway_api = false\n", crate::crds::GATEWAY_TOPOLOGY));
    assert!(!off.run(&["graph"]).success().stdout.contains("route_"));
}

/// A policy that selects several services, or pods by labels, draws an
/// allow edge to each service it selects.
#[test]
fn graph_draws_policy_allows_to_every_service_a_policy_selects() {
    let topo = r#"[project]
name = "g"
[services.web]
kind = "deployment"
container = { image = "web:1", ports = { http = 8080 } }
[services.redis]
kind = "deployment"
labels = { tier = "cache" }
container = { image = "redis:7", ports = { redis = 6379 } }
[services.memcached]
kind = "deployment"
labels = { tier = "cache" }
container = { image = "memcached:1", ports = { mc = 11211 } }
[services.nats]
kind = "deployment"
container = { image = "nats:2", ports = { client = 4222 } }
[services.search]
kind = "deployment"
container = { image = "search:1", ports = { http = 9200 } }
[network_policies.caches-in]
pod_labels = { tier = "cache" }
ingress = [{ from = [{ service = "web" }] }]
[network_policies.backends-in]
services = ["nats", "search"]
ingress = [{ from = [{ service = "web" }], ports = [4222] }]
"#;
    let mermaid = Project::with(topo).run(&["graph"]).success().stdout;
    for edge in [
        "svc_web -.->|\"allows\"| svc_redis",
        "svc_web -.->|\"allows\"| svc_memcached",
        "svc_web -.->|\"allows 4222\"| svc_nats",
        "svc_web -.->|\"allows 4222\"| svc_search",
    ] {
        assert!(mermaid.contains(edge), "{edge} missing:\n{mermaid}");
    }
    assert!(!mermaid.contains("svc_web -.->|\"allows\"| svc_nats"), "{mermaid}");
}
