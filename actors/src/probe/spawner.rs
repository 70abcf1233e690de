//! Starts `exec` plugins on a thread of their own, off the actor thread.
//!
//! Forking copies the daemon's page tables and file table; at hundreds of plugins a second that
//! work, done on the thread that runs every actor, delayed every other check and BGP session. Here
//! one `anycastd-exec` thread does the `spawn` calls; the child is handed back as a tokio [`Child`]
//! (registered with the caller's runtime), so waiting and reaping stay asynchronous.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::io;
use std::sync::OnceLock;
use std::sync::mpsc::{self, Sender};

use rustix::process::{Pid, Signal};
use tokio::process::{Child, Command};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

struct Request {
    command: Command,
    runtime: Handle,
    reply: oneshot::Sender<io::Result<Child>>,
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
                    for request in receiver {
                        serve(request);
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

fn serve(mut request: Request) {
    let child = {
        let _runtime = request.runtime.enter();
        request.command.spawn()
    };
    if let Err(Ok(child)) = request.reply.send(child) {
        // The probe was dropped (deadline, stop) while the plugin was starting: end its group
        // here; tokio reaps the child once it is dropped.
        if let Some(pgid) = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .and_then(Pid::from_raw)
        {
            let _ = rustix::process::kill_process_group(pgid, Signal::KILL);
        }
    }
}

/// Starts `command` on the spawner thread (on this thread when that thread is not available).
pub(super) async fn spawn(mut command: Command) -> io::Result<Child> {
    let Some(queue) = queue() else {
        return command.spawn();
    };
    let (reply, answer) = oneshot::channel();
    let request = Request {
        command,
        runtime: Handle::current(),
        reply,
    };
    if let Err(mpsc::SendError(mut request)) = queue.send(request) {
        return request.command.spawn();
    }
    answer
        .await
        .unwrap_or_else(|_| Err(io::Error::other("the exec thread stopped")))
}
