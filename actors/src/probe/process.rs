//! `process`: a process is alive, found by its pidfile (re-read every run) or its name
//! (`/proc/PID/comm`; with several matches the check passes while any lives), and has run at least
//! `min_uptime`. A zombie counts as exited. A pidfile or `/proc` entry that cannot be read for lack
//! of permission is Inconclusive: it says nothing about the process.
//!
//! The CheckActor also watches the PIDs found here with pidfds ([`crate::watch::pidfd`]), so an
//! exit runs the check at once.

use std::io;
use std::path::Path;
use std::time::Duration;

use anycastd::config::model::{ProcessSpec, ProcessTarget};
use anycastd::health::Outcome;

use super::humanize;

/// Runs one `process` check.
pub fn probe(spec: &ProcessSpec) -> Outcome {
    match find(spec) {
        Ok(found) => judge(spec, &found),
        Err(outcome) => outcome,
    }
}

/// The PIDs of the live processes the check looks at (none when it cannot tell), for the watch.
pub fn live_pids(spec: &ProcessSpec) -> Vec<u32> {
    find(spec)
        .map(|found| found.into_iter().map(|p| p.pid).collect())
        .unwrap_or_default()
}

/// One live process.
struct Found {
    pid: u32,
    /// How long it has run.
    age: Duration,
}

fn judge(spec: &ProcessSpec, found: &[Found]) -> Outcome {
    let oldest = found.iter().map(|f| f.age).max();
    match oldest {
        None => Outcome::Fail(match &spec.target {
            ProcessTarget::Name(name) => format!("no process named {name} is running"),
            ProcessTarget::Pidfile(path) => format!("no process from {}", path.display()),
        }),
        Some(age) if age < spec.min_uptime => Outcome::Fail(format!(
            "process {} has run for {}, less than min_uptime {}",
            found
                .iter()
                .map(|f| f.pid.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            humanize(Duration::from_millis(
                u64::try_from(age.as_millis()).unwrap_or(u64::MAX)
            )),
            humanize(spec.min_uptime)
        )),
        Some(_) => Outcome::Pass,
    }
}

/// The live processes of the check, or the outcome that says why there are none.
fn find(spec: &ProcessSpec) -> Result<Vec<Found>, Outcome> {
    let uptime = system_uptime()
        .map_err(|e| Outcome::Inconclusive(format!("cannot read /proc/uptime: {e}")))?;
    match &spec.target {
        ProcessTarget::Pidfile(path) => {
            let pid = read_pidfile(path)?;
            match stat(pid, uptime) {
                Ok(Some(found)) => Ok(vec![found]),
                Ok(None) => Err(Outcome::Fail(format!(
                    "process {pid} from {} is not running",
                    path.display()
                ))),
                Err(e) if e.kind() == io::ErrorKind::PermissionDenied => Err(
                    Outcome::Inconclusive(format!("cannot read /proc/{pid}/stat: {e}")),
                ),
                Err(e) => Err(Outcome::Fail(format!(
                    "process {pid} from {}: {e}",
                    path.display()
                ))),
            }
        }
        ProcessTarget::Name(name) => {
            let pids = super::proc_pids::<u32>()
                .map_err(|e| Outcome::Inconclusive(format!("cannot list /proc: {e}")))?;
            let mut found = Vec::new();
            for pid in pids {
                let Ok(comm) = std::fs::read_to_string(format!("/proc/{pid}/comm")) else {
                    continue; // gone meanwhile, or hidden
                };
                if comm.trim_end_matches('\n') != name {
                    continue;
                }
                if let Ok(Some(live)) = stat(pid, uptime) {
                    found.push(live);
                }
            }
            Ok(found)
        }
    }
}

/// The PID in `path`.
fn read_pidfile(path: &Path) -> Result<u32, Outcome> {
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => Outcome::Fail(format!("pidfile {} is missing", path.display())),
        io::ErrorKind::PermissionDenied => {
            Outcome::Inconclusive(format!("cannot read pidfile {}: {e}", path.display()))
        }
        _ => Outcome::Fail(format!("cannot read pidfile {}: {e}", path.display())),
    })?;
    match text.trim().parse::<u32>() {
        Ok(pid) if pid > 0 => Ok(pid),
        _ => Err(Outcome::Fail(format!(
            "pidfile {} holds no PID: {:?}",
            path.display(),
            text.chars().take(40).collect::<String>()
        ))),
    }
}

/// Process `pid` if it is alive (not a zombie), with its age; `uptime` is the system's.
fn stat(pid: u32, uptime: Duration) -> io::Result<Option<Found>> {
    let text = match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so split after the last ')'.
    let Some((_, rest)) = text.rsplit_once(')') else {
        return Ok(None);
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    if matches!(fields.first(), Some(&("Z" | "X" | "x")) | None) {
        return Ok(None);
    }
    // Field 22 of proc(5), starttime, in clock ticks since boot; `fields[0]` is field 3.
    let ticks = rustix::param::clock_ticks_per_second().max(1);
    let started = fields
        .get(19)
        .and_then(|s| s.parse::<u64>().ok())
        .map(|t| Duration::from_secs_f64(t as f64 / ticks as f64))
        .unwrap_or_default();
    Ok(Some(Found {
        pid,
        age: uptime.saturating_sub(started),
    }))
}

/// Time since boot, from `/proc/uptime`.
fn system_uptime() -> io::Result<Duration> {
    let text = std::fs::read_to_string("/proc/uptime")?;
    text.split_whitespace()
        .next()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "bad /proc/uptime"))
}
