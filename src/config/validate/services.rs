//! The services: each `services[]` entry, its strategy and its `checks` (the `spec` of each kind is
//! in `checks/`; the health lifecycle keys in `health.rs`).

use std::collections::HashMap;
use std::time::Duration;

use super::checks::{KINDS, kind_names};
use super::{Ctx, Obj, health};
use crate::config::error::ConfigErrorKind;
use crate::config::keys::{Key, Range, Table, Type};
use crate::config::model::{Check, Service, Strategy};
use crate::config::suggest::suggest;
use crate::config::tree::{Node, Pos};

const STRATEGIES: &[&str] = &[
    "at_least_one",
    "all",
    "all_in_group",
    "at_least_n_percentage",
];

/// One of `services` (`config::keys` says how to add a key).
pub(super) const SERVICE: Table = Table {
    doc: "A service: checks, a strategy, and the prefixes it owns.",
    keys: &[
        Key::req(
            "name",
            Type::String,
            "unique; the `service` label of metrics",
        ),
        Key::req(
            "check_interval",
            Type::Duration(Range::INTERVAL),
            "time between evaluations",
        ),
        Key::opt("strategy", Type::OneOf(STRATEGIES), "default at_least_one"),
        Key::opt(
            "strategy_options",
            Type::Object(&STRATEGY_OPTIONS),
            "only for at_least_n_percentage",
        ),
        Key::req("checks", Type::List(&CHECK), "health checks"),
        Key::opt(
            "routes",
            Type::Prefixes,
            "extension: this service's own prefixes",
        ),
        Key::opt(
            "hold_down",
            Type::Duration(Range::HOLD),
            "extension: healthy this long after a failure before announcing again",
        ),
        Key::opt(
            "dampening",
            Type::Object(&health::DAMPENING),
            "extension: flap dampening (RFC 2439 applied locally); {} = defaults",
        ),
        Key::opt(
            "inconclusive_grace",
            Type::Duration(Range::HOLD),
            "extension: a probe that cannot run keeps the last state this long",
        ),
        Key::opt(
            "states",
            Type::Object(&health::STATES),
            "extension: route attributes per health state (and per peer)",
        ),
    ],
};

/// `strategy_options`.
const STRATEGY_OPTIONS: Table = Table {
    doc: "only for at_least_n_percentage",
    keys: &[Key::req(
        "n",
        Type::Number { min: 0.0, max: 1.0 },
        "down when failed/total > n",
    )],
};

/// One of `services[].checks` (`config::keys` says how to add a key; a kind's `spec` keys are in
/// its file under `checks/`).
pub(super) const CHECK: Table = Table {
    doc: "One health check.",
    keys: &[
        Key::req("kind", Type::Kind, "the probe"),
        Key::req("spec", Type::Spec, "the probe's settings; see the kind"),
        Key::opt("group", Type::String, "used by the all_in_group strategy"),
        Key::opt(
            "name",
            Type::String,
            "extension; default <kind> or <kind>-<n>",
        ),
        Key::opt(
            "interval",
            Type::Duration(Range::INTERVAL),
            "extension, default check_interval",
        ),
        Key::opt(
            "timeout",
            Type::Duration(Range::TIMEOUT),
            "extension: hard deadline of one run",
        ),
        Key::opt(
            "rise",
            Type::Int {
                min: 1,
                max: 4_294_967_295,
            },
            "extension, passes in a row before up, default 1",
        ),
        Key::opt(
            "fall",
            Type::Int {
                min: 1,
                max: 4_294_967_295,
            },
            "extension, failures in a row before down, default 1",
        ),
        Key::opt(
            "splay",
            Type::Bool,
            "extension, spread the runs over the interval, default true",
        ),
        Key::opt(
            "fast_interval",
            Type::Duration(Range::INTERVAL),
            "extension, time between runs while the check is in transition (counting towards rise or fall, or after a watch event), default interval",
        ),
        Key::opt(
            "watch",
            Type::Bool,
            "extension, hold an idle TCP connection to the target and run at once when it closes (http_2xx, tcp_connect, dns_lookup, tls_certificate with remote), default false",
        ),
    ],
};

impl Ctx<'_> {
    pub(super) fn services(&mut self, node: &Node) -> Option<Vec<Service>> {
        let f = "services";
        let items = self.list(node, f)?;
        if items.is_empty() {
            self.err(node.pos, f, ConfigErrorKind::NoneGiven("service"));
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
        let obj = self.object(node, f, &SERVICE)?;
        let name = obj
            .get("name")
            .and_then(|n| self.nonempty_string(n, &obj.f("name")));
        let check_interval = self.duration(&obj, "check_interval").flatten();
        let strategy = self.strategy(&obj);
        let routes = match obj.get("routes") {
            None => Some(None),
            Some(n) => {
                let field = obj.f("routes");
                match self.prefixes(n, &field) {
                    Some(r) if r.is_empty() => {
                        self.err(
                            n.pos,
                            &field,
                            ConfigErrorKind::Empty {
                                hint: Some("omit it to use announcer.routes"),
                            },
                        );
                        None
                    }
                    Some(r) => Some(Some(r)),
                    None => None,
                }
            }
        };
        let checks = obj
            .get("checks")
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
                    self.err(pos, &field, ConfigErrorKind::PercentageWithoutOptions);
                    return None;
                };
                let of = obj.f("strategy_options");
                let o = self.object(options, &of, &STRATEGY_OPTIONS)?;
                let n = o
                    .get("n")
                    .and_then(|n| self.number(n, &o.f("n"), 0.0, 1.0))?;
                return Some(Strategy::AtLeastNPercentage(n));
            }
            other => {
                let kind = ConfigErrorKind::Unknown {
                    what: "strategy",
                    value: other.to_string(),
                    suggestion: suggest(other, STRATEGIES).map(str::to_string),
                    expected: format!("one of {}", STRATEGIES.join(", ")),
                };
                self.err(pos, &field, kind);
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
            self.err(node.pos, f, ConfigErrorKind::NoneGiven("check"));
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
        let obj = self.object(node, f, &CHECK)?;
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
        let interval = match self.duration(&obj, "interval") {
            Some(None) => service_interval,
            Some(Some(v)) => Some(v),
            None => {
                ok = false;
                None
            }
        };
        let timeout = self.duration(&obj, "timeout").unwrap_or_else(|| {
            ok = false;
            None
        });
        let mut count = |this: &mut Self, key: &str| match this.int_at(&obj, key) {
            Some(None) => 1,
            value => value
                .flatten()
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
        let fast_interval = self.duration(&obj, "fast_interval").unwrap_or_else(|| {
            ok = false;
            None
        });
        let watch = match obj.get("watch") {
            None => None,
            Some(n) => match self.boolean(n, &obj.f("watch")) {
                Some(v) => Some((v, n.pos)),
                None => {
                    ok = false;
                    None
                }
            },
        };
        let kind = obj.get("kind").and_then(|n| {
            let field = obj.f("kind");
            let k = self.string(n, &field)?;
            match KINDS.iter().find(|known| known.name == k) {
                Some(known) => Some(known),
                None => {
                    let kinds = kind_names();
                    let kind = ConfigErrorKind::Unknown {
                        what: "check kind",
                        suggestion: suggest(&k, &kinds).map(str::to_string),
                        value: k,
                        expected: format!("one of {}", kinds.join(", ")),
                    };
                    self.err(n.pos, &field, kind);
                    None
                }
            }
        });
        let spec_node = obj.get("spec");
        let spec = match (kind, spec_node) {
            (Some(kind), Some(n)) => self.spec(kind, n, &obj.f("spec")),
            _ => None,
        };
        if !ok {
            return None;
        }
        let spec = spec?;
        if let Some((true, pos)) = watch
            && let Err(why) = spec.watch_target()
        {
            self.err(pos, &obj.f("watch"), ConfigErrorKind::WatchUnsupported(why));
            return None;
        }
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
                fast_interval: fast_interval.unwrap_or(interval),
                watch: watch.is_some_and(|(v, _)| v),
                spec,
            },
            explicit,
            pos,
        ))
    }
}
