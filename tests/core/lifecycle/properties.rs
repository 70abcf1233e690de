//! Properties of the tracker and the guard over random sequences.

use std::collections::BTreeSet;
use std::time::Duration;

use anycastd::config::model::{Dampening, ServiceHealth};
use anycastd::health::guard::check_withdraw;
use anycastd::health::ladder::ServiceState;
use anycastd::health::tracker::ServiceTracker;
use proptest::prelude::*;

use super::p;

fn state() -> impl Strategy<Value = ServiceState> {
    prop::sample::select(ServiceState::ALL.to_vec())
}

fn settings() -> impl Strategy<Value = ServiceHealth> {
    (
        0u64..120,
        prop::option::of((1u32..3000, 1u64..300, 1u32..5000, 1u32..5000)),
    )
        .prop_map(|(hold, dampening)| ServiceHealth {
            hold_down: Duration::from_secs(hold),
            dampening: dampening
                .map(|(penalty, half_life, reuse, extra)| Dampening {
                    penalty,
                    half_life: Duration::from_secs(half_life),
                    suppress: reuse + extra,
                    reuse,
                    max_penalty: reuse + extra + penalty,
                })
                .filter(|d| d.validate().is_empty()),
            ..ServiceHealth::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn tracker_invariants(
        settings in settings(),
        steps in prop::collection::vec((0u64..90_000, state()), 1..60),
    ) {
        let mut tracker = ServiceTracker::new(&settings);
        let mut now = Duration::ZERO;
        for (step_ms, assessed) in steps {
            now += Duration::from_millis(step_ms);
            let before = tracker.state();
            let changed = tracker.observe(assessed, now);
            let after = tracker.state();
            // A change is reported exactly when the state changed.
            prop_assert_eq!(changed.is_some(), before != after);
            let effective = after.expect("evaluated");
            // Down is never announced; an announcing state is always the assessed one.
            if assessed.is_down() {
                prop_assert_eq!(effective, ServiceState::Down);
            }
            if !effective.is_down() {
                prop_assert_eq!(effective, assessed);
            }
            if let Some(dampening) = settings.dampening {
                prop_assert!(tracker.snapshot(now).penalty <= f64::from(dampening.max_penalty));
            }
            // Without hold-down and dampening the effective state is the assessed one.
            if settings.hold_down.is_zero() && settings.dampening.is_none() {
                prop_assert_eq!(effective, assessed);
            }
        }
        // A healthy service is never withheld forever: at its deadline it is released.
        if let Some(deadline) = tracker.next_deadline(now) {
            prop_assert!(deadline >= now);
            let assessed = tracker.assessed().expect("evaluated");
            let released = tracker.tick(deadline).or(tracker.state());
            prop_assert_eq!(released, Some(assessed));
            prop_assert_eq!(tracker.next_deadline(deadline), None);
        } else if let Some(assessed) = tracker.assessed() {
            prop_assert_eq!(tracker.state(), Some(assessed));
        }
    }

    #[test]
    fn guard_refuses_exactly_above_the_limit(
        before in prop::collection::btree_set(0u8..=255, 0..60),
        keep in prop::collection::btree_set(0u8..=255, 0..60),
        max in 0u8..=100,
    ) {
        let prefixes = |set: &BTreeSet<u8>| -> BTreeSet<_> {
            set.iter().map(|i| p(&format!("10.1.0.{i}/32"))).collect()
        };
        let (before_set, after_set) = (prefixes(&before), prefixes(&keep));
        let withdrawn = before.difference(&keep).count();
        let refused = check_withdraw(&before_set, &after_set, max).is_err();
        // withdrawn / before > max / 100, computed in floating point as a second opinion.
        let expected = !before.is_empty()
            && (withdrawn as f64) / (before.len() as f64) * 100.0 > f64::from(max) + 1e-9;
        prop_assert_eq!(refused, expected);
    }
}
