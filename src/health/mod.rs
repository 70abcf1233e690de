//! Health decisions: what one probe run means, rise/fall debounce, and how checks combine into a
//! service's health. Pure: time, when needed, is an argument.

pub mod dampening;
pub mod guard;
pub mod hold_down;
pub mod ladder;
pub mod tracker;

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
}
