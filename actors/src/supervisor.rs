//! Supervisor: the only owner of the configuration. Builds one ServiceActor and its CheckActors per
//! service and one PeerActor per neighbour, turns the services' ladder states into each peer's route
//! set (core [`ladder::desired`]), holds the drain switch (signals, drain file), reloads on SIGHUP by
//! applying [`Change`]s (core [`guard::check_reload`]) and stops everything on SIGTERM/SIGINT.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use anycastd::bgp::codec::CeaseSubcode;
use anycastd::bgp::fsm::State;
use anycastd::bgp::types::Prefix;
use anycastd::config::diff::Change;
use anycastd::config::{self, ConfigError, ConfigErrors, ConfigWarning, model::Config};
use anycastd::health::guard;
use anycastd::health::ladder::{self, ServiceState};

use crate::check::CheckActor;
use crate::metrics::Metrics;
use crate::peer::set::Peers;
use crate::peer::{self, PeerActor, PeerStatus as PeerState};
use crate::routes::{DesiredRoutes, RouteMap};
use crate::service::{
    GetServiceStatus, Reconfigure, ServiceActor, ServiceReport, ServiceStatus, SetDrain,
};

/// Asks an actor to stop (its children and in-flight probes are dropped with it).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct Stop;

/// Liveness probe: an actor that answers is not stuck (`/healthz`).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct Ping;

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

/// Asks for the daemon's status (`/status`).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "Status")]
pub struct GetStatus;

/// `/status`: services, peers and the drain switch.
#[derive(Debug, Clone, serde::Serialize, MessageResponse)]
pub struct Status {
    /// Why the node is drained (`null` when it is not).
    pub drained: Option<String>,
    /// Every service.
    pub services: Vec<ServiceStatus>,
    /// Every configured neighbour.
    pub peers: Vec<PeerStatus>,
}

/// One neighbour in `/status`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PeerStatus {
    /// The configured name.
    pub name: String,
    /// The FSM state (`null` when the actor did not answer).
    pub state: Option<String>,
    /// Prefixes the neighbour has from us.
    pub advertised: Vec<String>,
}

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
    known_prefixes: BTreeSet<Prefix>,
    drain_signal: Option<String>,
    drain_file: bool,
    ready_notified: bool,
    status_line: String,
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
            known_prefixes: BTreeSet::new(),
            drain_signal: None,
            drain_file: false,
            ready_notified: false,
            status_line: String::new(),
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

    /// Every configured neighbour's name.
    fn peer_names(&self) -> Vec<String> {
        let peers = &self.config.announcer.peers;
        peers.iter().map(|peer| peer.name.clone()).collect()
    }

    fn recipients(&self) -> Vec<Recipient<DesiredRoutes>> {
        let mut out = self.bgp.as_ref().map(Peers::recipients).unwrap_or_default();
        out.extend(self.extra.iter().cloned());
        out
    }

    /// The route set of every peer, from the ladder in the core.
    fn desired(&self) -> DesiredRoutes {
        let services = ladder::services(&self.config, |name| self.state_of(name));
        // A peer named nowhere in a `states` mapping gets the default routes.
        let default = ladder::desired(&services, "");
        let mut per_peer: BTreeMap<String, RouteMap> = BTreeMap::new();
        for name in self.peer_names() {
            let routes = ladder::desired(&services, &name).routes;
            if routes != default.routes {
                per_peer.insert(name, routes);
            }
        }
        DesiredRoutes {
            routes: Arc::new(default.routes),
            per_peer: Arc::new(per_peer),
            complete: default.complete,
        }
    }

    /// Recomputes the desired route set; on a change, updates the metrics and tells every peer.
    fn publish(&mut self) {
        let routes = self.desired();
        if self.sent.as_ref() == Some(&routes) {
            return;
        }
        let announce = routes.prefixes();
        let before = self
            .sent
            .as_ref()
            .map(DesiredRoutes::prefixes)
            .unwrap_or_default();
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
        self.known_prefixes = prefixes;
        for prefix in &self.known_prefixes {
            let value = if announce.contains(prefix) { 1.0 } else { 0.0 };
            self.metrics
                .route_announced
                .with_label_values(&[&prefix.to_string()])
                .set(value);
        }
        self.metrics.routes_announced.set(announce.len() as f64);
        for prefix in announce.difference(&before) {
            log::info!(prefix = prefix.to_string().as_str(); "route wanted: announce");
        }
        for prefix in before.difference(&announce) {
            log::info!(prefix = prefix.to_string().as_str(); "route no longer wanted: withdraw");
        }
        for peer in self.recipients() {
            peer.do_send(routes.clone());
        }
        let complete = routes.complete;
        self.sent = Some(routes);
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

    /// Sends systemd a `STATUS=` line when it changed: prefixes announced, peers established.
    fn refresh_status(&mut self, ctx: &mut Context<Self>) {
        let Some(bgp) = &self.bgp else {
            return;
        };
        let status = peer_status(bgp.actors().to_vec());
        let announced = self
            .sent
            .as_ref()
            .map_or(0, |routes| routes.prefixes().len());
        let total = self.known_prefixes.len();
        let drained = self.drain_reason();
        ctx.spawn(status.into_actor(self).map(move |peers, act, _| {
            let established = peers
                .iter()
                .filter(|(_, s)| s.as_ref().is_some_and(|s| s.state == State::Established))
                .count();
            let mut line = format!(
                "{announced}/{total} prefixes announced, {established}/{} peers established",
                peers.len()
            );
            if let Some(reason) = drained {
                line.push_str(&format!(", drained: {reason}"));
            }
            if line != act.status_line {
                notify(&[sd_notify::NotifyState::Status(&line)]);
                act.status_line = line;
            }
        }));
    }

    /// Applies a loaded file: refused by the blast-radius guard, or applied change by change.
    fn apply_reload(
        &mut self,
        loaded: Result<(Config, Vec<ConfigWarning>), ConfigErrors>,
        ctx: &mut Context<Self>,
    ) -> Result<(), ConfigErrors> {
        let (config, warnings) = match loaded {
            Err(errors) => {
                for line in &errors.0 {
                    log::error!(file = self.path.display().to_string().as_str(); "{line}");
                }
                log::error!("configuration reload failed, keeping the running configuration");
                self.reload_failed("failure");
                return Err(errors);
            }
            Ok(loaded) => loaded,
        };
        for warning in &warnings {
            log::warn!("{warning}");
        }
        let changes = match guard::check_reload(
            &self.config,
            &config,
            |name| self.state_of(name),
            self.force,
        ) {
            Ok(changes) => changes,
            Err(refused) => {
                log::error!(file = self.path.display().to_string().as_str(); "configuration reload refused: {refused}");
                self.reload_failed("refused");
                let error = ConfigError::whole_file(&self.path, refused.to_string());
                return Err(error.into());
            }
        };
        let old = std::mem::replace(&mut self.config, config);
        for change in &changes {
            log::info!(change = format!("{change:?}").as_str(); "applying configuration change");
            self.apply_change(change, &old, ctx);
        }
        self.poll_drain_file();
        self.publish();
        self.metrics.config_last_reload_success.set(1.0);
        self.metrics
            .config_reload
            .with_label_values(&["success"])
            .inc();
        log::warn!(changes = changes.len(); "configuration reloaded");
        Ok(())
    }

    fn reload_failed(&self, result: &str) {
        // The gauge first: whoever sees the counter move also sees the gauge.
        self.metrics.config_last_reload_success.set(0.0);
        self.metrics
            .config_reload
            .with_label_values(&[result])
            .inc();
    }

    /// Carries out one change of a reload; `self.config` is already the new configuration.
    fn apply_change(&mut self, change: &Change, old: &Config, ctx: &mut Context<Self>) {
        match change {
            Change::PeerRemoved(name) => self.stop_peer(name, CeaseSubcode::PeerDeconfigured, ctx),
            Change::PeerReset(name) => {
                // Stop the old session first, then start the new one once the Cease is out.
                let stop = self
                    .bgp
                    .as_mut()
                    .map(|bgp| bgp.stop_one(name, CeaseSubcode::OtherConfigurationChange));
                let name = name.clone();
                if let Some(stop) = stop {
                    ctx.spawn(
                        stop.into_actor(self)
                            .map(move |(), act, _| act.start_peer(&name)),
                    );
                }
            }
            Change::PeerAdded(name) => self.start_peer(name),
            Change::PeerUpdated(name) => {
                log::warn!(peer = name.as_str(); "connect_retry changed: it applies from the next session of this peer");
            }
            Change::ServiceRemoved(name) => {
                self.stop_service(name);
                if let Some(service) = old.services.iter().find(|s| &s.name == name) {
                    let checks: Vec<String> =
                        service.checks.iter().map(|c| c.name.clone()).collect();
                    self.metrics.forget_service(name, &checks);
                }
            }
            Change::ServiceAdded(name) => self.start_service(name, None, ctx),
            Change::ServiceChanged(name) => self.reconfigure_service(name),
            Change::CheckRemoved { service, check } | Change::CheckChanged { service, check } => {
                if let Some(running) = self.services.get_mut(service) {
                    running.checks.retain(|(name, actor)| {
                        if name == check {
                            actor.do_send(Stop);
                        }
                        name != check
                    });
                }
                if matches!(change, Change::CheckChanged { .. }) {
                    self.start_check(service, check);
                }
                self.reconfigure_service(service);
            }
            Change::CheckAdded { service, check } => {
                self.start_check(service, check);
                self.reconfigure_service(service);
            }
            Change::ServiceRoutesChanged(_) | Change::GlobalRoutesChanged => {}
            Change::NextHopsChanged => {
                log::warn!("next hops changed: they apply from the next session of each peer");
            }
            Change::MetricsChanged => {
                log::warn!("metrics settings changed: they take effect at the next restart");
            }
            Change::ShutdownChanged | Change::LifecycleChanged => {}
        }
    }

    fn reconfigure_service(&self, name: &str) {
        let Some(service) = self.config.services.iter().find(|s| s.name == name) else {
            return;
        };
        if let Some(running) = self.services.get(name) {
            running.addr.do_send(Reconfigure(service.clone()));
        }
    }

    fn start_check(&mut self, service: &str, check: &str) {
        let Some(running) = self.services.get(service) else {
            return;
        };
        let addr = running.addr.clone();
        let started = self.start_checks(service, &addr, |name| name == check);
        if let Some(running) = self.services.get_mut(service) {
            running.checks.extend(started);
        }
    }

    fn start_peer(&mut self, name: &str) {
        let Some(peer) = self.config.announcer.peers.iter().find(|p| p.name == name) else {
            return;
        };
        let Some(bgp) = self.bgp.as_mut() else {
            return;
        };
        match bgp.start_one(&self.config.announcer, peer) {
            Ok(actor) => {
                log::warn!(peer = name; "BGP neighbour started");
                if let Some(routes) = &self.sent {
                    actor.do_send(routes.clone());
                }
            }
            Err(e) => log::error!(peer = name; "cannot start the BGP neighbour: {e}"),
        }
    }

    fn stop_peer(&mut self, name: &str, subcode: CeaseSubcode, ctx: &mut Context<Self>) {
        if let Some(bgp) = self.bgp.as_mut() {
            log::warn!(peer = name; "BGP neighbour removed");
            ctx.spawn(bgp.stop_one(name, subcode).into_actor(self));
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

/// Every neighbour's status, by name (`None`: the actor did not answer within a second).
async fn peer_status(actors: Vec<(String, Addr<PeerActor>)>) -> Vec<(String, Option<PeerState>)> {
    let mut out = Vec::new();
    for (name, actor) in actors {
        let status = tokio::time::timeout(Duration::from_secs(1), actor.send(peer::GetStatus));
        out.push((name, status.await.ok().and_then(Result::ok)));
    }
    out
}

/// Ends every session at once: withdraw, flush, Cease / Administrative Shutdown with `text`
/// (RFC 8203), close; returns when all are closed or after the flush deadline.
async fn shutdown_peers(actors: Vec<(String, Addr<PeerActor>)>, text: &str) {
    let stops = actors.iter().map(|(_, actor)| {
        let request = actor.send(peer::Shutdown {
            text: Some(text.to_string()),
        });
        tokio::time::timeout(
            peer::SHUTDOWN_FLUSH_TIMEOUT + Duration::from_secs(1),
            request,
        )
    });
    let results = futures_util::future::join_all(stops).await;
    for (result, (name, _)) in results.into_iter().zip(&actors) {
        if result.is_err() {
            log::warn!(peer = name.as_str(); "BGP session {name}: no clean stop in time");
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

    fn handle(&mut self, report: ServiceReport, _ctx: &mut Self::Context) {
        if self.shutting_down {
            return;
        }
        if let Some(service) = self.services.get_mut(&report.service) {
            service.state = Some(report.state);
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

impl Handler<Reload> for Supervisor {
    type Result = ResponseActFuture<Self, Result<(), ConfigErrors>>;

    fn handle(&mut self, _: Reload, _ctx: &mut Self::Context) -> Self::Result {
        if self.shutting_down {
            return Box::pin(actix::fut::ready(Ok(())));
        }
        let path = self.path.clone();
        log::info!(file = path.display().to_string().as_str(); "reloading the configuration");
        let load = async move {
            match tokio::fs::read_to_string(&path).await {
                Ok(text) => config::load_with_warnings(&path, &text),
                Err(e) => Err(ConfigError::whole_file(&path, format!("cannot read: {e}")).into()),
            }
        };
        Box::pin(
            load.into_actor(self)
                .map(|loaded, act, ctx| act.apply_reload(loaded, ctx)),
        )
    }
}

impl Handler<Shutdown> for Supervisor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, _: Shutdown, _ctx: &mut Self::Context) -> Self::Result {
        if self.shutting_down {
            return Box::pin(actix::fut::ready(()));
        }
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
            let bgp = act.bgp.as_ref().map(|bgp| bgp.actors().to_vec());
            async move {
                withdraw_all(extra).await;
                shutdown_peers(bgp.unwrap_or_default(), SHUTDOWN_TEXT).await;
            }
            .into_actor(act)
            .map(|(), _act, ctx| ctx.stop())
        }))
    }
}

impl Handler<GetStatus> for Supervisor {
    type Result = ResponseActFuture<Self, Status>;

    fn handle(&mut self, _: GetStatus, _ctx: &mut Self::Context) -> Self::Result {
        let services: Vec<_> = self
            .config
            .services
            .iter()
            .filter_map(|s| self.services.get(&s.name).map(|r| r.addr.clone()))
            .collect();
        let peers = self
            .bgp
            .as_ref()
            .map(|bgp| peer_status(bgp.actors().to_vec()));
        let drained = self.drain_reason();
        Box::pin(
            async move {
                let mut out = Vec::new();
                for service in services {
                    let status = tokio::time::timeout(
                        Duration::from_secs(1),
                        service.send(GetServiceStatus),
                    );
                    if let Ok(Ok(status)) = status.await {
                        out.push(status);
                    }
                }
                let peers = match peers {
                    Some(peers) => peers.await,
                    None => Vec::new(),
                };
                Status {
                    drained,
                    services: out,
                    peers: peers
                        .into_iter()
                        .map(|(name, status)| PeerStatus {
                            name,
                            state: status.as_ref().map(|s| s.state.to_string()),
                            advertised: status
                                .map(|s| s.advertised.iter().map(ToString::to_string).collect())
                                .unwrap_or_default(),
                        })
                        .collect(),
                }
            }
            .into_actor(self),
        )
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
