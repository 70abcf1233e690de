//! Rise/fall hysteresis of one check: `rise` up results in a row before it counts as up again,
//! `fall` failures in a row before it counts as down.

use super::{Outcome, Status};

/// Rise/fall debounce of one check's outcomes.
///
/// - The first conclusive result decides at once (so the startup gate opens after one run).
/// - `Pass` and `Degraded` are "up" results: from `Down`, `rise` of them in a row are needed; between
///   `Up` and `Degraded` the status follows the latest result at once (both are up).
/// - `Fail` is a "down" result: from `Up`/`Degraded`, `fall` of them in a row are needed.
/// - `Inconclusive` says nothing about the service: it keeps the last status and leaves the streaks
///   alone; with no status yet it counts as a failure (nothing is announced on a probe that cannot run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Debounce {
    rise: u32,
    fall: u32,
    status: Option<Status>,
    up_streak: u32,
    down_streak: u32,
}

impl Debounce {
    /// A debounce needing `rise` up results to rise and `fall` failures to fall (0 is taken as 1).
    pub fn new(rise: u32, fall: u32) -> Debounce {
        Debounce {
            rise: rise.max(1),
            fall: fall.max(1),
            status: None,
            up_streak: 0,
            down_streak: 0,
        }
    }

    /// The current status; `None` before the first result.
    pub fn status(&self) -> Option<Status> {
        self.status
    }

    /// True while results are counting towards a change that has not happened yet: failures
    /// towards `fall` from up, or passes towards `rise` from down. Never with `rise` and `fall` 1.
    pub fn in_transition(&self) -> bool {
        match self.status {
            None => false,
            Some(status) if status.is_up() => self.down_streak > 0,
            Some(_) => self.up_streak > 0,
        }
    }

    /// Feeds one outcome; returns the new status only when it changed (including the first one).
    pub fn observe(&mut self, outcome: &Outcome) -> Option<Status> {
        let next = match (self.status, outcome) {
            (None, Outcome::Pass) => Status::Up,
            (None, Outcome::Degraded(_)) => Status::Degraded,
            (None, Outcome::Fail(_) | Outcome::Inconclusive(_)) => Status::Down,
            (Some(current), Outcome::Inconclusive(_)) => current,
            (Some(current), Outcome::Pass | Outcome::Degraded(_)) => {
                self.down_streak = 0;
                self.up_streak = self.up_streak.saturating_add(1);
                let wanted = if matches!(outcome, Outcome::Pass) {
                    Status::Up
                } else {
                    Status::Degraded
                };
                if current.is_up() || self.up_streak >= self.rise {
                    wanted
                } else {
                    current
                }
            }
            (Some(current), Outcome::Fail(_)) => {
                self.up_streak = 0;
                self.down_streak = self.down_streak.saturating_add(1);
                if !current.is_up() || self.down_streak >= self.fall {
                    Status::Down
                } else {
                    current
                }
            }
        };
        if self.status == Some(next) {
            return None;
        }
        if self.status.is_none() {
            // The first result decides; streaks start from it.
            self.up_streak = u32::from(next.is_up());
            self.down_streak = u32::from(!next.is_up());
        }
        self.status = Some(next);
        Some(next)
    }
}
