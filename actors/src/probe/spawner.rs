//! Starts `exec` plugins on a thread of their own, off the actor thread, and ends what they leave.
//!
//! Forking copies the daemon's page tables and file table; at hundreds of plugins a second that
//! work, done on the thread that runs every actor, delayed every other check and BGP session. Here
//! one `anycastd-exec` thread does the `spawn` calls; the child is handed back as a tokio [`Child`]
//! (registered with the caller's runtime), so waiting and reaping stay asynchronous. The same
//! thread ends every run ([`finish`]): it kills what the plugin started, even past `setsid`, and
//! reaps what is re-parented to the daemon (see [`super::reaper`]).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::collections::BTreeSet;
use std::io;
use std::sync::OnceLock;
use std::sync::mpsc::{self, Sender};

use rustix::process::{Pid, Signal};
use tokio::process::{Child, Command};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

use super::reaper;

enum Request {
    /// Start a plugin.
    Spawn {
        command: Box<Command>,
        runtime: Handle,
        reply: oneshot::Sender<io::Result<Child>>,
    },
    /// A plugin's run ended: kill its tree when it still runs (`alive`), then every leftover.
    Finish { pid: i32, alive: bool },
}

/// The spawner thread's queue; `None` when the thread could not be started.
fn queue() -> Option<&'static Sender<Request>> {
    static QUEUE: OnceLock<Option<Sender<Request>>> = OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let (sender, receiver) = mpsc::channel::<Request>();
            let started = std::thread::Builder::new()
                .name("anycastd-exec".into())
                .spawn(move || {
                    let adopting = reaper::adopt_orphans();
                    // The plugins started and not yet finished: their statuses are tokio's.
                    let mut running = BTreeSet::new();
                    for request in receiver {
                        serve(request, adopting, &mut running);
                    }
                });
            match started {
                Ok(_) => Some(sender),
                Err(e) => {
                    log::warn!(error = e.to_string().as_str(); "cannot start the exec thread; plugins start on the actor thread");
                    None
                }
            }
        })
        .as_ref()
}

fn serve(request: Request, adopting: bool, running: &mut BTreeSet<i32>) {
    match request {
        Request::Spawn {
            mut command,
            runtime,
            reply,
        } => {
            if adopting {
                reaper::make_plugin_a_subreaper(&mut command);
            }
            let child = {
                let _runtime = runtime.enter();
                command.spawn()
            };
            let pid = child
                .as_ref()
                .ok()
                .and_then(Child::id)
                .and_then(|id| i32::try_from(id).ok());
            match reply.send(child) {
                Ok(()) => {
                    if let Some(pid) = pid {
                        running.insert(pid);
                    }
                }
                Err(Ok(child)) => {
                    // The probe was dropped (deadline, stop) while the plugin was starting: end
                    // its group here; tokio reaps the child once it is dropped.
                    if let Some(pgid) = pid.and_then(Pid::from_raw) {
                        let _ = rustix::process::kill_process_group(pgid, Signal::KILL);
                    }
                    drop(child);
                }
                Err(Err(_)) => {}
            }
        }
        Request::Finish { pid, alive } => {
            if alive {
                reaper::kill_tree(pid);
            }
            if adopting {
                reaper::sweep(running);
            }
            running.remove(&pid);
        }
    }
}

/// Ends the run of the plugin `pid`: when it is still `alive` (time-out, cancellation), kills every
/// process it started, wherever they went; in any case kills and reaps what finished plugins left
/// behind. Done on the exec thread; returns at once.
pub(super) fn finish(pid: i32, alive: bool) {
    if let Some(queue) = queue() {
        // The thread is gone only when the daemon is exiting.
        let _ = queue.send(Request::Finish { pid, alive });
    }
}

/// Starts `command` on the spawner thread (on this thread when that thread is not available).
pub(super) async fn spawn(mut command: Command) -> io::Result<Child> {
    let Some(queue) = queue() else {
        return command.spawn();
    };
    let (reply, answer) = oneshot::channel();
    let request = Request::Spawn {
        command: Box::new(command),
        runtime: Handle::current(),
        reply,
    };
    if let Err(mpsc::SendError(Request::Spawn { mut command, .. })) = queue.send(request) {
        return command.spawn();
    }
    answer
        .await
        .unwrap_or_else(|_| Err(io::Error::other("the exec thread stopped")))
}
