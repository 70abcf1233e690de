//! gobgpd in a namespace: generated TOML, gRPC API on loopback inside the namespace, queried with
//! `ip netns exec NS gobgp -p PORT ... -j`.

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;

use super::netns::{DAEMON_V4, DAEMON_V6, Lab, ROUTER_V4, ROUTER_V6};
use super::process::Daemon;
use super::{Router, RouterRoute, Scratch, require_binary, tail, wait_until};

/// The gRPC port inside the namespace (each namespace has its own loopback).
pub const API_PORT: &str = "50051";

/// One neighbour of gobgpd.
#[derive(Debug, Clone)]
pub struct GobgpPeer {
    /// The neighbour's address.
    pub address: String,
    /// The neighbour's AS.
    pub asn: u32,
    /// Wait for the neighbour to connect.
    pub passive: bool,
    /// Hold time.
    pub hold_time: u16,
    /// Graceful restart (RFC 4724) with this restart time, and the N bit (RFC 8538).
    pub graceful_restart: Option<u16>,
}

impl GobgpPeer {
    /// Our side as gobgpd's neighbour: AS 65001 at `address`, which connects to gobgpd; hold time 9.
    pub fn ours(address: &str) -> GobgpPeer {
        GobgpPeer {
            address: address.into(),
            asn: 65001,
            passive: true,
            hold_time: 9,
            graceful_restart: None,
        }
    }
}

/// A running gobgpd.
pub struct Gobgp {
    daemon: Daemon,
    namespace: String,
}

/// Renders the TOML configuration.
pub fn config(asn: u32, router_id: &str, local_addresses: &[&str], peers: &[GobgpPeer]) -> String {
    let mut text = String::new();
    let list: Vec<String> = local_addresses.iter().map(|a| format!("\"{a}\"")).collect();
    let _ = writeln!(
        text,
        "[global.config]\n  as = {asn}\n  router-id = \"{router_id}\"\n  port = 179"
    );
    let _ = writeln!(text, "  local-address-list = [{}]", list.join(", "));
    for peer in peers {
        let family = if peer.address.contains(':') {
            "ipv6-unicast"
        } else {
            "ipv4-unicast"
        };
        let _ = writeln!(text, "[[neighbors]]\n  [neighbors.config]");
        let _ = writeln!(
            text,
            "    neighbor-address = \"{}\"\n    peer-as = {}",
            peer.address, peer.asn
        );
        let _ = writeln!(
            text,
            "  [neighbors.timers.config]\n    hold-time = {}",
            peer.hold_time
        );
        let _ = writeln!(text, "    connect-retry = 1");
        let _ = writeln!(
            text,
            "  [neighbors.transport.config]\n    passive-mode = {}",
            peer.passive
        );
        if let Some(restart_time) = peer.graceful_restart {
            let _ = writeln!(
                text,
                "  [neighbors.graceful-restart.config]\n    enabled = true\n    restart-time = {restart_time}\n    notification-enabled = true"
            );
        }
        let _ = writeln!(
            text,
            "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]"
        );
        let _ = writeln!(text, "      afi-safi-name = \"{family}\"");
        if peer.graceful_restart.is_some() {
            let _ = writeln!(
                text,
                "    [neighbors.afi-safis.mp-graceful-restart.config]\n      enabled = true"
            );
        }
    }
    text
}

impl Gobgp {
    /// Writes the config and starts gobgpd inside `namespace`, API on 127.0.0.1 there.
    pub fn start(namespace: &str, scratch: &Scratch, config_text: &str) -> Gobgp {
        require_binary("gobgpd", "gobgpd");
        require_binary("gobgp", "gobgpd");
        let path = scratch.file("gobgpd.toml");
        std::fs::write(&path, config_text).unwrap_or_else(|e| panic!("write gobgpd.toml: {e}"));
        let path = path.display().to_string();
        let api = format!("127.0.0.1:{API_PORT}");
        let command = Lab::exec(
            namespace,
            "gobgpd",
            &[
                "-f",
                &path,
                "-t",
                "toml",
                "-p",
                "--api-hosts",
                &api,
                "--pprof-disable",
            ],
        );
        let daemon = Daemon::spawn("gobgpd", command, &scratch.file("gobgpd.log"));
        let mut gobgp = Gobgp {
            daemon,
            namespace: namespace.to_string(),
        };
        wait_until(Duration::from_secs(10), "gobgpd's API", || {
            gobgp.daemon.assert_running();
            gobgp.cli(&["global"]).map(|_| ())
        });
        gobgp
    }

    /// gobgpd in the lab's router namespace as AS 65000, waiting for our side on both addresses
    /// ([`GobgpPeer::ours`] for [`DAEMON_V4`] and [`DAEMON_V6`]).
    pub fn for_daemon(lab: &Lab, scratch: &Scratch) -> Gobgp {
        Gobgp::start(
            &lab.router,
            scratch,
            &config(
                65000,
                ROUTER_V4,
                &[ROUTER_V4, ROUTER_V6],
                &[GobgpPeer::ours(DAEMON_V4), GobgpPeer::ours(DAEMON_V6)],
            ),
        )
    }

    /// Waits for a line of gobgpd's log that contains every one of `texts`; returns it.
    pub fn wait_log_line(&self, texts: &[&str], timeout: Duration) -> String {
        wait_until(
            timeout,
            &format!("a gobgpd log line with {texts:?}"),
            || {
                let log = self.daemon.log();
                log.lines()
                    .find(|line| texts.iter().all(|text| line.contains(text)))
                    .map(str::to_string)
                    .ok_or(log)
            },
        )
    }

    /// Kills gobgpd (SIGKILL).
    pub fn kill(&mut self) {
        self.daemon.kill();
    }

    /// The PID.
    pub fn pid(&self) -> u32 {
        self.daemon.pid()
    }

    /// Runs `gobgp -p PORT <args>` inside the namespace.
    pub fn cli(&self, args: &[&str]) -> Result<String, String> {
        let mut full = vec!["-u", "127.0.0.1", "-p", API_PORT];
        full.extend_from_slice(args);
        Lab::run(&self.namespace, "gobgp", &full)
    }

    /// The routes of one family (`ipv4` or `ipv6`) in the global RIB.
    pub fn routes(&self, family: &str) -> Result<Vec<RouterRoute>, String> {
        let text = self.cli(&["global", "rib", "-a", family, "-j"])?;
        parse_rib(&text)
    }

    /// The neighbour's session state in gobgp's words (`established`, `active`...).
    pub fn state(&self, neighbor: &str) -> Result<String, String> {
        let value = self.neighbor(neighbor)?;
        let state = &value["state"]["session_state"];
        Ok(match state {
            Value::Number(n) => match n.as_u64() {
                Some(1) => "idle".into(),
                Some(2) => "connect".into(),
                Some(3) => "active".into(),
                Some(4) => "opensent".into(),
                Some(5) => "openconfirm".into(),
                Some(6) => "established".into(),
                _ => format!("unknown {n}"),
            },
            Value::String(s) => s.to_lowercase(),
            other => format!("unknown {other}"),
        })
    }

    /// The neighbour's state as `gobgp neighbor ADDRESS -j` prints it.
    pub fn neighbor(&self, neighbor: &str) -> Result<Value, String> {
        let text = self.cli(&["neighbor", neighbor, "-j"])?;
        serde_json::from_str(&text).map_err(|e| format!("{e}: {text}"))
    }
}

impl Router for Gobgp {
    /// The route to `prefix`.
    fn route(&self, prefix: &str) -> Result<Option<RouterRoute>, String> {
        let family = if prefix.contains(':') { "ipv6" } else { "ipv4" };
        Ok(self
            .routes(family)?
            .into_iter()
            .find(|r| r.prefix == prefix))
    }

    /// `global rib` for both families and `neighbor`, plus the log tail, for failure messages.
    fn dump(&self) -> String {
        let v4 = self
            .cli(&["global", "rib", "-a", "ipv4"])
            .unwrap_or_else(|e| e);
        let v6 = self
            .cli(&["global", "rib", "-a", "ipv6"])
            .unwrap_or_else(|e| e);
        let neighbors = self.cli(&["neighbor"]).unwrap_or_else(|e| e);
        let log = self.daemon.log();
        format!(
            "== gobgp global rib ==\n{v4}\n== gobgp global rib -a ipv6 ==\n{v6}\n== gobgp neighbor ==\n{neighbors}\n== gobgpd log (tail) ==\n{}",
            tail(&log, 20)
        )
    }

    fn established(&self, neighbor: &str) -> Result<bool, String> {
        Ok(self.state(neighbor)? == "established")
    }

    /// The neighbour's uptime stamp (`timers.state.uptime.seconds`): when the session came up.
    fn since(&self, neighbor: &str) -> Result<u64, String> {
        let value = self.neighbor(neighbor)?;
        let uptime = &value["timers"]["state"]["uptime"];
        uptime["seconds"]
            .as_u64()
            .ok_or_else(|| format!("no uptime for {neighbor} in {value}"))
    }

    fn name(&self) -> &'static str {
        "gobgpd"
    }
}

/// Parses `gobgp global rib -j`: `{"<prefix>": [{"nlri": {...}, "attrs": [{"type": 2, "as_paths":
/// [{"asns": [..]}]}, {"type": 3, "nexthop": ".."}, {"type": 14, "nexthop": ".."}], ...}]}`.
pub fn parse_rib(text: &str) -> Result<Vec<RouterRoute>, String> {
    if text.trim().is_empty() || text.trim() == "null" {
        return Ok(Vec::new());
    }
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("gobgp rib JSON: {e}: {text}"))?;
    let Value::Object(map) = value else {
        return Ok(Vec::new());
    };
    let mut routes = Vec::new();
    for (prefix, paths) in map {
        for path in paths.as_array().into_iter().flatten() {
            let mut route = RouterRoute {
                prefix: prefix.clone(),
                next_hop: String::new(),
                as_path: Vec::new(),
            };
            for attr in path["attrs"].as_array().into_iter().flatten() {
                if let Some(hop) = attr["nexthop"].as_str() {
                    route.next_hop = hop.to_string();
                }
                for segment in attr["as_paths"].as_array().into_iter().flatten() {
                    route.as_path.extend(
                        segment["asns"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_u64)
                            .filter_map(|a| u32::try_from(a).ok()),
                    );
                }
            }
            routes.push(route);
        }
    }
    Ok(routes)
}
