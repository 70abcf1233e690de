//! `requests_drain`: only a `file` check with `present_means: drain` reporting its file present asks
//! for draining; `describe`: every change reads as one line.

use std::path::PathBuf;

use anycastd::config::diff::{Change, describe};
use anycastd::config::model::{CheckSpec, FilePresence, FileSpec, TcpConnectSpec};
use anycastd::health::{Outcome, requests_drain};

fn file(present_means: FilePresence) -> CheckSpec {
    CheckSpec::File(FileSpec {
        path: PathBuf::from("/run/anycastd/drain"),
        present_means,
    })
}

#[test]
fn only_a_present_drain_file_requests_draining() {
    let degraded = Outcome::Degraded("drain requested by /run/anycastd/drain".into());
    assert!(requests_drain(&file(FilePresence::Drain), &degraded));
    assert!(!requests_drain(&file(FilePresence::Drain), &Outcome::Pass));
    assert!(!requests_drain(
        &file(FilePresence::Drain),
        &Outcome::Inconclusive("cannot inspect".into())
    ));
    assert!(!requests_drain(&file(FilePresence::Down), &degraded));
    assert!(!requests_drain(&file(FilePresence::Up), &degraded));
    let tcp = CheckSpec::TcpConnect(TcpConnectSpec {
        address: "127.0.0.1:53".into(),
        timeout: std::time::Duration::from_secs(1),
    });
    assert!(!requests_drain(&tcp, &degraded));
}

#[test]
fn every_change_is_described_in_one_line_naming_what_it_touches() {
    let changes = [
        (Change::PeerRemoved("r1".into()), "Peer De-configured"),
        (Change::PeerReset("r1".into()), "Other Configuration Change"),
        (Change::PeerAdded("r2".into()), "peer r2: added"),
        (
            Change::CheckChanged {
                service: "web".into(),
                check: "http".into(),
            },
            "check http changed",
        ),
        (Change::GlobalRoutesChanged, "sessions kept"),
    ];
    for (change, words) in changes {
        let line = describe(&change);
        assert!(line.contains(words), "{line:?} lacks {words:?}");
        assert!(!line.contains('\n'), "{line:?}");
    }
}

fn with_next_hop_ipv6(next_hop: Option<&str>) -> anycastd::config::model::Config {
    let hop = next_hop.map_or(String::new(), |h| format!("  next_hop_ipv6: {h}\n"));
    let text = format!(
        "announcer:
  router_id: 192.0.2.254
  local_address: 198.18.0.2
  local_asn: 65001
  routes: [192.0.2.1/32, 2001:db8::1/128]
{hop}  peers:
    - name: r4
      remote_address: 198.18.0.1
      remote_asn: 65000
    - name: r6
      remote_address: fd00:18::1
      local_address: fd00:18::2
      remote_asn: 65000
services:
  - name: dns
    check_interval: 1s
    checks:
      - kind: tcp_connect
        spec:
          address: 127.0.0.1:53
metrics:
  enabled: false
"
    );
    anycastd::config::load(std::path::Path::new("t.yaml"), &text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_next_hop_that_adds_a_family_resets_that_session_and_a_new_value_does_not() {
    use anycastd::config::diff::diff;
    let none = with_next_hop_ipv6(None);
    let one = with_next_hop_ipv6(Some("fd00:18::2"));
    let other = with_next_hop_ipv6(Some("fd00:18::3"));
    // IPv6 unicast joins the IPv4 session's OPEN: only r4 starts again; r6 already had it.
    let appearing = diff(&none, &one);
    assert!(
        appearing.contains(&Change::PeerReset("r4".into())),
        "{appearing:?}"
    );
    assert!(
        !appearing.contains(&Change::PeerReset("r6".into())),
        "{appearing:?}"
    );
    assert!(
        appearing.contains(&Change::NextHopsChanged),
        "{appearing:?}"
    );
    // Another address of a family already offered: no session reset, UPDATEs only.
    let moved = diff(&one, &other);
    assert_eq!(
        moved.into_iter().collect::<Vec<_>>(),
        vec![Change::NextHopsChanged]
    );
}
