//! Validation of `bfd`, per peer and at announcer level: `true` (FRR's defaults, 300 ms x 3),
//! `false`, or a mapping of `min_tx_interval`, `min_rx_interval` (10 ms to 60 s) and `multiplier`
//! (1 to 255).

use super::Ctx;
use crate::config::keys::{Key, Range, Table, Type};
use crate::config::model::Bfd;
use crate::config::tree::{Node, Value};

/// The mapping form of `bfd` (`config::keys` says how to add a key).
pub(super) const BFD: Table = Table {
    doc: "BFD session parameters (RFC 5880); omitted keys keep 300ms x 3",
    keys: &[
        Key::opt(
            "min_tx_interval",
            Type::Duration(Range::BFD_INTERVAL),
            "Desired Min TX Interval once Up, default 300ms",
        ),
        Key::opt(
            "min_rx_interval",
            Type::Duration(Range::BFD_INTERVAL),
            "Required Min RX Interval, default 300ms",
        ),
        Key::opt(
            "multiplier",
            Type::Int { min: 1, max: 255 },
            "Detect Mult, default 3",
        ),
    ],
};

impl Ctx<'_> {
    /// `Some(None)` for `false`, `Some(Some(..))` for `true` or a valid mapping, `None` after an error.
    pub(super) fn bfd(&mut self, node: &Node, f: &str) -> Option<Option<Bfd>> {
        match &node.value {
            Value::Bool(true) => return Some(Some(Bfd::default())),
            Value::Bool(false) => return Some(None),
            Value::Map(_) => {}
            _ => {
                let hint = "write true, false or {min_tx_interval: 100ms, min_rx_interval: 100ms, multiplier: 3}";
                self.wrong_type(node, f, "true, false or a mapping", Some(hint.to_string()));
                return None;
            }
        }
        let obj = self.object(node, f, &BFD)?;
        let defaults = Bfd::default();
        let mut ok = true;
        let min_tx = self.duration_or(&obj, "min_tx_interval", defaults.min_tx, &mut ok);
        let min_rx = self.duration_or(&obj, "min_rx_interval", defaults.min_rx, &mut ok);
        let multiplier = match self.int_at(&obj, "multiplier") {
            Some(value) => value
                .and_then(|v| u8::try_from(v).ok())
                .unwrap_or(defaults.multiplier),
            None => {
                ok = false;
                defaults.multiplier
            }
        };
        ok.then_some(Some(Bfd {
            min_tx,
            min_rx,
            multiplier,
        }))
    }
}
