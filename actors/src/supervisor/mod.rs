//! Supervisor: the only owner of the configuration. Builds one ServiceActor and its CheckActors per
//! service and one PeerActor per neighbour, turns the services' ladder states into each peer's route
//! set (core [`RouteSet::of`]), holds the drain switch (signals, drain file), reloads on SIGHUP by
//! applying [`Change`]s (core [`guard::check_reload`]) and stops everything on SIGTERM/SIGINT.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use anycastd::bgp::types::Prefix;
use anycastd::config::{ConfigErrors, model::Config};
use anycastd::health::ladder::{self, ServiceState};
use anycastd::health::route_set::{RouteChange, RouteSet};

use crate::check::CheckActor;
use crate::messages::{Ping, Stop};
use crate::metrics::Metrics;
use crate::peer::set::Peers;
use crate::routes::DesiredRoutes;
use crate::service::{ServiceActor, ServiceReport, SetDrain};

mod reload;
mod status;

pub use status::{GetStatus, PeerStatus, Status};

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

/// The operator's drain switch: `Drain(Some(reason))` drains every service (SIGUSR1), `Drain(None)`
/// undrains (SIGUSR2). The drain file is a second, independent switch.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Drain(pub Option<String>);

/// Registers a recipient of the route set besides the configured neighbours: it receives the current
/// route set at once and every change afterwards.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct AddPeer(pub Recipient<DesiredRoutes>);

/// How long a peer may take to accept the final (empty) route set at shutdown.
const PEER_SHUTDOWN_DEADLINE: Duration = Duration::from_secs(5);

/// How often the drain file and the systemd status line are refreshed.
const POLL_PERIOD: Duration = Duration::from_secs(1);

/// The text of the Cease / Administrative Shutdown sent on SIGTERM (RFC 8203).
pub const SHUTDOWN_TEXT: &str = "anycastd is stopping";

struct RunningService {
    state: Option<ServiceState>,
    addr: Addr<ServiceActor>,
    checks: Vec<(String, Addr<CheckActor>)>,
}

/// The root of the actor tree.
pub struct Supervisor {
    config: Config,
    path: PathBuf,
    metrics: Arc<Metrics>,
    force: bool,
    epoch: Instant,
    services: BTreeMap<String, RunningService>,
    bgp: Option<Peers>,
    extra: Vec<Recipient<DesiredRoutes>>,
    sent: Option<DesiredRoutes>,
    /// A service report is waiting for the route set to be recomputed.
    publish_pending: bool,
    known_prefixes: BTreeSet<Prefix>,
    /// The configuration changed since `known_prefixes` was computed.
    known_stale: bool,
    drain_signal: Option<String>,
    drain_file: bool,
    ready_notified: bool,
    status_line: String,
    /// SIGTERM received: no more reloads (the drain phase may still run).
    stopping: bool,
    /// Past the drain phase: services are stopped, reports are ignored.
    shutting_down: bool,
}

impl Supervisor {
    /// A supervisor for `config`, read from `path` (re-read on [`Reload`]).
    pub fn new(config: Config, path: PathBuf, metrics: Arc<Metrics>) -> Supervisor {
        Supervisor {
            config,
            path,
            metrics,
            force: false,
            epoch: Instant::now(),
            services: BTreeMap::new(),
            bgp: None,
            extra: Vec::new(),
            sent: None,
            publish_pending: false,
            known_prefixes: BTreeSet::new(),
            known_stale: true,
            drain_signal: None,
            drain_file: false,
            ready_notified: false,
            status_line: String::new(),
            stopping: false,
            shutting_down: false,
        }
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

    /// Why the node is drained, `None` when it is not.
    fn drain_reason(&self) -> Option<String> {
        match (&self.drain_signal, self.drain_file) {
            (Some(reason), _) => Some(reason.clone()),
            (None, true) => self
                .config
                .lifecycle
                .drain_file
                .as_ref()
                .map(|path| format!("drain file {} exists", path.display())),
            (None, false) => None,
        }
    }

    /// Starts the ServiceActor and CheckActors of the configured service named `name`.
    fn start_service(&mut self, name: &str, state: Option<ServiceState>, ctx: &mut Context<Self>) {
        let Some(service) = self.config.services.iter().find(|s| s.name == name) else {
            return;
        };
        let actor = ServiceActor::new(
            service,
            self.epoch,
            self.drain_reason(),
            Arc::clone(&self.metrics),
            ctx.address().recipient(),
        );
        let addr = actor.start();
        let checks = self.start_checks(name, &addr, |_| true);
        self.services.insert(
            name.to_string(),
            RunningService {
                state,
                addr,
                checks,
            },
        );
    }

    /// Starts the CheckActors of service `name` that `wanted` selects.
    fn start_checks(
        &self,
        name: &str,
        addr: &Addr<ServiceActor>,
        wanted: impl Fn(&str) -> bool,
    ) -> Vec<(String, Addr<CheckActor>)> {
        let Some(service) = self.config.services.iter().find(|s| s.name == name) else {
            return Vec::new();
        };
        let window = self.config.first_run_window();
        service
            .checks
            .iter()
            .enumerate()
            .filter(|(_, check)| wanted(&check.name))
            .map(|(i, check)| {
                let actor = CheckActor::new(
                    &service.name,
                    i,
                    check.clone(),
                    window,
                    Arc::clone(&self.metrics),
                    addr.clone().recipient(),
                );
                (check.name.clone(), actor.start())
            })
            .collect()
    }

    fn stop_service(&mut self, name: &str) {
        if let Some(service) = self.services.remove(name) {
            for (_, check) in &service.checks {
                check.do_send(Stop);
            }
            service.addr.do_send(Stop);
        }
    }

    fn stop_services(&mut self) {
        let names: Vec<String> = self.services.keys().cloned().collect();
        for name in names {
            self.stop_service(&name);
        }
    }

    fn state_of(&self, name: &str) -> Option<ServiceState> {
        self.services.get(name).and_then(|s| s.state)
    }

    fn recipients(&self) -> Vec<Recipient<DesiredRoutes>> {
        let mut out = self.bgp.as_ref().map(Peers::recipients).unwrap_or_default();
        out.extend(self.extra.iter().cloned());
        out
    }

    /// The route set of every peer, from the ladder in the core.
    fn desired(&self) -> RouteSet {
        let services = ladder::services(&self.config, |name| self.state_of(name));
        let peers = self.config.announcer.peers.iter();
        RouteSet::of(&services, peers.map(|peer| peer.name.as_str()))
    }

    /// Follows a new configuration in `anycastd_route_announced`: a series per configured prefix
    /// (0 until announced), none for a prefix no longer configured.
    fn refresh_known_prefixes(&mut self) {
        self.known_stale = false;
        let prefixes: BTreeSet<Prefix> = self
            .config
            .services
            .iter()
            .flat_map(|s| s.prefixes(&self.config.announcer).iter().copied())
            .collect();
        for gone in self.known_prefixes.difference(&prefixes) {
            let _ = self
                .metrics
                .route_announced
                .remove_label_values(&[&gone.to_string()]);
        }
        for new in prefixes.difference(&self.known_prefixes) {
            let announced = self.sent.as_ref().is_some_and(|sent| sent.announces(new));
            self.metrics
                .route_announced
                .with_label_values(&[&new.to_string()])
                .set(if announced { 1.0 } else { 0.0 });
        }
        self.known_prefixes = prefixes;
    }

    /// Recomputes the desired route set; on a change, updates the metrics and tells every peer.
    fn publish(&mut self) {
        self.publish_pending = false;
        if self.known_stale {
            self.refresh_known_prefixes();
        }
        let routes = self.desired();
        if self.sent.as_ref().map(|sent| &sent.set) == Some(&routes) {
            return;
        }
        let before = match &self.sent {
            Some(sent) => sent.set.clone(),
            None => RouteSet::plain([], false),
        };
        let change = RouteChange::between(&before, &routes);
        // Only the prefixes that changed can have moved in or out.
        for prefix in change.prefixes.iter().filter(|p| change.moved(&routes, p)) {
            let now = routes.announces(prefix);
            if self.known_prefixes.contains(prefix) {
                self.metrics
                    .route_announced
                    .with_label_values(&[&prefix.to_string()])
                    .set(if now { 1.0 } else { 0.0 });
            }
            if now {
                log::info!(prefix = prefix.to_string().as_str(); "route wanted: announce");
            } else {
                log::info!(prefix = prefix.to_string().as_str(); "route no longer wanted: withdraw");
            }
        }
        self.metrics
            .routes_announced
            .set(routes.announced_count() as f64);
        let routes = DesiredRoutes {
            change: self.sent.as_ref().map(|_| Arc::new(change)),
            set: routes,
        };
        for peer in self.recipients() {
            peer.do_send(routes.clone());
        }
        let complete = routes.complete;
        // Kept without its change, so it holds no older table alive.
        self.sent = Some(routes.set.into());
        if complete && !self.ready_notified {
            self.ready_notified = true;
            notify(&[sd_notify::NotifyState::Ready]);
            log::info!("first evaluation of every service done: ready");
        }
    }

    /// Tells every service the drain switch and exports `anycastd_drained`.
    fn apply_drain(&mut self) {
        let reason = self.drain_reason();
        let (signal, file) = (self.drain_signal.is_some(), self.drain_file);
        self.metrics
            .drained
            .with_label_values(&["signal"])
            .set(if signal { 1.0 } else { 0.0 });
        self.metrics
            .drained
            .with_label_values(&["file"])
            .set(if file { 1.0 } else { 0.0 });
        for service in self.services.values() {
            service.addr.do_send(SetDrain(reason.clone()));
        }
    }

    /// Polls the drain file (a changed path applies at once).
    fn poll_drain_file(&mut self) {
        let present = self
            .config
            .lifecycle
            .drain_file
            .as_ref()
            .is_some_and(|path| path.exists());
        if present != self.drain_file {
            self.drain_file = present;
            let path = self
                .config
                .lifecycle
                .drain_file
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default();
            if present {
                log::warn!(reason = "file", file = path.as_str(); "drain file present: draining every service");
            } else {
                log::warn!(reason = "file", file = path.as_str(); "drain file gone: undraining");
            }
            self.apply_drain();
        }
    }
}

/// Sends `states` to systemd when it supervises us (`NOTIFY_SOCKET`); logs a failure.
fn notify(states: &[sd_notify::NotifyState<'_>]) {
    if let Err(e) = sd_notify::notify(states) {
        log::warn!(error = e.to_string().as_str(); "cannot notify systemd");
    }
}

/// Withdraws everything from the extra recipients: sends each the empty, complete route set and
/// waits (bounded) until it has taken it.
async fn withdraw_all(peers: Vec<Recipient<DesiredRoutes>>) {
    let sends = peers.iter().map(|peer| {
        tokio::time::timeout(PEER_SHUTDOWN_DEADLINE, peer.send(DesiredRoutes::empty()))
    });
    for result in futures_util::future::join_all(sends).await {
        if result.is_err() {
            log::warn!("a peer did not take the final withdraw in time");
        }
    }
}

impl Actor for Supervisor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.poll_drain_file();
        let names: Vec<String> = self
            .config
            .services
            .iter()
            .map(|s| s.name.clone())
            .collect();
        for name in &names {
            self.start_service(name, None, ctx);
        }
        self.apply_drain();
        self.publish();
        ctx.run_interval(POLL_PERIOD, |act, ctx| {
            if act.shutting_down {
                return;
            }
            act.poll_drain_file();
            act.refresh_status(ctx);
        });
        log::info!(services = self.services.len(), file = self.path.display().to_string().as_str(); "started");
    }
}

impl Handler<ServiceReport> for Supervisor {
    type Result = ();

    fn handle(&mut self, report: ServiceReport, ctx: &mut Self::Context) {
        if self.shutting_down {
            return;
        }
        if let Some(service) = self.services.get_mut(&report.service) {
            service.state = Some(report.state);
            // Reports already queued are handled before this notification: one recomputation
            // covers them all (a thousand services settling at start cost one, not a thousand).
            if !self.publish_pending {
                self.publish_pending = true;
                ctx.notify(Publish);
            }
        }
    }
}

/// Recompute the route set now (sent to itself after a service report).
#[derive(Message)]
#[rtype(result = "()")]
struct Publish;

impl Handler<Publish> for Supervisor {
    type Result = ();

    fn handle(&mut self, _: Publish, _ctx: &mut Self::Context) {
        if self.publish_pending && !self.shutting_down {
            self.publish();
        }
    }
}

impl Handler<Drain> for Supervisor {
    type Result = ();

    fn handle(&mut self, Drain(reason): Drain, _ctx: &mut Self::Context) {
        match &reason {
            Some(reason) => {
                log::warn!(reason = "signal", text = reason.as_str(); "draining every service")
            }
            None => log::warn!(reason = "signal"; "undraining"),
        }
        self.drain_signal = reason;
        self.apply_drain();
    }
}

impl Handler<AddPeer> for Supervisor {
    type Result = ();

    fn handle(&mut self, AddPeer(peer): AddPeer, _ctx: &mut Self::Context) {
        if let Some(routes) = &self.sent {
            peer.do_send(routes.clone());
        }
        self.extra.push(peer);
    }
}

impl Handler<Shutdown> for Supervisor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: Shutdown, _ctx: &mut Self::Context) -> Self::Result {
        if self.stopping {
            return Box::pin(actix::fut::ready(()));
        }
        self.stopping = true;
        let drain_time = self.config.shutdown.drain_time;
        if !drain_time.is_zero() {
            log::warn!(drain_time = format!("{drain_time:?}").as_str(); "shutting down: draining first");
            self.drain_signal = Some("shutting down".to_string());
            self.apply_drain();
        }
        let drained = tokio::time::sleep(drain_time);
        Box::pin(drained.into_actor(self).then(|(), act, _ctx| {
            act.shutting_down = true;
            act.stop_services();
            log::info!("shutting down: withdrawing every route");
            let extra = act.extra.clone();
            // Withdraw, wait until the UPDATEs are written, Cease / Administrative Shutdown (RFC 8203).
            let bgp = act.bgp.as_ref().map(|bgp| bgp.shutdown(SHUTDOWN_TEXT));
            async move {
                withdraw_all(extra).await;
                if let Some(bgp) = bgp {
                    bgp.await;
                }
            }
            .into_actor(act)
            .map(|(), _act, ctx| ctx.stop())
        }))
    }
}

impl Handler<ListActors> for Supervisor {
    type Result = MessageResult<ListActors>;

    fn handle(&mut self, _: ListActors, ctx: &mut Self::Context) -> Self::Result {
        let mut actors = vec![("supervisor".to_string(), ctx.address().recipient())];
        for (name, service) in &self.services {
            actors.push((format!("service/{name}"), service.addr.clone().recipient()));
            for (check, actor) in &service.checks {
                actors.push((format!("check/{name}/{check}"), actor.clone().recipient()));
            }
        }
        if let Some(bgp) = &self.bgp {
            for (name, actor) in bgp.actors() {
                actors.push((format!("peer/{name}"), actor.clone().recipient()));
            }
        }
        MessageResult(actors)
    }
}

impl Handler<Ping> for Supervisor {
    type Result = ();
    fn handle(&mut self, _: Ping, _: &mut Self::Context) {}
}
