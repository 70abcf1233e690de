//! The health ladder and the daemon's lifecycle, observed in BIRD 2's own RIB: the degraded state's
//! MED / prepend / communities, SIGUSR1 / SIGUSR2 putting GRACEFUL_SHUTDOWN on and off, a SIGHUP that
//! adds a route and changes a check without breaking the session, an invalid reload that changes
//! nothing, SIGTERM with graceful restart negotiated leaving no route behind and a Cease in BIRD's
//! log, and `kill -9` leaving the routes stale-but-kept for `restart_time`. Against gobgpd: a
//! failing check withdraws the route and a SIGHUP keeps the session (same uptime), and SIGTERM
//! with the N bit negotiated (RFC 8538) sends Cease / Hard Reset, which BIRD 2.0 does not know.
//! Over iBGP, BIRD sees each state's `local_pref` (100 by default).
//!
//! The service's only check is an `exec` plugin whose exit code (0 pass, 1 degraded, 2 fail) the test
//! writes to a file.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::harness::anycastd::{Anycastd, ExecSwitch};
use crate::harness::bird::{Bird, BirdPeer};
use crate::harness::gobgp::{self, Gobgp, GobgpPeer};
use crate::harness::netns::{DAEMON_V4, DAEMON_V6, Lab, ROUTER_V4, ROUTER_V6};
use crate::harness::{Router, Scratch, holds_for, wait_until};

const ROUTE: &str = "192.0.2.1/32";
const ADDED: &str = "192.0.2.7/32";

/// One peer, one service with an exec check and degraded attributes; graceful restart enabled.
fn config(switch: &Path, routes: &[&str], check_interval: &str, restart_time: &str) -> String {
    format!(
        "announcer:
  router_id: {DAEMON_V4}
  local_address: {DAEMON_V4}
  local_asn: 65001
  routes: [{}]
  graceful_restart:
    enabled: true
    restart_time: {restart_time}
  peers:
    - name: r4
      remote_address: {ROUTER_V4}
      remote_asn: 65000
      connect_retry: 1s
services:
  - name: web
    check_interval: {check_interval}
    states:
      degraded:
        med: 500
        prepend: 2
        communities: [\"65001:42\"]
        large_communities: [\"65001:1:2\"]
    checks:
      - name: plugin
        kind: exec
        interval: {check_interval}
        spec:
          command: [\"/bin/sh\", \"-c\", \"exit $(cat {})\"]
metrics:
  enabled: false
",
        routes.join(", "),
        switch.display()
    )
}

/// The attribute lines of `prefix` in `birdc show route all for <prefix>` (e.g. `BGP.med: 500`).
pub(crate) fn attributes(bird: &Bird, prefix: &str) -> Result<Vec<String>, String> {
    let text = bird.birdc(&format!("show route all for {prefix}"))?;
    if !text.contains(prefix) {
        return Err(format!("no route for {prefix}:\n{}", bird.dump()));
    }
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|line| line.starts_with("BGP."))
        .map(str::to_string)
        .collect())
}

/// Waits until the route's attribute lines satisfy `pred`.
fn wait_attributes(bird: &Bird, what: &str, pred: impl Fn(&[String]) -> bool) -> Vec<String> {
    wait_until(Duration::from_secs(15), what, || {
        let lines = attributes(bird, ROUTE)?;
        if pred(&lines) {
            Ok(lines)
        } else {
            Err(format!("{lines:#?}\n{}", bird.dump()))
        }
    })
}

fn has(lines: &[String], wanted: &str) -> bool {
    lines.iter().any(|line| line == wanted)
}

pub(crate) fn mentions(lines: &[String], key: &str, part: &str) -> bool {
    lines
        .iter()
        .any(|line| line.starts_with(key) && line.contains(part))
}

fn plain(lines: &[String]) -> bool {
    has(lines, "BGP.as_path: 65001")
        && !lines.iter().any(|l| l.starts_with("BGP.med:"))
        && !lines.iter().any(|l| l.starts_with("BGP.community:"))
}

/// BIRD as the router and anycastd announcing [`ROUTE`] to it, with graceful restart after
/// `restart_time`.
fn with_bird(name: &str, restart_time: &str) -> (Lab, Scratch, Bird, ExecSwitch, Anycastd) {
    let start =
        |lab: &Lab, scratch: &Scratch| Bird::start(lab, scratch, ROUTER_V4, &[BirdPeer::r4()]);
    one_session(name, start, "r4", restart_time)
}

/// A router started by `start` with one session to us (`session`, as the router names it), and
/// anycastd with one peer, its exec check passing, graceful restart after `restart_time`: returns
/// once [`ROUTE`] is in the router's RIB.
fn one_session<R: Router>(
    name: &str,
    start: impl FnOnce(&Lab, &Scratch) -> R,
    session: &str,
    restart_time: &str,
) -> (Lab, Scratch, R, ExecSwitch, Anycastd) {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-{name}", lab.tag));
    let router = start(&lab, &scratch);
    let switch = ExecSwitch::new(&scratch, 0);
    let yaml = config(switch.path(), &[ROUTE], "300ms", restart_time);
    let daemon = Anycastd::start_established(&lab, &scratch, &yaml, &router, &[session]);
    router.wait_route_via(ROUTE, DAEMON_V4, &[65001], Duration::from_secs(15));
    (lab, scratch, router, switch, daemon)
}

#[test]
fn ladder_states_drain_signals_and_reloads_show_in_birds_rib_and_sigterm_leaves_nothing() {
    let (_lab, _scratch, bird, switch, mut daemon) = with_bird("lifecycle", "120s");
    wait_attributes(&bird, "the plain route", plain);

    // Degraded: the states.degraded attributes.
    switch.set(1);
    let lines = wait_attributes(&bird, "MED 500 on the degraded route", |l| {
        has(l, "BGP.med: 500")
    });
    assert!(has(&lines, "BGP.as_path: 65001 65001 65001"), "{lines:#?}");
    assert!(
        mentions(&lines, "BGP.community:", "(65001,42)"),
        "{lines:#?}"
    );
    assert!(
        mentions(&lines, "BGP.large_community:", "(65001, 1, 2)"),
        "{lines:#?}"
    );
    switch.set(0);
    wait_attributes(&bird, "the plain route again", plain);

    // SIGUSR1 drains: GRACEFUL_SHUTDOWN and the highest MED; SIGUSR2 undrains.
    daemon.signal("USR1");
    let lines = wait_attributes(&bird, "GRACEFUL_SHUTDOWN on the route", |l| {
        mentions(l, "BGP.community:", "(65535,0)")
    });
    assert!(has(&lines, "BGP.med: 4294967295"), "{lines:#?}");
    daemon.signal("USR2");
    wait_attributes(&bird, "the plain route after SIGUSR2", plain);

    // SIGHUP adding a route and changing the check: same session, new route.
    let since = bird.since("r4").unwrap_or_else(|e| panic!("{e}"));
    daemon.reload(&config(switch.path(), &[ROUTE, ADDED], "200ms", "120s"));
    bird.wait_route(ADDED, Duration::from_secs(10));
    assert_eq!(bird.state("r4").as_deref(), Ok("Established"));
    assert_eq!(
        bird.since("r4"),
        Ok(since),
        "the session was reset by the reload:\n{}",
        daemon.log()
    );

    // An invalid file changes nothing.
    daemon.reload("announcer: [this is not valid\n");
    holds_for(Duration::from_secs(3), "both routes kept", || {
        match (bird.route(ROUTE)?, bird.route(ADDED)?) {
            (Some(_), Some(_)) => Ok(()),
            _ => Err(bird.dump()),
        }
    });
    assert_eq!(bird.since("r4"), Ok(since), "{}", daemon.log());
    daemon.assert_running();

    // SIGTERM with graceful restart negotiated: withdrawn first, no stale route, a Cease.
    daemon.stop();
    bird.wait_no_route(ROUTE, Duration::from_secs(3));
    bird.wait_no_route(ADDED, Duration::from_secs(3));
    bird.wait_protocol_shows("r4", &["Administrative shutdown"], Duration::from_secs(5));
}

#[test]
fn kill_9_with_graceful_restart_leaves_the_routes_stale_but_kept_for_restart_time() {
    let (_lab, _scratch, bird, _switch, mut daemon) = with_bird("gr", "8s");
    let killed = Instant::now();
    daemon.kill();
    // BIRD is the helper: the route stays (stale) while it waits for us to come back.
    holds_for(
        Duration::from_secs(5),
        "the route kept after kill -9",
        || match bird.route(ROUTE)? {
            Some(_) => Ok(()),
            None => Err(bird.dump()),
        },
    );
    bird.wait_no_route(ROUTE, Duration::from_secs(10));
    let kept = killed.elapsed();
    eprintln!("interop: route kept {kept:?} after kill -9 (restart_time 8s)");
    assert!(
        kept >= Duration::from_secs(7) && kept <= Duration::from_secs(12),
        "kept {kept:?} for a restart_time of 8s:\n{}",
        bird.dump()
    );
}

/// Two peers; `r6_hold` is the hold time of the IPv6 one, which is left out when `with_r6` is false.
fn two_peers(switch: &Path, r6_hold: u16, with_r6: bool) -> String {
    let r6 = if with_r6 {
        format!(
            "    - name: r6
      remote_address: {ROUTER_V6}
      remote_asn: 65000
      local_address: {DAEMON_V6}
      hold_time: {r6_hold}
      connect_retry: 1s
"
        )
    } else {
        String::new()
    };
    config(switch, &[ROUTE, V6_ROUTE], "300ms", "120s").replace(
        "      connect_retry: 1s\nservices:",
        &format!("      connect_retry: 1s\n{r6}services:"),
    )
}

const V6_ROUTE: &str = "2001:db8::1/128";

#[test]
fn a_reload_resets_only_the_changed_peer_and_deconfigures_a_removed_one() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-reload", lab.tag));
    let bird = Bird::dual_stack(&lab, &scratch);
    let switch = ExecSwitch::new(&scratch, 0);
    let yaml = two_peers(switch.path(), 90, true);
    let mut daemon = Anycastd::start_established(&lab, &scratch, &yaml, &bird, &["r4", "r6"]);
    bird.wait_route(V6_ROUTE, Duration::from_secs(15));
    let r4_since = bird.since("r4").unwrap_or_else(|e| panic!("{e}"));
    let r6_since = bird.since("r6").unwrap_or_else(|e| panic!("{e}"));
    // `Since` has a resolution of one second.
    std::thread::sleep(Duration::from_millis(1100));

    // r6's hold time changes: only r6 gets Cease / Other Configuration Change and a new session.
    daemon.reload(&two_peers(switch.path(), 30, true));
    wait_until(
        Duration::from_secs(20),
        "r6 established again after its reset",
        || match (bird.state("r6"), bird.since("r6")) {
            (Ok(state), Ok(since)) if state == "Established" && since > r6_since => Ok(()),
            _ => Err(format!("{}\n{}", bird.dump(), daemon.log())),
        },
    );
    // BIRD keeps no trace of the Cease once the new session is up: our side says what it sent.
    assert!(
        daemon
            .log()
            .contains("BGP session r6: sent NOTIFICATION Cease / Other Configuration Change"),
        "{}",
        daemon.log()
    );
    assert_eq!(
        bird.since("r4"),
        Ok(r4_since),
        "r4 was reset too:\n{}",
        bird.dump()
    );
    bird.wait_route(V6_ROUTE, Duration::from_secs(15));

    // r6 is removed: its routes are withdrawn and it gets Cease / Peer De-configured.
    daemon.reload(&two_peers(switch.path(), 30, false));
    wait_until(Duration::from_secs(10), "r6 de-configured", || {
        let protocols = bird.birdc("show protocols all r6")?;
        if protocols.contains("Peer de-configured") {
            Ok(())
        } else {
            Err(bird.dump())
        }
    });
    assert_eq!(
        bird.since("r4"),
        Ok(r4_since),
        "r4 was reset:\n{}",
        bird.dump()
    );
    assert_eq!(bird.state("r4").as_deref(), Ok("Established"));
    bird.wait_route(ROUTE, Duration::from_secs(5));
    daemon.stop();
}

#[test]
fn a_reload_that_moves_the_ipv6_next_hop_reannounces_over_the_same_session() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-nexthop", lab.tag));
    let mut peer = BirdPeer::r4();
    peer.families = vec!["ipv4", "ipv6"];
    let bird = Bird::start(&lab, &scratch, ROUTER_V4, &[peer]);
    let switch = ExecSwitch::new(&scratch, 0);
    let with_hop = |hop: &str| {
        config(switch.path(), &[ROUTE, V6_ROUTE], "300ms", "120s").replace(
            "  graceful_restart:",
            &format!("  next_hop_ipv6: {hop}\n  graceful_restart:"),
        )
    };
    let mut daemon =
        Anycastd::start_established(&lab, &scratch, &with_hop(DAEMON_V6), &bird, &["r4"]);
    let v6 = bird.wait_route(V6_ROUTE, Duration::from_secs(15));
    assert_eq!(v6.next_hop, DAEMON_V6, "{}", bird.dump());
    let since = bird.since("r4").unwrap_or_else(|e| panic!("{e}"));

    // Another IPv6 next hop: the IPv6 prefix is announced again with it, on the same session.
    let moved = "fd00:18::99";
    daemon.reload(&with_hop(moved));
    wait_until(
        Duration::from_secs(10),
        "the new IPv6 next hop in BIRD",
        || match bird.route(V6_ROUTE)? {
            Some(route) if route.next_hop == moved => Ok(()),
            _ => Err(bird.dump()),
        },
    );
    assert_eq!(
        bird.since("r4"),
        Ok(since),
        "the session was reset:\n{}",
        daemon.log()
    );
    daemon.stop();
}

/// gobgpd as the router, with graceful restart and the N bit (RFC 8538), and anycastd announcing
/// [`ROUTE`] to it.
fn with_gobgpd(name: &str) -> (Lab, Scratch, Gobgp, ExecSwitch, Anycastd) {
    let start = |lab: &Lab, scratch: &Scratch| {
        let mut ours = GobgpPeer::ours(DAEMON_V4);
        ours.graceful_restart = Some(120);
        let config = gobgp::config(65000, ROUTER_V4, &[ROUTER_V4], &[ours]);
        Gobgp::start(&lab.router, scratch, &config)
    };
    one_session(name, start, DAEMON_V4, "120s")
}

#[test]
fn a_failing_check_withdraws_from_gobgpd_and_a_reload_keeps_its_session() {
    let (_lab, _scratch, router, switch, mut daemon) = with_gobgpd("gobgp-lifecycle");
    let since = router.since(DAEMON_V4).unwrap_or_else(|e| panic!("{e}"));
    // gobgpd's uptime has a resolution of one second.
    std::thread::sleep(Duration::from_millis(1100));

    // The check fails: the route leaves gobgpd's RIB, the session stays.
    switch.set(2);
    router.wait_no_route(ROUTE, Duration::from_secs(10));
    assert_eq!(router.since(DAEMON_V4), Ok(since), "{}", router.dump());
    switch.set(0);
    router.wait_route(ROUTE, Duration::from_secs(10));

    // SIGHUP adding a route and changing the check: the new route over the same session.
    daemon.reload(&config(switch.path(), &[ROUTE, ADDED], "200ms", "120s"));
    router.wait_route_via(ADDED, DAEMON_V4, &[65001], Duration::from_secs(10));
    assert_eq!(router.established(DAEMON_V4), Ok(true), "{}", router.dump());
    assert_eq!(
        router.since(DAEMON_V4),
        Ok(since),
        "the session was reset by the reload:\n{}\n{}",
        router.dump(),
        daemon.log()
    );
    daemon.stop();
    router.wait_no_route(ROUTE, Duration::from_secs(3));
    router.wait_no_route(ADDED, Duration::from_secs(3));
}

#[test]
fn sigterm_with_graceful_notification_sends_gobgpd_a_hard_reset() {
    // BIRD 2.0 does not implement RFC 8538 (no N bit in its Graceful Restart capability, no Hard
    // Reset among its Cease subcodes), so gobgpd, which does, checks what goes on the wire.
    let (_lab, _scratch, router, _switch, mut daemon) = with_gobgpd("hard-reset");
    let neighbor = router
        .cli(&["neighbor", DAEMON_V4])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        neighbor.contains("Remote: restart time 120 sec, notification flag set"),
        "gobgpd did not receive our N bit:\n{neighbor}"
    );
    daemon.stop();
    // Cease / Hard Reset (6/9) around our Cease / Administrative Shutdown (6/2), and gobgpd takes
    // the session down as a hard reset, keeping nothing stale.
    let received = router.wait_log_line(
        &["received notification", "Code=6", "Subcode=9"],
        Duration::from_secs(5),
    );
    assert!(received.contains("Data=\"[6 2 "), "{received}");
    router.wait_log_line(&["Peer Down", "Reason=hard-reset"], Duration::from_secs(5));
    router.wait_no_route(ROUTE, Duration::from_secs(3));
}

/// One iBGP peer (both in AS 65001): LOCAL_PREF 200 while up, 50 while degraded, MED 7 too.
fn ibgp_config(switch: &Path) -> String {
    format!(
        "announcer:
  router_id: {DAEMON_V4}
  local_address: {DAEMON_V4}
  local_asn: 65001
  routes: [{ROUTE}]
  peers:
    - name: r4
      remote_address: {ROUTER_V4}
      remote_asn: 65001
      connect_retry: 1s
services:
  - name: web
    check_interval: 300ms
    states:
      up: {{local_pref: 200}}
      degraded: {{local_pref: 50, med: 7}}
    checks:
      - name: plugin
        kind: exec
        interval: 300ms
        spec:
          command: [\"/bin/sh\", \"-c\", \"exit $(cat {})\"]
metrics:
  enabled: false
",
        switch.display()
    )
}

#[test]
fn an_ibgp_router_sees_each_states_local_pref() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-local-pref", lab.tag));
    let mut peer = BirdPeer::r4();
    peer.local_as = 65001;
    let bird = Bird::start(&lab, &scratch, ROUTER_V4, &[peer]);
    let switch = ExecSwitch::new(&scratch, 0);
    let mut daemon =
        Anycastd::start_established(&lab, &scratch, &ibgp_config(switch.path()), &bird, &["r4"]);
    let lines = wait_attributes(&bird, "LOCAL_PREF 200 while up", |l| {
        has(l, "BGP.local_pref: 200")
    });
    assert!(
        has(&lines, "BGP.as_path:"),
        "iBGP: an empty AS_PATH: {lines:#?}"
    );
    switch.set(1);
    let lines = wait_attributes(&bird, "LOCAL_PREF 50 while degraded", |l| {
        has(l, "BGP.local_pref: 50")
    });
    assert!(has(&lines, "BGP.med: 7"), "{lines:#?}");
    switch.set(0);
    wait_attributes(&bird, "LOCAL_PREF 200 again", |l| {
        has(l, "BGP.local_pref: 200")
    });
    daemon.stop();
}
