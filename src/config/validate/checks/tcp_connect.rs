//! `tcp_connect`: extension: a TCP connection is accepted.

use std::time::Duration;

use super::super::primitives::split_host_port;
use super::super::{Ctx, Obj};
use crate::config::error::ConfigErrorKind;
use crate::config::keys::{Key, Range, Table, Type};
use crate::config::model::*;

/// The keys of a `tcp_connect` spec (`config::keys` says how to add one).
pub(super) const KEYS: Table = Table {
    doc: "extension: a TCP connection is accepted.",
    keys: &[
        Key::req("address", Type::String, "host:port"),
        Key::opt("timeout", Type::Duration(Range::TIMEOUT), "default 2s"),
    ],
};

impl Ctx<'_> {
    /// Reads a `tcp_connect` spec.
    pub(super) fn tcp_connect(&mut self, obj: &Obj<'_>) -> Option<CheckSpec> {
        let mut ok = true;
        let address = obj.get("address").and_then(|n| {
            let field = obj.f("address");
            let s = self.nonempty_string(n, &field)?;
            match split_host_port(&s, None) {
                Ok(_) => Some(s),
                Err(message) => {
                    self.err(n.pos, &field, ConfigErrorKind::HostPort(message));
                    None
                }
            }
        });
        let timeout = self.duration_or(obj, "timeout", Duration::from_secs(2), &mut ok);
        let spec = CheckSpec::TcpConnect(TcpConnectSpec {
            address: address?,
            timeout,
        });
        ok.then_some(spec)
    }
}
