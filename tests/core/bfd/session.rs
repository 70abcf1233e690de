//! Scenarios for the BFD session machine: two sessions wired back to back (whoever sends first),
//! detection, the Poll Sequence of a reload, and the jitter bounds.

use std::collections::VecDeque;
use std::time::Duration;

use anycastd::bfd::{
    Action, Diagnostic, Event, Packet, SLOW_TX_INTERVAL, Session, SessionConfig, State, Timer,
};

use super::table::{LOCAL, REMOTE, config, from_peer, session_in};

/// Delivers every packet `actions` sends to `peer`, and the answers back, until both fall quiet.
fn exchange(a: &mut Session, b: &mut Session, first: Vec<Action>) {
    let mut queue: VecDeque<(bool, Packet)> = VecDeque::new();
    let sent = |actions: Vec<Action>, to_b: bool, queue: &mut VecDeque<(bool, Packet)>| {
        for action in actions {
            if let Action::Send(packet) = action {
                queue.push_back((to_b, packet));
            }
        }
    };
    sent(first, true, &mut queue);
    let mut rounds = 0;
    while let Some((to_b, packet)) = queue.pop_front() {
        rounds += 1;
        assert!(rounds < 50, "the sessions keep talking");
        let (target, back) = if to_b {
            (&mut *b, false)
        } else {
            (&mut *a, true)
        };
        let actions = target.handle(Event::Received(packet));
        sent(actions, back, &mut queue);
    }
}

fn pair() -> (Session, Session) {
    (
        Session::new(config(), LOCAL, 7),
        Session::new(config(), REMOTE, 8),
    )
}

#[test]
fn the_three_way_handshake_reaches_up_whoever_sends_first() {
    for a_first in [true, false] {
        let (mut a, mut b) = pair();
        let (first, second) = if a_first {
            (&mut a, &mut b)
        } else {
            (&mut b, &mut a)
        };
        let opening = first.handle(Event::Start);
        second.handle(Event::Start);
        exchange(first, second, opening);
        // The side that answered a Poll with a Final sends its own Poll on its next tick.
        let tick = second.handle(Event::TimerExpired(Timer::Transmit));
        exchange(second, first, tick);
        assert_eq!(
            (a.state(), b.state()),
            (State::Up, State::Up),
            "a first: {a_first}"
        );
        assert_eq!(a.remote_discriminator(), REMOTE);
        assert_eq!(b.remote_discriminator(), LOCAL);
        assert!(
            !a.polling() && !b.polling(),
            "each has acknowledged the other's fast rate"
        );
        assert_eq!(a.transmit_interval(), Some(Duration::from_millis(100)));
        assert_eq!(a.detection_time(), Duration::from_millis(300));
    }
}

#[test]
fn outside_up_the_session_advertises_at_least_one_second() {
    let mut session = Session::new(config(), LOCAL, 1);
    let actions = session.handle(Event::Start);
    let Some(Action::Send(packet)) = actions.get(1) else {
        panic!("Start sends at once: {actions:?}");
    };
    assert_eq!(packet.desired_min_tx, 1_000_000);
    assert_eq!(packet.required_min_rx, 100_000);
    assert_eq!(session.transmit_interval(), Some(SLOW_TX_INTERVAL));
}

#[test]
fn detection_time_expiry_in_up_goes_down_with_diagnostic_1_and_forgets_the_peer() {
    let mut session = session_in(State::Up);
    session.handle(Event::Received(from_peer(State::Up, LOCAL)));
    // Peer x4, sends every 200 ms; we require 100 ms: 4 x 200 ms.
    assert_eq!(session.detection_time(), Duration::from_millis(800));
    let actions = session.handle(Event::TimerExpired(Timer::Detect));
    assert!(actions.contains(&Action::StateChanged {
        from: State::Up,
        to: State::Down,
        diagnostic: Diagnostic::ControlDetectionTimeExpired,
    }));
    assert_eq!(session.remote_discriminator(), 0);
    assert_eq!(session.transmit_interval(), Some(SLOW_TX_INTERVAL));
}

#[test]
fn every_accepted_packet_rearms_detection() {
    let mut session = session_in(State::Up);
    let actions = session.handle(Event::Received(from_peer(State::Up, LOCAL)));
    assert_eq!(
        actions,
        [Action::StartTimer(
            Timer::Detect,
            Duration::from_millis(800)
        )]
    );
}

#[test]
fn a_reload_in_up_runs_a_poll_sequence_without_a_flap() {
    let (mut a, mut b) = pair();
    let opening = a.handle(Event::Start);
    b.handle(Event::Start);
    exchange(&mut a, &mut b, opening);
    let slower = SessionConfig {
        min_tx: Duration::from_millis(300),
        min_rx: Duration::from_millis(50),
        multiplier: 3,
    };
    let actions = a.handle(Event::Reconfigure(slower));
    assert!(a.polling());
    // An increase of TX waits for the Final; a decrease of RX does not lower detection yet.
    assert_eq!(a.transmit_interval(), Some(Duration::from_millis(100)));
    assert_eq!(a.detection_time(), Duration::from_millis(300));
    let Some(Action::Send(poll)) = actions.first() else {
        panic!("a reload in Up sends a Poll at once: {actions:?}");
    };
    assert!(poll.poll && poll.desired_min_tx == 300_000);
    exchange(&mut a, &mut b, actions);
    assert_eq!((a.state(), b.state()), (State::Up, State::Up));
    assert!(!a.polling());
    assert_eq!(a.transmit_interval(), Some(Duration::from_millis(300)));
    assert_eq!(
        a.detection_time(),
        Duration::from_millis(300),
        "3 x max(50, peer's 100)"
    );
    assert_eq!(
        b.detection_time(),
        Duration::from_millis(900),
        "3 x our 300 ms"
    );
}

#[test]
fn the_peer_going_admin_down_is_a_down_with_diagnostic_3() {
    let mut session = session_in(State::Up);
    let actions = session.handle(Event::Received(from_peer(State::AdminDown, LOCAL)));
    assert!(actions.contains(&Action::StateChanged {
        from: State::Up,
        to: State::Down,
        diagnostic: Diagnostic::NeighborSignaledSessionDown,
    }));
}

#[test]
fn stop_says_admin_down_for_one_detection_time_then_falls_silent() {
    let mut session = session_in(State::Up);
    session.handle(Event::Received(from_peer(State::Up, LOCAL)));
    let actions = session.handle(Event::Stop);
    let Some(Action::Send(packet)) = actions.get(1) else {
        panic!("{actions:?}");
    };
    assert_eq!(packet.state, State::AdminDown);
    assert_eq!(packet.diagnostic, Diagnostic::AdministrativelyDown);
    assert!(actions.contains(&Action::StartTimer(
        Timer::Detect,
        Duration::from_millis(800)
    )));
    assert_eq!(
        session.handle(Event::TimerExpired(Timer::Detect)),
        [Action::StopTimer(Timer::Transmit)]
    );
}

#[test]
fn transmit_jitter_stays_within_75_to_100_percent_and_90_with_multiplier_1() {
    for (multiplier, high) in [(3u8, 100u128), (1, 90)] {
        let mut session = Session::new(
            SessionConfig {
                multiplier,
                ..config()
            },
            LOCAL,
            42,
        );
        session.handle(Event::Start);
        let mut seen = Vec::new();
        for _ in 0..2000 {
            for action in session.handle(Event::TimerExpired(Timer::Transmit)) {
                if let Action::StartTimer(Timer::Transmit, after) = action {
                    seen.push(after.as_millis());
                }
            }
        }
        let (min, max) = (seen.iter().min().unwrap(), seen.iter().max().unwrap());
        assert!(
            *min >= 750 && *min < 760,
            "multiplier {multiplier}: min {min}"
        );
        assert!(
            *max <= high * 10 && *max > high * 10 - 10,
            "multiplier {multiplier}: max {max}"
        );
    }
}

#[test]
fn only_up_to_down_without_the_neighbours_admin_down_is_a_path_failure() {
    use anycastd::bfd::path_failed;
    assert!(path_failed(State::Up, State::Down, State::Down));
    assert!(
        path_failed(State::Up, State::Down, State::Up),
        "detection time expired"
    );
    assert!(
        !path_failed(State::Up, State::Down, State::AdminDown),
        "RFC 5882 §3.2"
    );
    assert!(
        !path_failed(State::Up, State::AdminDown, State::Up),
        "our planned stop"
    );
    assert!(
        !path_failed(State::Init, State::Down, State::Down),
        "never was up"
    );
    assert!(!path_failed(State::Down, State::Up, State::Init));
}
