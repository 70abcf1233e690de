//! `tftp_rrq`: a TFTP read request returns the file (RFC 1350).

use super::super::primitives::split_host_port;
use super::super::{Ctx, Obj};
use super::{INTERVAL, TIMEOUT, TRIES};
use crate::config::error::ConfigErrorKind;
use crate::config::keys::{Key, Table, Type};
use crate::config::model::*;

/// The keys of a `tftp_rrq` spec (`config::keys` says how to add one).
pub(super) const KEYS: Table = Table {
    doc: "A TFTP read request returns the file (RFC 1350).",
    keys: &[
        Key::req("url", Type::String, "tftp://host[:port]/file"),
        Key::opt(
            "expected_sha256",
            Type::Schema(sha256),
            "SHA-256 of the file",
        ),
        Key::opt(
            "min_size",
            Type::Int {
                min: 0,
                max: u64::MAX,
            },
            "extension: smallest size in bytes",
        ),
        TRIES,
        INTERVAL,
        TIMEOUT,
    ],
};

/// 64 hexadecimal digits.
fn sha256() -> serde_json::Value {
    serde_json::json!({"type": "string", "pattern": "^[0-9a-fA-F]{64}$"})
}

impl Ctx<'_> {
    /// Reads a `tftp_rrq` spec.
    pub(super) fn tftp_rrq(&mut self, obj: &Obj<'_>) -> Option<CheckSpec> {
        let target = obj.get("url").and_then(|n| {
            let field = obj.f("url");
            let u = self.nonempty_string(n, &field)?;
            let rest = u
                .get(..7)
                .filter(|s| s.eq_ignore_ascii_case("tftp://"))
                .and_then(|_| u.get(7..));
            let Some(rest) = rest else {
                self.err(
                    n.pos,
                    &field,
                    ConfigErrorKind::NotA {
                        value: u,
                        what: "a tftp://host[:port]/file URL".to_string(),
                        hint: None,
                    },
                );
                return None;
            };
            let (authority, file) = rest.split_once('/').unwrap_or((rest, ""));
            if file.is_empty() {
                self.err(n.pos, &field, ConfigErrorKind::UrlWithoutFile(u));
                return None;
            }
            match split_host_port(authority, Some(69)) {
                Ok((host, port)) => Some((host, port, file.to_string())),
                Err(message) => {
                    self.err(n.pos, &field, ConfigErrorKind::HostPort(message));
                    None
                }
            }
        });
        let expected_sha256 = match obj.get("expected_sha256") {
            None => Some(None),
            Some(n) => {
                let field = obj.f("expected_sha256");
                self.string(n, &field).and_then(|s| {
                    if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
                        Some(Some(s.to_ascii_lowercase()))
                    } else {
                        self.err(n.pos, &field, ConfigErrorKind::NotSha256);
                        None
                    }
                })
            }
        };
        let min_size = match obj.get("min_size") {
            None => Some(None),
            Some(n) => self
                .int(n, &obj.f("min_size"), 0, i128::from(u64::MAX))
                .and_then(|v| u64::try_from(v).ok())
                .map(Some),
        };
        let retry = self.retry(obj);
        let (host, port, file) = target?;
        let spec = CheckSpec::TftpRrq(TftpRrqSpec {
            host,
            port,
            file,
            expected_sha256: expected_sha256?,
            min_size: min_size?,
            retry: retry?,
        });
        Some(spec)
    }
}
