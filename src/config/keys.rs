//! The key tables: one [`Table`] per mapping of the configuration, next to the code that reads it
//! (`validate/`). The validator takes the known keys, the required keys and every duration's range
//! from the table; [`schema`](super::schema) renders the same tables as the JSON Schema. Nothing
//! else lists keys.
//!
//! To add a key to a mapping (a peer in `validate/announcer.rs`, a check kind's `spec` in
//! `validate/checks/<kind>.rs`, a service in `validate/services.rs`...): add one [`Key`] line to that
//! mapping's table, then read it in the function beside the table: `obj.get("key")`, or
//! `self.duration(&obj, "key")` / `self.int_at(&obj, "key")`, which apply the table's range. A
//! `Key::req` key is reported missing by `object()` before the reader runs. The schema,
//! `--print-config-schema` and the unknown-key suggestions follow; `packaging/anycastd.schema.json`
//! is rewritten with `UPDATE_SCHEMA=1 cargo test -p anycastd --test core schema::`, and the key goes
//! into `config-examples/full.yaml` and `docs/configuration.md`.
//!
//! Pure data: no I/O.

use std::fmt;
use std::time::Duration;

/// One mapping of the configuration: what it is for, and its keys in the order the docs list them.
pub(crate) struct Table {
    /// One sentence for the schema's `description`.
    pub(crate) doc: &'static str,
    /// Every key the mapping accepts.
    pub(crate) keys: &'static [Key],
}

impl Table {
    /// The names of the keys, for unknown-key suggestions.
    pub(crate) fn names(&self) -> Vec<&'static str> {
        self.keys.iter().map(|key| key.name).collect()
    }

    /// The entry of `name`.
    pub(crate) fn key(&self, name: &str) -> Option<&'static Key> {
        self.keys.iter().find(|key| key.name == name)
    }
}

/// One key: its name, whether the mapping must have it, its type and a short description.
pub(crate) struct Key {
    /// The key as written in the file.
    pub(crate) name: &'static str,
    /// The loader reports the key as missing when it is absent (or null).
    pub(crate) required: bool,
    /// The type, with its range where it has one.
    pub(crate) ty: Type,
    /// The schema's `description`: default and rules in a few words.
    pub(crate) doc: &'static str,
}

impl Key {
    /// A key the mapping must have.
    pub(crate) const fn req(name: &'static str, ty: Type, doc: &'static str) -> Key {
        Key {
            name,
            required: true,
            ty,
            doc,
        }
    }

    /// A key the mapping may have.
    pub(crate) const fn opt(name: &'static str, ty: Type, doc: &'static str) -> Key {
        Key {
            name,
            required: false,
            ty,
            doc,
        }
    }
}

/// The type of a value, as the schema states it.
pub(crate) enum Type {
    /// A non-empty string.
    String,
    /// Any string, the empty one too.
    Text,
    /// `true` or `false`.
    Bool,
    /// An integer in `min..=max`.
    Int { min: u64, max: u64 },
    /// A number (integer or not) in `[min, max]`.
    Number { min: f64, max: f64 },
    /// A Go duration string within the range.
    Duration(Range),
    /// An IPv4 or IPv6 address.
    Ip,
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// A list of non-empty strings, at least `min_items` of them.
    Strings { min_items: u64 },
    /// A list of prefixes in CIDR notation.
    Prefixes,
    /// A mapping of names to strings (headers, environment variables).
    StringMap,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// A mapping with these keys.
    Object(&'static Table),
    /// `true`, `false`, or a mapping with these keys (`bfd`).
    BoolOr(&'static Table),
    /// A list of mappings with these keys.
    List(&'static Table),
    /// A mapping of any names to mappings with these keys (per-peer overrides).
    MapOf(&'static Table),
    /// The name of a check kind (the registry is `validate::checks::KINDS`).
    Kind,
    /// A check's `spec`: its keys depend on the check's `kind`.
    Spec,
    /// A shape the types above do not describe; the loader's own rules apply.
    Schema(fn() -> serde_json::Value),
}

/// The values a duration key accepts, both ends included. The smallest interval is 1 ms (a shorter
/// one turns a probe loop into a busy loop); the largest is what an operator would still mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Range {
    /// Smallest accepted value; zero means zero is accepted.
    pub(crate) min: Duration,
    /// Largest accepted value.
    pub(crate) max: Duration,
    /// What the maximum is, when a protocol sets it (the error then names it).
    pub(crate) max_is: Option<&'static str>,
}

const MILLISECOND: Duration = Duration::from_millis(1);
const NANOSECOND: Duration = Duration::from_nanos(1);
const HOUR: Duration = Duration::from_secs(3600);
const DAY: Duration = Duration::from_secs(24 * 3600);

impl Range {
    /// How often something runs: a check, a service's evaluation, a retry's pause.
    pub(crate) const INTERVAL: Range = Range {
        min: MILLISECOND,
        max: DAY,
        max_is: None,
    };
    /// How long one attempt or one run may take.
    pub(crate) const TIMEOUT: Range = Range {
        min: MILLISECOND,
        max: HOUR,
        max_is: None,
    };
    /// How long a state is held on purpose (hold-down, grace, dampening half-life); zero allowed.
    pub(crate) const HOLD: Range = Range {
        min: Duration::ZERO,
        max: DAY,
        max_is: None,
    };
    /// A dampening half-life.
    pub(crate) const HALF_LIFE: Range = Range {
        min: MILLISECOND,
        max: DAY,
        max_is: None,
    };
    /// The drain before a stop; zero allowed (no drain). Long enough for any announcement to
    /// travel, short enough that a stop still stops.
    pub(crate) const DRAIN: Range = Range {
        min: Duration::ZERO,
        max: HOUR,
        max_is: None,
    };
    /// The first reconnect delay of a BGP session.
    pub(crate) const CONNECT_RETRY: Range = Range {
        min: MILLISECOND,
        max: HOUR,
        max_is: None,
    };
    /// The SendHoldTime of a BGP session (RFC 9687): zero turns the timer off; otherwise at least
    /// one second (`validate/announcer.rs` refuses what lies between).
    pub(crate) const SEND_HOLD: Range = Range {
        min: Duration::ZERO,
        max: HOUR,
        max_is: None,
    };
    /// A BFD interval (RFC 5880 has microseconds; 10 ms is the floor BIRD and FRR accept).
    pub(crate) const BFD_INTERVAL: Range = Range {
        min: Duration::from_millis(10),
        max: Duration::from_secs(60),
        max_is: None,
    };
    /// The Restart Time of graceful restart: 12 bits of seconds (RFC 4724 §3).
    pub(crate) const RESTART_TIME: Range = Range {
        min: MILLISECOND,
        max: Duration::from_secs(4095),
        max_is: Some("the largest restart time, 4095s (RFC 4724 §3)"),
    };
    /// An NTP offset threshold.
    pub(crate) const OFFSET: Range = Range {
        min: NANOSECOND,
        max: HOUR,
        max_is: None,
    };
    /// How long before a certificate's expiry a check fails: ten years at most.
    pub(crate) const CERTIFICATE: Range = Range {
        min: NANOSECOND,
        max: Duration::from_secs(10 * 365 * 24 * 3600),
        max_is: None,
    };
}

/// Writes a duration the way the file would, in one unit: `1ms`, `90s`, `5m`, `24h`, `1.5s`.
pub(crate) struct Shown(pub(crate) Duration);

impl fmt::Display for Shown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        if d.is_zero() {
            return f.write_str("0s");
        }
        if d.subsec_nanos() != 0 {
            return match (d.as_secs(), d.subsec_nanos()) {
                (0, n) if n % 1_000_000 == 0 => write!(f, "{}ms", n / 1_000_000),
                (0, n) if n % 1_000 == 0 => write!(f, "{}us", n / 1_000),
                (0, n) => write!(f, "{n}ns"),
                _ => write!(f, "{}s", d.as_secs_f64()),
            };
        }
        match d.as_secs() {
            secs if secs % 3600 == 0 => write!(f, "{}h", secs / 3600),
            secs if secs % 60 == 0 => write!(f, "{}m", secs / 60),
            secs => write!(f, "{secs}s"),
        }
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..={}", Shown(self.min), Shown(self.max))
    }
}
