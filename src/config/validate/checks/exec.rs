//! `exec`: extension: a command exits like a Nagios plugin (0 ok, 1 warning, 2 critical).

use std::collections::BTreeMap;
use std::time::Duration;

use super::super::{Ctx, Obj};
use crate::config::error::ConfigErrorKind;
use crate::config::keys::{Key, Range, Table, Type};
use crate::config::model::*;

/// The keys of an `exec` spec (`config::keys` says how to add one).
pub(super) const KEYS: Table = Table {
    doc: "extension: a command exits like a Nagios plugin (0 ok, 1 warning, 2 critical).",
    keys: &[
        Key::req(
            "command",
            Type::Strings { min_items: 1 },
            "program and arguments, no shell",
        ),
        Key::opt("env", Type::StringMap, "environment variables"),
        Key::opt("timeout", Type::Duration(Range::TIMEOUT), "default 5s"),
    ],
};

impl Ctx<'_> {
    /// Reads an `exec` spec.
    pub(super) fn exec(&mut self, obj: &Obj<'_>) -> Option<CheckSpec> {
        let mut ok = true;
        let command = obj.get("command").and_then(|n| {
            let field = obj.f("command");
            let c = self.string_list(n, &field)?;
            if c.is_empty() {
                self.err(n.pos, &field, ConfigErrorKind::NoProgram);
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
                            self.err(
                                n.pos,
                                &field,
                                ConfigErrorKind::NotA {
                                    value: name.clone(),
                                    what: "an environment variable name".to_string(),
                                    hint: None,
                                },
                            );
                            ok = false;
                        }
                    }
                }
                e
            }
        };
        let timeout = self.duration_or(obj, "timeout", Duration::from_secs(5), &mut ok);
        let spec = CheckSpec::Exec(ExecSpec {
            command: command?,
            env: env?,
            timeout,
        });
        ok.then_some(spec)
    }
}
