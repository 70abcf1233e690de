//! `process`: extension: a process is alive (by its pidfile or its name), watched with a pidfd.

use std::path::PathBuf;

use super::super::{Ctx, Obj};
use crate::config::error::ConfigErrorKind;
use crate::config::keys::{Key, Range, Table, Type};
use crate::config::model::*;

/// The keys of a `process` spec (`config::keys` says how to add one).
pub(super) const KEYS: Table = Table {
    doc: "extension: a process is alive, found by its pidfile or its name; its exit fails the check at once.",
    keys: &[
        Key::opt(
            "pidfile",
            Type::String,
            "a file holding the PID (re-read every run and when it changes); or name",
        ),
        Key::opt(
            "name",
            Type::String,
            "the process name as in /proc/PID/comm (15 bytes at most); passes while any such process lives; or pidfile",
        ),
        Key::opt(
            "min_uptime",
            Type::Duration(Range::HOLD),
            "the process must have run this long, default 0",
        ),
    ],
};

impl Ctx<'_> {
    /// Reads a `process` spec.
    pub(super) fn process(&mut self, obj: &Obj<'_>) -> Option<CheckSpec> {
        let mut ok = true;
        let pidfile = self.opt_string(obj, "pidfile", &mut ok);
        let name = self.opt_string(obj, "name", &mut ok);
        let min_uptime = self.duration(obj, "min_uptime").unwrap_or_else(|| {
            ok = false;
            None
        });
        let target = match (pidfile, name) {
            (Some(path), None) => Some(ProcessTarget::Pidfile(PathBuf::from(path))),
            (None, Some(name)) if name.len() > 15 => {
                self.err(
                    obj.key_pos("name"),
                    &obj.f("name"),
                    ConfigErrorKind::ProcessName(name),
                );
                None
            }
            (None, Some(name)) => Some(ProcessTarget::Name(name)),
            (Some(_), Some(_)) => {
                self.err(
                    obj.key_pos("name"),
                    &obj.f("name"),
                    ConfigErrorKind::Exclusive {
                        first: "pidfile",
                        second: "name",
                    },
                );
                None
            }
            (None, None) if ok => {
                self.err(
                    obj.pos,
                    &obj.field,
                    ConfigErrorKind::NeitherGiven {
                        first: "pidfile",
                        second: "name",
                    },
                );
                None
            }
            (None, None) => None,
        };
        let spec = CheckSpec::Process(ProcessSpec {
            target: target?,
            min_uptime: min_uptime.unwrap_or_default(),
        });
        ok.then_some(spec)
    }
}
