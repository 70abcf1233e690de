//! The values every section is made of: strings, numbers, booleans, durations (within the range
//! their key table gives), addresses, prefixes, lists and mappings. Each reader reports what is
//! wrong with the value and returns `None`; the caller decides what a missing value hides.

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use super::{Ctx, Obj};
use crate::bgp::types::{Asn, IpNetwork, Prefix};
use crate::config::duration::{self, GoDuration};
use crate::config::error::{ConfigErrorKind, HostPortError};
use crate::config::keys::{Range, Type};
use crate::config::tree::{Node, Value};

/// Describes a scalar for messages: `"10"` for a string, `10` for a number.
pub(super) fn shown(node: &Node) -> String {
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
) -> Result<(String, u16), HostPortError> {
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return Err(HostPortError::NoClosingBracket(text.to_string()));
        };
        if host.parse::<Ipv6Addr>().is_err() {
            return Err(HostPortError::NotIpv6(host.to_string()));
        }
        match after.strip_prefix(':') {
            Some(port) => (host.to_string(), Some(port)),
            None if after.is_empty() => (host.to_string(), None),
            None => {
                return Err(HostPortError::AfterBracket {
                    after: after.to_string(),
                    text: text.to_string(),
                });
            }
        }
    } else if text.matches(':').count() > 1 {
        if text.parse::<Ipv6Addr>().is_ok() {
            (text.to_string(), None)
        } else {
            return Err(HostPortError::Unbracketed(text.to_string()));
        }
    } else {
        match text.split_once(':') {
            Some((host, port)) => (host.to_string(), Some(port)),
            None => (text.to_string(), None),
        }
    };
    if host.is_empty() {
        return Err(HostPortError::NoHost(text.to_string()));
    }
    if host.contains(|c: char| c.is_whitespace() || c == '/' || c == '@') {
        return Err(HostPortError::BadHost(host));
    }
    let port = match (port, default_port) {
        (Some(p), _) => match p.parse::<u16>() {
            Ok(p) if p > 0 => p,
            _ => return Err(HostPortError::BadPort(p.to_string())),
        },
        (None, Some(p)) => p,
        (None, None) => return Err(HostPortError::NoPort(text.to_string())),
    };
    Ok((host, port))
}

/// `IPv4` or `IPv6`.
fn family_of(ip: IpAddr) -> &'static str {
    if ip.is_ipv4() { "IPv4" } else { "IPv6" }
}

pub(super) fn is_dns_name(name: &str) -> bool {
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

pub(super) fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

impl Ctx<'_> {
    pub(super) fn string(&mut self, node: &Node, field: &str) -> Option<String> {
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

    pub(super) fn nonempty_string(&mut self, node: &Node, field: &str) -> Option<String> {
        let s = self.string(node, field)?;
        if s.trim().is_empty() {
            self.err(node.pos, field, ConfigErrorKind::Empty { hint: None });
            return None;
        }
        Some(s)
    }

    pub(super) fn int(&mut self, node: &Node, field: &str, min: i128, max: i128) -> Option<i128> {
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
            self.err(
                node.pos,
                field,
                ConfigErrorKind::OutOfRange {
                    value: value.to_string(),
                    range: format!("{min}..={max}"),
                },
            );
            return None;
        }
        Some(value)
    }

    pub(super) fn number(&mut self, node: &Node, field: &str, min: f64, max: f64) -> Option<f64> {
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
            self.err(
                node.pos,
                field,
                ConfigErrorKind::OutOfRange {
                    value: shown(node),
                    range: format!("[{min}, {max}]"),
                },
            );
            return None;
        }
        Some(value)
    }

    pub(super) fn boolean(&mut self, node: &Node, field: &str) -> Option<bool> {
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

    pub(super) fn go_duration(&mut self, node: &Node, field: &str) -> Option<GoDuration> {
        match &node.value {
            Value::Str(s) => match duration::parse(s) {
                Ok(d) => Some(d),
                Err(error) => {
                    self.err(node.pos, field, error.into());
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

    /// A duration within `range`. Zero and negative values keep their own messages; anything else
    /// outside the range names the range.
    pub(super) fn duration_in(
        &mut self,
        node: &Node,
        field: &str,
        range: Range,
    ) -> Option<Duration> {
        let d = self.go_duration(node, field)?;
        let negative = d.negative && !d.magnitude.is_zero();
        if range.min.is_zero() && negative {
            self.err(
                node.pos,
                field,
                ConfigErrorKind::Negative { found: shown(node) },
            );
            return None;
        }
        if !range.min.is_zero() && negative {
            self.err(
                node.pos,
                field,
                ConfigErrorKind::NotPositive { found: shown(node) },
            );
            return None;
        }
        if !range.min.is_zero() && d.magnitude.is_zero() {
            self.err(
                node.pos,
                field,
                ConfigErrorKind::NotPositive {
                    found: "zero".to_string(),
                },
            );
            return None;
        }
        if d.magnitude > range.max {
            if let Some(max_is) = range.max_is {
                self.err(
                    node.pos,
                    field,
                    ConfigErrorKind::AboveMax {
                        value: shown(node),
                        max: max_is,
                    },
                );
                return None;
            }
        }
        if d.magnitude < range.min || d.magnitude > range.max {
            self.err(
                node.pos,
                field,
                ConfigErrorKind::OutOfRange {
                    value: shown(node),
                    range: range.to_string(),
                },
            );
            return None;
        }
        Some(d.magnitude)
    }

    /// Duration key `key` of `obj`, within the range its table entry gives; `Some(None)` when
    /// absent, `None` when wrong.
    pub(super) fn duration(&mut self, obj: &Obj<'_>, key: &str) -> Option<Option<Duration>> {
        let Some(node) = obj.get(key) else {
            return Some(None);
        };
        let field = obj.f(key);
        match obj.table.key(key).map(|k| &k.ty) {
            Some(Type::Duration(range)) => self.duration_in(node, &field, *range).map(Some),
            _ => {
                self.err(node.pos, &field, ConfigErrorKind::NotInTable("duration"));
                None
            }
        }
    }

    /// Duration key `key` of `obj`, or `default` when absent; clears `ok` when it is wrong.
    pub(super) fn duration_or(
        &mut self,
        obj: &Obj<'_>,
        key: &str,
        default: Duration,
        ok: &mut bool,
    ) -> Duration {
        match self.duration(obj, key) {
            Some(value) => value.unwrap_or(default),
            None => {
                *ok = false;
                default
            }
        }
    }

    /// Integer key `key` of `obj`, within the range its table entry gives; `Some(None)` when
    /// absent, `None` when wrong.
    pub(super) fn int_at(&mut self, obj: &Obj<'_>, key: &str) -> Option<Option<i128>> {
        let Some(node) = obj.get(key) else {
            return Some(None);
        };
        let field = obj.f(key);
        match obj.table.key(key).map(|k| &k.ty) {
            Some(&Type::Int { min, max }) => self
                .int(node, &field, i128::from(min), i128::from(max))
                .map(Some),
            _ => {
                self.err(node.pos, &field, ConfigErrorKind::NotInTable("integer"));
                None
            }
        }
    }

    /// An address of `family`: `"IPv4"`, `"IPv6"`, or `"IP"` for either.
    fn address(&mut self, node: &Node, field: &str, family: &'static str) -> Option<IpAddr> {
        let s = self.string(node, field)?;
        let kind = match s.parse::<IpAddr>() {
            Ok(ip) if family == "IP" || family == family_of(ip) => return Some(ip),
            Ok(ip) => ConfigErrorKind::WrongFamily {
                value: s,
                is: family_of(ip),
                needed: family,
            },
            Err(_) => ConfigErrorKind::NotA {
                value: s,
                what: format!("an {family} address"),
                hint: None,
            },
        };
        self.err(node.pos, field, kind);
        None
    }

    pub(super) fn ip(&mut self, node: &Node, field: &str) -> Option<IpAddr> {
        self.address(node, field, "IP")
    }

    pub(super) fn ipv4(&mut self, node: &Node, field: &str) -> Option<Ipv4Addr> {
        match self.address(node, field, "IPv4")? {
            IpAddr::V4(ip) => Some(ip),
            IpAddr::V6(_) => None,
        }
    }

    pub(super) fn ipv6(&mut self, node: &Node, field: &str) -> Option<Ipv6Addr> {
        match self.address(node, field, "IPv6")? {
            IpAddr::V6(ip) => Some(ip),
            IpAddr::V4(_) => None,
        }
    }

    pub(super) fn socket_addr(
        &mut self,
        node: &Node,
        field: &str,
        example: &'static str,
    ) -> Option<SocketAddr> {
        let s = self.string(node, field)?;
        if let Ok(addr) = s.parse::<SocketAddr>() {
            return Some(addr);
        }
        if let Some(port) = s.strip_prefix(':') {
            if let Ok(port) = port.parse::<u16>() {
                return Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port));
            }
        }
        let kind = if s.parse::<IpAddr>().is_ok() {
            ConfigErrorKind::NoPort { value: s, example }
        } else {
            ConfigErrorKind::NotA {
                value: s,
                what: format!("an IP address and port such as {example} (IPv6: [::1]:port)"),
                hint: None,
            }
        };
        self.err(node.pos, field, kind);
        None
    }

    pub(super) fn list<'n>(&mut self, node: &'n Node, field: &str) -> Option<&'n [Node]> {
        match &node.value {
            Value::Seq(items) => Some(items),
            _ => {
                self.wrong_type(node, field, "a list", None);
                None
            }
        }
    }

    pub(super) fn string_list(&mut self, node: &Node, field: &str) -> Option<Vec<String>> {
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

    pub(super) fn string_map(
        &mut self,
        node: &Node,
        field: &str,
    ) -> Option<BTreeMap<String, String>> {
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

    pub(super) fn prefix(&mut self, node: &Node, field: &str) -> Option<Prefix> {
        let s = self.string(node, field)?;
        if !s.contains('/') {
            let hint = match s.parse::<IpAddr>() {
                Ok(IpAddr::V4(_)) => Some(format!("write {s}/32 for a single address")),
                Ok(IpAddr::V6(_)) => Some(format!("write {s}/128 for a single address")),
                Err(_) => None,
            };
            self.err(
                node.pos,
                field,
                ConfigErrorKind::NotA {
                    value: s,
                    what: "a prefix in CIDR notation (address/length)".to_string(),
                    hint,
                },
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
                self.err(
                    node.pos,
                    field,
                    ConfigErrorKind::NotA {
                        value: s,
                        what: "a prefix in CIDR notation (address/length)".to_string(),
                        hint: None,
                    },
                );
                None
            }
        }
    }

    pub(super) fn prefixes(&mut self, node: &Node, field: &str) -> Option<Vec<Prefix>> {
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

    pub(super) fn asn(&mut self, node: &Node, field: &str) -> Option<Asn> {
        if matches!(node.value, Value::Int(0)) {
            self.err(node.pos, field, ConfigErrorKind::ReservedAsn);
            return None;
        }
        let value = self.int(node, field, 1, i128::from(u32::MAX))?;
        u32::try_from(value).ok().and_then(Asn::new)
    }
}
