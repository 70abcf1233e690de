//! `ntpq`: an NTP server answers within an offset.

use std::net::IpAddr;

use super::super::primitives::{is_dns_name, split_host_port};
use super::super::{Ctx, Obj};
use super::{INTERVAL, TIMEOUT, TRIES};
use crate::config::error::ConfigErrorKind;
use crate::config::keys::{Key, Range, Table, Type};
use crate::config::model::*;

/// The keys of a `ntpq` spec (`config::keys` says how to add one).
pub(super) const KEYS: Table = Table {
    doc: "An NTP server answers within an offset.",
    keys: &[
        Key::req("server", Type::String, "host[:port], port 123 by default"),
        Key::opt("src_addr", Type::Ip, "source address"),
        Key::req(
            "offset_threshold",
            Type::Duration(Range::OFFSET),
            "largest accepted offset",
        ),
        TRIES,
        INTERVAL,
        TIMEOUT,
    ],
};

impl Ctx<'_> {
    /// Reads a `ntpq` spec.
    pub(super) fn ntpq(&mut self, obj: &Obj<'_>) -> Option<CheckSpec> {
        let server = obj.get("server").and_then(|n| {
            let field = obj.f("server");
            let s = self.nonempty_string(n, &field)?;
            match split_host_port(&s, Some(123)) {
                Ok((host, port)) if host.parse::<IpAddr>().is_ok() || is_dns_name(&host) => {
                    Some((host, port))
                }
                Ok((host, _)) => {
                    self.err(
                        n.pos,
                        &field,
                        ConfigErrorKind::NotA {
                            value: host,
                            what: "a host name or IP address".to_string(),
                            hint: None,
                        },
                    );
                    None
                }
                Err(message) => {
                    self.err(n.pos, &field, ConfigErrorKind::HostPort(message));
                    None
                }
            }
        });
        let src_addr = match obj.get("src_addr") {
            None => Some(None),
            Some(n) => self.ip(n, &obj.f("src_addr")).map(Some),
        };
        let offset_threshold = self.duration(obj, "offset_threshold").flatten();
        let retry = self.retry(obj);
        let (server, port) = server?;
        let spec = CheckSpec::Ntpq(NtpqSpec {
            server,
            port,
            src_addr: src_addr?,
            offset_threshold: offset_threshold?,
            retry: retry?,
        });
        Some(spec)
    }
}
