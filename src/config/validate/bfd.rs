//! Validation of `bfd`, per peer and at announcer level: `true` (FRR's defaults, 300 ms x 3),
//! `false`, or a mapping of `min_tx_interval`, `min_rx_interval` (10 ms to 60 s) and `multiplier`
//! (1 to 255).

use super::Ctx;
use crate::config::model::Bfd;
use crate::config::node::{Node, Value};

impl Ctx<'_> {
    /// `Some(None)` for `false`, `Some(Some(..))` for `true` or a valid mapping, `None` after an error.
    pub(super) fn bfd(&mut self, node: &Node, f: &str) -> Option<Option<Bfd>> {
        match &node.value {
            Value::Bool(true) => return Some(Some(Bfd::default())),
            Value::Bool(false) => return Some(None),
            Value::Map(_) => {}
            _ => {
                let hint = Some("write true, false or {min_tx_interval: 100ms, min_rx_interval: 100ms, multiplier: 3}".to_string());
                self.wrong_type(node, f, "true, false or a mapping", hint);
                return None;
            }
        }
        let obj = self.object(
            node,
            f,
            &["min_tx_interval", "min_rx_interval", "multiplier"],
        )?;
        let mut out = Bfd::default();
        let mut ok = true;
        for (key, slot) in [
            ("min_tx_interval", &mut out.min_tx),
            ("min_rx_interval", &mut out.min_rx),
        ] {
            let Some(n) = obj.get(key) else {
                continue;
            };
            let field = obj.f(key);
            match self.positive_duration(n, &field) {
                Some(d) if (Bfd::MIN_INTERVAL..=Bfd::MAX_INTERVAL).contains(&d) => *slot = d,
                Some(d) => {
                    let message = format!("{d:?} is out of range 10ms..=60s");
                    self.invalid(n.pos, &field, message);
                    ok = false;
                }
                None => ok = false,
            }
        }
        if let Some(n) = obj.get("multiplier") {
            match self.int(n, &obj.f("multiplier"), 1, 255) {
                Some(v) => out.multiplier = u8::try_from(v).unwrap_or(3),
                None => ok = false,
            }
        }
        ok.then_some(Some(out))
    }
}
