//! The health ladder: assessment, the worst state of shared prefixes, attributes per state and peer,
//! and the startup gate.

use std::collections::{BTreeMap, BTreeSet};

use anycastd::bgp::codec::LargeCommunity;
use anycastd::bgp::rib_out::RouteAttributes;
use anycastd::config::model::{GRACEFUL_SHUTDOWN, RouteAction, StateRoute, StateRoutes};
use anycastd::health::Health;
use anycastd::health::ladder::ServiceState::{self, Degraded, Down, Draining, Up};
use anycastd::health::ladder::{PeerRoutes, ServiceRoutes, announced, desired, named_peers};

use super::{p, ps};

fn plain() -> Option<RouteAttributes> {
    Some(RouteAttributes::default())
}

fn gshut() -> Option<RouteAttributes> {
    Some(RouteAttributes {
        med: Some(4_294_967_295),
        communities: vec![0xFFFF_0000],
        ..RouteAttributes::default()
    })
}

fn med(value: u32) -> RouteAttributes {
    RouteAttributes {
        med: Some(value),
        ..RouteAttributes::default()
    }
}

#[test]
fn assessment_of_health_and_drain() {
    let table = [
        (Health::Up, false, Up),
        (Health::Degraded, false, Degraded),
        (Health::Down, false, Down),
        (Health::Up, true, Draining),
        (Health::Degraded, true, Draining),
        (Health::Down, true, Down),
    ];
    for (health, drained, state) in table {
        assert_eq!(
            ServiceState::assess(health, drained),
            state,
            "{health:?} drained={drained}"
        );
        if !drained {
            assert_eq!(ServiceState::from(health), state);
        }
    }
}

#[test]
fn the_worst_state_wins() {
    let expected = [
        [Up, Degraded, Draining, Down],
        [Degraded, Degraded, Draining, Down],
        [Draining, Draining, Draining, Down],
        [Down, Down, Down, Down],
    ];
    for (a, row) in ServiceState::ALL.into_iter().zip(expected) {
        for (b, worst) in ServiceState::ALL.into_iter().zip(row) {
            assert_eq!(a.worst(b), worst, "{a:?} vs {b:?}");
        }
    }
    let labels = ServiceState::ALL.map(ServiceState::as_label);
    assert_eq!(labels, ["up", "degraded", "draining", "down"]);
}

#[test]
fn default_mapping_announces_up_and_degraded_drains_with_gshut_and_withdraws_down() {
    let states = StateRoutes::default();
    assert_eq!(GRACEFUL_SHUTDOWN, 0xFFFF_0000, "65535:0, RFC 8326");
    let expected = [plain(), plain(), gshut(), None];
    for (state, attributes) in ServiceState::ALL.into_iter().zip(expected) {
        for peer in ["r1", "r2"] {
            assert_eq!(
                state.attributes(&states, Some(peer)),
                attributes,
                "{state:?} {peer}"
            );
        }
    }
}

#[test]
fn per_peer_entries_replace_the_state_action() {
    let large = LargeCommunity {
        global: 65001,
        local1: 1,
        local2: 2,
    };
    let prepended = RouteAttributes {
        prepend: 3,
        large_communities: vec![large],
        ..RouteAttributes::default()
    };
    let states = StateRoutes {
        degraded: StateRoute {
            action: RouteAction::Announce(med(50)),
            peers: BTreeMap::from([
                ("r2".to_string(), RouteAction::Announce(prepended.clone())),
                ("r3".to_string(), RouteAction::Withdraw),
            ]),
        },
        down: StateRoute {
            action: RouteAction::Withdraw,
            peers: BTreeMap::from([("r1".to_string(), RouteAction::Announce(med(1000)))]),
        },
        ..StateRoutes::default()
    };
    let table = [
        (Degraded, "r1", Some(med(50))),
        (Degraded, "r2", Some(prepended)),
        (Degraded, "r3", None),
        (Degraded, "unknown", Some(med(50))),
        (Down, "r1", Some(med(1000))),
        (Down, "r2", None),
        (Up, "r2", plain()),
        (Draining, "r3", gshut()),
    ];
    for (state, peer, attributes) in table {
        assert_eq!(
            state.attributes(&states, Some(peer)),
            attributes,
            "{state:?} {peer}"
        );
    }
    // Every peer named nowhere gets the state's own action.
    assert_eq!(Degraded.attributes(&states, None), Some(med(50)));
    assert_eq!(Down.attributes(&states, None), None);
}

#[test]
fn a_shared_prefix_follows_its_worst_service() {
    let shared = ps(&["192.0.2.53/32"]);
    let own = ps(&["192.0.2.80/32"]);
    let degraded_med = StateRoutes {
        degraded: StateRoute::new(RouteAction::Announce(med(50))),
        ..StateRoutes::default()
    };
    let default = StateRoutes::default();
    let routes = |a: ServiceState, b: ServiceState| {
        desired(
            &[
                ServiceRoutes {
                    state: Some(a),
                    prefixes: &shared,
                    states: &default,
                },
                ServiceRoutes {
                    state: Some(b),
                    prefixes: &[shared.clone(), own.clone()].concat(),
                    states: &degraded_med,
                },
            ],
            "r1",
        )
        .routes
    };
    let shared_p = p("192.0.2.53/32");
    let own_p = p("192.0.2.80/32");
    let table = [
        (Up, Up, vec![(shared_p, med0()), (own_p, med0())]),
        (Up, Degraded, vec![(shared_p, med(50)), (own_p, med(50))]),
        // Both degraded: the first service's mapping (plain).
        (
            Degraded,
            Degraded,
            vec![(shared_p, med0()), (own_p, med(50))],
        ),
        (
            Draining,
            Degraded,
            vec![(shared_p, gshut_attrs()), (own_p, med(50))],
        ),
        (Down, Up, vec![(own_p, med0())]),
        (Up, Down, vec![]),
    ];
    for (a, b, expected) in table {
        assert_eq!(
            routes(a, b),
            expected.into_iter().collect::<BTreeMap<_, _>>(),
            "{a:?} + {b:?}"
        );
    }
}

fn med0() -> RouteAttributes {
    RouteAttributes::default()
}

fn gshut_attrs() -> RouteAttributes {
    gshut().unwrap_or_default()
}

#[test]
fn startup_gate_holds_back_prefixes_until_every_owner_has_been_evaluated() {
    let shared = ps(&["192.0.2.53/32"]);
    let own = ps(&["192.0.2.80/32"]);
    let both = [shared.clone(), own.clone()].concat();
    let states = StateRoutes::default();
    let service = |state, prefixes| ServiceRoutes {
        state,
        prefixes,
        states: &states,
    };
    let announce = |prefixes: &[&str]| PeerRoutes {
        routes: prefixes.iter().map(|text| (p(text), med0())).collect(),
        complete: true,
    };
    let table: [(Option<ServiceState>, Option<ServiceState>, PeerRoutes); 5] = [
        (None, None, PeerRoutes::default()),
        (
            Some(Up),
            None,
            PeerRoutes {
                complete: false,
                ..announce(&["192.0.2.80/32"])
            },
        ),
        (
            None,
            Some(Up),
            PeerRoutes {
                complete: false,
                ..announce(&[])
            },
        ),
        (
            Some(Up),
            Some(Up),
            announce(&["192.0.2.53/32", "192.0.2.80/32"]),
        ),
        (Some(Down), Some(Up), announce(&[])),
    ];
    for (first, second, expected) in table {
        // `first` owns both prefixes, `second` only the shared one.
        let got = desired(&[service(first, &both), service(second, &shared)], "r1");
        assert_eq!(got, expected, "{first:?} + {second:?}");
    }
}

#[test]
fn a_service_without_prefixes_does_not_hold_the_gate() {
    let states = StateRoutes::default();
    let prefixes = ps(&["192.0.2.53/32"]);
    let got = desired(
        &[
            ServiceRoutes {
                state: Some(Up),
                prefixes: &prefixes,
                states: &states,
            },
            ServiceRoutes {
                state: None,
                prefixes: &[],
                states: &states,
            },
        ],
        "r1",
    );
    assert!(got.complete);
    assert_eq!(got.routes.len(), 1);
}

#[test]
fn announced_is_the_union_over_peers() {
    let states = StateRoutes {
        degraded: StateRoute {
            action: RouteAction::Withdraw,
            peers: BTreeMap::from([("r2".to_string(), RouteAction::Announce(med(10)))]),
        },
        ..StateRoutes::default()
    };
    let a = ps(&["192.0.2.1/32"]);
    let b = ps(&["192.0.2.2/32"]);
    let services = [
        ServiceRoutes {
            state: Some(Degraded),
            prefixes: &a,
            states: &states,
        },
        ServiceRoutes {
            state: Some(Up),
            prefixes: &b,
            states: &states,
        },
    ];
    assert_eq!(
        announced(&services, ["r1"]),
        ps(&["192.0.2.2/32"]).into_iter().collect()
    );
    assert_eq!(
        announced(&services, ["r1", "r2"]),
        ps(&["192.0.2.1/32", "192.0.2.2/32"]).into_iter().collect()
    );
    assert!(announced(&services, []).is_empty());
}

#[test]
fn only_peers_named_in_a_states_mapping_can_differ_from_the_default_routes() {
    let states = StateRoutes {
        degraded: StateRoute {
            action: RouteAction::Withdraw,
            peers: BTreeMap::from([("r2".to_string(), RouteAction::Announce(med(10)))]),
        },
        down: StateRoute {
            action: RouteAction::Withdraw,
            peers: BTreeMap::from([("r3".to_string(), RouteAction::Announce(med(90)))]),
        },
        ..StateRoutes::default()
    };
    let plain = StateRoutes::default();
    let a = ps(&["192.0.2.1/32"]);
    let b = ps(&["192.0.2.2/32"]);
    let c = ps(&["192.0.2.3/32"]);
    let services = [
        ServiceRoutes {
            state: Some(Degraded),
            prefixes: &a,
            states: &states,
        },
        ServiceRoutes {
            state: Some(Down),
            prefixes: &b,
            states: &states,
        },
        ServiceRoutes {
            state: Some(Up),
            prefixes: &c,
            states: &plain,
        },
    ];
    let named = named_peers(&services);
    assert_eq!(named, BTreeSet::from(["r2", "r3"]));
    // Every other peer gets exactly the default set.
    for peer in ["r1", "r4", "edge"] {
        assert!(!named.contains(peer));
        assert_eq!(desired(&services, peer), desired(&services, ""));
    }
    assert_ne!(desired(&services, "r2"), desired(&services, ""));
    assert_ne!(desired(&services, "r3"), desired(&services, ""));
    assert!(named_peers(&services[2..]).is_empty());
}

#[test]
fn a_configuration_gives_each_peer_its_routes() {
    let mut config = super::config();
    config.services[1].health.states.degraded = StateRoute {
        action: RouteAction::Announce(med(50)),
        peers: BTreeMap::from([("r2".to_string(), RouteAction::Withdraw)]),
    };
    let state_of = |name: &str| match name {
        "dns" => Some(Up),
        _ => Some(Degraded),
    };
    let services = anycastd::health::ladder::services(&config, state_of);
    assert_eq!(services.len(), 2);
    let routes = |peer| desired(&services, peer).routes;
    assert_eq!(
        routes("r1"),
        BTreeMap::from([
            (p("198.51.100.53/32"), med0()),
            (p("198.51.100.80/32"), med(50)),
            (p("2001:db8:53::/48"), med0()),
        ])
    );
    assert_eq!(
        routes("r2"),
        BTreeMap::from([
            (p("198.51.100.53/32"), med0()),
            (p("2001:db8:53::/48"), med0()),
        ])
    );
}
