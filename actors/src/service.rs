//! ServiceActor: feeds its checks' results, the drain switch and reloads into the core's
//! [`health::service::Service`], and performs what it returns: metrics, one log line per transition
//! with its reason, the report of the effective state to the Supervisor, and the timer of the next
//! hold-down or dampening deadline. Survives reloads: [`Reconfigure`] keeps the counters of
//! unchanged checks and the tracker's history.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix::prelude::*;
use anycastd::config::model::Service;
use anycastd::health::ladder::ServiceState;
use anycastd::health::service::{self, Action, Input};
use anycastd::health::{Outcome, Status};

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

/// One health-checked service.
pub struct ServiceActor {
    service: service::Service,
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
        ServiceActor {
            service: service::Service::new(service, drain),
            epoch,
            deadline: None,
            metrics,
            supervisor,
        }
    }

    fn now(&self) -> Duration {
        self.epoch.elapsed()
    }

    /// Applies one input to the core and performs what it asks for.
    fn feed(&mut self, input: Input, ctx: &mut Context<Self>) {
        let actions = self.service.handle(input, self.now());
        let export = !actions.is_empty();
        for action in actions {
            self.perform(action, ctx);
        }
        if export {
            self.export();
        }
    }

    fn perform(&mut self, action: Action, ctx: &mut Context<Self>) {
        let service = self.service.name().to_string();
        let service = service.as_str();
        match action {
            Action::CheckChanged { check, status } => {
                log::info!(service, check = check.as_str(), status = status.as_label(); "check status changed");
            }
            Action::Assessed { from, to, reason } => {
                let from = from.map_or("unknown", ServiceState::as_label);
                log::info!(service, from, to = to.as_label(), reason; "service assessed");
            }
            Action::Changed {
                state,
                reason,
                transition,
            } => {
                let to = state.as_label();
                match state {
                    ServiceState::Up => log::warn!(service, to, reason; "service is up"),
                    ServiceState::Degraded => {
                        log::warn!(service, to, reason; "service is degraded")
                    }
                    ServiceState::Draining => {
                        log::warn!(service, to, reason; "service is draining")
                    }
                    ServiceState::Down => log::warn!(service, to, reason; "service is down"),
                }
                if transition {
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
            Action::Wake(after) => {
                if let Some(handle) = self.deadline.take() {
                    ctx.cancel_future(handle);
                }
                if let Some(after) = after {
                    self.deadline = Some(ctx.run_later(after, |actor, ctx| {
                        actor.deadline = None;
                        actor.feed(Input::Tick, ctx);
                    }));
                }
            }
        }
    }

    fn export(&self) {
        let name = self.service.name();
        let snapshot = self.service.snapshot(self.now());
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
}

impl Actor for ServiceActor {
    type Context = Context<Self>;

    fn started(&mut self, _ctx: &mut Self::Context) {
        // Present from the first scrape (0 until healthy), unlike the Go daemon.
        self.export();
        self.metrics
            .service_transitions
            .with_label_values(&[self.service.name()])
            .inc_by(0);
    }
}

impl Handler<CheckResult> for ServiceActor {
    type Result = ();

    fn handle(&mut self, result: CheckResult, ctx: &mut Self::Context) {
        let input = Input::Observed {
            check: result.check,
            outcome: result.outcome,
        };
        self.feed(input, ctx);
    }
}

impl Handler<SetDrain> for ServiceActor {
    type Result = ();

    fn handle(&mut self, SetDrain(drain): SetDrain, ctx: &mut Self::Context) {
        self.feed(Input::SetDrain(drain), ctx);
    }
}

impl Handler<Reconfigure> for ServiceActor {
    type Result = ();

    fn handle(&mut self, Reconfigure(service): Reconfigure, ctx: &mut Self::Context) {
        self.feed(Input::Reconfigure(Box::new(service)), ctx);
    }
}

impl Handler<GetServiceStatus> for ServiceActor {
    type Result = ServiceStatus;

    fn handle(&mut self, _: GetServiceStatus, _: &mut Self::Context) -> ServiceStatus {
        let snapshot = self.service.snapshot(self.now());
        ServiceStatus {
            name: self.service.name().to_string(),
            state: snapshot.state.map(ServiceState::as_label),
            assessed: self.service.assessed().map(ServiceState::as_label),
            penalty: snapshot.penalty,
            held_down: snapshot.held_down,
            suppressed: snapshot.suppressed,
            checks: self
                .service
                .checks()
                .map(|c| CheckStatus {
                    name: c.name.to_string(),
                    status: c.status.map(Status::as_label),
                    last: c.last.map(Outcome::as_label),
                    reason: c.last.and_then(Outcome::reason).map(str::to_string),
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
