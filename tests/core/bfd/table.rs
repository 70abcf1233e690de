//! The BFD session table: every state x event, rendered to `tests/golden/bfd_session_table.md` for
//! review against RFC 5880 §6.8.6 (reception), §6.8.4 (detection), §6.8.3 (Poll Sequence) and
//! §6.8.7 (transmission). `UPDATE_GOLDEN=1` rewrites the file; otherwise any difference fails.

use std::time::Duration;

use anycastd::bfd::{
    Action, Authentication, Diagnostic, Event, Packet, Session, SessionConfig, State, Timer,
};

pub(super) const LOCAL: u32 = 0x11;
pub(super) const REMOTE: u32 = 0x22;
const SEED: u64 = 1;

pub(super) fn config() -> SessionConfig {
    SessionConfig {
        min_tx: Duration::from_millis(100),
        min_rx: Duration::from_millis(100),
        multiplier: 3,
    }
}

/// A packet from the peer: 1 s TX while not Up (its slow rate), 200 ms otherwise, 50 ms RX, x 4.
pub(super) fn from_peer(state: State, your: u32) -> Packet {
    let tx = if state == State::Up {
        200_000
    } else {
        1_000_000
    };
    Packet {
        diagnostic: Diagnostic::None,
        state,
        poll: false,
        final_: false,
        control_plane_independent: false,
        demand: false,
        detect_mult: 4,
        my_discriminator: REMOTE,
        your_discriminator: your,
        desired_min_tx: tx,
        required_min_rx: 50_000,
        required_min_echo_rx: 0,
        authentication: None,
    }
}

fn events() -> Vec<(&'static str, Event)> {
    let received = Event::Received;
    vec![
        ("Start", Event::Start),
        ("Stop", Event::Stop),
        ("Down, Your 0", received(from_peer(State::Down, 0))),
        ("Init", received(from_peer(State::Init, LOCAL))),
        ("Up", received(from_peer(State::Up, LOCAL))),
        (
            "Up, Final",
            received(Packet {
                final_: true,
                ..from_peer(State::Up, LOCAL)
            }),
        ),
        (
            "Up, Poll, RX 20 ms",
            received(Packet {
                poll: true,
                required_min_rx: 20_000,
                ..from_peer(State::Up, LOCAL)
            }),
        ),
        (
            "Down, diag 1",
            received(Packet {
                diagnostic: Diagnostic::ControlDetectionTimeExpired,
                ..from_peer(State::Down, LOCAL)
            }),
        ),
        (
            "AdminDown, diag 7",
            received(Packet {
                diagnostic: Diagnostic::AdministrativelyDown,
                ..from_peer(State::AdminDown, LOCAL)
            }),
        ),
        ("Init, Your 0", received(from_peer(State::Init, 0))),
        ("Up, Your not ours", received(from_peer(State::Up, 0x99))),
        (
            "Up, authenticated",
            received(Packet {
                authentication: Some(Authentication::SimplePassword {
                    key_id: 1,
                    password: b"x".to_vec(),
                }),
                ..from_peer(State::Up, LOCAL)
            }),
        ),
        (
            "Up, RX 0 (send nothing)",
            received(Packet {
                required_min_rx: 0,
                ..from_peer(State::Up, LOCAL)
            }),
        ),
        ("Transmit expires", Event::TimerExpired(Timer::Transmit)),
        ("Detect expires", Event::TimerExpired(Timer::Detect)),
        (
            "Reconfigure 300 ms x 5",
            Event::Reconfigure(SessionConfig {
                min_tx: Duration::from_millis(300),
                min_rx: Duration::from_millis(300),
                multiplier: 5,
            }),
        ),
        ("Reconfigure, unchanged", Event::Reconfigure(config())),
    ]
}

/// A session driven to `state` by the shortest exchange.
pub(super) fn session_in(state: State) -> Session {
    let mut session = Session::new(config(), LOCAL, SEED);
    let path = match state {
        State::AdminDown => vec![],
        State::Down => vec![Event::Start],
        State::Init => vec![Event::Start, Event::Received(from_peer(State::Down, 0))],
        State::Up => vec![Event::Start, Event::Received(from_peer(State::Init, LOCAL))],
    };
    for event in path {
        session.handle(event);
    }
    assert_eq!(session.state(), state);
    session
}

fn render_packet(p: &Packet) -> String {
    let mut flags = String::new();
    for (set, name) in [(p.poll, " P"), (p.final_, " F")] {
        if set {
            flags.push_str(name);
        }
    }
    format!(
        "Send {}{flags} diag {} your {:#x} tx {}ms rx {}ms x{}",
        p.state,
        p.diagnostic.code(),
        p.your_discriminator,
        p.desired_min_tx / 1000,
        p.required_min_rx / 1000,
        p.detect_mult
    )
}

fn render(action: &Action) -> String {
    match action {
        Action::Send(packet) => render_packet(packet),
        Action::StartTimer(timer, after) => format!("StartTimer {} {after:?}", timer.as_str()),
        Action::StopTimer(timer) => format!("StopTimer {}", timer.as_str()),
        Action::StateChanged {
            from,
            to,
            diagnostic,
        } => format!("{from} -> {to} ({})", diagnostic.as_str()),
        Action::Discarded(why) => format!("Discarded {}", why.as_label()),
    }
}

fn table() -> String {
    let mut out = String::new();
    out.push_str(
        "# BFD session table\n\n\
         Generated by `tests/core/bfd/table.rs` (`UPDATE_GOLDEN=1 cargo test -p anycastd --test core bfd::table`).\n\
         Every state x event of `anycastd::bfd::Session`, to review against RFC 5880 §6.8.\n\
         Session: discriminator 0x11, 100 ms TX and RX, multiplier 3, jitter seed 1. The peer (0x22) sends\n\
         x4, RX 50 ms, TX 1 s outside Up and 200 ms in Up. Each row starts from a fresh session driven to\n\
         the state; Up is reached by Start then the peer's Init, so it is still polling for its new rate.\n",
    );
    let mut sections: Vec<(String, Box<dyn Fn() -> Session>)> = Vec::new();
    for state in State::ALL {
        sections.push((state.to_string(), Box::new(move || session_in(state))));
    }
    sections.push((
        "up, Poll Sequence complete".to_owned(),
        Box::new(|| {
            let mut session = session_in(State::Up);
            session.handle(Event::Received(Packet {
                final_: true,
                ..from_peer(State::Up, LOCAL)
            }));
            assert!(!session.polling());
            session
        }),
    ));
    sections.push((
        "admin_down after Stop from up".to_owned(),
        Box::new(|| {
            let mut session = session_in(State::Up);
            session.handle(Event::Stop);
            session
        }),
    ));
    for (title, make) in &sections {
        crate::golden::section(&mut out, title);
        for (name, event) in events() {
            let mut session = make();
            let actions: Vec<String> = session.handle(event).iter().map(render).collect();
            crate::golden::row(&mut out, name, &actions, session.state());
        }
    }
    out
}

#[test]
fn every_state_and_event_matches_the_golden_table() {
    crate::golden::assert_golden("bfd_session_table.md", &table());
}
