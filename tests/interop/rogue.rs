//! A misbehaving neighbour against the real `anycastd` binary. `rogue_peer.py` (raw sockets, every
//! byte written by hand) accepts one connection per case from anycastd and sends a malformed
//! message: a bad marker, a bad length, an unknown type, bad OPEN fields, RFC 7606 attribute errors,
//! truncated frames, an oversized message, garbage after Established. anycastd must answer each with
//! the NOTIFICATION RFC 4271 §6 / RFC 6608 asks for (code, subcode and data checked), or keep the
//! session up where RFC 7606 says treat-as-withdraw, log it, and never exit; its other session, to a
//! real BIRD, must stay Established (same `Since`) throughout.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::harness::anycastd::Anycastd;
use crate::harness::bird::{Bird, BirdPeer};
use crate::harness::netns::{DAEMON_V4, DAEMON_V6, Lab, ROUTER_V4, ROUTER_V6};
use crate::harness::process::Daemon;
use crate::harness::{Router, Scratch, require_binary, wait_until};

const ROUTE: &str = "192.0.2.1/32";
const ROGUE_PORT: u16 = 1790;
const ROGUE_ASN: u32 = 65002;

/// What anycastd must do for each case of `rogue_peer.py`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Send this NOTIFICATION (code, subcode, data as hex) and close.
    Notification(u8, u8, &'static str),
    /// Keep the session up (RFC 7606 treat-as-withdraw, or a frame torn across TCP segments).
    Alive,
}

const CASES: &[(&str, Expect)] = &[
    // RFC 4271 §6.1: Connection Not Synchronized.
    ("bad-marker", Expect::Notification(1, 1, "")),
    // RFC 7606 §7.1: ORIGIN 5 is treat-as-withdraw.
    ("malformed-origin", Expect::Alive),
    // RFC 4271 §6.1: Bad Message Length, data = the length field.
    ("length-below-minimum", Expect::Notification(1, 2, "0012")),
    // RFC 7606 §7.2: a malformed AS_PATH is treat-as-withdraw.
    ("bad-as-path-segment-type", Expect::Alive),
    // RFC 4271 §6.1: Bad Message Type, data = the type.
    ("unknown-type-before-open", Expect::Notification(1, 3, "09")),
    ("as-path-overrun", Expect::Alive),
    // RFC 4271 §6.2: Unsupported Version Number, data = the largest version we support.
    ("open-version-3", Expect::Notification(2, 1, "0004")),
    // RFC 7606 §3 d: a missing NEXT_HOP is treat-as-withdraw.
    ("missing-next-hop", Expect::Alive),
    // RFC 4271 §6.2: Unacceptable Hold Time.
    ("open-hold-time-1", Expect::Notification(2, 6, "")),
    // RFC 7606 §5.3: an NLRI that cannot be parsed resets the session (Invalid Network Field).
    ("nlri-prefix-length-33", Expect::Notification(3, 10, "")),
    // RFC 4271 §6.2 / RFC 6286: Bad BGP Identifier.
    ("open-bgp-id-zero", Expect::Notification(2, 3, "")),
    // RFC 4271 §6.3: Unrecognized Well-known Attribute, data = the attribute.
    (
        "unrecognized-well-known-attribute",
        Expect::Notification(3, 2, "40c8020102"),
    ),
    // RFC 4271 §6.2: Bad Peer AS.
    ("open-as-mismatch", Expect::Notification(2, 2, "")),
    ("unknown-type-established", Expect::Notification(1, 3, "07")),
    // RFC 4271 §4.1: 4096 octets at most without RFC 8654.
    ("oversized-message", Expect::Notification(1, 2, "1001")),
    ("keepalive-length-20", Expect::Notification(1, 2, "0014")),
    // RFC 6608 §4: Unexpected Message in Established.
    ("open-in-established", Expect::Notification(5, 3, "")),
    ("garbage-after-established", Expect::Notification(1, 1, "")),
    // RFC 4271 §6.5: a frame that never completes ends in Hold Timer Expired (hold time 3 s).
    (
        "truncated-frame-then-silence",
        Expect::Notification(4, 0, ""),
    ),
    ("torn-frames-reassembled", Expect::Alive),
];

fn config() -> String {
    format!(
        "announcer:
  router_id: {DAEMON_V4}
  local_address: {DAEMON_V4}
  local_asn: 65001
  routes:
    - {ROUTE}
  peers:
    - name: upstream
      remote_address: {ROUTER_V4}
      remote_asn: 65000
      connect_retry: 1s
    - name: rogue
      remote_address: {ROUTER_V6}
      remote_port: {ROGUE_PORT}
      remote_asn: {ROGUE_ASN}
      local_address: {DAEMON_V6}
      connect_retry: 1s
services:
  - name: always
    check_interval: 1s
    checks:
      - kind: exec
        spec:
          command: [/bin/true]
metrics:
  enabled: false
"
    )
}

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/interop/rogue_peer.py")
}

/// One JSON line of the rogue's report, as (case, observed result in the table's terms).
fn observed(line: &serde_json::Value) -> Option<(String, String)> {
    let case = line.get("case")?.as_str()?.to_string();
    let result = line.get("result")?.as_str().unwrap_or("?");
    let text = match result {
        "notification" => format!(
            "NOTIFICATION {}/{} data [{}]",
            line.get("code")
                .map(ToString::to_string)
                .unwrap_or_default(),
            line.get("subcode")
                .map(ToString::to_string)
                .unwrap_or_default(),
            line.get("data").and_then(|d| d.as_str()).unwrap_or("")
        ),
        "alive" => "session kept up".to_string(),
        other => format!("{other}: {line}"),
    };
    Some((case, text))
}

fn expected_text(expect: Expect) -> String {
    match expect {
        Expect::Notification(code, subcode, data) => {
            format!("NOTIFICATION {code}/{subcode} data [{data}]")
        }
        Expect::Alive => "session kept up".to_string(),
    }
}

#[test]
fn a_misbehaving_peer_gets_the_right_notification_and_the_bird_session_never_drops() {
    require_binary("python3", "python3");
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-rogue", lab.tag));
    let bird = Bird::start(
        &lab,
        &scratch,
        ROUTER_V4,
        &[BirdPeer::new("upstream", ROUTER_V4, DAEMON_V4)],
    );
    let report = scratch.file("rogue.jsonl");
    let script = script().display().to_string();
    let port = ROGUE_PORT.to_string();
    let asn = ROGUE_ASN.to_string();
    let mut rogue = Daemon::spawn(
        "rogue_peer.py",
        Lab::exec(
            &lab.router,
            "python3",
            &[
                "-u", &script, "--listen", ROUTER_V6, "--port", &port, "--asn", &asn,
            ],
        ),
        &report,
    );
    wait_until(Duration::from_secs(10), "the rogue peer to listen", || {
        let text = std::fs::read_to_string(&report).unwrap_or_default();
        if text.contains("\"listening\"") {
            Ok(())
        } else {
            Err(text)
        }
    });

    let mut daemon = Anycastd::start(&lab, &scratch, &config());
    bird.wait_established("upstream", Duration::from_secs(30));
    bird.wait_route(ROUTE, Duration::from_secs(15));
    let since = bird.since("upstream").unwrap_or_else(|e| panic!("{e}"));

    // While the rogue runs its cases, the BIRD session must not move and anycastd must not exit.
    let deadline = Instant::now() + Duration::from_secs(300);
    while !rogue.exited() {
        assert!(
            Instant::now() < deadline,
            "the rogue peer did not finish its cases in 300 s; report so far:\n{}\nanycastd log:\n{}",
            std::fs::read_to_string(&report).unwrap_or_default(),
            daemon.log()
        );
        daemon.assert_running();
        match (bird.state("upstream"), bird.since("upstream")) {
            (Ok(state), Ok(now)) if state == "Established" && now == since => {}
            _ => panic!(
                "the BIRD session dropped while the rogue peer misbehaved:\n{}\nrogue report:\n{}\nanycastd log:\n{}",
                bird.dump(),
                std::fs::read_to_string(&report).unwrap_or_default(),
                daemon.log()
            ),
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    daemon.assert_running();

    let text = std::fs::read_to_string(&report).unwrap_or_default();
    let results: Vec<(String, String)> = text
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|value| observed(&value))
        .collect();
    let mut mismatches = Vec::new();
    let mut table = String::from("case | expected | observed\n");
    for (case, expect) in CASES {
        let want = expected_text(*expect);
        let got = results
            .iter()
            .find(|(name, _)| name == case)
            .map(|(_, got)| got.clone())
            .unwrap_or_else(|| "no report".to_string());
        table.push_str(&format!("{case} | {want} | {got}\n"));
        if got != want {
            mismatches.push(*case);
        }
    }
    eprintln!("{table}");
    assert!(
        mismatches.is_empty(),
        "anycastd answered {mismatches:?} wrongly:\n{table}\nanycastd log:\n{}",
        daemon.log()
    );

    // Every case that broke the rules is in the log, with what was wrong.
    let log = daemon.log();
    let logged = log.matches("bad message").count();
    assert!(
        logged >= 12,
        "expected a `bad message` log line per malformed message, found {logged}:\n{log}"
    );

    // The honest session kept its route and its uptime through all of it.
    assert_eq!(bird.since("upstream"), Ok(since), "{}", bird.dump());
    assert!(
        bird.route(ROUTE).ok().flatten().is_some(),
        "{ROUTE} left BIRD's RIB:\n{}",
        bird.dump()
    );
    daemon.stop();
}
