//! The BGP side: `announcer`, its `graceful_restart` and each of its `peers`.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::primitives::shown;
use super::{Ctx, Obj};
use crate::bgp::types::HoldTime;
use crate::config::duration;
use crate::config::error::ConfigErrorKind;
use crate::config::keys::{Key, Range, Table, Type};
use crate::config::model::{Announcer, Bfd, GracefulRestart, Md5Key, Peer};
use crate::config::tree::{Node, Pos, Value};

/// `announcer` (`config::keys` says how to add a key).
pub(super) const ANNOUNCER: Table = Table {
    doc: "The BGP speaker: identity, prefixes and neighbours.",
    keys: &[
        Key::req("router_id", Type::Ipv4, "BGP identifier, an IPv4 address"),
        Key::req(
            "local_address",
            Type::Ip,
            "TCP source and NEXT_HOP (IPv4 or IPv6)",
        ),
        Key::req(
            "local_asn",
            Type::Int {
                min: 1,
                max: 4_294_967_295,
            },
            "local AS number",
        ),
        Key::opt(
            "routes",
            Type::Prefixes,
            "prefixes of services without routes of their own",
        ),
        Key::req("peers", Type::List(&PEER), "BGP neighbours"),
        Key::opt(
            "next_hop_ipv6",
            Type::Ipv6,
            "extension: NEXT_HOP of IPv6 prefixes over IPv4 sessions",
        ),
        Key::opt(
            "next_hop_ipv4",
            Type::Ipv4,
            "extension: NEXT_HOP of IPv4 prefixes over IPv6 sessions",
        ),
        Key::opt(
            "graceful_restart",
            Type::Object(&GRACEFUL_RESTART),
            "extension: graceful restart (RFC 4724)",
        ),
        Key::opt(
            "bfd",
            Type::BoolOr(&super::bfd::BFD),
            "extension: BFD for every peer without its own bfd key (true: 300ms x 3)",
        ),
        Key::opt(
            "send_hold_time",
            Type::Duration(Range::SEND_HOLD),
            "extension: send_hold_time of every peer without its own",
        ),
    ],
};

/// `announcer.graceful_restart`.
const GRACEFUL_RESTART: Table = Table {
    doc: "extension: graceful restart (RFC 4724)",
    keys: &[
        Key::opt("enabled", Type::Bool, "default false"),
        Key::opt(
            "restart_time",
            Type::Duration(Range::RESTART_TIME),
            "default 120s",
        ),
    ],
};

/// One of `announcer.peers` (`config::keys` says how to add a key).
pub(super) const PEER: Table = Table {
    doc: "One BGP neighbour.",
    keys: &[
        Key::req("name", Type::String, "unique; the `peer` label of metrics"),
        Key::req("remote_address", Type::Ip, "unique; IPv4 or IPv6"),
        Key::req(
            "remote_asn",
            Type::Int {
                min: 1,
                max: 4_294_967_295,
            },
            "equal to local_asn means iBGP",
        ),
        Key::opt("enable_multihop", Type::Bool, "default false"),
        Key::opt(
            "multihop_ttl",
            Type::Int { min: 1, max: 255 },
            "255 when multihop is enabled without it",
        ),
        Key::opt(
            "remote_port",
            Type::Int { min: 1, max: 65535 },
            "extension, default 179",
        ),
        Key::opt(
            "local_address",
            Type::Ip,
            "extension, default announcer.local_address",
        ),
        Key::opt(
            "passive",
            Type::Bool,
            "extension: wait for the neighbour to connect, default false",
        ),
        Key::opt(
            "hold_time",
            Type::Schema(hold_time),
            "extension, seconds: 0 or 3..=65535, default 90 (RFC 4271 §4.2)",
        ),
        Key::opt(
            "connect_retry",
            Type::Duration(Range::CONNECT_RETRY),
            "extension, default 5s",
        ),
        Key::opt(
            "md5_password",
            Type::Schema(md5_password),
            "extension: TCP MD5 signature key (RFC 2385), at most 80 bytes",
        ),
        Key::opt(
            "md5_password_file",
            Type::String,
            "extension: file holding the key; not with md5_password",
        ),
        Key::opt(
            "ttl_security",
            Type::Bool,
            "extension: RFC 5082 GTSM; not with enable_multihop",
        ),
        Key::opt(
            "bfd",
            Type::BoolOr(&super::bfd::BFD),
            "extension: BFD for this peer; overrides announcer.bfd",
        ),
        Key::opt(
            "send_hold_time",
            Type::Duration(Range::SEND_HOLD),
            "extension: reset a session whose output the neighbour has not taken for this long (RFC 9687); 0 (off) or 1s to 1h; default twice the hold time",
        ),
    ],
};

/// The smallest SendHoldTime other than zero (off).
const MIN_SEND_HOLD: Duration = Duration::from_secs(1);

/// 0 or 3..=65535 seconds.
fn hold_time() -> serde_json::Value {
    serde_json::json!({"type": "integer", "anyOf": [{"const": 0}, {"minimum": 3, "maximum": 65535}]})
}

/// At most 80 bytes.
fn md5_password() -> serde_json::Value {
    serde_json::json!({"type": "string", "maxLength": 80})
}

/// What a peer takes from `announcer` when it does not say: the source address, BFD and the
/// SendHoldTime.
#[derive(Clone, Copy)]
struct Defaults {
    local_address: Option<IpAddr>,
    bfd: Option<Bfd>,
    send_hold_time: Option<Duration>,
}

impl Ctx<'_> {
    pub(super) fn announcer(&mut self, node: &Node) -> Option<(Announcer, Pos)> {
        let f = "announcer";
        let obj = self.object(node, f, &ANNOUNCER)?;
        let router_id = obj
            .get("router_id")
            .and_then(|n| self.ipv4(n, &obj.f("router_id")));
        let local_address = obj
            .get("local_address")
            .and_then(|n| self.ip(n, &obj.f("local_address")));
        let local_asn = obj
            .get("local_asn")
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
        let default_bfd = match obj.get("bfd") {
            None => Some(None),
            Some(n) => self.bfd(n, &obj.f("bfd")),
        };
        let default_send_hold = self.send_hold_time(&obj);
        let peers = obj.get("peers").and_then(|n| {
            let defaults = Defaults {
                local_address,
                bfd: default_bfd.flatten(),
                send_hold_time: default_send_hold.flatten(),
            };
            self.peers(n, &obj.f("peers"), defaults)
        });
        default_bfd?;
        default_send_hold?;
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
        let obj = self.object(node, f, &GRACEFUL_RESTART)?;
        let mut out = GracefulRestart::default();
        let mut ok = true;
        if let Some(n) = obj.get("enabled") {
            match self.boolean(n, &obj.f("enabled")) {
                Some(b) => out.enabled = b,
                None => ok = false,
            }
        }
        match self.duration(&obj, "restart_time") {
            Some(Some(d)) => out.restart_time = d,
            Some(None) => {}
            None => ok = false,
        }
        ok.then_some(out)
    }

    /// `send_hold_time` of `obj`: `Some(None)` when absent, `None` when wrong. Zero (off) or at
    /// least [`MIN_SEND_HOLD`].
    fn send_hold_time(&mut self, obj: &Obj<'_>) -> Option<Option<Duration>> {
        let value = self.duration(obj, "send_hold_time")?;
        if let (Some(d), Some(node)) = (value, obj.get("send_hold_time"))
            && !d.is_zero()
            && d < MIN_SEND_HOLD
        {
            self.err(
                node.pos,
                &obj.f("send_hold_time"),
                ConfigErrorKind::OutOfRange {
                    value: shown(node),
                    range: "0 (off) or 1s..=1h".to_string(),
                },
            );
            return None;
        }
        Some(value)
    }

    fn peers(&mut self, node: &Node, f: &str, defaults: Defaults) -> Option<Vec<Peer>> {
        let items = self.list(node, f)?;
        if items.is_empty() {
            self.err(node.pos, f, ConfigErrorKind::NoneGiven("peer"));
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        let mut addresses: HashMap<IpAddr, usize> = HashMap::new();
        let mut names: HashMap<String, usize> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            let pf = format!("{f}[{i}]");
            match self.peer(item, &pf, defaults) {
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

    fn peer(&mut self, node: &Node, f: &str, defaults: Defaults) -> Option<(Peer, Pos, Pos)> {
        let Defaults {
            local_address: announcer_local,
            bfd: default_bfd,
            send_hold_time: default_send_hold,
        } = defaults;
        let obj = self.object(node, f, &PEER)?;
        let name = obj
            .get("name")
            .and_then(|n| self.nonempty_string(n, &obj.f("name")));
        let remote_address = obj
            .get("remote_address")
            .and_then(|n| self.ip(n, &obj.f("remote_address")));
        let remote_asn = obj
            .get("remote_asn")
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
                self.err(
                    n.pos,
                    &obj.f("multihop_ttl"),
                    ConfigErrorKind::OutOfRange {
                        value: shown(n),
                        range: "1..=255".to_string(),
                    },
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
                            self.err(
                                n.pos,
                                &obj.f("local_address"),
                                ConfigErrorKind::DifferentFamilies { local: ip, remote },
                            );
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
                            self.err(n.pos, &field, ConfigErrorKind::HoldTime(v));
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
        let connect_retry =
            self.duration_or(&obj, "connect_retry", Duration::from_secs(5), &mut ok);
        let md5 = match (obj.get("md5_password"), obj.get("md5_password_file")) {
            (Some(_), Some(_)) => {
                self.err(
                    obj.key_pos("md5_password_file"),
                    &obj.f("md5_password_file"),
                    ConfigErrorKind::Exclusive {
                        first: "md5_password",
                        second: "md5_password_file",
                    },
                );
                ok = false;
                None
            }
            (Some(n), None) => {
                let field = obj.f("md5_password");
                match self.nonempty_string(n, &field) {
                    Some(p) if p.len() > 80 => {
                        self.err(n.pos, &field, ConfigErrorKind::Md5TooLong(p.len()));
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
        let bfd = match obj.get("bfd") {
            None => default_bfd,
            Some(n) => self.bfd(n, &obj.f("bfd")).unwrap_or_else(|| {
                ok = false;
                None
            }),
        };
        let send_hold_time = match self.send_hold_time(&obj) {
            Some(value) => value.or(default_send_hold),
            None => {
                ok = false;
                None
            }
        };
        if ttl_security && enable_multihop {
            self.err(
                obj.key_pos("ttl_security"),
                &obj.f("ttl_security"),
                ConfigErrorKind::Incompatible {
                    key: "ttl_security",
                    with: "enable_multihop",
                },
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
                bfd,
                send_hold_time,
            },
            obj.get("name").map_or(obj.pos, |n| n.pos),
            obj.get("remote_address").map_or(obj.pos, |n| n.pos),
        ))
    }
}
