//! Walks the spanned tree, checks every rule, collects every error and builds the model.
//!
//! Nothing stops at the first problem: each section is validated on its own and a missing or broken
//! value only hides the rules that depend on it.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::duration::{self, GoDuration};
use super::error::{ConfigError, ConfigErrorKind, ConfigWarning};
use super::model::*;
use super::tree::{Key, Node, Pos, Value};
use super::suggest::suggest;
use crate::bgp::types::{Asn, HoldTime, IpNetwork, Prefix};

mod health;

/// The check kinds: the Go daemon's seven, then the extensions.
pub(crate) const KINDS: &[&str] = &[
    "assigned_address",
    "dns_lookup",
    "http_2xx",
    "icmp_ping",
    "ntpq",
    "tftp_rrq",
    "tls_certificate",
    "tcp_connect",
    "exec",
    "file",
];

const STRATEGIES: &[&str] = &[
    "at_least_one",
    "all",
    "all_in_group",
    "at_least_n_percentage",
];

/// Collects errors and warnings for one file.
pub(crate) struct Ctx<'p> {
    path: &'p Path,
    pub(crate) errors: Vec<ConfigError>,
    pub(crate) warnings: Vec<ConfigWarning>,
}

/// A mapping whose keys were checked against the schema.
struct Obj<'n> {
    pos: Pos,
    field: String,
    entries: Vec<(&'n Key, &'n Node)>,
}

impl<'n> Obj<'n> {
    /// The value of `key`; an explicit null counts as absent.
    fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| *v)
            .filter(|v| !matches!(v.value, Value::Null))
    }

    /// The position of `key` itself, else of the mapping.
    fn key_pos(&self, key: &str) -> Pos {
        self.entries
            .iter()
            .find(|(k, _)| k.name == key)
            .map_or(self.pos, |(k, _)| k.pos)
    }

    fn f(&self, key: &str) -> String {
        if self.field.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.field)
        }
    }
}

/// Describes a scalar for messages: `"10"` for a string, `10` for a number.
fn shown(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => format!("{s:?}"),
        Value::Int(i) => i.to_string(),
        Value::Float(x) => x.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => node.type_name().to_string(),
    }
}

/// Splits `host:port` / `[v6]:port`; the port is required when `default_port` is `None`.
pub(crate) fn split_host_port(
    text: &str,
    default_port: Option<u16>,
) -> Result<(String, u16), String> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return Err(format!("{text:?} has no closing ']'"));
        };
        if host.parse::<Ipv6Addr>().is_err() {
            return Err(format!("{host:?} is not an IPv6 address"));
        }
        match after.strip_prefix(':') {
            Some(port) => (host.to_string(), Some(port)),
            None if after.is_empty() => (host.to_string(), None),
            None => return Err(format!("unexpected {after:?} after ']' in {text:?}")),
        }
    } else if text.matches(':').count() > 1 {
        if text.parse::<Ipv6Addr>().is_ok() {
            (text.to_string(), None)
        } else {
            return Err(format!(
                "{text:?} is not host:port (write an IPv6 address as [addr]:port)"
            ));
        }
    } else {
        match text.split_once(':') {
            Some((host, port)) => (host.to_string(), Some(port)),
            None => (text.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(format!("{text:?} has no host"));
    }
    if host.contains(|c: char| c.is_whitespace() || c == '/' || c == '@') {
        return Err(format!("{host:?} is not a host name or address"));
    }
    let port = match (port, default_port) {
        (Some(p), _) => match p.parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => return Err(format!("port {p:?} is not a number in 1..=65535")),
        },
        (None, Some(p)) => p,
        (None, None) => return Err(format!("{text:?} has no port (write host:port)")),
    };
    Ok((host, port))
}

fn is_dns_name(name: &str) -> bool {
    let trimmed = name.strip_suffix('.').unwrap_or(name);
    !trimmed.is_empty()
        && trimmed.len() <= 253
        && trimmed.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl<'p> Ctx<'p> {
    pub(crate) fn new(path: &'p Path) -> Self {
        Self {
            path,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub(crate) fn err(&mut self, pos: Pos, field: &str, kind: ConfigErrorKind) {
        self.errors.push(ConfigError {
            path: self.path.to_path_buf(),
            line: pos.line,
            column: pos.column,
            field: field.to_string(),
            kind,
        });
    }

    fn invalid(&mut self, pos: Pos, field: &str, message: impl Into<String>) {
        self.err(pos, field, ConfigErrorKind::Invalid(message.into()));
    }

    fn warn(&mut self, pos: Pos, field: &str, message: impl Into<String>) {
        self.warnings.push(ConfigWarning {
            path: self.path.to_path_buf(),
            line: pos.line,
            column: pos.column,
            field: field.to_string(),
            message: message.into(),
        });
    }

    fn wrong_type(&mut self, node: &Node, field: &str, expected: &str, hint: Option<String>) {
        self.err(
            node.pos,
            field,
            ConfigErrorKind::WrongType {
                expected: expected.to_string(),
                found: node.type_name().to_string(),
                hint,
            },
        );
    }

    /// Checks that `node` is a mapping with only `known` keys, each once.
    fn object<'n>(&mut self, node: &'n Node, field: &str, known: &[&str]) -> Option<Obj<'n>> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, field, "a mapping", None);
            return None;
        };
        let mut obj = Obj {
            pos: node.pos,
            field: field.to_string(),
            entries: Vec::new(),
        };
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (key, value) in entries {
            if let Some(first) = seen.get(key.name.as_str()) {
                let what = format!("key {:?}", key.name);
                self.err(
                    key.pos,
                    field,
                    ConfigErrorKind::Duplicate {
                        what,
                        first_line: *first,
                    },
                );
                continue;
            }
            seen.insert(&key.name, key.pos.line);
            if known.contains(&key.name.as_str()) {
                obj.entries.push((key, value));
            } else {
                let suggestion = suggest(&key.name, known).map(str::to_string);
                self.err(
                    key.pos,
                    field,
                    ConfigErrorKind::UnknownKey {
                        key: key.name.clone(),
                        suggestion,
                    },
                );
            }
        }
        Some(obj)
    }

    fn req<'n>(&mut self, obj: &Obj<'n>, key: &str) -> Option<&'n Node> {
        let found = obj.get(key);
        if found.is_none() {
            let pos = obj.key_pos(key);
            self.err(
                pos,
                &obj.field,
                ConfigErrorKind::MissingKey(key.to_string()),
            );
        }
        found
    }

    fn string(&mut self, node: &Node, field: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                let hint = Some(format!("write it in quotes: \"{}\"", shown(node)));
                self.wrong_type(node, field, "a string", hint);
                None
            }
            _ => {
                self.wrong_type(node, field, "a string", None);
                None
            }
        }
    }

    fn nonempty_string(&mut self, node: &Node, field: &str) -> Option<String> {
        let s = self.string(node, field)?;
        if s.trim().is_empty() {
            self.invalid(node.pos, field, "must not be empty");
            return None;
        }
        Some(s)
    }

    fn int(&mut self, node: &Node, field: &str, min: i128, max: i128) -> Option<i128> {
        let value = match &node.value {
            Value::Int(i) => *i,
            Value::Str(s) if s.trim().parse::<i128>().is_ok() => {
                let hint = Some(format!("write {} without quotes", s.trim()));
                self.wrong_type(node, field, "an integer", hint);
                return None;
            }
            _ => {
                self.wrong_type(node, field, "an integer", None);
                return None;
            }
        };
        if value < min || value > max {
            self.invalid(
                node.pos,
                field,
                format!("{value} is out of range {min}..={max}"),
            );
            return None;
        }
        Some(value)
    }

    fn number(&mut self, node: &Node, field: &str, min: f64, max: f64) -> Option<f64> {
        let value = match &node.value {
            Value::Int(i) => *i as f64,
            Value::Float(x) => *x,
            Value::Str(s) if s.trim().parse::<f64>().is_ok() => {
                let hint = Some(format!("write {} without quotes", s.trim()));
                self.wrong_type(node, field, "a number", hint);
                return None;
            }
            _ => {
                self.wrong_type(node, field, "a number", None);
                return None;
            }
        };
        if !(min..=max).contains(&value) {
            self.invalid(
                node.pos,
                field,
                format!("{} is out of range [{min}, {max}]", shown(node)),
            );
            return None;
        }
        Some(value)
    }

    fn boolean(&mut self, node: &Node, field: &str) -> Option<bool> {
        match &node.value {
            Value::Bool(b) => Some(*b),
            Value::Str(s) => {
                let hint = match s.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "on" | "y" => Some("write true without quotes".to_string()),
                    "false" | "no" | "off" | "n" => Some("write false without quotes".to_string()),
                    _ => None,
                };
                self.wrong_type(node, field, "a boolean (true or false)", hint);
                None
            }
            _ => {
                self.wrong_type(node, field, "a boolean (true or false)", None);
                None
            }
        }
    }

    fn go_duration(&mut self, node: &Node, field: &str) -> Option<GoDuration> {
        match &node.value {
            Value::Str(s) => match duration::parse(s) {
                Ok(d) => Some(d),
                Err(message) => {
                    self.invalid(node.pos, field, message);
                    None
                }
            },
            Value::Int(_) | Value::Float(_) => {
                let hint = Some(match node.value {
                    Value::Int(n) if n >= 1_000_000_000 && n % 1_000_000_000 == 0 => format!(
                        "write \"{}s\" (the Go daemon read a bare number as nanoseconds)",
                        n / 1_000_000_000
                    ),
                    _ => format!("durations need a unit, e.g. write \"{}s\"", shown(node)),
                });
                self.wrong_type(node, field, "a duration string", hint);
                None
            }
            _ => {
                self.wrong_type(node, field, "a duration string such as \"10s\"", None);
                None
            }
        }
    }

    fn positive_duration(&mut self, node: &Node, field: &str) -> Option<Duration> {
        let d = self.go_duration(node, field)?;
        if d.negative && !d.magnitude.is_zero() {
            self.invalid(
                node.pos,
                field,
                format!("duration must be positive, found {}", shown(node)),
            );
            return None;
        }
        if d.magnitude.is_zero() {
            self.invalid(node.pos, field, "duration must be positive, found zero");
            return None;
        }
        Some(d.magnitude)
    }

    fn nonnegative_duration(&mut self, node: &Node, field: &str) -> Option<Duration> {
        let d = self.go_duration(node, field)?;
        if d.negative && !d.magnitude.is_zero() {
            self.invalid(
                node.pos,
                field,
                format!("duration must not be negative, found {}", shown(node)),
            );
            return None;
        }
        Some(d.magnitude)
    }

    fn ip(&mut self, node: &Node, field: &str) -> Option<IpAddr> {
        let s = self.string(node, field)?;
        match s.parse::<IpAddr>() {
            Ok(ip) => Some(ip),
            Err(_) => {
                self.invalid(node.pos, field, format!("{s:?} is not an IP address"));
                None
            }
        }
    }

    fn ipv4(&mut self, node: &Node, field: &str) -> Option<Ipv4Addr> {
        let s = self.string(node, field)?;
        match s.parse::<IpAddr>() {
            Ok(IpAddr::V4(ip)) => Some(ip),
            Ok(IpAddr::V6(_)) => {
                self.invalid(
                    node.pos,
                    field,
                    format!("{s:?} is an IPv6 address; an IPv4 address is needed"),
                );
                None
            }
            Err(_) => {
                self.invalid(node.pos, field, format!("{s:?} is not an IPv4 address"));
                None
            }
        }
    }

    fn ipv6(&mut self, node: &Node, field: &str) -> Option<Ipv6Addr> {
        let s = self.string(node, field)?;
        match s.parse::<IpAddr>() {
            Ok(IpAddr::V6(ip)) => Some(ip),
            Ok(IpAddr::V4(_)) => {
                self.invalid(
                    node.pos,
                    field,
                    format!("{s:?} is an IPv4 address; an IPv6 address is needed"),
                );
                None
            }
            Err(_) => {
                self.invalid(node.pos, field, format!("{s:?} is not an IPv6 address"));
                None
            }
        }
    }

    fn socket_addr(&mut self, node: &Node, field: &str, example: &str) -> Option<SocketAddr> {
        let s = self.string(node, field)?;
        if let Ok(addr) = s.parse::<SocketAddr>() {
            return Some(addr);
        }
        if let Some(port) = s.strip_prefix(':') {
            if let Ok(port) = port.parse::<u16>() {
                return Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port));
            }
        }
        let message = if s.parse::<IpAddr>().is_ok() {
            format!("{s:?} has no port; write an address and port such as {example}")
        } else {
            format!("{s:?} is not an IP address and port such as {example} (IPv6: [::1]:port)")
        };
        self.invalid(node.pos, field, message);
        None
    }

    fn list<'n>(&mut self, node: &'n Node, field: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            _ => {
                self.wrong_type(node, field, "a list", None);
                None
            }
        }
    }

    fn string_list(&mut self, node: &Node, field: &str) -> Option<Vec<String>> {
        let items = self.list(node, field)?;
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.nonempty_string(item, &format!("{field}[{i}]")) {
                Some(s) => out.push(s),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn string_map(&mut self, node: &Node, field: &str) -> Option<BTreeMap<String, String>> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, field, "a mapping", None);
            return None;
        };
        let mut out = BTreeMap::new();
        let mut ok = true;
        let mut lines: HashMap<&str, usize> = HashMap::new();
        for (key, value) in entries {
            let sub = format!("{field}.{}", key.name);
            if let Some(first) = lines.get(key.name.as_str()) {
                self.err(
                    key.pos,
                    field,
                    ConfigErrorKind::Duplicate {
                        what: format!("key {:?}", key.name),
                        first_line: *first,
                    },
                );
                ok = false;
                continue;
            }
            lines.insert(&key.name, key.pos.line);
            match self.string(value, &sub) {
                Some(v) => {
                    out.insert(key.name.clone(), v);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn prefix(&mut self, node: &Node, field: &str) -> Option<Prefix> {
        let s = self.string(node, field)?;
        if !s.contains('/') {
            let hint = match s.parse::<IpAddr>() {
                Ok(IpAddr::V4(_)) => format!("; write {s}/32 for a single address"),
                Ok(IpAddr::V6(_)) => format!("; write {s}/128 for a single address"),
                Err(_) => String::new(),
            };
            self.invalid(
                node.pos,
                field,
                format!("{s:?} is not a prefix in CIDR notation (address/length){hint}"),
            );
            return None;
        }
        match s.parse::<IpNetwork>() {
            Ok(network) => {
                let prefix = Prefix::new(network);
                if Prefix::had_host_bits(network) {
                    self.warn(
                        node.pos,
                        field,
                        format!("{s} has host bits set; announcing {prefix}"),
                    );
                }
                Some(prefix)
            }
            Err(_) => {
                self.invalid(
                    node.pos,
                    field,
                    format!("{s:?} is not a prefix in CIDR notation (address/length)"),
                );
                None
            }
        }
    }

    fn prefixes(&mut self, node: &Node, field: &str) -> Option<Vec<Prefix>> {
        let items = self.list(node, field)?;
        let mut out = Vec::new();
        let mut ok = true;
        let mut seen: HashMap<Prefix, usize> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            let sub = format!("{field}[{i}]");
            match self.prefix(item, &sub) {
                Some(p) => {
                    if let Some(first) = seen.get(&p) {
                        self.err(
                            item.pos,
                            &sub,
                            ConfigErrorKind::Duplicate {
                                what: format!("route {p}"),
                                first_line: *first,
                            },
                        );
                        ok = false;
                    } else {
                        seen.insert(p, item.pos.line);
                        out.push(p);
                    }
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn asn(&mut self, node: &Node, field: &str) -> Option<Asn> {
        if matches!(node.value, Value::Int(0)) {
            self.invalid(
                node.pos,
                field,
                "AS number 0 is reserved; use 1..=4294967295",
            );
            return None;
        }
        let value = self.int(node, field, 1, i128::from(u32::MAX))?;
        u32::try_from(value).ok().and_then(Asn::new)
    }

    // ----------------------------------------------------------------------------------------------
    // Sections

    pub(crate) fn root(&mut self, node: &Node) -> Option<Config> {
        let obj = self.object(
            node,
            "",
            &["announcer", "services", "metrics", "shutdown", "lifecycle"],
        )?;
        let announcer = self.req(&obj, "announcer").and_then(|n| self.announcer(n));
        let services = self.req(&obj, "services").and_then(|n| self.services(n));
        let metrics = self.req(&obj, "metrics").and_then(|n| self.metrics(n));
        let shutdown = match obj.get("shutdown") {
            None => Some(Shutdown::default()),
            Some(n) => self.shutdown(n),
        };
        let lifecycle = match obj.get("lifecycle") {
            None => Some(Lifecycle::default()),
            Some(n) => self.lifecycle(n),
        };
        let (mut announcer, announcer_routes_pos) = announcer?;
        let services = services?;
        if let Some(n) = obj.get("services") {
            self.state_peers(n, &announcer.peers);
        }
        if announcer.routes.is_empty() {
            let without: Vec<&str> = services
                .iter()
                .filter(|s| s.routes.is_none())
                .map(|s| s.name.as_str())
                .collect();
            if let Some(first) = without.first() {
                self.invalid(
                    announcer_routes_pos,
                    "announcer.routes",
                    format!("must not be empty: service {first:?} has no routes of its own"),
                );
                return None;
            }
        }
        announcer.routes.shrink_to_fit();
        Some(Config {
            source: PathBuf::from(self.path),
            announcer,
            services,
            metrics: metrics?,
            shutdown: shutdown?,
            lifecycle: lifecycle?,
        })
    }

    fn announcer(&mut self, node: &Node) -> Option<(Announcer, Pos)> {
        let f = "announcer";
        let obj = self.object(
            node,
            f,
            &[
                "router_id",
                "local_address",
                "local_asn",
                "routes",
                "peers",
                "next_hop_ipv6",
                "next_hop_ipv4",
                "graceful_restart",
            ],
        )?;
        let router_id = self
            .req(&obj, "router_id")
            .and_then(|n| self.ipv4(n, &obj.f("router_id")));
        let local_address = self
            .req(&obj, "local_address")
            .and_then(|n| self.ip(n, &obj.f("local_address")));
        let local_asn = self
            .req(&obj, "local_asn")
            .and_then(|n| self.asn(n, &obj.f("local_asn")));
        let routes_pos = obj.key_pos("routes");
        let routes = match obj.get("routes") {
            None => Some(Vec::new()),
            Some(n) => self.prefixes(n, &obj.f("routes")),
        };
        let next_hop_ipv6 = match obj.get("next_hop_ipv6") {
            None => Some(None),
            Some(n) => self.ipv6(n, &obj.f("next_hop_ipv6")).map(Some),
        };
        let next_hop_ipv4 = match obj.get("next_hop_ipv4") {
            None => Some(None),
            Some(n) => self.ipv4(n, &obj.f("next_hop_ipv4")).map(Some),
        };
        let graceful_restart = match obj.get("graceful_restart") {
            None => Some(GracefulRestart::default()),
            Some(n) => self.graceful_restart(n, &obj.f("graceful_restart")),
        };
        let peers = self
            .req(&obj, "peers")
            .and_then(|n| self.peers(n, &obj.f("peers"), local_address));
        Some((
            Announcer {
                router_id: router_id?,
                local_address: local_address?,
                local_asn: local_asn?,
                routes: routes?,
                peers: peers?,
                next_hop_ipv6: next_hop_ipv6?,
                next_hop_ipv4: next_hop_ipv4?,
                graceful_restart: graceful_restart?,
            },
            routes_pos,
        ))
    }

    fn graceful_restart(&mut self, node: &Node, f: &str) -> Option<GracefulRestart> {
        let obj = self.object(node, f, &["enabled", "restart_time"])?;
        let mut out = GracefulRestart::default();
        let mut ok = true;
        if let Some(n) = obj.get("enabled") {
            match self.boolean(n, &obj.f("enabled")) {
                Some(b) => out.enabled = b,
                None => ok = false,
            }
        }
        if let Some(n) = obj.get("restart_time") {
            let field = obj.f("restart_time");
            match self.positive_duration(n, &field) {
                Some(d) if d > Duration::from_secs(4095) => {
                    self.invalid(
                        n.pos,
                        &field,
                        format!(
                            "{} is above the largest restart time, 4095s (RFC 4724 §3)",
                            shown(n)
                        ),
                    );
                    ok = false;
                }
                Some(d) => out.restart_time = d,
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn peers(&mut self, node: &Node, f: &str, local: Option<IpAddr>) -> Option<Vec<Peer>> {
        let items = self.list(node, f)?;
        if items.is_empty() {
            self.invalid(node.pos, f, "at least one peer is needed");
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        let mut addresses: HashMap<IpAddr, usize> = HashMap::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            let pf = format!("{f}[{i}]");
            match self.peer(item, &pf, local) {
                Some((peer, name_pos, addr_pos)) => {
                    if let Some(first) = addresses.get(&peer.remote_address) {
                        self.err(
                            addr_pos,
                            &format!("{pf}.remote_address"),
                            ConfigErrorKind::Duplicate {
                                what: format!("peer {}", peer.remote_address),
                                first_line: *first,
                            },
                        );
                        ok = false;
                    } else {
                        addresses.insert(peer.remote_address, addr_pos.line);
                    }
                    if let Some(first) = names.get(&peer.name) {
                        self.err(
                            name_pos,
                            &format!("{pf}.name"),
                            ConfigErrorKind::Duplicate {
                                what: format!("peer name {:?}", peer.name),
                                first_line: *first,
                            },
                        );
                        ok = false;
                    } else {
                        names.insert(peer.name.clone(), name_pos.line);
                    }
                    out.push(peer);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn peer(
        &mut self,
        node: &Node,
        f: &str,
        announcer_local: Option<IpAddr>,
    ) -> Option<(Peer, Pos, Pos)> {
        let obj = self.object(
            node,
            f,
            &[
                "name",
                "remote_address",
                "remote_asn",
                "enable_multihop",
                "multihop_ttl",
                "remote_port",
                "local_address",
                "passive",
                "hold_time",
                "connect_retry",
                "md5_password",
                "md5_password_file",
                "ttl_security",
            ],
        )?;
        let name = self
            .req(&obj, "name")
            .and_then(|n| self.nonempty_string(n, &obj.f("name")));
        let remote_address = self
            .req(&obj, "remote_address")
            .and_then(|n| self.ip(n, &obj.f("remote_address")));
        let remote_asn = self
            .req(&obj, "remote_asn")
            .and_then(|n| self.asn(n, &obj.f("remote_asn")));
        let mut ok = true;
        let enable_multihop = match obj.get("enable_multihop") {
            None => false,
            Some(n) => self
                .boolean(n, &obj.f("enable_multihop"))
                .unwrap_or_else(|| {
                    ok = false;
                    false
                }),
        };
        let ttl_value = match obj.get("multihop_ttl") {
            None => None,
            Some(n) if matches!(n.value, Value::Int(v) if !(0..=255).contains(&v)) => {
                self.invalid(
                    n.pos,
                    &obj.f("multihop_ttl"),
                    format!("{} is out of range 1..=255", shown(n)),
                );
                ok = false;
                None
            }
            Some(n) => match self.int(n, &obj.f("multihop_ttl"), 0, 255) {
                Some(v) => Some((v, n.pos)),
                None => {
                    ok = false;
                    None
                }
            },
        };
        let multihop_ttl = match (enable_multihop, ttl_value) {
            (false, Some((_, pos))) => {
                self.warn(
                    pos,
                    &obj.f("multihop_ttl"),
                    "ignored: enable_multihop is not true",
                );
                None
            }
            (false, None) => None,
            (true, None) => Some(255),
            (true, Some((0, pos))) => {
                self.warn(
                    pos,
                    &obj.f("multihop_ttl"),
                    "0 means 255, as in the Go daemon; write 255",
                );
                Some(255)
            }
            (true, Some((v, _))) => u8::try_from(v).ok(),
        };
        let remote_port = match obj.get("remote_port") {
            None => 179,
            Some(n) => self
                .int(n, &obj.f("remote_port"), 1, 65535)
                .and_then(|v| u16::try_from(v).ok())
                .unwrap_or_else(|| {
                    ok = false;
                    179
                }),
        };
        let local_address = match obj.get("local_address") {
            None => None,
            Some(n) => match self.ip(n, &obj.f("local_address")) {
                Some(ip) => {
                    if let Some(remote) = remote_address {
                        if ip.is_ipv4() != remote.is_ipv4() {
                            self.invalid(n.pos, &obj.f("local_address"), format!("{ip} and remote_address {remote} are of different address families"));
                            ok = false;
                        }
                    }
                    Some(ip)
                }
                None => {
                    ok = false;
                    None
                }
            },
        };
        if local_address.is_none() {
            if let (Some(remote), Some(global)) = (remote_address, announcer_local) {
                if remote.is_ipv4() != global.is_ipv4() {
                    self.warn(
                        obj.key_pos("remote_address"),
                        &obj.f("remote_address"),
                        format!("announcer.local_address {global} is of the other address family; the kernel picks the source address (set local_address to choose it)"),
                    );
                }
            }
        }
        let mut bool_key = |this: &mut Self, key: &str| match obj.get(key) {
            None => false,
            Some(n) => this.boolean(n, &obj.f(key)).unwrap_or_else(|| {
                ok = false;
                false
            }),
        };
        let passive = bool_key(self, "passive");
        let ttl_security = bool_key(self, "ttl_security");
        let hold_time = match obj.get("hold_time") {
            None => HoldTime::default(),
            Some(n) => {
                let field = obj.f("hold_time");
                let value = if matches!(n.value, Value::Str(_))
                    && duration::parse(&shown(n).replace('"', "")).is_ok()
                {
                    self.wrong_type(
                        n,
                        &field,
                        "an integer number of seconds",
                        Some("write the seconds without a unit, e.g. 90".to_string()),
                    );
                    None
                } else {
                    self.int(n, &field, 0, 65535)
                };
                match value.and_then(|v| u16::try_from(v).ok()) {
                    Some(v) => match HoldTime::new(v) {
                        Some(h) => h,
                        None => {
                            self.invalid(n.pos, &field, format!("hold time {v} is not allowed: use 0 or 3..=65535 (RFC 4271 §4.2)"));
                            ok = false;
                            HoldTime::default()
                        }
                    },
                    None => {
                        ok = false;
                        HoldTime::default()
                    }
                }
            }
        };
        let connect_retry = match obj.get("connect_retry") {
            None => Duration::from_secs(5),
            Some(n) => self
                .positive_duration(n, &obj.f("connect_retry"))
                .unwrap_or_else(|| {
                    ok = false;
                    Duration::from_secs(5)
                }),
        };
        let md5 = match (obj.get("md5_password"), obj.get("md5_password_file")) {
            (Some(_), Some(_)) => {
                self.invalid(
                    obj.key_pos("md5_password_file"),
                    &obj.f("md5_password_file"),
                    "set md5_password or md5_password_file, not both",
                );
                ok = false;
                None
            }
            (Some(n), None) => {
                let field = obj.f("md5_password");
                match self.nonempty_string(n, &field) {
                    Some(p) if p.len() > 80 => {
                        self.invalid(n.pos, &field, format!("the password has {} bytes; at most 80 are allowed (RFC 2385 key limit of Linux)", p.len()));
                        ok = false;
                        None
                    }
                    Some(p) => Some(Md5Key::Inline(p)),
                    None => {
                        ok = false;
                        None
                    }
                }
            }
            (None, Some(n)) => match self.nonempty_string(n, &obj.f("md5_password_file")) {
                Some(p) => Some(Md5Key::File(PathBuf::from(p))),
                None => {
                    ok = false;
                    None
                }
            },
            (None, None) => None,
        };
        if ttl_security && enable_multihop {
            self.invalid(
                obj.key_pos("ttl_security"),
                &obj.f("ttl_security"),
                "ttl_security cannot be combined with enable_multihop",
            );
            ok = false;
        }
        if !ok {
            return None;
        }
        Some((
            Peer {
                name: name?,
                remote_address: remote_address?,
                remote_asn: remote_asn?,
                remote_port,
                local_address,
                multihop_ttl,
                passive,
                hold_time,
                connect_retry,
                md5,
                ttl_security,
            },
            obj.get("name").map_or(obj.pos, |n| n.pos),
            obj.get("remote_address").map_or(obj.pos, |n| n.pos),
        ))
    }

    fn services(&mut self, node: &Node) -> Option<Vec<Service>> {
        let f = "services";
        let items = self.list(node, f)?;
        if items.is_empty() {
            self.invalid(node.pos, f, "at least one service is needed");
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        let mut names: HashMap<String, usize> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            let sf = format!("{f}[{i}]");
            match self.service(item, &sf) {
                Some((service, name_pos)) => {
                    if let Some(first) = names.get(&service.name) {
                        self.err(
                            name_pos,
                            &format!("{sf}.name"),
                            ConfigErrorKind::Duplicate {
                                what: format!("service {:?}", service.name),
                                first_line: *first,
                            },
                        );
                        ok = false;
                    } else {
                        names.insert(service.name.clone(), name_pos.line);
                    }
                    out.push(service);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn service(&mut self, node: &Node, f: &str) -> Option<(Service, Pos)> {
        let obj = self.object(
            node,
            f,
            &[
                "name",
                "check_interval",
                "strategy",
                "strategy_options",
                "checks",
                "routes",
                "hold_down",
                "dampening",
                "inconclusive_grace",
                "states",
            ],
        )?;
        let name = self
            .req(&obj, "name")
            .and_then(|n| self.nonempty_string(n, &obj.f("name")));
        let check_interval = self
            .req(&obj, "check_interval")
            .and_then(|n| self.positive_duration(n, &obj.f("check_interval")));
        let strategy = self.strategy(&obj);
        let routes = match obj.get("routes") {
            None => Some(None),
            Some(n) => {
                let field = obj.f("routes");
                match self.prefixes(n, &field) {
                    Some(r) if r.is_empty() => {
                        self.invalid(
                            n.pos,
                            &field,
                            "must not be empty; omit it to use announcer.routes",
                        );
                        None
                    }
                    Some(r) => Some(Some(r)),
                    None => None,
                }
            }
        };
        let checks = self
            .req(&obj, "checks")
            .and_then(|n| self.checks(n, &obj.f("checks"), check_interval));
        let health = self.service_health(&obj);
        Some((
            Service {
                name: name?,
                check_interval: check_interval?,
                strategy: strategy?,
                routes: routes?,
                checks: checks?,
                health: health?,
            },
            obj.get("name").map_or(obj.pos, |n| n.pos),
        ))
    }

    fn strategy(&mut self, obj: &Obj<'_>) -> Option<Strategy> {
        let options = obj.get("strategy_options");
        let name = match obj.get("strategy") {
            None => String::new(),
            Some(n) => self.string(n, &obj.f("strategy"))?,
        };
        let field = obj.f("strategy");
        let pos = obj.get("strategy").map_or(obj.pos, |n| n.pos);
        let strategy = match name.as_str() {
            "" | "at_least_one" => Strategy::AtLeastOne,
            "all" => Strategy::All,
            "all_in_group" => Strategy::AllInGroup,
            "at_least_n_percentage" => {
                let Some(options) = options else {
                    self.invalid(
                        pos,
                        &field,
                        "at_least_n_percentage needs strategy_options: {n: <fraction in [0, 1]>}",
                    );
                    return None;
                };
                let of = obj.f("strategy_options");
                let o = self.object(options, &of, &["n"])?;
                let n = self
                    .req(&o, "n")
                    .and_then(|n| self.number(n, &o.f("n"), 0.0, 1.0))?;
                return Some(Strategy::AtLeastNPercentage(n));
            }
            other => {
                let message = match suggest(other, STRATEGIES) {
                    Some(s) => format!("unknown strategy {other:?}; did you mean {s:?}?"),
                    None => format!(
                        "unknown strategy {other:?}; expected one of {}",
                        STRATEGIES.join(", ")
                    ),
                };
                self.invalid(pos, &field, message);
                return None;
            }
        };
        if let Some(options) = options {
            self.warn(
                options.pos,
                &obj.f("strategy_options"),
                "ignored: only at_least_n_percentage uses strategy_options",
            );
        }
        Some(strategy)
    }

    fn checks(
        &mut self,
        node: &Node,
        f: &str,
        service_interval: Option<Duration>,
    ) -> Option<Vec<Check>> {
        let items = self.list(node, f)?;
        if items.is_empty() {
            self.invalid(node.pos, f, "at least one check is needed");
            return None;
        }
        let mut parsed = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            match self.check(item, &format!("{f}[{i}]"), service_interval) {
                Some(c) => parsed.push(c),
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        // Default names: `<kind>`, or `<kind>-<n>` when the service has several checks of that kind.
        let mut per_kind: HashMap<&'static str, usize> = HashMap::new();
        for (check, _, _) in &parsed {
            *per_kind.entry(check.spec.kind()).or_insert(0) += 1;
        }
        let mut seen_kind: HashMap<&'static str, usize> = HashMap::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        let mut out = Vec::new();
        for (i, (mut check, explicit, pos)) in parsed.into_iter().enumerate() {
            let kind = check.spec.kind();
            let index = seen_kind.entry(kind).or_insert(0);
            *index += 1;
            if !explicit {
                check.name = if per_kind.get(kind).copied().unwrap_or(0) > 1 {
                    format!("{kind}-{index}")
                } else {
                    kind.to_string()
                };
            }
            if let Some(first) = names.get(&check.name) {
                let field = if explicit {
                    format!("{f}[{i}].name")
                } else {
                    format!("{f}[{i}]")
                };
                self.err(
                    pos,
                    &field,
                    ConfigErrorKind::Duplicate {
                        what: format!("check name {:?}", check.name),
                        first_line: *first,
                    },
                );
                ok = false;
            } else {
                names.insert(check.name.clone(), pos.line);
            }
            out.push(check);
        }
        ok.then_some(out)
    }

    /// Returns the check, whether its name was explicit, and the position of its name (or of the check).
    fn check(
        &mut self,
        node: &Node,
        f: &str,
        service_interval: Option<Duration>,
    ) -> Option<(Check, bool, Pos)> {
        let obj = self.object(
            node,
            f,
            &[
                "kind", "spec", "group", "name", "interval", "timeout", "rise", "fall", "splay",
            ],
        )?;
        let mut ok = true;
        let name = match obj.get("name") {
            None => None,
            Some(n) => {
                let v = self.nonempty_string(n, &obj.f("name"));
                ok &= v.is_some();
                v.map(|v| (v, n.pos))
            }
        };
        let group = match obj.get("group") {
            None => String::new(),
            Some(n) => self.string(n, &obj.f("group")).unwrap_or_else(|| {
                ok = false;
                String::new()
            }),
        };
        let interval = match obj.get("interval") {
            None => service_interval,
            Some(n) => {
                let v = self.positive_duration(n, &obj.f("interval"));
                ok &= v.is_some();
                v
            }
        };
        let timeout = match obj.get("timeout") {
            None => None,
            Some(n) => {
                let v = self.positive_duration(n, &obj.f("timeout"));
                ok &= v.is_some();
                v
            }
        };
        let mut count = |this: &mut Self, key: &str| match obj.get(key) {
            None => 1,
            Some(n) => this
                .int(n, &obj.f(key), 1, i128::from(u32::MAX))
                .and_then(|v| u32::try_from(v).ok())
                .unwrap_or_else(|| {
                    ok = false;
                    1
                }),
        };
        let rise = count(self, "rise");
        let fall = count(self, "fall");
        let splay = match obj.get("splay") {
            None => true,
            Some(n) => self.boolean(n, &obj.f("splay")).unwrap_or_else(|| {
                ok = false;
                true
            }),
        };
        let kind = self.req(&obj, "kind").and_then(|n| {
            let field = obj.f("kind");
            let k = self.string(n, &field)?;
            match KINDS.iter().find(|known| **known == k) {
                Some(known) => Some(*known),
                None => {
                    let message = match suggest(&k, KINDS) {
                        Some(s) => format!("unknown check kind {k:?}; did you mean {s:?}?"),
                        None => format!(
                            "unknown check kind {k:?}; expected one of {}",
                            KINDS.join(", ")
                        ),
                    };
                    self.invalid(n.pos, &field, message);
                    None
                }
            }
        });
        let spec_node = self.req(&obj, "spec");
        let spec = match (kind, spec_node) {
            (Some(kind), Some(n)) => self.spec(kind, n, &obj.f("spec")),
            _ => None,
        };
        if !ok {
            return None;
        }
        let spec = spec?;
        let interval = interval?;
        let deadline = timeout.unwrap_or_else(|| spec.default_deadline(interval));
        let explicit = name.is_some();
        let pos = name.as_ref().map_or(obj.pos, |(_, p)| *p);
        Some((
            Check {
                name: name.map(|(n, _)| n).unwrap_or_default(),
                group,
                interval,
                deadline,
                rise,
                fall,
                splay,
                spec,
            },
            explicit,
            pos,
        ))
    }

    fn retry(&mut self, obj: &Obj<'_>) -> Option<Retry> {
        let tries = self
            .req(obj, "tries")
            .and_then(|n| self.int(n, &obj.f("tries"), 1, 255))
            .and_then(|v| u8::try_from(v).ok());
        let interval = self
            .req(obj, "interval")
            .and_then(|n| self.positive_duration(n, &obj.f("interval")));
        let timeout = self
            .req(obj, "timeout")
            .and_then(|n| self.positive_duration(n, &obj.f("timeout")));
        Some(Retry {
            tries: tries?,
            interval: interval?,
            timeout: timeout?,
        })
    }

    fn opt_duration(
        &mut self,
        obj: &Obj<'_>,
        key: &str,
        default: Duration,
        ok: &mut bool,
    ) -> Duration {
        match obj.get(key) {
            None => default,
            Some(n) => self.positive_duration(n, &obj.f(key)).unwrap_or_else(|| {
                *ok = false;
                default
            }),
        }
    }

    fn opt_string(&mut self, obj: &Obj<'_>, key: &str, ok: &mut bool) -> Option<String> {
        let n = obj.get(key)?;
        let v = self.nonempty_string(n, &obj.f(key));
        *ok &= v.is_some();
        v
    }

    fn spec(&mut self, kind: &str, node: &Node, f: &str) -> Option<CheckSpec> {
        const RETRY: [&str; 3] = ["tries", "interval", "timeout"];
        let with_retry = |extra: &[&'static str]| -> Vec<&'static str> {
            extra.iter().copied().chain(RETRY).collect()
        };
        let mut ok = true;
        let spec = match kind {
            "assigned_address" => {
                let obj = self.object(node, f, &["ipv4", "ipv6", "interface"])?;
                let interface = self.opt_string(&obj, "interface", &mut ok);
                let address = match (obj.get("ipv4"), obj.get("ipv6")) {
                    (Some(n), None) => self.ipv4(n, &obj.f("ipv4")).map(IpAddr::V4),
                    (None, Some(n)) => self.ipv6(n, &obj.f("ipv6")).map(IpAddr::V6),
                    (Some(_), Some(_)) => {
                        self.invalid(
                            obj.key_pos("ipv6"),
                            &obj.f("ipv6"),
                            "set ipv4 or ipv6, not both",
                        );
                        None
                    }
                    (None, None) => {
                        self.err(obj.pos, f, ConfigErrorKind::MissingKey("ipv4".to_string()));
                        None
                    }
                };
                CheckSpec::AssignedAddress(AssignedAddressSpec {
                    address: address?,
                    interface,
                })
            }
            "dns_lookup" => {
                let obj = self.object(
                    node,
                    f,
                    &with_retry(&["query", "resolver", "record_type", "expect", "protocol"]),
                )?;
                let query = self.req(&obj, "query").and_then(|n| {
                    let field = obj.f("query");
                    let q = self.nonempty_string(n, &field)?;
                    if q.parse::<IpAddr>().is_ok() || !is_dns_name(&q) {
                        self.invalid(n.pos, &field, format!("{q:?} is not a DNS name"));
                        return None;
                    }
                    Some(q)
                });
                let resolver = self
                    .req(&obj, "resolver")
                    .and_then(|n| self.socket_addr(n, &obj.f("resolver"), "127.0.0.1:53"));
                let record_type = match obj.get("record_type") {
                    None => Some(DnsRecordType::Host),
                    Some(n) => {
                        let field = obj.f("record_type");
                        self.string(n, &field).and_then(|s| {
                            let t = match s.to_ascii_uppercase().as_str() {
                                "HOST" => DnsRecordType::Host,
                                "A" => DnsRecordType::A,
                                "AAAA" => DnsRecordType::Aaaa,
                                "CNAME" => DnsRecordType::Cname,
                                "MX" => DnsRecordType::Mx,
                                "NS" => DnsRecordType::Ns,
                                "TXT" => DnsRecordType::Txt,
                                "SRV" => DnsRecordType::Srv,
                                "SOA" => DnsRecordType::Soa,
                                "PTR" => DnsRecordType::Ptr,
                                _ => {
                                    self.invalid(n.pos, &field, format!("unknown record type {s:?}; expected host, A, AAAA, CNAME, MX, NS, TXT, SRV, SOA or PTR"));
                                    return None;
                                }
                            };
                            Some(t)
                        })
                    }
                };
                let expect = match obj.get("expect") {
                    None => Some(Vec::new()),
                    Some(n) => self.string_list(n, &obj.f("expect")),
                };
                let protocol = match obj.get("protocol") {
                    None => Some(DnsProtocol::Udp),
                    Some(n) => {
                        let field = obj.f("protocol");
                        self.string(n, &field)
                            .and_then(|s| match s.to_ascii_lowercase().as_str() {
                                "udp" => Some(DnsProtocol::Udp),
                                "tcp" => Some(DnsProtocol::Tcp),
                                _ => {
                                    self.invalid(
                                        n.pos,
                                        &field,
                                        format!("unknown protocol {s:?}; expected udp or tcp"),
                                    );
                                    None
                                }
                            })
                    }
                };
                let retry = self.retry(&obj);
                CheckSpec::DnsLookup(DnsLookupSpec {
                    query: query?,
                    resolver: resolver?,
                    record_type: record_type?,
                    expect: expect?,
                    protocol: protocol?,
                    retry: retry?,
                })
            }
            "http_2xx" => {
                let obj = self.object(
                    node,
                    f,
                    &with_retry(&[
                        "url",
                        "method",
                        "headers",
                        "payload",
                        "expected_status",
                        "body_contains",
                        "insecure",
                    ]),
                )?;
                let url = self.req(&obj, "url").and_then(|n| {
                    let field = obj.f("url");
                    let u = self.nonempty_string(n, &field)?;
                    let lower = u.to_ascii_lowercase();
                    let rest = lower
                        .strip_prefix("http://")
                        .or_else(|| lower.strip_prefix("https://"));
                    match rest {
                        None => {
                            self.invalid(
                                n.pos,
                                &field,
                                format!("{u:?} is not an absolute http:// or https:// URL"),
                            );
                            None
                        }
                        Some(rest) => {
                            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
                            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
                            if host.is_empty() || u.contains(char::is_whitespace) {
                                self.invalid(
                                    n.pos,
                                    &field,
                                    format!("{u:?} has no host or contains white space"),
                                );
                                None
                            } else if let Err(message) = split_host_port(host, Some(80)) {
                                self.invalid(n.pos, &field, format!("bad host in URL: {message}"));
                                None
                            } else {
                                Some(u)
                            }
                        }
                    }
                });
                let method = self.req(&obj, "method").and_then(|n| {
                    let field = obj.f("method");
                    let m = self.string(n, &field)?;
                    if !is_token(&m) {
                        self.invalid(n.pos, &field, format!("{m:?} is not an HTTP method"));
                        return None;
                    }
                    Some(m)
                });
                let headers = match obj.get("headers") {
                    None => Some(BTreeMap::new()),
                    Some(n) => {
                        let field = obj.f("headers");
                        let h = self.string_map(n, &field);
                        if let Some(h) = &h {
                            for name in h.keys() {
                                if !is_token(name) {
                                    self.invalid(
                                        n.pos,
                                        &field,
                                        format!("{name:?} is not a valid header name"),
                                    );
                                    ok = false;
                                }
                            }
                        }
                        h
                    }
                };
                let payload = match obj.get("payload") {
                    None => Some(None),
                    Some(n) => self.string(n, &obj.f("payload")).map(Some),
                };
                let expected_status = match obj.get("expected_status") {
                    None => Some(vec![(200, 299)]),
                    Some(n) => self.status_ranges(n, &obj.f("expected_status")),
                };
                let body_contains = self.opt_string(&obj, "body_contains", &mut ok);
                let insecure = match obj.get("insecure") {
                    None => Some(false),
                    Some(n) => self.boolean(n, &obj.f("insecure")),
                };
                let retry = self.retry(&obj);
                CheckSpec::Http2xx(Http2xxSpec {
                    url: url?,
                    method: method?,
                    headers: headers?,
                    payload: payload?,
                    expected_status: expected_status?,
                    body_contains,
                    insecure: insecure?,
                    retry: retry?,
                })
            }
            "icmp_ping" => {
                let obj = self.object(node, f, &with_retry(&["static", "max_loss"]))?;
                let host = self.req(&obj, "static").and_then(|n| {
                    let sf = obj.f("static");
                    let s = self.object(n, &sf, &["host"])?;
                    self.req(&s, "host").and_then(|h| {
                        let field = s.f("host");
                        let host = self.nonempty_string(h, &field)?;
                        if host.parse::<IpAddr>().is_err() && !is_dns_name(&host) {
                            self.invalid(
                                h.pos,
                                &field,
                                format!("{host:?} is not a host name or IP address"),
                            );
                            return None;
                        }
                        Some(host)
                    })
                });
                let max_loss = match obj.get("max_loss") {
                    None => Some(0.0),
                    Some(n) => self.number(n, &obj.f("max_loss"), 0.0, 100.0),
                };
                let retry = self.retry(&obj);
                let retry = retry?;
                CheckSpec::IcmpPing(IcmpPingSpec {
                    host: host?,
                    count: retry.tries,
                    interval: retry.interval,
                    timeout: retry.timeout,
                    max_loss_percent: max_loss?,
                })
            }
            "ntpq" => {
                let obj = self.object(
                    node,
                    f,
                    &with_retry(&["server", "src_addr", "offset_threshold"]),
                )?;
                let server = self.req(&obj, "server").and_then(|n| {
                    let field = obj.f("server");
                    let s = self.nonempty_string(n, &field)?;
                    match split_host_port(&s, Some(123)) {
                        Ok((host, port))
                            if host.parse::<IpAddr>().is_ok() || is_dns_name(&host) =>
                        {
                            Some((host, port))
                        }
                        Ok((host, _)) => {
                            self.invalid(
                                n.pos,
                                &field,
                                format!("{host:?} is not a host name or IP address"),
                            );
                            None
                        }
                        Err(message) => {
                            self.invalid(n.pos, &field, message);
                            None
                        }
                    }
                });
                let src_addr = match obj.get("src_addr") {
                    None => Some(None),
                    Some(n) => self.ip(n, &obj.f("src_addr")).map(Some),
                };
                let offset_threshold = self
                    .req(&obj, "offset_threshold")
                    .and_then(|n| self.positive_duration(n, &obj.f("offset_threshold")));
                let retry = self.retry(&obj);
                let (server, port) = server?;
                CheckSpec::Ntpq(NtpqSpec {
                    server,
                    port,
                    src_addr: src_addr?,
                    offset_threshold: offset_threshold?,
                    retry: retry?,
                })
            }
            "tftp_rrq" => {
                let obj = self.object(
                    node,
                    f,
                    &with_retry(&["url", "expected_sha256", "min_size"]),
                )?;
                let target = self.req(&obj, "url").and_then(|n| {
                    let field = obj.f("url");
                    let u = self.nonempty_string(n, &field)?;
                    let rest = u
                        .get(..7)
                        .filter(|s| s.eq_ignore_ascii_case("tftp://"))
                        .and_then(|_| u.get(7..));
                    let Some(rest) = rest else {
                        self.invalid(
                            n.pos,
                            &field,
                            format!("{u:?} is not a tftp://host[:port]/file URL"),
                        );
                        return None;
                    };
                    let (authority, file) = rest.split_once('/').unwrap_or((rest, ""));
                    if file.is_empty() {
                        self.invalid(
                            n.pos,
                            &field,
                            format!("{u:?} names no file (tftp://host[:port]/file)"),
                        );
                        return None;
                    }
                    match split_host_port(authority, Some(69)) {
                        Ok((host, port)) => Some((host, port, file.to_string())),
                        Err(message) => {
                            self.invalid(n.pos, &field, message);
                            None
                        }
                    }
                });
                let expected_sha256 = match obj.get("expected_sha256") {
                    None => Some(None),
                    Some(n) => {
                        let field = obj.f("expected_sha256");
                        self.string(n, &field).and_then(|s| {
                            if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
                                Some(Some(s.to_ascii_lowercase()))
                            } else {
                                self.invalid(n.pos, &field, "expected 64 hexadecimal digits");
                                None
                            }
                        })
                    }
                };
                let min_size = match obj.get("min_size") {
                    None => Some(None),
                    Some(n) => self
                        .int(n, &obj.f("min_size"), 0, i128::from(u64::MAX))
                        .and_then(|v| u64::try_from(v).ok())
                        .map(Some),
                };
                let retry = self.retry(&obj);
                let (host, port, file) = target?;
                CheckSpec::TftpRrq(TftpRrqSpec {
                    host,
                    port,
                    file,
                    expected_sha256: expected_sha256?,
                    min_size: min_size?,
                    retry: retry?,
                })
            }
            "tls_certificate" => {
                let obj = self.object(
                    node,
                    f,
                    &[
                        "local",
                        "remote",
                        "common_name",
                        "dns_names",
                        "ip_addresses",
                        "issuer",
                        "expires_in_less_than",
                        "ca_file",
                        "timeout",
                    ],
                )?;
                let source = match (obj.get("local"), obj.get("remote")) {
                    (Some(_), Some(_)) => {
                        self.invalid(
                            obj.key_pos("remote"),
                            &obj.f("remote"),
                            "set local or remote, not both",
                        );
                        None
                    }
                    (None, None) => {
                        self.invalid(obj.pos, f, "either remote or local must be set");
                        None
                    }
                    (Some(n), None) => {
                        let lf = obj.f("local");
                        self.object(n, &lf, &["path"]).and_then(|l| {
                            let path = self
                                .req(&l, "path")
                                .and_then(|p| self.nonempty_string(p, &l.f("path")))?;
                            Some(TlsSource::Local {
                                path: PathBuf::from(path),
                            })
                        })
                    }
                    (None, Some(n)) => {
                        let rf = obj.f("remote");
                        self.object(n, &rf, &["host", "insecure", "server_name"])
                            .and_then(|r| {
                                let host = self.req(&r, "host").and_then(|h| {
                                    let field = r.f("host");
                                    let s = self.nonempty_string(h, &field)?;
                                    match split_host_port(&s, None) {
                                        Ok(_) => Some(s),
                                        Err(message) => {
                                            self.invalid(h.pos, &field, message);
                                            None
                                        }
                                    }
                                });
                                let insecure = match r.get("insecure") {
                                    None => Some(false),
                                    Some(b) => self.boolean(b, &r.f("insecure")),
                                };
                                let mut rok = true;
                                let server_name = self.opt_string(&r, "server_name", &mut rok);
                                if !rok {
                                    return None;
                                }
                                Some(TlsSource::Remote {
                                    host: host?,
                                    insecure: insecure?,
                                    server_name,
                                })
                            })
                    }
                };
                let common_name = self.opt_string(&obj, "common_name", &mut ok);
                let issuer = self.opt_string(&obj, "issuer", &mut ok);
                let dns_names = match obj.get("dns_names") {
                    None => Some(Vec::new()),
                    Some(n) => self.string_list(n, &obj.f("dns_names")),
                };
                let ip_addresses = match obj.get("ip_addresses") {
                    None => Some(Vec::new()),
                    Some(n) => {
                        let field = obj.f("ip_addresses");
                        self.list(n, &field).and_then(|items| {
                            let mut out = Vec::new();
                            let mut lok = true;
                            for (i, item) in items.iter().enumerate() {
                                match self.ip(item, &format!("{field}[{i}]")) {
                                    Some(ip) => out.push(ip),
                                    None => lok = false,
                                }
                            }
                            lok.then_some(out)
                        })
                    }
                };
                let expires_in_less_than = match obj.get("expires_in_less_than") {
                    None => Some(None),
                    Some(n) => self
                        .positive_duration(n, &obj.f("expires_in_less_than"))
                        .map(Some),
                };
                let ca_file = self.opt_string(&obj, "ca_file", &mut ok).map(PathBuf::from);
                let timeout = self.opt_duration(&obj, "timeout", Duration::from_secs(5), &mut ok);
                CheckSpec::TlsCertificate(TlsCertificateSpec {
                    source: source?,
                    common_name,
                    dns_names: dns_names?,
                    ip_addresses: ip_addresses?,
                    issuer,
                    expires_in_less_than: expires_in_less_than?,
                    ca_file,
                    timeout,
                })
            }
            "tcp_connect" => {
                let obj = self.object(node, f, &["address", "timeout"])?;
                let address = self.req(&obj, "address").and_then(|n| {
                    let field = obj.f("address");
                    let s = self.nonempty_string(n, &field)?;
                    match split_host_port(&s, None) {
                        Ok(_) => Some(s),
                        Err(message) => {
                            self.invalid(n.pos, &field, message);
                            None
                        }
                    }
                });
                let timeout = self.opt_duration(&obj, "timeout", Duration::from_secs(2), &mut ok);
                CheckSpec::TcpConnect(TcpConnectSpec {
                    address: address?,
                    timeout,
                })
            }
            "exec" => {
                let obj = self.object(node, f, &["command", "env", "timeout"])?;
                let command = self.req(&obj, "command").and_then(|n| {
                    let field = obj.f("command");
                    let c = self.string_list(n, &field)?;
                    if c.is_empty() {
                        self.invalid(n.pos, &field, "must name the program to run");
                        return None;
                    }
                    Some(c)
                });
                let env = match obj.get("env") {
                    None => Some(BTreeMap::new()),
                    Some(n) => {
                        let field = obj.f("env");
                        let e = self.string_map(n, &field);
                        if let Some(e) = &e {
                            for name in e.keys() {
                                if name.is_empty() || name.contains(['=', '\0']) {
                                    self.invalid(
                                        n.pos,
                                        &field,
                                        format!("{name:?} is not an environment variable name"),
                                    );
                                    ok = false;
                                }
                            }
                        }
                        e
                    }
                };
                let timeout = self.opt_duration(&obj, "timeout", Duration::from_secs(5), &mut ok);
                CheckSpec::Exec(ExecSpec {
                    command: command?,
                    env: env?,
                    timeout,
                })
            }
            "file" => {
                let obj = self.object(node, f, &["path", "present_means"])?;
                let path = self
                    .req(&obj, "path")
                    .and_then(|n| self.nonempty_string(n, &obj.f("path")));
                let present_means = self.req(&obj, "present_means").and_then(|n| {
                    let field = obj.f("present_means");
                    let s = self.string(n, &field)?;
                    match s.as_str() {
                        "drain" => Some(FilePresence::Drain),
                        "down" => Some(FilePresence::Down),
                        "up" => Some(FilePresence::Up),
                        _ => {
                            self.invalid(
                                n.pos,
                                &field,
                                format!("unknown value {s:?}; expected drain, down or up"),
                            );
                            None
                        }
                    }
                });
                CheckSpec::File(FileSpec {
                    path: PathBuf::from(path?),
                    present_means: present_means?,
                })
            }
            _ => return None,
        };
        ok.then_some(spec)
    }

    fn status_ranges(&mut self, node: &Node, field: &str) -> Option<Vec<(u16, u16)>> {
        let items = self.list(node, field)?;
        if items.is_empty() {
            self.invalid(node.pos, field, "must not be empty; omit it for 200-299");
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let sub = format!("{field}[{i}]");
            let range = match &item.value {
                Value::Int(_) => self
                    .int(item, &sub, 100, 599)
                    .and_then(|v| u16::try_from(v).ok())
                    .map(|v| (v, v)),
                Value::Str(s) => {
                    let parsed = s.split_once('-').and_then(|(a, b)| {
                        Some((a.trim().parse::<u16>().ok()?, b.trim().parse::<u16>().ok()?))
                    });
                    match parsed {
                        Some((lo, hi)) if (100..=599).contains(&lo) && (lo..=599).contains(&hi) => {
                            Some((lo, hi))
                        }
                        _ => {
                            self.invalid(item.pos, &sub, format!("{s:?} is not a status code range such as \"200-299\" within 100-599"));
                            None
                        }
                    }
                }
                _ => {
                    self.wrong_type(
                        item,
                        &sub,
                        "a status code or a range such as \"200-299\"",
                        None,
                    );
                    None
                }
            };
            match range {
                Some(r) => out.push(r),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    fn metrics(&mut self, node: &Node) -> Option<Metrics> {
        let obj = self.object(node, "metrics", &["enabled", "address"])?;
        let enabled = self
            .req(&obj, "enabled")
            .and_then(|n| self.boolean(n, &obj.f("enabled")))?;
        let address = match obj.get("address") {
            None if enabled => {
                self.err(
                    obj.pos,
                    &obj.field,
                    ConfigErrorKind::MissingKey("address".to_string()),
                );
                return None;
            }
            None => None,
            Some(n) => Some(self.socket_addr(n, &obj.f("address"), "127.0.0.1:9090")?),
        };
        Some(Metrics { enabled, address })
    }

    fn shutdown(&mut self, node: &Node) -> Option<Shutdown> {
        let obj = self.object(node, "shutdown", &["drain_time"])?;
        let drain_time = match obj.get("drain_time") {
            None => Duration::ZERO,
            Some(n) => self.nonnegative_duration(n, &obj.f("drain_time"))?,
        };
        Some(Shutdown { drain_time })
    }
}
