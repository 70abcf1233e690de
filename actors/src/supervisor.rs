//! Supervisor: the only owner of the configuration. Builds one ServiceActor and its CheckActors per
//! service, turns the services' health into the desired route set (core [`routes::desired`]) and
//! sends it to every registered peer; reloads on SIGHUP and stops everything on SIGTERM/SIGINT.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use anycastd::bgp::types::Prefix;
use anycastd::config::{self, ConfigError, ConfigErrors, ConfigWarning, model::Config};
use anycastd::health::{Health, routes};

use crate::check::CheckActor;
use crate::metrics::Metrics;
use crate::routes::DesiredRoutes;
use crate::service::{ServiceActor, ServiceHealth};

/// Asks an actor to stop (its children and in-flight probes are dropped with it).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct Stop;

/// Liveness probe: an actor that answers is not stuck (`/healthz`).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct Ping;

/// Every live actor by name (`supervisor`, `service/<s>`, `check/<s>/<c>`), for `/healthz`.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "Vec<(String, Recipient<Ping>)>")]
pub struct ListActors;

/// Re-read and re-validate the config file; keep running unchanged when it is bad (SIGHUP).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "Result<(), ConfigErrors>")]
pub struct Reload;

/// Stop checks and services, withdraw from every peer, then stop (SIGTERM / SIGINT).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct Shutdown;

/// Registers a BGP peer: it receives the current route set at once and every change afterwards.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct AddPeer(pub Recipient<DesiredRoutes>);

/// How long a peer may take to accept the final (empty) route set at shutdown.
const PEER_SHUTDOWN_DEADLINE: Duration = Duration::from_secs(5);

struct RunningService {
    name: String,
    prefixes: Vec<Prefix>,
    health: Option<Health>,
    addr: Addr<ServiceActor>,
    checks: Vec<(String, Addr<CheckActor>)>,
}

/// The root of the actor tree.
pub struct Supervisor {
    config: Config,
    path: PathBuf,
    metrics: Arc<Metrics>,
    generation: u64,
    services: Vec<RunningService>,
    peers: Vec<Recipient<DesiredRoutes>>,
    sent: Option<DesiredRoutes>,
    announced: BTreeSet<Prefix>,
    known_prefixes: BTreeSet<Prefix>,
    ready_notified: bool,
    shutting_down: bool,
}

impl Supervisor {
    /// A supervisor for `config`, read from `path` (re-read on [`Reload`]).
    pub fn new(config: Config, path: PathBuf, metrics: Arc<Metrics>) -> Supervisor {
        Supervisor {
            config,
            path,
            metrics,
            generation: 0,
            services: Vec::new(),
            peers: Vec::new(),
            sent: None,
            announced: BTreeSet::new(),
            known_prefixes: BTreeSet::new(),
            ready_notified: false,
            shutting_down: false,
        }
    }

    /// Starts one ServiceActor and its CheckActors per configured service. `previous` carries the
    /// health of same-named services across a reload, so a reload never withdraws a healthy prefix
    /// while the rebuilt checks run for the first time.
    fn build(&mut self, ctx: &mut Context<Self>, previous: &BTreeMap<String, Option<Health>>) {
        self.generation = self.generation.wrapping_add(1);
        let me = ctx.address().recipient::<ServiceHealth>();
        for (index, service) in self.config.services.iter().enumerate() {
            let health = previous.get(&service.name).copied().flatten();
            let actor = ServiceActor::new(
                service,
                self.generation,
                index,
                health,
                Arc::clone(&self.metrics),
                me.clone(),
            );
            let addr = actor.start();
            let checks = service
                .checks
                .iter()
                .enumerate()
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
                .collect();
            self.services.push(RunningService {
                name: service.name.clone(),
                prefixes: service.prefixes(&self.config.announcer).to_vec(),
                health,
                addr,
                checks,
            });
        }
        let prefixes: BTreeSet<Prefix> = self
            .services
            .iter()
            .flat_map(|s| s.prefixes.iter().copied())
            .collect();
        for gone in self.known_prefixes.difference(&prefixes) {
            let _ = self
                .metrics
                .route_announced
                .remove_label_values(&[&gone.to_string()]);
        }
        self.known_prefixes = prefixes;
        self.publish();
    }

    /// Stops every service and check; returns each service's last health by name.
    fn stop_services(&mut self) -> BTreeMap<String, Option<Health>> {
        let mut previous = BTreeMap::new();
        for service in self.services.drain(..) {
            for (_, check) in &service.checks {
                check.do_send(Stop);
            }
            service.addr.do_send(Stop);
            previous.insert(service.name, service.health);
        }
        previous
    }

    /// Recomputes the desired route set; on a change, updates the metrics and tells every peer.
    fn publish(&mut self) {
        let announce = routes::desired(
            self.services
                .iter()
                .map(|s| (s.health, s.prefixes.as_slice())),
        );
        let complete = routes::all_evaluated(self.services.iter().map(|s| s.health));
        for prefix in &self.known_prefixes {
            let value = if announce.contains(prefix) { 1.0 } else { 0.0 };
            self.metrics
                .route_announced
                .with_label_values(&[&prefix.to_string()])
                .set(value);
        }
        for prefix in announce.difference(&self.announced) {
            log::info!(prefix = prefix.to_string().as_str(); "route wanted: announce");
        }
        for prefix in self.announced.difference(&announce) {
            log::info!(prefix = prefix.to_string().as_str(); "route no longer wanted: withdraw");
        }
        let routes = DesiredRoutes {
            announce: Arc::new(announce),
            complete,
        };
        if self.sent.as_ref() == Some(&routes) {
            return;
        }
        self.announced = (*routes.announce).clone();
        for peer in &self.peers {
            peer.do_send(routes.clone());
        }
        if complete && !self.ready_notified {
            self.ready_notified = true;
            if let Err(e) = sd_notify::notify(&[sd_notify::NotifyState::Ready]) {
                log::warn!(error = e.to_string().as_str(); "cannot notify systemd");
            }
        }
        self.sent = Some(routes);
    }

    fn apply_reload(
        &mut self,
        loaded: Result<(Config, Vec<ConfigWarning>), ConfigErrors>,
        ctx: &mut Context<Self>,
    ) -> Result<(), ConfigErrors> {
        match loaded {
            Err(errors) => {
                for line in &errors.0 {
                    log::error!(file = self.path.display().to_string().as_str(); "{line}");
                }
                log::error!("configuration reload failed, keeping the running configuration");
                // The gauge first: whoever sees the counter move also sees the gauge.
                self.metrics.config_last_reload_success.set(0.0);
                self.metrics
                    .config_reload
                    .with_label_values(&["failure"])
                    .inc();
                Err(errors)
            }
            Ok((config, warnings)) => {
                for warning in &warnings {
                    log::warn!("{warning}");
                }
                if config.metrics != self.config.metrics {
                    log::warn!("metrics settings changed: they take effect at the next restart");
                }
                let previous = self.stop_services();
                for old in &self.config.services {
                    if !config.services.iter().any(|s| s.name == old.name) {
                        let checks: Vec<String> =
                            old.checks.iter().map(|c| c.name.clone()).collect();
                        self.metrics.forget_service(&old.name, &checks);
                    }
                }
                self.config = config;
                self.build(ctx, &previous);
                self.metrics.config_last_reload_success.set(1.0);
                self.metrics
                    .config_reload
                    .with_label_values(&["success"])
                    .inc();
                log::warn!(services = self.services.len(); "configuration reloaded");
                Ok(())
            }
        }
    }
}

/// Withdraws everything from every peer: sends each the empty, complete route set and waits (bounded)
/// until it has taken it. The BGP side hooks its flush and Cease (RFC 8203) into this step.
async fn shutdown_peers(peers: Vec<Recipient<DesiredRoutes>>) {
    let empty = DesiredRoutes {
        announce: Arc::new(BTreeSet::new()),
        complete: true,
    };
    let sends = peers
        .iter()
        .map(|peer| tokio::time::timeout(PEER_SHUTDOWN_DEADLINE, peer.send(empty.clone())));
    for result in futures_util::future::join_all(sends).await {
        if result.is_err() {
            log::warn!("a peer did not take the final withdraw in time");
        }
    }
}

impl Actor for Supervisor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.build(ctx, &BTreeMap::new());
        log::info!(services = self.services.len(), file = self.path.display().to_string().as_str(); "started");
    }
}

impl Handler<ServiceHealth> for Supervisor {
    type Result = ();

    fn handle(&mut self, report: ServiceHealth, _ctx: &mut Self::Context) {
        if self.shutting_down || report.generation != self.generation {
            return;
        }
        if let Some(service) = self.services.get_mut(report.index) {
            service.health = Some(report.health);
            self.publish();
        }
    }
}

impl Handler<AddPeer> for Supervisor {
    type Result = ();

    fn handle(&mut self, AddPeer(peer): AddPeer, _ctx: &mut Self::Context) {
        if let Some(routes) = &self.sent {
            peer.do_send(routes.clone());
        }
        self.peers.push(peer);
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
        self.shutting_down = true;
        self.stop_services();
        log::info!(peers = self.peers.len(); "shutting down: withdrawing every route");
        // Shutdown of the BGP side: withdraw, flush, Cease. Everything it needs happens in here.
        let peers = self.peers.clone();
        Box::pin(
            shutdown_peers(peers)
                .into_actor(self)
                .map(|(), _act, ctx| ctx.stop()),
        )
    }
}

impl Handler<ListActors> for Supervisor {
    type Result = MessageResult<ListActors>;

    fn handle(&mut self, _: ListActors, ctx: &mut Self::Context) -> Self::Result {
        let mut actors = vec![("supervisor".to_string(), ctx.address().recipient())];
        for service in &self.services {
            actors.push((
                format!("service/{}", service.name),
                service.addr.clone().recipient(),
            ));
            for (name, check) in &service.checks {
                actors.push((
                    format!("check/{}/{}", service.name, name),
                    check.clone().recipient(),
                ));
            }
        }
        MessageResult(actors)
    }
}

impl Handler<Ping> for Supervisor {
    type Result = ();
    fn handle(&mut self, _: Ping, _: &mut Self::Context) {}
}
