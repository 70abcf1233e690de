//! The interop lab: network namespaces joined by a veth pair, real routers (BIRD 2, gobgpd) in one,
//! our side in the other, and guards that tear everything down even when a test fails.
//!
//! Everything here fails loudly: a missing binary names its Debian package, no root says so, and a
//! wait that times out prints what the router showed.

// Parts of the harness serve only some of the tests.
#![allow(dead_code)]

pub mod anycastd;
pub mod bird;
pub mod frr;
pub mod gobgp;
pub mod inprocess;
pub mod netns;
pub mod process;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Panics unless the tests run as root (network namespaces, port 179, TCP MD5).
pub fn require_root() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let euid = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2));
    assert_eq!(
        euid,
        Some("0"),
        "interop tests create network namespaces and must run as root (euid is {euid:?})"
    );
}

/// Panics unless `binary` is on PATH (or is an existing path), naming the Debian package to install.
pub fn require_binary(binary: &str, package: &str) -> PathBuf {
    if binary.contains('/') {
        let path = PathBuf::from(binary);
        assert!(
            path.exists(),
            "{binary} is missing: install the Debian package `{package}`"
        );
        return path;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    let extra = ["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from);
    std::env::split_paths(&path)
        .chain(extra)
        .map(|dir| dir.join(binary))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| panic!("`{binary}` not found: install the Debian package `{package}` (apt-get install -y {package})"))
}

/// A number unique within this test process, for names of namespaces, interfaces and directories.
pub fn unique() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// A scratch directory removed on drop unless the test is failing (then its path is printed so the
/// logs can be read).
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// Creates `/tmp/<name>`.
    pub fn new(name: &str) -> Scratch {
        let path = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        Scratch { path }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A file in it.
    pub fn file(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("interop: logs and configs kept in {}", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// Polls `probe` every 200 ms until it returns `Ok`, or panics after `timeout` with `what` and the
/// last diagnostic the probe gave (e.g. the router's RIB dump).
pub fn wait_until<T>(
    timeout: Duration,
    what: &str,
    mut probe: impl FnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match probe() {
            Ok(value) => return value,
            Err(last) if Instant::now() >= deadline => {
                panic!("timed out after {timeout:?} waiting for {what}; last observation:\n{last}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Holds `probe` true (Ok) for the whole of `period`, panicking at the first failure.
pub fn holds_for(period: Duration, what: &str, mut probe: impl FnMut() -> Result<(), String>) {
    let deadline = Instant::now() + period;
    while Instant::now() < deadline {
        if let Err(observation) = probe() {
            panic!("{what} stopped holding; observation:\n{observation}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The last `lines` lines of a log, for failure messages.
pub fn tail(log: &str, lines: usize) -> String {
    let kept: Vec<&str> = log.lines().rev().take(lines).collect();
    kept.into_iter().rev().collect::<Vec<_>>().join("\n")
}

/// What the tests ask of a router, BIRD or gobgpd, so that one wait serves both.
///
/// A session is named as the router names it: BIRD by its protocol (`r4`), gobgpd by the
/// neighbour's address.
pub trait Router {
    /// The route to `prefix`, if the router has one.
    fn route(&self, prefix: &str) -> Result<Option<RouterRoute>, String>;

    /// The router's RIB, sessions and log tail, for failure messages.
    fn dump(&self) -> String;

    /// Whether the session is Established.
    fn established(&self, session: &str) -> Result<bool, String>;

    /// When the session last changed state, in whole Unix seconds: the same value while it stays up.
    fn since(&self, session: &str) -> Result<u64, String>;

    /// The router's name in messages.
    fn name(&self) -> &'static str;

    /// Waits for the session to be Established; panics with the dump otherwise.
    fn wait_established(&self, session: &str, timeout: Duration) {
        wait_until(
            timeout,
            &format!("{} session {session} Established", self.name()),
            || match self.established(session) {
                Ok(true) => Ok(()),
                _ => Err(self.dump()),
            },
        );
    }

    /// Waits for a route to `prefix`; returns it.
    fn wait_route(&self, prefix: &str, timeout: Duration) -> RouterRoute {
        wait_until(
            timeout,
            &format!("{prefix} in {}'s RIB", self.name()),
            || match self.route(prefix) {
                Ok(Some(route)) => Ok(route),
                _ => Err(self.dump()),
            },
        )
    }

    /// Waits for a route to `prefix` and asserts its next hop and AS path.
    fn wait_route_via(&self, prefix: &str, next_hop: &str, as_path: &[u32], timeout: Duration) {
        let route = self.wait_route(prefix, timeout);
        assert_eq!(
            (route.next_hop.as_str(), route.as_path.as_slice()),
            (next_hop, as_path),
            "{prefix} in {}'s RIB:\n{}",
            self.name(),
            self.dump()
        );
    }

    /// Waits until the router has no route to `prefix`.
    fn wait_no_route(&self, prefix: &str, timeout: Duration) {
        wait_until(
            timeout,
            &format!("{prefix} gone from {}'s RIB", self.name()),
            || match self.route(prefix) {
                Ok(None) => Ok(()),
                _ => Err(self.dump()),
            },
        );
    }

    /// Holds the session up, with the same `since`, for `period`.
    fn holds_session(&self, session: &str, since: u64, period: Duration) {
        holds_for(
            period,
            &format!("{}'s session {session}", self.name()),
            || match self.since(session) {
                Ok(now) if now == since => Ok(()),
                _ => Err(self.dump()),
            },
        );
    }
}

/// One route as a router shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouterRoute {
    /// The prefix in the router's notation (`192.0.2.1/32`, `2001:db8::1/128`).
    pub prefix: String,
    /// BGP next hop.
    pub next_hop: String,
    /// AS path numbers in order.
    pub as_path: Vec<u32>,
}
