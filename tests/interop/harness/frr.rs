//! FRR in the router namespace: zebra, bfdd and bgpd run in the foreground (the guards own their
//! PIDs), as user `frr` with every socket and file in the scratch directory, queried through
//! `vtysh --vty_socket`. bgpd learns BFD state from bfdd through zebra, so all three run.

use std::fmt::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

use super::netns::{DAEMON_V4, DAEMON_V6, Lab, ROUTER_V4};
use super::process::Daemon;
use super::{Router, RouterRoute, Scratch, require_binary, tail, wait_until};

const DAEMONS: &str = "/usr/lib/frr";

/// FRR's BFD profile for our sessions.
#[derive(Debug, Clone, Copy)]
pub struct FrrBfd {
    /// `receive-interval` and `transmit-interval`, milliseconds.
    pub interval_ms: u32,
    /// `detect-multiplier`.
    pub multiplier: u8,
    /// `passive-mode`: FRR waits for our first packet.
    pub passive: bool,
}

/// A running FRR (zebra, bfdd, bgpd) with our two addresses as passive eBGP neighbours (AS 65000
/// to our 65001), BFD on both.
pub struct Frr {
    daemons: Vec<Daemon>,
    vty: PathBuf,
    logs: Vec<PathBuf>,
}

fn bgpd_config(log: &std::path::Path) -> String {
    let mut text = String::new();
    let _ = writeln!(
        text,
        "frr defaults traditional\nhostname r\nlog file {} informational\n!",
        log.display()
    );
    let _ = writeln!(
        text,
        "router bgp 65000\n bgp router-id {ROUTER_V4}\n no bgp ebgp-requires-policy\n no bgp default ipv4-unicast"
    );
    for neighbor in [DAEMON_V4, DAEMON_V6] {
        let _ = writeln!(
            text,
            " neighbor {neighbor} remote-as 65001\n neighbor {neighbor} passive\n neighbor {neighbor} timers 3 9\n neighbor {neighbor} bfd\n neighbor {neighbor} bfd profile ours"
        );
    }
    for (family, neighbor) in [("ipv4", DAEMON_V4), ("ipv6", DAEMON_V6)] {
        let _ = writeln!(
            text,
            " address-family {family} unicast\n  neighbor {neighbor} activate\n exit-address-family"
        );
    }
    text.push_str("!\n");
    text
}

fn bfdd_config(log: &std::path::Path, bfd: FrrBfd) -> String {
    format!(
        "hostname r\nlog file {}\nbfd\n profile ours\n  receive-interval {ms}\n  transmit-interval {ms}\n  detect-multiplier {}\n{} !\n!\n",
        log.display(),
        bfd.multiplier,
        if bfd.passive { "  passive-mode\n" } else { "" },
        ms = bfd.interval_ms,
    )
}

impl Frr {
    /// Writes the configs and starts zebra, bfdd and bgpd inside `lab.router`.
    pub fn start(lab: &Lab, scratch: &Scratch, bfd: FrrBfd) -> Frr {
        require_binary("vtysh", "frr");
        // The daemons drop to user frr: they must be able to create their sockets and logs here.
        let _ = std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o777));
        let zserv = scratch.file("zserv.api").display().to_string();
        let vty = scratch.path().to_path_buf();
        let mut frr = Frr {
            daemons: Vec::new(),
            vty: vty.clone(),
            logs: Vec::new(),
        };
        for daemon in ["zebra", "bfdd", "bgpd"] {
            let config = scratch.file(&format!("{daemon}.conf"));
            let log = scratch.file(&format!("{daemon}.log"));
            let text = match daemon {
                "bgpd" => bgpd_config(&log),
                "bfdd" => bfdd_config(&log, bfd),
                _ => format!("hostname r\nlog file {}\n", log.display()),
            };
            std::fs::write(&config, text).unwrap_or_else(|e| panic!("write {daemon}.conf: {e}"));
            let (config, pid) = (
                config.display().to_string(),
                scratch.file(&format!("{daemon}.pid")).display().to_string(),
            );
            let mut args = vec!["-f", &config, "-i", &pid, "-z", &zserv, "-P", "0"];
            let vty_text = vty.display().to_string();
            args.extend(["--vty_socket", &vty_text]);
            let bfdctl = scratch.file("bfdd.sock").display().to_string();
            if daemon == "bfdd" {
                args.extend(["--bfdctl", &bfdctl]);
            }
            let program = format!("{DAEMONS}/{daemon}");
            let command = Lab::exec(&lab.router, &program, &args);
            frr.daemons.push(Daemon::spawn(
                daemon,
                command,
                &scratch.file(&format!("{daemon}.out")),
            ));
            frr.logs.push(log);
            wait_until(Duration::from_secs(10), &format!("FRR's {daemon}"), || {
                if let Some(last) = frr.daemons.last_mut() {
                    last.assert_running();
                }
                frr.vtysh(daemon, "show version").map(|_| ())
            });
        }
        frr
    }

    /// Runs one command in `daemon`'s vty.
    pub fn vtysh(&self, daemon: &str, command: &str) -> Result<String, String> {
        let output = std::process::Command::new("vtysh")
            .arg("--vty_socket")
            .arg(&self.vty)
            .args(["-d", daemon, "-c", command])
            .output()
            .map_err(|e| format!("vtysh: {e}"))?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        if output.status.success() {
            Ok(text)
        } else {
            Err(format!(
                "vtysh -d {daemon} -c {command}: {text}{}",
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    fn json(&self, daemon: &str, command: &str) -> Result<Value, String> {
        let text = self.vtysh(daemon, command)?;
        serde_json::from_str(&text).map_err(|e| format!("{command}: {e}: {text}"))
    }

    /// bfdd's view of the session with `peer`: `show bfd peers json`.
    pub fn bfd_peer(&self, peer: &str) -> Result<Value, String> {
        let peers = self.json("bfdd", "show bfd peers json")?;
        peers
            .as_array()
            .and_then(|all| all.iter().find(|p| p["peer"] == peer))
            .cloned()
            .ok_or_else(|| format!("no BFD peer {peer} in {peers}"))
    }
}

impl Router for Frr {
    fn route(&self, prefix: &str) -> Result<Option<RouterRoute>, String> {
        let family = if prefix.contains(':') { "ipv6" } else { "ipv4" };
        let table = self.json("bgpd", &format!("show bgp {family} unicast json"))?;
        let Some(paths) = table["routes"][prefix].as_array() else {
            return Ok(None);
        };
        let Some(best) = paths
            .iter()
            .find(|p| p["bestpath"] == true)
            .or(paths.first())
        else {
            return Ok(None);
        };
        Ok(Some(RouterRoute {
            prefix: prefix.to_string(),
            next_hop: best["nexthops"][0]["ip"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            as_path: best["path"]
                .as_str()
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|asn| asn.parse().ok())
                .collect(),
        }))
    }

    fn dump(&self) -> String {
        let mut out = String::new();
        for (daemon, command) in [
            ("bgpd", "show bgp summary"),
            ("bgpd", "show bgp ipv4 unicast"),
            ("bgpd", "show bgp ipv6 unicast"),
            ("bfdd", "show bfd peers"),
        ] {
            let text = self.vtysh(daemon, command).unwrap_or_else(|e| e);
            let _ = writeln!(out, "== {daemon}: {command} ==\n{text}");
        }
        for log in &self.logs {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            let _ = writeln!(out, "== {} (tail) ==\n{}", log.display(), tail(&text, 15));
        }
        out
    }

    fn established(&self, neighbor: &str) -> Result<bool, String> {
        let value = self.json("bgpd", &format!("show bgp neighbors {neighbor} json"))?;
        Ok(value[neighbor]["bgpState"] == "Established")
    }

    fn since(&self, neighbor: &str) -> Result<u64, String> {
        let value = self.json("bgpd", &format!("show bgp neighbors {neighbor} json"))?;
        value[neighbor]["bgpTimerUpEstablishedEpoch"]
            .as_u64()
            .ok_or_else(|| format!("no established time for {neighbor} in {value}"))
    }

    fn name(&self) -> &'static str {
        "FRR"
    }
}
