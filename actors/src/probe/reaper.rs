//! Every process an `exec` plugin starts dies with it, even one that left the plugin's process
//! group and session with `setsid` (a killed process group misses it, and without more it would
//! be adopted by init and live on).
//!
//! Two "child subreapers" (`PR_SET_CHILD_SUBREAPER`, prctl(2)) keep every descendant in reach:
//! - each plugin is made one before it runs its program ([`crate::sys::spawn_subreaper`]): while it
//!   lives, whatever its descendants orphan is re-parented to the plugin, so the plugin's process
//!   tree holds all of them;
//! - the daemon is one ([`adopt_orphans`]): what a plugin leaves behind when it ends is
//!   re-parented to the daemon rather than to init.
//!
//! When a run ends (on the exec reaper thread, [`super::spawner`]): if the plugin is still alive
//! (time-out, cancellation) its tree is frozen with SIGSTOP, walked through `/proc` until no new
//! process appears, and killed with SIGKILL; then every child of the daemon that is not a running
//! plugin is a leftover of a finished one: it is killed and reaped (by its own PID, so a running
//! plugin's status stays with its probe).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, PoisonError};
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
/// waits up to [`EXIT_WAIT`] for the plugin to end): run on the exec reaper thread.
pub(super) fn kill_tree(root: i32) {
    signal(root, Signal::STOP);
    let mut frozen = BTreeSet::new();
    for _ in 0..FREEZE_ROUNDS {
        let new: Vec<i32> = descendants_of(root)
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
        let stat = std::fs::read_to_string(format!("/proc/{root}/stat"));
        match stat.ok().as_deref().and_then(parse_stat) {
            Some(entry) if !entry.zombie => std::thread::sleep(Duration::from_millis(1)),
            _ => break,
        }
    }
}

/// Whether this kernel lists a thread's children in `/proc/PID/task/TID/children`
/// (`CONFIG_PROC_CHILDREN`).
fn children_files() -> bool {
    static KNOWN: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *KNOWN.get_or_init(|| std::path::Path::new("/proc/thread-self/children").exists())
}

/// The processes below `root`, zombies included: from the `children` files of each process's
/// threads (a few reads per process of the tree), or from a walk of all of `/proc` on kernels
/// without them.
fn descendants_of(root: i32) -> BTreeSet<i32> {
    if !children_files() {
        return descendants(&processes(), root);
    }
    let mut found = BTreeSet::new();
    let mut frontier = vec![root];
    while let Some(parent) = frontier.pop() {
        for child in children_of(parent) {
            if found.insert(child) {
                frontier.push(child);
            }
        }
    }
    found
}

/// The children of process `pid` (every thread's), from `/proc/PID/task/*/children`; none when
/// it is gone.
fn children_of(pid: impl std::fmt::Display) -> BTreeSet<i32> {
    let mut children = BTreeSet::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return children;
    };
    for task in tasks.flatten() {
        // A thread that ended between the listing and the read has no children left.
        if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
            children.extend(parse_children(&list));
        }
    }
    children
}

/// Reaps the plugin `pid`, killed, when the daemon is not a subreaper (no [`sweep`]).
pub(super) fn reap(pid: i32) {
    if let Some(pid) = Pid::from_raw(pid) {
        let _ = rustix::process::waitpid(Some(pid), WaitOptions::empty());
    }
}

/// Kills and reaps every child of the daemon that is not in `running` (the plugins started and not
/// yet finished, whose statuses their probes collect): what finished plugins left behind. Repeats
/// while killing them brings their own children to the daemon.
///
/// Runs after every plugin, so it reads only the daemon's own children (the `children` file of
/// each of its threads, a few bytes each) rather than every process of the machine: at a thousand
/// plugins a second a walk of `/proc` took most of a core. Kernels without those files get the walk.
pub(super) fn sweep(running: &Mutex<BTreeSet<i32>>) {
    let me = rustix::process::getpid().as_raw_nonzero().get();
    for _ in 0..FREEZE_ROUNDS {
        let strays: Vec<i32> = {
            // Held while the children are read: a plugin being started is in `running` before
            // it can show up among them.
            let running = running.lock().unwrap_or_else(PoisonError::into_inner);
            let children = if children_files() {
                children_of("self")
            } else {
                processes()
                    .into_iter()
                    .filter(|(_, entry)| entry.parent == me)
                    .map(|(pid, _)| pid)
                    .collect()
            };
            children
                .into_iter()
                .filter(|pid| !running.contains(pid))
                .collect()
        };
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

/// `/proc/PID/task/TID/children`: PIDs separated by spaces.
fn parse_children(list: &str) -> impl Iterator<Item = i32> + '_ {
    list.split_whitespace().filter_map(|pid| pid.parse().ok())
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
    fn children_lists_parse_and_skip_garbage() {
        let parsed: Vec<i32> = parse_children("12 345 x 7 \n").collect();
        assert_eq!(parsed, vec![12, 345, 7]);
        assert_eq!(parse_children("").count(), 0);
    }

    #[test]
    fn the_daemon_s_children_are_found_by_their_threads() {
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .expect("spawn sleep");
        let pid = i32::try_from(child.id()).expect("pid");
        assert!(children_files(), "this kernel has /proc/*/task/*/children");
        let found = children_of("self");
        let _ = child.kill();
        let _ = child.wait();
        assert!(found.contains(&pid), "{pid} not in {found:?}");
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
