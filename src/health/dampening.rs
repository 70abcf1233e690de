//! Flap dampening of one service, after RFC 2439 but applied to our own announcements: every
//! transition from announced to down adds a penalty that decays exponentially; above `suppress` the
//! service is kept withdrawn until the penalty has decayed below `reuse`.
//!
//! Pure: time is an argument (`now`, a [`Duration`] since an arbitrary fixed epoch, never
//! decreasing). No clock, no timer: [`Dampening::reuse_at`] tells the caller when to look again.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use crate::config::model::Dampening as Settings;

/// The penalty and suppression of one service at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DampeningState {
    /// The decayed penalty (the `anycastd_service_dampening_penalty` gauge).
    pub penalty: f64,
    /// True while the service must stay withdrawn.
    pub suppressed: bool,
}

/// The figure of merit of one service (RFC 2439 §4.2, §4.8.2).
#[derive(Debug, Clone, PartialEq)]
pub struct Dampening {
    settings: Settings,
    /// Penalty at `updated`.
    penalty: f64,
    /// When `penalty` was last set.
    updated: Duration,
    /// Suppressed as of `updated`; suppression ends when the decayed penalty falls below `reuse`.
    suppressed: bool,
}

impl Dampening {
    /// No penalty, not suppressed.
    pub fn new(settings: Settings) -> Dampening {
        Dampening {
            settings,
            penalty: 0.0,
            updated: Duration::ZERO,
            suppressed: false,
        }
    }

    /// The settings in use.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The penalty at `now`: `penalty * 2^(-elapsed / half_life)` (RFC 2439 §4.2).
    pub fn penalty(&self, now: Duration) -> f64 {
        decay(
            self.penalty,
            now.saturating_sub(self.updated),
            self.settings.half_life,
        )
    }

    /// The penalty and suppression at `now`. Suppression starts only when a flap pushes the penalty
    /// above `suppress`, and ends once the decayed penalty is below `reuse` (RFC 2439 §4.8.6).
    pub fn state(&self, now: Duration) -> DampeningState {
        let penalty = self.penalty(now);
        DampeningState {
            penalty,
            suppressed: self.suppressed && penalty >= f64::from(self.settings.reuse),
        }
    }

    /// Records one transition from announced to down at `now`: the penalty grows by `penalty`, up to
    /// `max_penalty`, and the service is suppressed if it now exceeds `suppress`.
    pub fn record_flap(&mut self, now: Duration) {
        let current = self.state(now);
        let now = now.max(self.updated);
        self.penalty = (current.penalty + f64::from(self.settings.penalty))
            .min(f64::from(self.settings.max_penalty));
        self.updated = now;
        self.suppressed = current.suppressed || self.penalty > f64::from(self.settings.suppress);
    }

    /// When a suppressed service is released (its penalty decays below `reuse`), or `None` when it is
    /// not suppressed (as of the last flap; after that instant [`Dampening::state`] says so).
    pub fn reuse_at(&self) -> Option<Duration> {
        if !self.suppressed {
            return None;
        }
        let reuse = f64::from(self.settings.reuse);
        if reuse <= 0.0 || self.penalty < reuse {
            return Some(self.updated);
        }
        // penalty * 2^(-t / half_life) = reuse  <=>  t = half_life * log2(penalty / reuse)
        let half_lives = (self.penalty / reuse).log2();
        let after = Duration::try_from_secs_f64(self.settings.half_life.as_secs_f64() * half_lives)
            .unwrap_or(Duration::MAX);
        // Round up to the microsecond so that `state(reuse_at)` is surely released.
        let after = after.saturating_add(Duration::from_micros(1));
        Some(self.updated.saturating_add(after))
    }
}

/// `value * 2^(-elapsed / half_life)`; a zero half-life forgets at once.
fn decay(value: f64, elapsed: Duration, half_life: Duration) -> f64 {
    if elapsed.is_zero() {
        return value;
    }
    if half_life.is_zero() {
        return 0.0;
    }
    value * (-(elapsed.as_secs_f64() / half_life.as_secs_f64())).exp2()
}
