//! The operator's drains: one node-wide and one per service, each with its reason and the time it
//! was set. They are what `lifecycle.state_file` keeps, so that a restart or an upgrade leaves a
//! drained node (or service) drained; the [`Node`](super::node::Node) decides with them, the shell
//! writes the file and reads it back before the first announcement.
//!
//! The file is JSON, one object: `{"version": 1, "node": {"reason": "...", "since": 1733500000},
//! "services": {"dns": {"reason": "...", "since": ...}}}`; `since` is seconds since the Unix epoch.
//!
//! Pure: time is an argument, the text is a value.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The version of the state file this code writes and reads.
pub const STATE_VERSION: u32 = 1;

/// One drain: why, and since when (seconds since the Unix epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drain {
    /// What the operator gave as the reason.
    pub reason: String,
    /// When it was set, in seconds since the Unix epoch.
    pub since: u64,
}

impl Drain {
    /// A drain set at `since` for `reason`.
    pub fn new(reason: impl Into<String>, since: u64) -> Drain {
        Drain {
            reason: reason.into(),
            since,
        }
    }
}

/// Every drain an operator set: node-wide, and per service by name.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Drains {
    /// The node-wide drain (SIGUSR1, `anycastd ctl drain`).
    pub node: Option<Drain>,
    /// Per service (`anycastd ctl drain SERVICE`).
    pub services: BTreeMap<String, Drain>,
}

/// The state file's layout.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    version: u32,
    #[serde(default)]
    node: Option<Drain>,
    #[serde(default)]
    services: BTreeMap<String, Drain>,
}

/// Why a state file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// Not the JSON this code writes.
    #[error("not a state file: {0}")]
    Syntax(String),
    /// Written by a version this code does not know.
    #[error("state file version {0} is not supported (this daemon reads version {STATE_VERSION})")]
    Version(u32),
}

impl Drains {
    /// True when no drain is set.
    pub fn is_empty(&self) -> bool {
        self.node.is_none() && self.services.is_empty()
    }

    /// The state file's text.
    pub fn to_state_text(&self) -> String {
        let file = StateFile {
            version: STATE_VERSION,
            node: self.node.clone(),
            services: self.services.clone(),
        };
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a state file's text.
    pub fn from_state_text(text: &str) -> Result<Drains, StateError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| StateError::Syntax(e.to_string()))?;
        let version = value.get("version").and_then(serde_json::Value::as_u64);
        match version {
            Some(v) if v == u64::from(STATE_VERSION) => {}
            Some(v) => return Err(StateError::Version(u32::try_from(v).unwrap_or(u32::MAX))),
            None => return Err(StateError::Syntax("no \"version\"".to_string())),
        }
        let file: StateFile =
            serde_json::from_value(value).map_err(|e| StateError::Syntax(e.to_string()))?;
        Ok(Drains {
            node: file.node,
            services: file.services,
        })
    }
}
