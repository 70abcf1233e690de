//! CheckActor: runs one check's probe at start (staggered with the others when `splay` is on) and
//! then every `interval` (on the check's own phase when `splay` is on), never two runs at once, each
//! bounded by the check's deadline, and reports every result to its ServiceActor.
//!
//! The probe future runs on the actor's context (`ctx.spawn`), so the actor keeps answering
//! messages (pings, stop) while a probe hangs; stopping the actor drops the probe future.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use anycastd::config::model::Check;
use anycastd::health::Outcome;

use crate::messages::{Ping, Stop};
use crate::metrics::Metrics;
use crate::probe::{self, ProbeContext};

/// One finished run of a check, sent to its ServiceActor.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct CheckResult {
    /// Index of the check within its service.
    pub index: usize,
    /// The check's name (a reload may move a check to another index).
    pub check: String,
    /// What the run found.
    pub outcome: Outcome,
    /// How long the run took.
    pub duration: Duration,
}

/// Runs one check of one service.
pub struct CheckActor {
    index: usize,
    check: Arc<Check>,
    probe: ProbeContext,
    metrics: Arc<Metrics>,
    service: Recipient<CheckResult>,
    /// Delay of the first run (see [`Check::first_run`]).
    first_run: Duration,
    running: bool,
    overdue: bool,
    last_label: Option<&'static str>,
}

impl CheckActor {
    /// A check actor for `check` (index `index` within service `service_name`), reporting to
    /// `service`; `first_run_window` spreads the first runs of checks started together
    /// ([`anycastd::config::model::Config::first_run_window`]).
    pub fn new(
        service_name: &str,
        index: usize,
        check: Check,
        first_run_window: Duration,
        metrics: Arc<Metrics>,
        service: Recipient<CheckResult>,
    ) -> CheckActor {
        let probe = ProbeContext {
            service: service_name.to_string(),
            check: check.name.clone(),
            metrics: Arc::clone(&metrics.probe),
        };
        let first_run = check.first_run(service_name, first_run_window);
        CheckActor {
            index,
            first_run,
            check: Arc::new(check),
            probe,
            metrics,
            service,
            running: false,
            overdue: false,
            last_label: None,
        }
    }

    /// Starts one run, or, when one is in flight (runs never overlap), marks the next one overdue
    /// so it starts as soon as the current one ends: a slow run delays the schedule, never halves it.
    fn tick(&mut self, ctx: &mut Context<Self>) {
        if self.running {
            self.overdue = true;
            return;
        }
        self.running = true;
        let check = Arc::clone(&self.check);
        let cx = self.probe.clone();
        let run = async move {
            let started = Instant::now();
            let outcome =
                match tokio::time::timeout(check.deadline, probe::run(&check.spec, &cx)).await {
                    Ok(outcome) => outcome,
                    Err(_) => Outcome::Fail(crate::probe::timed_out(check.deadline)),
                };
            (outcome, started.elapsed())
        };
        ctx.spawn(run.into_actor(self).map(|(outcome, duration), act, ctx| {
            act.finish(outcome, duration);
            if std::mem::take(&mut act.overdue) {
                act.tick(ctx);
            }
        }));
    }

    fn finish(&mut self, outcome: Outcome, duration: Duration) {
        self.running = false;
        let (service, check) = (self.probe.service.as_str(), self.probe.check.as_str());
        self.metrics
            .check_duration
            .with_label_values(&[service, check])
            .set(duration.as_secs_f64());
        self.metrics
            .check_runs
            .with_label_values(&[service, check, outcome.as_label()])
            .inc();
        let label = outcome.as_label();
        if self.last_label != Some(label) {
            let reason = outcome.reason().unwrap_or("");
            match outcome {
                Outcome::Pass => log::info!(service, check, result = label; "check passes"),
                _ => log::info!(service, check, result = label, reason; "check result changed"),
            }
            self.last_label = Some(label);
        } else if let Some(reason) = outcome.reason() {
            log::debug!(service, check, result = label, reason; "check run");
        }
        self.service.do_send(CheckResult {
            index: self.index,
            check: self.check.name.clone(),
            outcome,
            duration,
        });
    }
}

impl Actor for CheckActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        // A first run soon (at once without splay), then the regular runs on the check's own
        // phase, every interval from there.
        let (first, phase) = (self.first_run, self.check.phase(&self.probe.service));
        let interval = self.check.interval;
        if first < phase {
            ctx.run_later(first, |act, ctx| act.tick(ctx));
        }
        ctx.run_later(phase, move |act, ctx| {
            act.tick(ctx);
            ctx.run_interval(interval, |act, ctx| act.tick(ctx));
        });
    }
}

impl Handler<Stop> for CheckActor {
    type Result = ();
    fn handle(&mut self, _: Stop, ctx: &mut Self::Context) {
        ctx.stop();
    }
}

impl Handler<Ping> for CheckActor {
    type Result = ();
    fn handle(&mut self, _: Ping, _: &mut Self::Context) {}
}
