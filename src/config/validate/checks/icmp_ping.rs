//! `icmp_ping`: iCMP echo replies come back.

use std::net::IpAddr;

use super::super::primitives::is_dns_name;
use super::super::{Ctx, Obj};
use super::{INTERVAL, TIMEOUT, TRIES};
use crate::config::error::ConfigErrorKind;
use crate::config::keys::{Key, Table, Type};
use crate::config::model::*;

/// The keys of an `icmp_ping` spec (`config::keys` says how to add one).
pub(super) const KEYS: Table = Table {
    doc: "ICMP echo replies come back.",
    keys: &[
        Key::req("static", Type::Object(&STATIC), "the target"),
        Key::opt(
            "max_loss",
            Type::Number {
                min: 0.0,
                max: 100.0,
            },
            "extension, percent lost that still passes, default 0",
        ),
        TRIES,
        INTERVAL,
        TIMEOUT,
    ],
};

/// The target of a ping.
const STATIC: Table = Table {
    doc: "the target",
    keys: &[Key::req("host", Type::String, "host name or address")],
};

impl Ctx<'_> {
    /// Reads an `icmp_ping` spec.
    pub(super) fn icmp_ping(&mut self, obj: &Obj<'_>) -> Option<CheckSpec> {
        let host = obj.get("static").and_then(|n| {
            let sf = obj.f("static");
            let s = self.object(n, &sf, &STATIC)?;
            s.get("host").and_then(|h| {
                let field = s.f("host");
                let host = self.nonempty_string(h, &field)?;
                if host.parse::<IpAddr>().is_err() && !is_dns_name(&host) {
                    self.err(
                        h.pos,
                        &field,
                        ConfigErrorKind::NotA {
                            value: host,
                            what: "a host name or IP address".to_string(),
                            hint: None,
                        },
                    );
                    return None;
                }
                Some(host)
            })
        });
        let max_loss = match obj.get("max_loss") {
            None => Some(0.0),
            Some(n) => self.number(n, &obj.f("max_loss"), 0.0, 100.0),
        };
        let retry = self.retry(obj);
        let retry = retry?;
        let spec = CheckSpec::IcmpPing(IcmpPingSpec {
            host: host?,
            count: retry.tries,
            interval: retry.interval,
            timeout: retry.timeout,
            max_loss_percent: max_loss?,
        });
        Some(spec)
    }
}
