//! `tls_certificate`: a certificate (local file or remote server) matches (local or remote, not both).

use std::path::PathBuf;
use std::time::Duration;

use super::super::primitives::split_host_port;
use super::super::{Ctx, Obj};
use crate::config::error::ConfigErrorKind;
use crate::config::keys::{Key, Range, Table, Type};
use crate::config::model::*;

/// The keys of a `tls_certificate` spec (`config::keys` says how to add one).
pub(super) const KEYS: Table = Table {
    doc: "A certificate (local file or remote server) matches (local or remote, not both).",
    keys: &[
        Key::opt("local", Type::Object(&LOCAL), "a PEM file"),
        Key::opt("remote", Type::Object(&REMOTE), "a TLS server"),
        Key::opt("common_name", Type::String, "expected subject CN"),
        Key::opt(
            "dns_names",
            Type::Strings { min_items: 0 },
            "expected DNS SANs",
        ),
        Key::opt(
            "ip_addresses",
            Type::Strings { min_items: 0 },
            "expected IP SANs",
        ),
        Key::opt("issuer", Type::String, "expected issuer CN"),
        Key::opt(
            "expires_in_less_than",
            Type::Duration(Range::CERTIFICATE),
            "extension: fail when it expires sooner",
        ),
        Key::opt(
            "ca_file",
            Type::String,
            "extension: CA bundle to verify against",
        ),
        Key::opt(
            "timeout",
            Type::Duration(Range::TIMEOUT),
            "extension, default 5s",
        ),
    ],
};

/// A certificate in a file.
const LOCAL: Table = Table {
    doc: "a PEM file",
    keys: &[Key::req("path", Type::String, "path of the certificate")],
};

/// A certificate a server presents.
const REMOTE: Table = Table {
    doc: "a TLS server",
    keys: &[
        Key::req("host", Type::String, "host:port"),
        Key::opt("insecure", Type::Bool, "skip chain verification"),
        Key::opt(
            "server_name",
            Type::String,
            "extension: SNI and name to verify",
        ),
    ],
};

impl Ctx<'_> {
    /// Reads a `tls_certificate` spec.
    pub(super) fn tls_certificate(&mut self, obj: &Obj<'_>) -> Option<CheckSpec> {
        let mut ok = true;
        let source = match (obj.get("local"), obj.get("remote")) {
            (Some(_), Some(_)) => {
                self.err(
                    obj.key_pos("remote"),
                    &obj.f("remote"),
                    ConfigErrorKind::Exclusive {
                        first: "local",
                        second: "remote",
                    },
                );
                None
            }
            (None, None) => {
                self.err(
                    obj.pos,
                    &obj.field,
                    ConfigErrorKind::NeitherGiven {
                        first: "remote",
                        second: "local",
                    },
                );
                None
            }
            (Some(n), None) => {
                let lf = obj.f("local");
                self.object(n, &lf, &LOCAL).and_then(|l| {
                    let path = l
                        .get("path")
                        .and_then(|p| self.nonempty_string(p, &l.f("path")))?;
                    Some(TlsSource::Local {
                        path: PathBuf::from(path),
                    })
                })
            }
            (None, Some(n)) => {
                let rf = obj.f("remote");
                self.object(n, &rf, &REMOTE).and_then(|r| {
                    let host = r.get("host").and_then(|h| {
                        let field = r.f("host");
                        let s = self.nonempty_string(h, &field)?;
                        match split_host_port(&s, None) {
                            Ok(_) => Some(s),
                            Err(message) => {
                                self.err(h.pos, &field, ConfigErrorKind::HostPort(message));
                                None
                            }
                        }
                    });
                    let insecure = match r.get("insecure") {
                        None => Some(false),
                        Some(b) => self.boolean(b, &r.f("insecure")),
                    };
                    let mut rok = true;
                    let server_name = self.opt_string(&r, "server_name", &mut rok);
                    if !rok {
                        return None;
                    }
                    Some(TlsSource::Remote {
                        host: host?,
                        insecure: insecure?,
                        server_name,
                    })
                })
            }
        };
        let common_name = self.opt_string(obj, "common_name", &mut ok);
        let issuer = self.opt_string(obj, "issuer", &mut ok);
        let dns_names = match obj.get("dns_names") {
            None => Some(Vec::new()),
            Some(n) => self.string_list(n, &obj.f("dns_names")),
        };
        let ip_addresses = match obj.get("ip_addresses") {
            None => Some(Vec::new()),
            Some(n) => {
                let field = obj.f("ip_addresses");
                self.list(n, &field).and_then(|items| {
                    let mut out = Vec::new();
                    let mut lok = true;
                    for (i, item) in items.iter().enumerate() {
                        match self.ip(item, &format!("{field}[{i}]")) {
                            Some(ip) => out.push(ip),
                            None => lok = false,
                        }
                    }
                    lok.then_some(out)
                })
            }
        };
        let expires_in_less_than = self.duration(obj, "expires_in_less_than");
        let ca_file = self.opt_string(obj, "ca_file", &mut ok).map(PathBuf::from);
        let timeout = self.duration_or(obj, "timeout", Duration::from_secs(5), &mut ok);
        let spec = CheckSpec::TlsCertificate(TlsCertificateSpec {
            source: source?,
            common_name,
            dns_names: dns_names?,
            ip_addresses: ip_addresses?,
            issuer,
            expires_in_less_than: expires_in_less_than?,
            ca_file,
            timeout,
        });
        ok.then_some(spec)
    }
}
