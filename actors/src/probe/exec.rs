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

use std::os::unix::process::ExitStatusExt;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use anycastd::config::model::ExecSpec;
use anycastd::health::Outcome;
use rustix::process::{Pid, Signal};
use tokio::io::AsyncReadExt;
use tokio::process::{Child, ChildStdout, Command};

/// Bytes of stdout kept for the reason; the rest is read and dropped so the plugin never blocks.
const STDOUT_LIMIT: usize = 4096;
/// How long to wait for output still in the pipe after the plugin exited (a daemonised grandchild
/// may keep the pipe open forever).
const DRAIN_GRACE: Duration = Duration::from_millis(100);

/// Kills the process group on drop: covers time-outs, cancellation and plugins that leave
/// background processes behind; then asks the exec thread to kill the rest of the plugin's tree
/// and reap what it left ([`super::spawner::finish`]).
struct GroupGuard {
    pgid: Option<Pid>,
    /// The plugin has exited and tokio has reaped it: its PID is no longer ours to signal.
    reaped: bool,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if let Some(pgid) = self.pgid {
            // ESRCH (the group is already gone) is the normal case after a clean exit.
            let _ = rustix::process::kill_process_group(pgid, Signal::KILL);
            super::spawner::finish(pgid.as_raw_nonzero().get(), !self.reaped);
        }
    }
}

/// Runs one `exec` probe.
pub(super) async fn probe(spec: &ExecSpec) -> Outcome {
    let Some((program, args)) = spec.command.split_first() else {
        return Outcome::Inconclusive("exec: empty command".to_owned());
    };
    let mut command = Command::new(program);
    command
        .args(args)
        .envs(&spec.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .process_group(0)
        .kill_on_drop(true);
    let mut child = match super::spawner::spawn(command).await {
        Ok(child) => child,
        Err(e) => return Outcome::Inconclusive(format!("cannot start {program}: {e}")),
    };
    // Declared after `child`, so it is dropped first: the group dies, then tokio reaps the child.
    let mut guard = GroupGuard {
        pgid: child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .and_then(Pid::from_raw),
        reaped: false,
    };
    let stdout = child.stdout.take();
    match tokio::time::timeout(spec.timeout, wait_with_line(&mut child, stdout)).await {
        Ok(Ok((status, line))) => {
            guard.reaped = true;
            outcome(status, &line)
        }
        Ok(Err(e)) => Outcome::Inconclusive(format!("waiting for {program}: {e}")),
        Err(_) => Outcome::Fail(format!(
            "{program}: {}; it and every process it started were killed",
            super::timed_out(spec.timeout)
        )),
    }
}

/// Waits for the child while reading its stdout; returns its status and first line.
async fn wait_with_line(
    child: &mut Child,
    stdout: Option<ChildStdout>,
) -> std::io::Result<(ExitStatus, String)> {
    let mut kept: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 1024];
    let mut open = stdout;
    let status = loop {
        let read = async {
            match open.as_mut() {
                Some(pipe) => pipe.read(&mut chunk).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            status = child.wait() => break status?,
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
fn outcome(status: ExitStatus, line: &str) -> Outcome {
    let with = |what: String| {
        if line.is_empty() {
            what
        } else {
            format!("{what}: {line}")
        }
    };
    match (status.code(), status.signal()) {
        (Some(0), _) => Outcome::Pass,
        (Some(1), _) => Outcome::Degraded(with("exit 1".to_owned())),
        (Some(2), _) => Outcome::Fail(with("exit 2".to_owned())),
        (Some(code), _) => Outcome::Inconclusive(with(format!("exit {code}"))),
        (None, Some(signal)) => Outcome::Inconclusive(with(format!("killed by signal {signal}"))),
        (None, None) => Outcome::Inconclusive(with("ended without an exit status".to_owned())),
    }
}
