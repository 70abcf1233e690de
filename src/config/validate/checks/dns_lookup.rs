//! `dns_lookup`: a DNS query is answered.

use std::net::IpAddr;

use super::super::primitives::is_dns_name;
use super::super::{Ctx, Obj};
use super::{INTERVAL, TIMEOUT, TRIES};
use crate::config::error::ConfigErrorKind;
use crate::config::keys::{Key, Table, Type};
use crate::config::model::*;

/// The keys of a `dns_lookup` spec (`config::keys` says how to add one).
pub(super) const KEYS: Table = Table {
    doc: "A DNS query is answered.",
    keys: &[
        Key::req("query", Type::String, "the name to look up"),
        Key::req(
            "resolver",
            Type::String,
            "server, host[:port], port 53 by default",
        ),
        Key::opt(
            "record_type",
            Type::OneOf(&[
                "host", "A", "AAAA", "CNAME", "MX", "NS", "TXT", "SRV", "SOA", "PTR",
            ]),
            "extension, any case, default host",
        ),
        Key::opt(
            "expect",
            Type::Strings { min_items: 0 },
            "extension: answers that must be present",
        ),
        Key::opt(
            "protocol",
            Type::OneOf(&["udp", "tcp"]),
            "extension, default udp",
        ),
        TRIES,
        INTERVAL,
        TIMEOUT,
    ],
};

impl Ctx<'_> {
    /// Reads a `dns_lookup` spec.
    pub(super) fn dns_lookup(&mut self, obj: &Obj<'_>) -> Option<CheckSpec> {
        let query = obj.get("query").and_then(|n| {
            let field = obj.f("query");
            let q = self.nonempty_string(n, &field)?;
            if q.parse::<IpAddr>().is_ok() || !is_dns_name(&q) {
                self.err(
                    n.pos,
                    &field,
                    ConfigErrorKind::NotA {
                        value: q,
                        what: "a DNS name".to_string(),
                        hint: None,
                    },
                );
                return None;
            }
            Some(q)
        });
        let resolver = obj
            .get("resolver")
            .and_then(|n| self.socket_addr(n, &obj.f("resolver"), "127.0.0.1:53"));
        let record_type = match obj.get("record_type") {
            None => Some(DnsRecordType::Host),
            Some(n) => {
                let field = obj.f("record_type");
                self.string(n, &field).and_then(|s| {
                    let t = match s.to_ascii_uppercase().as_str() {
                        "HOST" => DnsRecordType::Host,
                        "A" => DnsRecordType::A,
                        "AAAA" => DnsRecordType::Aaaa,
                        "CNAME" => DnsRecordType::Cname,
                        "MX" => DnsRecordType::Mx,
                        "NS" => DnsRecordType::Ns,
                        "TXT" => DnsRecordType::Txt,
                        "SRV" => DnsRecordType::Srv,
                        "SOA" => DnsRecordType::Soa,
                        "PTR" => DnsRecordType::Ptr,
                        _ => {
                            self.err(
                                n.pos,
                                &field,
                                ConfigErrorKind::Unknown {
                                    what: "record type",
                                    value: s,
                                    suggestion: None,
                                    expected: "host, A, AAAA, CNAME, MX, NS, TXT, SRV, SOA or PTR"
                                        .to_string(),
                                },
                            );
                            return None;
                        }
                    };
                    Some(t)
                })
            }
        };
        let expect = match obj.get("expect") {
            None => Some(Vec::new()),
            Some(n) => self.string_list(n, &obj.f("expect")),
        };
        let protocol = match obj.get("protocol") {
            None => Some(DnsProtocol::Udp),
            Some(n) => {
                let field = obj.f("protocol");
                self.string(n, &field)
                    .and_then(|s| match s.to_ascii_lowercase().as_str() {
                        "udp" => Some(DnsProtocol::Udp),
                        "tcp" => Some(DnsProtocol::Tcp),
                        _ => {
                            self.err(
                                n.pos,
                                &field,
                                ConfigErrorKind::Unknown {
                                    what: "protocol",
                                    value: s,
                                    suggestion: None,
                                    expected: "udp or tcp".to_string(),
                                },
                            );
                            None
                        }
                    })
            }
        };
        let retry = self.retry(obj);
        let spec = CheckSpec::DnsLookup(DnsLookupSpec {
            query: query?,
            resolver: resolver?,
            record_type: record_type?,
            expect: expect?,
            protocol: protocol?,
            retry: retry?,
        });
        Some(spec)
    }
}
