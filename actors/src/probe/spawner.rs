//! Starts `exec` plugins on a thread of their own, off the actor thread, and ends what they leave
//! on another.
//!
//! Starting a process is blocking work (looking the program up on `PATH`, the `clone` and the
//! child's `execve`, during which the caller is suspended); at hundreds of plugins a second, done
//! on the thread that runs every actor, it delayed every other check and BGP session. Here:
//! - the `anycastd-exec` thread starts every plugin ([`super::launch`]) and hands back its PID, a
//!   pidfd and its stdout, so waiting stays asynchronous;
//! - the `anycastd-reap` thread ends every run ([`finish`]): it kills what the plugin started, even
//!   past `setsid`, reaps the plugin when the probe did not, and reaps what is re-parented to the
//!   daemon (see [`super::reaper`]). Killing a timed-out plugin's tree waits for it to end; on a
//!   thread of its own that never holds up the next start, so a burst of time-outs cannot make
//!   the plugins queued behind it time out in turn.
//!
//! At most [`START_SLOTS`] plugins wait to be started at once ([`slot`]): a check takes a slot
//! before its deadline starts, so when plugins are due faster than they can be started, runs start
//! late (the schedule stretches) rather than time out in the queue.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::collections::BTreeSet;
use std::io;
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use anycastd::config::model::ExecSpec;
use rustix::process::Signal;
use tokio::sync::{Semaphore, SemaphorePermit, oneshot};

use super::launch::{Spawned, launch};
use super::reaper;

/// Plugins waiting to be started at once, the one being started included. Starting one takes
/// about 0.1–0.5 ms, so the last in line waits a few milliseconds at most inside its deadline.
pub(super) const START_SLOTS: usize = 16;

/// A request to start a plugin.
struct Spawn {
    spec: Box<ExecSpec>,
    reply: oneshot::Sender<io::Result<Spawned>>,
}

/// A plugin's run ended: when it was not reaped (`alive`: time-out, cancellation), kill its tree
/// and reap it; then every leftover.
struct End {
    pid: i32,
    alive: bool,
}

/// The two threads' queues; `None` when they could not be started.
struct Threads {
    spawns: Sender<Spawn>,
    ends: Sender<End>,
}

fn threads() -> Option<&'static Threads> {
    static THREADS: OnceLock<Option<Threads>> = OnceLock::new();
    THREADS.get_or_init(start).as_ref()
}

fn start() -> Option<Threads> {
    let adopting = reaper::adopt_orphans();
    // The plugins started and not yet finished: their statuses are their probes'.
    let running = Arc::new(Mutex::new(BTreeSet::new()));
    let (ends, ended) = mpsc::channel::<End>();
    let (spawns, spawn_requests) = mpsc::channel::<Spawn>();
    let reap = {
        let running = Arc::clone(&running);
        std::thread::Builder::new()
            .name("anycastd-reap".into())
            .spawn(move || {
                for end in ended {
                    finish_run(end, adopting, &running);
                }
            })
    };
    let exec = {
        let ends = ends.clone();
        std::thread::Builder::new()
            .name("anycastd-exec".into())
            .spawn(move || {
                for request in spawn_requests {
                    serve(request, &running, &ends);
                }
            })
    };
    match (reap, exec) {
        (Ok(_), Ok(_)) => Some(Threads { spawns, ends }),
        (Err(e), _) | (_, Err(e)) => {
            log::warn!(error = e.to_string().as_str(); "cannot start the exec threads; plugins start on the actor thread");
            None
        }
    }
}

fn serve(request: Spawn, running: &Mutex<BTreeSet<i32>>, ends: &Sender<End>) {
    let Spawn { spec, reply } = request;
    let spawned = {
        // Held across the start, so the reaper never takes the new plugin for a leftover.
        let mut running = running.lock().unwrap_or_else(PoisonError::into_inner);
        let spawned = launch(&spec.command, &spec.env);
        if let Ok(spawned) = &spawned {
            running.insert(spawned.pid.as_raw_nonzero().get());
        }
        spawned
    };
    if let Err(Ok(spawned)) = reply.send(spawned) {
        // The probe was dropped (deadline, stop) while the plugin was starting: end its group;
        // the reaper thread kills the rest and reaps it.
        let _ = rustix::process::kill_process_group(spawned.pid, Signal::KILL);
        let pid = spawned.pid.as_raw_nonzero().get();
        let _ = ends.send(End { pid, alive: true });
    }
}

fn finish_run(end: End, adopting: bool, running: &Mutex<BTreeSet<i32>>) {
    let End { pid, alive } = end;
    if alive {
        reaper::kill_tree(pid);
    }
    // No longer running: unreaped, it is now a leftover like any other.
    running
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&pid);
    if adopting {
        reaper::sweep(running);
    } else if alive {
        reaper::reap(pid);
    }
}

/// Ends the run of the plugin `pid`: when it is still `alive` (time-out, cancellation), kills every
/// process it started, wherever they went, and reaps it; in any case kills and reaps what finished
/// plugins left behind. Done on the reaper thread; returns at once.
pub(super) fn finish(pid: i32, alive: bool) {
    match threads() {
        // The thread is gone only when the daemon is exiting.
        Some(threads) => {
            let _ = threads.ends.send(End { pid, alive });
        }
        None if alive => {
            reaper::kill_tree(pid);
            reaper::reap(pid);
        }
        None => {}
    }
}

/// Waits for one of the [`START_SLOTS`]; held until the plugin has started.
pub(super) async fn slot() -> Option<SemaphorePermit<'static>> {
    static SLOTS: Semaphore = Semaphore::const_new(START_SLOTS);
    // The semaphore is never closed.
    SLOTS.acquire().await.ok()
}

/// Starts the plugin of `spec` on the exec thread (on this thread when that thread is not
/// available).
pub(super) async fn spawn(spec: &ExecSpec) -> io::Result<Spawned> {
    let Some(threads) = threads() else {
        return launch(&spec.command, &spec.env);
    };
    let (reply, answer) = oneshot::channel();
    let request = Spawn {
        spec: Box::new(spec.clone()),
        reply,
    };
    if let Err(mpsc::SendError(Spawn { spec, .. })) = threads.spawns.send(request) {
        return launch(&spec.command, &spec.env);
    }
    answer
        .await
        .unwrap_or_else(|_| Err(io::Error::other("the exec thread stopped")))
}
