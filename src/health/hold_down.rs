//! Hold-down: after having been down, a service must stay healthy for `hold_down` without a break
//! before its prefixes are announced again, so a service that keeps failing and recovering does not
//! pull traffic back on every short recovery.
//!
//! Pure: time is an argument (`now`, a [`Duration`] since an arbitrary fixed epoch).
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

/// Tracks since when a service has been healthy without a break.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldDown {
    hold: Duration,
    healthy_since: Option<Duration>,
}

impl HoldDown {
    /// A hold-down of `hold` (zero: none).
    pub fn new(hold: Duration) -> HoldDown {
        HoldDown {
            hold,
            healthy_since: None,
        }
    }

    /// The configured hold.
    pub fn hold(&self) -> Duration {
        self.hold
    }

    /// Records whether the service is healthy at `now`; a healthy streak starts at its first healthy
    /// observation and ends at the first unhealthy one.
    pub fn observe(&mut self, healthy: bool, now: Duration) {
        match (healthy, self.healthy_since) {
            (true, None) => self.healthy_since = Some(now),
            (false, _) => self.healthy_since = None,
            (true, Some(_)) => {}
        }
    }

    /// Since when the service has been healthy, `None` while it is not.
    pub fn healthy_since(&self) -> Option<Duration> {
        self.healthy_since
    }

    /// When the current healthy streak has lasted `hold`; `None` while not healthy.
    pub fn release_at(&self) -> Option<Duration> {
        self.healthy_since
            .map(|since| since.saturating_add(self.hold))
    }

    /// True when the service is healthy and has been for at least `hold` at `now`.
    pub fn released(&self, now: Duration) -> bool {
        self.release_at().is_some_and(|at| now >= at)
    }
}
