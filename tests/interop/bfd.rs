//! BFD against BIRD 2's `protocol bfd` and FRR's bfdd (single hop, IPv4 and IPv6): the session
//! comes up whoever sends first; when every packet the daemon sends is dropped (nftables in its
//! namespace), the router removes our routes within the detection time (3 x 100 ms) plus the 50 ms
//! goal plus test slack, far below the 9 s hold time; lifting the drop brings BFD, BGP and the
//! routes back; new intervals by SIGHUP take effect without a flap (a Poll Sequence); SIGTERM
//! withdraws, sends the Cease, then takes BFD AdminDown. A router that does not speak BFD keeps its
//! BGP session.

use std::time::{Duration, Instant};

use crate::harness::anycastd::{Anycastd, ExecSwitch};
use crate::harness::bird::{Bird, BirdBfd, BirdPeer};
use crate::harness::frr::{Frr, FrrBfd};
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

/// A router's view of its BFD session with one of our addresses.
trait BfdRouter: Router {
    /// Its state in lower case (`up`, `down`...) and the interval it sends at, in milliseconds.
    fn bfd_session(&self, address: &str) -> Result<(String, u32), String>;

    /// Waits until the session with `address` is `state`.
    fn wait_bfd(&self, address: &str, state: &str, timeout: Duration) -> u32 {
        wait_until(
            timeout,
            &format!("{}'s BFD session with {address} {state}", self.name()),
            || match self.bfd_session(address) {
                Ok((now, interval)) if now == state => Ok(interval),
                Ok(other) => Err(format!("{other:?}\n{}", self.dump())),
                Err(error) => Err(format!("{error}\n{}", self.dump())),
            },
        )
    }
}

impl BfdRouter for Bird {
    fn bfd_session(&self, address: &str) -> Result<(String, u32), String> {
        let sessions = self.bfd_sessions()?;
        let session = sessions
            .iter()
            .find(|s| s.address == address)
            .ok_or_else(|| format!("no BFD session with {address}: {sessions:?}"))?;
        let seconds: f64 = session
            .interval
            .parse()
            .map_err(|e| format!("{session:?}: {e}"))?;
        Ok((
            session.state.to_lowercase(),
            (seconds * 1000.0).round() as u32,
        ))
    }
}

impl BfdRouter for Frr {
    fn bfd_session(&self, address: &str) -> Result<(String, u32), String> {
        let peer = self.bfd_peer(address)?;
        let own = peer["transmit-interval"].as_u64().unwrap_or_default();
        let ours = peer["remote-receive-interval"].as_u64().unwrap_or_default();
        let state = peer["status"].as_str().unwrap_or_default().to_string();
        Ok((state, u32::try_from(own.max(ours)).unwrap_or(u32::MAX)))
    }
}

/// Polls the router as fast as it answers until both routes are gone; their removal times.
fn time_route_removal(router: &impl Router, since: Instant, within: Duration) -> [Duration; 2] {
    let mut gone: [Option<Duration>; 2] = [None, None];
    while gone.iter().any(Option::is_none) {
        for (slot, prefix) in gone.iter_mut().zip([V4_ROUTE, V6_ROUTE]) {
            if slot.is_none() && router.route(prefix).is_ok_and(|r| r.is_none()) {
                *slot = Some(since.elapsed());
            }
        }
        assert!(
            since.elapsed() < within,
            "routes still in {}'s RIB after {within:?}: {gone:?}\n{}",
            router.name(),
            router.dump()
        );
    }
    gone.map(Option::unwrap_or_default)
}

/// Lines of the daemon's log that report a BFD state change.
fn bfd_changes(daemon: &Anycastd) -> usize {
    daemon
        .log()
        .lines()
        .filter(|l| l.contains("BFD session r"))
        .count()
}

/// The whole scenario against a router already running in `lab`; `sessions` are its names for
/// our IPv4 and IPv6 sessions.
fn bfd_against(lab: &Lab, scratch: &Scratch, router: &impl BfdRouter, sessions: [&str; 2]) {
    let switch = ExecSwitch::new(scratch, 0);
    let yaml = config(switch.path(), "100ms");
    let mut daemon = Anycastd::start_established(lab, scratch, &yaml, router, &sessions);
    for address in [DAEMON_V4, DAEMON_V6] {
        router.wait_bfd(address, "up", Duration::from_secs(15));
    }
    router.wait_route(V4_ROUTE, Duration::from_secs(15));
    router.wait_route(V6_ROUTE, Duration::from_secs(15));

    // The node goes silent: the router's BFD notices, and its BGP drops our routes.
    let blackhole = Blackhole::start(lab);
    let [v4, v6] = time_route_removal(router, Instant::now(), GOAL + SLACK);
    eprintln!(
        "interop: blackhole to route removal in {}: IPv4 {v4:?}, IPv6 {v6:?} (goal {GOAL:?})",
        router.name()
    );

    // The path comes back: BFD, BGP and the routes return.
    drop(blackhole);
    for address in [DAEMON_V4, DAEMON_V6] {
        router.wait_bfd(address, "up", Duration::from_secs(30));
    }
    router.wait_route(V4_ROUTE, Duration::from_secs(60));
    router.wait_route(V6_ROUTE, Duration::from_secs(60));
    daemon.assert_running();

    // New intervals by reload: a Poll Sequence, no flap. The router now sends every 200 ms (our new
    // RX, above its own 100 ms).
    assert_eq!(
        router.wait_bfd(DAEMON_V4, "up", Duration::from_secs(5)),
        100
    );
    let changes = bfd_changes(&daemon);
    daemon.reload(&config(switch.path(), "200ms"));
    wait_until(
        Duration::from_secs(5),
        "the router to follow the new intervals",
        || match router.bfd_session(DAEMON_V4)? {
            (state, 200) if state == "up" => Ok(()),
            other => Err(format!("{other:?}")),
        },
    );
    holds_for(Duration::from_secs(2), "the BFD sessions Up", || {
        for address in [DAEMON_V4, DAEMON_V6] {
            let (state, _) = router.bfd_session(address)?;
            if state != "up" {
                return Err(format!("{address}: {state}"));
            }
        }
        Ok(())
    });
    assert_eq!(
        bfd_changes(&daemon),
        changes,
        "a BFD state change after the reload:\n{}",
        daemon.log()
    );
    assert!(
        router.route(V4_ROUTE).is_ok_and(|r| r.is_some()),
        "{}",
        router.dump()
    );

    // SIGTERM: withdrawal and Cease first, then BFD AdminDown.
    daemon.stop();
    router.wait_no_route(V4_ROUTE, Duration::from_secs(5));
    let log = daemon.log();
    let (cease, admin_down) = (
        log.find("sent NOTIFICATION Cease"),
        log.rfind("-> admin_down"),
    );
    assert!(
        matches!((cease, admin_down), (Some(c), Some(a)) if c < a),
        "the Cease must precede BFD AdminDown:\n{log}"
    );
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

fn frr(lab: &Lab, scratch: &Scratch, passive: bool) -> Frr {
    let bfd = FrrBfd {
        interval_ms: 100,
        multiplier: 3,
        passive,
    };
    Frr::start(lab, scratch, bfd)
}

#[test]
fn bfd_with_bird_sending_first_detects_a_blackhole_within_the_goal_and_survives_a_reload() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-bfd-bird", lab.tag));
    let router = bird(&lab, &scratch, false);
    // BIRD 2.0.12 takes a neighbour's AdminDown for a BFD failure (RFC 5882 §3.2 says it is not): once
    // our Cease has closed its session, its "Last error" may become "BFD session down" instead of the
    // Administrative shutdown, so the order is checked in our own log.
    bfd_against(&lab, &scratch, &router, ["r4", "r6"]);
}

#[test]
fn bfd_with_a_passive_bird_comes_up_when_the_daemon_sends_first() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-bfd-bird-passive", lab.tag));
    let router = bird(&lab, &scratch, true);
    bfd_against(&lab, &scratch, &router, ["r4", "r6"]);
}

#[test]
fn bfd_with_frr_sending_first_detects_a_blackhole_within_the_goal_and_survives_a_reload() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-bfd-frr", lab.tag));
    let router = frr(&lab, &scratch, false);
    bfd_against(&lab, &scratch, &router, [DAEMON_V4, DAEMON_V6]);
}

#[test]
fn bfd_with_a_passive_frr_comes_up_when_the_daemon_sends_first() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-bfd-frr-passive", lab.tag));
    let router = frr(&lab, &scratch, true);
    bfd_against(&lab, &scratch, &router, [DAEMON_V4, DAEMON_V6]);
}

#[test]
fn a_router_without_bfd_keeps_a_working_bgp_session() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-bfd-none", lab.tag));
    let router = Bird::start(&lab, &scratch, ROUTER_V4, &[BirdPeer::r4(), BirdPeer::r6()]);
    let switch = ExecSwitch::new(&scratch, 0);
    let yaml = config(switch.path(), "100ms");
    let mut daemon = Anycastd::start_established(&lab, &scratch, &yaml, &router, &["r4", "r6"]);
    router.wait_route(V4_ROUTE, Duration::from_secs(15));
    router.wait_route(V6_ROUTE, Duration::from_secs(15));
    let since = router.since("r4").unwrap_or_else(|e| panic!("{e}"));
    // BFD never comes up (BIRD has no `protocol bfd`); BGP must not be reset for it.
    router.holds_session("r4", since, Duration::from_secs(3));
    assert!(
        router.route(V4_ROUTE).is_ok_and(|r| r.is_some()),
        "{}",
        router.dump()
    );
    assert!(
        !daemon.log().contains("BFD Down"),
        "a BFD session that never came up reset BGP:\n{}",
        daemon.log()
    );
    daemon.stop();
}
