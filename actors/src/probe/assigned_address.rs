//! `assigned_address`: passes while the address is configured on an interface (on `interface` when
//! given) and that interface is up: the kernel marks it `RUNNING` (administratively up with its
//! lower layer up; loopback and dummy interfaces are `RUNNING` as soon as they are set up).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use anycastd::config::model::AssignedAddressSpec;
use anycastd::health::Outcome;

/// Runs one `assigned_address` probe (a netlink/getifaddrs read, no waiting).
pub(super) fn probe(spec: &AssignedAddressSpec) -> Outcome {
    let interfaces = match if_addrs::get_if_addrs() {
        Ok(interfaces) => interfaces,
        Err(e) => return Outcome::Inconclusive(format!("cannot list network interfaces: {e}")),
    };
    let holders: Vec<&if_addrs::Interface> = interfaces
        .iter()
        .filter(|i| i.ip() == spec.address)
        .collect();
    let address = spec.address;
    let candidates: Vec<&&if_addrs::Interface> = match &spec.interface {
        Some(name) => holders.iter().filter(|i| &i.name == name).collect(),
        None => holders.iter().collect(),
    };
    if candidates.is_empty() {
        return match (&spec.interface, holders.first()) {
            (_, None) => Outcome::Fail(format!("{address} is not configured on any interface")),
            (Some(name), Some(other)) => Outcome::Fail(format!(
                "{address} is configured on {}, not on {name}",
                other.name
            )),
            (None, Some(_)) => {
                Outcome::Fail(format!("{address} is not configured on any interface"))
            }
        };
    }
    if candidates.iter().any(|i| i.is_oper_up()) {
        return Outcome::Pass;
    }
    let names: Vec<&str> = candidates.iter().map(|i| i.name.as_str()).collect();
    Outcome::Fail(format!(
        "{address} is configured on {}, which is down",
        names.join(", ")
    ))
}
