//! BIRD 2 in the router namespace: generated config (`passive on`, import all, export none), started in
//! the foreground so the guard owns its PID, queried through `birdc` on its control socket.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::netns::{DAEMON_V4, DAEMON_V6, Lab, ROUTER_V4, ROUTER_V6};
use super::process::Daemon;
use super::{Router, RouterRoute, Scratch, require_binary, tail, wait_until};

/// One `protocol bgp` block.
#[derive(Debug, Clone)]
pub struct BirdPeer {
    /// Protocol name (also what `show protocols` shows).
    pub name: String,
    /// BIRD's address on the link.
    pub local: String,
    /// Our address.
    pub neighbor: String,
    /// BIRD's AS.
    pub local_as: u32,
    /// Our AS.
    pub neighbor_as: u32,
    /// `password` (TCP MD5).
    pub password: Option<String>,
    /// `ttl security yes` (GTSM).
    pub ttl_security: bool,
    /// `hold time`.
    pub hold_time: u16,
    /// Channels (`ipv4`, `ipv6`); by default the family of the neighbour address.
    pub families: Vec<&'static str>,
    /// Wait for the neighbour to connect (default); otherwise BIRD connects to its port 179.
    pub passive: bool,
    /// `bfd on`, with the `protocol bfd` settings of the first peer that has them.
    pub bfd: Option<BirdBfd>,
}

/// BIRD's `protocol bfd` (RFC 5880 single hop on the link).
#[derive(Debug, Clone, Copy)]
pub struct BirdBfd {
    /// `min rx interval` and `min tx interval`, milliseconds.
    pub interval_ms: u32,
    /// `multiplier`.
    pub multiplier: u8,
    /// `passive yes`: BIRD waits for our first packet.
    pub passive: bool,
}

/// One row of `show bfd sessions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BirdBfdSession {
    /// The neighbour's address.
    pub address: String,
    /// `Up`, `Down`, `Init`, `AdminDown`.
    pub state: String,
    /// Unix seconds of the last change (the lab's `timeformat protocol`).
    pub since: String,
    /// The transmit interval in force, seconds.
    pub interval: String,
}

impl BirdPeer {
    /// An eBGP peer with BIRD as AS 65000 and us as AS 65001, hold time 9 s.
    pub fn new(name: &str, local: &str, neighbor: &str) -> BirdPeer {
        BirdPeer {
            name: name.into(),
            local: local.into(),
            neighbor: neighbor.into(),
            local_as: 65000,
            neighbor_as: 65001,
            password: None,
            ttl_security: false,
            hold_time: 9,
            families: Vec::new(),
            passive: true,
            bfd: None,
        }
    }

    /// The lab's IPv4 session, protocol `r4`: BIRD on [`ROUTER_V4`], us on [`DAEMON_V4`].
    pub fn r4() -> BirdPeer {
        BirdPeer::new("r4", ROUTER_V4, DAEMON_V4)
    }

    /// The lab's IPv6 session, protocol `r6`: BIRD on [`ROUTER_V6`], us on [`DAEMON_V6`].
    pub fn r6() -> BirdPeer {
        BirdPeer::new("r6", ROUTER_V6, DAEMON_V6)
    }

    fn is_ipv6(&self) -> bool {
        self.neighbor.contains(':')
    }
}

/// A running BIRD.
pub struct Bird {
    daemon: Daemon,
    namespace: String,
    config: PathBuf,
    control: PathBuf,
    log: PathBuf,
}

/// Renders the configuration.
pub fn config(router_id: &str, log: &std::path::Path, peers: &[BirdPeer]) -> String {
    let mut text = String::new();
    let _ = writeln!(text, "log \"{}\" all;", log.display());
    let _ = writeln!(text, "router id {router_id};");
    let _ = writeln!(text, "timeformat protocol \"%s\";");
    let _ = writeln!(text, "protocol device {{ }}");
    if let Some(bfd) = peers.iter().find_map(|p| p.bfd) {
        let _ = writeln!(
            text,
            "protocol bfd {{\n  interface \"*\" {{\n    min rx interval {0} ms;\n    min tx interval {0} ms;\n    multiplier {1};\n    passive {2};\n  }};\n}}",
            bfd.interval_ms,
            bfd.multiplier,
            if bfd.passive { "yes" } else { "no" }
        );
    }
    for peer in peers {
        let default = if peer.is_ipv6() { "ipv6" } else { "ipv4" };
        let families = if peer.families.is_empty() {
            vec![default]
        } else {
            peer.families.clone()
        };
        let _ = writeln!(text, "protocol bgp {} {{", peer.name);
        let _ = writeln!(text, "  local {} as {};", peer.local, peer.local_as);
        let _ = writeln!(
            text,
            "  neighbor {} as {};",
            peer.neighbor, peer.neighbor_as
        );
        if peer.passive {
            let _ = writeln!(text, "  passive on;");
        } else {
            let _ = writeln!(text, "  connect delay time 1;\n  connect retry time 2;");
        }
        if peer.local_as == peer.neighbor_as {
            // iBGP is multihop in BIRD by default; the lab's neighbour is on the link, with no IGP
            // to resolve its next hop through.
            let _ = writeln!(text, "  direct;");
        }
        let _ = writeln!(text, "  hold time {};", peer.hold_time);
        let _ = writeln!(text, "  error wait time 1, 5;");
        if let Some(password) = &peer.password {
            let _ = writeln!(text, "  password \"{password}\";");
        }
        if peer.ttl_security {
            let _ = writeln!(text, "  ttl security yes;");
        }
        if peer.bfd.is_some() {
            let _ = writeln!(text, "  bfd on;");
        }
        for family in families {
            // A next hop of the other family is not on a link BIRD knows: resolve it in the table.
            let gateway = if family != default {
                " next hop self; gateway recursive;"
            } else {
                ""
            };
            let _ = writeln!(text, "  {family} {{ import all; export none;{gateway} }};");
        }
        let _ = writeln!(text, "}}");
    }
    text
}

impl Bird {
    /// Writes the config, checks it with `bird -p`, and starts BIRD inside `lab.router`.
    pub fn start(lab: &Lab, scratch: &Scratch, router_id: &str, peers: &[BirdPeer]) -> Bird {
        require_binary("bird", "bird2");
        require_binary("birdc", "bird2");
        let config_path = scratch.file("bird.conf");
        let log = scratch.file("bird.log");
        std::fs::write(&config_path, config(router_id, &log, peers))
            .unwrap_or_else(|e| panic!("write bird.conf: {e}"));
        let check = Command::new("bird")
            .arg("-p")
            .arg("-c")
            .arg(&config_path)
            .output();
        match check {
            Ok(out) if out.status.success() => {}
            Ok(out) => panic!(
                "bird rejected its config: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
            Err(e) => panic!("cannot run bird -p: {e}"),
        }
        let control = scratch.file("bird.ctl");
        let daemon = Bird::spawn(lab, scratch, &config_path, &control);
        let bird = Bird {
            daemon,
            namespace: lab.router.clone(),
            config: config_path,
            control,
            log,
        };
        wait_until(Duration::from_secs(10), "BIRD's control socket", || {
            bird.birdc("show status").map(|_| ())
        });
        bird
    }

    /// BIRD with the lab's two sessions, [`BirdPeer::r4`] and [`BirdPeer::r6`].
    pub fn dual_stack(lab: &Lab, scratch: &Scratch) -> Bird {
        Bird::start(lab, scratch, ROUTER_V4, &[BirdPeer::r4(), BirdPeer::r6()])
    }

    fn spawn(
        lab: &Lab,
        scratch: &Scratch,
        config: &std::path::Path,
        control: &std::path::Path,
    ) -> Daemon {
        let _ = std::fs::remove_file(control);
        let (config, control) = (config.display().to_string(), control.display().to_string());
        let command = Lab::exec(&lab.router, "bird", &["-f", "-c", &config, "-s", &control]);
        Daemon::spawn("bird", command, &scratch.file("bird.out"))
    }

    /// Kills BIRD (SIGKILL, so no NOTIFICATION is sent) and starts it again with the same config.
    pub fn kill_and_restart(&mut self, lab: &Lab, scratch: &Scratch) {
        self.daemon.kill();
        let _ = &self.namespace;
        self.daemon = Bird::spawn(lab, scratch, &self.config, &self.control);
        wait_until(
            Duration::from_secs(10),
            "BIRD's control socket after restart",
            || self.birdc("show status").map(|_| ()),
        );
    }

    /// The PID of the BIRD process.
    pub fn pid(&self) -> u32 {
        self.daemon.pid()
    }

    /// Runs one `birdc` command.
    pub fn birdc(&self, command: &str) -> Result<String, String> {
        let mut args = vec!["-s".to_string(), self.control.display().to_string()];
        args.extend(command.split_whitespace().map(str::to_string));
        let output = Command::new("birdc")
            .args(&args)
            .output()
            .map_err(|e| format!("birdc: {e}"))?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        if output.status.success() && !text.contains("Unable to connect") {
            Ok(text)
        } else {
            Err(format!(
                "birdc {command}: {text}{}",
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    /// `show bfd sessions`, one row per session.
    pub fn bfd_sessions(&self) -> Result<Vec<BirdBfdSession>, String> {
        let text = self.birdc("show bfd sessions")?;
        Ok(text
            .lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                match fields.as_slice() {
                    [address, _interface, state, since, interval, _timeout]
                        if address.parse::<std::net::IpAddr>().is_ok() =>
                    {
                        Some(BirdBfdSession {
                            address: (*address).to_string(),
                            state: (*state).to_string(),
                            since: (*since).to_string(),
                            interval: (*interval).to_string(),
                        })
                    }
                    _ => None,
                }
            })
            .collect())
    }

    /// The BFD session with `address`, once it is in `state`.
    pub fn wait_bfd(&self, address: &str, state: &str, timeout: Duration) -> BirdBfdSession {
        wait_until(
            timeout,
            &format!("BIRD's BFD session with {address} {state}"),
            || {
                let sessions = self.bfd_sessions()?;
                match sessions.iter().find(|s| s.address == address) {
                    Some(session) if session.state == state => Ok(session.clone()),
                    _ => Err(format!("{sessions:?}\n{}", self.dump())),
                }
            },
        )
    }

    /// Every route in BIRD's tables.
    pub fn routes(&self) -> Result<Vec<RouterRoute>, String> {
        self.birdc("show route all").map(|text| parse_routes(&text))
    }

    /// The BGP state of `protocol` (`Established`, `Passive`, `OpenSent`...).
    pub fn state(&self, protocol: &str) -> Result<String, String> {
        let text = self.birdc(&format!("show protocols all {protocol}"))?;
        text.lines()
            .find_map(|line| {
                line.trim()
                    .strip_prefix("BGP state:")
                    .map(|s| s.trim().to_string())
            })
            .ok_or_else(|| format!("no BGP state for {protocol} in:\n{text}"))
    }

    /// Waits until `show protocols all PROTOCOL` contains one of `texts` (e.g. the Cease BIRD logged).
    pub fn wait_protocol_shows(&self, protocol: &str, texts: &[&str], timeout: Duration) {
        wait_until(
            timeout,
            &format!("BIRD's {protocol} to show one of {texts:?}"),
            || {
                let protocols = self.birdc(&format!("show protocols all {protocol}"))?;
                if texts.iter().any(|text| protocols.contains(text)) {
                    Ok(())
                } else {
                    Err(self.dump())
                }
            },
        );
    }
}

impl Router for Bird {
    fn route(&self, prefix: &str) -> Result<Option<RouterRoute>, String> {
        Ok(self.routes()?.into_iter().find(|r| r.prefix == prefix))
    }

    /// `show route all`, `show protocols all` and the tail of BIRD's log.
    fn dump(&self) -> String {
        let routes = self.birdc("show route all").unwrap_or_else(|e| e);
        let protocols = self.birdc("show protocols all").unwrap_or_else(|e| e);
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        format!(
            "== birdc show route all ==\n{routes}\n== birdc show protocols all ==\n{protocols}\n== bird.log (tail) ==\n{}",
            tail(&log, 30)
        )
    }

    fn established(&self, protocol: &str) -> Result<bool, String> {
        Ok(self.state(protocol)? == "Established")
    }

    /// The `Since` column of `show protocols` (its `timeformat` is Unix seconds).
    fn since(&self, protocol: &str) -> Result<u64, String> {
        let text = self.birdc(&format!("show protocols {protocol}"))?;
        text.lines()
            .find(|line| line.split_whitespace().next() == Some(protocol))
            .and_then(|line| line.split_whitespace().nth(4))
            .and_then(|since| since.parse().ok())
            .ok_or_else(|| format!("no Since for {protocol} in:\n{text}"))
    }

    fn name(&self) -> &'static str {
        "BIRD"
    }
}

/// Parses `birdc show route all`:
///
/// ```text
/// Table master4:
/// 192.0.2.1/32         unicast [peer4 1795573230] * (100) [AS65001i]
///         via 198.18.0.2 on vR
///         Type: BGP univ
///         BGP.as_path: 65001
///         BGP.next_hop: 198.18.0.2
/// ```
/// A route line starts with the prefix; further routes to the same prefix start with blanks.
pub fn parse_routes(text: &str) -> Vec<RouterRoute> {
    let mut routes: Vec<RouterRoute> = Vec::new();
    let mut prefix = String::new();
    for line in text.lines() {
        if line.starts_with("BIRD ") || line.starts_with("Table ") || line.trim().is_empty() {
            continue;
        }
        let starts_blank = line.starts_with(' ') || line.starts_with('\t');
        let trimmed = line.trim();
        if !starts_blank {
            if let Some(first) = trimmed.split_whitespace().next() {
                prefix = first.to_string();
                routes.push(RouterRoute {
                    prefix: prefix.clone(),
                    next_hop: String::new(),
                    as_path: Vec::new(),
                });
            }
        } else if trimmed.contains(" [") && !trimmed.contains(':') && !trimmed.starts_with("via") {
            routes.push(RouterRoute {
                prefix: prefix.clone(),
                next_hop: String::new(),
                as_path: Vec::new(),
            });
        } else if let Some(hop) = trimmed.strip_prefix("BGP.next_hop:") {
            if let Some(route) = routes.last_mut() {
                route.next_hop = hop
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
            }
        } else if let Some(path) = trimmed.strip_prefix("BGP.as_path:") {
            if let Some(route) = routes.last_mut() {
                route.as_path = path
                    .split_whitespace()
                    .filter_map(|asn| asn.parse().ok())
                    .collect();
            }
        }
    }
    routes
}
