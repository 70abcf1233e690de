//! One health-checked service as a pure state machine, the twin of the ServiceActor: check results,
//! the drain switch, a reload and the passing of time go in as [`Input`]s; what changed comes out as
//! [`Action`]s, in order, for the shell to log, export, report and schedule.
//!
//! The path of a result: per check [`InconclusiveGrace`] then [`Debounce`] (rise/fall), then, once
//! every check has reported (startup gate), the service's [`Strategy`](crate::config::model::Strategy)
//! and the drain switch give the *assessed* ladder state, and [`ServiceTracker`] (hold-down,
//! dampening) the *effective* one that routes follow.
//!
//! Pure: time is an argument (`now`, a [`Duration`] since a fixed epoch, never decreasing).
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use super::guard::InconclusiveGrace;
use super::ladder::ServiceState;
use super::tracker::{ServiceTracker, TrackerSnapshot};
use super::{Debounce, Outcome, Status, requests_drain};
use crate::config::model::{self, Check};

/// What happens to a service.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A run of the check named `check` ended with `outcome`.
    Observed {
        /// The check's name.
        check: String,
        /// What the run found.
        outcome: Outcome,
    },
    /// The drain switch, node-wide or the service's own: `Some(reason)` drains, `None` undrains.
    SetDrain(Option<String>),
    /// New settings (reload): checks are matched by their settings, unchanged ones keep their
    /// counters, and the tracker keeps its history.
    Reconfigure(Box<model::Service>),
    /// The deadline asked for by [`Action::Wake`] has come.
    Tick,
}

/// What the shell does, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// The debounced status of a check changed (a log line).
    CheckChanged {
        /// The check's name.
        check: String,
        /// Its new status.
        status: Status,
    },
    /// The assessed state changed (a log line): what the checks and the drain switch ask for.
    Assessed {
        /// The state before (`None`: the first assessment).
        from: Option<ServiceState>,
        /// The new state.
        to: ServiceState,
        /// Which checks count against the service, and why.
        reason: String,
    },
    /// The effective state changed (including the first evaluation): export, log, report upwards.
    Changed {
        /// The new effective state.
        state: ServiceState,
        /// Why, including hold-down or dampening when they keep the service withdrawn.
        reason: String,
        /// Counts as a transition (not the first evaluation).
        transition: bool,
    },
    /// Send [`Input::Tick`] after this long, replacing any earlier request; `None` cancels it.
    Wake(Option<Duration>),
}

/// One check's state within its service.
#[derive(Debug, Clone, PartialEq)]
struct CheckState {
    config: Check,
    debounce: Debounce,
    grace: InconclusiveGrace,
    last: Option<Outcome>,
}

impl CheckState {
    fn new(config: Check, grace: Option<Duration>) -> CheckState {
        CheckState {
            debounce: Debounce::new(config.rise, config.fall),
            grace: InconclusiveGrace::new(grace),
            config,
            last: None,
        }
    }
}

/// What `/status` shows of one check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CheckView<'a> {
    /// The check's name.
    pub name: &'a str,
    /// Debounced status (`None` before its first result).
    pub status: Option<Status>,
    /// The last run's outcome.
    pub last: Option<&'a Outcome>,
}

/// One health-checked service.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// The service's settings; its checks are moved into `checks` (`config.checks` is empty), so
    /// each check's settings are kept once.
    config: model::Service,
    checks: Vec<CheckState>,
    tracker: ServiceTracker,
    drain: Option<String>,
}

impl Service {
    /// A service not evaluated yet; `drain` is the drain switch now.
    pub fn new(config: &model::Service, drain: Option<String>) -> Service {
        let grace = config.health.inconclusive_grace;
        let mut config = config.clone();
        let checks = std::mem::take(&mut config.checks);
        Service {
            checks: checks
                .into_iter()
                .map(|check| CheckState::new(check, grace))
                .collect(),
            tracker: ServiceTracker::new(&config.health),
            config,
            drain,
        }
    }

    /// The service's name.
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The last assessed state; `None` before the first evaluation.
    pub fn assessed(&self) -> Option<ServiceState> {
        self.tracker.assessed()
    }

    /// The metrics view at `now`.
    pub fn snapshot(&self, now: Duration) -> TrackerSnapshot {
        self.tracker.snapshot(now)
    }

    /// Each check's name, status and last outcome, in configuration order.
    pub fn checks(&self) -> impl Iterator<Item = CheckView<'_>> {
        self.checks.iter().map(|c| CheckView {
            name: &c.config.name,
            status: c.debounce.status(),
            last: c.last.as_ref(),
        })
    }

    /// Applies `input` at `now`; returns what the shell does, in order.
    pub fn handle(&mut self, input: Input, now: Duration) -> Vec<Action> {
        let mut out = Vec::new();
        match input {
            Input::Observed { check, outcome } => {
                let Some(state) = self.checks.iter_mut().find(|c| c.config.name == check) else {
                    return out; // a check removed by a reload still reporting
                };
                let outcome = state.grace.filter(outcome, now);
                let changed = state.debounce.observe(&outcome);
                state.last = Some(outcome);
                if let Some(status) = changed {
                    out.push(Action::CheckChanged { check, status });
                }
                self.evaluate(now, &mut out);
            }
            Input::SetDrain(drain) => {
                if self.drain != drain {
                    self.drain = drain;
                    self.evaluate(now, &mut out);
                }
            }
            Input::Reconfigure(config) => {
                self.reconfigure(*config);
                let changed = self.tracker.reconfigure(&self.config.health, now);
                self.settled(changed, now, &mut out);
                self.evaluate(now, &mut out);
            }
            Input::Tick => {
                let changed = self.tracker.tick(now);
                self.settled(changed, now, &mut out);
            }
        }
        out
    }

    /// Takes new settings, keeping the checks whose settings did not change.
    fn reconfigure(&mut self, mut config: model::Service) {
        let grace = config.health.inconclusive_grace;
        let same_health = config.health == self.config.health;
        let mut old = std::mem::take(&mut self.checks);
        self.checks = std::mem::take(&mut config.checks)
            .into_iter()
            .map(|check| match old.iter().position(|c| c.config == check) {
                Some(i) => {
                    let mut kept = old.swap_remove(i);
                    if !same_health {
                        // Same check, perhaps a new grace: keep the counters.
                        kept.grace = InconclusiveGrace::new(grace);
                    }
                    kept
                }
                None => CheckState::new(check, grace),
            })
            .collect();
        self.config = config;
    }

    /// Which checks count against the service, and why: `http_2xx: status 500; dns: timed out`.
    fn reasons(&self) -> String {
        let mut failing: Vec<String> = self
            .checks
            .iter()
            .filter(|c| c.debounce.status().is_some_and(|s| s != Status::Up))
            .map(|c| match c.last.as_ref().and_then(Outcome::reason) {
                Some(reason) => format!("{}: {}", c.config.name, reason),
                None => format!(
                    "{}: {}",
                    c.config.name,
                    c.debounce.status().map_or("", Status::as_label)
                ),
            })
            .collect();
        if let Some(reason) = &self.drain {
            failing.push(format!("drained: {reason}"));
        }
        if failing.is_empty() {
            "all checks pass".to_string()
        } else {
            failing.join("; ")
        }
    }

    /// The drain switch or a drain-file check.
    fn drained(&self) -> bool {
        self.drain.is_some() || self.drain_check().is_some()
    }

    /// Why the drain switch drains the service (node-wide or its own), `None` when it does not.
    pub fn drain(&self) -> Option<&str> {
        self.drain.as_deref()
    }

    /// The name of the first `file` check (`present_means: drain`) whose last run asks for a
    /// drain, `None` when none does.
    pub fn drain_check(&self) -> Option<&str> {
        self.checks
            .iter()
            .find(|c| {
                c.last
                    .as_ref()
                    .is_some_and(|outcome| requests_drain(&c.config.spec, outcome))
            })
            .map(|c| c.config.name.as_str())
    }

    /// Re-assesses the ladder state from the checks; nothing until every check has reported once.
    fn evaluate(&mut self, now: Duration, out: &mut Vec<Action>) {
        let statuses: Option<Vec<(&str, Status)>> = self
            .checks
            .iter()
            .map(|c| c.debounce.status().map(|s| (c.config.group.as_str(), s)))
            .collect();
        let Some(statuses) = statuses else {
            return;
        };
        let health = self.config.strategy.evaluate(&statuses);
        let assessed = ServiceState::assess(health, self.drained());
        let before = self.tracker.assessed();
        let changed = self.tracker.observe(assessed, now);
        if before != Some(assessed) {
            out.push(Action::Assessed {
                from: before,
                to: assessed,
                reason: self.reasons(),
            });
        }
        self.settled(changed, now, out);
    }

    /// Reports a change of the effective state and asks for the next deadline.
    fn settled(&mut self, changed: Option<ServiceState>, now: Duration, out: &mut Vec<Action>) {
        if let Some(state) = changed {
            let snapshot = self.tracker.snapshot(now);
            let reason = if snapshot.held_down {
                format!("held down ({})", self.reasons())
            } else if snapshot.suppressed {
                format!(
                    "suppressed by dampening, penalty {:.0} ({})",
                    snapshot.penalty,
                    self.reasons()
                )
            } else {
                self.reasons()
            };
            out.push(Action::Changed {
                state,
                reason,
                transition: snapshot.transitions > 0,
            });
        }
        let wake = self
            .tracker
            .next_deadline(now)
            .map(|at| at.saturating_sub(now) + Duration::from_millis(1));
        out.push(Action::Wake(wake));
    }
}
