//! How the statuses of a service's checks combine into the service's health (the Go daemon's four
//! strategies, with their meaning kept: each names when the service is **down**).

use std::collections::BTreeMap;

use super::Status;
use crate::config::model::Strategy;

/// The health of one service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Health {
    /// Up: its prefixes may be announced.
    Up,
    /// Up, but at least one counted check asks for de-preference.
    Degraded,
    /// Down: its prefixes must be withdrawn.
    Down,
}

impl Health {
    /// True for [`Health::Up`] and [`Health::Degraded`].
    pub fn is_up(self) -> bool {
        !matches!(self, Self::Down)
    }

    /// A short label for logs: `up`, `degraded`, `down`.
    pub fn as_label(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Degraded => "degraded",
            Self::Down => "down",
        }
    }
}

impl Strategy {
    /// The service's health from its checks' `(group, status)` pairs.
    ///
    /// A check is failed when its status is [`Status::Down`]. The service is down when:
    /// - `AtLeastOne`: at least one check failed;
    /// - `All`: every check failed;
    /// - `AllInGroup`: every check of some group failed (checks without a group form group `""`);
    /// - `AtLeastNPercentage(n)`: failed / total > n (strict; n is a fraction, so n = 0 falls on any
    ///   failure and n >= 1 never falls).
    ///
    /// A service with no checks is down whatever the strategy (validation never builds one; nothing
    /// proves such a service healthy). An up service is [`Health::Degraded`] when any of its checks
    /// is degraded.
    pub fn evaluate<G: AsRef<str>>(&self, checks: &[(G, Status)]) -> Health {
        if checks.is_empty() {
            return Health::Down;
        }
        let total = checks.len();
        let failed = checks.iter().filter(|(_, status)| !status.is_up()).count();
        let down = match *self {
            Strategy::AtLeastOne => failed > 0,
            Strategy::All => failed == total,
            Strategy::AllInGroup => {
                let mut groups: BTreeMap<&str, bool> = BTreeMap::new();
                for (group, status) in checks {
                    let any_up = groups.entry(group.as_ref()).or_insert(false);
                    *any_up |= status.is_up();
                }
                groups.values().any(|any_up| !any_up)
            }
            Strategy::AtLeastNPercentage(n) => {
                // Counts fit f64 exactly far beyond any real number of checks.
                #[allow(clippy::cast_precision_loss)]
                let ratio = failed as f64 / total as f64;
                ratio > n
            }
        };
        if down {
            Health::Down
        } else if checks.iter().any(|(_, status)| *status == Status::Degraded) {
            Health::Degraded
        } else {
            Health::Up
        }
    }
}
