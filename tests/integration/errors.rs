//! One test per error class: each names file, line and column, says what is
//! wrong and how to fix it, and exits 2 without a panic.

use crate::support::Project;

const BASE: &str = r#"phases = ["pilot", "growth"]
[project]
name = "shop"

[services.web]
kind = "deployment"
replicas = { pilot = 1, growth = 3 }
container = { image = "web:1", ports = { http = 8080 } }
"#;

#[test]
fn malformed_toml() {
    Project::with("[project]\nname = \"shop\n")
        .run(&["render"])
        .user_error()
        .stderr_has("error[E001]: invalid TOML")
        .stderr_has("--> archctl.toml:2:13")
        .stderr_has("strings are written in double quotes");
}

#[test]
fn duplicate_service() {
    let topo = format!("{BASE}\n[services.web]\nkind = \"job\"\n");
    Project::with(&topo)
        .run(&["render"])
        .user_error()
        .stderr_has("duplicate key")
        .stderr_has("--> archctl.toml:10:")
        .stderr_has("merge the two definitions or rename one");
}

#[test]
fn unknown_key_with_suggestion() {
    let topo = BASE.replace("replicas =", "replcas =");
    Project::with(&topo)
        .run(&["render"])
        .user_error()
        .stderr_has("error[E004]: unknown key `replcas` in `services.web`")
        .stderr_has("--> archctl.toml:7:1")
        .stderr_has("did you mean `replicas`?");
}

#[test]
fn unknown_key_deep_in_a_container() {
    let topo = BASE.replace("image = \"web:1\"", "image = \"web:1\", imagePullPolicy = \"Always\"");
    Project::with(&topo)
        .run(&["render"])
        .user_error()
        .stderr_has("unknown key `imagePullPolicy` in `services.web.container`")
        .stderr_has("--> archctl.toml:8:32")
        .stderr_has("did you mean `image_pull_policy`?");
}

#[test]
fn unknown_key_in_a_profile_points_at_the_profile() {
    Project::with(BASE)
        .file("profiles/prod.toml", "phase = \"growth\"\n\n[services.web]\nreplica = 4\n")
        .run(&["render", "--profile", "prod"])
        .user_error()
        .stderr_has("unknown key `replica`")
        .stderr_has("--> profiles/prod.toml:4:1");
}

#[test]
fn unknown_profile_lists_the_known_ones() {
    Project::with(BASE)
        .file("profiles/production.toml", "")
        .file("profiles/staging.toml", "")
        .run(&["render", "--profile", "prod"])
        .user_error()
        .stderr_has("error[E002]: unknown profile `prod`")
        .stderr_has("did you mean `production`? known profiles: `production`, `staging`");
}

#[test]
fn profile_changing_an_undeclared_service() {
    Project::with(BASE)
        .file("profiles/prod.toml", "[services.wbe]\nreplicas = 2\n")
        .run(&["render", "--profile", "prod"])
        .user_error()
        .stderr_has("error[E003]: the profile changes service `wbe`, which the topology does not define")
        .stderr_has("--> profiles/prod.toml:1:11")
        .stderr_has("did you mean `web`?");
}

#[test]
fn unknown_phase_from_a_profile() {
    Project::with(BASE)
        .file("profiles/prod.toml", "phase = \"grwoth\"\n")
        .run(&["render", "--profile", "prod"])
        .user_error()
        .stderr_has("error[E010]: unknown phase `grwoth`")
        .stderr_has("--> profiles/prod.toml:1:9")
        .stderr_has("known phases, in order: `pilot`, `growth`");
}

#[test]
fn unknown_phase_from_the_command_line() {
    Project::with(BASE)
        .run(&["render", "--phase", "phase9"])
        .user_error()
        .stderr_has("unknown phase `phase9`")
        .stderr_has("known phases, in order: `pilot`, `growth`");
}

#[test]
fn unknown_phase_in_a_per_phase_table() {
    let topo = BASE.replace("growth = 3", "grow = 3");
    Project::with(&topo)
        .run(&["render"])
        .user_error()
        .stderr_has("unknown phase `grow` in `services.web.replicas`")
        .stderr_has("--> archctl.toml:7:25")
        .stderr_has("did you mean `growth`?");
}

#[test]
fn bad_quantity_suggests_the_kubernetes_spelling() {
    let topo = format!("{BASE}resources = {{ requests = {{ memory = \"512MB\" }} }}\n");
    // the line lands in [services.web]
    Project::with(&topo)
        .run(&["render"])
        .user_error()
        .stderr_has("error[E008]: `512MB` is not a Kubernetes quantity")
        .stderr_has("--> archctl.toml:9:37")
        .stderr_has("did you mean `512M`?");
}

#[test]
fn name_kubernetes_would_reject() {
    let topo = BASE.replace("[services.web]", "[services.Web_Front]");
    Project::with(&topo)
        .run(&["render"])
        .user_error()
        .stderr_has("error[E020]: `Web_Front` is not a valid service name")
        .stderr_has("--> archctl.toml:5:11")
        .stderr_has("try `web-front`");
}

#[test]
fn wrong_type_names_the_expected_one() {
    let topo = BASE.replace("replicas = { pilot = 1, growth = 3 }", "replicas = \"three\"");
    Project::with(&topo)
        .run(&["render"])
        .user_error()
        .stderr_has("wrong value for `services.web.replicas`")
        .stderr_has("--> archctl.toml:7:12");
}

#[test]
fn missing_topology_file() {
    Project::new()
        .run(&["render"])
        .user_error()
        .stderr_has("cannot read `archctl.toml`: not found")
        .stderr_has("-f FILE");
}

#[test]
fn undefined_template_variable() {
    let topo = BASE.replace("\"web:1\"", "\"web:{{ tag }}\"");
    Project::with(&topo)
        .run(&["render"])
        .user_error()
        .stderr_has("error[E007]: template in `services.web.container.image` uses an undefined variable")
        .stderr_has("--> archctl.toml:8:23")
        .stderr_has("define it under `[vars]`");
}

#[test]
fn undeclared_secret_reference() {
    let topo = format!("{BASE}\n[services.web.container.env]\nTOKEN = {{ secret = \"tokens\", key = \"api\" }}\n");
    let topo = topo.replace("container = { image = \"web:1\", ports = { http = 8080 } }\n", "");
    let topo = format!("{topo}\n[services.web.container]\nimage = \"web:1\"\n");
    // keep the TOML valid: container table after its env subtable is fine
    Project::with(&topo)
        .run(&["render"])
        .user_error()
        .stderr_has("error[E041]: secret `tokens` is not declared")
        .stderr_has("declare it with `[secrets.tokens]`");
}

#[test]
fn all_problems_are_reported_together() {
    let topo = format!(
        "{}{}",
        BASE.replace("[services.web]", "[services.Web]"),
        "resources = { limits = { cpu = \"two\" } }\n"
    );
    let run = Project::with(&topo).run(&["render"]).user_error();
    assert!(run.stderr.contains("E020"), "{}", run.stderr);
    assert!(run.stderr.contains("E008"), "{}", run.stderr);
    assert!(run.stderr.contains("2 errors found"), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_2() {
    let run = Project::with(BASE).run(&["render", "--format", "xml"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
}

const SCALED: &str = r#"[project]
name = "shop"

[services.web]
kind = "deployment"
replicas = 2
container = { image = "web:1", ports = { http = 8080 } }
"#;

#[test]
fn autoscaler_min_above_max() {
    Project::with(&format!("{SCALED}autoscaling = {{ min = 5, max = 3, cpu = 70 }}\n"))
        .run(&["render"])
        .user_error()
        .stderr_has("error[E050]: the autoscaler's min 5 is above its max 3")
        .stderr_has("--> archctl.toml:8:23");
}

#[test]
fn hpa_and_keda_on_one_service() {
    let topo = format!(
        "{SCALED}autoscaling = {{ min = 1, max = 3, cpu = 70 }}\n[services.web.keda]\nmin = 0\nmax = 4\ntriggers = [{{ type = \"cpu\", metric_type = \"Utilization\", metadata = {{ value = \"60\" }} }}]\n"
    );
    Project::with(&topo)
        .run(&["render"])
        .user_error()
        .stderr_has("error[E051]: service `web` has both an HPA (`autoscaling`) and a KEDA `keda` scaler")
        .stderr_has("--> archctl.toml:9:15");
}

#[test]
fn disruption_budget_that_blocks_every_eviction() {
    Project::with(&format!("{SCALED}disruption = {{ min_available = 2 }}\n"))
        .run(&["render"])
        .user_error()
        .stderr_has("error[E052]: the disruption budget of `web` blocks every eviction with 2 replica(s)")
        .stderr_has("--> archctl.toml:8:32")
        .stderr_has("max_unavailable = 1");
    Project::with(&format!("{SCALED}disruption = {{ max_unavailable = 0 }}\n"))
        .run(&["render"])
        .user_error()
        .stderr_has("E052");
    // with an autoscaler the lowest replica count counts
    Project::with(&format!(
        "{SCALED}disruption = {{ min_available = 2 }}\nautoscaling = {{ min = 3, max = 6, cpu = 70 }}\n"
    ))
    .run(&["render"])
    .success();
}

#[test]
fn gpu_request_without_a_gpu_limit() {
    Project::with(&format!("{SCALED}resources = {{ requests = {{ cpu = 1, gpu = 1 }}, limits = {{ cpu = 2 }} }}\n"))
        .run(&["render"])
        .user_error()
        .stderr_has("error[E015]: a GPU is requested without a GPU limit")
        .stderr_has("--> archctl.toml:8:43")
        .stderr_has("add `limits.gpu`");
}

#[test]
fn ingress_path_to_a_missing_service_or_port() {
    let ingress = |path: &str| {
        format!("{SCALED}\n[ingresses.web]\nrules = [{{ host = \"shop.example.com\", paths = [{path}] }}]\n")
    };
    Project::with(&ingress("{ path = \"/\", service = \"wbe\" }"))
        .run(&["render"])
        .user_error()
        .stderr_has("error[E053]: service `wbe` is not declared")
        .stderr_has("--> archctl.toml:10:72")
        .stderr_has("did you mean `web`?");
    Project::with(&ingress("{ path = \"/\", service = \"web\", port = 80 }"))
        .run(&["render"])
        .user_error()
        .stderr_has("error[E053]: service `web` has no port 80")
        .stderr_has("its Service ports are: http (8080)");
    Project::with(&ingress("{ path = \"/\", service = \"web\", port = \"grpc\" }"))
        .run(&["render"])
        .user_error()
        .stderr_has("service `web` has no port `grpc`");
    Project::with(&ingress("{ path = \"/\", service = \"web\", port = \"http\" }")).run(&["render"]).success();
}

#[test]
fn words_from_a_fixed_set_are_checked() {
    let cases = [
        (
            "placement = { anti_affinity = \"prefered\" }",
            "`prefered` is not allowed for `services.web.placement.anti_affinity`",
            "did you mean `preferred`?",
        ),
        ("placement = { spread = [{ across = \"zoen\" }] }", "`zoen` is not a topology scope", "node label key"),
        (
            "placement = { tolerations = [{ key = \"gpu\", operator = \"Exist\" }] }",
            "`Exist` is not allowed",
            "did you mean `Exists`?",
        ),
        ("security = { seccomp = \"Localhost\" }", "`Localhost` is not allowed", "`RuntimeDefault`, `Unconfined`"),
        ("vpa = { mode = \"auto\" }", "`auto` is not allowed for `services.web.vpa.mode`", "did you mean `Auto`?"),
        (
            "autoscaling = { min = 1, max = 2, scale_up = { policies = [{ type = \"Percentage\", value = 1, period = 1 }] } }",
            "`Percentage` is not allowed",
            "`Percent`, `Pods`",
        ),
    ];
    for (line, message, help) in cases {
        Project::with(&format!("{SCALED}{line}\n")).run(&["render"]).user_error().stderr_has(message).stderr_has(help);
    }
}

#[test]
fn hooks_only_where_kubernetes_runs_them() {
    let init =
        format!("{SCALED}[[services.web.init_containers]]\nname = \"migrate\"\nimage = \"web:1\"\npre_stop = 5\n");
    Project::with(&init).run(&["render"]).user_error().stderr_has("init containers take no `pre_stop` hook");
    let topo = SCALED.replace(
        "container = { image = \"web:1\", ports = { http = 8080 } }",
        "container = { image = \"web:1\", ports = { http = 8080 }, pre_stop = 0 }",
    );
    Project::with(&topo).run(&["render"]).user_error().stderr_has("`pre_stop` sleeps 0 seconds");
}

#[test]
fn a_disruption_budget_for_an_unreplicated_service_blocks_evictions() {
    // no replicas: Kubernetes runs one, and min_available = 1 keeps it forever
    let topo = SCALED.replace("replicas = 2\n", "");
    Project::with(&format!("{topo}disruption = {{ min_available = 1 }}\n"))
        .run(&["render"])
        .user_error()
        .stderr_has("blocks every eviction with 1 replica(s)");
}

#[test]
fn a_provisioned_storage_class_needs_a_name() {
    let topo = format!("{SCALED}\n[storage_classes.fast]\nclass = \"\"\nprovisioner = \"ebs.csi.aws.com\"\n");
    Project::with(&topo)
        .run(&["render"])
        .user_error()
        .stderr_has("storage class `fast` has a provisioner but no cluster name");
}

#[test]
fn default_deny_and_a_policy_of_the_same_name_clash() {
    let topo = format!(
        "{}\n[namespaces.shop]\ndefault_deny = true\n\n[network_policies.default-deny]\ningress = []\n",
        SCALED
    );
    Project::with(&topo)
        .run(&["render"])
        .user_error()
        .stderr_has("has `default_deny` and a policy named `default-deny`");
}
