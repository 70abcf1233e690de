//! `http_2xx`: an HTTP request gets an expected status.

use std::collections::BTreeMap;

use super::super::primitives::{is_token, split_host_port};
use super::super::{Ctx, Obj};
use super::{INTERVAL, TIMEOUT, TRIES};
use crate::config::error::ConfigErrorKind;
use crate::config::keys::{Key, Table, Type};
use crate::config::model::*;
use crate::config::tree::{Node, Value};

/// The keys of a `http_2xx` spec (`config::keys` says how to add one).
pub(super) const KEYS: Table = Table {
    doc: "An HTTP request gets an expected status.",
    keys: &[
        Key::req("url", Type::String, "absolute http:// or https:// URL"),
        Key::req("method", Type::String, "HTTP method"),
        Key::opt("headers", Type::StringMap, "request headers"),
        Key::opt("payload", Type::Text, "request body"),
        Key::opt(
            "expected_status",
            Type::Schema(expected_status),
            "extension: codes and ranges, default 200-299",
        ),
        Key::opt(
            "body_contains",
            Type::String,
            "extension: text the body must contain",
        ),
        Key::opt(
            "insecure",
            Type::Bool,
            "extension: skip TLS verification, default false",
        ),
        Key::opt(
            "follow_redirects",
            Type::Bool,
            "extension: follow redirects as the Go daemon did (up to 10 requests), default true",
        ),
        TRIES,
        INTERVAL,
        TIMEOUT,
    ],
};

/// Status codes (100..=599) and ranges such as `"200-299"`.
fn expected_status() -> serde_json::Value {
    serde_json::json!({"type": "array", "items": {"anyOf": [
        {"type": "integer", "minimum": 100, "maximum": 599},
        {"type": "string", "pattern": "^[0-9]{3}(-[0-9]{3})?$"}]}})
}

impl Ctx<'_> {
    /// Reads a `http_2xx` spec.
    pub(super) fn http_2xx(&mut self, obj: &Obj<'_>) -> Option<CheckSpec> {
        let mut ok = true;
        let url = obj.get("url").and_then(|n| {
            let field = obj.f("url");
            let u = self.nonempty_string(n, &field)?;
            let lower = u.to_ascii_lowercase();
            let rest = lower
                .strip_prefix("http://")
                .or_else(|| lower.strip_prefix("https://"));
            match rest {
                None => {
                    self.err(
                        n.pos,
                        &field,
                        ConfigErrorKind::NotA {
                            value: u,
                            what: "an absolute http:// or https:// URL".to_string(),
                            hint: None,
                        },
                    );
                    None
                }
                Some(rest) => {
                    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
                    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
                    if host.is_empty() || u.contains(char::is_whitespace) {
                        self.err(n.pos, &field, ConfigErrorKind::UrlWithoutHost(u));
                        None
                    } else if let Err(message) = split_host_port(host, Some(80)) {
                        self.err(n.pos, &field, ConfigErrorKind::UrlHost(message));
                        None
                    } else {
                        Some(u)
                    }
                }
            }
        });
        let method = obj.get("method").and_then(|n| {
            let field = obj.f("method");
            let m = self.string(n, &field)?;
            if !is_token(&m) {
                self.err(
                    n.pos,
                    &field,
                    ConfigErrorKind::NotA {
                        value: m,
                        what: "an HTTP method".to_string(),
                        hint: None,
                    },
                );
                return None;
            }
            Some(m)
        });
        let headers = match obj.get("headers") {
            None => Some(BTreeMap::new()),
            Some(n) => {
                let field = obj.f("headers");
                let h = self.string_map(n, &field);
                if let Some(h) = &h {
                    for name in h.keys() {
                        if !is_token(name) {
                            self.err(
                                n.pos,
                                &field,
                                ConfigErrorKind::NotA {
                                    value: name.clone(),
                                    what: "a valid header name".to_string(),
                                    hint: None,
                                },
                            );
                            ok = false;
                        }
                    }
                }
                h
            }
        };
        let payload = match obj.get("payload") {
            None => Some(None),
            Some(n) => self.string(n, &obj.f("payload")).map(Some),
        };
        let expected_status = match obj.get("expected_status") {
            None => Some(vec![(200, 299)]),
            Some(n) => self.status_ranges(n, &obj.f("expected_status")),
        };
        let body_contains = self.opt_string(obj, "body_contains", &mut ok);
        let insecure = match obj.get("insecure") {
            None => Some(false),
            Some(n) => self.boolean(n, &obj.f("insecure")),
        };
        let follow_redirects = match obj.get("follow_redirects") {
            None => Some(true),
            Some(n) => self.boolean(n, &obj.f("follow_redirects")),
        };
        let retry = self.retry(obj);
        let spec = CheckSpec::Http2xx(Http2xxSpec {
            url: url?,
            method: method?,
            headers: headers?,
            payload: payload?,
            expected_status: expected_status?,
            body_contains,
            insecure: insecure?,
            follow_redirects: follow_redirects?,
            retry: retry?,
        });
        ok.then_some(spec)
    }

    fn status_ranges(&mut self, node: &Node, field: &str) -> Option<Vec<(u16, u16)>> {
        let items = self.list(node, field)?;
        if items.is_empty() {
            self.err(
                node.pos,
                field,
                ConfigErrorKind::Empty {
                    hint: Some("omit it for 200-299"),
                },
            );
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let sub = format!("{field}[{i}]");
            let range = match &item.value {
                Value::Int(_) => self
                    .int(item, &sub, 100, 599)
                    .and_then(|v| u16::try_from(v).ok())
                    .map(|v| (v, v)),
                Value::Str(s) => {
                    let parsed = s.split_once('-').and_then(|(a, b)| {
                        Some((a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?))
                    });
                    match parsed {
                        Some((lo, hi)) if (100..=599).contains(&lo) && (lo..=599).contains(&hi) => {
                            Some((lo, hi))
                        }
                        _ => {
                            self.err(
                                item.pos,
                                &sub,
                                ConfigErrorKind::NotA {
                                    value: s.clone(),
                                    what: "a status code range such as \"200-299\" within 100-599"
                                        .to_string(),
                                    hint: None,
                                },
                            );
                            None
                        }
                    }
                }
                _ => {
                    self.wrong_type(
                        item,
                        &sub,
                        "a status code or a range such as \"200-299\"",
                        None,
                    );
                    None
                }
            };
            match range {
                Some(r) => out.push(r),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }
}
