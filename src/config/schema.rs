//! The configuration's JSON Schema (draft 2020-12), for editors that validate and complete files.
//!
//! Rendered from the validator's own key tables ([`keys`](super::keys)): the same keys, the same
//! required keys, the same types, ranges and duration bounds. `anycastd --print-config-schema` prints
//! [`json_schema`]; `packaging/anycastd.schema.json` is its output, and a test keeps both in step and
//! checks that every key of `config-examples/full.yaml` (which holds every key the loader accepts) is
//! in the schema and back. The loader stays the authority: the schema cannot say everything it checks
//! (unique peer names, a prefix owned by a service...).
//!
//! Pure: builds a [`serde_json::Value`], no I/O.

use serde_json::{Map, Value, json};

use super::keys::{Key, Range, Shown, Table, Type};
use super::validate::ROOT;
use super::validate::checks::{KINDS, kind_names};

/// The `$id` of the schema.
pub const SCHEMA_ID: &str = "https://github.com/anycastd/anycastd/packaging/anycastd.schema.json";

/// A Go-style duration such as `100ms` or `1m30s` (never a bare number).
const DURATION_PATTERN: &str = r"^([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h)(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))*$";

/// A closed mapping (unknown keys are errors, as in the loader) with the keys of `table`.
fn object(description: &str, table: &Table) -> Value {
    let mut properties = Map::new();
    let mut required = Vec::new();
    for key in table.keys {
        if key.required {
            required.push(Value::from(key.name));
        }
        properties.insert(key.name.to_string(), value(key));
    }
    let mut out = Map::new();
    out.insert("type".into(), "object".into());
    out.insert("description".into(), description.into());
    out.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        out.insert("required".into(), Value::Array(required));
    }
    out.insert("additionalProperties".into(), false.into());
    if table.keys.iter().any(|key| matches!(key.ty, Type::Spec)) {
        let branches: Vec<Value> = KINDS
            .iter()
            .map(|kind| {
                json!({"if": {"properties": {"kind": {"const": kind.name}}, "required": ["kind"]},
                       "then": {"properties": {"spec": object(kind.keys.doc, kind.keys)}}})
            })
            .collect();
        out.insert("allOf".into(), Value::Array(branches));
    }
    Value::Object(out)
}

/// The schema of one key's value, with the key's description.
fn value(key: &Key) -> Value {
    let doc = key.doc;
    let mut out = match &key.ty {
        Type::String => json!({"type": "string", "minLength": 1}),
        Type::Text => json!({"type": "string"}),
        Type::Bool => json!({"type": "boolean"}),
        Type::Int { min, max } => json!({"type": "integer", "minimum": min, "maximum": max}),
        Type::Number { min, max } => {
            json!({"type": "number", "minimum": number(*min), "maximum": number(*max)})
        }
        Type::Duration(range) => {
            return json!({"type": "string", "pattern": DURATION_PATTERN,
                          "description": format!("{doc}; {}", range_text(*range))});
        }
        Type::Ip => json!({"type": "string", "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]}),
        Type::Ipv4 => json!({"type": "string", "format": "ipv4"}),
        Type::Ipv6 => json!({"type": "string", "format": "ipv6"}),
        Type::Strings { min_items: 0 } => {
            json!({"type": "array", "items": {"type": "string", "minLength": 1}})
        }
        Type::Strings { min_items } => {
            json!({"type": "array", "minItems": min_items, "items": {"type": "string", "minLength": 1}})
        }
        Type::Prefixes => {
            json!({"type": "array", "items": {"type": "string", "pattern": r"^[0-9A-Fa-f:.]+/[0-9]{1,3}$"}})
        }
        Type::StringMap => json!({"type": "object", "additionalProperties": {"type": "string"}}),
        Type::OneOf(values) => json!({"type": "string", "enum": values}),
        Type::Kind => json!({"type": "string", "enum": kind_names()}),
        Type::Object(table) => return object(doc, table),
        Type::BoolOr(table) => json!({"anyOf": [{"type": "boolean"}, object(table.doc, table)]}),
        Type::List(table) => json!({"type": "array", "items": object(table.doc, table)}),
        Type::MapOf(table) => {
            json!({"type": "object", "additionalProperties": object(table.doc, table)})
        }
        Type::Spec => json!({"type": "object"}),
        Type::Schema(schema) => schema(),
    };
    if let Value::Object(map) = &mut out {
        map.insert("description".into(), doc.into());
    }
    out
}

/// `"1ms to 24h"`, or `"0 to 1h"` when zero is accepted.
fn range_text(range: Range) -> String {
    if range.min.is_zero() {
        format!("0 to {}", Shown(range.max))
    } else {
        format!("{} to {}", Shown(range.min), Shown(range.max))
    }
}

/// `1` rather than `1.0` for a whole number.
fn number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

/// The whole schema, as `--print-config-schema` prints it.
pub fn json_schema() -> Value {
    let mut root = object(ROOT.doc, &ROOT);
    if let Value::Object(map) = &mut root {
        map.insert(
            "$schema".into(),
            "https://json-schema.org/draft/2020-12/schema".into(),
        );
        map.insert("$id".into(), SCHEMA_ID.into());
        map.insert("title".into(), "anycastd configuration".into());
    }
    root
}

/// [`json_schema`] as pretty-printed text with a final newline: the shipped file's exact content.
pub fn json_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&json_schema()).unwrap_or_default();
    text.push('\n');
    text
}
