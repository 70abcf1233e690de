//! SIGHUP: load the file, ask the core whether the reload may withdraw that much
//! ([`guard::check_reload`]), then carry out its [`Change`]s one by one.

use actix::prelude::*;
use anycastd::bgp::codec::CeaseSubcode;
use anycastd::config::diff::Change;
use anycastd::config::{self, ConfigError, ConfigErrors, ConfigWarning, model::Config};
use anycastd::health::guard;

use super::{Reload, Supervisor};
use crate::messages::Stop;
use crate::peer::SetNextHops;
use crate::service::Reconfigure;

impl Supervisor {
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
        self.known_stale = true;
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
            Change::PeerRemoved(name) | Change::PeerReset(name) => {
                let subcode = change
                    .cease()
                    .unwrap_or(CeaseSubcode::OtherConfigurationChange);
                let Some(bgp) = self.bgp.as_mut() else {
                    return;
                };
                let stop = bgp.stop_one(name, subcode);
                if matches!(change, Change::PeerRemoved(_)) {
                    log::warn!(peer = name.as_str(); "BGP neighbour removed");
                    ctx.spawn(stop.into_actor(self));
                } else {
                    // Stop the old session first, then start the new one once the Cease is out.
                    let name = name.clone();
                    ctx.spawn(
                        stop.into_actor(self)
                            .map(move |(), act, _| act.start_peer(&name)),
                    );
                }
            }
            Change::PeerAdded(name) => self.start_peer(name),
            Change::PeerUpdated(name) => {
                log::warn!(peer = name.as_str(); "connect_retry changed: the session is kept; the new value applies once the daemon restarts or this peer is reset");
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
                let hops = SetNextHops {
                    ipv4: self.config.announcer.next_hop_ipv4,
                    ipv6: self.config.announcer.next_hop_ipv6,
                };
                if let Some(bgp) = &self.bgp {
                    for (_, actor) in bgp.actors() {
                        actor.do_send(hops);
                    }
                }
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
}

impl Handler<Reload> for Supervisor {
    type Result = ResponseActFuture<Self, Result<(), ConfigErrors>>;

    fn handle(&mut self, _: Reload, _ctx: &mut Self::Context) -> Self::Result {
        if self.stopping {
            log::warn!("reload ignored: the daemon is stopping");
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
