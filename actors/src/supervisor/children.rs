//! The Supervisor's children: starting and stopping the ServiceActors with their CheckActors and
//! the PeerActors, stopping them all at shutdown, and listing them all for `/healthz`.

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;

use super::{ListActors, RunningService, SHUTDOWN_TEXT, Supervisor};
use crate::check::CheckActor;
use crate::messages::Stop;
use crate::routes::DesiredRoutes;
use crate::service::{Reconfigure, ServiceActor};

/// How long a peer may take to accept the final (empty) route set at shutdown.
const PEER_SHUTDOWN_DEADLINE: Duration = Duration::from_secs(5);

impl Supervisor {
    /// The last step of a shutdown: stops the services, withdraws every route from every peer and
    /// ends every session (Cease / Administrative Shutdown, RFC 8203).
    pub(super) fn stop_all(&mut self) -> impl Future<Output = ()> + use<> {
        self.stop_services();
        log::info!("shutting down: withdrawing every route");
        let extra = self.extra.clone();
        let bgp = self.bgp.as_ref().map(|bgp| bgp.shutdown(SHUTDOWN_TEXT));
        async move {
            withdraw_all(extra).await;
            if let Some(bgp) = bgp {
                bgp.await;
            }
        }
    }
    /// Starts the ServiceActor and CheckActors of the configured service named `name`.
    pub(super) fn start_service(&mut self, name: &str, ctx: &mut Context<Self>) {
        let Some(service) = self.node.config().services.iter().find(|s| s.name == name) else {
            return;
        };
        let actor = ServiceActor::new(
            service,
            self.epoch,
            self.node.drain_of(name),
            Arc::clone(&self.metrics),
            ctx.address().recipient(),
        );
        let addr = actor.start();
        let checks = self.start_checks(name, &addr, |_| true);
        self.services
            .insert(name.to_string(), RunningService { addr, checks });
    }

    /// Starts the CheckActors of service `name` that `wanted` selects.
    fn start_checks(
        &self,
        name: &str,
        addr: &Addr<ServiceActor>,
        wanted: impl Fn(&str) -> bool,
    ) -> Vec<(String, Addr<CheckActor>)> {
        let Some(service) = self.node.config().services.iter().find(|s| s.name == name) else {
            return Vec::new();
        };
        let window = self.node.config().first_run_window();
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

    pub(super) fn stop_service(&mut self, name: &str) {
        if let Some(service) = self.services.remove(name) {
            for (_, check) in &service.checks {
                check.do_send(Stop);
            }
            service.addr.do_send(Stop);
        }
    }

    pub(super) fn stop_services(&mut self) {
        let names: Vec<String> = self.services.keys().cloned().collect();
        for name in names {
            self.stop_service(&name);
        }
    }

    pub(super) fn reconfigure_service(&self, name: &str) {
        let Some(service) = self.node.config().services.iter().find(|s| s.name == name) else {
            return;
        };
        if let Some(running) = self.services.get(name) {
            running.addr.do_send(Reconfigure(service.clone()));
        }
    }

    pub(super) fn start_check(&mut self, service: &str, check: &str) {
        let Some(running) = self.services.get(service) else {
            return;
        };
        let addr = running.addr.clone();
        let started = self.start_checks(service, &addr, |name| name == check);
        if let Some(running) = self.services.get_mut(service) {
            running.checks.extend(started);
        }
    }

    /// Starts the configured neighbour `name` with the key read with the configuration; false
    /// when it cannot start (logged).
    pub(super) fn start_peer(&mut self, name: &str) -> bool {
        let Some(peer) = self
            .node
            .config()
            .announcer
            .peers
            .iter()
            .find(|p| p.name == name)
        else {
            return true;
        };
        let Some(bgp) = self.bgp.as_mut() else {
            return true;
        };
        let key = self.keys.get(name).cloned();
        let started = match (&peer.md5, key) {
            (Some(_), None) => Err(crate::peer::set::StartError::KeyNotRead(name.to_string())),
            (_, key) => bgp.start_one_keyed(&self.node.config().announcer, peer, key),
        };
        match started {
            Ok(actor) => {
                log::warn!(peer = name; "BGP neighbour started");
                if let Some(routes) = self.node.sent() {
                    actor.do_send(DesiredRoutes::from(routes.clone()));
                }
                true
            }
            Err(e) => {
                log::error!(peer = name; "cannot start the BGP neighbour: {e}");
                false
            }
        }
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
