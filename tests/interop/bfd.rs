//! BFD against BIRD 2's `protocol bfd` (single hop, IPv4 and IPv6): the session comes up whoever
//! sends first; when every packet the daemon sends is dropped (nftables in its namespace), BIRD
//! removes our routes within the detection time (3 x 100 ms) plus the 50 ms goal plus test slack,
//! far below the 9 s hold time; lifting the drop brings BFD, BGP and the routes back; new intervals
//! by SIGHUP take effect and keep the session Up (a Poll Sequence); SIGTERM ends with BFD AdminDown after the
//! withdrawal.

use std::time::{Duration, Instant};

use crate::harness::anycastd::{Anycastd, ExecSwitch};
use crate::harness::bird::{Bird, BirdBfd, BirdPeer};
use crate::harness::netns::{DAEMON_V4, DAEMON_V6, Lab, ROUTER_V4, ROUTER_V6};
use crate::harness::{Router, Scratch, holds_for, require_binary, wait_until};

const V4_ROUTE: &str = "192.0.2.1/32";
const V6_ROUTE: &str = "2001:db8::1/128";

/// The goal: 3 x 100 ms + 50 ms.
const GOAL: Duration = Duration::from_millis(350);
/// What a loaded CI machine may add (birdc polling, scheduling): still far below the 9 s hold time.
const SLACK: Duration = Duration::from_millis(1150);

fn config(switch: &std::path::Path, interval: &str) -> String {
    format!(
        "announcer:
  router_id: {DAEMON_V4}
  local_address: {DAEMON_V4}
  local_asn: 65001
  routes: [{V4_ROUTE}, {V6_ROUTE}]
  bfd: {{min_tx_interval: {interval}, min_rx_interval: {interval}, multiplier: 3}}
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
    check_interval: 300ms
    checks:
      - kind: exec
        spec:
          command: [\"/bin/sh\", \"-c\", \"exit $(cat {})\"]
metrics:
  enabled: false
",
        switch.display()
    )
}

fn bird(lab: &Lab, scratch: &Scratch, passive: bool) -> Bird {
    let bfd = BirdBfd {
        interval_ms: 100,
        multiplier: 3,
        passive,
    };
    let peers = [
        BirdPeer {
            bfd: Some(bfd),
            ..BirdPeer::r4()
        },
        BirdPeer {
            bfd: Some(bfd),
            ..BirdPeer::r6()
        },
    ];
    Bird::start(lab, scratch, ROUTER_V4, &peers)
}

/// Drops everything the daemon's namespace sends, until dropped.
struct Blackhole<'l> {
    lab: &'l Lab,
}

impl<'l> Blackhole<'l> {
    fn start(lab: &'l Lab) -> Blackhole<'l> {
        require_binary("nft", "nftables");
        let commands: [&[&str]; 3] = [
            &["add", "table", "inet", "acdbfd"],
            &[
                "add",
                "chain",
                "inet",
                "acdbfd",
                "out",
                "{ type filter hook output priority 0 ; policy accept ; }",
            ],
            &["add", "rule", "inet", "acdbfd", "out", "drop"],
        ];
        for args in commands {
            Lab::run(&lab.daemon, "nft", args).unwrap_or_else(|e| panic!("nft: {e}"));
        }
        Blackhole { lab }
    }
}

impl Drop for Blackhole<'_> {
    fn drop(&mut self) {
        if let Err(error) = Lab::run(
            &self.lab.daemon,
            "nft",
            &["delete", "table", "inet", "acdbfd"],
        ) {
            eprintln!("interop: could not lift the blackhole: {error}");
        }
    }
}

/// Polls BIRD as fast as birdc answers until both routes are gone; their removal times.
fn time_route_removal(bird: &Bird, since: Instant, within: Duration) -> [Duration; 2] {
    let mut gone: [Option<Duration>; 2] = [None, None];
    while gone.iter().any(Option::is_none) {
        let routes = bird.routes().unwrap_or_default();
        for (slot, prefix) in gone.iter_mut().zip([V4_ROUTE, V6_ROUTE]) {
            if slot.is_none() && !routes.iter().any(|r| r.prefix == prefix) {
                *slot = Some(since.elapsed());
            }
        }
        assert!(
            since.elapsed() < within,
            "routes still in BIRD's RIB after {within:?}: {gone:?}\n{}",
            bird.dump()
        );
    }
    gone.map(Option::unwrap_or_default)
}

fn bfd_against_bird(passive: bool) {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-bfd", lab.tag));
    let bird = bird(&lab, &scratch, passive);
    let switch = ExecSwitch::new(&scratch, 0);
    let mut daemon = Anycastd::start_established(
        &lab,
        &scratch,
        &config(switch.path(), "100ms"),
        &bird,
        &["r4", "r6"],
    );
    for address in [DAEMON_V4, DAEMON_V6] {
        bird.wait_bfd(address, "Up", Duration::from_secs(15));
    }
    bird.wait_route(V4_ROUTE, Duration::from_secs(15));
    bird.wait_route(V6_ROUTE, Duration::from_secs(15));

    // The node goes silent: BIRD's BFD notices, and its BGP drops our routes.
    let blackhole = Blackhole::start(&lab);
    let [v4, v6] = time_route_removal(&bird, Instant::now(), GOAL + SLACK);
    eprintln!(
        "interop: BFD blackhole to route removal in BIRD: IPv4 {v4:?}, IPv6 {v6:?} (goal {GOAL:?})"
    );

    // The path comes back: BFD, BGP and the routes return.
    drop(blackhole);
    for address in [DAEMON_V4, DAEMON_V6] {
        bird.wait_bfd(address, "Up", Duration::from_secs(30));
    }
    bird.wait_route(V4_ROUTE, Duration::from_secs(60));
    bird.wait_route(V6_ROUTE, Duration::from_secs(60));
    daemon.assert_running();

    // New intervals by reload: a Poll Sequence, no flap. BIRD now sends every 200 ms (our new RX).
    let before = bird.wait_bfd(DAEMON_V4, "Up", Duration::from_secs(5));
    assert_eq!(before.interval, "0.100", "{before:?}");
    daemon.reload(&config(switch.path(), "200ms"));
    wait_until(
        Duration::from_secs(10),
        "the log to show the reload",
        || {
            let log = daemon.log();
            if log.contains("configuration reloaded") {
                Ok(())
            } else {
                Err(log)
            }
        },
    );
    wait_until(
        Duration::from_secs(5),
        "BIRD's BFD interval to follow the reload",
        || {
            let sessions = bird.bfd_sessions()?;
            match sessions.iter().find(|s| s.address == DAEMON_V4) {
                Some(s) if s.interval == "0.200" => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    );
    holds_for(
        Duration::from_secs(2),
        "BIRD's BFD session with us Up, same since",
        || {
            let sessions = bird.bfd_sessions()?;
            match sessions.iter().find(|s| s.address == DAEMON_V4) {
                Some(s) if s.state == "Up" && s.since == before.since => Ok(()),
                other => Err(format!("{other:?} (before: {before:?})")),
            }
        },
    );
    assert!(
        bird.route(V4_ROUTE).is_ok_and(|r| r.is_some()),
        "{}",
        bird.dump()
    );

    // SIGTERM: withdrawal and Cease first, then BFD AdminDown (BIRD shows it as Down, not a failure).
    daemon.stop();
    bird.wait_no_route(V4_ROUTE, Duration::from_secs(5));
    bird.wait_protocol_shows("r4", &["Administrative shutdown"], Duration::from_secs(5));
}

#[test]
fn bfd_with_bird_sending_first_detects_a_blackhole_within_the_goal_and_survives_a_reload() {
    bfd_against_bird(false);
}

#[test]
fn bfd_with_a_passive_bird_comes_up_when_the_daemon_sends_first() {
    bfd_against_bird(true);
}
