//! The core crate stays pure: no async runtime, actor system, socket, clock or logging crate may appear
//! among its normal (non-dev) dependencies, directly or transitively. The compiler then keeps I/O out of
//! `src/`: the crate cannot name what it does not depend on.

use std::collections::{BTreeSet, HashMap};
use std::process::Command;

use serde_json::Value;

/// Crates that mean I/O, time or logging; none may be reachable from `anycastd`'s normal dependencies.
const FORBIDDEN: &[&str] = &[
    "tokio",
    "tokio-util",
    "mio",
    "actix",
    "actix-rt",
    "actix-web",
    "awc",
    "socket2",
    "log",
    "env_logger",
    "tracing",
    "futures",
    "futures-util",
    "async-std",
    "chrono",
    "time",
    "libc",
    "nix",
    "rand",
];

/// The host's target triple, as `rustc -vV` prints it.
fn host_triple() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let output = Command::new(rustc).arg("-vV").output().expect("rustc runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .expect("rustc -vV names the host")
        .trim()
        .to_string()
}

/// `cargo metadata` for this platform only: offline, it can resolve only the crates that `cargo test`
/// downloaded, which are the host's (a lock file also lists crates for Android, Windows, ...).
fn metadata() -> Value {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--offline"])
        .args(["--filter-platform", &host_triple()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("cargo metadata prints JSON")
}

/// Names of every package reachable from `root` through normal (non-dev, non-build) dependency edges.
fn normal_closure(meta: &Value, root_name: &str) -> BTreeSet<String> {
    let packages = meta["packages"].as_array().expect("packages");
    let name_of: HashMap<&str, &str> = packages
        .iter()
        .map(|p| {
            (
                p["id"].as_str().expect("id"),
                p["name"].as_str().expect("name"),
            )
        })
        .collect();
    let nodes = meta["resolve"]["nodes"].as_array().expect("resolve nodes");
    let edges: HashMap<&str, Vec<&str>> = nodes
        .iter()
        .map(|node| {
            let id = node["id"].as_str().expect("node id");
            let normal = node["deps"]
                .as_array()
                .expect("deps")
                .iter()
                .filter(|dep| {
                    dep["dep_kinds"]
                        .as_array()
                        .expect("dep_kinds")
                        .iter()
                        .any(|kind| kind["kind"].is_null())
                })
                .map(|dep| dep["pkg"].as_str().expect("pkg"))
                .collect();
            (id, normal)
        })
        .collect();
    let root = name_of
        .iter()
        .find(|(_, name)| **name == root_name)
        .map(|(id, _)| *id)
        .expect("root package");
    let mut seen = BTreeSet::new();
    let mut stack = vec![root];
    while let Some(id) = stack.pop() {
        if seen.insert(id) {
            stack.extend(edges.get(id).into_iter().flatten().copied());
        }
    }
    seen.into_iter().map(|id| name_of[id].to_string()).collect()
}

#[test]
fn core_crate_depends_on_no_runtime_socket_clock_or_logging_crate() {
    let meta = metadata();
    let closure = normal_closure(&meta, "anycastd");
    let found: Vec<&str> = FORBIDDEN
        .iter()
        .copied()
        .filter(|name| closure.contains(*name))
        .collect();
    assert!(
        found.is_empty(),
        "the pure core crate reaches {found:?}; its dependencies: {closure:?}"
    );
}

#[test]
fn the_purity_check_sees_the_actor_crate_as_impure() {
    // Guards the test above against a metadata walk that finds nothing: the actors crate must trip it.
    let meta = metadata();
    let closure = normal_closure(&meta, "anycastd-actors");
    assert!(
        closure.contains("tokio") && closure.contains("actix"),
        "walk is broken: {closure:?}"
    );
}
