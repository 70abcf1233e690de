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
