//! Unix signals: SIGHUP reloads the configuration, SIGUSR1 drains every service, SIGUSR2 undrains,
//! SIGTERM and SIGINT stop the daemon cleanly; a second SIGTERM or SIGINT during the shutdown's
//! drain time ends the drain at once (withdraw, Cease, exit).
//!
//! The loop never waits for the work a signal starts: a slow reload does not delay a SIGTERM, and a
//! long drain does not hide the second one.

use actix::Addr;
use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::supervisor::{Drain, Reload, Shutdown, Supervisor};

/// The signal streams, installed before anything starts so no signal is lost to the default action.
pub struct Signals {
    hangup: Signal,
    terminate: Signal,
    interrupt: Signal,
    user1: Signal,
    user2: Signal,
}

impl Signals {
    /// Installs the handlers; fails only when the runtime cannot register them.
    pub fn install() -> std::io::Result<Signals> {
        Ok(Signals {
            hangup: signal(SignalKind::hangup())?,
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
            user1: signal(SignalKind::user_defined1())?,
            user2: signal(SignalKind::user_defined2())?,
        })
    }

    /// Serves signals until the supervisor has stopped after a SIGTERM or SIGINT.
    pub async fn run(mut self, supervisor: Addr<Supervisor>) {
        let mut stopping = false;
        loop {
            let name = tokio::select! {
                _ = self.hangup.recv() => {
                    log::info!("SIGHUP received");
                    // The supervisor reads the file off its thread and logs the outcome; the
                    // daemon keeps running either way.
                    supervisor.do_send(Reload);
                    continue;
                }
                _ = self.user1.recv() => {
                    supervisor.do_send(Drain(Some("SIGUSR1".to_string())));
                    continue;
                }
                _ = self.user2.recv() => {
                    supervisor.do_send(Drain(None));
                    continue;
                }
                _ = self.terminate.recv() => "SIGTERM",
                _ = self.interrupt.recv() => "SIGINT",
                // The first SIGTERM's shutdown ended: the supervisor has stopped.
                _ = async { stopped(&supervisor).await }, if stopping => return,
            };
            if !stopping {
                log::warn!(signal = name; "stopping");
            } else {
                log::warn!(signal = name; "second stop signal: ending the drain now");
            }
            // A second Shutdown during the drain ends it at once; the first one's reply is then
            // never sent, so the loop watches the supervisor itself rather than a reply.
            supervisor.do_send(Shutdown);
            stopping = true;
        }
    }
}

/// Resolves once the supervisor has stopped (its mailbox is closed).
async fn stopped(supervisor: &Addr<Supervisor>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(50));
    while supervisor.connected() {
        tick.tick().await;
    }
}
