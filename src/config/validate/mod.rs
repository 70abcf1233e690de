//! Walks the spanned tree, checks every rule, collects every error and builds the model.
//!
//! Nothing stops at the first problem: each section is validated on its own and a missing or broken
//! value only hides the rules that depend on it. Each mapping has a key table ([`crate::config::keys`])
//! beside its reader: [`primitives`] reads values, [`announcer`] the BGP side, [`services`] the
//! services and their checks, [`checks`] one file per check kind, [`health`] the health lifecycle.
//! This file holds the walk's state and the top level.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{ConfigError, ConfigErrorKind, ConfigWarning};
use super::keys::{Key, Range, Table, Type};
use super::model::{Config, Control, Lifecycle, Metrics, Shutdown};
use super::suggest::suggest;
use super::tree::{Key as TreeKey, Node, Pos, Value};

mod announcer;
mod bfd;
pub(crate) mod checks;
mod health;
mod primitives;
mod services;

/// The top level of the file.
pub(crate) const ROOT: Table = Table {
    doc: "anycastd configuration (the Go anycastd's keys plus documented extensions).",
    keys: &[
        Key::req(
            "announcer",
            Type::Object(&announcer::ANNOUNCER),
            "The BGP speaker: identity, prefixes and neighbours.",
        ),
        Key::req("services", Type::List(&services::SERVICE), "services"),
        Key::req(
            "metrics",
            Type::Object(&METRICS),
            "Prometheus /metrics, /healthz and /status",
        ),
        Key::opt(
            "shutdown",
            Type::Object(&SHUTDOWN),
            "extension: stop behaviour",
        ),
        Key::opt(
            "lifecycle",
            Type::Object(&health::LIFECYCLE),
            "extension: reload and drain safety",
        ),
        Key::opt(
            "control",
            Type::Object(&CONTROL),
            "extension: the control socket of `anycastd ctl`",
        ),
    ],
};

/// `control`.
const CONTROL: Table = Table {
    doc: "extension: the control socket of `anycastd ctl`",
    keys: &[
        Key::opt(
            "enabled",
            Type::Bool,
            "serve the control socket, default true",
        ),
        Key::opt(
            "socket",
            Type::String,
            "absolute path of the Unix socket, default /run/anycastd/control.sock",
        ),
    ],
};

/// `metrics`.
const METRICS: Table = Table {
    doc: "Prometheus /metrics, /healthz and /status",
    keys: &[
        Key::req(
            "enabled",
            Type::Bool,
            "false works (the Go daemon refused it)",
        ),
        Key::opt(
            "address",
            Type::String,
            "IP and port; \":9090\" means 0.0.0.0:9090; required when enabled",
        ),
    ],
};

/// `shutdown`.
const SHUTDOWN: Table = Table {
    doc: "extension: stop behaviour",
    keys: &[Key::opt(
        "drain_time",
        Type::Duration(Range::DRAIN),
        "keep routes de-preferred this long before withdrawing, default 0",
    )],
};

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
    table: &'static Table,
    entries: Vec<(&'n TreeKey, &'n Node)>,
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

    /// Checks that `node` is a mapping with only the keys of `table`, each once, and that it has
    /// every key `table` requires (a missing one is reported at the mapping).
    fn object<'n>(
        &mut self,
        node: &'n Node,
        field: &str,
        table: &'static Table,
    ) -> Option<Obj<'n>> {
        let Value::Map(entries) = &node.value else {
            self.wrong_type(node, field, "a mapping", None);
            return None;
        };
        let known = table.names();
        let mut obj = Obj {
            pos: node.pos,
            field: field.to_string(),
            table,
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
                let suggestion = suggest(&key.name, &known).map(str::to_string);
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
        for key in table.keys.iter().filter(|key| key.required) {
            if obj.get(key.name).is_none() {
                let pos = obj.key_pos(key.name);
                self.err(
                    pos,
                    field,
                    ConfigErrorKind::MissingKey(key.name.to_string()),
                );
            }
        }
        Some(obj)
    }

    pub(crate) fn root(&mut self, node: &Node) -> Option<Config> {
        let obj = self.object(node, "", &ROOT)?;
        let announcer = obj.get("announcer").and_then(|n| self.announcer(n));
        let services = obj.get("services").and_then(|n| self.services(n));
        let metrics = obj.get("metrics").and_then(|n| self.metrics(n));
        let shutdown = match obj.get("shutdown") {
            None => Some(Shutdown::default()),
            Some(n) => self.shutdown(n),
        };
        let lifecycle = match obj.get("lifecycle") {
            None => Some(Lifecycle::default()),
            Some(n) => self.lifecycle(n),
        };
        let control = match obj.get("control") {
            None => Some(Control::default()),
            Some(n) => self.control(n),
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
                self.err(
                    announcer_routes_pos,
                    "announcer.routes",
                    ConfigErrorKind::NoRoutes {
                        service: first.to_string(),
                    },
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
            control: control?,
        })
    }

    fn metrics(&mut self, node: &Node) -> Option<Metrics> {
        let obj = self.object(node, "metrics", &METRICS)?;
        let enabled = obj
            .get("enabled")
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

    fn control(&mut self, node: &Node) -> Option<Control> {
        let obj = self.object(node, "control", &CONTROL)?;
        let defaults = Control::default();
        let enabled = match obj.get("enabled") {
            None => Some(defaults.enabled),
            Some(n) => self.boolean(n, &obj.f("enabled")),
        };
        let socket = match obj.get("socket") {
            None => Some(defaults.socket),
            Some(n) => self.absolute_path(n, &obj.f("socket")),
        };
        Some(Control {
            enabled: enabled?,
            socket: socket?,
        })
    }

    /// A non-empty string that is an absolute path.
    fn absolute_path(&mut self, node: &Node, field: &str) -> Option<PathBuf> {
        let path = self.nonempty_string(node, field).map(PathBuf::from)?;
        if path.is_absolute() {
            return Some(path);
        }
        self.err(
            node.pos,
            field,
            ConfigErrorKind::NotA {
                value: path.display().to_string(),
                what: "an absolute path".to_string(),
                hint: None,
            },
        );
        None
    }

    fn shutdown(&mut self, node: &Node) -> Option<Shutdown> {
        let obj = self.object(node, "shutdown", &SHUTDOWN)?;
        let drain_time = self.duration(&obj, "drain_time")?.unwrap_or(Duration::ZERO);
        Some(Shutdown { drain_time })
    }
}
