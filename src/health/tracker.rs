//! One service's path on the health ladder over time: from the state its checks and the drain switch
//! ask for (the *assessed* state) to the state its routes follow (the *effective* state), through
//! hold-down and flap dampening. Also keeps what the metrics export: the dampening penalty, the
//! number of transitions and the time of the last change.
//!
//! Pure: time is an argument (`now`, a [`Duration`] since an arbitrary fixed epoch, never
//! decreasing). The caller re-evaluates at [`ServiceTracker::next_deadline`] with
//! [`ServiceTracker::tick`]; nothing here arms a timer.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use super::dampening::Dampening;
use super::hold_down::HoldDown;
use super::ladder::ServiceState;
use crate::config::model::ServiceHealth;

/// What the metrics of one service show at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackerSnapshot {
    /// The effective state; `None` before the first evaluation.
    pub state: Option<ServiceState>,
    /// `anycastd_service_dampening_penalty` (0 without dampening).
    pub penalty: f64,
    /// True while dampening keeps the service withdrawn.
    pub suppressed: bool,
    /// True while hold-down keeps the recovered service withdrawn.
    pub held_down: bool,
    /// `anycastd_service_transitions_total`: changes of the effective state after the first one.
    pub transitions: u64,
    /// `anycastd_service_last_change_timestamp_seconds`: when the effective state last changed
    /// (including the first evaluation), on the caller's time line.
    pub last_change: Option<Duration>,
}

/// Hold-down and dampening between the assessed and the effective state of one service.
///
/// - The first evaluation decides at once (no hold-down: the startup gate already waited for it).
/// - Assessed `Down` is effective `Down` at once.
/// - An assessed announcing state (`Up`, `Degraded`, `Draining`) becomes effective at once while the
///   service is already announced; after `Down`, only once the service has been healthy for
///   `hold_down` without a break and dampening does not suppress it.
/// - Each assessed transition from an announcing state to `Down` is a flap for dampening, also while
///   held down or suppressed (RFC 2439 §4.8.3: a suppressed route keeps accumulating penalty).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceTracker {
    hold_down: HoldDown,
    dampening: Option<Dampening>,
    assessed: Option<ServiceState>,
    state: Option<ServiceState>,
    transitions: u64,
    last_change: Option<Duration>,
}

impl ServiceTracker {
    /// A service not evaluated yet, with its `hold_down` and `dampening` settings.
    pub fn new(settings: &ServiceHealth) -> ServiceTracker {
        ServiceTracker {
            hold_down: HoldDown::new(settings.hold_down),
            dampening: settings.dampening.map(Dampening::new),
            assessed: None,
            state: None,
            transitions: 0,
            last_change: None,
        }
    }

    /// Takes new settings on reload, keeping the history: the healthy streak, the counters and the
    /// penalty (when the dampening settings are unchanged; new settings start from no penalty).
    pub fn reconfigure(&mut self, settings: &ServiceHealth, now: Duration) -> Option<ServiceState> {
        let since = self.hold_down.healthy_since();
        self.hold_down = HoldDown::new(settings.hold_down);
        if let Some(since) = since {
            self.hold_down.observe(true, since);
        }
        self.dampening = match (self.dampening.take(), settings.dampening) {
            (Some(current), Some(new)) if *current.settings() == new => Some(current),
            (_, new) => new.map(Dampening::new),
        };
        self.settle(now)
    }

    /// The effective state; `None` before the first evaluation.
    pub fn state(&self) -> Option<ServiceState> {
        self.state
    }

    /// The last assessed state; `None` before the first evaluation.
    pub fn assessed(&self) -> Option<ServiceState> {
        self.assessed
    }

    /// Feeds the assessed state at `now`; returns the new effective state when it changed (including
    /// the first evaluation).
    pub fn observe(&mut self, assessed: ServiceState, now: Duration) -> Option<ServiceState> {
        let was_announcing = self.assessed.is_some_and(|state| !state.is_down());
        if assessed.is_down() && was_announcing {
            if let Some(dampening) = &mut self.dampening {
                dampening.record_flap(now);
            }
        }
        self.hold_down.observe(!assessed.is_down(), now);
        self.assessed = Some(assessed);
        self.settle(now)
    }

    /// Re-evaluates hold-down and dampening at `now` without a new assessment; returns the new
    /// effective state when it changed.
    pub fn tick(&mut self, now: Duration) -> Option<ServiceState> {
        self.settle(now)
    }

    /// When [`ServiceTracker::tick`] may next change the effective state: the end of the hold-down
    /// or of the suppression that keeps a healthy service withdrawn. `None` when nothing is pending.
    pub fn next_deadline(&self, now: Duration) -> Option<Duration> {
        if !self.is_withheld(now) {
            return None;
        }
        let hold = self.hold_down.release_at();
        let reuse = self.dampening.as_ref().and_then(Dampening::reuse_at);
        let deadline = hold.max(reuse)?;
        Some(deadline.max(now))
    }

    /// The metrics view at `now`.
    pub fn snapshot(&self, now: Duration) -> TrackerSnapshot {
        let dampening = self.dampening.as_ref().map(|d| d.state(now));
        TrackerSnapshot {
            state: self.state,
            penalty: dampening.map_or(0.0, |d| d.penalty),
            suppressed: self.is_healthy() && dampening.is_some_and(|d| d.suppressed),
            held_down: self.is_healthy() && self.is_held(now),
            transitions: self.transitions,
            last_change: self.last_change,
        }
    }

    fn is_healthy(&self) -> bool {
        self.assessed.is_some_and(|state| !state.is_down())
    }

    /// Hold-down applies: announced routes were withdrawn and the healthy streak is still short.
    fn is_held(&self, now: Duration) -> bool {
        self.state == Some(ServiceState::Down) && !self.hold_down.released(now)
    }

    fn is_suppressed(&self, now: Duration) -> bool {
        self.dampening
            .as_ref()
            .is_some_and(|dampening| dampening.state(now).suppressed)
    }

    /// Healthy, yet kept withdrawn by hold-down or dampening.
    fn is_withheld(&self, now: Duration) -> bool {
        self.is_healthy() && (self.is_held(now) || self.is_suppressed(now))
    }

    fn settle(&mut self, now: Duration) -> Option<ServiceState> {
        let assessed = self.assessed?;
        let next = if assessed.is_down() || self.is_withheld(now) {
            ServiceState::Down
        } else {
            assessed
        };
        if self.state == Some(next) {
            return None;
        }
        if self.state.is_some() {
            self.transitions = self.transitions.saturating_add(1);
        }
        self.state = Some(next);
        self.last_change = Some(now);
        Some(next)
    }
}
