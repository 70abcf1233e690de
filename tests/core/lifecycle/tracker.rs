//! The per-service tracker: hold-down and dampening between the assessed and the effective state,
//! driven by sequences of observations and ticks at given times.

use std::time::Duration;

use anycastd::config::model::{Dampening, ServiceHealth};
use anycastd::health::hold_down::HoldDown;
use anycastd::health::ladder::ServiceState::{self, Degraded, Down, Draining, Up};
use anycastd::health::tracker::ServiceTracker;

use super::s;

/// One step of a sequence: an assessment or a tick at a time, and the expected effective change.
enum Step {
    See(u64, ServiceState, Option<ServiceState>),
    Tick(u64, Option<ServiceState>),
}
use Step::{See, Tick};

fn run(settings: &ServiceHealth, steps: &[Step]) -> ServiceTracker {
    let mut tracker = ServiceTracker::new(settings);
    for (index, step) in steps.iter().enumerate() {
        let (t, got, want) = match *step {
            See(t, state, want) => (t, tracker.observe(state, s(t)), want),
            Tick(t, want) => (t, tracker.tick(s(t)), want),
        };
        assert_eq!(got, want, "step {index} at {t}s");
    }
    tracker
}

fn hold(seconds: u64) -> ServiceHealth {
    ServiceHealth {
        hold_down: s(seconds),
        ..ServiceHealth::default()
    }
}

fn dampened() -> ServiceHealth {
    ServiceHealth {
        dampening: Some(Dampening::default()),
        ..ServiceHealth::default()
    }
}

#[test]
fn without_hold_down_or_dampening_the_effective_state_follows_at_once() {
    let tracker = run(
        &ServiceHealth::default(),
        &[
            See(0, Up, Some(Up)),
            See(10, Up, None),
            See(20, Degraded, Some(Degraded)),
            See(30, Draining, Some(Draining)),
            See(40, Down, Some(Down)),
            See(50, Up, Some(Up)),
        ],
    );
    let snapshot = tracker.snapshot(s(50));
    assert_eq!(snapshot.transitions, 4);
    assert_eq!(snapshot.last_change, Some(s(50)));
    assert_eq!(snapshot.penalty, 0.0);
}

#[test]
fn the_first_evaluation_is_not_held_down() {
    run(&hold(30), &[See(0, Up, Some(Up))]);
    run(&hold(30), &[See(0, Degraded, Some(Degraded))]);
}

#[test]
fn a_recovered_service_is_announced_after_hold_down() {
    let tracker = run(
        &hold(30),
        &[
            See(0, Up, Some(Up)),
            See(10, Down, Some(Down)),
            See(20, Up, None),
            Tick(40, None),
            See(45, Degraded, None),
            Tick(50, Some(Degraded)),
            See(60, Up, Some(Up)),
        ],
    );
    assert_eq!(tracker.snapshot(s(60)).transitions, 3);
}

#[test]
fn a_failure_during_hold_down_restarts_it() {
    let mut tracker = run(
        &hold(30),
        &[
            See(0, Down, Some(Down)),
            See(5, Up, None),
            See(20, Down, None),
            See(25, Up, None),
            Tick(35, None),
            Tick(54, None),
        ],
    );
    assert_eq!(tracker.next_deadline(s(54)), Some(s(55)));
    assert!(tracker.snapshot(s(54)).held_down);
    assert_eq!(tracker.tick(s(55)), Some(Up));
    assert_eq!(tracker.next_deadline(s(55)), None);
    assert!(!tracker.snapshot(s(55)).held_down);
}

#[test]
fn hold_down_deadline_is_reported_and_only_while_held() {
    let mut tracker = ServiceTracker::new(&hold(30));
    assert_eq!(tracker.next_deadline(s(0)), None);
    tracker.observe(Down, s(0));
    assert_eq!(tracker.next_deadline(s(0)), None, "down: nothing pending");
    tracker.observe(Up, s(7));
    assert_eq!(tracker.next_deadline(s(7)), Some(s(37)));
}

#[test]
fn third_flap_within_a_minute_suppresses_until_reuse() {
    let mut tracker = run(
        &dampened(),
        &[
            See(0, Up, Some(Up)),
            See(1, Down, Some(Down)), // 1000
            See(2, Up, Some(Up)),
            See(11, Down, Some(Down)), // 1000 * 2^(-10/60) + 1000
            See(12, Up, Some(Up)),
            See(21, Down, Some(Down)), // above 2000: suppressed
            See(22, Up, None),
            Tick(60, None),
        ],
    );
    let snapshot = tracker.snapshot(s(60));
    assert!(snapshot.suppressed);
    assert!(!snapshot.held_down);
    assert_eq!(snapshot.state, Some(Down));
    // 2684.599 at 21 s decays below 750 after 60 * log2(2684.599 / 750) = 110.385 s.
    let reuse = tracker.next_deadline(s(60)).expect("suppressed");
    assert_eq!(reuse.as_millis(), 21_000 + 110_384);
    assert_eq!(tracker.tick(reuse - Duration::from_millis(1)), None);
    assert_eq!(tracker.tick(reuse), Some(Up));
    assert_eq!(tracker.next_deadline(reuse), None);
    assert_eq!(tracker.snapshot(reuse).transitions, 6);
}

#[test]
fn flaps_while_suppressed_keep_adding_penalty() {
    let tracker = run(
        &dampened(),
        &[
            See(0, Up, Some(Up)),
            See(0, Down, Some(Down)),
            See(0, Up, Some(Up)),
            See(0, Down, Some(Down)),
            See(0, Up, Some(Up)),
            See(0, Down, Some(Down)), // 3000
            See(0, Up, None),
            See(0, Down, None), // 4000, while suppressed
        ],
    );
    assert_eq!(tracker.snapshot(s(0)).penalty, 4000.0);
    assert!(
        !tracker.snapshot(s(0)).suppressed,
        "down: not withheld by dampening"
    );
}

#[test]
fn hold_down_and_suppression_both_have_to_end() {
    let three_flaps = [
        See(0, Up, Some(Up)),
        See(0, Down, Some(Down)),
        See(0, Up, None), // held from here on
        See(0, Down, None),
        See(0, Up, None),
        See(0, Down, None), // 3000: suppressed until 120 s
        See(0, Up, None),
    ];
    let micro = Duration::from_micros(1);
    // (hold_down, deadline): the later of the hold-down's end and the reuse time.
    for (hold_down, deadline) in [(300, s(300)), (30, s(120) + micro)] {
        let settings = ServiceHealth {
            hold_down: s(hold_down),
            dampening: Some(Dampening::default()),
            ..ServiceHealth::default()
        };
        let mut tracker = run(&settings, &three_flaps);
        assert_eq!(
            tracker.next_deadline(s(0)),
            Some(deadline),
            "hold {hold_down}"
        );
        assert_eq!(tracker.tick(deadline - micro), None, "hold {hold_down}");
        assert_eq!(tracker.tick(deadline), Some(Up), "hold {hold_down}");
    }
}

#[test]
fn draining_and_degraded_are_not_flaps() {
    let tracker = run(
        &dampened(),
        &[
            See(0, Up, Some(Up)),
            See(1, Draining, Some(Draining)),
            See(2, Degraded, Some(Degraded)),
            See(3, Up, Some(Up)),
        ],
    );
    assert_eq!(tracker.snapshot(s(3)).penalty, 0.0);
}

#[test]
fn reconfiguring_keeps_the_penalty_and_the_healthy_streak() {
    let mut tracker = run(
        &dampened(),
        &[
            See(0, Up, Some(Up)),
            See(0, Down, Some(Down)),
            See(10, Up, Some(Up)),
        ],
    );
    let settings = ServiceHealth {
        hold_down: s(30),
        ..dampened()
    };
    assert_eq!(tracker.reconfigure(&settings, s(20)), None);
    assert_eq!(tracker.snapshot(s(60)).penalty, 500.0);
    assert_eq!(tracker.observe(Down, s(60)), Some(Down));
    assert_eq!(tracker.observe(Up, s(61)), None, "held down now");
    // Dampening turned off: the penalty is gone.
    assert_eq!(tracker.reconfigure(&hold(30), s(62)), None);
    assert_eq!(tracker.snapshot(s(62)).penalty, 0.0);
    assert_eq!(tracker.tick(s(91)), Some(Up));
}

#[test]
fn hold_down_streaks() {
    let mut hold_down = HoldDown::new(s(30));
    assert_eq!(hold_down.release_at(), None);
    hold_down.observe(true, s(5));
    hold_down.observe(true, s(15));
    assert_eq!(hold_down.healthy_since(), Some(s(5)));
    assert_eq!(hold_down.release_at(), Some(s(35)));
    assert!(!hold_down.released(s(34)));
    assert!(hold_down.released(s(35)));
    hold_down.observe(false, s(40));
    assert_eq!(hold_down.healthy_since(), None);
    assert!(!hold_down.released(s(100)));
}
