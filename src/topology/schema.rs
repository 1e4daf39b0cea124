//! JSON Schema of the types whose TOML form is looser than their Rust
//! shape (a number or a string, a number or a table).

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

use super::{EnvRef, EnvValue, Port, QuantityText};

impl JsonSchema for QuantityText {
    fn schema_name() -> Cow<'static, str> {
        "Quantity".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A Kubernetes quantity: \"500m\", \"2Gi\", 2 or 0.5",
            "anyOf": [
                {"type": "string", "pattern": "^[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([numkMGTPE]|[KMGTPE]i|[eE][+-]?[0-9]+)?$"},
                {"type": "number"}
            ]
        })
    }
}

impl JsonSchema for Port {
    fn schema_name() -> Cow<'static, str> {
        "Port".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A port number, or a table with `port`",
            "anyOf": [
                {"type": "integer", "minimum": 1, "maximum": 65535},
                {
                    "type": "object",
                    "properties": {
                        "port": {"type": "integer", "minimum": 1, "maximum": 65535, "description": "Required: the container port (`containerPort`), 1 to 65535; unique per protocol within the container."},
                        "protocol": {"enum": ["TCP", "UDP", "SCTP"], "description": "`TCP` (default), `UDP` or `SCTP` (`protocol`)."},
                        "service_port": {"type": "integer", "minimum": 1, "maximum": 65535, "description": "The Service's port, when it differs from the container's; the Service targets the container port by name."},
                        "expose": {"type": "boolean", "description": "`false` keeps the port out of the Service. Default `true`."},
                        "unnamed": {"type": "boolean", "description": "`true`: the container port has no `name` (manifests another tool wrote); the key names it only within the topology. Default `false`."}
                    },
                    "required": ["port"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

impl JsonSchema for EnvValue {
    fn schema_name() -> Cow<'static, str> {
        "EnvValue".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let reference = generator.subschema_for::<EnvRef>();
        json_schema!({
            "description": "A plain value, or a reference to a secret key, config map key, pod field or resource",
            "anyOf": [{"type": ["string", "number", "boolean"]}, reference]
        })
    }
}
