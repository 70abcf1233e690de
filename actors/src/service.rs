//! ServiceActor: turns its checks' results into the service's health with the core
//! [`Debounce`](anycastd::health::Debounce) and [`Strategy`](anycastd::config::model::Strategy),
//! exports `anycastd_service_up`, logs every transition with its reason and reports to the Supervisor.

use std::sync::Arc;

use actix::prelude::*;
use anycastd::config::model::{Service, Strategy};
use anycastd::health::{Debounce, Health, Outcome, Status};

use crate::check::CheckResult;
use crate::metrics::Metrics;
use crate::supervisor::{Ping, Stop};

/// A service's health changed (or was evaluated for the first time).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct ServiceHealth {
    /// The Supervisor's build generation that started the service (stale reports are ignored).
    pub generation: u64,
    /// Index of the service in the config.
    pub index: usize,
    /// The new health.
    pub health: Health,
}

struct CheckState {
    name: String,
    group: String,
    debounce: Debounce,
    last: Option<Outcome>,
}

/// One health-checked service.
pub struct ServiceActor {
    name: String,
    generation: u64,
    index: usize,
    strategy: Strategy,
    checks: Vec<CheckState>,
    health: Option<Health>,
    evaluated: bool,
    metrics: Arc<Metrics>,
    supervisor: Recipient<ServiceHealth>,
}

impl ServiceActor {
    /// A service actor; `previous` is the health of the same service before a reload (so a reload
    /// does not log or report a transition that did not happen).
    pub fn new(
        service: &Service,
        generation: u64,
        index: usize,
        previous: Option<Health>,
        metrics: Arc<Metrics>,
        supervisor: Recipient<ServiceHealth>,
    ) -> ServiceActor {
        let checks = service
            .checks
            .iter()
            .map(|check| CheckState {
                name: check.name.clone(),
                group: check.group.clone(),
                debounce: Debounce::new(check.rise, check.fall),
                last: None,
            })
            .collect();
        ServiceActor {
            name: service.name.clone(),
            generation,
            index,
            strategy: service.strategy,
            checks,
            health: previous,
            evaluated: false,
            metrics,
            supervisor,
        }
    }

    fn set_gauge(&self) {
        let value = if self.health.is_some_and(Health::is_up) {
            1.0
        } else {
            0.0
        };
        self.metrics
            .service_up
            .with_label_values(&[self.name.as_str()])
            .set(value);
    }

    /// Which checks count against the service, and why: `http_2xx: status 500; dns: timed out`.
    fn reasons(&self) -> String {
        let failing: Vec<String> = self
            .checks
            .iter()
            .filter(|c| c.debounce.status().is_some_and(|s| s != Status::Up))
            .map(|c| match c.last.as_ref().and_then(Outcome::reason) {
                Some(reason) => format!("{}: {}", c.name, reason),
                None => format!(
                    "{}: {}",
                    c.name,
                    c.debounce.status().map_or("", Status::as_label)
                ),
            })
            .collect();
        if failing.is_empty() {
            "all checks pass".to_string()
        } else {
            failing.join("; ")
        }
    }
}

impl Actor for ServiceActor {
    type Context = Context<Self>;

    fn started(&mut self, _ctx: &mut Self::Context) {
        // Present from the first scrape (0 until healthy), unlike the Go daemon.
        self.set_gauge();
    }
}

impl Handler<CheckResult> for ServiceActor {
    type Result = ();

    fn handle(&mut self, result: CheckResult, _ctx: &mut Self::Context) {
        let Some(state) = self.checks.get_mut(result.index) else {
            return;
        };
        let changed = state.debounce.observe(&result.outcome);
        state.last = Some(result.outcome);
        if let Some(status) = changed {
            log::info!(service = self.name.as_str(), check = state.name.as_str(), status = status.as_label();
                "check status changed");
        }
        let statuses: Option<Vec<(&str, Status)>> = self
            .checks
            .iter()
            .map(|c| c.debounce.status().map(|s| (c.group.as_str(), s)))
            .collect();
        // The first evaluation waits until every check has reported once.
        let Some(statuses) = statuses else {
            return;
        };
        let health = self.strategy.evaluate(&statuses);
        let first = !self.evaluated;
        self.evaluated = true;
        let transition = self.health != Some(health);
        if transition {
            let from = self.health.map_or("unknown", Health::as_label);
            let reason = self.reasons();
            let (service, to) = (self.name.as_str(), health.as_label());
            match health {
                Health::Up => log::warn!(service, from, to, reason; "service is up"),
                Health::Degraded => log::warn!(service, from, to, reason; "service is degraded"),
                Health::Down => log::warn!(service, from, to, reason; "service is down"),
            }
            self.health = Some(health);
            self.set_gauge();
        }
        if first || transition {
            self.supervisor.do_send(ServiceHealth {
                generation: self.generation,
                index: self.index,
                health,
            });
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
