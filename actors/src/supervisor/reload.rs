//! SIGHUP: load the file, ask the core whether the reload may withdraw that much
//! ([`Node::reload`](anycastd::health::node::Node::reload)), then carry out its [`Change`]s one by
//! one: the one path by which a running daemon's services and sessions change.

use actix::prelude::*;
use anycastd::bgp::codec::CeaseSubcode;
use anycastd::config::diff::Change;
use anycastd::config::{self, ConfigError, ConfigErrors, ConfigWarning, model::Config};

use super::{Reload, Supervisor, notify};

/// Reload now (`anycastd ctl reload [--force]`); `force` lets this one reload past the
/// blast-radius guard. Answers the changes applied, one line each, or every error.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "Result<Vec<String>, ConfigErrors>")]
pub struct ReloadNow {
    /// Apply even when the guard would refuse.
    pub force: bool,
}

/// Validate the configuration file on disk without applying it (`anycastd ctl check-config`):
/// every error, or what a reload would change and whether the guard would refuse it.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "ConfigCheck")]
pub struct CheckConfig;

/// The answer to [`CheckConfig`].
#[derive(Debug, Clone, serde::Serialize, MessageResponse)]
pub struct ConfigCheck {
    /// The file.
    pub file: String,
    /// Every error, one line each (empty when the file is valid).
    pub errors: Vec<String>,
    /// Every warning, one line each.
    pub warnings: Vec<String>,
    /// What a reload would change, one line each.
    pub changes: Vec<String>,
    /// Why the blast-radius guard would refuse the reload, `null` when it would not.
    pub refused: Option<String>,
}
use crate::messages::Stop;
use crate::peer::SetNextHops;

impl Supervisor {
    /// Applies a loaded file: refused by the blast-radius guard, or applied change by change.
    fn apply_reload(
        &mut self,
        loaded: Result<(Config, Vec<ConfigWarning>), ConfigErrors>,
        force: bool,
        ctx: &mut Context<Self>,
    ) -> Result<Vec<String>, ConfigErrors> {
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
        if force && !self.force {
            log::warn!("reload forced past the blast-radius guard");
        }
        let (changes, old) = match self.node.reload(config, self.force || force) {
            Ok(taken) => taken,
            Err(refused) => {
                log::error!(file = self.path.display().to_string().as_str(); "configuration reload refused: {refused}");
                self.reload_failed("refused");
                let error = ConfigError::whole_file(&self.path, refused.to_string());
                return Err(error.into());
            }
        };
        for change in &changes {
            log::info!(change = format!("{change:?}").as_str(); "applying configuration change");
            self.apply_change(change, &old, ctx);
        }
        self.poll_drain_file(ctx);
        self.republish(ctx);
        self.metrics.config_last_reload_success.set(1.0);
        self.metrics
            .config_reload
            .with_label_values(&["success"])
            .inc();
        log::warn!(changes = changes.len(); "configuration reloaded");
        Ok(changes.iter().map(config::diff::describe).collect())
    }

    /// Starts reading the configuration file and applies it, unless the daemon is stopping.
    fn reload_file(
        &mut self,
        force: bool,
    ) -> ResponseActFuture<Self, Result<Vec<String>, ConfigErrors>> {
        if !self.node.accepts_reload() {
            log::warn!("reload ignored: the daemon is stopping");
            let error = ConfigError::whole_file(&self.path, "the daemon is stopping".to_string());
            return Box::pin(actix::fut::ready(Err(error.into())));
        }
        let path = self.path.clone();
        log::info!(file = path.display().to_string().as_str(); "reloading the configuration");
        // systemd shows the unit as reloading until READY=1, sent whatever the outcome.
        match sd_notify::NotifyState::monotonic_usec_now() {
            Ok(now) => notify(&[sd_notify::NotifyState::Reloading, now]),
            Err(_) => notify(&[sd_notify::NotifyState::Reloading]),
        }
        Box::pin(load(path).into_actor(self).map(move |loaded, act, ctx| {
            let applied = act.apply_reload(loaded, force, ctx);
            notify(&[sd_notify::NotifyState::Ready]);
            applied
        }))
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
                    // Its series leave /metrics once its session has ended for good.
                    let name = name.clone();
                    ctx.spawn(stop.into_actor(self).map(move |(), act, _| {
                        if let Some(bgp) = &act.bgp {
                            bgp.forget(&name);
                        }
                    }));
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
                if let Some(bgp) = &self.bgp {
                    bgp.reconfigure_bfd(name, &self.node.config().announcer);
                }
                log::warn!(peer = name.as_str(); "connect_retry or BFD intervals changed: the session is kept; new BFD intervals apply now, connect_retry once the daemon restarts or this peer is reset");
            }
            Change::ServiceRemoved(name) => {
                self.stop_service(name);
                if self.check_drains.remove(name).is_some() {
                    self.export_check_drains();
                }
                if let Some(service) = old.services.iter().find(|s| &s.name == name) {
                    let checks: Vec<String> =
                        service.checks.iter().map(|c| c.name.clone()).collect();
                    self.metrics.forget_service(name, &checks);
                }
            }
            Change::ServiceAdded(name) => self.start_service(name, ctx),
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
                // A removed check's series go; a changed one's kind-specific series go too (its
                // host or path may have changed) and come back from its next run.
                if matches!(change, Change::CheckChanged { .. }) {
                    self.metrics.probe.forget(service, Some(check));
                    self.start_check(service, check);
                } else {
                    self.metrics.forget_check(service, check);
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
                    ipv4: self.node.config().announcer.next_hop_ipv4,
                    ipv6: self.node.config().announcer.next_hop_ipv6,
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
            Change::ControlChanged => {
                log::warn!("control settings changed: they take effect at the next restart");
            }
            Change::ShutdownChanged | Change::LifecycleChanged => {}
        }
    }
}

/// Reads and validates the configuration file.
async fn load(path: std::path::PathBuf) -> Result<(Config, Vec<ConfigWarning>), ConfigErrors> {
    match tokio::fs::read_to_string(&path).await {
        Ok(text) => config::load_with_warnings(&path, &text),
        Err(e) => Err(ConfigError::whole_file(&path, format!("cannot read: {e}")).into()),
    }
}

impl Handler<Reload> for Supervisor {
    type Result = ResponseActFuture<Self, Result<(), ConfigErrors>>;

    fn handle(&mut self, _: Reload, _ctx: &mut Self::Context) -> Self::Result {
        if !self.node.accepts_reload() {
            log::warn!("reload ignored: the daemon is stopping");
            return Box::pin(actix::fut::ready(Ok(())));
        }
        Box::pin(
            self.reload_file(false)
                .map(|result, _, _| result.map(|_| ())),
        )
    }
}

impl Handler<ReloadNow> for Supervisor {
    type Result = ResponseActFuture<Self, Result<Vec<String>, ConfigErrors>>;

    fn handle(&mut self, ReloadNow { force }: ReloadNow, _ctx: &mut Self::Context) -> Self::Result {
        self.reload_file(force)
    }
}

impl Handler<CheckConfig> for Supervisor {
    type Result = ResponseActFuture<Self, ConfigCheck>;

    fn handle(&mut self, _: CheckConfig, _ctx: &mut Self::Context) -> Self::Result {
        let path = self.path.clone();
        Box::pin(
            load(path.clone())
                .into_actor(self)
                .map(move |loaded, act, _| {
                    let file = path.display().to_string();
                    match loaded {
                        Err(errors) => ConfigCheck {
                            file,
                            errors: errors.0.iter().map(ToString::to_string).collect(),
                            warnings: Vec::new(),
                            changes: Vec::new(),
                            refused: None,
                        },
                        Ok((new, warnings)) => {
                            let old = act.node.config();
                            let changes = config::diff::diff(old, &new);
                            let guard = anycastd::health::guard::check_reload(
                                old,
                                &new,
                                |name| act.node.state_of(name),
                                act.force,
                            );
                            ConfigCheck {
                                file,
                                errors: Vec::new(),
                                warnings: warnings.iter().map(ToString::to_string).collect(),
                                changes: changes.iter().map(config::diff::describe).collect(),
                                refused: guard.err().map(|refused| refused.to_string()),
                            }
                        }
                    }
                }),
        )
    }
}
