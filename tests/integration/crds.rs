//! Every custom resource archctl renders validates against its project's
//! CRD schema, read from `../shared/crds/` (see its SOURCES.md).

use std::path::PathBuf;

use serde_json::Value;

use crate::support::{Project, repo};

/// `../shared/crds` beside the repository.
fn crds_dir() -> PathBuf {
    let dir = repo().join("../shared/crds");
    assert!(dir.is_dir(), "the CRD schemas are expected in {} (shared/ beside the repository)", dir.display());
    dir
}

/// The schema file of a custom resource: `<group>/<kind>_<version>.json`.
pub(crate) fn schema_for(doc: &Value) -> Option<PathBuf> {
    let api = doc["apiVersion"].as_str()?;
    let (group, version) = api.split_once('/')?;
    // built-in groups have their schemas in kubernetes-validate
    if !group.contains('.') || group.ends_with(".k8s.io") && group != "autoscaling.k8s.io" {
        return None;
    }
    let kind = doc["kind"].as_str()?.to_ascii_lowercase();
    Some(crds_dir().join(group).join(format!("{kind}_{version}.json")))
}

/// Validates every custom resource in `docs`; returns how many were checked.
pub(crate) fn validate_custom_resources(docs: &[Value], what: &str) -> usize {
    let mut checked = 0;
    for doc in docs {
        let Some(path) = schema_for(doc) else { continue };
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{what}: no schema for {} {}: {e}", doc["apiVersion"], doc["kind"]));
        let schema: Value = serde_json::from_str(&text).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> =
            validator.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(
            errors.is_empty(),
            "{what}: {} {} fails {}:\n{}",
            doc["kind"],
            doc["metadata"]["name"],
            path.display(),
            errors.join("\n")
        );
        checked += 1;
    }
    checked
}

#[test]
fn archivist_custom_resources_match_their_crds() {
    let p = Project::archivist();
    let docs = p.run(&["render", "--profile", "production"]).success().docs();
    let n = validate_custom_resources(&docs, "archivist production");
    // ServiceMonitor and VPA
    assert_eq!(n, 2);
}

#[test]
fn the_schemas_reject_a_broken_resource() {
    // guards the tests: a ScaledObject without its target must fail
    let doc = serde_json::json!({
        "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject",
        "metadata": {"name": "x"}, "spec": {"triggers": []}
    });
    let path = schema_for(&doc).unwrap();
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(!validator.is_valid(&doc));
}

/// The `openAPIV3Schema` of a Gateway API kind's `version`, from its released CRD manifest
/// (`crds/manifests/gateway.networking.k8s.io_<plural>.yaml`).
fn gateway_api_schema(plural: &str, version: &str) -> Value {
    let path = crds_dir().join(format!("manifests/gateway.networking.k8s.io_{plural}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let docs = archctl::api::parse_stream(&text).unwrap_or_else(|e| panic!("{}: {e:?}", path.display()));
    let crd = docs.into_iter().find(|d| d["kind"] == "CustomResourceDefinition").expect("a CRD");
    let v = crd["spec"]["versions"].as_array().unwrap().iter().find(|v| v["name"] == version).cloned();
    v.unwrap_or_else(|| panic!("{} has no version {version}", path.display()))["schema"]["openAPIV3Schema"].clone()
}

/// Whether a document is a Gateway API object (validated against the released CRD manifests).
pub(crate) fn is_gateway_api(doc: &Value) -> bool {
    doc["apiVersion"].as_str().is_some_and(|a| a.starts_with("gateway.networking.k8s.io/"))
}

/// Validates every Gateway API object in `docs` against its CRD; returns how many were checked.
pub(crate) fn validate_gateway_api(docs: &[Value], what: &str) -> usize {
    let mut checked = 0;
    for doc in docs {
        let Some(version) = doc["apiVersion"].as_str().and_then(|a| a.strip_prefix("gateway.networking.k8s.io/"))
        else {
            continue;
        };
        let plural = format!("{}s", doc["kind"].as_str().unwrap().to_ascii_lowercase());
        let schema = gateway_api_schema(&plural, version);
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> =
            validator.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(
            errors.is_empty(),
            "{what}: {} {} fails its CRD:\n{}",
            doc["kind"],
            doc["metadata"]["name"],
            errors.join("\n")
        );
        checked += 1;
    }
    checked
}

/// Every Gateway API kind archctl renders: a gateway, HTTP and gRPC routes, a route from another
/// namespace than its gateway, and a backend in another namespace (a ReferenceGrant).
pub(crate) const GATEWAY_TOPOLOGY: &str = r#"
[project]
name = "shop"
[namespaces.shop]
[namespaces.data]
[services.web]
kind = "deployment"
container = { image = "web:1", ports = { http = 8080 } }
[services.db]
kind = "deployment"
namespace = "data"
container = { image = "db:1", ports = { grpc = 9000 } }
[gateways.public]
class = "istio"
listeners = [{ name = "http", protocol = "HTTP", port = 80, hostname = "*.example.com" }]
[routes.web]
gateway = { name = "public", section = "http" }
hostnames = ["shop.example.com"]
rules = [{ matches = [{ path = "/", headers = { "x-canary" = "1" } }], backends = [{ service = "web", port = "http", weight = 90 }, { service = "web", weight = 10 }] }]
[routes.db]
kind = "grpc"
gateway = "public"
rules = [{ matches = [{ grpc_service = "shop.Db", grpc_method = "Get" }], backends = [{ service = "db" }] }]
[routes.admin]
namespace = "data"
gateway = "public"
hostnames = ["admin.example.com"]
rules = [{ matches = [{ path = "/", type = "Exact" }], backends = [{ service = "db" }] }]
"#;

#[test]
fn gateway_api_objects_match_their_crds() {
    let p = Project::copy_of(&crate::support::repo().join("examples/semantic-explorer"));
    // production migrates (both), staging serves through the gateway only, dev through the Ingress only
    for (profile, want, ingresses) in [("production", 2, 1), ("staging", 2, 0), ("dev", 0, 1)] {
        let docs = p.run(&["render", "--profile", profile]).success().docs();
        assert_eq!(validate_gateway_api(&docs, profile), want, "{profile}: Gateway API objects");
        assert_eq!(docs.iter().filter(|d| d["kind"] == "Ingress").count(), ingresses, "{profile}: Ingresses");
    }
    // every kind, a GRPCRoute and a ReferenceGrant among them
    let p = Project::with(GATEWAY_TOPOLOGY);
    let docs = p.run(&["render"]).success().docs();
    assert_eq!(validate_gateway_api(&docs, "every kind"), 5);
    // a route of another namespace: its parentRef names the gateway's, and the listener admits it
    let admin = crate::support::find(&docs, "HTTPRoute", Some("data"), "admin");
    assert_eq!(admin["spec"]["parentRefs"][0]["namespace"], "shop");
    let gateway = crate::support::find(&docs, "Gateway", Some("shop"), "public");
    assert_eq!(gateway["spec"]["listeners"][0]["allowedRoutes"]["namespaces"]["from"], "All");
    let grant = crate::support::find(&docs, "ReferenceGrant", Some("data"), "grpcroute-shop");
    assert_eq!(grant["spec"]["from"][0]["namespace"], "shop");
    // a broken route fails its schema: the tests would notice a wrong field
    let mut route = crate::support::find(&docs, "HTTPRoute", Some("shop"), "web").clone();
    route["spec"]["rules"][0]["backendRefs"][0]["weight"] = serde_json::json!(2_000_000);
    let validator = jsonschema::validator_for(&gateway_api_schema("httproutes", "v1")).unwrap();
    assert!(!validator.is_valid(&route));
}

/// Routes to gateways that exist in the cluster (declared `external`, or
/// marked so on the route), with header matches, weights and gRPC method
/// matches: rendered as the topology says, nothing rendered for the
/// gateways, valid under the CRDs, and clean under `check`.
pub(crate) const EXTERNAL_GATEWAYS: &str = r#"
[project]
name = "shop"
namespace = "shop"
[services.web]
kind = "deployment"
container = { image = "web:1", ports = { http = 8080 } }
[services.web-canary]
kind = "deployment"
container = { image = "web:2", ports = { http = 8080 } }
[services.rpc]
kind = "deployment"
container = { image = "rpc:1", ports = { grpc = 9090 } }
[services.api]
kind = "deployment"
namespace = "data"
container = { image = "api:1", ports = { http = 8000 } }
[namespaces.shop]
[namespaces.data]
[gateways.mesh]
external = true
namespace = "infra"
[routes.web]
gateway = { name = "mesh", section = "https" }
hostnames = ["shop.example.com"]
[[routes.web.rules]]
matches = [{ path = "/", headers = { x-canary = "always" } }]
backends = [{ service = "web-canary" }]
[[routes.web.rules]]
matches = [{ path = "/api" }]
backends = [{ service = "api" }]
[[routes.web.rules]]
matches = [{ path = "/" }]
backends = [{ service = "web", weight = 90 }, { service = "web-canary", port = "http", weight = 10 }]
[routes.rpc]
kind = "grpc"
gateway = { name = "edge", namespace = "platform", external = true }
rules = [{ matches = [{ grpc_service = "shop.Cart", grpc_method = "Add" }], backends = [{ service = "rpc" }] }]
"#;

#[test]
fn routes_to_external_gateways_render_their_matches_and_weights() {
    let p = Project::with(EXTERNAL_GATEWAYS);
    let docs = p.run(&["render"]).success().docs();
    assert!(!docs.iter().any(|d| d["kind"] == "Gateway"), "an external gateway is not rendered");
    assert_eq!(validate_gateway_api(&docs, "external gateways"), 3);
    let web = crate::support::find(&docs, "HTTPRoute", Some("shop"), "web");
    assert_eq!(
        web["spec"]["parentRefs"],
        serde_json::json!([{ "name": "mesh", "namespace": "infra", "sectionName": "https" }])
    );
    assert_eq!(web["spec"]["hostnames"], serde_json::json!(["shop.example.com"]));
    let rules = &web["spec"]["rules"];
    assert_eq!(
        rules[0]["matches"][0]["headers"],
        serde_json::json!([{ "type": "Exact", "name": "x-canary", "value": "always" }])
    );
    assert_eq!(rules[0]["matches"][0]["path"], serde_json::json!({ "type": "PathPrefix", "value": "/" }));
    // a backend in another namespace: named with it, and admitted there by a ReferenceGrant
    assert_eq!(rules[1]["backendRefs"][0]["namespace"], "data");
    let grant = crate::support::find(&docs, "ReferenceGrant", Some("data"), "httproute-shop");
    assert_eq!(
        grant["spec"]["from"],
        serde_json::json!([{ "group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "namespace": "shop" }])
    );
    let backends: Vec<(String, i64, i64)> = rules[2]["backendRefs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (b["name"].as_str().unwrap().to_string(), b["port"].as_i64().unwrap(), b["weight"].as_i64().unwrap_or(1))
        })
        .collect();
    assert_eq!(backends, [("web".to_string(), 8080, 90), ("web-canary".to_string(), 8080, 10)]);
    let rpc = crate::support::find(&docs, "GRPCRoute", Some("shop"), "rpc");
    assert_eq!(rpc["spec"]["parentRefs"][0]["name"], "edge");
    assert_eq!(rpc["spec"]["parentRefs"][0]["namespace"], "platform");
    assert_eq!(
        rpc["spec"]["rules"][0]["matches"][0]["method"],
        serde_json::json!({ "type": "Exact", "service": "shop.Cart", "method": "Add" })
    );
    assert_eq!(rpc["spec"]["rules"][0]["backendRefs"][0]["port"], 9090);
    // an external gateway's listeners are unknown: `section` is not checked against them
    let check = p.run(&["check", "--format", "json"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
}

/// `check`, not only `render`, reports the Gateway API's errors, at their
/// keys.
#[test]
fn check_reports_dangling_backends_and_undeclared_gateways() {
    let dangling =
        EXTERNAL_GATEWAYS.replace("backends = [{ service = \"rpc\" }]", "backends = [{ service = \"rcp\" }]");
    let e = crate::support::check_error(&Project::with(&dangling), "E053");
    assert!(e["message"].as_str().unwrap().contains("service `rcp` is not declared"), "{e}");
    let undeclared =
        EXTERNAL_GATEWAYS.replace("gateway = { name = \"mesh\", section = \"https\" }", "gateway = \"mesj\"");
    let e = crate::support::check_error(&Project::with(&undeclared), "E056");
    assert!(e["message"].as_str().unwrap().contains("gateway `mesj`, which is not declared"), "{e}");
}

/// Every update mode the VPA CRD (1.7, in `manifests/`) allows for its
/// served `v1` is accepted and renders a VPA that validates against that
/// CRD's own schema; only `Auto`, which VPA 1.4 and later deprecate, is
/// warned about.
#[test]
fn every_vpa_update_mode_of_the_crd_is_accepted() {
    let text = std::fs::read_to_string(crds_dir().join("manifests/autoscaling.k8s.io_vpa-v1-crd-gen.yaml")).unwrap();
    let crds = archctl::api::parse_stream(&text).unwrap();
    let vpa = crds.iter().find(|d| d["spec"]["names"]["kind"] == "VerticalPodAutoscaler").expect("the VPA CRD");
    let v1 = vpa["spec"]["versions"].as_array().unwrap().iter().find(|v| v["name"] == "v1").expect("v1");
    let schema = v1["schema"]["openAPIV3Schema"].clone();
    let modes = schema["properties"]["spec"]["properties"]["updatePolicy"]["properties"]["updateMode"]["enum"]
        .as_array()
        .expect("the CRD lists the update modes")
        .clone();
    assert!(modes.iter().any(|m| m == "InPlace"), "VPA 1.7 has InPlace: {modes:?}");
    let validator = jsonschema::validator_for(&schema).unwrap();
    for mode in modes {
        let mode = mode.as_str().unwrap();
        let p = Project::with(&format!(
            "[project]\nname = \"shop\"\n[services.web]\nkind = \"deployment\"\ncontainer = {{ image = \"web:1.0\" }}\nvpa = {{ mode = \"{mode}\" }}\n"
        ));
        let run = p.run(&["render"]);
        assert_eq!(run.code, 0, "{mode}: {}", run.stderr);
        let docs = run.docs();
        let vpa = docs.iter().find(|d| d["kind"] == "VerticalPodAutoscaler").unwrap();
        assert_eq!(vpa["spec"]["updatePolicy"]["updateMode"], mode);
        let errors: Vec<String> = validator.iter_errors(vpa).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{mode}: {errors:?}");
        assert_eq!(run.stderr.contains("W012"), mode == "Auto", "{mode}: {}", run.stderr);
    }
}
