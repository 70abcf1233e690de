//! The node twin of the Supervisor: the startup gate and readiness, coalesced publishing, the
//! drain switches and the shutdown phases, as sequences of inputs and the exact actions they give.

use std::path::PathBuf;

use anycastd::health::ladder::ServiceState::{Down, Up};
use anycastd::health::node::{Action, Input, Node, Phase};

use super::{config, p, s};

fn reported(service: &str, state: anycastd::health::ladder::ServiceState) -> Input {
    Input::Reported {
        service: service.to_string(),
        state,
    }
}

/// What an action is, without the route set's contents (for sequences).
fn kind(action: &Action) -> String {
    match action {
        Action::Publish { set, change, moved } => {
            let moved: Vec<String> = moved
                .iter()
                .map(|(prefix, announced)| format!("({prefix}, {announced})"))
                .collect();
            format!(
                "publish complete={} change={} moved=[{}]",
                set.complete,
                change.is_some(),
                moved.join(", ")
            )
        }
        other => format!("{other:?}"),
    }
}

fn run(node: &mut Node, steps: Vec<(Input, Vec<String>)>) {
    for (i, (input, want)) in steps.into_iter().enumerate() {
        let label = format!("step {i}: {input:?}");
        let got: Vec<String> = node.handle(input).iter().map(kind).collect();
        assert_eq!(got, want, "{label}");
    }
}

fn texts(items: &[&str]) -> Vec<String> {
    items.iter().map(|item| item.to_string()).collect()
}

#[test]
fn ready_once_every_service_has_reported_with_one_publish_per_batch_of_reports() {
    let mut node = Node::new(config());
    let first: Vec<String> = node.publish_now().iter().map(kind).collect();
    assert_eq!(
        first,
        texts(&["publish complete=false change=false moved=[]"])
    );
    let all = "[(198.51.100.53/32, true), (198.51.100.80/32, true), (2001:db8:53::/48, true)]";
    run(
        &mut node,
        vec![
            (reported("dns", Up), texts(&["SchedulePublish"])),
            // Already scheduled: one recomputation covers both reports.
            (reported("web", Up), vec![]),
            (
                Input::Publish,
                vec![
                    format!("publish complete=true change=true moved={all}"),
                    "Ready".to_string(),
                ],
            ),
            (Input::Publish, vec![]),
            // A report of a service the configuration does not have is ignored.
            (reported("gone", Down), vec![]),
            (reported("web", Down), texts(&["SchedulePublish"])),
            (
                Input::Publish,
                texts(&["publish complete=true change=true moved=[(198.51.100.80/32, false)]"]),
            ),
        ],
    );
    assert_eq!(node.phase(), Phase::Running);
    // Ready is said once: back up, no second Ready.
    node.handle(reported("web", Up));
    let again: Vec<String> = node.handle(Input::Publish).iter().map(kind).collect();
    assert_eq!(
        again,
        texts(&["publish complete=true change=true moved=[(198.51.100.80/32, true)]"])
    );
    let sent = node.sent().map(|set| set.prefixes());
    assert!(sent.is_some_and(|prefixes| prefixes.contains(&p("198.51.100.80/32"))));
}

#[test]
fn the_signal_and_the_file_are_two_drain_switches() {
    let mut config = config();
    config.lifecycle.drain_file = Some(PathBuf::from("/run/anycastd/drain"));
    let mut node = Node::new(config);
    let drain = |reason: Option<&str>, signal: bool, file: bool| {
        format!(
            "{:?}",
            Action::Drain {
                reason: reason.map(str::to_string),
                signal,
                file
            }
        )
    };
    let by_file = "drain file /run/anycastd/drain exists";
    run(
        &mut node,
        vec![
            (Input::DrainFile(false), vec![]),
            (
                Input::DrainSignal(Some("maintenance".into())),
                vec![drain(Some("maintenance"), true, false)],
            ),
            (
                Input::DrainFile(true),
                vec![
                    "DrainFileChanged(true)".to_string(),
                    drain(Some("maintenance"), true, true),
                ],
            ),
            (Input::DrainFile(true), vec![]),
            (
                Input::DrainSignal(None),
                vec![drain(Some(by_file), false, true)],
            ),
            (
                Input::DrainFile(false),
                vec![
                    "DrainFileChanged(false)".to_string(),
                    drain(None, false, false),
                ],
            ),
        ],
    );
}

#[test]
fn a_shutdown_drains_for_the_drain_time_then_stops_everything_once() {
    let table = [(s(0), vec![]), (s(5), vec!["drain"])];
    for (drain_time, drained) in table {
        let mut config = config();
        config.shutdown.drain_time = drain_time;
        let mut node = Node::new(config);
        assert!(node.accepts_reload());
        let got: Vec<String> = node
            .handle(Input::Shutdown)
            .iter()
            .map(|action| match action {
                Action::Drain { reason, .. } => {
                    assert_eq!(reason.as_deref(), Some("shutting down"));
                    "drain".to_string()
                }
                other => kind(other),
            })
            .collect();
        let mut want = texts(&drained);
        want.push(format!("WaitDrain({drain_time:?})"));
        assert_eq!(got, want, "{drain_time:?}");
        assert_eq!(node.phase(), Phase::Draining);
        assert!(!node.accepts_reload());
        run(
            &mut node,
            vec![
                // While draining, services still report and the route set still follows.
                (reported("dns", Up), texts(&["SchedulePublish"])),
                (Input::Drained, texts(&["StopAll"])),
                (Input::Drained, vec![]),
                // Stopping: reports and publishing are over.
                (reported("web", Up), vec![]),
                (Input::Publish, vec![]),
            ],
        );
        assert_eq!(node.phase(), Phase::Stopping);
    }
}

#[test]
fn a_second_shutdown_during_the_drain_time_stops_at_once() {
    let mut config = config();
    config.shutdown.drain_time = s(300);
    let mut node = Node::new(config);
    node.handle(Input::Shutdown);
    assert_eq!(node.phase(), Phase::Draining);
    run(
        &mut node,
        vec![
            (Input::Shutdown, texts(&["StopAll"])),
            // The first drain's timer still fires: nothing is left to do.
            (Input::Drained, vec![]),
            (Input::Shutdown, vec![]),
        ],
    );
    assert_eq!(node.phase(), Phase::Stopping);
}

#[test]
fn a_reload_keeps_the_states_of_the_services_it_keeps() {
    let mut node = Node::new(config());
    node.handle(reported("dns", Up));
    node.handle(reported("web", Up));
    let mut new = config();
    new.services.retain(|service| service.name == "dns");
    let (changes, old) = node.reload(new, false).expect("a reload within the limit");
    assert_eq!(old.services.len(), 2);
    assert!(!changes.is_empty());
    assert_eq!(node.state_of("dns"), Some(Up));
    assert_eq!(node.state_of("web"), None);
    assert_eq!(node.config().services.len(), 1);
}
