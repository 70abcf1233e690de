//! Unix signals: SIGHUP reloads the configuration, SIGUSR1 drains every service, SIGUSR2 undrains,
//! SIGTERM and SIGINT stop the daemon cleanly.

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

    /// Serves signals until SIGTERM or SIGINT, then asks the supervisor to shut down and waits for it.
    pub async fn run(mut self, supervisor: Addr<Supervisor>) {
        loop {
            let name = tokio::select! {
                _ = self.hangup.recv() => {
                    log::info!("SIGHUP received");
                    // Errors are logged by the supervisor; the daemon keeps running either way.
                    let _ = supervisor.send(Reload).await;
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
            };
            log::warn!(signal = name; "stopping");
            if supervisor.send(Shutdown).await.is_err() {
                log::error!("the supervisor was gone before shutdown");
            }
            return;
        }
    }
}
