//! The speaker twin of the PeerActor: session, Adj-RIB-Out and next hops together. Sequences of
//! inputs and, for each, what goes on the wire and to the metrics, in order (FSM bookkeeping such
//! as timers and state changes is the FSM table's business and left out here).

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use anycastd::bgp::codec::{Afi, Message, RouteRefresh, Safi};
use anycastd::bgp::fsm::{self, Event, StopReason};
use anycastd::bgp::rib_out::{RouteAttributes, Routes};
use anycastd::bgp::speaker::{Action, Input, NextHops, OUTPUT_LIMIT, Speaker};
use anycastd::bgp::types::Prefix;

use super::table::{config, peer_open};

fn prefix(text: &str) -> Prefix {
    text.parse().expect("test prefix")
}

fn table(prefixes: &[&str]) -> Arc<Routes> {
    Arc::new(
        prefixes
            .iter()
            .map(|p| (prefix(p), RouteAttributes::default()))
            .collect(),
    )
}

fn routes(prefixes: &[&str], complete: bool) -> Input<'static> {
    Input::Routes {
        table: table(prefixes),
        complete,
        change: None,
    }
}

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));

/// What an action means on the wire or for the metrics; `None` for FSM bookkeeping.
fn describe(action: &Action) -> Option<String> {
    Some(match action {
        Action::Fsm(fsm::Action::Send(Message::Update(update))) => {
            if update.is_end_of_rib().is_some() {
                "End-of-RIB".to_string()
            } else {
                let list = |prefixes: &[Prefix]| {
                    let texts: Vec<String> = prefixes.iter().map(ToString::to_string).collect();
                    texts.join(" ")
                };
                match (update.nlri.is_empty(), update.withdrawn.is_empty()) {
                    (false, true) => format!("announce {}", list(&update.nlri)),
                    (true, false) => format!("withdraw {}", list(&update.withdrawn)),
                    _ => format!("update {update:?}"),
                }
            }
        }
        Action::Fsm(fsm::Action::Send(Message::Notification(n))) => {
            format!("NOTIFICATION {}/{}", n.code, n.subcode)
        }
        Action::Fsm(fsm::Action::Send(Message::Open(_))) => "OPEN".to_string(),
        Action::Fsm(fsm::Action::Established(_)) => "established".to_string(),
        Action::Fsm(fsm::Action::Down(reason)) => format!("down {}", reason.as_label()),
        Action::Fsm(fsm::Action::CloseTcp) => "close".to_string(),
        Action::Advertised(n) => format!("advertised {n}"),
        Action::Accept => "accept".to_string(),
        Action::Refuse => "refuse".to_string(),
        Action::Fsm(_) => return None,
    })
}

/// Runs `steps` (input, expected descriptions) on `speaker`, with a neighbour that takes every
/// byte at once: after each input the transport reports all output taken, and what that report
/// gives (advertised counts) follows the input's own actions.
fn run(speaker: &mut Speaker, steps: Vec<(Input<'_>, Vec<&str>)>) {
    for (i, (input, want)) in steps.into_iter().enumerate() {
        let label = format!("step {i}: {input:?}");
        let got = handle_taken(speaker, input);
        assert_eq!(got, want, "{label}");
    }
}

/// Applies `input`, then reports every byte handed over as taken by the peer.
fn handle_taken(speaker: &mut Speaker, input: Input<'_>) -> Vec<String> {
    let mut got: Vec<String> = speaker.handle(input).iter().filter_map(describe).collect();
    got.extend(speaker.handle(taken(speaker)).iter().filter_map(describe));
    got
}

/// The transport's report that the peer has taken everything handed over.
fn taken(speaker: &Speaker) -> Input<'static> {
    Input::Transport {
        acked: speaker.queued_bytes(),
        unsent: 0,
    }
}

fn speaker() -> Speaker {
    Speaker::new(config(), 1, NextHops::default())
}

/// Start, connected, OPEN and KEEPALIVE from the peer: the steps to Established.
fn establish() -> Vec<(Input<'static>, Vec<&'static str>)> {
    vec![
        (Input::Event(Event::Start), vec![]),
        (Input::Connected { local: LOCAL }, vec!["OPEN"]),
        (
            Input::Event(Event::Received(Message::Open(peer_open()))),
            vec![],
        ),
    ]
}

fn keepalive() -> Input<'static> {
    Input::Event(Event::Received(Message::Keepalive))
}

/// A speaker with a complete route set of `192.0.2.9/32`, taken to Established, which sends it.
fn established() -> Speaker {
    established_with(table(&["192.0.2.9/32"]))
}

/// [`established`] with the route set's table `held` (which must be `192.0.2.9/32` alone).
fn established_with(held: Arc<Routes>) -> Speaker {
    let mut s = speaker();
    let input = Input::Routes {
        table: held,
        complete: true,
        change: None,
    };
    let mut steps = vec![(input, vec![])];
    steps.extend(establish());
    steps.push((
        keepalive(),
        vec![
            "established",
            "announce 192.0.2.9/32",
            "End-of-RIB",
            "advertised 1",
        ],
    ));
    run(&mut s, steps);
    s
}

#[test]
fn established_sends_the_table_and_end_of_rib_once_the_route_set_is_complete() {
    let mut s = speaker();
    let mut steps = vec![(routes(&["192.0.2.9/32"], false), vec![])];
    steps.extend(establish());
    steps.extend([
        (
            keepalive(),
            vec!["established", "announce 192.0.2.9/32", "advertised 1"],
        ),
        // Complete now: End-of-RIB, once.
        (
            routes(&["192.0.2.9/32"], true),
            vec!["End-of-RIB", "advertised 1"],
        ),
        (
            routes(&["192.0.2.9/32", "198.51.100.1/32"], true),
            vec!["announce 198.51.100.1/32", "advertised 2"],
        ),
        (
            routes(&["198.51.100.1/32"], true),
            vec!["withdraw 192.0.2.9/32", "advertised 1"],
        ),
    ]);
    run(&mut s, steps);
}

#[test]
fn a_complete_route_set_before_established_gives_table_then_end_of_rib() {
    established();
}

#[test]
fn a_stop_withdraws_everything_before_the_cease() {
    let mut s = established();
    let stop = Input::Stop(StopReason::shutdown(Some("bye".into())));
    // The withdrawal's count is not given before the peer took it; the session end gives 0.
    let want = vec![
        "withdraw 192.0.2.9/32",
        "NOTIFICATION 6/2",
        "close",
        "down stopped",
        "advertised 0",
    ];
    run(&mut s, vec![(stop, want)]);
}

#[test]
fn a_bfd_path_failure_sends_cease_bfd_down_without_withdrawing_and_starts_again() {
    let mut s = established();
    let want = vec!["NOTIFICATION 6/10", "close", "down stopped", "advertised 0"];
    run(&mut s, vec![(Input::PathFailed, want)]);
    assert_eq!(
        s.state(),
        fsm::State::Connect,
        "a new attempt starts at once"
    );
}

#[test]
fn a_session_down_forgets_what_was_advertised() {
    let mut s = established();
    let failed = Input::Event(Event::TcpFailed);
    run(
        &mut s,
        vec![(failed, vec!["close", "down tcp_failed", "advertised 0"])],
    );
    assert_eq!(s.advertised().count(), 0);
}

#[test]
fn one_connection_at_a_time_and_only_while_waiting_for_one() {
    let mut passive = config();
    passive.passive = true;
    let mut s = Speaker::new(passive, 1, NextHops::default());
    run(
        &mut s,
        vec![
            // Idle: not started, nothing to take.
            (Input::Offered, vec!["refuse"]),
            (Input::Event(Event::Start), vec![]),
            (Input::Offered, vec!["accept"]),
            (Input::Connected { local: LOCAL }, vec!["OPEN"]),
            // A second connection while the first is in use.
            (Input::Offered, vec!["refuse"]),
        ],
    );
}

#[test]
fn the_next_hop_of_the_session_family_is_its_own_address() {
    let configured = NextHops {
        ipv4: Some(Ipv4Addr::new(203, 0, 113, 1)),
        ipv6: Some("2001:db8::1".parse().expect("v6")),
    };
    let cases = [
        (None, configured.ipv4, configured.ipv6),
        (
            Some(LOCAL),
            Some(Ipv4Addr::new(192, 0, 2, 1)),
            configured.ipv6,
        ),
        (
            Some("2001:db8::2".parse().expect("v6")),
            configured.ipv4,
            Some("2001:db8::2".parse().expect("v6")),
        ),
    ];
    for (local, v4, v6) in cases {
        assert_eq!(configured.over(local), (v4, v6), "{local:?}");
    }
}

#[test]
fn a_change_is_taken_from_the_held_table_or_compared_whole() {
    // A speaker holding the set a change was computed from looks at the changed prefixes only;
    // given a change from another set, it compares the whole table. Both send the same UPDATEs.
    let first = table(&["192.0.2.9/32"]);
    let other = table(&["192.0.2.9/32"]);
    let changed = BTreeSet::from([prefix("198.51.100.1/32")]);
    for from in [&first, &other] {
        let mut s = established_with(Arc::clone(&first));
        let input = Input::Routes {
            table: table(&["192.0.2.9/32", "198.51.100.1/32"]),
            complete: true,
            change: Some((from, &changed)),
        };
        let got = handle_taken(&mut s, input);
        assert_eq!(got, ["announce 198.51.100.1/32", "advertised 2"]);
    }
}

/// The transport reports that the peer has taken everything handed over.
fn report_taken(speaker: &mut Speaker) -> Vec<String> {
    let input = taken(speaker);
    handle_untaken(speaker, input)
}

/// Applies `input` only: the neighbour takes nothing.
fn handle_untaken(speaker: &mut Speaker, input: Input<'_>) -> Vec<String> {
    speaker.handle(input).iter().filter_map(describe).collect()
}

fn route_refresh() -> Input<'static> {
    Input::Event(Event::Received(Message::RouteRefresh(RouteRefresh {
        afi: Afi::Ipv4,
        safi: Safi::Unicast,
    })))
}

#[test]
fn an_advertised_count_is_given_once_the_peer_has_taken_its_updates() {
    let mut s = established();
    let before = s.queued_bytes();
    let grown = routes(&["192.0.2.9/32", "198.51.100.1/32"], true);
    assert_eq!(
        handle_untaken(&mut s, grown),
        ["announce 198.51.100.1/32"],
        "handed over, not yet taken: the count waits"
    );
    let waiting = s.queued_bytes() - before;
    let nothing_taken = Input::Transport {
        acked: before,
        unsent: waiting,
    };
    assert_eq!(handle_untaken(&mut s, nothing_taken), Vec::<String>::new());
    let half_taken = Input::Transport {
        acked: before + waiting / 2,
        unsent: waiting - waiting / 2,
    };
    assert_eq!(handle_untaken(&mut s, half_taken), Vec::<String>::new());
    assert_eq!(report_taken(&mut s), ["advertised 2"]);
}

#[test]
fn route_refresh_requests_are_coalesced_while_output_waits() {
    let mut s = established();
    // A neighbour that reads: each request is answered at once.
    assert_eq!(
        handle_taken(&mut s, route_refresh()),
        ["announce 192.0.2.9/32", "advertised 1"]
    );
    // A neighbour that stopped reading and asks again and again: output waits, so the requests
    // are held, and answered once, when the output has drained.
    let before = s.queued_bytes();
    let grown = routes(&["192.0.2.9/32", "198.51.100.1/32"], true);
    assert_eq!(handle_untaken(&mut s, grown), ["announce 198.51.100.1/32"]);
    let waiting = s.queued_bytes() - before;
    for _ in 0..10_000 {
        assert_eq!(
            handle_untaken(&mut s, route_refresh()),
            Vec::<String>::new()
        );
        let nothing_taken = Input::Transport {
            acked: before,
            unsent: waiting,
        };
        assert_eq!(handle_untaken(&mut s, nothing_taken), Vec::<String>::new());
    }
    assert_eq!(
        s.queued_bytes() - before,
        waiting,
        "nothing more handed over"
    );
    assert_eq!(
        report_taken(&mut s),
        ["advertised 2", "announce 192.0.2.9/32 198.51.100.1/32"]
    );
    assert_eq!(report_taken(&mut s), ["advertised 2"]);
    assert_eq!(report_taken(&mut s), Vec::<String>::new(), "one re-send");
}

#[test]
fn a_neighbour_that_takes_nothing_is_reset_by_the_send_hold_timer() {
    let mut s = established();
    let before = s.queued_bytes();
    let shrunk = routes(&[], true);
    assert_eq!(handle_untaken(&mut s, shrunk), ["withdraw 192.0.2.9/32"]);
    let nothing_taken = Input::Transport {
        acked: before,
        unsent: s.queued_bytes() - before,
    };
    assert_eq!(handle_untaken(&mut s, nothing_taken), Vec::<String>::new());
    let expired = Input::Event(Event::TimerExpired(fsm::Timer::SendHold));
    assert_eq!(
        handle_untaken(&mut s, expired),
        [
            "NOTIFICATION 8/0",
            "close",
            "down send_hold_timer_expired",
            "advertised 0"
        ]
    );
}

#[test]
fn output_past_its_cap_resets_the_session_with_out_of_resources() {
    let mut s = established();
    let acked = s.queued_bytes();
    let at_cap = Input::Transport {
        acked,
        unsent: OUTPUT_LIMIT,
    };
    assert_eq!(handle_untaken(&mut s, at_cap), Vec::<String>::new());
    let past_cap = Input::Transport {
        acked,
        unsent: OUTPUT_LIMIT + 1,
    };
    assert_eq!(
        handle_untaken(&mut s, past_cap),
        [
            "NOTIFICATION 6/8",
            "close",
            "down sent_cease",
            "advertised 0"
        ]
    );
    assert_eq!(s.state(), fsm::State::Idle);
}
