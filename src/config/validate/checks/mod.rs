//! The `spec` of each check kind: one file per kind, each with its key table and its reader, and
//! the registry [`KINDS`] that names them. A new kind is a new file and one line in [`KINDS`].

use super::{Ctx, Obj};
use crate::config::keys::{Key, Range, Table, Type};
use crate::config::model::{CheckSpec, Retry};
use crate::config::tree::Node;

mod assigned_address;
mod dns_lookup;
mod exec;
mod file;
mod http_2xx;
mod icmp_ping;
mod ntpq;
mod process;
mod tcp_connect;
mod tftp_rrq;
mod tls_certificate;

/// One check kind: its name, the keys of its `spec`, and the reader that builds the model.
pub(crate) struct Kind {
    /// The `kind` as written in the file.
    pub(crate) name: &'static str,
    /// The keys of its `spec`.
    pub(crate) keys: &'static Table,
    /// Reads a `spec` whose keys were checked against `keys`.
    read: fn(&mut Ctx<'_>, &Obj<'_>) -> Option<CheckSpec>,
}

/// The check kinds: the Go daemon's seven, then the extensions.
pub(crate) const KINDS: &[Kind] = &[
    Kind {
        name: "assigned_address",
        keys: &assigned_address::KEYS,
        read: |ctx, obj| ctx.assigned_address(obj),
    },
    Kind {
        name: "dns_lookup",
        keys: &dns_lookup::KEYS,
        read: |ctx, obj| ctx.dns_lookup(obj),
    },
    Kind {
        name: "http_2xx",
        keys: &http_2xx::KEYS,
        read: |ctx, obj| ctx.http_2xx(obj),
    },
    Kind {
        name: "icmp_ping",
        keys: &icmp_ping::KEYS,
        read: |ctx, obj| ctx.icmp_ping(obj),
    },
    Kind {
        name: "ntpq",
        keys: &ntpq::KEYS,
        read: |ctx, obj| ctx.ntpq(obj),
    },
    Kind {
        name: "tftp_rrq",
        keys: &tftp_rrq::KEYS,
        read: |ctx, obj| ctx.tftp_rrq(obj),
    },
    Kind {
        name: "tls_certificate",
        keys: &tls_certificate::KEYS,
        read: |ctx, obj| ctx.tls_certificate(obj),
    },
    Kind {
        name: "tcp_connect",
        keys: &tcp_connect::KEYS,
        read: |ctx, obj| ctx.tcp_connect(obj),
    },
    Kind {
        name: "exec",
        keys: &exec::KEYS,
        read: |ctx, obj| ctx.exec(obj),
    },
    Kind {
        name: "file",
        keys: &file::KEYS,
        read: |ctx, obj| ctx.file(obj),
    },
    Kind {
        name: "process",
        keys: &process::KEYS,
        read: |ctx, obj| ctx.process(obj),
    },
];

/// The names of [`KINDS`], for messages and the schema.
pub(crate) fn kind_names() -> Vec<&'static str> {
    KINDS.iter().map(|kind| kind.name).collect()
}

/// Attempts per run, shared by the kinds that retry.
const TRIES: Key = Key::req("tries", Type::Int { min: 1, max: 255 }, "attempts per run");
/// Pause between attempts.
const INTERVAL: Key = Key::req(
    "interval",
    Type::Duration(Range::INTERVAL),
    "pause between attempts",
);
/// Deadline of one attempt.
const TIMEOUT: Key = Key::req(
    "timeout",
    Type::Duration(Range::TIMEOUT),
    "deadline of one attempt",
);

impl Ctx<'_> {
    /// The `spec` of a check of `kind` (a name from [`KINDS`]).
    pub(super) fn spec(&mut self, kind: &Kind, node: &Node, f: &str) -> Option<CheckSpec> {
        let obj = self.object(node, f, kind.keys)?;
        (kind.read)(self, &obj)
    }

    /// `tries`, `interval` and `timeout`.
    fn retry(&mut self, obj: &Obj<'_>) -> Option<Retry> {
        let tries = self
            .int_at(obj, "tries")
            .flatten()
            .and_then(|v| u8::try_from(v).ok());
        let interval = self.duration(obj, "interval").flatten();
        let timeout = self.duration(obj, "timeout").flatten();
        Some(Retry {
            tries: tries?,
            interval: interval?,
            timeout: timeout?,
        })
    }

    /// An optional non-empty string; clears `ok` when it is there but wrong.
    fn opt_string(&mut self, obj: &Obj<'_>, key: &str, ok: &mut bool) -> Option<String> {
        let n = obj.get(key)?;
        let v = self.nonempty_string(n, &obj.f(key));
        *ok &= v.is_some();
        v
    }
}
