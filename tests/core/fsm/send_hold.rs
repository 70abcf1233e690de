//! The SendHoldTimer (RFC 9687) as a table: for each configuration and negotiated hold time, a
//! sequence of output reports and what the session does with its timer, until it expires.

use std::time::Duration;

use anycastd::bgp::codec::{Message, Open};
use anycastd::bgp::fsm::{Action, Event, Session, SessionConfig, State, Timer};

use super::table::{config, peer_open};

const WAITS: Event = Event::Output {
    pending: true,
    progressed: false,
};
const TOOK_SOME: Event = Event::Output {
    pending: true,
    progressed: true,
};
const DRAINED: Event = Event::Output {
    pending: false,
    progressed: true,
};

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// A session in Established after the peer's OPEN with `peer_hold` seconds.
fn established(send_hold_time: Option<Duration>, peer_hold: u16) -> Session {
    let config = SessionConfig {
        send_hold_time,
        ..config()
    };
    let mut session = Session::new(config, 1);
    let open = Open {
        hold_time: peer_hold,
        ..peer_open()
    };
    for event in [
        Event::Start,
        Event::TcpConnected,
        Event::Received(Message::Open(open)),
        Event::Received(Message::Keepalive),
    ] {
        session.handle(event);
    }
    assert_eq!(session.state(), State::Established);
    session
}

/// The SendHoldTimer actions of `actions`, and whether a NOTIFICATION 8/0 went out.
fn send_hold(actions: &[Action]) -> Vec<String> {
    actions
        .iter()
        .filter_map(|action| match action {
            Action::StartTimer(Timer::SendHold, after) => Some(format!("start {after:?}")),
            Action::StopTimer(Timer::SendHold) => Some("stop".to_owned()),
            Action::Send(Message::Notification(n)) => {
                Some(format!("NOTIFICATION {}/{}", n.code, n.subcode))
            }
            Action::CloseTcp => Some("close".to_owned()),
            Action::Down(reason) => Some(format!("down {}", reason.as_label())),
            _ => None,
        })
        .collect()
}

/// What, configured `send_hold_time`, the peer's hold time, and each event with what it gives.
type Case = (
    &'static str,
    Option<Duration>,
    u16,
    Vec<(Event, Vec<&'static str>)>,
);

#[test]
fn the_send_hold_timer_runs_while_output_waits_without_progress() {
    let expired = Event::TimerExpired(Timer::SendHold);
    // (what, configured send_hold_time, peer's hold time, events, expected per event)
    let cases: Vec<Case> = vec![
        (
            "default: twice the negotiated hold time (30 s)",
            None,
            30,
            vec![
                (WAITS, vec!["start 60s"]),
                // Still no progress: the timer keeps running from the first report.
                (WAITS, vec![]),
                (TOOK_SOME, vec!["start 60s"]),
                (DRAINED, vec!["stop"]),
                (DRAINED, vec![]),
                (WAITS, vec!["start 60s"]),
                (
                    expired.clone(),
                    vec!["NOTIFICATION 8/0", "close", "down send_hold_timer_expired"],
                ),
            ],
        ),
        (
            "configured 10 s",
            Some(secs(10)),
            30,
            vec![
                (WAITS, vec!["start 10s"]),
                (
                    expired.clone(),
                    vec!["NOTIFICATION 8/0", "close", "down send_hold_timer_expired"],
                ),
            ],
        ),
        (
            "configured 0: off",
            Some(Duration::ZERO),
            30,
            vec![
                (WAITS, vec![]),
                (TOOK_SOME, vec![]),
                (expired.clone(), vec![]),
            ],
        ),
        (
            "default with hold time 0: off, as BIRD",
            None,
            0,
            vec![(WAITS, vec![]), (expired.clone(), vec![])],
        ),
        (
            "configured 5 s with hold time 0: on",
            Some(secs(5)),
            0,
            vec![(WAITS, vec!["start 5s"])],
        ),
        (
            "an expiry after the output drained is stale",
            None,
            30,
            vec![
                (WAITS, vec!["start 60s"]),
                (DRAINED, vec!["stop"]),
                (expired, vec![]),
            ],
        ),
    ];
    for (what, configured, peer_hold, steps) in cases {
        let mut session = established(configured, peer_hold);
        for (i, (event, want)) in steps.into_iter().enumerate() {
            let got = send_hold(&session.handle(event));
            assert_eq!(got, want, "{what}, step {i}");
        }
    }
}

#[test]
fn before_the_opens_the_send_hold_time_is_twice_the_open_hold_time() {
    let mut session = Session::new(config(), 1);
    session.handle(Event::Start);
    session.handle(Event::TcpConnected);
    assert_eq!(session.state(), State::OpenSent);
    assert_eq!(session.send_hold_time(), Some(secs(480)));
    assert_eq!(send_hold(&session.handle(WAITS)), ["start 480s"]);
}

#[test]
fn output_past_its_cap_resets_with_cease_out_of_resources_and_backs_off() {
    let mut session = established(None, 30);
    let actions = session.handle(Event::OutputOverflow);
    assert_eq!(
        send_hold(&actions),
        ["NOTIFICATION 6/8", "close", "down sent_cease"]
    );
    assert!(
        actions
            .iter()
            .any(|a| matches!(a, Action::StartTimer(Timer::IdleHold, _))),
        "the session starts again after the back-off: {actions:?}"
    );
    assert_eq!(session.state(), State::Idle);
}
