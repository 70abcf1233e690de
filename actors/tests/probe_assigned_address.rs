//! `assigned_address` on loopback addresses, and on one end of a veth pair set up and down inside a
//! network namespace created here.

mod common;

use anycastd::config::model::{AssignedAddressSpec, CheckSpec};
use anycastd::health::Outcome;
use anycastd_actors::probe;
use common::{IN_NETNS, Netns, block_on, in_netns};

fn run(address: &str, interface: Option<&str>) -> Outcome {
    let spec = CheckSpec::AssignedAddress(AssignedAddressSpec {
        address: address.parse().expect("address"),
        interface: interface.map(str::to_owned),
    });
    let (_registry, cx) = common::context("addr");
    block_on(probe::run(&spec, &cx))
}

#[test]
fn loopback_addresses_pass_and_others_fail() {
    assert_eq!(run("127.0.0.1", None), Outcome::Pass);
    assert_eq!(run("127.0.0.1", Some("lo")), Outcome::Pass);
    assert_eq!(run("::1", Some("lo")), Outcome::Pass);
    assert!(
        matches!(run("127.0.0.1", Some("acd-none0")), Outcome::Fail(r) if r.contains("not on acd-none0"))
    );
    // 127.0.0.2 answers on lo (127/8 is routed there) but is not an assigned address.
    assert!(matches!(run("127.0.0.2", None), Outcome::Fail(r) if r.contains("not configured")));
}

#[test]
fn an_interface_set_down_fails() {
    if let Ok(phase) = std::env::var(IN_NETNS) {
        let outcome = run("192.0.2.1", Some("acd0"));
        match phase.as_str() {
            "up" => assert_eq!(outcome, Outcome::Pass),
            _ => assert!(
                matches!(outcome, Outcome::Fail(ref r) if r.contains("down")),
                "{outcome:?}"
            ),
        }
        return;
    }
    assert!(!in_netns());
    let ns = Netns::new("addr");
    ns.exec(&[
        "link", "add", "acd0", "type", "veth", "peer", "name", "acd1",
    ]);
    ns.exec(&["link", "set", "acd1", "up"]);
    ns.exec(&["addr", "add", "192.0.2.1/24", "dev", "acd0"]);
    ns.exec(&["link", "set", "acd0", "up"]);
    ns.run_test("an_interface_set_down_fails", &[(IN_NETNS, "up")], &[]);
    ns.exec(&["link", "set", "acd0", "down"]);
    ns.run_test("an_interface_set_down_fails", &[(IN_NETNS, "down")], &[]);
}
