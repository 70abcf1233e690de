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
use crate::small_family::Series;

/// A service's effective state changed (or was evaluated for the first time).
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct ServiceReport {
    /// The service's name.
    pub service: String,
    /// The new effective state.
    pub state: ServiceState,
    /// The `file` check asking for a drain, if one does.
    pub drain_check: Option<String>,
}

/// The service's drain switch (node-wide: signals, `ctl drain`, the drain file; or the
/// service's own `ctl drain SERVICE`): `Some(reason)` drains.
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
    /// Why it is in that state (the failing checks, the drain).
    pub reason: Option<String>,
    /// When it entered that state, seconds since the Unix epoch.
    pub since: Option<f64>,
    /// The state the checks and the drain switch ask for, before hold-down and dampening.
    pub assessed: Option<&'static str>,
    /// Why the drain switch drains it (node-wide or its own), `null` when it does not.
    pub drain: Option<String>,
    /// The `file` check asking for a drain, `null` when none does.
    pub drain_check: Option<String>,
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
    /// How long the last run took, in seconds.
    pub duration: Option<f64>,
    /// When the last run ended, seconds since the Unix epoch.
    pub at: Option<f64>,
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
    supervisor: Recipient<ServiceReport>,
    /// The last effective change: why, and when (seconds since the Unix epoch).
    changed: Option<(String, f64)>,
    /// Each check's last run: how long it took and when it ended.
    runs: std::collections::HashMap<String, (Duration, f64)>,
    /// The drain check last reported.
    drain_check: Option<String>,
    /// The service's series, looked up once (see `ServiceSeries`).
    series: ServiceSeries,
}

/// A service's series, looked up once when its actor is made: they are set after every check
/// result, and `with_label_values` takes the family's lock on every call.
struct ServiceSeries {
    up: Series,
    /// `anycastd_service_state`, in the order of [`ServiceState::ALL`].
    state: Vec<(ServiceState, Series)>,
    penalty: Series,
    transitions: Series,
    last_change: Series,
}

impl ServiceSeries {
    fn new(metrics: &Metrics, name: &str) -> ServiceSeries {
        ServiceSeries {
            up: metrics.service_up.with_label_values(&[name]),
            state: ServiceState::ALL
                .into_iter()
                .map(|state| {
                    let series = metrics
                        .service_state
                        .with_label_values(&[name, state.as_label()]);
                    (state, series)
                })
                .collect(),
            penalty: metrics.dampening_penalty.with_label_values(&[name]),
            transitions: metrics.service_transitions.with_label_values(&[name]),
            last_change: metrics.service_last_change.with_label_values(&[name]),
        }
    }
}

/// Seconds since the Unix epoch, now.
fn wall_clock() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
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
        let series = ServiceSeries::new(&metrics, &service.name);
        ServiceActor {
            series,
            service: service::Service::new(service, drain),
            epoch,
            deadline: None,
            supervisor,
            changed: None,
            runs: std::collections::HashMap::new(),
            drain_check: None,
        }
    }

    /// Reports the effective state upwards when a drain check started or stopped asking for a
    /// drain without the state changing (the supervisor counts drains by check).
    fn report_drain_check(&mut self) {
        let now = self.service.drain_check().map(str::to_string);
        if now == self.drain_check {
            return;
        }
        self.drain_check = now.clone();
        if let Some(state) = self.service.snapshot(self.now()).state {
            self.supervisor.do_send(ServiceReport {
                service: self.service.name().to_string(),
                state,
                drain_check: now,
            });
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
        self.report_drain_check();
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
                    self.series.transitions.inc();
                }
                let wall = wall_clock();
                self.series.last_change.set(wall);
                self.changed = Some((reason, wall));
                self.drain_check = self.service.drain_check().map(str::to_string);
                self.supervisor.do_send(ServiceReport {
                    service: service.to_string(),
                    state,
                    drain_check: self.drain_check.clone(),
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
        let snapshot = self.service.snapshot(self.now());
        let up = snapshot.state.is_some_and(|s| !s.is_down());
        self.series.up.set(if up { 1.0 } else { 0.0 });
        for (state, series) in &self.series.state {
            series.set(if snapshot.state == Some(*state) {
                1.0
            } else {
                0.0
            });
        }
        self.series.penalty.set(snapshot.penalty);
    }
}

impl Actor for ServiceActor {
    type Context = Context<Self>;

    fn started(&mut self, _ctx: &mut Self::Context) {
        // Present from the first scrape (0 until healthy), unlike the Go daemon.
        self.export();
    }
}

impl Handler<CheckResult> for ServiceActor {
    type Result = ();

    fn handle(&mut self, result: CheckResult, ctx: &mut Self::Context) {
        self.runs
            .insert(result.check.clone(), (result.duration, wall_clock()));
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
            reason: self.changed.as_ref().map(|(reason, _)| reason.clone()),
            since: self.changed.as_ref().map(|(_, at)| *at),
            assessed: self.service.assessed().map(ServiceState::as_label),
            drain: self.service.drain().map(str::to_string),
            drain_check: self.service.drain_check().map(str::to_string),
            penalty: snapshot.penalty,
            held_down: snapshot.held_down,
            suppressed: snapshot.suppressed,
            checks: self
                .service
                .checks()
                .map(|c| {
                    let run = self.runs.get(c.name);
                    CheckStatus {
                        name: c.name.to_string(),
                        status: c.status.map(Status::as_label),
                        last: c.last.map(Outcome::as_label),
                        reason: c.last.and_then(Outcome::reason).map(str::to_string),
                        duration: run.map(|(d, _)| d.as_secs_f64()),
                        at: run.map(|(_, at)| *at),
                    }
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
