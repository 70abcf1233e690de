//! Tests: health. Debounce sequences, strategy truth tables, the route set.

use std::collections::BTreeSet;

use anycastd::bgp::types::Prefix;
use anycastd::config::model::StateRoutes;
use anycastd::config::model::Strategy;
use anycastd::health::ladder::{ServiceRoutes, ServiceState};
use anycastd::health::route_set::RouteSet;
use anycastd::health::{Debounce, Health, Outcome, Status};

fn pass() -> Outcome {
    Outcome::Pass
}
fn fail() -> Outcome {
    Outcome::Fail("refused".into())
}
fn degraded() -> Outcome {
    Outcome::Degraded("busy".into())
}
fn inconclusive() -> Outcome {
    Outcome::Inconclusive("no permission".into())
}

/// Feeds `outcomes` and returns what `observe` said after each.
fn run(rise: u32, fall: u32, outcomes: &[Outcome]) -> Vec<Option<Status>> {
    let mut debounce = Debounce::new(rise, fall);
    outcomes.iter().map(|o| debounce.observe(o)).collect()
}

use Status::{Degraded as D, Down as Dn, Up as U};

#[test]
fn first_result_decides_at_once_whatever_rise_and_fall() {
    assert_eq!(run(3, 3, &[pass()]), [Some(U)]);
    assert_eq!(run(3, 3, &[fail()]), [Some(Dn)]);
    assert_eq!(run(3, 3, &[degraded()]), [Some(D)]);
}

#[test]
fn inconclusive_first_counts_as_failure() {
    assert_eq!(run(1, 1, &[inconclusive()]), [Some(Dn)]);
    assert_eq!(run(1, 1, &[inconclusive(), pass()]), [Some(Dn), Some(U)]);
}

#[test]
fn inconclusive_keeps_the_last_status() {
    assert_eq!(
        run(1, 1, &[pass(), inconclusive(), inconclusive()]),
        [Some(U), None, None]
    );
    assert_eq!(run(1, 1, &[fail(), inconclusive()]), [Some(Dn), None]);
}

#[test]
fn inconclusive_does_not_break_a_streak() {
    assert_eq!(
        run(1, 2, &[pass(), fail(), inconclusive(), fail()]),
        [Some(U), None, None, Some(Dn)]
    );
}

#[test]
fn changes_are_reported_once() {
    assert_eq!(
        run(1, 1, &[pass(), pass(), fail(), fail(), pass()]),
        [Some(U), None, Some(Dn), None, Some(U)]
    );
}

#[test]
fn fall_needs_consecutive_failures() {
    let seq = [pass(), fail(), fail(), pass(), fail(), fail(), fail()];
    assert_eq!(
        run(1, 3, &seq),
        [Some(U), None, None, None, None, None, Some(Dn)]
    );
}

#[test]
fn rise_needs_consecutive_passes() {
    let seq = [fail(), pass(), pass(), fail(), pass(), pass(), pass()];
    assert_eq!(
        run(3, 1, &seq),
        [Some(Dn), None, None, None, None, None, Some(U)]
    );
}

#[test]
fn degraded_counts_as_up_for_rise_and_switches_at_once_when_up() {
    assert_eq!(
        run(2, 1, &[fail(), degraded(), pass()]),
        [Some(Dn), None, Some(U)]
    );
    assert_eq!(
        run(2, 1, &[pass(), degraded(), pass()]),
        [Some(U), Some(D), Some(U)]
    );
    assert_eq!(
        run(1, 2, &[degraded(), fail(), fail()]),
        [Some(D), None, Some(Dn)]
    );
}

#[test]
fn zero_rise_or_fall_acts_as_one() {
    assert_eq!(
        run(0, 0, &[pass(), fail(), pass()]),
        [Some(U), Some(Dn), Some(U)]
    );
}

// ---- strategies -------------------------------------------------------------------------------

fn eval(strategy: Strategy, checks: &[(&str, Status)]) -> Health {
    strategy.evaluate(checks)
}

#[test]
fn at_least_one_is_down_when_any_check_fails() {
    let s = Strategy::AtLeastOne;
    assert_eq!(eval(s, &[("", U)]), Health::Up);
    assert_eq!(eval(s, &[("", Dn)]), Health::Down);
    assert_eq!(eval(s, &[("", U), ("", U)]), Health::Up);
    assert_eq!(eval(s, &[("", U), ("", Dn)]), Health::Down);
    assert_eq!(eval(s, &[("", Dn), ("", U)]), Health::Down);
    assert_eq!(eval(s, &[("", Dn), ("", Dn)]), Health::Down);
    assert_eq!(eval(s, &[("", U), ("", D)]), Health::Degraded);
}

#[test]
fn all_is_down_only_when_every_check_fails() {
    let s = Strategy::All;
    assert_eq!(eval(s, &[("", U)]), Health::Up);
    assert_eq!(eval(s, &[("", Dn)]), Health::Down);
    assert_eq!(eval(s, &[("", U), ("", U)]), Health::Up);
    assert_eq!(eval(s, &[("", U), ("", Dn)]), Health::Up);
    assert_eq!(eval(s, &[("", Dn), ("", U)]), Health::Up);
    assert_eq!(eval(s, &[("", Dn), ("", Dn)]), Health::Down);
    assert_eq!(eval(s, &[("", Dn), ("", D)]), Health::Degraded);
}

#[test]
fn all_in_group_is_down_when_some_group_fails_entirely() {
    let s = Strategy::AllInGroup;
    assert_eq!(
        eval(s, &[("a", U), ("a", Dn), ("b", Dn), ("b", U)]),
        Health::Up
    );
    assert_eq!(eval(s, &[("a", Dn), ("a", Dn), ("b", U)]), Health::Down);
    assert_eq!(eval(s, &[("a", U), ("b", Dn)]), Health::Down);
    assert_eq!(eval(s, &[("a", U), ("b", U)]), Health::Up);
    // Checks without a group form the group "".
    assert_eq!(eval(s, &[("", Dn), ("", U), ("a", U)]), Health::Up);
    assert_eq!(eval(s, &[("", Dn), ("a", U)]), Health::Down);
    assert_eq!(eval(s, &[("", Dn)]), Health::Down);
    assert_eq!(eval(s, &[("", U)]), Health::Up);
    assert_eq!(eval(s, &[("a", D), ("b", U)]), Health::Degraded);
}

#[test]
fn at_least_n_percentage_is_down_when_the_failed_fraction_exceeds_n() {
    let half = Strategy::AtLeastNPercentage(0.5);
    assert_eq!(eval(half, &[("", U), ("", Dn)]), Health::Up); // 0.5 is not > 0.5
    assert_eq!(eval(half, &[("", Dn), ("", Dn), ("", U)]), Health::Down);
    assert_eq!(eval(half, &[("", U), ("", U), ("", Dn)]), Health::Up);
    assert_eq!(eval(half, &[("", Dn)]), Health::Down);
    assert_eq!(eval(half, &[("", U)]), Health::Up);

    let zero = Strategy::AtLeastNPercentage(0.0);
    assert_eq!(eval(zero, &[("", U), ("", U)]), Health::Up);
    assert_eq!(
        eval(zero, &[("", U), ("", U), ("", U), ("", Dn)]),
        Health::Down
    );
    assert_eq!(eval(zero, &[("", Dn)]), Health::Down);

    let one = Strategy::AtLeastNPercentage(1.0);
    assert_eq!(eval(one, &[("", Dn)]), Health::Up);
    assert_eq!(eval(one, &[("", Dn), ("", Dn)]), Health::Up);
    assert_eq!(eval(one, &[("", U)]), Health::Up);
}

#[test]
fn a_service_without_checks_is_down_for_every_strategy() {
    for s in [
        Strategy::AtLeastOne,
        Strategy::All,
        Strategy::AllInGroup,
        Strategy::AtLeastNPercentage(0.5),
    ] {
        assert_eq!(eval(s, &[]), Health::Down, "{s:?}");
    }
    assert_eq!(
        Strategy::AtLeastNPercentage(1.0).evaluate::<&str>(&[]),
        Health::Down
    );
    assert_eq!(
        Strategy::AtLeastNPercentage(0.0).evaluate::<&str>(&[]),
        Health::Down
    );
}

// ---- route set ----------------------------------------------------------------------------------

fn prefix(text: &str) -> Prefix {
    text.parse()
        .unwrap_or_else(|e| panic!("bad test prefix {text}: {e:?}"))
}

fn set(items: &[&str]) -> BTreeSet<Prefix> {
    items.iter().map(|p| prefix(p)).collect()
}

/// The node's route set for services with these healths (`None`: not evaluated yet), their
/// prefixes and the default `states` mapping, as one peer sees it.
fn route_set<'a>(services: impl IntoIterator<Item = (Option<Health>, &'a [Prefix])>) -> RouteSet {
    let states = StateRoutes::default();
    let services: Vec<ServiceRoutes<'_>> = services
        .into_iter()
        .map(|(health, prefixes)| ServiceRoutes {
            state: health.map(ServiceState::from),
            prefixes,
            states: &states,
        })
        .collect();
    RouteSet::of(&services, ["r1"])
}

fn desired<'a>(
    services: impl IntoIterator<Item = (Option<Health>, &'a [Prefix])>,
) -> BTreeSet<Prefix> {
    route_set(services).prefixes()
}

#[test]
fn nothing_is_announced_until_every_owner_has_been_evaluated() {
    let shared = [prefix("192.0.2.1/32")];
    assert_eq!(
        desired([(None, &shared[..]), (None, &shared[..])]),
        set(&[])
    );
    assert_eq!(
        desired([(Some(Health::Up), &shared[..]), (None, &shared[..])]),
        set(&[])
    );
    assert_eq!(
        desired([
            (Some(Health::Up), &shared[..]),
            (Some(Health::Up), &shared[..])
        ]),
        set(&["192.0.2.1/32"])
    );
    let complete = |healths: &[Option<Health>]| {
        route_set(healths.iter().map(|health| (*health, &shared[..]))).complete
    };
    assert!(!complete(&[Some(Health::Up), None]));
    assert!(complete(&[Some(Health::Up), Some(Health::Down)]));
    assert!(complete(&[]));
}

#[test]
fn own_prefixes_follow_their_own_service_only() {
    let a = [prefix("192.0.2.1/32")];
    let b = [prefix("198.51.100.1/32"), prefix("2001:db8::1/128")];
    assert_eq!(
        desired([(Some(Health::Down), &a[..]), (Some(Health::Up), &b[..])]),
        set(&["198.51.100.1/32", "2001:db8::1/128"])
    );
    assert_eq!(
        desired([
            (Some(Health::Degraded), &a[..]),
            (Some(Health::Down), &b[..])
        ]),
        set(&["192.0.2.1/32"])
    );
}

/// The Go daemon let the last transition win: A down then B up re-announced A's withdrawn prefix.
/// Here the set is a function of the current healths only, so every order of transitions agrees.
#[test]
fn one_failing_service_withdraws_a_shared_prefix_whatever_the_order() {
    let shared = [prefix("192.0.2.1/32"), prefix("192.0.2.2/32")];
    let states = [
        Some(Health::Up),
        Some(Health::Down),
        Some(Health::Degraded),
        None,
    ];
    for a in states {
        for b in states {
            let got = desired([(a, &shared[..]), (b, &shared[..])]);
            let both_up = a.is_some_and(Health::is_up) && b.is_some_and(Health::is_up);
            let want = if both_up {
                set(&["192.0.2.1/32", "192.0.2.2/32"])
            } else {
                set(&[])
            };
            assert_eq!(got, want, "a={a:?} b={b:?}");
            // The same pair in the other order gives the same set.
            assert_eq!(desired([(b, &shared[..]), (a, &shared[..])]), got);
        }
    }
    // A sequence of transitions: A down, then B up again — the prefix stays withdrawn.
    let mut health = [Some(Health::Up), Some(Health::Up)];
    let step = |h: &[Option<Health>; 2]| desired([(h[0], &shared[..]), (h[1], &shared[..])]);
    assert_eq!(step(&health).len(), 2);
    health[0] = Some(Health::Down);
    assert!(step(&health).is_empty());
    health[1] = Some(Health::Down);
    assert!(step(&health).is_empty());
    health[1] = Some(Health::Up);
    assert!(step(&health).is_empty());
    health[0] = Some(Health::Up);
    assert_eq!(step(&health).len(), 2);
}

// ---- properties ---------------------------------------------------------------------------------

mod properties {
    use anycastd::health::{Debounce, Outcome, Status};
    use proptest::prelude::*;

    fn outcome() -> impl Strategy<Value = Outcome> {
        prop_oneof![
            Just(Outcome::Pass),
            Just(Outcome::Fail("x".into())),
            Just(Outcome::Degraded("x".into())),
            Just(Outcome::Inconclusive("x".into())),
        ]
    }

    proptest! {
        /// A change is reported only when the status really changes; after the first result, a
        /// fall needs `fall` failures in a row and a rise `rise` up results in a row (inconclusive
        /// results are skipped, not counted).
        #[test]
        fn changes_respect_rise_and_fall(rise in 1u32..5, fall in 1u32..5, seq in proptest::collection::vec(outcome(), 0..60)) {
            let mut debounce = Debounce::new(rise, fall);
            let mut previous: Option<Status> = None;
            let mut conclusive: Vec<&Outcome> = Vec::new();
            for o in &seq {
                let change = debounce.observe(o);
                if !matches!(o, Outcome::Inconclusive(_)) {
                    conclusive.push(o);
                }
                if let Some(now) = change {
                    prop_assert_ne!(Some(now), previous);
                    match (previous, now) {
                        (None, _) => {}
                        (Some(p), Status::Down) if p.is_up() => {
                            let tail = conclusive.iter().rev().take(fall as usize);
                            prop_assert!(conclusive.len() >= fall as usize);
                            for t in tail {
                                prop_assert!(matches!(t, Outcome::Fail(_)));
                            }
                        }
                        (Some(Status::Down), up) => {
                            prop_assert!(up.is_up());
                            prop_assert!(conclusive.len() >= rise as usize);
                            for t in conclusive.iter().rev().take(rise as usize) {
                                prop_assert!(matches!(t, Outcome::Pass | Outcome::Degraded(_)));
                            }
                        }
                        // Up <-> Degraded follows the latest result at once.
                        (Some(_), now) => prop_assert!(now.is_up()),
                    }
                    previous = Some(now);
                } else {
                    prop_assert_eq!(debounce.status(), previous.or(debounce.status()));
                }
            }
        }
    }
}
