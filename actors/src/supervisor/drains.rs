//! The drains: the operator's switch (signals, `anycastd ctl drain|undrain [SERVICE]`), the drain
//! file (inotify and a poll), drains by `file` checks, and the state file that keeps the operator's
//! drains across restarts. The decisions are the core [`Node`](anycastd::health::node::Node)'s; this
//! file feeds it and saves what it decides.

use actix::prelude::*;
use anycastd::health::drain::{Drain as DrainEntry, Drains};
use anycastd::health::node::{DrainRefused, Input, Phase};

use super::{Supervisor, state};

/// The operator's drain switch: `Drain(Some(reason))` drains every service (SIGUSR1), `Drain(None)`
/// undrains (SIGUSR2). The drain file is a second, independent switch.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Drain(pub Option<String>);

/// The operator drains (`reason: Some`) or undrains (`None`) one service, or the whole node when
/// `service` is `None` (`anycastd ctl drain|undrain [SERVICE]`). Answers what was done.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<String, DrainRefused>")]
pub struct SetOperatorDrain {
    /// The service, `None` for the whole node.
    pub service: Option<String>,
    /// Why, `None` to undrain.
    pub reason: Option<String>,
}

impl Supervisor {
    /// Watches the drain file with inotify, so that creating, deleting or renaming it acts at once
    /// (the poll every [`POLL_PERIOD`] stays, for filesystems without inotify). Follows a path
    /// changed by a reload.
    pub(super) fn watch_drain_file(&mut self, ctx: &mut Context<Self>) {
        let path = self.node.config().lifecycle.drain_file.clone();
        if self.drain_watch.as_ref().map(|(p, _)| p) == path.as_ref() {
            return;
        }
        if let Some((_, handle)) = self.drain_watch.take() {
            ctx.cancel_future(handle);
        }
        let Some(path) = path else {
            return;
        };
        match crate::watch::inotify::changes(&path) {
            Ok(changes) => self.drain_watch = Some((path, ctx.add_stream(changes))),
            Err(e) => {
                let (file, error) = (path.display().to_string(), e.to_string());
                log::warn!(file = file.as_str(), error; "cannot watch the drain file; polling it");
            }
        }
    }

    /// Writes the operator's drains to the state file; a failure is logged, the drains still apply.
    pub(super) fn save_drains(&self, drains: &Drains) {
        let Some(path) = &self.state_file else {
            return;
        };
        match state::write(path, drains) {
            Ok(()) => {
                log::info!(file = path.display().to_string().as_str(); "drains saved")
            }
            Err(e) => {
                log::error!(file = path.display().to_string().as_str(), error = e.to_string().as_str(); "cannot save the drains: they will not survive a restart")
            }
        }
    }

    /// Exports whether a `file` check drains some service.
    pub(super) fn export_check_drains(&self) {
        let value = if self.check_drains.is_empty() {
            0.0
        } else {
            1.0
        };
        self.metrics
            .drained
            .with_label_values(&["check"])
            .set(value);
    }

    /// Polls the drain file (a changed path applies at once).
    pub(super) fn poll_drain_file(&mut self, ctx: &mut Context<Self>) {
        let drain_file = self.node.config().lifecycle.drain_file.as_ref();
        let present = drain_file.is_some_and(|path| path.exists());
        self.feed(Input::DrainFile(present), ctx);
    }
}

impl StreamHandler<String> for Supervisor {
    /// The drain file changed (inotify).
    fn handle(&mut self, _: String, ctx: &mut Self::Context) {
        if self.node.phase() != Phase::Stopping {
            self.poll_drain_file(ctx);
        }
    }

    /// The watch failed; the poll goes on, and so does the supervisor.
    fn finished(&mut self, _: &mut Self::Context) {}
}

impl Handler<Drain> for Supervisor {
    type Result = ();

    fn handle(&mut self, Drain(reason): Drain, ctx: &mut Self::Context) {
        match &reason {
            Some(reason) => {
                log::warn!(reason = "signal", text = reason.as_str(); "draining every service")
            }
            None => log::warn!(reason = "signal"; "undraining"),
        }
        let drain = reason.map(|reason| DrainEntry::new(reason, unix_now()));
        match self.node.set_drain(None, drain) {
            Ok(actions) => {
                for action in actions {
                    self.perform(action, ctx);
                }
            }
            Err(refused) => log::warn!("drain signal ignored: {refused}"),
        }
    }
}

impl Handler<SetOperatorDrain> for Supervisor {
    type Result = Result<String, DrainRefused>;

    fn handle(&mut self, request: SetOperatorDrain, ctx: &mut Self::Context) -> Self::Result {
        let SetOperatorDrain { service, reason } = request;
        let drain = reason
            .clone()
            .map(|reason| DrainEntry::new(reason, unix_now()));
        let actions = self.node.set_drain(service.as_deref(), drain)?;
        let what = match &service {
            Some(name) => format!("service {name}"),
            None => "every service".to_string(),
        };
        let done = if actions.is_empty() {
            match &reason {
                Some(_) => format!("{what}: already drained"),
                None => format!("{what}: not drained"),
            }
        } else {
            match &reason {
                Some(reason) => {
                    log::warn!(reason = "control", service = service.as_deref().unwrap_or("*"), text = reason.as_str(); "draining {what}");
                    format!("{what}: drained ({reason})")
                }
                None => {
                    log::warn!(reason = "control", service = service.as_deref().unwrap_or("*"); "undraining {what}");
                    format!("{what}: undrained")
                }
            }
        };
        for action in actions {
            self.perform(action, ctx);
        }
        Ok(done)
    }
}

/// Seconds since the Unix epoch, now.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
