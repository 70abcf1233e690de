//! The harness itself, checked with two real routers: gobgpd in the daemon namespace announces to BIRD
//! and to a second gobgpd in the router namespace, and the parsed RIBs show what was sent.

use std::time::Duration;

use crate::harness::bird::Bird;
use crate::harness::gobgp::{self, Gobgp, GobgpPeer};
use crate::harness::netns::{DAEMON_V4, DAEMON_V6, Lab, ROUTER_V4, ROUTER_V6};
use crate::harness::{Router, Scratch};

fn speaker(lab: &Lab, scratch: &Scratch) -> Gobgp {
    // The router's side of the lab as gobgpd's neighbours, connected to by gobgpd.
    let router = |address: &str| GobgpPeer {
        asn: 65000,
        passive: false,
        ..GobgpPeer::ours(address)
    };
    let peers = [router(ROUTER_V4), router(ROUTER_V6)];
    let speaker = Gobgp::start(
        &lab.daemon,
        scratch,
        &gobgp::config(65001, DAEMON_V4, &[DAEMON_V4, DAEMON_V6], &peers),
    );
    speaker
        .cli(&["global", "rib", "add", "-a", "ipv4", "192.0.2.1/32"])
        .unwrap_or_else(|e| panic!("{e}"));
    speaker
        .cli(&["global", "rib", "add", "-a", "ipv6", "2001:db8::1/128"])
        .unwrap_or_else(|e| panic!("{e}"));
    speaker
}

/// gobgpd in the daemon namespace announces to `router`, whose sessions to it are `r4` and `r6`:
/// both routes arrive with gobgpd's next hops and AS path, and the IPv4 session stays put.
fn sees_the_speakers_routes(lab: &Lab, router: &impl Router, r4: &str, r6: &str) {
    let speaker_dir = Scratch::new(&format!("acd-peer-{}-speaker", lab.tag));
    let _speaker = speaker(lab, &speaker_dir);
    router.wait_established(r4, Duration::from_secs(30));
    router.wait_established(r6, Duration::from_secs(30));
    let within = Duration::from_secs(10);
    router.wait_route_via("192.0.2.1/32", DAEMON_V4, &[65001], within);
    router.wait_route_via("2001:db8::1/128", DAEMON_V6, &[65001], within);
    let since = router.since(r4).unwrap_or_else(|e| panic!("{e}"));
    router.holds_session(r4, since, Duration::from_secs(1));
}

#[test]
fn bird_harness_sees_routes_next_hops_and_as_paths_from_gobgpd() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-bird", lab.tag));
    let bird = Bird::dual_stack(&lab, &scratch);
    sees_the_speakers_routes(&lab, &bird, "r4", "r6");
}

#[test]
fn gobgp_harness_sees_routes_next_hops_and_as_paths_from_gobgpd() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-gobgp", lab.tag));
    let router = Gobgp::for_daemon(&lab, &scratch);
    sees_the_speakers_routes(&lab, &router, DAEMON_V4, DAEMON_V6);
}
