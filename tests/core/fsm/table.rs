//! The FSM table: every State x Event, rendered to `tests/golden/fsm_table.md` for review against
//! RFC 4271 §8.2.2. `UPDATE_GOLDEN=1` rewrites the file; otherwise any difference fails.

use std::net::Ipv4Addr;
use std::time::Duration;

use anycastd::bgp::codec::{
    Afi, Capability, Message, Notification, Open, RouteRefresh, Safi, Update,
};
use anycastd::bgp::fsm::{
    Action, DecodeFailure, Event, IPV4_UNICAST, Session, SessionConfig, State, StopReason, Timer,
};
use anycastd::bgp::types::{Asn, HoldTime};

const SEED: u64 = 1;

pub(super) fn config() -> SessionConfig {
    SessionConfig {
        local_asn: Asn::new(65001).unwrap(),
        remote_asn: Asn::new(65002).unwrap(),
        router_id: Ipv4Addr::new(192, 0, 2, 1),
        hold_time: HoldTime::new(90).unwrap(),
        connect_retry: Duration::from_secs(5),
        passive: false,
        families: vec![IPV4_UNICAST],
        graceful_restart: None,
        send_hold_time: None,
    }
}

pub(super) fn peer_open() -> Open {
    Open {
        version: 4,
        my_as: 65002,
        hold_time: 30,
        router_id: Ipv4Addr::new(192, 0, 2, 2),
        capabilities: vec![
            Capability::MultiProtocol(Afi::Ipv4, Safi::Unicast),
            Capability::RouteRefresh,
            Capability::FourOctetAs(65002),
        ],
    }
}

pub(super) fn events() -> Vec<(&'static str, Event)> {
    let received = |m| Event::Received(m);
    let mut shutdown = vec![11];
    shutdown.extend_from_slice(b"maintenance");
    vec![
        ("Start (1/4)", Event::Start),
        (
            "Stop, shutdown text (2)",
            Event::Stop(StopReason::shutdown(Some("bye".to_owned()))),
        ),
        (
            "ConnectRetry expires (9)",
            Event::TimerExpired(Timer::ConnectRetry),
        ),
        ("Hold expires (10)", Event::TimerExpired(Timer::Hold)),
        (
            "Keepalive expires (11)",
            Event::TimerExpired(Timer::Keepalive),
        ),
        (
            "IdleHold expires (13, automatic start 3/5)",
            Event::TimerExpired(Timer::IdleHold),
        ),
        ("TCP connected (16/17)", Event::TcpConnected),
        ("TCP failed (18)", Event::TcpFailed),
        ("OPEN, valid (19)", received(Message::Open(peer_open()))),
        (
            "OPEN, version 3",
            received(Message::Open(Open {
                version: 3,
                ..peer_open()
            })),
        ),
        (
            "OPEN, wrong AS",
            received(Message::Open(Open {
                my_as: 65009,
                capabilities: vec![],
                ..peer_open()
            })),
        ),
        (
            "OPEN, hold time 1",
            received(Message::Open(Open {
                hold_time: 1,
                ..peer_open()
            })),
        ),
        (
            "OPEN, identifier 0.0.0.0",
            received(Message::Open(Open {
                router_id: Ipv4Addr::UNSPECIFIED,
                ..peer_open()
            })),
        ),
        (
            "OPEN, no common family",
            received(Message::Open(Open {
                capabilities: vec![Capability::MultiProtocol(Afi::Ipv6, Safi::Unicast)],
                ..peer_open()
            })),
        ),
        ("KEEPALIVE (26)", received(Message::Keepalive)),
        ("UPDATE (27)", received(Message::Update(Update::default()))),
        (
            "NOTIFICATION Cease/2 with text (25)",
            received(Message::Notification(Notification {
                code: 6,
                subcode: 2,
                data: shutdown,
            })),
        ),
        (
            "ROUTE-REFRESH IPv4 unicast",
            received(Message::RouteRefresh(RouteRefresh {
                afi: Afi::Ipv4,
                safi: Safi::Unicast,
            })),
        ),
        (
            "header error, reset (21)",
            Event::DecodeFailed(DecodeFailure {
                notification: Notification {
                    code: 1,
                    subcode: 2,
                    data: vec![0, 5],
                },
                reset: true,
            }),
        ),
        (
            "UPDATE error, treat-as-withdraw (28)",
            Event::DecodeFailed(DecodeFailure {
                notification: Notification {
                    code: 3,
                    subcode: 1,
                    data: vec![],
                },
                reset: false,
            }),
        ),
        (
            "SendHold expires (29, RFC 9687)",
            Event::TimerExpired(Timer::SendHold),
        ),
        (
            "output waits, no progress",
            Event::Output {
                pending: true,
                progressed: false,
            },
        ),
        (
            "output waits, peer took some",
            Event::Output {
                pending: true,
                progressed: true,
            },
        ),
        (
            "output drained",
            Event::Output {
                pending: false,
                progressed: true,
            },
        ),
        ("output over its cap", Event::OutputOverflow),
    ]
}

fn session_in(config: SessionConfig, state: State) -> Session {
    let passive = config.passive;
    let mut session = Session::new(config, SEED);
    let path: Vec<Event> = match state {
        State::Idle => vec![],
        State::Connect => vec![Event::Start],
        State::Active if passive => vec![Event::Start],
        State::Active => vec![Event::Start, Event::TcpFailed],
        State::OpenSent => vec![Event::Start, Event::TcpConnected],
        State::OpenConfirm => {
            vec![
                Event::Start,
                Event::TcpConnected,
                Event::Received(Message::Open(peer_open())),
            ]
        }
        State::Established => vec![
            Event::Start,
            Event::TcpConnected,
            Event::Received(Message::Open(peer_open())),
            Event::Received(Message::Keepalive),
        ],
    };
    for event in path {
        session.handle(event);
    }
    assert_eq!(session.state(), state);
    session
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn render(action: &Action) -> String {
    match action {
        Action::ConnectTcp => "ConnectTcp".to_owned(),
        Action::CloseTcp => "CloseTcp".to_owned(),
        Action::Send(Message::Open(open)) => format!(
            "Send OPEN(as {}, hold {}, id {}, {} capabilities)",
            open.my_as,
            open.hold_time,
            open.router_id,
            open.capabilities.len()
        ),
        Action::Send(Message::Notification(n)) if n.data.is_empty() => {
            format!("Send NOTIFICATION {}/{}", n.code, n.subcode)
        }
        Action::Send(Message::Notification(n)) => {
            format!(
                "Send NOTIFICATION {}/{} data {}",
                n.code,
                n.subcode,
                hex(&n.data)
            )
        }
        Action::Send(Message::Keepalive) => "Send KEEPALIVE".to_owned(),
        Action::Send(other) => format!("Send {other:?}"),
        Action::StartTimer(timer, after) => format!("StartTimer {} {after:?}", timer.as_str()),
        Action::StopTimer(timer) => format!("StopTimer {}", timer.as_str()),
        Action::StateChanged { from, to } => format!("{from} -> {to}"),
        Action::Established(n) => format!(
            "Established(hold {}, keepalive {:?}, 4-octet {}, route refresh {})",
            n.hold_time.seconds(),
            n.keepalive.unwrap_or_default(),
            n.four_octet_as,
            n.route_refresh
        ),
        Action::Down(reason) => format!("Down {}", reason.as_label()),
        Action::RouteRefreshRequested(afi, safi) => {
            format!("RouteRefreshRequested {afi:?}/{safi:?}")
        }
        Action::UpdateReceived => "UpdateReceived".to_owned(),
        Action::IgnoredUpdateError(n) => format!("IgnoredUpdateError {}/{}", n.code, n.subcode),
    }
}

fn table() -> String {
    let mut out = String::new();
    out.push_str(
        "# Session FSM table\n\n\
         Generated by `tests/core/fsm/table.rs` (`UPDATE_GOLDEN=1 cargo test -p anycastd --test core fsm::table`).\n\
         Every state x event of `anycastd::bgp::fsm::Session`, to review against RFC 4271 §8.2.2 (and RFC 9687\n\
         for the SendHoldTimer, twice the negotiated hold time by default).\n\
         Session: AS 65001 -> 65002, hold 90 s, connect_retry 5 s (jitter seed 1), IPv4 unicast; the peer's\n\
         valid OPEN proposes hold 30 s. Each row starts from a fresh session driven to the state. The expiry\n\
         of a timer that is not running is stale and ignored.\n",
    );
    let mut sections: Vec<(String, Box<dyn Fn() -> Session>)> = Vec::new();
    for state in State::ALL {
        sections.push((
            state.to_string(),
            Box::new(move || session_in(config(), state)),
        ));
    }
    sections.insert(
        1,
        (
            "idle, backing off after a lost session (IdleHold running)".to_owned(),
            Box::new(|| {
                let mut session = session_in(config(), State::OpenSent);
                session.handle(Event::TimerExpired(Timer::Hold));
                session
            }),
        ),
    );
    sections.push((
        "established, output waiting without progress (SendHold running)".to_owned(),
        Box::new(|| {
            let mut session = session_in(config(), State::Established);
            session.handle(Event::Output {
                pending: true,
                progressed: false,
            });
            session
        }),
    ));
    sections.push((
        "active, passive session".to_owned(),
        Box::new(|| {
            session_in(
                SessionConfig {
                    passive: true,
                    ..config()
                },
                State::Active,
            )
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
    crate::golden::assert_golden("fsm_table.md", &table());
}
