//! What each value of the chart means: for the schema's `description`s and
//! the chart's README. A value that stands for a topology key takes that
//! key's description from the topology's JSON Schema; chart-only values
//! have their own.

use serde_json::Value;

/// The topology's JSON Schema (its descriptions come from the model's doc
/// comments).
pub(super) fn topology_schema() -> Value {
    crate::schema::topology()
}

/// A schema with its `$ref`s followed.
fn resolve_ref<'a>(root: &'a Value, mut s: &'a Value) -> Option<&'a Value> {
    let defs = root.get("definitions").or_else(|| root.get("$defs"));
    for _ in 0..8 {
        let r = s.get("$ref").or_else(|| s.get("allOf")?.get(0)?.get("$ref")).and_then(Value::as_str);
        let Some(r) = r else { break };
        let name = r.rsplit('/').next()?;
        s = defs?.get(name)?;
    }
    Some(s)
}

/// The description at a topology path (`services.*.replicas`), following
/// `$ref`s, `additionalProperties` for `*`.
fn topology_description<'a>(schema: &'a Value, path: &[&str]) -> Option<String> {
    let resolve = |s: &'a Value| resolve_ref(schema, s);
    let mut s = resolve(schema)?;
    let mut last = None;
    for key in path {
        let next = if *key == "*" {
            s.get("additionalProperties")?
        } else {
            s.get("properties").and_then(|p| p.get(*key)).or_else(|| {
                // an optional table is anyOf [its schema, null]
                s.get("anyOf")?.as_array()?.iter().find_map(|a| resolve(a)?.get("properties")?.get(*key))
            })?
        };
        last = next.get("description").and_then(Value::as_str).map(str::to_string);
        s = resolve(next)?;
        if last.is_none() {
            last = s.get("description").and_then(Value::as_str).map(str::to_string);
        }
    }
    last
}

/// The description of a value of the chart, by its path in `.Values`.
pub(super) fn describe(topology: &Value, path: &[String]) -> Option<String> {
    let k: Vec<&str> = path.iter().map(String::as_str).collect();
    let from = |p: &[&str]| topology_description(topology, p);
    let own = |s: &str| Some(s.to_string());
    match k.as_slice() {
        ["global"] => own("Settings of the whole chart."),
        ["global", "imageRegistry"] => own("Replaces the registry of every image when set."),
        ["global", "commonLabels"] => from(&["project", "labels"]).or(own("Labels on every object.")),
        ["global", "commonLabels", _] => own("A label on every object."),
        ["global", "version"] => own("The app.kubernetes.io/version label of objects that belong to no service."),
        ["features"] => own("Switches: false removes every object of the feature."),
        ["features", f] => {
            let key = match *f {
                "disruptionBudgets" => "disruption_budgets",
                "networkPolicies" => "network_policies",
                "serviceMonitors" => "service_monitors",
                "gatewayApi" => "gateway_api",
                other => other,
            };
            from(&["features", key]).or(own("Renders the objects of this feature."))
        }
        ["capabilities"] => own("Custom resources render only where the API server serves their kind."),
        ["capabilities", "force"] => own(
            "Renders every custom resource (ServiceMonitor, VerticalPodAutoscaler, ScaledObject, ExternalSecret, Gateway API ...) even where the API server is not known to serve it (helm template without --api-versions).",
        ),
        ["namespace"] => own("The release's namespace: every object goes to it."),
        ["namespace", "create"] => {
            own("Creates the Namespace object of the release's namespace (its quota and labels).")
        }
        ["namespaces"] => own("The namespace each of the topology's namespaces is installed in."),
        ["namespaces", _] => {
            own("The actual namespace name: objects, namespace selectors and service DNS names follow it.")
        }
        ["services"] => from(&["services"]).or(own("The services.")),
        ["services", _] => own("Settings of a service."),
        ["services", _, "replicas"] => from(&["services", "*", "replicas"])
            .map(|d| format!("{d} (Also the replicas when the service's autoscaler is switched off.)")),
        ["services", _, "autoscaling"] => own("The service's autoscaler (HorizontalPodAutoscaler or ScaledObject)."),
        ["services", _, "autoscaling", "enabled"] => own(
            "False removes the service's HorizontalPodAutoscaler and ScaledObject and puts `replicas` back on its workload.",
        ),
        ["services", _, "autoscaling", "minReplicas"] => own("The fewest replicas the autoscaler runs."),
        ["services", _, "autoscaling", "maxReplicas"] => own("The most replicas the autoscaler runs."),
        ["services", _, "version"] => own("The service's app.kubernetes.io/version label."),
        ["services", _, "image"] => from(&["services", "*", "container", "image"]).or(own("The container image.")),
        ["services", _, "image", "registry"] => own("Registry host of the image; empty for none."),
        ["services", _, "image", "repository"] => own("Repository of the image."),
        ["services", _, "image", "tag"] => own("Tag of the image."),
        ["services", _, "resources"] => from(&["services", "*", "container", "resources"])
            .or(own("Resource requests and limits of the main container.")),
        ["services", _, "resources", _] => own("Requests or limits of the main container, by resource."),
        ["services", _, "resources", _, _] => own("A request or limit of the main container."),
        ["services", _, "storage"] => own("Volume claim templates of the stateful set."),
        ["services", _, "storage", _] => own("A volume claim template."),
        ["services", _, "storage", _, "size"] => own("Requested storage."),
        ["services", _, "storage", _, "storageClass"] => own("Storage class of the claim."),
        ["claims"] => own("Shared persistent volume claims."),
        ["claims", _] => own("A shared persistent volume claim."),
        ["claims", _, "size"] => own("Requested storage."),
        ["claims", _, "storageClass"] => own("Storage class of the claim."),
        ["ingresses"] => own("Ingress hosts and TLS."),
        ["ingresses", _] => own("An Ingress."),
        ["ingresses", _, "tls"] => own("The Ingress's TLS entries."),
        ["ingresses", _, host] if host.starts_with("host") => own("A host of the Ingress's rules."),
        ["overrides"] => own("Values where profiles differ outside the settings above, by object and field."),
        ["overrides", _] => own("Fields of one object (kind/namespace/name) that differ between profiles."),
        ["overrides", _, field] if field.ends_with('?') => own("Whether the field (or the whole object) is rendered."),
        ["overrides", _, "object"] => {
            own("The whole object, where no template of its fields could give back every profile.")
        }
        ["overrides", _, _] => own("A field of the object (by its path)."),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_custom_kinds_are_those_outside_the_builtin_groups() {
        let custom: Vec<&str> = crate::objects::object::KINDS
            .iter()
            .filter(|(group, ..)| !crate::objects::object::is_builtin_group(group))
            .map(|(_, _, kind, _)| *kind)
            .collect();
        for kind in ["ExternalSecret", "ScaledObject", "ServiceMonitor", "VerticalPodAutoscaler"] {
            assert!(custom.contains(&kind), "{kind} is a custom resource: {custom:?}");
        }
        for kind in ["Deployment", "Ingress", "HorizontalPodAutoscaler", "NetworkPolicy", "StorageClass"] {
            assert!(!custom.contains(&kind), "{kind} is built in");
        }
    }

    #[test]
    fn values_that_are_topology_keys_take_its_descriptions() {
        let t = topology_schema();
        let p = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(describe(&t, &p(&["features", "autoscaling"])).is_some());
        assert!(describe(&t, &p(&["services", "api", "replicas"])).is_some());
        assert!(describe(&t, &p(&["capabilities", "force"])).is_some());
    }
}
