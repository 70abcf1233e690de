//! SIGHUP: load the file, ask the core whether the reload may withdraw that much
//! ([`Node::reload`](anycastd::health::node::Node::reload)), then carry out its [`Change`]s one by
//! one: the one path by which a running daemon's services and sessions change.
//!
//! The file and the neighbours' key files are read, parsed and validated on a thread of their own
//! ([`files::read_off_thread`]): the supervisor keeps answering (KEEPALIVEs, `/healthz`, SIGTERM)
//! however slow or large the file is. One reload runs at a time; a SIGHUP during one is kept and
//! served when it ends.

use std::path::Path;

use actix::prelude::*;
use anycastd::bgp::codec::CeaseSubcode;
use anycastd::config::diff::Change;
use anycastd::config::{self, ConfigError, ConfigErrors, ConfigWarning, model::Config};

use super::{Reload, Supervisor, notify};
use crate::files;

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
use crate::peer::set::{self, Md5Keys};

/// A file read and validated for a reload, with the key files of its neighbours.
struct Loaded {
    config: Config,
    warnings: Vec<ConfigWarning>,
    keys: Md5Keys,
    /// The neighbours whose key file could not be read, with why.
    key_errors: Vec<(String, String)>,
}

/// Reads and validates `path` and reads its neighbours' key files (blocking: run off the actors).
fn load(path: &Path) -> Result<Loaded, ConfigErrors> {
    let text = files::read_text(path, files::CONFIG_LIMIT)
        .map_err(|e| ConfigError::whole_file(path, e.to_string()))?;
    let loaded = config::load_with_warnings(path, &text);
    drop(text);
    let (config, warnings) = loaded?;
    let (keys, errors) = set::read_md5_keys(&config.announcer);
    let key_errors = errors
        .into_iter()
        .map(|error| {
            (
                error.peer().unwrap_or_default().to_string(),
                error.to_string(),
            )
        })
        .collect();
    Ok(Loaded {
        config,
        warnings,
        keys,
        key_errors,
    })
}

impl Supervisor {
    /// Applies a loaded file: refused by the blast-radius guard, or applied change by change.
    fn apply_reload(
        &mut self,
        loaded: Result<Loaded, ConfigErrors>,
        force: bool,
        ctx: &mut Context<Self>,
    ) -> Result<Vec<String>, ConfigErrors> {
        if !self.node.accepts_reload() {
            log::warn!("reload dropped: the daemon is stopping");
            return Err(
                ConfigError::whole_file(&self.path, "the daemon is stopping".to_string()).into(),
            );
        }
        let loaded = loaded.and_then(|loaded| self.check_new_keys(loaded));
        let Loaded {
            config,
            warnings,
            keys,
            key_errors: _,
        } = match loaded {
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
        // The keys read with the file that now runs; a refused file's keys are not used.
        self.keys = keys;
        let mut failed = 0;
        for change in &changes {
            log::info!(change = format!("{change:?}").as_str(); "applying configuration change");
            if !self.apply_change(change, &old, ctx) {
                failed += 1;
            }
        }
        self.watch_drain_file(ctx);
        self.poll_drain_file(ctx);
        self.republish(ctx);
        if failed > 0 {
            log::error!(changes = changes.len(), failed; "configuration reloaded, but not every change could be applied");
            self.reload_failed("failure");
            let error = ConfigError::whole_file(
                &self.path,
                format!("{failed} of {} changes could not be applied", changes.len()),
            );
            return Err(error.into());
        }
        self.metrics.config_last_reload_success.set(1.0);
        self.metrics
            .config_reload
            .with_label_values(&["success"])
            .inc();
        log::warn!(changes = changes.len(); "configuration reloaded");
        Ok(changes.iter().map(config::diff::describe).collect())
    }

    /// Reads the configuration file off the actors and applies it, unless the daemon is stopping.
    /// A reload asked for while one reads its file follows it (`queue`, for SIGHUP) or is refused
    /// (`anycastd ctl reload`, which waits for its own answer).
    fn reload_file(
        &mut self,
        force: bool,
        queue: bool,
    ) -> ResponseActFuture<Self, Result<Vec<String>, ConfigErrors>> {
        if !self.node.accepts_reload() {
            log::warn!("reload ignored: the daemon is stopping");
            let error = ConfigError::whole_file(&self.path, "the daemon is stopping".to_string());
            return Box::pin(actix::fut::ready(Err(error.into())));
        }
        if self.reloading {
            if queue {
                log::info!("reload asked for during a reload: it follows this one");
                self.reload_again = true;
                return Box::pin(actix::fut::ready(Ok(Vec::new())));
            }
            let error = ConfigError::whole_file(
                &self.path,
                "a reload is already reading the file; try again".to_string(),
            );
            return Box::pin(actix::fut::ready(Err(error.into())));
        }
        self.reloading = true;
        let path = self.path.clone();
        log::info!(file = path.display().to_string().as_str(); "reloading the configuration");
        // systemd shows the unit as reloading until READY=1, sent whatever the outcome.
        match sd_notify::NotifyState::monotonic_usec_now() {
            Ok(now) => notify(&[sd_notify::NotifyState::Reloading, now]),
            Err(_) => notify(&[sd_notify::NotifyState::Reloading]),
        }
        let read = files::read_off_thread(move || load(&path));
        Box::pin(read.into_actor(self).map(move |read, act, ctx| {
            act.reloading = false;
            let loaded = read.unwrap_or_else(|e| {
                Err(ConfigError::whole_file(&act.path, format!("cannot read: {e}")).into())
            });
            let result = act.apply_reload(loaded, force, ctx);
            notify(&[sd_notify::NotifyState::Ready]);
            if std::mem::take(&mut act.reload_again) {
                ctx.notify(Reload);
            }
            result
        }))
    }

    /// A neighbour that the reload starts (added, or reset) must have its key: otherwise the whole
    /// reload fails and the running configuration stays. A key file that went missing for a
    /// neighbour the reload keeps does not matter: its session keeps the key it has.
    fn check_new_keys(&self, loaded: Loaded) -> Result<Loaded, ConfigErrors> {
        if loaded.key_errors.is_empty() {
            return Ok(loaded);
        }
        let changes = anycastd::config::diff::diff(self.node.config(), &loaded.config);
        let starts = |name: &str| {
            changes.iter().any(|change| match change {
                Change::PeerAdded(peer) | Change::PeerReset(peer) => peer == name,
                _ => false,
            })
        };
        let errors: Vec<ConfigError> = loaded
            .key_errors
            .iter()
            .filter(|(peer, _)| starts(peer))
            .map(|(_, text)| ConfigError::whole_file(&self.path, text.clone()))
            .collect();
        if errors.is_empty() {
            Ok(loaded)
        } else {
            Err(ConfigErrors(errors))
        }
    }

    fn reload_failed(&self, result: &str) {
        // The gauge first: whoever sees the counter move also sees the gauge.
        self.metrics.config_last_reload_success.set(0.0);
        self.metrics
            .config_reload
            .with_label_values(&[result])
            .inc();
    }

    /// Carries out one change of a reload; `self.config` is already the new configuration. False
    /// when it could not be carried out (a neighbour that cannot start).
    fn apply_change(&mut self, change: &Change, old: &Config, ctx: &mut Context<Self>) -> bool {
        match change {
            Change::PeerRemoved(name) | Change::PeerReset(name) => {
                let subcode = change
                    .cease()
                    .unwrap_or(CeaseSubcode::OtherConfigurationChange);
                let Some(bgp) = self.bgp.as_mut() else {
                    return true;
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
                    ctx.spawn(stop.into_actor(self).map(move |(), act, _| {
                        if !act.start_peer(&name) {
                            act.metrics.config_last_reload_success.set(0.0);
                        }
                    }));
                }
            }
            Change::PeerAdded(name) => return self.start_peer(name),
            Change::PeerUpdated(name) => {
                if let Some(bgp) = &self.bgp {
                    bgp.reconfigure_bfd(name, &self.node.config().announcer);
                }
                log::warn!(peer = name.as_str(); "connect_retry or BFD intervals changed: the session is kept; new BFD intervals apply now, connect_retry once the daemon restarts or this peer is reset");
            }
            Change::ServiceRemoved(name) => {
                self.stop_service(name);
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
        true
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
            self.reload_file(false, true)
                .map(|result, _, _| result.map(|_| ())),
        )
    }
}

impl Handler<ReloadNow> for Supervisor {
    type Result = ResponseActFuture<Self, Result<Vec<String>, ConfigErrors>>;

    fn handle(&mut self, ReloadNow { force }: ReloadNow, _ctx: &mut Self::Context) -> Self::Result {
        self.reload_file(force, false)
    }
}

impl Handler<CheckConfig> for Supervisor {
    type Result = ResponseActFuture<Self, ConfigCheck>;

    fn handle(&mut self, _: CheckConfig, _ctx: &mut Self::Context) -> Self::Result {
        let path = self.path.clone();
        let file = path.display().to_string();
        let read = files::read_off_thread(move || load(&path));
        Box::pin(read.into_actor(self).map(move |read, act, _| {
            let loaded = read.unwrap_or_else(|e| {
                Err(ConfigError::whole_file(&act.path, format!("cannot read: {e}")).into())
            });
            let loaded = loaded.and_then(|loaded| act.check_new_keys(loaded));
            match loaded {
                Err(errors) => ConfigCheck {
                    file,
                    errors: errors.0.iter().map(ToString::to_string).collect(),
                    warnings: Vec::new(),
                    changes: Vec::new(),
                    refused: None,
                },
                Ok(loaded) => {
                    let old = act.node.config();
                    let changes = config::diff::diff(old, &loaded.config);
                    let guard = anycastd::health::guard::check_reload(
                        old,
                        &loaded.config,
                        |name| act.node.state_of(name),
                        act.force,
                    );
                    ConfigCheck {
                        file,
                        errors: Vec::new(),
                        warnings: loaded.warnings.iter().map(ToString::to_string).collect(),
                        changes: changes.iter().map(config::diff::describe).collect(),
                        refused: guard.err().map(|refused| refused.to_string()),
                    }
                }
            }
        }))
    }
}
