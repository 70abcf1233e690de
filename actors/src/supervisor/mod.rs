//! Supervisor: the root of the actor tree and the only owner of the configuration, held in the
//! core's [`Node`] (the node's lifecycle: startup gate, route set, readiness, drain, shutdown). It
//! starts one ServiceActor with its CheckActors per service and one PeerActor per neighbour, feeds
//! the services' reports, the drain switches (signals, drain file) and SIGTERM into the node, and
//! performs what the node returns: publishing the route set, `READY=1`, draining the services, the
//! shutdown steps. SIGHUP reloads ([`Node::reload`]) apply the resulting [`Change`]s one by one.
//!
//! [`Change`]: anycastd::config::diff::Change

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use anycastd::bgp::types::Prefix;
use anycastd::config::{ConfigErrors, model::Config};
use anycastd::health::drain::Drains;
use anycastd::health::node::{Action, Input, Node, Phase};
use anycastd::health::route_set::{RouteChange, RouteSet};

use crate::check::CheckActor;
use crate::messages::Ping;
use crate::metrics::Metrics;
use crate::peer::set::{Md5Keys, Peers};
use crate::routes::DesiredRoutes;
use crate::service::{ServiceActor, ServiceReport, SetDrain};

mod children;
mod drains;
mod reload;
pub mod state;
mod status;

pub use drains::{Drain, SetOperatorDrain};
pub use reload::{CheckConfig, ConfigCheck, ReloadNow};
pub use status::{Drains as DrainsStatus, GetStatus, PeerStatus, RouteStatus, Status};

/// Every live actor by name (`supervisor`, `service/<s>`, `check/<s>/<c>`, `peer/<p>`), for
/// `/healthz` and the watchdog.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "Vec<(String, Recipient<Ping>)>")]
pub struct ListActors;

/// Re-read and re-validate the config file; keep running unchanged when it is bad (SIGHUP).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "Result<(), ConfigErrors>")]
pub struct Reload;

/// Drain the node for `drain_time`, withdraw from every peer, end every session with Cease /
/// Administrative Shutdown, then stop (SIGTERM / SIGINT).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct Shutdown;

/// Registers a recipient of the route set besides the configured neighbours: it receives the current
/// route set at once and every change afterwards.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct AddPeer(pub Recipient<DesiredRoutes>);

/// How often the drain file and the systemd status line are refreshed.
const POLL_PERIOD: Duration = Duration::from_secs(1);

/// Up to this many configured prefixes `anycastd_route_announced` has a series per prefix; above it,
/// none (the totals, `anycastd_routes_announced` and `anycastd_bgp_prefixes_advertised`, remain).
/// Each series costs about 0.4 KB (its label pairs, a descriptor, its entry in the family's map):
/// more than half of the daemon's memory at 100,000 prefixes, for a gauge nobody graphs per prefix
/// at that size.
pub const PREFIX_SERIES_LIMIT: usize = 1_000;

/// The text of the Cease / Administrative Shutdown sent on SIGTERM (RFC 8203).
pub const SHUTDOWN_TEXT: &str = "anycastd is stopping";

struct RunningService {
    addr: Addr<ServiceActor>,
    checks: Vec<(String, Addr<CheckActor>)>,
}

/// The root of the actor tree.
pub struct Supervisor {
    node: Node,
    path: PathBuf,
    metrics: Arc<Metrics>,
    force: bool,
    epoch: Instant,
    services: BTreeMap<String, RunningService>,
    bgp: Option<Peers>,
    extra: Vec<Recipient<DesiredRoutes>>,
    /// The configured prefixes.
    known_prefixes: BTreeSet<Prefix>,
    /// Whether each of them has an `anycastd_route_announced` series (at most
    /// [`PREFIX_SERIES_LIMIT`] of them).
    prefix_series: bool,
    status_line: String,
    /// The neighbours' MD5 keys, read with the configuration (at start, at each reload).
    keys: Md5Keys,
    /// A reload is reading its file.
    reloading: bool,
    /// A SIGHUP came during a reload: reload again when it ends.
    reload_again: bool,
    /// The inotify watch of `lifecycle.drain_file`, and the path it watches.
    drain_watch: Option<(PathBuf, SpawnHandle)>,
    /// Services a `file` check drains, with the check's name.
    check_drains: BTreeMap<String, String>,
    /// Where the operator's drains are saved; `None`: not saved (tests in one process).
    state_file: Option<PathBuf>,
}

impl Supervisor {
    /// A supervisor for `config`, read from `path` (re-read on [`Reload`]).
    pub fn new(config: Config, path: PathBuf, metrics: Arc<Metrics>) -> Supervisor {
        Supervisor {
            node: Node::new(config),
            path,
            metrics,
            force: false,
            epoch: Instant::now(),
            services: BTreeMap::new(),
            bgp: None,
            extra: Vec::new(),
            known_prefixes: BTreeSet::new(),
            prefix_series: false,
            status_line: String::new(),
            keys: Md5Keys::new(),
            reloading: false,
            reload_again: false,
            drain_watch: None,
            check_drains: BTreeMap::new(),
            state_file: None,
        }
    }

    /// The neighbours' MD5 keys, read with the configuration; neighbours started later (by a
    /// reload) use the keys read with their reload.
    pub fn with_keys(mut self, keys: Md5Keys) -> Supervisor {
        self.keys = keys;
        self
    }

    /// Keeps the operator's drains in `path` (`lifecycle.state_file`), starting from `drains`, read
    /// from it before the first announcement. Drains of services the configuration does not have
    /// are dropped with a warning.
    pub fn with_state_file(mut self, path: PathBuf, drains: Drains) -> Supervisor {
        for name in self.node.restore(drains) {
            log::warn!(service = name.as_str(), file = path.display().to_string().as_str(); "state file drains a service that is not configured: dropped");
        }
        let drains = self.node.drains();
        if let Some(drain) = &drains.node {
            log::warn!(reason = "state", text = drain.reason.as_str(); "drained before this start: draining every service");
        }
        for (service, drain) in &drains.services {
            log::warn!(service = service.as_str(), reason = "state", text = drain.reason.as_str(); "drained before this start: draining the service");
        }
        self.state_file = Some(path);
        self
    }

    /// Hands the configured neighbours to the supervisor: they get the route set, are changed on
    /// reload and stopped on shutdown.
    pub fn with_peers(mut self, peers: Peers) -> Supervisor {
        self.bgp = Some(peers);
        self
    }

    /// `--force`: apply reloads the blast-radius guard would refuse.
    pub fn with_force(mut self, force: bool) -> Supervisor {
        self.force = force;
        self
    }

    /// Applies one input to the node and performs what it asks for.
    fn feed(&mut self, input: Input, ctx: &mut Context<Self>) {
        for action in self.node.handle(input) {
            self.perform(action, ctx);
        }
    }

    fn perform(&mut self, action: Action, ctx: &mut Context<Self>) {
        match action {
            Action::SchedulePublish => {
                // Reports already queued are handled before this notification: one recomputation
                // covers them all (a thousand services settling at start cost one, not a thousand).
                ctx.notify(Publish);
            }
            Action::Publish { set, change, moved } => self.publish(set, change, &moved),
            Action::Ready => {
                notify(&[sd_notify::NotifyState::Ready]);
                log::info!("first evaluation of every service done: ready");
            }
            Action::Drain {
                services,
                node,
                file,
                per_service,
            } => {
                for (label, on) in [("signal", node), ("file", file)] {
                    let value = if on { 1.0 } else { 0.0 };
                    self.metrics.drained.with_label_values(&[label]).set(value);
                }
                let value = if per_service > 0 { 1.0 } else { 0.0 };
                self.metrics
                    .drained
                    .with_label_values(&["service"])
                    .set(value);
                for (name, reason) in services {
                    if let Some(service) = self.services.get(&name) {
                        service.addr.do_send(SetDrain(reason));
                    }
                }
            }
            Action::SaveDrains(drains) => self.save_drains(&drains),
            Action::DrainFileChanged(present) => {
                let lifecycle = &self.node.config().lifecycle;
                let path = lifecycle.drain_file.as_ref();
                let path = path.map(|p| p.display().to_string()).unwrap_or_default();
                let file = path.as_str();
                if present {
                    log::warn!(reason = "file", file; "drain file present: draining every service");
                } else {
                    log::warn!(reason = "file", file; "drain file gone: undraining");
                }
            }
            // Performed where the shutdown is answered.
            Action::WaitDrain(_) | Action::StopAll => {}
        }
    }

    /// Exports and logs the prefixes that moved, and sends the route set to every peer.
    fn publish(&mut self, set: RouteSet, change: Option<RouteChange>, moved: &[(Prefix, bool)]) {
        for (prefix, now) in moved {
            let text = prefix.to_string();
            if self.prefix_series && self.known_prefixes.contains(prefix) {
                let value = if *now { 1.0 } else { 0.0 };
                self.metrics
                    .route_announced
                    .with_label_values(&[&text])
                    .set(value);
            }
            if *now {
                log::info!(prefix = text.as_str(); "route wanted: announce");
            } else {
                log::info!(prefix = text.as_str(); "route no longer wanted: withdraw");
            }
        }
        self.metrics
            .routes_announced
            .set(set.announced_count() as f64);
        let routes = DesiredRoutes {
            set,
            change: change.map(Arc::new),
        };
        let mut peers = self.bgp.as_ref().map(Peers::recipients).unwrap_or_default();
        peers.extend(self.extra.iter().cloned());
        for peer in peers {
            peer.do_send(routes.clone());
        }
    }

    /// Follows a new configuration in `anycastd_route_announced`: a series per configured prefix
    /// (0 until announced), none for a prefix no longer configured, and none at all above
    /// [`PREFIX_SERIES_LIMIT`] prefixes.
    fn refresh_known_prefixes(&mut self) {
        let prefixes = self.node.configured_prefixes();
        let series = prefixes.len() <= PREFIX_SERIES_LIMIT;
        if self.prefix_series {
            let gone = self.known_prefixes.iter();
            for gone in gone.filter(|p| !series || !prefixes.contains(p)) {
                let _ = self
                    .metrics
                    .route_announced
                    .remove_label_values(&[&gone.to_string()]);
            }
        }
        if !series && (self.prefix_series || self.known_prefixes.is_empty()) {
            log::info!(
                prefixes = prefixes.len(), limit = PREFIX_SERIES_LIMIT;
                "more prefixes than the limit: no anycastd_route_announced series per prefix"
            );
        }
        if series {
            let none = BTreeSet::new();
            let had = if self.prefix_series {
                &self.known_prefixes
            } else {
                &none
            };
            for new in prefixes.difference(had) {
                let announced = self.node.sent().is_some_and(|sent| sent.announces(new));
                self.metrics
                    .route_announced
                    .with_label_values(&[&new.to_string()])
                    .set(if announced { 1.0 } else { 0.0 });
            }
        }
        self.known_prefixes = prefixes;
        self.prefix_series = series;
    }

    /// Refreshes the metrics of a new configuration and publishes its route set now.
    fn republish(&mut self, ctx: &mut Context<Self>) {
        self.refresh_known_prefixes();
        for action in self.node.publish_now() {
            self.perform(action, ctx);
        }
    }
}

/// Sends `states` to systemd when it supervises us (`NOTIFY_SOCKET`); logs a failure.
fn notify(states: &[sd_notify::NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(states) {
        log::warn!(error = e.to_string().as_str(); "cannot notify systemd");
    }
}

/// Time asked of systemd, beyond the drain, to withdraw the routes and send every Cease.
const STOP_MARGIN: Duration = Duration::from_secs(30);

/// `EXTEND_TIMEOUT_USEC`: systemd waits `time` more before it counts the stop as hung.
fn extend_timeout(time: Duration) {
    let usec = u32::try_from(time.as_micros()).unwrap_or(u32::MAX);
    notify(&[sd_notify::NotifyState::ExtendTimeoutUsec(usec)]);
}

impl Actor for Supervisor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.watch_drain_file(ctx);
        self.poll_drain_file(ctx);
        let names: Vec<String> = self
            .node
            .config()
            .services
            .iter()
            .map(|s| s.name.clone())
            .collect();
        for name in &names {
            self.start_service(name, ctx);
        }
        let drain = self.node.drain();
        self.perform(drain, ctx);
        self.republish(ctx);
        ctx.run_interval(POLL_PERIOD, |act, ctx| {
            if act.node.phase() == Phase::Stopping {
                return;
            }
            act.poll_drain_file(ctx);
            act.refresh_status(ctx);
        });
        log::info!(services = self.services.len(), file = self.path.display().to_string().as_str(); "started");
    }
}

impl Handler<ServiceReport> for Supervisor {
    type Result = ();

    fn handle(&mut self, report: ServiceReport, ctx: &mut Self::Context) {
        match &report.drain_check {
            Some(check) => {
                self.check_drains
                    .insert(report.service.clone(), check.clone());
            }
            None => {
                self.check_drains.remove(&report.service);
            }
        }
        self.export_check_drains();
        let input = Input::Reported {
            service: report.service,
            state: report.state,
        };
        self.feed(input, ctx);
    }
}

/// Recompute the route set now (sent to itself after a service report).
#[derive(Message)]
#[rtype(result = "()")]
struct Publish;

impl Handler<Publish> for Supervisor {
    type Result = ();

    fn handle(&mut self, _: Publish, ctx: &mut Self::Context) {
        self.feed(Input::Publish, ctx);
    }
}

impl Handler<AddPeer> for Supervisor {
    type Result = ();

    fn handle(&mut self, AddPeer(peer): AddPeer, _ctx: &mut Self::Context) {
        if let Some(routes) = self.node.sent() {
            peer.do_send(DesiredRoutes::from(routes.clone()));
        }
        self.extra.push(peer);
    }
}

impl Handler<Shutdown> for Supervisor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: Shutdown, ctx: &mut Self::Context) -> Self::Result {
        notify(&[sd_notify::NotifyState::Stopping]);
        let drain_time = self.node.config().shutdown.drain_time;
        if self.node.phase() < Phase::Draining && !drain_time.is_zero() {
            log::warn!(drain_time = format!("{drain_time:?}").as_str(); "shutting down: draining first");
        }
        let mut wait = None;
        let mut stop_now = false;
        for action in self.node.handle(Input::Shutdown) {
            match action {
                Action::WaitDrain(after) => wait = Some(after),
                // A second stop during the drain: no more waiting.
                Action::StopAll => stop_now = true,
                other => self.perform(other, ctx),
            }
        }
        if stop_now {
            log::warn!("shutting down now: the drain time is cut short");
            return Box::pin(
                self.stop_all()
                    .into_actor(self)
                    .map(|(), _act, ctx| ctx.stop()),
            );
        }
        let Some(after) = wait else {
            return Box::pin(actix::fut::ready(()));
        };
        // The drain may outlast TimeoutStopSec: tell systemd how long to wait before it kills us.
        extend_timeout(after + STOP_MARGIN);
        Box::pin(
            tokio::time::sleep(after)
                .into_actor(self)
                .then(|(), act, _ctx| {
                    extend_timeout(STOP_MARGIN);
                    let stop = act.node.handle(Input::Drained).contains(&Action::StopAll);
                    let stopped = stop.then(|| act.stop_all());
                    async move {
                        if let Some(stopped) = stopped {
                            stopped.await;
                        }
                    }
                    .into_actor(act)
                    .map(move |(), _act, ctx| {
                        if stop {
                            ctx.stop();
                        }
                    })
                }),
        )
    }
}

impl Handler<Ping> for Supervisor {
    type Result = ();
    fn handle(&mut self, _: Ping, _: &mut Self::Context) {}
}
