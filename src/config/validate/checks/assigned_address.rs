//! `assigned_address`: the address is configured on an interface (ipv4 or ipv6, not both).

use std::net::IpAddr;

use super::super::{Ctx, Obj};
use crate::config::error::ConfigErrorKind;
use crate::config::keys::{Key, Table, Type};
use crate::config::model::*;

/// The keys of an `assigned_address` spec (`config::keys` says how to add one).
pub(super) const KEYS: Table = Table {
    doc: "The address is configured on an interface (ipv4 or ipv6, not both).",
    keys: &[
        Key::opt("ipv4", Type::Ipv4, "the address"),
        Key::opt("ipv6", Type::Ipv6, "extension: the address"),
        Key::opt("interface", Type::String, "only on this interface"),
    ],
};

impl Ctx<'_> {
    /// Reads an `assigned_address` spec.
    pub(super) fn assigned_address(&mut self, obj: &Obj<'_>) -> Option<CheckSpec> {
        let mut ok = true;
        let interface = self.opt_string(obj, "interface", &mut ok);
        let address = match (obj.get("ipv4"), obj.get("ipv6")) {
            (Some(n), None) => self.ipv4(n, &obj.f("ipv4")).map(IpAddr::V4),
            (None, Some(n)) => self.ipv6(n, &obj.f("ipv6")).map(IpAddr::V6),
            (Some(_), Some(_)) => {
                self.err(
                    obj.key_pos("ipv6"),
                    &obj.f("ipv6"),
                    ConfigErrorKind::Exclusive {
                        first: "ipv4",
                        second: "ipv6",
                    },
                );
                None
            }
            (None, None) => {
                self.err(
                    obj.pos,
                    &obj.field,
                    ConfigErrorKind::MissingKey("ipv4".to_string()),
                );
                None
            }
        };
        let spec = CheckSpec::AssignedAddress(AssignedAddressSpec {
            address: address?,
            interface,
        });
        ok.then_some(spec)
    }
}
