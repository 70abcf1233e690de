//! Every process an `exec` plugin starts dies with it, even one that left the plugin's process
//! group and session with `setsid` (a killed process group misses it, and without more it would
//! be adopted by init and live on).
//!
//! Two "child subreapers" (`PR_SET_CHILD_SUBREAPER`, prctl(2)) keep every descendant in reach:
//! - each plugin is made one before it runs its program ([`make_plugin_a_subreaper`]): while it
//!   lives, whatever its descendants orphan is re-parented to the plugin, so the plugin's process
//!   tree holds all of them;
//! - the daemon is one ([`adopt_orphans`]): what a plugin leaves behind when it ends is
//!   re-parented to the daemon rather than to init.
//!
//! When a run ends ([`finish`], on the exec thread): if the plugin is still alive (time-out,
//! cancellation) its tree is frozen with SIGSTOP, walked through `/proc` until no new process
//! appears, and killed with SIGKILL; then every child of the daemon that is not a running plugin is
//! a leftover of a finished one: it is killed and reaped (by its own PID, so the plugins' statuses
//! stay with tokio).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, WaitOptions};

/// Rounds of freezing a plugin's tree before giving up on one that keeps forking (each round stops
/// every process found, so a round finds only processes forked before their parent stopped).
const FREEZE_ROUNDS: usize = 64;
/// How long to wait for a killed plugin to end, so its children are re-parented to the daemon.
const EXIT_WAIT: Duration = Duration::from_secs(1);

/// Makes the daemon a child subreaper: descendants orphaned by a plugin come to it, not to init.
/// False when the kernel refused (the plugins' process groups are still killed).
pub(super) fn adopt_orphans() -> bool {
    match rustix::process::set_child_subreaper(Some(rustix::process::getpid())) {
        Ok(()) => true,
        Err(e) => {
            log::warn!(error = e.to_string().as_str(); "cannot become a child subreaper: a plugin's setsid descendants may outlive it");
            false
        }
    }
}

/// Makes the plugin a child subreaper between `fork` and `exec`, so its orphaned descendants stay
/// in its process tree while it runs.
pub(super) fn make_plugin_a_subreaper(command: &mut tokio::process::Command) {
    crate::sys::child_subreaper_before_exec(command);
}

/// One process as `/proc/PID/stat` describes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    parent: i32,
    zombie: bool,
}

/// `pid -> (parent, zombie)` of every process visible in `/proc`.
fn processes() -> BTreeMap<i32, Entry> {
    let mut all = BTreeMap::new();
    let Ok(pids) = super::proc_pids::<i32>() else {
        return all;
    };
    for pid in pids {
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        if let Some(parsed) = parse_stat(&stat) {
            all.insert(pid, parsed);
        }
    }
    all
}

/// Parses `pid (comm) state ppid ...`; `comm` may hold spaces and parentheses, so the fields are
/// read after the last `)`.
fn parse_stat(stat: &str) -> Option<Entry> {
    let rest = stat.get(stat.rfind(')')? + 1..)?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?;
    let parent = fields.next()?.parse().ok()?;
    Some(Entry {
        parent,
        zombie: state == "Z" || state == "X",
    })
}

/// The living descendants of `root` in `table` (not `root` itself).
fn descendants(table: &BTreeMap<i32, Entry>, root: i32) -> BTreeSet<i32> {
    let mut found = BTreeSet::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for (pid, entry) in table {
            if entry.parent == parent && !entry.zombie && found.insert(*pid) {
                frontier.push(*pid);
            }
        }
    }
    found
}

fn signal(pid: i32, signal: Signal) {
    if let Some(pid) = Pid::from_raw(pid) {
        // ESRCH: it is already gone.
        let _ = rustix::process::kill_process(pid, signal);
    }
}

/// Kills the plugin `root`, which may still run, with every process of its tree; the processes
/// re-parented to the daemon are then killed and reaped by [`sweep`]. Blocking (reads `/proc`,
/// waits up to [`EXIT_WAIT`]): run on the exec thread.
pub(super) fn kill_tree(root: i32) {
    signal(root, Signal::STOP);
    let mut frozen = BTreeSet::new();
    for _ in 0..FREEZE_ROUNDS {
        let table = processes();
        let new: Vec<i32> = descendants(&table, root)
            .into_iter()
            .filter(|pid| !frozen.contains(pid))
            .collect();
        if new.is_empty() {
            break;
        }
        for pid in new {
            signal(pid, Signal::STOP);
            frozen.insert(pid);
        }
    }
    for pid in &frozen {
        signal(*pid, Signal::KILL);
    }
    signal(root, Signal::KILL);
    if let Some(group) = Pid::from_raw(root) {
        let _ = rustix::process::kill_process_group(group, Signal::KILL);
    }
    // Once the plugin has ended, its children belong to the daemon.
    let deadline = Instant::now() + EXIT_WAIT;
    while Instant::now() < deadline {
        match processes().get(&root) {
            Some(entry) if !entry.zombie => std::thread::sleep(Duration::from_millis(5)),
            _ => break,
        }
    }
}

/// Kills and reaps every child of the daemon that is not in `running` (the plugins still running,
/// whose statuses tokio collects): what finished plugins left behind. Repeats while killing them
/// brings their own children to the daemon.
pub(super) fn sweep(running: &BTreeSet<i32>) {
    let me = rustix::process::getpid().as_raw_nonzero().get();
    for _ in 0..FREEZE_ROUNDS {
        let table = processes();
        let strays: Vec<i32> = table
            .iter()
            .filter(|(pid, entry)| entry.parent == me && !running.contains(pid))
            .map(|(pid, _)| *pid)
            .collect();
        if strays.is_empty() {
            return;
        }
        for pid in &strays {
            signal(*pid, Signal::KILL);
        }
        for pid in strays {
            if let Some(pid) = Pid::from_raw(pid) {
                // Our own child, killed: the wait is short. ECHILD: someone reaped it already.
                let _ = rustix::process::waitpid(Some(pid), WaitOptions::empty());
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_names_parse() {
        let entry = parse_stat("42 (a) b (c)) S 7 42 42 0 -1").expect("parse");
        assert_eq!(
            entry,
            Entry {
                parent: 7,
                zombie: false
            }
        );
        assert!(parse_stat("43 (sh) Z 1 0").expect("zombie").zombie);
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn descendants_follow_the_parent_links() {
        let e = |parent, zombie| Entry { parent, zombie };
        let table = BTreeMap::from([
            (10, e(1, false)),
            (11, e(10, false)),
            (12, e(11, false)),
            (13, e(10, true)),
            (20, e(1, false)),
        ]);
        assert_eq!(descendants(&table, 10), BTreeSet::from([11, 12]));
        assert!(descendants(&table, 20).is_empty());
    }
}
