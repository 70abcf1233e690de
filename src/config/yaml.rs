//! The YAML reader: `saphyr-parser` events (a maintained, pure-Rust YAML 1.2 event parser that
//! reports a position for every event and every syntax error) into the spanned [`tree`](super::tree).
//! Plain scalars are resolved with the YAML 1.2 core schema, as Go's yaml.v3 did; quoted scalars are
//! always strings.
//!
//! YAML aliases (`*name`) and merge keys (`<<`) are rejected with a clear error: a configuration
//! reads the same top to bottom, and alias expansion cannot blow up memory.

use std::borrow::Cow;

use saphyr_parser::{Event, Parser, ScalarStyle};

use super::tree::{Key, MAX_DEPTH, Node, Pos, SyntaxError, Value};

/// Resolves a plain YAML scalar with the YAML 1.2 core schema.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Value::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Value::Float(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Value::Float(f64::NAN),
        _ => {}
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Ok(v) = i128::from_str_radix(hex, 16) {
                return Value::Int(v);
            }
        }
    }
    if let Some(oct) = text.strip_prefix("0o") {
        if !oct.is_empty() && oct.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            if let Ok(v) = i128::from_str_radix(oct, 8) {
                return Value::Int(v);
            }
        }
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(v) = text.parse::<i128>() {
            return Value::Int(v);
        }
        return Value::Float(text.parse::<f64>().unwrap_or(f64::INFINITY));
    }
    if is_yaml_float(digits) {
        if let Ok(v) = text.parse::<f64>() {
            return Value::Float(v);
        }
    }
    Value::Str(text.to_string())
}

/// `[-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?` without the sign.
fn is_yaml_float(text: &str) -> bool {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(i) => (text.get(..i).unwrap_or(""), text.get(i + 1..)),
        None => (text, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (!int.is_empty() || !frac.is_empty())
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
                && !(int.is_empty() && frac.is_empty())
        }
        None => !mantissa.is_empty() && mantissa.bytes().all(|b| b.is_ascii_digit()),
    };
    let exponent_ok = match exponent {
        None => true,
        Some(e) => {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
        }
    };
    mantissa_ok && exponent_ok && (mantissa.contains('.') || exponent.is_some())
}

/// A container being built.
enum Open {
    Seq(Pos, Vec<Node>),
    Map(Pos, Vec<(Key, Node)>, Option<Key>),
}

/// Parses YAML text into a tree. `Ok(None)` for a file without a document (empty or comments only).
pub(crate) fn parse_yaml(text: &str) -> Result<Option<Node>, SyntaxError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Node> = None;
    let mut documents = 0usize;
    while let Some(next) = parser.next_event() {
        let (event, span) = next.map_err(|e| {
            SyntaxError::at(
                Pos {
                    line: e.marker().line(),
                    column: e.marker().col() + 1,
                },
                format!("invalid YAML: {}", e.info()),
            )
        })?;
        let pos = Pos {
            line: span.start.line(),
            column: span.start.col() + 1,
        };
        let node = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing | Event::DocumentEnd => continue,
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    return Err(SyntaxError::at(
                        pos,
                        "more than one YAML document; write a single one",
                    ));
                }
                continue;
            }
            Event::Alias(_) => {
                return Err(SyntaxError::at(
                    pos,
                    "YAML aliases (*name) are not supported; write the value out",
                ));
            }
            Event::Scalar(value, style, _anchor, tag) => {
                let forced_string = tag
                    .as_ref()
                    .is_some_and(|t| t.suffix == "str" || t.suffix.ends_with(":str"));
                let value = match (style, value) {
                    (ScalarStyle::Plain, v) if !forced_string => resolve_plain(&v),
                    (_, Cow::Borrowed(v)) => Value::Str(v.to_string()),
                    (_, Cow::Owned(v)) => Value::Str(v),
                };
                Node { value, pos }
            }
            Event::SequenceStart(..) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(SyntaxError::at(pos, "nesting is too deep"));
                }
                stack.push(Open::Seq(pos, Vec::new()));
                continue;
            }
            Event::MappingStart(..) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(SyntaxError::at(pos, "nesting is too deep"));
                }
                stack.push(Open::Map(pos, Vec::new(), None));
                continue;
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Open::Seq(start, items)) => Node {
                    value: Value::Seq(items),
                    pos: start,
                },
                _ => return Err(SyntaxError::at(pos, "invalid YAML: unbalanced sequence")),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Open::Map(start, entries, None)) => Node {
                    value: Value::Map(entries),
                    pos: start,
                },
                _ => return Err(SyntaxError::at(pos, "invalid YAML: unbalanced mapping")),
            },
        };
        match stack.last_mut() {
            None => root = Some(node),
            Some(Open::Seq(_, items)) => items.push(node),
            Some(Open::Map(_, entries, pending)) => match pending.take() {
                Some(key) => entries.push((key, node)),
                None => {
                    let name = match node.value {
                        Value::Str(s) => s,
                        Value::Int(i) => i.to_string(),
                        Value::Bool(b) => b.to_string(),
                        Value::Null => String::new(),
                        Value::Float(_) | Value::Seq(_) | Value::Map(_) => {
                            return Err(SyntaxError::at(
                                node.pos,
                                format!(
                                    "a mapping key must be a string, found {}",
                                    node.type_name()
                                ),
                            ));
                        }
                    };
                    if name == "<<" {
                        return Err(SyntaxError::at(
                            node.pos,
                            "YAML merge keys (<<) are not supported; write the keys out",
                        ));
                    }
                    *pending = Some(Key {
                        name,
                        pos: node.pos,
                    });
                }
            },
        }
    }
    Ok(root)
}
