//! Validation of the health lifecycle keys: `services[].{hold_down, dampening, inconclusive_grace,
//! states}` and the top-level `lifecycle` section (the model is in `model_health.rs`).
//!
//! Same rules as the rest of the loader: every error is collected, each with its position.

use std::collections::BTreeMap;
use std::time::Duration;

use super::{Ctx, Obj};
use crate::bgp::codec::LargeCommunity;
use crate::bgp::rib_out::RouteAttributes;
use crate::config::error::ConfigErrorKind;
use crate::config::keys::{Key, Range, Table, Type};
use crate::config::model::{
    Dampening, DampeningError, Lifecycle, Peer, RouteAction, ServiceHealth, StateRoute, StateRoutes,
};
use crate::config::suggest::suggest;
use crate::config::tree::{Node, Value};

/// A dampening number.
const U32: Type = Type::Int {
    min: 1,
    max: 4_294_967_295,
};

/// `services[].dampening` (`config::keys` says how to add a key).
pub(super) const DAMPENING: Table = Table {
    doc: "extension: flap dampening (RFC 2439 applied locally); {} = defaults",
    keys: &[
        Key::opt("penalty", U32, "added per failure, default 1000"),
        Key::opt("half_life", Type::Duration(Range::HALF_LIFE), "default 60s"),
        Key::opt("suppress", U32, "suppressed above this, default 2000"),
        Key::opt("reuse", U32, "released below this, default 750"),
        Key::opt("max_penalty", U32, "ceiling, default 12000"),
    ],
};

/// `services[].states`: one entry per health state.
pub(super) const STATES: Table = Table {
    doc: "extension: route attributes per health state (and per peer)",
    keys: &[
        Key::opt(
            "up",
            Type::Object(&STATE_ROUTE),
            "while up, default: announce plainly",
        ),
        Key::opt(
            "degraded",
            Type::Object(&STATE_ROUTE),
            "while degraded, default: announce plainly",
        ),
        Key::opt(
            "draining",
            Type::Object(&STATE_ROUTE),
            "while draining, default: GRACEFUL_SHUTDOWN 65535:0 and MED 4294967295",
        ),
        Key::opt(
            "down",
            Type::Object(&STATE_ROUTE),
            "while down, default: withdraw",
        ),
    ],
};

/// `med`, `local_pref`, `prepend`, `communities`, `large_communities`, `withdraw`: what a state does
/// to a route.
const ATTRIBUTES: [Key; 6] = [
    Key::opt(
        "med",
        Type::Int {
            min: 0,
            max: 4_294_967_295,
        },
        "MULTI_EXIT_DISC (RFC 4271 §5.1.4)",
    ),
    Key::opt(
        "local_pref",
        Type::Int {
            min: 0,
            max: 4_294_967_295,
        },
        "LOCAL_PREF for iBGP peers (RFC 4271 §5.1.5), default 100; not sent to eBGP peers",
    ),
    Key::opt(
        "prepend",
        Type::Int { min: 0, max: 32 },
        "extra copies of the local AS in AS_PATH",
    ),
    Key::opt(
        "communities",
        Type::Schema(communities),
        "ASN:VALUE communities (RFC 1997)",
    ),
    Key::opt(
        "large_communities",
        Type::Schema(large_communities),
        "GLOBAL:LOCAL1:LOCAL2 large communities (RFC 8092)",
    ),
    Key::opt(
        "withdraw",
        Type::Bool,
        "true: withdraw instead; takes no attributes",
    ),
];

/// What a state does to the routes a peer gets.
const ROUTE_ACTION: Table = Table {
    doc: "what this peer gets instead",
    keys: &ATTRIBUTES,
};

/// `states.<state>`: an action, and per-peer actions keyed by peer name.
const STATE_ROUTE: Table = Table {
    doc: "what this state does to the routes",
    keys: &{
        let [
            med,
            local_pref,
            prepend,
            communities,
            large_communities,
            withdraw,
        ] = ATTRIBUTES;
        [
            med,
            local_pref,
            prepend,
            communities,
            large_communities,
            withdraw,
            Key::opt(
                "peers",
                Type::MapOf(&ROUTE_ACTION),
                "per peer name: what that peer gets instead",
            ),
        ]
    },
};

/// `lifecycle` (`config::keys` says how to add a key).
pub(super) const LIFECYCLE: Table = Table {
    doc: "extension: reload and drain safety",
    keys: &[
        Key::opt(
            "max_withdraw_percent",
            Type::Int { min: 0, max: 100 },
            "a reload withdrawing more of the announced prefixes is refused, default 50",
        ),
        Key::opt(
            "drain_file",
            Type::String,
            "every service drains while this file exists",
        ),
        Key::opt(
            "state_file",
            Type::String,
            "absolute path where drains set by `anycastd ctl` or signals survive a restart, default /var/lib/anycastd/state.json",
        ),
    ],
};

/// ASN:VALUE strings.
fn communities() -> serde_json::Value {
    serde_json::json!({"type": "array", "items": {"type": "string", "pattern": "^[0-9]+:[0-9]+$"}})
}

/// GLOBAL:LOCAL1:LOCAL2 strings.
fn large_communities() -> serde_json::Value {
    serde_json::json!({"type": "array", "items": {"type": "string", "pattern": "^[0-9]+:[0-9]+:[0-9]+$"}})
}

/// The route attribute keys.
fn attribute_keys() -> Vec<&'static str> {
    ROUTE_ACTION.names()
}

impl Ctx<'_> {
    /// The lifecycle keys of the service mapping `obj`.
    pub(super) fn service_health(&mut self, obj: &Obj<'_>) -> Option<ServiceHealth> {
        let mut ok = true;
        let mut duration = |ctx: &mut Self, key: &str| -> Option<Duration> {
            let value = ctx.duration(obj, key);
            ok &= value.is_some();
            value.flatten()
        };
        let hold_down = duration(self, "hold_down").unwrap_or(Duration::ZERO);
        let inconclusive_grace = duration(self, "inconclusive_grace");
        let dampening = match obj.get("dampening") {
            None => Some(None),
            Some(node) => self.dampening(node, &obj.f("dampening")).map(Some),
        };
        let states = match obj.get("states") {
            None => Some(StateRoutes::default()),
            Some(node) => self.states(node, &obj.f("states")),
        };
        let health = ServiceHealth {
            hold_down,
            dampening: dampening?,
            inconclusive_grace,
            states: states?,
        };
        ok.then_some(health)
    }

    fn dampening(&mut self, node: &Node, f: &str) -> Option<Dampening> {
        let obj = self.object(node, f, &DAMPENING)?;
        let defaults = Dampening::default();
        let mut ok = true;
        let mut number = |ctx: &mut Self, key: &str, default: u32| -> u32 {
            match ctx.int_at(&obj, key) {
                Some(value) => value
                    .and_then(|value| u32::try_from(value).ok())
                    .unwrap_or(default),
                None => {
                    ok = false;
                    default
                }
            }
        };
        let settings = Dampening {
            penalty: number(self, "penalty", defaults.penalty),
            half_life: defaults.half_life,
            suppress: number(self, "suppress", defaults.suppress),
            reuse: number(self, "reuse", defaults.reuse),
            max_penalty: number(self, "max_penalty", defaults.max_penalty),
        };
        let half_life = self
            .duration(&obj, "half_life")
            .map(|value| value.unwrap_or(defaults.half_life));
        let settings = Dampening {
            half_life: half_life?,
            ..settings
        };
        if !ok {
            return None;
        }
        let errors = settings.validate();
        for error in &errors {
            let key = match error {
                DampeningError::ZeroHalfLife => "half_life",
                DampeningError::ZeroPenalty => "penalty",
                DampeningError::ZeroReuse | DampeningError::ReuseNotBelowSuppress { .. } => "reuse",
                DampeningError::CeilingNotAboveSuppress { .. } => "max_penalty",
            };
            self.err(
                obj.key_pos(key),
                &obj.f(key),
                ConfigErrorKind::Dampening(*error),
            );
        }
        errors.is_empty().then_some(settings)
    }

    fn states(&mut self, node: &Node, f: &str) -> Option<StateRoutes> {
        let obj = self.object(node, f, &STATES)?;
        let defaults = StateRoutes::default();
        let entry = |ctx: &mut Self, key: &str, default: StateRoute| -> Option<StateRoute> {
            match obj.get(key) {
                None => Some(default),
                Some(node) => ctx.state_route(node, &obj.f(key), default.action),
            }
        };
        let up = entry(self, "up", defaults.up);
        let degraded = entry(self, "degraded", defaults.degraded);
        let draining = entry(self, "draining", defaults.draining);
        let down = entry(self, "down", defaults.down);
        Some(StateRoutes {
            up: up?,
            degraded: degraded?,
            draining: draining?,
            down: down?,
        })
    }

    /// `states.<state>`: attributes or `withdraw`, and `peers`. Without attribute keys the state keeps
    /// its default action (`default`).
    fn state_route(&mut self, node: &Node, f: &str, default: RouteAction) -> Option<StateRoute> {
        let obj = self.object(node, f, &STATE_ROUTE)?;
        let has_action = attribute_keys().iter().any(|key| obj.get(key).is_some());
        let action = if has_action {
            self.route_action(&obj)
        } else {
            Some(default)
        };
        let peers = match obj.get("peers") {
            None => Some(BTreeMap::new()),
            Some(node) => self.peer_actions(node, &obj.f("peers")),
        };
        Some(StateRoute {
            action: action?,
            peers: peers?,
        })
    }

    fn peer_actions(&mut self, node: &Node, f: &str) -> Option<BTreeMap<String, RouteAction>> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, f, "a mapping of peer names", None);
            return None;
        };
        let mut out = BTreeMap::new();
        let mut ok = true;
        for (key, value) in entries {
            let field = format!("{f}.{}", key.name);
            if out.contains_key(&key.name) {
                self.err(
                    key.pos,
                    f,
                    ConfigErrorKind::Duplicate {
                        what: format!("peer {:?}", key.name),
                        first_line: entries
                            .iter()
                            .find(|(k, _)| k.name == key.name)
                            .map_or(key.pos.line, |(k, _)| k.pos.line),
                    },
                );
                ok = false;
                continue;
            }
            let action = self
                .object(value, &field, &ROUTE_ACTION)
                .and_then(|obj| self.route_action(&obj));
            match action {
                Some(action) => {
                    out.insert(key.name.clone(), action);
                }
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// `med`, `local_pref`, `prepend`, `communities`, `large_communities`, or `withdraw: true`
    /// alone.
    fn route_action(&mut self, obj: &Obj<'_>) -> Option<RouteAction> {
        let withdraw = match obj.get("withdraw") {
            None => Some(false),
            Some(node) => self.boolean(node, &obj.f("withdraw")),
        }?;
        if withdraw {
            let others: Vec<&str> = attribute_keys()
                .into_iter()
                .filter(|key| *key != "withdraw" && obj.get(key).is_some())
                .collect();
            if let Some(first) = others.first() {
                self.err(
                    obj.key_pos(first),
                    &obj.f(first),
                    ConfigErrorKind::WithdrawWithAttributes,
                );
                return None;
            }
            return Some(RouteAction::Withdraw);
        }
        let mut ok = true;
        let med = match obj.get("med") {
            None => None,
            Some(node) => {
                let value = self.int(node, &obj.f("med"), 0, i128::from(u32::MAX));
                ok &= value.is_some();
                value.and_then(|v| u32::try_from(v).ok())
            }
        };
        let local_pref = match obj.get("local_pref") {
            None => None,
            Some(node) => {
                let value = self.int(node, &obj.f("local_pref"), 0, i128::from(u32::MAX));
                ok &= value.is_some();
                value.and_then(|v| u32::try_from(v).ok())
            }
        };
        let prepend = match obj.get("prepend") {
            None => 0,
            Some(node) => {
                let value = self.int(node, &obj.f("prepend"), 0, 32);
                ok &= value.is_some();
                value.and_then(|v| u8::try_from(v).ok()).unwrap_or(0)
            }
        };
        let communities = match obj.get("communities") {
            None => Some(Vec::new()),
            Some(node) => self
                .parts_list(node, &obj.f("communities"), 2, "ASN:VALUE", u16::MAX.into())
                .map(|list| {
                    list.into_iter()
                        .map(|parts| match parts.as_slice() {
                            [high, low] => (high << 16) | low,
                            _ => 0,
                        })
                        .collect()
                }),
        };
        let large_communities = match obj.get("large_communities") {
            None => Some(Vec::new()),
            Some(node) => self
                .parts_list(
                    node,
                    &obj.f("large_communities"),
                    3,
                    "GLOBAL:LOCAL1:LOCAL2",
                    u32::MAX,
                )
                .map(|list| {
                    list.into_iter()
                        .filter_map(|parts| match parts.as_slice() {
                            [global, local1, local2] => Some(LargeCommunity {
                                global: *global,
                                local1: *local1,
                                local2: *local2,
                            }),
                            _ => None,
                        })
                        .collect()
                }),
        };
        let attributes = RouteAttributes {
            med,
            local_pref,
            communities: communities?,
            large_communities: large_communities?,
            prepend,
        };
        ok.then_some(RouteAction::Announce(attributes))
    }

    /// A list of strings of `count` colon-separated numbers, each at most `max`.
    fn parts_list(
        &mut self,
        node: &Node,
        f: &str,
        count: usize,
        form: &str,
        max: u32,
    ) -> Option<Vec<Vec<u32>>> {
        let items = self.list(node, f)?;
        let mut out = Vec::new();
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let field = format!("{f}[{i}]");
            let Some(text) = self.string(item, &field) else {
                ok = false;
                continue;
            };
            let parts: Option<Vec<u32>> = text
                .split(':')
                .map(|part| part.parse::<u32>().ok().filter(|value| *value <= max))
                .collect();
            match parts.filter(|parts| parts.len() == count) {
                Some(parts) => out.push(parts),
                None => {
                    self.err(
                        item.pos,
                        &field,
                        ConfigErrorKind::NotA {
                            value: text,
                            what: format!("{form} with each part in 0..={max}"),
                            hint: None,
                        },
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(out)
    }

    /// The top-level `lifecycle` section.
    pub(super) fn lifecycle(&mut self, node: &Node) -> Option<Lifecycle> {
        let obj = self.object(node, "lifecycle", &LIFECYCLE)?;
        let defaults = Lifecycle::default();
        let max_withdraw_percent = match obj.get("max_withdraw_percent") {
            None => Some(defaults.max_withdraw_percent),
            Some(node) => self
                .int(node, &obj.f("max_withdraw_percent"), 0, 100)
                .and_then(|value| u8::try_from(value).ok()),
        };
        let drain_file = match obj.get("drain_file") {
            None => Some(None),
            Some(node) => self.absolute_path(node, &obj.f("drain_file")).map(Some),
        };
        let state_file = match obj.get("state_file") {
            None => Some(defaults.state_file.clone()),
            Some(node) => self.absolute_path(node, &obj.f("state_file")),
        };
        Some(Lifecycle {
            max_withdraw_percent: max_withdraw_percent?,
            drain_file: drain_file?,
            state_file: state_file?,
        })
    }

    /// Every peer named in a service's `states.<state>.peers` must be a configured peer.
    pub(super) fn state_peers(&mut self, services: &Node, peers: &[Peer]) {
        let names: Vec<&str> = peers.iter().map(|peer| peer.name.as_str()).collect();
        let Value::Seq(items) = &services.value else {
            return;
        };
        for (i, service) in items.iter().enumerate() {
            let Some(states) = member(service, "states") else {
                continue;
            };
            for state in STATES.names() {
                let Some(Value::Map(entries)) = member(states, state)
                    .and_then(|s| member(s, "peers"))
                    .map(|p| &p.value)
                else {
                    continue;
                };
                for (key, _) in entries {
                    if names.contains(&key.name.as_str()) {
                        continue;
                    }
                    let suggestion = suggest(&key.name, &names).map(str::to_string);
                    self.err(
                        key.pos,
                        &format!("services[{i}].states.{state}.peers"),
                        ConfigErrorKind::UnknownPeer {
                            name: key.name.clone(),
                            suggestion,
                        },
                    );
                }
            }
        }
    }
}

/// The value of `key` in a mapping node.
fn member<'n>(node: &'n Node, key: &str) -> Option<&'n Node> {
    let Value::Map(entries) = &node.value else {
        return None;
    };
    entries
        .iter()
        .find(|(k, _)| k.name == key)
        .map(|(_, value)| value)
}
