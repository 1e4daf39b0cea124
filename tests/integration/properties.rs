//! Property: every topology the loader accepts renders objects that pass
//! schema validation — the official Kubernetes schemas for built-in kinds
//! (kubernetes-validate, strict) and the CRD schemas for custom resources —
//! and that the real API server accepts (`kubectl apply --dry-run=server`),
//! which also runs the server's own validation and admission.
//! Topologies are generated with proptest; the number of cases is bounded
//! (ARCHCTL_PROPTEST_CASES, default 48) so CI stays quick.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::support::Project;

#[derive(Clone, Debug)]
struct Svc {
    kind: usize,
    replicas: Option<u8>,
    resources: usize,
    ports: u8,
    probe: bool,
    secret_env: bool,
    volume_gi: Option<u8>,
    autoscale: Option<(u8, u8, u8)>,
    disruption: bool,
    anti_affinity: Option<bool>,
    read_only: bool,
    pre_stop: Option<u8>,
}

fn svc() -> impl Strategy<Value = Svc> {
    (
        0usize..4,
        proptest::option::of(0u8..5),
        0usize..5,
        0u8..3,
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(1u8..100),
        proptest::option::of((1u8..4, 0u8..6, 40u8..95)),
        any::<bool>(),
        proptest::option::of(any::<bool>()),
        any::<bool>(),
        proptest::option::of(1u8..30),
    )
        .prop_map(
            |(
                kind,
                replicas,
                resources,
                ports,
                probe,
                secret_env,
                volume_gi,
                autoscale,
                disruption,
                anti_affinity,
                read_only,
                pre_stop,
            )| Svc {
                kind,
                replicas,
                resources,
                ports,
                probe,
                secret_env,
                volume_gi,
                autoscale,
                disruption,
                anti_affinity,
                read_only,
                pre_stop,
            },
        )
}

/// A topology in archctl's format from the generated pieces.
fn topology(services: &[Svc], ingress: bool, policy: bool) -> String {
    let mut t = String::from(
        "phases = [\"pilot\", \"grow\"]\n[project]\nname = \"prop\"\nlabels = { team = \"qa\" }\n[namespaces.prop]\n[storage_classes.fast]\nclass = \"gp3\"\n[secrets.creds]\nkeys = [\"token\"]\n",
    );
    let kinds = ["deployment", "statefulset", "job", "cronjob"];
    let resources = [
        "\"small\"".to_string(),
        "\"large\"".to_string(),
        "\"gpu\"".to_string(),
        "{ requests = { cpu = \"100m\", memory = \"64Mi\" }, limits = { cpu = 1, memory = \"512Mi\" } }".to_string(),
        "{ requests = { cpu = 0.5, memory = \"1.5Gi\" } }".to_string(),
    ];
    let mut web: Option<String> = None;
    for (i, s) in services.iter().enumerate() {
        let name = format!("svc{i}");
        let kind = kinds[s.kind];
        let batch = s.kind >= 2;
        t.push_str(&format!("\n[services.{name}]\nkind = \"{kind}\"\nresources = {}\n", resources[s.resources]));
        if let (Some(r), false) = (s.replicas, batch) {
            t.push_str(&format!("replicas = {{ pilot = {r}, grow = {} }}\n", r + 1));
        }
        match kind {
            "cronjob" => t.push_str("schedule = \"*/15 * * * *\"\n"),
            "job" => t.push_str("parallelism = 2\ncompletions = 4\nbackoff_limit = 1\n"),
            _ => {}
        }
        if let (Some((min, extra, cpu)), "deployment") = (s.autoscale, kind) {
            t.push_str(&format!("autoscaling = {{ min = {min}, max = {}, cpu = {cpu} }}\n", min + extra));
        }
        if s.disruption && !batch {
            t.push_str("disruption = { max_unavailable = 1 }\n");
        }
        if let Some(required) = s.anti_affinity {
            t.push_str(&format!(
                "placement = {{ anti_affinity = \"{}\", spread = [{{ across = \"zone\" }}] }}\n",
                if required { "required" } else { "preferred" }
            ));
        }
        t.push_str(&format!("security = {{ read_only_root_filesystem = {}, run_as_user = 1000 }}\n", s.read_only));
        t.push_str(&format!("[services.{name}.container]\nimage = \"registry.example.com/{name}:1.{i}\"\n"));
        let ports: Vec<String> = (0..s.ports).map(|p| format!("p{p} = {}", 8000 + u32::from(p))).collect();
        if !ports.is_empty() && !batch {
            t.push_str(&format!("ports = {{ {} }}\n", ports.join(", ")));
            if s.probe {
                t.push_str("probes = { readiness = { http = \"/ready\", period = 5 }, liveness = { tcp = true } }\n");
            }
            if kind == "deployment" && web.is_none() {
                web = Some(name.clone());
            }
        } else if s.probe && !batch {
            t.push_str("probes = { liveness = { exec = [\"true\"] } }\n");
        }
        if s.secret_env {
            t.push_str("env = { TOKEN = { secret = \"creds\", key = \"token\" }, MODE = \"fast\", N = 3 }\n");
        }
        if let (Some(n), false) = (s.pre_stop, batch) {
            t.push_str(&format!("pre_stop = {n}\n"));
        }
        if let (Some(gi), "statefulset") = (s.volume_gi, kind) {
            t.push_str(&format!(
                "[services.{name}.volumes.data]\nmount = \"/data\"\nsize = {{ pilot = \"{gi}Gi\", grow = \"{}Gi\" }}\nstorage_class = \"fast\"\n",
                u32::from(gi) * 2
            ));
        }
    }
    if let (true, Some(w)) = (ingress, &web) {
        t.push_str(&format!(
            "\n[ingresses.web]\nclass = \"nginx\"\ntls = [{{ hosts = [\"prop.example.com\"], secret = \"tls\" }}]\nrules = [{{ host = \"prop.example.com\", paths = [{{ path = \"/\", service = \"{w}\" }}] }}]\n"
        ));
    }
    if policy {
        t.push_str("\n[network_policies.egress]\negress = [{ dns = true }, { to = [{ cidr = \"0.0.0.0/0\", except = [\"10.0.0.0/8\"] }], ports = [443] }]\n");
    }
    t
}

#[test]
fn every_accepted_topology_renders_valid_objects() {
    let cases: u32 = std::env::var("ARCHCTL_PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(48);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let strategy = (proptest::collection::vec(svc(), 1..5), any::<bool>(), any::<bool>());
    let accepted = std::cell::RefCell::new(Vec::new());
    let rejected = std::cell::Cell::new(0);
    runner
        .run(&strategy, |(services, ingress, policy)| {
            let text = topology(&services, ingress, policy);
            let p = Project::with(&text);
            let run = p.run(&["render", "--phase", "grow"]);
            prop_assert!(run.code == 0 || run.code == 2, "exit {} for\n{text}\n{}", run.code, run.stderr);
            prop_assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
            if run.code == 0 {
                accepted.borrow_mut().push((text, run.stdout));
            } else {
                prop_assert!(run.stderr.contains("error["), "a rejection names its error:\n{}", run.stderr);
                rejected.set(rejected.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    let accepted = accepted.into_inner();
    assert!(
        accepted.len() as u32 >= cases / 2,
        "most generated topologies should be valid ({} rejected)",
        rejected.get()
    );
    // one validator run for all of them
    let mut all = String::new();
    for (_, yaml) in &accepted {
        all.push_str(yaml);
    }
    crate::schema::validate(&all, &format!("{} generated topologies", accepted.len()));

    // the real server: each render's namespace exists (applied for real),
    // then the whole render is dry-run applied
    let k = crate::support::cluster::TestCluster::start();
    k.install_crds(crate::cluster::CRDS);
    for (text, yaml) in &accepted {
        let namespaces: Vec<&str> = yaml.split("\n---\n").filter(|d| d.contains("\nkind: Namespace\n")).collect();
        k.kubectl_stdin(&["apply", "--server-side", "--field-manager=archctl", "-f", "-"], &namespaces.join("\n---\n"))
            .success();
        let run = k
            .kubectl_stdin(&["apply", "--server-side", "--field-manager=archctl", "--dry-run=server", "-f", "-"], yaml);
        assert_eq!(run.code, 0, "the API server rejected the render of\n{text}\n{}", run.stderr);
        assert!(run.stderr.trim().is_empty(), "the API server warned about the render of\n{text}\n{}", run.stderr);
    }
}
