//! The JSON Schema stays in step with the loader and with the shipped file.
//!
//! `config-examples/full.yaml` holds every key the loader accepts (and loads without error): each of
//! its key paths must be in the schema, and each key path of the schema must be in it. The shipped
//! `packaging/anycastd.schema.json` must be the generated text; `UPDATE_SCHEMA=1` rewrites it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anycastd::config::schema::{json_schema, json_schema_text};
use saphyr_parser::{Event, Parser};
use serde_json::{Map, Value};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Reads YAML into a JSON value; scalars stay strings (only the keys and the `kind`s matter here).
fn yaml_to_json(text: &str) -> Value {
    enum Open {
        Map(Map<String, Value>, Option<String>),
        Seq(Vec<Value>),
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut root = Value::Null;
    let mut parser = Parser::new_from_str(text);
    while let Some(next) = parser.next_event() {
        let (event, _) = next.unwrap_or_else(|e| panic!("YAML error: {e:?}"));
        let done = match event {
            Event::Scalar(value, ..) => {
                if let Some(Open::Map(_, key @ None)) = stack.last_mut() {
                    *key = Some(value.to_string());
                    continue;
                }
                Value::String(value.to_string())
            }
            Event::MappingStart(..) => {
                stack.push(Open::Map(Map::new(), None));
                continue;
            }
            Event::SequenceStart(..) => {
                stack.push(Open::Seq(Vec::new()));
                continue;
            }
            Event::MappingEnd => match stack.pop() {
                Some(Open::Map(map, _)) => Value::Object(map),
                _ => panic!("unbalanced mapping"),
            },
            Event::SequenceEnd => match stack.pop() {
                Some(Open::Seq(items)) => Value::Array(items),
                _ => panic!("unbalanced sequence"),
            },
            _ => continue,
        };
        match stack.last_mut() {
            Some(Open::Map(map, key)) => {
                let key = key.take().unwrap_or_else(|| panic!("a mapping as a key"));
                map.insert(key, done);
            }
            Some(Open::Seq(items)) => items.push(done),
            None => root = done,
        }
    }
    root
}

/// The schema of `spec` for a check of `kind`, from the check's `allOf` branches.
fn spec_schema<'s>(check: &'s Value, kind: &str) -> Option<&'s Value> {
    check["allOf"].as_array()?.iter().find_map(|branch| {
        (branch["if"]["properties"]["kind"]["const"] == kind)
            .then(|| &branch["then"]["properties"]["spec"])
    })
}

/// Key paths of a document, with `[]` for list items, `spec(kind)` for check specs and `*` for the
/// keys of a mapping with free keys (`headers`, `env`, `states.<state>.peers`).
fn document_paths(value: &Value, schema: &Value, path: &str, out: &mut BTreeSet<String>) {
    let schema = mapping_branch(schema);
    match value {
        Value::Object(map) => {
            if let Some(each) = schema.get("additionalProperties").filter(|v| v.is_object()) {
                let shown = format!("{path}.*");
                out.insert(shown.clone());
                for child in map.values() {
                    document_paths(child, each, &shown, out);
                }
                return;
            }
            for (key, child) in map {
                let child_path = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                let mut child_schema = &schema["properties"][key];
                let mut shown = child_path.clone();
                if key == "spec" {
                    if let Some(kind) = map.get("kind").and_then(Value::as_str) {
                        shown = format!("{child_path}({kind})");
                        child_schema = spec_schema(schema, kind).unwrap_or(&Value::Null);
                    }
                }
                out.insert(shown.clone());
                document_paths(child, child_schema, &shown, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                document_paths(item, &schema["items"], &format!("{path}[]"), out);
            }
        }
        _ => {}
    }
}

/// The mapping branch of a key that is either a scalar or a mapping (`bfd: true` or its intervals).
fn mapping_branch(schema: &Value) -> &Value {
    schema["anyOf"]
        .as_array()
        .and_then(|branches| branches.iter().find(|b| b.get("properties").is_some()))
        .unwrap_or(schema)
}

/// Key paths the schema describes, in the same notation.
fn schema_paths(schema: &Value, path: &str, out: &mut BTreeSet<String>) {
    let schema = mapping_branch(schema);
    if let Some(items) = schema.get("items") {
        schema_paths(items, &format!("{path}[]"), out);
    }
    if let Some(each) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        out.insert(format!("{path}.*"));
        schema_paths(each, &format!("{path}.*"), out);
    }
    let Some(properties) = schema["properties"].as_object() else {
        return;
    };
    for (key, child) in properties {
        let child_path = if path.is_empty() {
            key.clone()
        } else {
            format!("{path}.{key}")
        };
        if key == "spec" {
            for branch in schema["allOf"].as_array().into_iter().flatten() {
                let kind = branch["if"]["properties"]["kind"]["const"]
                    .as_str()
                    .unwrap_or_else(|| panic!("a spec branch without a kind"));
                let shown = format!("{child_path}({kind})");
                out.insert(shown.clone());
                schema_paths(&branch["then"]["properties"]["spec"], &shown, out);
            }
            continue;
        }
        out.insert(child_path.clone());
        schema_paths(child, &child_path, out);
    }
}

/// The four `states.<state>` entries, and each peer's entry below them, share one shape: full.yaml
/// shows each key of that shape once, not in every place it may stand.
fn shared_shapes(paths: BTreeSet<String>) -> BTreeSet<String> {
    paths
        .into_iter()
        .map(|path| {
            let mut path = path;
            for state in ["up", "degraded", "draining", "down"] {
                path = path.replace(&format!("states.{state}"), "states.<state>");
            }
            path.replace("states.<state>.peers.*.", "states.<state>.")
        })
        .collect()
}

#[test]
fn shipped_schema_is_the_generated_one() {
    let path = repo("packaging/anycastd.schema.json");
    let generated = json_schema_text();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
    let shipped =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        shipped == generated,
        "{} differs from the key tables (src/config/validate/); run UPDATE_SCHEMA=1 cargo test -p anycastd --test core schema::",
        path.display()
    );
}

#[test]
fn every_key_of_the_full_example_is_in_the_schema_and_back() {
    let path = repo("config-examples/full.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    anycastd::config::load(&path, &text).unwrap_or_else(|e| panic!("full.yaml must load: {e}"));
    let schema = json_schema();
    let mut in_document = BTreeSet::new();
    document_paths(&yaml_to_json(&text), &schema, "", &mut in_document);
    let mut in_schema = BTreeSet::new();
    schema_paths(&schema, "", &mut in_schema);
    let missing_from_schema: Vec<String> = in_document.difference(&in_schema).cloned().collect();
    let (in_document, in_schema) = (shared_shapes(in_document), shared_shapes(in_schema));
    let missing_from_example: Vec<String> = in_schema.difference(&in_document).cloned().collect();
    assert!(
        missing_from_schema.is_empty(),
        "keys the loader accepts but the schema lacks: {missing_from_schema:?}"
    );
    assert!(
        missing_from_example.is_empty(),
        "schema keys that full.yaml (every accepted key) lacks: {missing_from_example:?}"
    );
}

#[test]
fn every_example_uses_only_schema_keys_and_has_the_required_ones() {
    let schema = json_schema();
    let mut known = BTreeSet::new();
    schema_paths(&schema, "", &mut known);
    let dir = repo("config-examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")) {
        let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        let document = match path.extension().and_then(|e| e.to_str()) {
            Some("json") => serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}")),
            Some("yaml" | "yml") => yaml_to_json(&text),
            _ => continue,
        };
        let mut paths = BTreeSet::new();
        document_paths(&document, &schema, "", &mut paths);
        let unknown: Vec<_> = paths.difference(&known).collect();
        assert!(unknown.is_empty(), "{}: {unknown:?}", path.display());
        for key in schema["required"].as_array().into_iter().flatten() {
            let key = key.as_str().unwrap_or_default();
            assert!(document.get(key).is_some(), "{}: no {key}", path.display());
        }
        seen += 1;
    }
    assert!(
        seen >= 3,
        "expected the example configs in {}",
        dir.display()
    );
}
