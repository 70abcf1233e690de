//! Health decisions: what one probe run means, rise/fall debounce, and how checks combine into a
//! service's health. Pure: time, when needed, is an argument.
//!
//! The pipeline is `Outcome` (one probe run) -> [`Debounce`] (per check, rise/fall hysteresis) ->
//! [`Status`] -> [`Strategy::evaluate`] (per service) -> [`Health`] -> [`ladder::ServiceState`]
//! (drain, hold-down, dampening: [`tracker`]) -> [`route_set::RouteSet`] (all services) -> the
//! routes to announce to each peer. Nothing here does I/O, reads a clock or logs.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

pub mod dampening;
mod debounce;
pub mod drain;
pub mod guard;
pub mod hold_down;
pub mod ladder;
pub mod node;
pub mod redirect;
pub mod route_set;
pub mod schedule;
pub mod service;
mod strategy;
pub mod tracker;

pub use debounce::Debounce;

use crate::config::model::{CheckSpec, FilePresence, FileSpec};
pub use strategy::Health;

/// The result of one run of a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The service answered as expected.
    Pass,
    /// The service answered, but asks to be de-preferred (e.g. an `exec` check exiting 1).
    Degraded(String),
    /// The service did not answer as expected.
    Fail(String),
    /// The probe itself could not run (no permission, bad local setup); says nothing about the service.
    Inconclusive(String),
}

impl Outcome {
    /// A short label for metrics: `pass`, `degraded`, `fail`, `inconclusive`.
    pub fn as_label(&self) -> &'static str {
        match self {
            Self::Pass => "pass",
            Self::Degraded(_) => "degraded",
            Self::Fail(_) => "fail",
            Self::Inconclusive(_) => "inconclusive",
        }
    }

    /// The reason text of a non-passing outcome (`None` for [`Outcome::Pass`]).
    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Pass => None,
            Self::Degraded(reason) | Self::Fail(reason) | Self::Inconclusive(reason) => {
                Some(reason)
            }
        }
    }
}

/// True when `outcome` of a check with `spec` asks for the service to be drained: a `file` check with
/// `present_means: drain` whose file is present (it reports [`Outcome::Degraded`]). Such a service
/// is put in the ladder's `draining` state, not merely `degraded`.
pub fn requests_drain(spec: &CheckSpec, outcome: &Outcome) -> bool {
    matches!(
        (spec, outcome),
        (
            CheckSpec::File(FileSpec {
                present_means: FilePresence::Drain,
                ..
            }),
            Outcome::Degraded(_)
        )
    )
}

/// The debounced state of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Passing.
    Up,
    /// Passing, but asking to be de-preferred.
    Degraded,
    /// Failing.
    Down,
}

impl Status {
    /// True for [`Status::Up`] and [`Status::Degraded`]: the check does not count as failed.
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
