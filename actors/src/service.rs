//! ServiceActor: turns its checks' results into the service's place on the health ladder with the
//! core: per check [`InconclusiveGrace`] and [`Debounce`] (rise/fall), the
//! [`Strategy`](anycastd::config::model::Strategy), the drain switch, then hold-down and dampening
//! ([`ServiceTracker`]). Exports the service's metrics, logs every transition with its reason and
//! reports the effective state to the Supervisor. Survives reloads: [`Reconfigure`] keeps the
//! counters of unchanged checks and the tracker's history.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix::prelude::*;
use anycastd::config::model::{Check, Service};
use anycastd::health::guard::InconclusiveGrace;
use anycastd::health::ladder::ServiceState;
use anycastd::health::tracker::ServiceTracker;
use anycastd::health::{Debounce, Health, Outcome, Status, requests_drain};

use crate::check::CheckResult;
use crate::messages::{Ping, Stop};
use crate::metrics::Metrics;

/// A service's effective state changed (or was evaluated for the first time).
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct ServiceReport {
    /// The service's name.
    pub service: String,
    /// The new effective state.
    pub state: ServiceState,
}

/// The node-wide drain switch (SIGUSR1/SIGUSR2, the drain file): `Some(reason)` drains.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct SetDrain(pub Option<String>);

/// New settings for a service that stays (reload): checks are matched by name; unchanged ones keep
/// their counters.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Reconfigure(pub Service);

/// What `/status` shows of one service.
#[derive(Debug, Clone, serde::Serialize, MessageResponse)]
pub struct ServiceStatus {
    /// The service's name.
    pub name: String,
    /// The effective state (`null` before the first evaluation).
    pub state: Option<&'static str>,
    /// The state the checks and the drain switch ask for, before hold-down and dampening.
    pub assessed: Option<&'static str>,
    /// The dampening penalty.
    pub penalty: f64,
    /// True while hold-down keeps it withdrawn.
    pub held_down: bool,
    /// True while dampening keeps it withdrawn.
    pub suppressed: bool,
    /// Each check's last result.
    pub checks: Vec<CheckStatus>,
}

/// What `/status` shows of one check.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CheckStatus {
    /// The check's name.
    pub name: String,
    /// Debounced status (`null` before its first result).
    pub status: Option<&'static str>,
    /// The last run's result label.
    pub last: Option<&'static str>,
    /// The last run's reason text.
    pub reason: Option<String>,
}

/// Asks for a [`ServiceStatus`].
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "ServiceStatus")]
pub struct GetServiceStatus;

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

/// One health-checked service.
pub struct ServiceActor {
    service: Service,
    checks: Vec<CheckState>,
    health: Option<Health>,
    tracker: ServiceTracker,
    drain: Option<String>,
    epoch: Instant,
    deadline: Option<SpawnHandle>,
    metrics: Arc<Metrics>,
    supervisor: Recipient<ServiceReport>,
}

impl ServiceActor {
    /// A service actor; `epoch` is the daemon's fixed time origin, `drain` the drain switch now.
    pub fn new(
        service: &Service,
        epoch: Instant,
        drain: Option<String>,
        metrics: Arc<Metrics>,
        supervisor: Recipient<ServiceReport>,
    ) -> ServiceActor {
        let grace = service.health.inconclusive_grace;
        let checks = service
            .checks
            .iter()
            .map(|check| CheckState::new(check.clone(), grace))
            .collect();
        ServiceActor {
            tracker: ServiceTracker::new(&service.health),
            service: service.clone(),
            checks,
            health: None,
            drain,
            epoch,
            deadline: None,
            metrics,
            supervisor,
        }
    }

    fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    fn name(&self) -> &str {
        &self.service.name
    }

    fn export(&self) {
        let name = self.service.name.as_str();
        let snapshot = self.tracker.snapshot(self.now());
        let up = snapshot.state.is_some_and(|s| !s.is_down());
        self.metrics
            .service_up
            .with_label_values(&[name])
            .set(if up { 1.0 } else { 0.0 });
        for state in ServiceState::ALL {
            let value = if snapshot.state == Some(state) {
                1.0
            } else {
                0.0
            };
            self.metrics
                .service_state
                .with_label_values(&[name, state.as_label()])
                .set(value);
        }
        self.metrics
            .dampening_penalty
            .with_label_values(&[name])
            .set(snapshot.penalty);
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
        self.drain.is_some()
            || self.checks.iter().any(|c| {
                c.last
                    .as_ref()
                    .is_some_and(|outcome| requests_drain(&c.config.spec, outcome))
            })
    }

    /// Re-assesses the ladder state from the checks; nothing until every check has reported once.
    fn evaluate(&mut self, ctx: &mut Context<Self>) {
        let statuses: Option<Vec<(&str, Status)>> = self
            .checks
            .iter()
            .map(|c| c.debounce.status().map(|s| (c.config.group.as_str(), s)))
            .collect();
        let Some(statuses) = statuses else {
            return;
        };
        let health = self.service.strategy.evaluate(&statuses);
        self.health = Some(health);
        let assessed = ServiceState::assess(health, self.drained());
        let now = self.now();
        let before = self.tracker.assessed();
        let changed = self.tracker.observe(assessed, now);
        if before != Some(assessed) {
            let reason = self.reasons();
            let from = before.map_or("unknown", ServiceState::as_label);
            log::info!(service = self.name(), from, to = assessed.as_label(), reason; "service assessed");
        }
        self.settled(changed, ctx);
    }

    /// Exports, logs and reports a change of the effective state, and arms the next deadline.
    fn settled(&mut self, changed: Option<ServiceState>, ctx: &mut Context<Self>) {
        let now = self.now();
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
            let service = self.name();
            let to = state.as_label();
            match state {
                ServiceState::Up => log::warn!(service, to, reason; "service is up"),
                ServiceState::Degraded => log::warn!(service, to, reason; "service is degraded"),
                ServiceState::Draining => log::warn!(service, to, reason; "service is draining"),
                ServiceState::Down => log::warn!(service, to, reason; "service is down"),
            }
            if snapshot.transitions > 0 {
                self.metrics
                    .service_transitions
                    .with_label_values(&[service])
                    .inc();
            }
            let wall = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |d| d.as_secs_f64());
            self.metrics
                .service_last_change
                .with_label_values(&[service])
                .set(wall);
            self.supervisor.do_send(ServiceReport {
                service: service.to_string(),
                state,
            });
        }
        self.export();
        if let Some(handle) = self.deadline.take() {
            ctx.cancel_future(handle);
        }
        if let Some(at) = self.tracker.next_deadline(now) {
            let after = at.saturating_sub(now) + Duration::from_millis(1);
            self.deadline = Some(ctx.run_later(after, |actor, ctx| {
                actor.deadline = None;
                let changed = actor.tracker.tick(actor.now());
                actor.settled(changed, ctx);
            }));
        }
    }
}

impl Actor for ServiceActor {
    type Context = Context<Self>;

    fn started(&mut self, _ctx: &mut Self::Context) {
        // Present from the first scrape (0 until healthy), unlike the Go daemon.
        self.export();
        let name = self.service.name.as_str();
        self.metrics
            .service_transitions
            .with_label_values(&[name])
            .inc_by(0);
    }
}

impl Handler<CheckResult> for ServiceActor {
    type Result = ();

    fn handle(&mut self, result: CheckResult, ctx: &mut Self::Context) {
        let now = self.now();
        let service = self.service.name.clone();
        let Some(state) = self
            .checks
            .iter_mut()
            .find(|c| c.config.name == result.check)
        else {
            return;
        };
        let outcome = state.grace.filter(result.outcome, now);
        let changed = state.debounce.observe(&outcome);
        state.last = Some(outcome);
        if let Some(status) = changed {
            log::info!(service = service.as_str(), check = state.config.name.as_str(), status = status.as_label();
                "check status changed");
        }
        self.evaluate(ctx);
    }
}

impl Handler<SetDrain> for ServiceActor {
    type Result = ();

    fn handle(&mut self, SetDrain(drain): SetDrain, ctx: &mut Self::Context) {
        if self.drain == drain {
            return;
        }
        self.drain = drain;
        self.evaluate(ctx);
    }
}

impl Handler<Reconfigure> for ServiceActor {
    type Result = ();

    fn handle(&mut self, Reconfigure(service): Reconfigure, ctx: &mut Self::Context) {
        let grace = service.health.inconclusive_grace;
        let mut old: Vec<CheckState> = std::mem::take(&mut self.checks);
        self.checks = service
            .checks
            .iter()
            .map(|check| {
                match old
                    .iter()
                    .position(|c| c.config == *check && service.health == self.service.health)
                {
                    Some(i) => old.swap_remove(i),
                    None => match old.iter().position(|c| c.config == *check) {
                        Some(i) => {
                            // Same check, new grace: keep the counters.
                            let mut kept = old.swap_remove(i);
                            kept.grace = InconclusiveGrace::new(grace);
                            kept
                        }
                        None => CheckState::new(check.clone(), grace),
                    },
                }
            })
            .collect();
        let changed = self.tracker.reconfigure(&service.health, self.now());
        self.service = service;
        self.settled(changed, ctx);
        self.evaluate(ctx);
    }
}

impl Handler<GetServiceStatus> for ServiceActor {
    type Result = ServiceStatus;

    fn handle(&mut self, _: GetServiceStatus, _: &mut Self::Context) -> ServiceStatus {
        let snapshot = self.tracker.snapshot(self.now());
        ServiceStatus {
            name: self.service.name.clone(),
            state: snapshot.state.map(ServiceState::as_label),
            assessed: self.tracker.assessed().map(ServiceState::as_label),
            penalty: snapshot.penalty,
            held_down: snapshot.held_down,
            suppressed: snapshot.suppressed,
            checks: self
                .checks
                .iter()
                .map(|c| CheckStatus {
                    name: c.config.name.clone(),
                    status: c.debounce.status().map(Status::as_label),
                    last: c.last.as_ref().map(Outcome::as_label),
                    reason: c
                        .last
                        .as_ref()
                        .and_then(Outcome::reason)
                        .map(str::to_string),
                })
                .collect(),
        }
    }
}

impl Handler<Stop> for ServiceActor {
    type Result = ();
    fn handle(&mut self, _: Stop, ctx: &mut Self::Context) {
        ctx.stop();
    }
}

impl Handler<Ping> for ServiceActor {
    type Result = ();
    fn handle(&mut self, _: Ping, _: &mut Self::Context) {}
}
