//! The service twin of the ServiceActor: sequences of inputs at given times, and the exact, ordered
//! actions each one gives.

use std::time::Duration;

use anycastd::config::model::Service as ServiceConfig;
use anycastd::health::Outcome;
use anycastd::health::Status;
use anycastd::health::ladder::ServiceState::{self, Down, Draining, Up};
use anycastd::health::service::{Action, Input, Service};

use super::{check, s, service};

fn two_checks() -> ServiceConfig {
    service(
        "dns",
        vec![check("a", "127.0.0.1:53"), check("b", "[::1]:53")],
        None,
    )
}

fn observed(check: &str, outcome: Outcome) -> Input {
    Input::Observed {
        check: check.to_string(),
        outcome,
    }
}

fn pass(check: &str) -> Input {
    observed(check, Outcome::Pass)
}

fn fail(check: &str) -> Input {
    observed(check, Outcome::Fail("refused".into()))
}

fn check_changed(check: &str, status: Status) -> Action {
    Action::CheckChanged {
        check: check.to_string(),
        status,
    }
}

fn assessed(from: Option<ServiceState>, to: ServiceState, reason: &str) -> Action {
    Action::Assessed {
        from,
        to,
        reason: reason.to_string(),
    }
}

fn changed(state: ServiceState, reason: &str, transition: bool) -> Action {
    Action::Changed {
        state,
        reason: reason.to_string(),
        transition,
    }
}

const IDLE: Action = Action::Wake(None);

/// Runs `steps` (time in seconds, input, expected actions) on a new service.
fn run(config: &ServiceConfig, steps: Vec<(u64, Input, Vec<Action>)>) {
    let mut service = Service::new(config, None);
    for (i, (at, input, want)) in steps.into_iter().enumerate() {
        let label = format!("step {i} at {at}s: {input:?}");
        assert_eq!(service.handle(input, s(at)), want, "{label}");
    }
}

#[test]
fn nothing_is_assessed_until_every_check_has_reported() {
    run(
        &two_checks(),
        vec![
            (0, pass("a"), vec![check_changed("a", Status::Up)]),
            (0, pass("a"), vec![]),
            (
                1,
                fail("b"),
                vec![
                    check_changed("b", Status::Down),
                    // at_least_one: one failing check is enough to be down.
                    assessed(None, Down, "b: refused"),
                    changed(Down, "b: refused", false),
                    IDLE,
                ],
            ),
        ],
    );
}

#[test]
fn a_result_of_a_check_the_service_does_not_have_changes_nothing() {
    run(&two_checks(), vec![(0, pass("gone"), vec![])]);
}

#[test]
fn the_drain_switch_drains_and_undrains_an_evaluated_service() {
    run(
        &two_checks(),
        vec![
            // Before the first evaluation, the switch only waits for it.
            (0, Input::SetDrain(Some("maintenance".into())), vec![]),
            (0, pass("a"), vec![check_changed("a", Status::Up)]),
            (
                0,
                pass("b"),
                vec![
                    check_changed("b", Status::Up),
                    assessed(None, Draining, "drained: maintenance"),
                    changed(Draining, "drained: maintenance", false),
                    IDLE,
                ],
            ),
            (1, Input::SetDrain(Some("maintenance".into())), vec![]),
            (
                2,
                Input::SetDrain(None),
                vec![
                    assessed(Some(Draining), Up, "all checks pass"),
                    changed(Up, "all checks pass", true),
                    IDLE,
                ],
            ),
        ],
    );
}

#[test]
fn hold_down_keeps_a_recovered_service_withdrawn_and_asks_to_be_woken() {
    let mut config = service("web", vec![check("a", "127.0.0.1:80")], None);
    config.health.hold_down = s(30);
    let wake = |after: Duration| Action::Wake(Some(after + Duration::from_millis(1)));
    run(
        &config,
        vec![
            (
                0,
                pass("a"),
                vec![
                    check_changed("a", Status::Up),
                    assessed(None, Up, "all checks pass"),
                    changed(Up, "all checks pass", false),
                    IDLE,
                ],
            ),
            (
                5,
                fail("a"),
                vec![
                    check_changed("a", Status::Down),
                    assessed(Some(Up), Down, "a: refused"),
                    changed(Down, "a: refused", true),
                    IDLE,
                ],
            ),
            (
                10,
                pass("a"),
                vec![
                    check_changed("a", Status::Up),
                    assessed(Some(Down), Up, "all checks pass"),
                    wake(s(30)),
                ],
            ),
            (20, Input::Tick, vec![wake(s(20))]),
            (
                40,
                Input::Tick,
                vec![changed(Up, "all checks pass", true), IDLE],
            ),
        ],
    );
}

#[test]
fn a_reload_keeps_the_counters_of_unchanged_checks_and_resets_changed_ones() {
    let mut config = two_checks();
    for check in &mut config.checks {
        check.rise = 2;
    }
    let mut reloaded = config.clone();
    if let Some(b) = reloaded.checks.get_mut(1) {
        b.fall = 3;
    }
    let mut service = Service::new(&config, None);
    service.handle(fail("a"), s(0));
    service.handle(fail("b"), s(0));
    service.handle(pass("a"), s(1));
    service.handle(pass("b"), s(1));
    // `b` changed, so it starts again without a status and the service waits for it: nothing to
    // say, no deadline.
    assert_eq!(
        service.handle(Input::Reconfigure(Box::new(reloaded.clone())), s(2)),
        [IDLE]
    );
    // `a` kept its first pass of two; `b` starts again and has no status yet.
    assert_eq!(
        service.handle(pass("a"), s(3)),
        [check_changed("a", Status::Up),]
    );
    let statuses: Vec<(&str, Option<Status>)> =
        service.checks().map(|c| (c.name, c.status)).collect();
    assert_eq!(statuses, [("a", Some(Status::Up)), ("b", None)]);
}
