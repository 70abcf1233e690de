//! The validated settings of the health lifecycle: per-service hold-down, flap dampening, grace for
//! probes that could not run, the route attributes of each health state, and the node-wide reload
//! guard and drain switch.
//!
//! Every type here has a `Default` equal to the behaviour of a configuration that does not mention
//! it, so adding these settings changed nothing for existing files.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use crate::bgp::rib_out::RouteAttributes;

/// GRACEFUL_SHUTDOWN well-known community 65535:0 (RFC 8326 §3): receivers lower the route's
/// preference, so traffic moves away before the route is withdrawn.
pub const GRACEFUL_SHUTDOWN: u32 = 0xFFFF_0000;

/// Default share of announced prefixes a reload may withdraw before it is refused.
pub const DEFAULT_MAX_WITHDRAW_PERCENT: u8 = 50;

/// `services[].{hold_down, dampening, inconclusive_grace, states}` (extensions): how one service's
/// health turns into announcements over time.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceHealth {
    /// `hold_down`: how long the service must stay healthy after having been down before its
    /// prefixes are announced again. Default 0 (announce at once). Not applied to the first
    /// evaluation after start: the startup gate already waits for it.
    pub hold_down: Duration,
    /// `dampening`: flap dampening (RFC 2439 §4 applied locally). `None` (default): disabled.
    pub dampening: Option<Dampening>,
    /// `inconclusive_grace`: how long probes that could not run (`Inconclusive`) keep a check in its
    /// last state before they count as failures. `None` (default): for as long as it lasts.
    pub inconclusive_grace: Option<Duration>,
    /// `states`: route attributes per health state and peer.
    pub states: StateRoutes,
}

/// `services[].dampening`: a penalty per flap that decays exponentially; above `suppress` the service
/// stays withdrawn until the penalty decays below `reuse` (RFC 2439 §4.2, §4.8).
///
/// Defaults: `penalty` 1000, `half_life` 60 s, `suppress` 2000, `reuse` 750, `max_penalty` 12000.
/// With them a third failure within about a minute suppresses the service, and suppression never
/// lasts longer than four half-lives (12000 -> 750) after the last failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dampening {
    /// `penalty`: added on each transition from announced to down (the "withdrawal" of RFC 2439).
    pub penalty: u32,
    /// `half_life`: time for the penalty to halve.
    pub half_life: Duration,
    /// `suppress`: a penalty above this suppresses the service.
    pub suppress: u32,
    /// `reuse`: a suppressed service is released once its penalty is below this.
    pub reuse: u32,
    /// `max_penalty`: the penalty never exceeds this ceiling (RFC 2439 §4.2 "ceiling"), which bounds
    /// suppression to `half_life * log2(max_penalty / reuse)` after the last flap.
    pub max_penalty: u32,
}

impl Default for Dampening {
    fn default() -> Self {
        Dampening {
            penalty: 1000,
            half_life: Duration::from_secs(60),
            suppress: 2000,
            reuse: 750,
            max_penalty: 12000,
        }
    }
}

/// Why a [`Dampening`] cannot work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DampeningError {
    /// `half_life` is zero.
    #[error("half_life must be positive")]
    ZeroHalfLife,
    /// `penalty` is zero: nothing would ever be suppressed.
    #[error("penalty must be positive")]
    ZeroPenalty,
    /// `reuse` is zero: the penalty only reaches 0 asymptotically, so suppression would never end.
    #[error("reuse must be positive")]
    ZeroReuse,
    /// `reuse` is not below `suppress`.
    #[error("reuse ({reuse}) must be below suppress ({suppress})")]
    ReuseNotBelowSuppress {
        /// `reuse`.
        reuse: u32,
        /// `suppress`.
        suppress: u32,
    },
    /// `max_penalty` is not above `suppress`, so suppression could never start.
    #[error("max_penalty ({max_penalty}) must be above suppress ({suppress})")]
    CeilingNotAboveSuppress {
        /// `max_penalty`.
        max_penalty: u32,
        /// `suppress`.
        suppress: u32,
    },
}

impl Dampening {
    /// Checks the relations RFC 2439 §4.2 relies on: `0 < reuse < suppress < max_penalty`, positive
    /// penalty and half-life. Every violation is returned, in field order.
    pub fn validate(&self) -> Vec<DampeningError> {
        let mut errors = Vec::new();
        if self.half_life.is_zero() {
            errors.push(DampeningError::ZeroHalfLife);
        }
        if self.penalty == 0 {
            errors.push(DampeningError::ZeroPenalty);
        }
        if self.reuse == 0 {
            errors.push(DampeningError::ZeroReuse);
        }
        if self.reuse >= self.suppress {
            errors.push(DampeningError::ReuseNotBelowSuppress {
                reuse: self.reuse,
                suppress: self.suppress,
            });
        }
        if self.max_penalty <= self.suppress {
            errors.push(DampeningError::CeilingNotAboveSuppress {
                max_penalty: self.max_penalty,
                suppress: self.suppress,
            });
        }
        errors
    }
}

/// `services[].states`: what each health state does to the service's prefixes.
///
/// Default: `up` and `degraded` announce plainly, `draining` announces with GRACEFUL_SHUTDOWN
/// (RFC 8326) and the highest MED, `down` withdraws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateRoutes {
    /// `states.up`.
    pub up: StateRoute,
    /// `states.degraded`.
    pub degraded: StateRoute,
    /// `states.draining`.
    pub draining: StateRoute,
    /// `states.down`.
    pub down: StateRoute,
}

impl Default for StateRoutes {
    fn default() -> Self {
        StateRoutes {
            up: StateRoute::new(RouteAction::Announce(RouteAttributes::default())),
            degraded: StateRoute::new(RouteAction::Announce(RouteAttributes::default())),
            draining: StateRoute::new(RouteAction::Announce(RouteAttributes {
                med: Some(u32::MAX),
                communities: vec![GRACEFUL_SHUTDOWN],
                ..RouteAttributes::default()
            })),
            down: StateRoute::new(RouteAction::Withdraw),
        }
    }
}

/// `states.<state>`: the action for every peer, with optional per-peer replacements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateRoute {
    /// What to do for peers not named in `peers`.
    pub action: RouteAction,
    /// `peers.<name>`: the whole action for that peer (it replaces `action`, it is not merged).
    pub peers: BTreeMap<String, RouteAction>,
}

impl StateRoute {
    /// The same action for every peer.
    pub fn new(action: RouteAction) -> StateRoute {
        StateRoute {
            action,
            peers: BTreeMap::new(),
        }
    }

    /// The action for the peer named `peer`.
    pub fn for_peer(&self, peer: &str) -> &RouteAction {
        self.peers.get(peer).unwrap_or(&self.action)
    }
}

/// Announce with these attributes, or withdraw (`withdraw: true` in the file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteAction {
    /// Announce (MED, AS-path prepend, communities, large communities).
    Announce(RouteAttributes),
    /// Withdraw the prefixes.
    Withdraw,
}

/// `lifecycle` (extension): node-wide safety settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lifecycle {
    /// `max_withdraw_percent` (0..=100, default 50): a reload that would withdraw more than this
    /// share of the announced prefixes is refused unless the daemon was started with `--force`.
    pub max_withdraw_percent: u8,
    /// `drain_file`: while this file exists every service is drained (state `draining`).
    /// Default: none.
    pub drain_file: Option<PathBuf>,
    /// `state_file` (default [`Lifecycle::DEFAULT_STATE_FILE`]): where the operator's drains are
    /// kept across restarts.
    pub state_file: PathBuf,
}

impl Lifecycle {
    /// The default state file, in the directory systemd's `StateDirectory=anycastd` creates.
    pub const DEFAULT_STATE_FILE: &'static str = "/var/lib/anycastd/state.json";
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle {
            max_withdraw_percent: DEFAULT_MAX_WITHDRAW_PERCENT,
            drain_file: None,
            state_file: PathBuf::from(Lifecycle::DEFAULT_STATE_FILE),
        }
    }
}
