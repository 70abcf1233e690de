//! The harness itself, checked with two real routers: gobgpd in the daemon namespace announces to BIRD
//! and to a second gobgpd in the router namespace, and the parsed RIBs show what was sent.

use std::time::Duration;

use crate::harness::bird::{Bird, BirdPeer};
use crate::harness::gobgp::{self, Gobgp, GobgpPeer};
use crate::harness::netns::{DAEMON_V4, DAEMON_V6, Lab, ROUTER_V4, ROUTER_V6};
use crate::harness::{Scratch, holds_for};

fn speaker(lab: &Lab, scratch: &Scratch) -> Gobgp {
    let peers = [
        GobgpPeer {
            address: ROUTER_V4.into(),
            asn: 65000,
            passive: false,
            hold_time: 9,
        },
        GobgpPeer {
            address: ROUTER_V6.into(),
            asn: 65000,
            passive: false,
            hold_time: 9,
        },
    ];
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

#[test]
fn bird_harness_sees_routes_next_hops_and_as_paths_from_gobgpd() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-bird", lab.tag));
    let bird = Bird::start(
        &lab,
        &scratch,
        ROUTER_V4,
        &[
            BirdPeer::new("v4", ROUTER_V4, DAEMON_V4),
            BirdPeer::new("v6", ROUTER_V6, DAEMON_V6),
        ],
    );
    let speaker_dir = Scratch::new(&format!("acd-peer-{}-speaker", lab.tag));
    let _speaker = speaker(&lab, &speaker_dir);
    bird.wait_established("v4", Duration::from_secs(30));
    bird.wait_established("v6", Duration::from_secs(30));
    let v4 = bird.wait_route("192.0.2.1/32", Duration::from_secs(10));
    assert_eq!(
        (v4.next_hop.as_str(), v4.as_path.as_slice()),
        (DAEMON_V4, &[65001][..]),
        "{}",
        bird.dump()
    );
    let v6 = bird.wait_route("2001:db8::1/128", Duration::from_secs(10));
    assert_eq!(
        (v6.next_hop.as_str(), v6.as_path.as_slice()),
        (DAEMON_V6, &[65001][..]),
        "{}",
        bird.dump()
    );
    let since = bird.since("v4").unwrap_or_else(|e| panic!("{e}"));
    holds_for(Duration::from_secs(1), "the v4 session", || {
        match bird.since("v4") {
            Ok(now) if now == since => Ok(()),
            _ => Err(bird.dump()),
        }
    });
}

#[test]
fn gobgp_harness_sees_routes_next_hops_and_as_paths_from_gobgpd() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-gobgp", lab.tag));
    let peers = [
        GobgpPeer {
            address: DAEMON_V4.into(),
            asn: 65001,
            passive: true,
            hold_time: 9,
        },
        GobgpPeer {
            address: DAEMON_V6.into(),
            asn: 65001,
            passive: true,
            hold_time: 9,
        },
    ];
    let router = Gobgp::start(
        &lab.router,
        &scratch,
        &gobgp::config(65000, ROUTER_V4, &[ROUTER_V4, ROUTER_V6], &peers),
    );
    let speaker_dir = Scratch::new(&format!("acd-peer-{}-speaker", lab.tag));
    let _speaker = speaker(&lab, &speaker_dir);
    router.wait_established(DAEMON_V4, Duration::from_secs(30));
    router.wait_established(DAEMON_V6, Duration::from_secs(30));
    let v4 = router.wait_route("192.0.2.1/32", Duration::from_secs(10));
    assert_eq!(
        (v4.next_hop.as_str(), v4.as_path.as_slice()),
        (DAEMON_V4, &[65001][..]),
        "{}",
        router.dump()
    );
    let v6 = router.wait_route("2001:db8::1/128", Duration::from_secs(10));
    assert_eq!(
        (v6.next_hop.as_str(), v6.as_path.as_slice()),
        (DAEMON_V6, &[65001][..]),
        "{}",
        router.dump()
    );
}
