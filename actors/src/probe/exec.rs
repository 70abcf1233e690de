//! `exec`: runs a Nagios-style plugin (`command` is argv, no shell) with extra `env`, in its own
//! process group. Exit 0 = Pass, 1 = Degraded, 2 = Fail, 3 or more or a signal = Inconclusive; the
//! first line of stdout (at most 4 KiB are kept) goes into the reason. Past `timeout`, or when the
//! probe's future is dropped, the plugin and every process it started are killed with SIGKILL,
//! including those that left its process group with `setsid` (see `reaper.rs`), and reaped.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use anycastd::config::model::ExecSpec;
use anycastd::health::Outcome;
use rustix::process::{Pid, Signal, WaitId, WaitIdOptions, WaitIdStatus};
use tokio::io::AsyncReadExt;
use tokio::io::unix::AsyncFd;
use tokio::net::unix::pipe;

/// Bytes of stdout kept for the reason; the rest is read and dropped so the plugin never blocks.
const STDOUT_LIMIT: usize = 4096;
/// How long to wait for output still in the pipe after the plugin exited (a daemonised grandchild
/// may keep the pipe open forever).
const DRAIN_GRACE: Duration = Duration::from_millis(100);

/// Kills the process group on drop: covers time-outs, cancellation and plugins that leave
/// background processes behind; then asks the reaper thread to kill the rest of the plugin's tree,
/// reap the plugin if it was not, and reap what it left ([`super::spawner::finish`]).
struct GroupGuard {
    pgid: Pid,
    /// The plugin has exited and was reaped here: its PID is no longer ours to signal.
    reaped: bool,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        // ESRCH (the group is already gone) is the normal case after a clean exit.
        let _ = rustix::process::kill_process_group(self.pgid, Signal::KILL);
        super::spawner::finish(self.pgid.as_raw_nonzero().get(), !self.reaped);
    }
}

/// Runs one `exec` probe.
pub(super) async fn probe(spec: &ExecSpec, admission: super::Admission) -> Outcome {
    let Some(program) = spec.command.first() else {
        return Outcome::Inconclusive("exec: empty command".to_owned());
    };
    let started = super::spawner::spawn(spec).await;
    drop(admission);
    let spawned = match started {
        Ok(spawned) => spawned,
        Err(e) => return Outcome::Inconclusive(format!("cannot start {program}: {e}")),
    };
    let mut guard = GroupGuard {
        pgid: spawned.pid,
        reaped: false,
    };
    let (exit, stdout) = match (
        crate::sys::async_fd(spawned.pidfd),
        pipe::Receiver::from_owned_fd(spawned.stdout),
    ) {
        (Ok(exit), Ok(stdout)) => (exit, stdout),
        (Err(e), _) | (_, Err(e)) => {
            return Outcome::Inconclusive(format!("waiting for {program}: {e}"));
        }
    };
    match tokio::time::timeout(spec.timeout, wait_with_line(&exit, stdout)).await {
        Ok(Ok((status, line))) => {
            guard.reaped = true;
            outcome(&status, &line)
        }
        Ok(Err(e)) => Outcome::Inconclusive(format!("waiting for {program}: {e}")),
        Err(_) => Outcome::Fail(format!(
            "{program}: {}; it and every process it started were killed",
            super::timed_out(spec.timeout)
        )),
    }
}

/// Waits until the plugin has exited and reaps it (`waitid` on its pidfd).
async fn exited(pidfd: &AsyncFd<OwnedFd>) -> std::io::Result<WaitIdStatus> {
    loop {
        let mut ready = pidfd.readable().await?;
        let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG;
        match rustix::process::waitid(WaitId::PidFd(pidfd.get_ref().as_fd()), options) {
            Ok(Some(status)) => return Ok(status),
            Ok(None) => ready.clear_ready(),
            Err(e) => return Err(e.into()),
        }
    }
}

/// Waits for the child while reading its stdout; returns its status and first line.
async fn wait_with_line(
    pidfd: &AsyncFd<OwnedFd>,
    stdout: pipe::Receiver,
) -> std::io::Result<(WaitIdStatus, String)> {
    let mut kept: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 1024];
    let mut open = Some(stdout);
    let status = loop {
        let read = async {
            match open.as_mut() {
                Some(pipe) => pipe.read(&mut chunk).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            status = exited(pidfd) => break status?,
            n = read => match n {
                Ok(0) | Err(_) => open = None,
                Ok(n) => keep(&mut kept, chunk.get(..n).unwrap_or_default()),
            },
        }
    };
    if let Some(pipe) = open.as_mut() {
        let _ = tokio::time::timeout(DRAIN_GRACE, async {
            while !kept.contains(&b'\n') && kept.len() < STDOUT_LIMIT {
                match pipe.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => keep(&mut kept, chunk.get(..n).unwrap_or_default()),
                }
            }
        })
        .await;
    }
    let line = kept.split(|b| *b == b'\n').next().unwrap_or_default();
    Ok((status, String::from_utf8_lossy(line).trim_end().to_owned()))
}

fn keep(kept: &mut Vec<u8>, bytes: &[u8]) {
    let room = STDOUT_LIMIT.saturating_sub(kept.len());
    kept.extend_from_slice(bytes.get(..room.min(bytes.len())).unwrap_or_default());
}

/// Nagios plugin exit codes: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
fn outcome(status: &WaitIdStatus, line: &str) -> Outcome {
    let with = |what: String| {
        if line.is_empty() {
            what
        } else {
            format!("{what}: {line}")
        }
    };
    match (status.exit_status(), status.terminating_signal()) {
        (Some(0), _) => Outcome::Pass,
        (Some(1), _) => Outcome::Degraded(with("exit 1".to_owned())),
        (Some(2), _) => Outcome::Fail(with("exit 2".to_owned())),
        (Some(code), _) => Outcome::Inconclusive(with(format!("exit {code}"))),
        (None, Some(signal)) => Outcome::Inconclusive(with(format!("killed by signal {signal}"))),
        (None, None) => Outcome::Inconclusive(with("ended without an exit status".to_owned())),
    }
}
