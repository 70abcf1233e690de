//! When one check runs, as a pure state machine: the twin of the CheckActor's timers. The start,
//! the timer, the end of a run, watch events and the sentinel connection go in as [`Input`]s; what
//! to do comes out as [`Action`]s, in order.
//!
//! - **The grid.** Regular runs come at `phase + k * interval` from the check's start (the phase is
//!   [`Check::phase`]; a first run comes sooner, at [`Check::first_run`]). The grid is fixed at the
//!   start: a late or slow run never moves it, so checks keep their own phase.
//! - **Never two runs at once.** When a run is due while one is in flight, one more run starts as
//!   soon as it ends.
//! - **Fast re-probe.** While the check's debounced state is in transition (failures counted
//!   towards `fall`, or passes towards `rise`), or a watch event is not yet confirmed by a run, the
//!   next run comes `fast_interval` after the start of the last one (or at the next grid point, if
//!   sooner). Then the grid again.
//! - **Watch events** (a sentinel connection closed, a pidfd readable, an inotify or rtnetlink
//!   notification) ask for a run now; they never decide health on their own: the run does, and it
//!   counts like any other.
//! - **The sentinel** (`watch: true`): one idle TCP connection to the check's target, opened after
//!   a run that passes. Closed after it was up, it is a watch event. A sentinel that fails to
//!   connect, or that lived less than [`SHORT_LIFE`], backs off (doubling from [`BACKOFF_MIN`] up to
//!   the interval) before the next open, so a server that refuses or closes at once never spins.
//!
//! Pure: time is an argument (`now`, a [`Duration`] since a fixed epoch, never decreasing).
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use super::{Debounce, Outcome};
use crate::config::model::Check;

/// A sentinel that closes sooner than this after it was opened counts as a short one and backs off.
pub const SHORT_LIFE: Duration = Duration::from_millis(500);
/// The first back-off before reopening a sentinel that failed or lived short.
pub const BACKOFF_MIN: Duration = Duration::from_millis(100);

/// What happens to a check's schedule.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The check starts (once, first).
    Start,
    /// The deadline asked for by [`Action::Wake`] has come.
    Wake,
    /// The run started by [`Action::Run`] ended with this outcome.
    Finished(Outcome),
    /// Something the kernel told us (a pidfd readable, an inotify or rtnetlink notification) asks
    /// for a run now.
    Watch,
    /// The sentinel asked for by [`Action::OpenSentinel`] is connected.
    SentinelUp,
    /// The sentinel is gone: closed, reset or failed after it was up (`was_up`), or it could not
    /// connect.
    SentinelDown {
        /// It had connected ([`Input::SentinelUp`] came before).
        was_up: bool,
    },
}

/// What the shell does, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Start one run of the probe now.
    Run,
    /// Send [`Input::Wake`] after this long, replacing any earlier request.
    Wake(Duration),
    /// Open the sentinel connection; report [`Input::SentinelUp`] and later [`Input::SentinelDown`].
    OpenSentinel,
}

/// The sentinel connection of a watched check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sentinel {
    /// Not watched (`watch: false`).
    Off,
    /// No connection; the next may open at or after `not_before`.
    Closed { not_before: Duration },
    /// Asked for, not connected yet.
    Opening,
    /// Connected since `since`.
    Up { since: Duration },
}

/// When one check runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    interval: Duration,
    fast_interval: Duration,
    first_run: Duration,
    phase: Duration,
    /// When the check started; the grid counts from here.
    origin: Duration,
    /// The next planned run.
    next: Duration,
    /// When the last run started.
    last_start: Duration,
    running: bool,
    /// One more run is owed as soon as the current one ends.
    pending: bool,
    /// A watch event not yet answered by a run that started after it.
    suspect: bool,
    debounce: Debounce,
    sentinel: Sentinel,
    backoff: Duration,
}

impl Schedule {
    /// The schedule of `check` of service `service`, whose first runs are spread over `window`
    /// ([`crate::config::model::Config::first_run_window`]).
    pub fn new(check: &Check, service: &str, window: Duration) -> Schedule {
        Schedule {
            interval: check.interval,
            fast_interval: check.fast_interval,
            first_run: check.first_run(service, window),
            phase: check.phase(service),
            origin: Duration::ZERO,
            next: Duration::ZERO,
            last_start: Duration::ZERO,
            running: false,
            pending: false,
            suspect: false,
            debounce: Debounce::new(check.rise, check.fall),
            sentinel: if check.watch {
                Sentinel::Closed {
                    not_before: Duration::ZERO,
                }
            } else {
                Sentinel::Off
            },
            backoff: Duration::ZERO,
        }
    }

    /// True while runs come every `fast_interval`: the debounced state is in transition, or a
    /// watch event waits for its run.
    pub fn in_transition(&self) -> bool {
        self.suspect || self.debounce.in_transition()
    }

    /// True while a run is in flight.
    pub fn running(&self) -> bool {
        self.running
    }

    /// Applies one input at `now`; returns what to do, in order. Every call ends with the
    /// [`Action::Wake`] of the next planned run.
    pub fn handle(&mut self, input: Input, now: Duration) -> Vec<Action> {
        let mut out = Vec::new();
        match input {
            Input::Start => {
                self.origin = now;
                self.next = now.saturating_add(self.first_run.min(self.phase));
                if self.next <= now {
                    self.run(now, &mut out);
                    self.next = self.grid_after(now);
                }
            }
            Input::Wake => {
                if now >= self.next {
                    if self.running {
                        self.pending = true;
                    } else {
                        self.run(now, &mut out);
                    }
                    self.next = self.grid_after(now);
                }
            }
            Input::Finished(outcome) => {
                self.running = false;
                self.debounce.observe(&outcome);
                let passed = matches!(outcome, Outcome::Pass | Outcome::Degraded(_));
                if std::mem::take(&mut self.pending) {
                    self.run(now, &mut out);
                } else {
                    self.suspect = false;
                }
                self.next = self.grid_after(now);
                if self.in_transition() && !self.running {
                    let fast = self.last_start.saturating_add(self.fast_interval).max(now);
                    self.next = self.next.min(fast);
                }
                if passed
                    && let Sentinel::Closed { not_before } = self.sentinel
                    && now >= not_before
                {
                    self.sentinel = Sentinel::Opening;
                    out.push(Action::OpenSentinel);
                }
            }
            Input::Watch => self.watch_event(now, &mut out),
            Input::SentinelUp => {
                if self.sentinel == Sentinel::Opening {
                    self.sentinel = Sentinel::Up { since: now };
                }
            }
            Input::SentinelDown { was_up } => {
                let lived = match self.sentinel {
                    Sentinel::Off => return self.wake(now, out),
                    Sentinel::Up { since } => Some(now.saturating_sub(since)),
                    Sentinel::Opening | Sentinel::Closed { .. } => None,
                };
                self.backoff = match lived {
                    Some(lived) if lived >= SHORT_LIFE => Duration::ZERO,
                    _ => self
                        .backoff
                        .saturating_mul(2)
                        .clamp(BACKOFF_MIN, self.interval.max(BACKOFF_MIN)),
                };
                self.sentinel = Sentinel::Closed {
                    not_before: now.saturating_add(self.backoff),
                };
                if was_up && lived.is_some() {
                    self.watch_event(now, &mut out);
                }
            }
        }
        self.wake(now, out)
    }

    fn wake(&self, now: Duration, mut out: Vec<Action>) -> Vec<Action> {
        out.push(Action::Wake(self.next.saturating_sub(now)));
        out
    }

    fn watch_event(&mut self, now: Duration, out: &mut Vec<Action>) {
        self.suspect = true;
        if self.running {
            self.pending = true;
        } else {
            self.run(now, out);
            self.next = self.grid_after(now);
        }
    }

    fn run(&mut self, now: Duration, out: &mut Vec<Action>) {
        self.running = true;
        self.last_start = now;
        out.push(Action::Run);
    }

    /// The first grid point strictly after `now`.
    fn grid_after(&self, now: Duration) -> Duration {
        let first = self.origin.saturating_add(self.phase);
        if now < first {
            return first;
        }
        let interval = self.interval.as_nanos().max(1);
        let steps = (now.saturating_sub(first).as_nanos() / interval).saturating_add(1);
        let offset = steps.saturating_mul(interval);
        let offset = Duration::from_nanos(u64::try_from(offset).unwrap_or(u64::MAX));
        first.saturating_add(offset)
    }
}
