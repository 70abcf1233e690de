//! Unit tests of the session FSM: exact, ordered actions for each transition.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

use std::net::Ipv4Addr;
use std::time::Duration;

use super::backoff::Backoff;
use super::*;
use crate::bgp::codec::{
    Afi, Capability, GracefulRestartCapability, Message, Notification, Open, RouteRefresh, Safi,
    Update,
};
use crate::bgp::types::{Asn, HoldTime};

mod open;

const SEED: u64 = 7;
const BASE: Duration = Duration::from_secs(5);
const LOCAL_ID: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const PEER_ID: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 2);

fn asn(n: u32) -> Asn {
    Asn::new(n).unwrap()
}

fn config() -> SessionConfig {
    SessionConfig {
        local_asn: asn(65001),
        remote_asn: asn(65002),
        router_id: LOCAL_ID,
        hold_time: HoldTime::new(90).unwrap(),
        connect_retry: BASE,
        passive: false,
        families: vec![IPV4_UNICAST],
        graceful_restart: None,
        send_hold_time: None,
    }
}

fn peer_open() -> Open {
    Open {
        version: 4,
        my_as: 65002,
        hold_time: 90,
        router_id: PEER_ID,
        capabilities: vec![
            Capability::MultiProtocol(Afi::Ipv4, Safi::Unicast),
            Capability::RouteRefresh,
            Capability::FourOctetAs(65002),
        ],
    }
}

fn notification(code: u8, subcode: u8, data: &[u8]) -> Notification {
    Notification {
        code,
        subcode,
        data: data.to_vec(),
    }
}

fn send_notification(code: u8, subcode: u8, data: &[u8]) -> Action {
    Action::Send(Message::Notification(notification(code, subcode, data)))
}

fn changed(from: State, to: State) -> Action {
    Action::StateChanged { from, to }
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// The back-off a session with `SEED` goes through, replayed.
fn twin() -> Backoff {
    Backoff::new(BASE, SEED)
}

fn session_in(config: SessionConfig, state: State) -> Session {
    let mut s = Session::new(config, SEED);
    let path: &[Event] = match state {
        State::Idle => &[],
        State::Connect => &[Event::Start],
        State::Active => &[Event::Start, Event::TcpFailed],
        State::OpenSent => &[Event::Start, Event::TcpConnected],
        State::OpenConfirm => &[
            Event::Start,
            Event::TcpConnected,
            Event::Received(Message::Open(peer_open())),
        ],
        State::Established => &[
            Event::Start,
            Event::TcpConnected,
            Event::Received(Message::Open(peer_open())),
            Event::Received(Message::Keepalive),
        ],
    };
    for event in path {
        s.handle(event.clone());
    }
    assert_eq!(s.state(), state);
    s
}

fn established() -> Session {
    session_in(config(), State::Established)
}

fn open_sent() -> Session {
    session_in(config(), State::OpenSent)
}

/// Back-off after Start (one draw) then Established (reset): the first IdleHold wait.
fn idle_hold_after_established() -> Duration {
    let mut t = twin();
    t.current();
    t.reset();
    t.failure()
}

/// Back-off after Start (one draw): the IdleHold wait of a handshake failure.
fn idle_hold_after_handshake() -> Duration {
    let mut t = twin();
    t.current();
    t.failure()
}

#[test]
fn start_in_idle_arms_connect_retry_and_connects() {
    let mut s = Session::new(config(), SEED);
    let first = twin().current();
    assert_eq!(
        s.handle(Event::Start),
        [
            Action::StartTimer(Timer::ConnectRetry, first),
            Action::ConnectTcp,
            changed(State::Idle, State::Connect)
        ]
    );
}

#[test]
fn passive_start_waits_in_active_without_a_timer() {
    let mut s = Session::new(
        SessionConfig {
            passive: true,
            ..config()
        },
        SEED,
    );
    assert_eq!(
        s.handle(Event::Start),
        [changed(State::Idle, State::Active)]
    );
    assert_eq!(s.handle(Event::TimerExpired(Timer::ConnectRetry)), []);
    assert_eq!(s.state(), State::Active);
}

#[test]
fn tcp_connected_in_connect_sends_open_and_arms_the_large_hold_timer() {
    let mut s = session_in(config(), State::Connect);
    assert_eq!(
        s.handle(Event::TcpConnected),
        [
            Action::StopTimer(Timer::ConnectRetry),
            Action::Send(Message::Open(config().open())),
            Action::StartTimer(Timer::Hold, secs(240)),
            changed(State::Connect, State::OpenSent),
        ]
    );
}

#[test]
fn inbound_connection_in_passive_active_sends_open() {
    let mut s = session_in(
        SessionConfig {
            passive: true,
            ..config()
        },
        State::Idle,
    );
    s.handle(Event::Start);
    assert_eq!(
        s.handle(Event::TcpConnected),
        [
            Action::Send(Message::Open(
                SessionConfig {
                    passive: true,
                    ..config()
                }
                .open()
            )),
            Action::StartTimer(Timer::Hold, secs(240)),
            changed(State::Active, State::OpenSent),
        ]
    );
}

#[test]
fn hold_timer_expiry_in_established_sends_notification_then_closes() {
    let mut s = established();
    assert_eq!(
        s.handle(Event::TimerExpired(Timer::Hold)),
        [
            send_notification(4, 0, &[]),
            Action::CloseTcp,
            Action::StopTimer(Timer::Keepalive),
            Action::StartTimer(Timer::IdleHold, idle_hold_after_established()),
            changed(State::Established, State::Idle),
            Action::Down(DownReason::HoldTimerExpired),
        ]
    );
}

#[test]
fn hold_timer_expiry_in_open_sent_sends_notification_then_closes() {
    let mut s = open_sent();
    assert_eq!(
        s.handle(Event::TimerExpired(Timer::Hold)),
        [
            send_notification(4, 0, &[]),
            Action::CloseTcp,
            Action::StartTimer(Timer::IdleHold, idle_hold_after_handshake()),
            changed(State::OpenSent, State::Idle),
            Action::Down(DownReason::HoldTimerExpired),
        ]
    );
}

#[test]
fn keepalive_timer_expiry_sends_keepalive_and_rearms() {
    let mut s = established();
    assert_eq!(
        s.handle(Event::TimerExpired(Timer::Keepalive)),
        [
            Action::Send(Message::Keepalive),
            Action::StartTimer(Timer::Keepalive, secs(30))
        ]
    );
}

#[test]
fn keepalive_and_update_restart_the_hold_timer() {
    let mut s = established();
    assert_eq!(
        s.handle(Event::Received(Message::Keepalive)),
        [Action::StartTimer(Timer::Hold, secs(90))]
    );
    assert_eq!(
        s.handle(Event::Received(Message::Update(Update::default()))),
        [
            Action::StartTimer(Timer::Hold, secs(90)),
            Action::UpdateReceived
        ]
    );
}

#[test]
fn unexpected_messages_are_fsm_errors_with_the_state_subcode() {
    let cases = [
        (State::OpenSent, Message::Keepalive, 1),
        (State::OpenSent, Message::Update(Update::default()), 1),
        (State::OpenConfirm, Message::Update(Update::default()), 2),
        (State::OpenConfirm, Message::Open(peer_open()), 2),
        (State::Established, Message::Open(peer_open()), 3),
    ];
    for (state, message, subcode) in cases {
        let mut s = session_in(config(), state);
        let actions = s.handle(Event::Received(message));
        assert_eq!(actions[0], send_notification(5, subcode, &[]), "{state}");
        assert_eq!(actions[1], Action::CloseTcp);
        assert_eq!(
            actions.last(),
            Some(&Action::Down(DownReason::NotificationSent {
                code: 5,
                subcode
            }))
        );
        assert_eq!(s.state(), State::Idle);
    }
}

#[test]
fn the_expiry_of_a_timer_that_is_not_running_is_ignored() {
    let mut s = established();
    assert_eq!(s.handle(Event::TimerExpired(Timer::ConnectRetry)), []);
    assert_eq!(s.handle(Event::TimerExpired(Timer::IdleHold)), []);
    let mut idle = Session::new(config(), SEED);
    assert_eq!(idle.handle(Event::TimerExpired(Timer::IdleHold)), []);
    // Stopped while backing off: a late IdleHold expiry does not restart the session.
    let mut stopped = established();
    stopped.handle(Event::TcpFailed);
    stopped.handle(Event::Stop(StopReason::shutdown(None)));
    assert_eq!(stopped.handle(Event::TimerExpired(Timer::IdleHold)), []);
    assert_eq!(stopped.state(), State::Idle);
    // A timer expires once: the second report is stale.
    let mut s = established();
    assert_eq!(s.handle(Event::TimerExpired(Timer::Keepalive)).len(), 2);
    let mut s2 = established();
    s2.handle(Event::TimerExpired(Timer::Hold));
    assert_eq!(s2.handle(Event::TimerExpired(Timer::Hold)), []);
}

#[test]
fn a_received_notification_goes_down_with_the_peer_reason_and_shutdown_text() {
    let mut s = established();
    let mut data = vec![11];
    data.extend_from_slice(b"maintenance");
    assert_eq!(
        s.handle(Event::Received(Message::Notification(notification(
            6, 2, &data
        )))),
        [
            Action::CloseTcp,
            Action::StopTimer(Timer::Hold),
            Action::StopTimer(Timer::Keepalive),
            Action::StartTimer(Timer::IdleHold, idle_hold_after_established()),
            changed(State::Established, State::Idle),
            Action::Down(DownReason::NotificationReceived {
                code: 6,
                subcode: 2,
                text: Some("maintenance".to_owned())
            }),
        ]
    );
}

#[test]
fn a_shutdown_text_inside_a_hard_reset_is_read_too() {
    let mut data = vec![6, 2, 2];
    data.extend_from_slice(b"ok");
    assert_eq!(
        negotiate::shutdown_text(&notification(6, 9, &data)),
        Some("ok".to_owned())
    );
    assert_eq!(
        negotiate::shutdown_text(&notification(6, 2, &[5, b'a'])),
        None,
        "truncated"
    );
    assert_eq!(
        negotiate::shutdown_text(&notification(6, 2, &[2, 0xff, 0xfe])),
        None,
        "not UTF-8"
    );
    assert_eq!(
        negotiate::shutdown_text(&notification(6, 3, &[1, b'a'])),
        None,
        "no text subcode"
    );
}

#[test]
fn stop_in_established_sends_cease_with_the_shutdown_text_and_stays_down() {
    let mut s = established();
    let mut data = vec![3];
    data.extend_from_slice(b"bye");
    assert_eq!(
        s.handle(Event::Stop(StopReason::shutdown(Some("bye".to_owned())))),
        [
            send_notification(6, 2, &data),
            Action::CloseTcp,
            Action::StopTimer(Timer::Hold),
            Action::StopTimer(Timer::Keepalive),
            changed(State::Established, State::Idle),
            Action::Down(DownReason::Stopped(CeaseSubcode::AdministrativeShutdown)),
        ]
    );
    // No automatic restart: nothing is armed, and only Start leaves Idle.
    assert_eq!(s.handle(Event::TcpConnected), [Action::CloseTcp]);
    assert_eq!(s.handle(Event::Start)[1], Action::ConnectTcp);
}

#[test]
fn a_long_shutdown_text_is_cut_at_255_octets_on_a_character_boundary() {
    let text = "é".repeat(200); // 400 octets
    let n = negotiate::cease(CeaseSubcode::AdministrativeShutdown, Some(&text));
    assert_eq!(n.data[0], 254);
    assert_eq!(n.data.len(), 255);
    assert!(std::str::from_utf8(&n.data[1..]).is_ok());
    assert_eq!(
        negotiate::cease(CeaseSubcode::PeerDeconfigured, Some("x")).data,
        Vec::<u8>::new()
    );
}

#[test]
fn stop_with_graceful_notification_sends_a_hard_reset_so_no_routes_stay_stale() {
    let config = SessionConfig {
        graceful_restart: Some(secs(120)),
        ..config()
    };
    let mut s = session_in(config.clone(), State::OpenSent);
    let mut open = peer_open();
    open.capabilities
        .push(Capability::GracefulRestart(GracefulRestartCapability {
            restarting: false,
            notification: true,
            restart_time: 120,
            families: vec![(Afi::Ipv4, Safi::Unicast, true)],
        }));
    s.handle(Event::Received(Message::Open(open)));
    s.handle(Event::Received(Message::Keepalive));
    let actions = s.handle(Event::Stop(StopReason::shutdown(Some("x".to_owned()))));
    assert_eq!(actions[0], send_notification(6, 9, &[6, 2, 1, b'x']));
}

#[test]
fn stop_in_connect_aborts_the_attempt_without_a_notification() {
    let mut s = session_in(config(), State::Connect);
    assert_eq!(
        s.handle(Event::Stop(StopReason::shutdown(None))),
        [
            Action::CloseTcp,
            Action::StopTimer(Timer::ConnectRetry),
            changed(State::Connect, State::Idle)
        ]
    );
}

#[test]
fn stop_in_idle_cancels_the_automatic_restart() {
    let mut s = established();
    s.handle(Event::TcpFailed);
    assert_eq!(
        s.handle(Event::Stop(StopReason::shutdown(None))),
        [Action::StopTimer(Timer::IdleHold)]
    );
    assert_eq!(s.handle(Event::Stop(StopReason::shutdown(None))), []);
}

#[test]
fn tcp_failure_in_established_goes_down_and_backs_off() {
    let mut s = established();
    assert_eq!(
        s.handle(Event::TcpFailed),
        [
            Action::CloseTcp,
            Action::StopTimer(Timer::Hold),
            Action::StopTimer(Timer::Keepalive),
            Action::StartTimer(Timer::IdleHold, idle_hold_after_established()),
            changed(State::Established, State::Idle),
            Action::Down(DownReason::TcpFailed),
        ]
    );
}

#[test]
fn idle_hold_expiry_restarts_automatically() {
    let mut s = established();
    s.handle(Event::TcpFailed);
    let mut t = twin();
    t.current();
    t.reset();
    t.failure();
    assert_eq!(
        s.handle(Event::TimerExpired(Timer::IdleHold)),
        [
            Action::StartTimer(Timer::ConnectRetry, t.current()),
            Action::ConnectTcp,
            changed(State::Idle, State::Connect),
        ]
    );
}

#[test]
fn tcp_failure_in_connect_backs_off_in_active_then_reconnects() {
    let mut s = session_in(config(), State::Connect);
    let mut t = twin();
    t.current();
    let wait = t.failure();
    assert_eq!(
        s.handle(Event::TcpFailed),
        [
            Action::StartTimer(Timer::ConnectRetry, wait),
            changed(State::Connect, State::Active)
        ]
    );
    assert_eq!(
        s.handle(Event::TimerExpired(Timer::ConnectRetry)),
        [
            Action::StartTimer(Timer::ConnectRetry, t.current()),
            Action::ConnectTcp,
            changed(State::Active, State::Connect)
        ]
    );
}

#[test]
fn connect_retry_expiry_in_connect_retries_the_connection() {
    let mut s = session_in(config(), State::Connect);
    let mut t = twin();
    t.current();
    assert_eq!(
        s.handle(Event::TimerExpired(Timer::ConnectRetry)),
        [
            Action::CloseTcp,
            Action::StartTimer(Timer::ConnectRetry, t.failure()),
            Action::ConnectTcp
        ]
    );
    assert_eq!(s.state(), State::Connect);
}

#[test]
fn tcp_failure_in_open_sent_closes_and_waits_in_active() {
    let mut s = open_sent();
    assert_eq!(
        s.handle(Event::TcpFailed),
        [
            Action::CloseTcp,
            Action::StopTimer(Timer::Hold),
            Action::StartTimer(Timer::ConnectRetry, idle_hold_after_handshake()),
            changed(State::OpenSent, State::Active),
            Action::Down(DownReason::TcpFailed),
        ]
    );
}

#[test]
fn backoff_doubles_up_to_120_seconds_within_25_percent_jitter() {
    let mut b = Backoff::new(BASE, 1);
    for nominal in [5u64, 10, 20, 40, 80, 120, 120, 120] {
        let d = b.failure();
        let (low, high) = (secs(nominal) * 3 / 4, secs(nominal) * 5 / 4);
        assert!(d >= low && d <= high, "{d:?} outside {low:?}..={high:?}");
    }
    b.reset();
    assert!(b.failure() <= secs(5) * 5 / 4);
    // A base above the ceiling is its own ceiling.
    let mut slow = Backoff::new(secs(300), 1);
    for _ in 0..3 {
        assert!(slow.failure() <= secs(375));
    }
}

#[test]
fn jitter_differs_between_seeds_and_repeats_for_one_seed() {
    let draws = |seed| {
        let mut b = Backoff::new(secs(100), seed);
        (0..8).map(|_| b.current()).collect::<Vec<_>>()
    };
    assert_eq!(draws(1), draws(1));
    assert_ne!(draws(1), draws(2));
}

#[test]
fn a_session_that_reaches_established_resets_the_backoff() {
    let mut s = session_in(config(), State::Connect);
    s.handle(Event::TcpFailed);
    s.handle(Event::TimerExpired(Timer::ConnectRetry));
    s.handle(Event::TcpConnected);
    s.handle(Event::Received(Message::Open(peer_open())));
    s.handle(Event::Received(Message::Keepalive));
    let actions = s.handle(Event::TcpFailed);
    let Some(Action::StartTimer(Timer::IdleHold, wait)) = actions.get(3) else {
        panic!("{actions:?}")
    };
    assert!(*wait <= BASE * 5 / 4, "{wait:?}");
}

#[test]
fn a_decode_failure_sends_its_notification_then_closes() {
    let mut s = established();
    let failure = DecodeFailure {
        notification: notification(3, 1, &[]),
        reset: true,
    };
    assert_eq!(
        s.handle(Event::DecodeFailed(failure)),
        [
            send_notification(3, 1, &[]),
            Action::CloseTcp,
            Action::StopTimer(Timer::Hold),
            Action::StopTimer(Timer::Keepalive),
            Action::StartTimer(Timer::IdleHold, idle_hold_after_established()),
            changed(State::Established, State::Idle),
            Action::Down(DownReason::NotificationSent {
                code: 3,
                subcode: 1
            }),
        ]
    );
}

#[test]
fn a_treat_as_withdraw_error_keeps_the_session_up() {
    let mut s = established();
    let failure = DecodeFailure {
        notification: notification(3, 11, &[]),
        reset: false,
    };
    assert_eq!(
        s.handle(Event::DecodeFailed(failure)),
        [
            Action::StartTimer(Timer::Hold, secs(90)),
            Action::IgnoredUpdateError(notification(3, 11, &[]))
        ]
    );
    assert_eq!(s.state(), State::Established);
}

#[test]
fn route_refresh_for_a_negotiated_family_asks_for_the_table_and_others_are_ignored() {
    let mut s = established();
    assert_eq!(
        s.handle(Event::Received(Message::RouteRefresh(RouteRefresh {
            afi: Afi::Ipv4,
            safi: Safi::Unicast
        }))),
        [Action::RouteRefreshRequested(Afi::Ipv4, Safi::Unicast)]
    );
    assert_eq!(
        s.handle(Event::Received(Message::RouteRefresh(RouteRefresh {
            afi: Afi::Ipv6,
            safi: Safi::Unicast
        }))),
        []
    );
}

#[test]
fn events_in_idle_other_than_start_do_nothing_and_connections_are_refused() {
    let mut s = Session::new(config(), SEED);
    for event in [
        Event::TcpFailed,
        Event::TimerExpired(Timer::Hold),
        Event::Received(Message::Keepalive),
    ] {
        assert_eq!(s.handle(event), []);
    }
    assert_eq!(s.handle(Event::TcpConnected), [Action::CloseTcp]);
    assert_eq!(s.state(), State::Idle);
}

#[test]
fn a_message_in_connect_drops_the_attempt_and_backs_off() {
    let mut s = session_in(config(), State::Connect);
    let mut t = twin();
    t.current();
    assert_eq!(
        s.handle(Event::Received(Message::Keepalive)),
        [
            Action::CloseTcp,
            Action::StopTimer(Timer::ConnectRetry),
            Action::StartTimer(Timer::IdleHold, t.failure()),
            changed(State::Connect, State::Idle),
        ]
    );
}

#[test]
fn down_reasons_have_stable_labels() {
    let text = None;
    assert_eq!(
        DownReason::HoldTimerExpired.as_label(),
        "hold_timer_expired"
    );
    assert_eq!(
        DownReason::NotificationReceived {
            code: 6,
            subcode: 2,
            text
        }
        .as_label(),
        "received_cease"
    );
    assert_eq!(
        DownReason::NotificationSent {
            code: 2,
            subcode: 2
        }
        .as_label(),
        "sent_open_message_error"
    );
    assert_eq!(DownReason::TcpFailed.as_label(), "tcp_failed");
    assert_eq!(
        DownReason::Stopped(CeaseSubcode::AdministrativeShutdown).as_label(),
        "stopped"
    );
}

#[test]
fn a_decode_error_becomes_a_failure_with_the_codec_verdict() {
    use crate::bgp::codec::DecodeContext;
    let mut frame = vec![0xff; 16];
    frame.extend_from_slice(&[0, 19, 9]); // unknown message type 9
    let error = Message::decode(&frame, &DecodeContext::default()).unwrap_err();
    let failure = DecodeFailure::from(&error);
    assert!(failure.reset);
    assert_eq!(
        (failure.notification.code, failure.notification.subcode),
        (1, 3)
    );

    // UPDATE with ORIGIN 5 (undefined) for 192.0.2.0/24: treat-as-withdraw (RFC 7606 §7.1).
    let mut frame = vec![0xff; 16];
    frame.extend_from_slice(&[0, 31, 2, 0, 0, 0, 4, 0x40, 1, 1, 5, 24, 192, 0, 2]);
    let error = Message::decode(&frame, &DecodeContext::default()).unwrap_err();
    let failure = DecodeFailure::from(&error);
    assert!(!failure.reset, "{error:?}");
    assert_eq!(failure.notification.code, 3);
}
