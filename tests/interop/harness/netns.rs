//! Two network namespaces joined by a veth pair: `r` (the router) and `d` (the daemon under test),
//! with IPv4 198.18.0.0/30 (and 198.18.1.0/24 for MD5/GTSM tests) and IPv6 fd00:18::/64 addresses
//! added `nodad` so they are usable at once. Deleted on drop, even when the test fails.

use std::process::Command;

use super::{require_binary, require_root, unique};

/// The router's IPv4 address.
pub const ROUTER_V4: &str = "198.18.0.1";
/// Our IPv4 address.
pub const DAEMON_V4: &str = "198.18.0.2";
/// The router's IPv6 address.
pub const ROUTER_V6: &str = "fd00:18::1";
/// Our IPv6 address.
pub const DAEMON_V6: &str = "fd00:18::2";

/// The pair of namespaces of one test.
pub struct Lab {
    /// Router namespace name.
    pub router: String,
    /// Daemon namespace name.
    pub daemon: String,
    /// Short tag used for other per-test names.
    pub tag: String,
}

fn ip(args: &[&str]) -> Result<(), String> {
    let output = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip {args:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    }
}

impl Lab {
    /// Creates the namespaces, the veth pair and the addresses; panics with the failing command.
    pub fn new() -> Lab {
        require_root();
        require_binary("ip", "iproute2");
        let pid = std::process::id();
        let n = unique();
        let tag = format!("{pid}-{n}");
        let lab = Lab {
            router: format!("acd-peer-{tag}-r"),
            daemon: format!("acd-peer-{tag}-d"),
            tag,
        };
        // Interface names are created in the root namespace first: keep them short and unique.
        let (veth_r, veth_d) = (
            format!("ap{}r{n}", pid % 1_000_000),
            format!("ap{}d{n}", pid % 1_000_000),
        );
        let steps: Vec<Vec<String>> = vec![
            vec!["netns".into(), "add".into(), lab.router.clone()],
            vec!["netns".into(), "add".into(), lab.daemon.clone()],
            vec![
                "link".into(),
                "add".into(),
                veth_r.clone(),
                "type".into(),
                "veth".into(),
                "peer".into(),
                "name".into(),
                veth_d.clone(),
            ],
            vec![
                "link".into(),
                "set".into(),
                veth_r.clone(),
                "netns".into(),
                lab.router.clone(),
                "name".into(),
                "vR".into(),
            ],
            vec![
                "link".into(),
                "set".into(),
                veth_d.clone(),
                "netns".into(),
                lab.daemon.clone(),
                "name".into(),
                "vD".into(),
            ],
        ];
        for step in &steps {
            let args: Vec<&str> = step.iter().map(String::as_str).collect();
            if let Err(error) = ip(&args) {
                let _ = ip(&["link", "del", &veth_r]);
                panic!("network lab setup failed: {error}");
            }
        }
        let (r, d) = (lab.router.as_str(), lab.daemon.as_str());
        let addresses: [&[&str]; 12] = [
            &["-n", r, "addr", "add", "198.18.0.1/30", "dev", "vR"],
            &["-n", d, "addr", "add", "198.18.0.2/30", "dev", "vD"],
            &["-n", r, "addr", "add", "198.18.1.1/24", "dev", "vR"],
            &["-n", d, "addr", "add", "198.18.1.2/24", "dev", "vD"],
            &[
                "-n",
                r,
                "addr",
                "add",
                "fd00:18::1/64",
                "dev",
                "vR",
                "nodad",
            ],
            &[
                "-n",
                d,
                "addr",
                "add",
                "fd00:18::2/64",
                "dev",
                "vD",
                "nodad",
            ],
            &["-n", r, "link", "set", "vR", "up"],
            &["-n", d, "link", "set", "vD", "up"],
            &["-n", r, "link", "set", "lo", "up"],
            &["-n", d, "link", "set", "lo", "up"],
            &[
                "-n",
                r,
                "addr",
                "add",
                "fd00:18:1::1/64",
                "dev",
                "vR",
                "nodad",
            ],
            &[
                "-n",
                d,
                "addr",
                "add",
                "fd00:18:1::2/64",
                "dev",
                "vD",
                "nodad",
            ],
        ];
        for args in addresses {
            ip(args).unwrap_or_else(|e| panic!("network lab setup failed: {e}"));
        }
        lab
    }

    /// `ip netns exec <ns> <program> <args>` as a command ready to run or spawn.
    pub fn exec(namespace: &str, program: &str, args: &[&str]) -> Command {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", namespace, program])
            .args(args);
        command
    }

    /// Runs a command in a namespace and returns its stdout, or an error with its stderr.
    pub fn run(namespace: &str, program: &str, args: &[&str]) -> Result<String, String> {
        let output = Lab::exec(namespace, program, args)
            .output()
            .map_err(|e| format!("{program}: {e}"))?;
        if output.status.success() {
            Ok(String::from_utf8_lossy(&output.stdout).into_owned())
        } else {
            Err(format!(
                "{program} {}: {}{}",
                args.join(" "),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // Deleting a namespace deletes the veth end inside it, and with it the pair.
        for namespace in [&self.router, &self.daemon] {
            if let Err(error) = ip(&["netns", "del", namespace]) {
                eprintln!("interop: could not delete namespace {namespace}: {error}");
            }
        }
    }
}
