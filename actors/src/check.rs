//! CheckActor: runs one check's probe when its core [`Schedule`] says so (at start, staggered with
//! the others when `splay` is on; then on the check's own grid of intervals; every `fast_interval`
//! while the check is in transition; at once on a watch event), never two runs at once, each
//! bounded by the check's deadline, and reports every result to its ServiceActor. It also holds
//! the check's watches ([`crate::watch`]) and feeds their events to the schedule.
//!
//! The probe future runs on the actor's context (`ctx.spawn`), so the actor keeps answering
//! messages (pings, stop) while a probe hangs; stopping the actor drops the probe future and
//! closes every watch.

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use anycastd::config::model::{Check, CheckSpec, ProcessTarget};
use anycastd::health::Outcome;
use anycastd::health::schedule::{Action, Input, Schedule};

use crate::messages::{Ping, Stop};
use crate::metrics::Metrics;
use crate::probe::{self, ProbeContext};
use crate::small_family::Series;
use crate::watch::{inotify, netlink, pidfd, sentinel};

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
    schedule: Schedule,
    epoch: Instant,
    wake: Option<SpawnHandle>,
    /// The pidfd watch of a `process` check, re-armed after every run.
    exits: Option<SpawnHandle>,
    last_label: Option<&'static str>,
    series: CheckSeries,
}

/// The check's series, looked up once: `with_label_values` takes the family's lock on every call, which at thousands of runs a second was a good part of the
/// daemon's own CPU. Each appears at its first use, as before; a series removed by a reload stays
/// removed even if a last run of a stopped actor reports after it.
#[derive(Default)]
struct CheckSeries {
    duration: Option<Series>,
    /// `anycastd_check_runs_total` by result: pass, degraded, fail, inconclusive.
    runs: [Option<Series>; 4],
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
        let schedule = Schedule::new(&check, service_name, first_run_window);
        CheckActor {
            index,
            check: Arc::new(check),
            probe,
            metrics,
            service,
            schedule,
            epoch: Instant::now(),
            wake: None,
            exits: None,
            last_label: None,
            series: CheckSeries::default(),
        }
    }

    /// Applies one input to the schedule and performs what it asks for.
    fn feed(&mut self, input: Input, ctx: &mut Context<Self>) {
        let now = self.epoch.elapsed();
        for action in self.schedule.handle(input, now) {
            match action {
                Action::Run => self.run(ctx),
                Action::Wake(after) => {
                    if let Some(handle) = self.wake.take() {
                        ctx.cancel_future(handle);
                    }
                    self.wake = Some(ctx.run_later(after, |act, ctx| {
                        act.wake = None;
                        act.feed(Input::Wake, ctx);
                    }));
                }
                Action::OpenSentinel => self.open_sentinel(ctx),
            }
        }
    }

    /// A watch event: counted, logged at debug level, fed to the schedule.
    fn watch_event(&mut self, what: &str, input: Input, ctx: &mut Context<Self>) {
        let (service, check) = (self.probe.service.as_str(), self.probe.check.as_str());
        log::debug!(service, check, event = what; "watch event");
        self.metrics
            .check_watch_events
            .with_label_values(&[service, check])
            .inc();
        self.feed(input, ctx);
    }

    /// Starts one run of the probe.
    fn run(&mut self, ctx: &mut Context<Self>) {
        let check = Arc::clone(&self.check);
        let cx = self.probe.clone();
        let run = async move {
            // Waiting for a turn to start is not part of the run: under load the schedule
            // stretches instead of healthy checks timing out in a queue.
            let admission = probe::admit(&check.spec).await;
            let started = Instant::now();
            let probe = probe::run_admitted(&check.spec, &cx, admission);
            let outcome = match tokio::time::timeout(check.deadline, probe).await {
                Ok(outcome) => outcome,
                Err(_) => Outcome::Fail(crate::probe::timed_out(check.deadline)),
            };
            (outcome, started.elapsed())
        };
        ctx.spawn(run.into_actor(self).map(|(outcome, duration), act, ctx| {
            act.finish(outcome.clone(), duration);
            act.feed(Input::Finished(outcome), ctx);
            act.watch_exits(ctx);
        }));
    }

    /// Starts the kernel notifications the check's kind has (on by default): inotify for a `file`
    /// check and a `process` pidfile, rtnetlink for `assigned_address`. Without them (no such
    /// directory, no permission) the check still runs on its schedule.
    fn watch_kernel(&mut self, ctx: &mut Context<Self>) {
        let (service, check) = (self.probe.service.as_str(), self.probe.check.as_str());
        let watched = match &self.check.spec {
            CheckSpec::File(spec) => Some(inotify::changes(&spec.path).map(|s| ctx.add_stream(s))),
            CheckSpec::Process(spec) => match &spec.target {
                ProcessTarget::Pidfile(path) => {
                    Some(inotify::changes(path).map(|s| ctx.add_stream(s)))
                }
                ProcessTarget::Name(_) => None,
            },
            CheckSpec::AssignedAddress(_) => Some(netlink::changes().map(|s| ctx.add_stream(s))),
            _ => None,
        };
        if let Some(Err(e)) = watched {
            let error = e.to_string();
            log::warn!(service, check, error; "cannot watch; the check runs on its interval only");
        }
    }

    /// For a `process` check, watches the processes found now with pidfds: an exit runs the check
    /// at once. Re-armed after every run, so a restarted process is followed.
    fn watch_exits(&mut self, ctx: &mut Context<Self>) {
        let CheckSpec::Process(spec) = &self.check.spec else {
            return;
        };
        if let Some(handle) = self.exits.take() {
            ctx.cancel_future(handle);
        }
        let pids = probe::process::live_pids(spec);
        let exit = pidfd::any_exit(pids).into_actor(self).map(|pid, act, ctx| {
            act.exits = None;
            act.watch_event(&format!("process {pid} exited"), Input::Watch, ctx);
        });
        self.exits = Some(ctx.spawn(exit));
    }

    /// Opens the sentinel connection; its end is a watch event.
    fn open_sentinel(&mut self, ctx: &mut Context<Self>) {
        let target = match self.check.spec.watch_target() {
            Ok(target) => target,
            Err(_) => return self.feed(Input::SentinelDown { was_up: false }, ctx),
        };
        let timeout = self.check.deadline;
        let open = async move { sentinel::open(&target, timeout).await };
        ctx.spawn(open.into_actor(self).map(|opened, act, ctx| {
            let (service, check) = (act.probe.service.as_str(), act.probe.check.as_str());
            match opened {
                Ok(stream) => {
                    log::debug!(service, check; "sentinel connected");
                    act.feed(Input::SentinelUp, ctx);
                    ctx.spawn(
                        sentinel::closed(stream)
                            .into_actor(act)
                            .map(|why, act, ctx| {
                                act.watch_event(&why, Input::SentinelDown { was_up: true }, ctx);
                            }),
                    );
                }
                Err(e) => {
                    let error = e.to_string();
                    log::debug!(service, check, error; "sentinel cannot connect");
                    act.feed(Input::SentinelDown { was_up: false }, ctx);
                }
            }
        }));
    }

    fn finish(&mut self, outcome: Outcome, duration: Duration) {
        let (service, check) = (self.probe.service.as_str(), self.probe.check.as_str());
        let label = outcome.as_label();
        let metrics = &self.metrics;
        self.series
            .duration
            .get_or_insert_with(|| metrics.check_duration.with_label_values(&[service, check]))
            .set(duration.as_secs_f64());
        let slot = match outcome {
            Outcome::Pass => 0,
            Outcome::Degraded(_) => 1,
            Outcome::Fail(_) => 2,
            Outcome::Inconclusive(_) => 3,
        };
        if let Some(runs) = self.series.runs.get_mut(slot) {
            runs.get_or_insert_with(|| {
                metrics
                    .check_runs
                    .with_label_values(&[service, check, label])
            })
            .inc();
        }
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
        // Present from the first scrape, at 0 until an event.
        let (service, check) = (self.probe.service.as_str(), self.probe.check.as_str());
        self.metrics
            .check_watch_events
            .with_label_values(&[service, check])
            .inc_by(0.0);
        if let CheckSpec::Http2xx(spec) = &self.check.spec {
            probe::http::warm(spec);
        }
        self.watch_kernel(ctx);
        self.feed(Input::Start, ctx);
    }
}

impl StreamHandler<String> for CheckActor {
    fn handle(&mut self, what: String, ctx: &mut Self::Context) {
        self.watch_event(&what, Input::Watch, ctx);
    }

    /// A notification stream that ends (its descriptor failed) leaves the check on its schedule;
    /// the actor goes on.
    fn finished(&mut self, _: &mut Self::Context) {}
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
