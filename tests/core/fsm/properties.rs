//! Properties over random inputs: the FSM under arbitrary event sequences (with a model of the
//! actor's timers) and the Adj-RIB-Out under arbitrary sequences of desired route sets (with a
//! model of the peer's table).

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use anycastd::bgp::codec::{DecodeContext, EncodeContext, Message, PathAttribute, Update};
use anycastd::bgp::fsm::{
    Action, Event, IPV4_UNICAST, IPV6_UNICAST, Session, SessionConfig, State, Timer,
};
use anycastd::bgp::rib_out::{MAX_MESSAGE_LEN, PeerFacts, RibOut, RouteAttributes, encoded_len};
use anycastd::bgp::types::{Asn, Prefix};
use bytes::BytesMut;
use proptest::prelude::*;

use super::table::{config, events};

/// The actor's view: which timers are armed, checked against every action.
struct Harness {
    session: Session,
    armed: BTreeSet<Timer>,
    wanted_up: bool,
}

impl Harness {
    fn feed(&mut self, event: Event) {
        match &event {
            Event::Start => self.wanted_up = true,
            Event::Stop(_) => self.wanted_up = false,
            Event::TimerExpired(timer) => {
                self.armed.remove(timer);
            }
            _ => {}
        }
        let before = self.session.state();
        let actions = self.session.handle(event);
        let after = self.session.state();
        let mut changes = 0;
        for (i, action) in actions.iter().enumerate() {
            let next = actions.get(i + 1);
            match action {
                Action::Send(Message::Notification(_)) => {
                    assert_eq!(
                        next,
                        Some(&Action::CloseTcp),
                        "a NOTIFICATION is followed by CloseTcp: {actions:?}"
                    );
                }
                Action::StartTimer(timer, _) => {
                    self.armed.insert(*timer);
                }
                Action::StopTimer(timer) => {
                    assert!(
                        self.armed.remove(timer),
                        "stopped {timer:?} that was not armed: {actions:?}"
                    );
                }
                Action::StateChanged { from, to } => {
                    changes += 1;
                    assert_eq!((*from, *to), (before, after), "{actions:?}");
                    assert_ne!(from, to);
                }
                Action::Established(_) => {
                    assert_eq!(
                        i.checked_sub(1).and_then(|j| actions.get(j)),
                        Some(&Action::StateChanged {
                            from: State::OpenConfirm,
                            to: State::Established
                        })
                    );
                }
                Action::Down(_) => {
                    assert!(matches!(
                        before,
                        State::OpenSent | State::OpenConfirm | State::Established
                    ));
                    assert!(matches!(
                        i.checked_sub(1).and_then(|j| actions.get(j)),
                        Some(Action::StateChanged { .. })
                    ));
                }
                _ => {}
            }
        }
        assert_eq!(changes, usize::from(before != after), "{actions:?}");
        let allowed: &[Timer] = match after {
            State::Idle => &[Timer::IdleHold],
            State::Connect | State::Active => &[Timer::ConnectRetry],
            State::OpenSent => &[Timer::Hold, Timer::SendHold],
            State::OpenConfirm | State::Established => {
                &[Timer::Hold, Timer::Keepalive, Timer::SendHold]
            }
        };
        assert!(
            self.armed.iter().all(|t| allowed.contains(t)),
            "{after}: armed {:?}",
            self.armed
        );
        // Liveness: a session we want up is never stuck without a timer that moves it on.
        if self.wanted_up && after == State::Idle {
            assert!(self.armed.contains(&Timer::IdleHold), "stuck in Idle");
        }
        if self.wanted_up && after == State::Active && !self.session.config().passive {
            assert!(self.armed.contains(&Timer::ConnectRetry), "stuck in Active");
        }
        if after == State::OpenSent {
            assert!(
                self.armed.contains(&Timer::Hold),
                "OpenSent without a HoldTimer"
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_event_sequence_keeps_the_fsm_invariants(
        passive in any::<bool>(),
        seed in any::<u64>(),
        picks in proptest::collection::vec(any::<prop::sample::Index>(), 1..60),
    ) {
        let events = events();
        let config = SessionConfig { passive, ..config() };
        let mut harness = Harness { session: Session::new(config, seed), armed: BTreeSet::new(), wanted_up: false };
        for pick in picks {
            let (_, event) = pick.get(&events);
            harness.feed(event.clone());
        }
    }
}

fn pool() -> Vec<Prefix> {
    let mut pool: Vec<Prefix> = (0..20u8)
        .map(|i| format!("10.{i}.0.0/{}", 16 + i % 17).parse().unwrap())
        .collect();
    pool.extend((0..20u16).map(|i| {
        format!("2001:db8:{i:x}::/{}", 48 + i % 81)
            .parse::<Prefix>()
            .unwrap()
    }));
    pool
}

fn attributes() -> impl Strategy<Value = RouteAttributes> {
    (prop::option::of(0u32..3), 0u8..2, 0usize..3).prop_map(|(med, prepend, communities)| {
        RouteAttributes {
            med,
            local_pref: None,
            communities: (0..communities as u32).collect(),
            large_communities: Vec::new(),
            prepend,
        }
    })
}

fn desired_sets() -> impl Strategy<Value = Vec<BTreeMap<Prefix, RouteAttributes>>> {
    let pool = pool();
    let one = proptest::collection::btree_map(0..pool.len(), attributes(), 0..pool.len()).prop_map(
        move |picks| {
            picks
                .into_iter()
                .filter_map(|(i, a)| pool.get(i).map(|&p| (p, a)))
                .collect::<BTreeMap<_, _>>()
        },
    );
    proptest::collection::vec(one, 1..8)
}

fn facts(families: u8, next_hops: u8) -> PeerFacts {
    PeerFacts {
        local_asn: Asn::new(65001).unwrap(),
        ibgp: false,
        next_hop_v4: (next_hops & 1 != 0).then_some(Ipv4Addr::new(192, 0, 2, 1)),
        next_hop_v6: (next_hops & 2 != 0).then_some(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
        families: [(1, IPV4_UNICAST), (2, IPV6_UNICAST)]
            .into_iter()
            .filter(|(bit, _)| families & bit != 0)
            .map(|(_, f)| f)
            .collect(),
        four_octet_as: true,
    }
}

/// The peer's table: prefix -> the MED it was announced with.
fn apply(table: &mut BTreeMap<Prefix, Option<u32>>, update: &Update) {
    let med = update.attributes.iter().find_map(|a| match a {
        PathAttribute::MultiExitDisc(m) => Some(*m),
        _ => None,
    });
    for prefix in &update.withdrawn {
        assert!(
            table.remove(prefix).is_some(),
            "withdrew {prefix} that the peer did not have"
        );
    }
    for attribute in &update.attributes {
        match attribute {
            PathAttribute::MpUnreach(unreach) => {
                for prefix in &unreach.withdrawn {
                    assert!(
                        table.remove(prefix).is_some(),
                        "withdrew {prefix} that the peer did not have"
                    );
                }
            }
            PathAttribute::MpReach(reach) => {
                for &prefix in &reach.nlri {
                    table.insert(prefix, med);
                }
            }
            _ => {}
        }
    }
    for &prefix in &update.nlri {
        table.insert(prefix, med);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_peer_table_follows_the_desired_routes(
        steps in desired_sets(),
        families in 0u8..4,
        next_hops in 0u8..4,
    ) {
        let facts = facts(families, next_hops);
        let mut rib = RibOut::new();
        let mut peer: BTreeMap<Prefix, Option<u32>> = BTreeMap::new();
        for desired in steps {
            rib.set_desired(desired.clone());
            let updates = rib.updates(&facts);
            for update in &updates {
                prop_assert!(encoded_len(update, facts.four_octet_as) <= MAX_MESSAGE_LEN);
                let message = Message::Update(update.clone());
                let mut bytes = BytesMut::new();
                message.encode(&EncodeContext { four_octet_as: facts.four_octet_as }, &mut bytes);
                prop_assert!(bytes.len() <= MAX_MESSAGE_LEN);
                let decoded = Message::decode(&bytes, &DecodeContext { four_octet_as: facts.four_octet_as });
                prop_assert_eq!(decoded.as_ref(), Ok(&message));
                prop_assert!(update != &Update::default(), "an empty UPDATE is an End-of-RIB");
                apply(&mut peer, update);
            }
            let expected: BTreeMap<Prefix, Option<u32>> = desired
                .iter()
                .filter(|(p, _)| {
                    if p.is_ipv4() {
                        families & 1 != 0 && next_hops & 1 != 0
                    } else {
                        families & 2 != 0 && next_hops & 2 != 0
                    }
                })
                .map(|(&p, a)| (p, a.med))
                .collect();
            prop_assert_eq!(&peer, &expected);
            prop_assert_eq!(rib.advertised().collect::<Vec<_>>(), expected.keys().copied().collect::<Vec<_>>());
            prop_assert_eq!(rib.updates(&facts), Vec::<Update>::new());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Saying which prefixes changed gives exactly the UPDATEs of comparing the whole tables, also
    /// when several changes arrive before the UPDATEs are taken (a session not yet up) and across
    /// a reset.
    #[test]
    fn told_changes_give_the_same_updates_as_comparing_everything(
        steps in desired_sets(),
        families in 0u8..4,
        next_hops in 0u8..4,
        skip in proptest::collection::vec(any::<bool>(), 8),
        reset_at in 0usize..12,
    ) {
        let facts = facts(families, next_hops);
        let mut told = RibOut::new();
        let mut compared = RibOut::new();
        let mut previous: std::sync::Arc<BTreeMap<Prefix, _>> = std::sync::Arc::default();
        for (i, desired) in steps.into_iter().enumerate() {
            let desired = std::sync::Arc::new(desired);
            let changed: BTreeSet<Prefix> = previous
                .keys()
                .chain(desired.keys())
                .filter(|p| previous.get(*p) != desired.get(*p))
                .copied()
                .collect();
            told.set_desired_changed(std::sync::Arc::clone(&desired), &changed);
            compared.set_desired((*desired).clone());
            previous = desired;
            if i == reset_at {
                told.reset();
                compared.reset();
            }
            if skip.get(i).copied().unwrap_or(false) {
                continue;
            }
            prop_assert_eq!(told.updates(&facts), compared.updates(&facts));
            prop_assert_eq!(told.advertised().collect::<Vec<_>>(), compared.advertised().collect::<Vec<_>>());
        }
    }
}
