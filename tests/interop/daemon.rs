//! The real `anycastd` binary in the daemon namespace against BIRD 2 and against gobgpd: its
//! http_2xx check (against a real HTTP server the test starts) decides whether the routes are in the
//! router's RIB, and SIGTERM ends with the routes withdrawn, a Cease / Administrative Shutdown (as
//! BIRD shows it), and exit code 0.

use std::time::{Duration, Instant};

use crate::harness::anycastd::{Anycastd, HttpServer};
use crate::harness::bird::Bird;
use crate::harness::gobgp::Gobgp;
use crate::harness::netns::{DAEMON_V4, DAEMON_V6, Lab, ROUTER_V4, ROUTER_V6};
use crate::harness::{Router, Scratch};

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

/// Starts anycastd against `router` (sessions `r4` and `r6` as the router names them), then: both
/// routes arrive with our next hops and AS path; the HTTP server stops and both routes leave the
/// RIB while the sessions stay up; it comes back and so do the routes; SIGTERM exits 0 and the
/// routes are withdrawn.
fn routes_follow_the_http_check(
    lab: &Lab,
    scratch: &Scratch,
    router: &impl Router,
    r4: &str,
    r6: &str,
) {
    let mut http = HttpServer::start(lab, scratch, DAEMON_V4, 8080);
    let mut daemon =
        Anycastd::start_established(lab, scratch, &config(&http.url()), router, &[r4, r6]);
    router.wait_route_via(V4_ROUTE, DAEMON_V4, &[65001], Duration::from_secs(15));
    router.wait_route_via(V6_ROUTE, DAEMON_V6, &[65001], Duration::from_secs(15));

    // The service fails: both routes leave the RIB; the sessions stay up.
    let failed_at = Instant::now();
    http.stop();
    router.wait_no_route(V4_ROUTE, Duration::from_secs(10));
    router.wait_no_route(V6_ROUTE, Duration::from_secs(10));
    eprintln!(
        "interop: check failure to withdrawal in {}: {:?}",
        router.name(),
        failed_at.elapsed()
    );
    assert_eq!(router.established(r4), Ok(true), "{}", router.dump());
    daemon.assert_running();

    // It recovers: the routes come back.
    http.resume();
    router.wait_route(V4_ROUTE, Duration::from_secs(10));
    router.wait_route(V6_ROUTE, Duration::from_secs(10));

    // SIGTERM: withdraw, Cease, exit 0.
    daemon.stop();
    router.wait_no_route(V4_ROUTE, Duration::from_secs(5));
}

#[test]
fn the_daemon_announces_while_its_http_check_passes_and_withdraws_on_failure_and_sigterm() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-daemon", lab.tag));
    let bird = Bird::dual_stack(&lab, &scratch);
    routes_follow_the_http_check(&lab, &scratch, &bird, "r4", "r6");
    // The Cease is an Administrative Shutdown.
    bird.wait_protocol_shows("r4", &["Administrative shutdown"], Duration::from_secs(5));
}

#[test]
fn the_daemon_announces_to_gobgpd_while_its_http_check_passes() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-daemon-gobgp", lab.tag));
    let router = Gobgp::for_daemon(&lab, &scratch);
    routes_follow_the_http_check(&lab, &scratch, &router, DAEMON_V4, DAEMON_V6);
}
