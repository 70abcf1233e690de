//! The real `anycastd` binary in the daemon namespace against BIRD 2: its http_2xx check (against a
//! real HTTP server the test starts) decides whether the routes are in BIRD's RIB, and SIGTERM ends
//! with the routes withdrawn, a Cease / Administrative Shutdown, and exit code 0.

use std::time::{Duration, Instant};

use crate::harness::Scratch;
use crate::harness::anycastd::{Anycastd, HttpServer};
use crate::harness::bird::{Bird, BirdPeer};
use crate::harness::netns::{DAEMON_V4, DAEMON_V6, Lab, ROUTER_V4, ROUTER_V6};

const V4_ROUTE: &str = "192.0.2.1/32";
const V6_ROUTE: &str = "2001:db8::1/128";

fn config(url: &str) -> String {
    format!(
        "announcer:
  router_id: {DAEMON_V4}
  local_address: {DAEMON_V4}
  local_asn: 65001
  routes:
    - {V4_ROUTE}
    - {V6_ROUTE}
  peers:
    - name: r4
      remote_address: {ROUTER_V4}
      remote_asn: 65000
      connect_retry: 1s
    - name: r6
      remote_address: {ROUTER_V6}
      remote_asn: 65000
      local_address: {DAEMON_V6}
      connect_retry: 1s
services:
  - name: web
    check_interval: 500ms
    checks:
      - kind: http_2xx
        spec:
          url: {url}
          method: GET
          tries: 1
          interval: 100ms
          timeout: 400ms
metrics:
  enabled: false
"
    )
}

#[test]
fn the_daemon_announces_while_its_http_check_passes_and_withdraws_on_failure_and_sigterm() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-daemon", lab.tag));
    let bird = Bird::start(
        &lab,
        &scratch,
        ROUTER_V4,
        &[
            BirdPeer::new("r4", ROUTER_V4, DAEMON_V4),
            BirdPeer::new("r6", ROUTER_V6, DAEMON_V6),
        ],
    );
    let mut http = HttpServer::start(&lab, &scratch, DAEMON_V4, 8080);
    let mut daemon = Anycastd::start(&lab, &scratch, &config(&http.url()));
    bird.wait_established("r4", Duration::from_secs(30));
    bird.wait_established("r6", Duration::from_secs(30));
    let v4 = bird.wait_route(V4_ROUTE, Duration::from_secs(15));
    assert_eq!(
        (v4.next_hop.as_str(), v4.as_path.as_slice()),
        (DAEMON_V4, &[65001][..]),
        "{}",
        bird.dump()
    );
    let v6 = bird.wait_route(V6_ROUTE, Duration::from_secs(15));
    assert_eq!(
        (v6.next_hop.as_str(), v6.as_path.as_slice()),
        (DAEMON_V6, &[65001][..]),
        "{}",
        bird.dump()
    );

    // The service fails: both routes leave BIRD's RIB; the sessions stay up.
    let failed_at = Instant::now();
    http.stop();
    bird.wait_no_route(V4_ROUTE, Duration::from_secs(10));
    bird.wait_no_route(V6_ROUTE, Duration::from_secs(10));
    eprintln!(
        "interop: check failure to withdrawal in BIRD: {:?}",
        failed_at.elapsed()
    );
    assert_eq!(
        bird.state("r4").as_deref(),
        Ok("Established"),
        "{}",
        bird.dump()
    );
    daemon.assert_running();

    // It recovers: the routes come back.
    http.resume();
    bird.wait_route(V4_ROUTE, Duration::from_secs(10));
    bird.wait_route(V6_ROUTE, Duration::from_secs(10));

    // SIGTERM: withdraw, Cease / Administrative Shutdown, exit 0.
    let code = daemon.terminate(Duration::from_secs(15));
    assert_eq!(
        code,
        Some(0),
        "anycastd's exit on SIGTERM; its log:\n{}",
        daemon.log()
    );
    bird.wait_no_route(V4_ROUTE, Duration::from_secs(5));
    bird.wait_protocol_shows("r4", &["Administrative shutdown"], Duration::from_secs(5));
}

#[test]
fn the_daemon_announces_to_gobgpd_while_its_http_check_passes() {
    use crate::harness::gobgp::{self, Gobgp, GobgpPeer};
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-daemon-gobgp", lab.tag));
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
    let mut http = HttpServer::start(&lab, &scratch, DAEMON_V4, 8080);
    let mut daemon = Anycastd::start(&lab, &scratch, &config(&http.url()));
    router.wait_established(DAEMON_V4, Duration::from_secs(30));
    router.wait_established(DAEMON_V6, Duration::from_secs(30));
    let v4 = router.wait_route(V4_ROUTE, Duration::from_secs(15));
    assert_eq!(
        (v4.next_hop.as_str(), v4.as_path.as_slice()),
        (DAEMON_V4, &[65001][..]),
        "{}",
        router.dump()
    );
    let v6 = router.wait_route(V6_ROUTE, Duration::from_secs(15));
    assert_eq!(
        (v6.next_hop.as_str(), v6.as_path.as_slice()),
        (DAEMON_V6, &[65001][..]),
        "{}",
        router.dump()
    );

    http.stop();
    router.wait_no_route(V4_ROUTE, Duration::from_secs(10));
    router.wait_no_route(V6_ROUTE, Duration::from_secs(10));
    daemon.assert_running();
    http.resume();
    router.wait_route(V4_ROUTE, Duration::from_secs(10));
    router.wait_route(V6_ROUTE, Duration::from_secs(10));
    assert_eq!(
        daemon.terminate(Duration::from_secs(15)),
        Some(0),
        "exit on SIGTERM; log:\n{}",
        daemon.log()
    );
    router.wait_no_route(V4_ROUTE, Duration::from_secs(5));
}
