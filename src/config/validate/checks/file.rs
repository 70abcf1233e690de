//! `file`: extension: a maintenance switch file.

use std::path::PathBuf;

use super::super::{Ctx, Obj};
use crate::config::error::ConfigErrorKind;
use crate::config::keys::{Key, Table, Type};
use crate::config::model::*;

/// The keys of a `file` spec (`config::keys` says how to add one).
pub(super) const KEYS: Table = Table {
    doc: "extension: a maintenance switch file.",
    keys: &[
        Key::req("path", Type::String, "the file"),
        Key::req(
            "present_means",
            Type::OneOf(&["drain", "down", "up"]),
            "what the file's presence means",
        ),
    ],
};

impl Ctx<'_> {
    /// Reads a `file` spec.
    pub(super) fn file(&mut self, obj: &Obj<'_>) -> Option<CheckSpec> {
        let path = obj
            .get("path")
            .and_then(|n| self.nonempty_string(n, &obj.f("path")));
        let present_means = obj.get("present_means").and_then(|n| {
            let field = obj.f("present_means");
            let s = self.string(n, &field)?;
            match s.as_str() {
                "drain" => Some(FilePresence::Drain),
                "down" => Some(FilePresence::Down),
                "up" => Some(FilePresence::Up),
                _ => {
                    self.err(
                        n.pos,
                        &field,
                        ConfigErrorKind::Unknown {
                            what: "value",
                            value: s,
                            suggestion: None,
                            expected: "drain, down or up".to_string(),
                        },
                    );
                    None
                }
            }
        });
        let spec = CheckSpec::File(FileSpec {
            path: PathBuf::from(path?),
            present_means: present_means?,
        });
        Some(spec)
    }
}
