//! The control plane through the real binary against BIRD 2: `anycastd ctl status` showing the
//! session and the routes' attributes, a drain of one service putting GRACEFUL_SHUTDOWN on that
//! service's prefix only (and surviving a restart through the state file), `ctl reload` refused by
//! the blast-radius guard then applied with `--force`, a missing socket (exit 3) and a stale socket
//! file left by a killed daemon.

use std::os::unix::net::UnixListener;
use std::path::Path;
use std::time::Duration;

use crate::harness::anycastd::{self, Anycastd, ExecSwitch};
use crate::harness::bird::{Bird, BirdPeer};
use crate::harness::netns::{DAEMON_V4, Lab, ROUTER_V4};
use crate::harness::{Router, Scratch, holds_for, wait_until};
use crate::lifecycle::{attributes, mentions};

const WEB: &str = "192.0.2.1/32";
const DNS: &str = "192.0.2.2/32";

/// One peer and two services with a prefix each, both checked by the same exec switch; the
/// `web` service also owns `extra` prefixes (to make a reload withdraw most of the routes).
fn config(switch: &Path, scratch: &Scratch, extra: &[&str]) -> String {
    let mut web = vec![WEB];
    web.extend_from_slice(extra);
    format!(
        "announcer:
  router_id: {DAEMON_V4}
  local_address: {DAEMON_V4}
  local_asn: 65001
  routes: []
  peers:
    - name: r4
      remote_address: {ROUTER_V4}
      remote_asn: 65000
      connect_retry: 1s
services:
  - name: web
    routes: [{}]
    check_interval: 300ms
    checks:
      - name: plugin
        kind: exec
        spec:
          command: [\"/bin/sh\", \"-c\", \"exit $(cat {switch})\"]
  - name: dns
    routes: [{DNS}]
    check_interval: 300ms
    checks:
      - name: plugin
        kind: exec
        spec:
          command: [\"/bin/sh\", \"-c\", \"exit $(cat {switch})\"]
metrics:
  enabled: false
control:
  socket: {}
lifecycle:
  state_file: {}
",
        web.join(", "),
        scratch.file("control.sock").display(),
        scratch.file("state.json").display(),
        switch = switch.display(),
    )
}

fn gshut(bird: &Bird, prefix: &str) -> Result<bool, String> {
    let lines = attributes(bird, prefix)?;
    Ok(mentions(&lines, "BGP.community:", "(65535,0)"))
}

/// Waits until `prefix` in BIRD carries GRACEFUL_SHUTDOWN (`on`) or not.
fn wait_gshut(bird: &Bird, prefix: &str, on: bool) {
    let what = format!(
        "{prefix} with GRACEFUL_SHUTDOWN {}",
        if on { "on" } else { "off" }
    );
    wait_until(Duration::from_secs(15), &what, || {
        match gshut(bird, prefix) {
            Ok(now) if now == on => Ok(()),
            Ok(_) => Err(bird.dump()),
            Err(e) => Err(e),
        }
    });
}

fn lab(name: &str) -> (Lab, Scratch, Bird, ExecSwitch) {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-ctl-{}-{name}", lab.tag));
    let bird = Bird::start(&lab, &scratch, ROUTER_V4, &[BirdPeer::r4()]);
    let switch = ExecSwitch::new(&scratch, 0);
    (lab, scratch, bird, switch)
}

#[test]
fn ctl_shows_the_bird_session_and_a_service_drain_marks_only_its_prefix_across_a_restart() {
    let (lab, scratch, bird, switch) = lab("drain");
    let yaml = config(switch.path(), &scratch, &[]);
    let mut daemon = Anycastd::start_established(&lab, &scratch, &yaml, &bird, &["r4"]);
    bird.wait_route_via(WEB, DAEMON_V4, &[65001], Duration::from_secs(15));
    bird.wait_route_via(DNS, DAEMON_V4, &[65001], Duration::from_secs(15));

    // Status: the session, its negotiated facts, and each route with its AS path.
    let status = daemon.ctl(&["status"]);
    assert_eq!(status.code, Some(0), "{status:?}");
    for wanted in [
        "r4",
        ROUTER_V4,
        "established",
        WEB,
        DNS,
        "ipv4-unicast",
        " 9s ",
    ] {
        assert!(
            status
                .stdout
                .to_lowercase()
                .contains(&wanted.to_lowercase()),
            "{wanted} missing from ctl status:\n{}",
            status.stdout
        );
    }
    assert!(status.stderr.is_empty(), "{status:?}");

    // Drain one service: GRACEFUL_SHUTDOWN on its prefix only, and ctl shows the attributes.
    let drained = daemon.ctl(&["drain", "dns", "--reason", "resolver upgrade"]);
    assert_eq!(drained.code, Some(0), "{drained:?}");
    wait_gshut(&bird, DNS, true);
    holds_for(
        Duration::from_secs(2),
        "web's route stays plain",
        || match gshut(&bird, WEB)? {
            false => Ok(()),
            true => Err(bird.dump()),
        },
    );
    let routes = daemon.ctl(&["--json", "routes", "r4"]);
    assert_eq!(routes.code, Some(0), "{routes:?}");
    let routes: serde_json::Value =
        serde_json::from_str(&routes.stdout).unwrap_or_else(|e| panic!("{e}: {routes:?}"));
    let sent = &routes[0]["routes"];
    let dns = sent
        .as_array()
        .and_then(|all| all.iter().find(|r| r["prefix"] == DNS))
        .unwrap_or_else(|| panic!("{DNS} not in {routes}"));
    assert_eq!(
        dns["communities"],
        serde_json::json!(["65535:0"]),
        "{routes}"
    );
    assert_eq!(dns["med"], 4294967295u64, "{routes}");
    assert_eq!(dns["as_path"], serde_json::json!([65001]), "{routes}");
    let table = daemon.ctl(&["routes"]);
    assert!(table.stdout.contains("65535:0"), "{table:?}");
    let services = daemon.ctl(&["services"]);
    assert!(
        services.stdout.contains("drained: resolver upgrade"),
        "{services:?}"
    );
    let unknown = daemon.ctl(&["drain", "nope"]);
    assert_eq!(unknown.code, Some(1), "{unknown:?}");
    assert_eq!(unknown.stderr.lines().count(), 1, "{unknown:?}");

    // A restart (the package's upgrade) keeps the drain: the first announcement carries it.
    daemon.stop();
    bird.wait_no_route(DNS, Duration::from_secs(10));
    let mut daemon = Anycastd::start_established(&lab, &scratch, &yaml, &bird, &["r4"]);
    let first = wait_until(Duration::from_secs(15), "dns's route back", || {
        attributes(&bird, DNS)
    });
    assert!(
        mentions(&first, "BGP.community:", "(65535,0)"),
        "the restarted daemon announced {DNS} undrained: {first:#?}\n{}",
        daemon.log()
    );
    bird.wait_route(WEB, Duration::from_secs(15));
    assert_eq!(gshut(&bird, WEB), Ok(false));

    // Undrain: plain again, and the state file says so for the next start.
    let undrained = daemon.ctl(&["undrain", "dns"]);
    assert_eq!(undrained.code, Some(0), "{undrained:?}");
    wait_gshut(&bird, DNS, false);
    let state = std::fs::read_to_string(scratch.file("state.json")).unwrap_or_default();
    assert!(!state.contains("dns"), "{state}");
    daemon.stop();
    assert!(
        !daemon.socket().exists(),
        "the socket is removed at a clean stop"
    );
}

#[test]
fn ctl_reload_is_refused_by_the_guard_then_forced_and_sockets_missing_or_stale_are_handled() {
    let (lab, scratch, bird, switch) = lab("reload");
    let extra = ["192.0.2.3/32", "192.0.2.4/32", "192.0.2.5/32"];
    // A stale socket, as a killed daemon leaves it: bound once, nobody listening.
    let socket = scratch.file("control.sock");
    drop(UnixListener::bind(&socket).unwrap_or_else(|e| panic!("bind {}: {e}", socket.display())));
    let missing = anycastd::ctl(&socket, &["status"]);
    assert_eq!(missing.code, Some(3), "{missing:?}");
    assert_eq!(missing.stderr.lines().count(), 1, "{missing:?}");

    let yaml = config(switch.path(), &scratch, &extra);
    let mut daemon = Anycastd::start_established(&lab, &scratch, &yaml, &bird, &["r4"]);
    for prefix in extra {
        bird.wait_route(prefix, Duration::from_secs(15));
    }
    let status = daemon.ctl(&["status"]);
    assert_eq!(
        status.code,
        Some(0),
        "the stale socket was not replaced: {status:?}"
    );

    // Dropping web's four prefixes of five withdraws 80%: the guard (50%) refuses.
    daemon.rewrite(&config(switch.path(), &scratch, &[]).replace(WEB, DNS));
    let refused = daemon.ctl(&["reload"]);
    assert_eq!(refused.code, Some(1), "{refused:?}");
    assert!(
        refused.stdout.contains("would withdraw 4 of 5"),
        "{refused:?}"
    );
    holds_for(Duration::from_secs(2), "the routes kept", || {
        match bird.route(extra[0])? {
            Some(_) => Ok(()),
            None => Err(bird.dump()),
        }
    });
    let forced = daemon.ctl(&["reload", "--force"]);
    assert_eq!(forced.code, Some(0), "{forced:?}\n{}", daemon.log());
    assert!(forced.stdout.contains("service web"), "{forced:?}");
    for prefix in extra.iter().chain([&WEB]) {
        bird.wait_no_route(prefix, Duration::from_secs(10));
    }
    // The force was for one reload: a plain one afterwards is guarded again.
    daemon.rewrite(&config(switch.path(), &scratch, &extra));
    let back = daemon.ctl(&["reload"]);
    assert_eq!(back.code, Some(0), "{back:?}");
    bird.wait_route(extra[0], Duration::from_secs(15));
    daemon.rewrite("announcer: [broken\n");
    let broken = daemon.ctl(&["reload"]);
    assert_eq!(broken.code, Some(1), "{broken:?}");
    assert!(broken.stdout.contains("anycastd.yaml:"), "{broken:?}");
    daemon.stop();
    let gone = anycastd::ctl(&socket, &["status"]);
    assert_eq!(gone.code, Some(3), "{gone:?}");
}
