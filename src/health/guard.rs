//! Safety guards: a reload may not withdraw more than `max_withdraw_percent` of the announced prefixes
//! (blast radius), and a probe that could not run keeps its check in its last state for at most
//! `inconclusive_grace` before counting as a failure.
//!
//! Pure: prefix sets and outcomes in, decisions out; time is an argument.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use super::Outcome;
use super::ladder::{self, ServiceState};
use crate::bgp::types::Prefix;
use crate::config::diff::{Change, diff};
use crate::config::model::Config;

/// A reload refused because it would withdraw too much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The prefixes the reload would withdraw.
    pub withdrawn: BTreeSet<Prefix>,
    /// How many prefixes are announced now.
    pub announced: usize,
    /// The limit in force.
    pub max_percent: u8,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the new configuration would withdraw {} of {} announced prefixes, more than \
             max_withdraw_percent {}% (`anycastd ctl reload --force` applies it once):",
            self.withdrawn.len(),
            self.announced,
            self.max_percent
        )?;
        for prefix in &self.withdrawn {
            write!(f, " {prefix}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Refused {}

/// Refuses a change from `before` to `after` (announced prefixes) that withdraws more than
/// `max_percent` percent of `before`. Exactly `max_percent` is allowed; with nothing announced,
/// anything is; 100 allows everything, 0 allows no withdrawal at all.
pub fn check_withdraw(
    before: &BTreeSet<Prefix>,
    after: &BTreeSet<Prefix>,
    max_percent: u8,
) -> Result<(), Refused> {
    let withdrawn: BTreeSet<Prefix> = before.difference(after).copied().collect();
    // withdrawn / before > max / 100, in integers.
    let too_many =
        (withdrawn.len() as u128) * 100 > u128::from(max_percent) * (before.len() as u128);
    if too_many {
        Err(Refused {
            withdrawn,
            announced: before.len(),
            max_percent,
        })
    } else {
        Ok(())
    }
}

/// The prefixes `config` announces to at least one of its peers when each service is in the state
/// `state_of(name)` returns (`None`: not evaluated yet, so held back by the startup gate).
///
/// For the blast-radius check, `before` is this function on the running configuration with the
/// current states, and `after` on the new configuration with the current states of the services it
/// keeps and `Some(ServiceState::Up)` for the ones it adds: the guard measures what the edit itself
/// withdraws, not what a new service's first evaluation may later decide.
pub fn announced(
    config: &Config,
    state_of: impl Fn(&str) -> Option<ServiceState>,
) -> BTreeSet<Prefix> {
    let services = ladder::services(config, state_of);
    ladder::announced(
        &services,
        config.announcer.peers.iter().map(|peer| peer.name.as_str()),
    )
}

/// Decides a reload from `running` to `new`: its changes ([`diff`]), or [`Refused`] when it would
/// withdraw more than the running configuration's `max_withdraw_percent` of the prefixes announced
/// now and `force` (the `--force` flag) is not set.
///
/// `state_of` gives each running service's current state (`None` before its first evaluation). The
/// projection keeps those states for the services the new configuration keeps and counts the ones it
/// adds as up, so only what the edit itself withdraws is measured. The running limit applies, so a
/// reload cannot raise the limit and use it at once.
pub fn check_reload(
    running: &Config,
    new: &Config,
    state_of: impl Fn(&str) -> Option<ServiceState>,
    force: bool,
) -> Result<BTreeSet<Change>, Refused> {
    if !force {
        let before = announced(running, &state_of);
        let known: BTreeSet<&str> = running.services.iter().map(|s| s.name.as_str()).collect();
        let after = announced(new, |name| {
            if known.contains(name) {
                state_of(name)
            } else {
                Some(ServiceState::Up)
            }
        });
        check_withdraw(&before, &after, running.lifecycle.max_withdraw_percent)?;
    }
    Ok(diff(running, new))
}

/// Grace for probes that could not run: an `Inconclusive` outcome stays inconclusive (the check keeps
/// its last state) until inconclusive outcomes have lasted `grace` without a break, then it counts as
/// a failure. One per check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InconclusiveGrace {
    grace: Option<Duration>,
    since: Option<Duration>,
}

impl InconclusiveGrace {
    /// `grace` from `inconclusive_grace`; `None` never turns inconclusive into failure.
    pub fn new(grace: Option<Duration>) -> InconclusiveGrace {
        InconclusiveGrace { grace, since: None }
    }

    /// The outcome to feed into the check's debounce, given the probe's outcome at `now`.
    pub fn filter(&mut self, outcome: Outcome, now: Duration) -> Outcome {
        let Outcome::Inconclusive(reason) = outcome else {
            self.since = None;
            return outcome;
        };
        let since = *self.since.get_or_insert(now);
        match self.grace {
            Some(grace) if now.saturating_sub(since) >= grace => Outcome::Fail(format!(
                "probe could not run for {:?} (inconclusive_grace {grace:?}): {reason}",
                now.saturating_sub(since)
            )),
            _ => Outcome::Inconclusive(reason),
        }
    }

    /// When the current run of inconclusive outcomes turns into failures; `None` when there is none
    /// or no grace limit.
    pub fn expires_at(&self) -> Option<Duration> {
        Some(self.since?.saturating_add(self.grace?))
    }
}
