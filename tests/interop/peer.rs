//! Our PeerActors (in-process, in the daemon namespace) against BIRD 2 and gobgpd in the router
//! namespace: IPv4 and IPv6 sessions and routes as the router's own RIB shows them, withdrawals,
//! a graceful stop, a router killed and restarted, and TCP MD5 + GTSM with BIRD.

use std::time::Duration;

use crate::harness::bird::{Bird, BirdPeer};
use crate::harness::gobgp::Gobgp;
use crate::harness::inprocess::{Neighbour, OurSpeaker};
use crate::harness::netns::{DAEMON_V4, DAEMON_V6, Lab, ROUTER_V4, ROUTER_V6};
use crate::harness::{Router, Scratch, holds_for, wait_until};

const V4_ROUTE: &str = "192.0.2.1/32";
const V6_ROUTE: &str = "2001:db8::1/128";
const SESSION_UP: Duration = Duration::from_secs(30);
const ROUTE_SEEN: Duration = Duration::from_secs(10);

fn dual_stack() -> Vec<Neighbour> {
    vec![
        Neighbour::new("r4", DAEMON_V4, ROUTER_V4),
        Neighbour::new("r6", DAEMON_V6, ROUTER_V6),
    ]
}

#[test]
fn bird_learns_our_ipv4_and_ipv6_routes_then_the_withdrawal_and_the_shutdown() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-bird", lab.tag));
    let bird = Bird::dual_stack(&lab, &scratch);
    let ours = OurSpeaker::start(&lab.daemon, &dual_stack(), &[V4_ROUTE, V6_ROUTE], None);
    bird.wait_established("r4", SESSION_UP);
    bird.wait_established("r6", SESSION_UP);

    bird.wait_route_via(V4_ROUTE, DAEMON_V4, &[65001], ROUTE_SEEN);
    bird.wait_route_via(V6_ROUTE, DAEMON_V6, &[65001], ROUTE_SEEN);

    // `birdc reload in` asks us for the table again with ROUTE-REFRESH (RFC 2918).
    bird.birdc("reload in r4").unwrap_or_else(|e| panic!("{e}"));
    wait_until(
        ROUTE_SEEN,
        "our side to answer BIRD's ROUTE-REFRESH",
        || {
            let metrics = ours.metrics();
            if metrics.contains(
                "anycastd_bgp_messages_received_total{peer=\"r4\",type=\"route_refresh\"} 1",
            ) {
                Ok(())
            } else {
                Err(metrics)
            }
        },
    );
    bird.wait_route(V4_ROUTE, ROUTE_SEEN);

    ours.announce(&[V6_ROUTE]);
    bird.wait_no_route(V4_ROUTE, ROUTE_SEEN);
    assert!(
        matches!(bird.route(V6_ROUTE), Ok(Some(_))),
        "the IPv6 route must stay: {}",
        bird.dump()
    );

    ours.shutdown("maintenance");
    bird.wait_no_route(V6_ROUTE, ROUTE_SEEN);
    bird.wait_protocol_shows(
        "r6",
        &["Administrative shutdown", "maintenance"],
        ROUTE_SEEN,
    );
    let metrics = ours.metrics();
    assert!(
        metrics.contains("anycastd_bgp_session_down_total{peer=\"r6\",reason=\"stopped\"} 1"),
        "{metrics}"
    );
}

#[test]
fn gobgpd_learns_our_ipv4_and_ipv6_routes_and_the_withdrawal() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-gobgp", lab.tag));
    let router = Gobgp::for_daemon(&lab, &scratch);
    let ours = OurSpeaker::start(&lab.daemon, &dual_stack(), &[V4_ROUTE, V6_ROUTE], None);
    router.wait_established(DAEMON_V4, SESSION_UP);
    router.wait_established(DAEMON_V6, SESSION_UP);

    router.wait_route_via(V4_ROUTE, DAEMON_V4, &[65001], ROUTE_SEEN);
    router.wait_route_via(V6_ROUTE, DAEMON_V6, &[65001], ROUTE_SEEN);

    ours.announce(&[V6_ROUTE]);
    router.wait_no_route(V4_ROUTE, ROUTE_SEEN);
    ours.shutdown("maintenance");
    router.wait_no_route(V6_ROUTE, ROUTE_SEEN);
}

#[test]
fn an_ipv6_route_over_an_ipv4_session_carries_the_configured_ipv6_next_hop() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-mp", lab.tag));
    let mut peer = BirdPeer::r4();
    peer.families = vec!["ipv4", "ipv6"];
    let bird = Bird::start(&lab, &scratch, ROUTER_V4, &[peer]);
    let next_hop = DAEMON_V6.parse().ok();
    let _ours = OurSpeaker::start(
        &lab.daemon,
        &[Neighbour::new("r4", DAEMON_V4, ROUTER_V4)],
        &[V4_ROUTE, V6_ROUTE],
        next_hop,
    );
    bird.wait_established("r4", SESSION_UP);
    let v6 = bird.wait_route(V6_ROUTE, ROUTE_SEEN);
    assert_eq!(v6.next_hop, DAEMON_V6, "{}", bird.dump());
    let v4 = bird.wait_route(V4_ROUTE, ROUTE_SEEN);
    assert_eq!(v4.next_hop, DAEMON_V4, "{}", bird.dump());
}

#[test]
fn bird_killed_and_restarted_gets_the_session_and_routes_back() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-restart", lab.tag));
    let mut bird = Bird::dual_stack(&lab, &scratch);
    let _ours = OurSpeaker::start(&lab.daemon, &dual_stack(), &[V4_ROUTE, V6_ROUTE], None);
    bird.wait_established("r4", SESSION_UP);
    bird.wait_route(V4_ROUTE, ROUTE_SEEN);

    bird.kill_and_restart(&lab, &scratch);
    bird.wait_established("r4", SESSION_UP);
    bird.wait_established("r6", SESSION_UP);
    bird.wait_route(V4_ROUTE, ROUTE_SEEN);
    bird.wait_route(V6_ROUTE, ROUTE_SEEN);
}

#[test]
fn gobgpd_killed_and_restarted_gets_the_session_and_routes_back() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-grestart", lab.tag));
    let mut router = Gobgp::for_daemon(&lab, &scratch);
    let ours = OurSpeaker::start(&lab.daemon, &dual_stack(), &[V4_ROUTE, V6_ROUTE], None);
    router.wait_established(DAEMON_V4, SESSION_UP);
    router.wait_route(V4_ROUTE, ROUTE_SEEN);

    router.kill();
    let scratch_again = Scratch::new(&format!("acd-peer-{}-grestart2", lab.tag));
    let router = Gobgp::for_daemon(&lab, &scratch_again);
    router.wait_established(DAEMON_V4, SESSION_UP);
    router.wait_established(DAEMON_V6, SESSION_UP);
    router.wait_route(V4_ROUTE, ROUTE_SEEN);
    router.wait_route(V6_ROUTE, ROUTE_SEEN);
    let metrics = ours.metrics();
    assert!(
        metrics.contains("anycastd_bgp_session_flaps_total{peer=\"r4\"} 1"),
        "{metrics}"
    );
}

fn md5_lab(password_ours: &str) -> (Lab, Scratch, Bird, OurSpeaker) {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-md5", lab.tag));
    let mut peer = BirdPeer::new("secure", "198.18.1.1", "198.18.1.2");
    peer.password = Some("s3cret".into());
    peer.ttl_security = true;
    let bird = Bird::start(&lab, &scratch, ROUTER_V4, &[peer]);
    let mut neighbour = Neighbour::new("secure", "198.18.1.2", "198.18.1.1");
    neighbour.md5 = Some(password_ours.into());
    neighbour.ttl_security = true;
    let ours = OurSpeaker::start(&lab.daemon, &[neighbour], &[V4_ROUTE], None);
    (lab, scratch, bird, ours)
}

#[test]
fn md5_and_gtsm_with_bird_come_up_with_the_right_password() {
    let (_lab, _scratch, bird, _ours) = md5_lab("s3cret");
    bird.wait_established("secure", SESSION_UP);
    let route = bird.wait_route(V4_ROUTE, ROUTE_SEEN);
    assert_eq!(route.next_hop, "198.18.1.2", "{}", bird.dump());
}

#[test]
fn md5_with_a_wrong_password_never_comes_up() {
    let (_lab, _scratch, bird, ours) = md5_lab("wrong");
    holds_for(
        Duration::from_secs(8),
        "the session staying down with a wrong MD5 key",
        || match bird.state("secure") {
            Ok(state) if state != "Established" => Ok(()),
            _ => Err(bird.dump()),
        },
    );
    let metrics = ours.metrics();
    assert!(
        !metrics.contains("anycastd_bgp_session_state{peer=\"secure\"} 6"),
        "{metrics}"
    );
}

#[test]
fn bird_connecting_to_our_passive_listener_learns_our_routes() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-passive", lab.tag));
    let mut neighbours = dual_stack();
    for neighbour in &mut neighbours {
        neighbour.passive = true;
    }
    let ours = OurSpeaker::start(&lab.daemon, &neighbours, &[V4_ROUTE, V6_ROUTE], None);
    let (mut r4, mut r6) = (BirdPeer::r4(), BirdPeer::r6());
    r4.passive = false;
    r6.passive = false;
    let bird = Bird::start(&lab, &scratch, ROUTER_V4, &[r4, r6]);
    bird.wait_established("r4", SESSION_UP);
    bird.wait_established("r6", SESSION_UP);
    bird.wait_route_via(V4_ROUTE, DAEMON_V4, &[65001], ROUTE_SEEN);
    bird.wait_route_via(V6_ROUTE, DAEMON_V6, &[65001], ROUTE_SEEN);
    let metrics = ours.metrics();
    assert!(
        metrics.contains("anycastd_bgp_session_state{peer=\"r4\"} 6"),
        "{metrics}"
    );
}

#[test]
fn bird_receives_a_table_of_ten_thousand_host_routes() {
    const COUNT: u32 = 10_000;
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-bulk", lab.tag));
    let bird = Bird::start(&lab, &scratch, ROUTER_V4, &[BirdPeer::r4()]);
    let routes: Vec<String> = (1..=COUNT)
        .map(|i| format!("10.{}.{}.{}/32", i >> 16, (i >> 8) & 0xff, i & 0xff))
        .collect();
    let routes: Vec<&str> = routes.iter().map(String::as_str).collect();
    let _ours = OurSpeaker::start(
        &lab.daemon,
        &[Neighbour::new("r4", DAEMON_V4, ROUTER_V4)],
        &routes,
        None,
    );
    bird.wait_established("r4", SESSION_UP);
    let established = std::time::Instant::now();
    let count = || -> Result<u32, String> {
        let text = bird.birdc("show route protocol r4 count")?;
        text.lines()
            .find(|line| line.contains("routes for"))
            .and_then(|line| line.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .ok_or(text)
    };
    wait_until(
        Duration::from_secs(30),
        "all 10,000 prefixes in BIRD",
        || match count() {
            Ok(n) if n == COUNT => Ok(()),
            Ok(n) => Err(format!("{n} of {COUNT} routes")),
            Err(e) => Err(e),
        },
    );
    eprintln!(
        "interop: {COUNT} prefixes in BIRD {:?} after the session was seen Established (200 ms polling)",
        established.elapsed()
    );
}
