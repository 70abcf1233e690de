//! The health ladder: a service is `up`, `degraded`, `draining` or `down`, and each state maps, per
//! peer, to route attributes or a withdrawal (`services[].states`). A prefix owned by several services
//! follows the worst of them (DESIGN §5), and nothing is announced before every owning service has
//! finished its first evaluation (the startup gate).
//!
//! Pure: states and configuration in, routes out. No I/O, no clock.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};

use super::Health;
use crate::bgp::rib_out::RouteAttributes;
use crate::bgp::types::Prefix;
use crate::config::model::{Config, RouteAction, StateRoute, StateRoutes};

/// Where a service stands on the ladder. Ordered from best to worst, so `max` is the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServiceState {
    /// Healthy: announce (default: plainly).
    Up,
    /// Healthy but asking to be less preferred, e.g. an `exec` warning (default: announce plainly;
    /// set MED or prepend in `states.degraded`).
    Degraded,
    /// Healthy, but the operator is moving traffic away (`lifecycle.drain_file` exists). Default:
    /// GRACEFUL_SHUTDOWN (RFC 8326 §3) and the highest MED.
    Draining,
    /// Failing: withdraw (default).
    Down,
}

impl ServiceState {
    /// Every state, best first.
    pub const ALL: [ServiceState; 4] = [Self::Up, Self::Degraded, Self::Draining, Self::Down];

    /// The state of a service from its health and the operator's drain switch: a drained service that
    /// is not down is `Draining`; a down service stays `Down`.
    pub fn assess(health: Health, drained: bool) -> ServiceState {
        match health {
            Health::Down => Self::Down,
            Health::Up | Health::Degraded if drained => Self::Draining,
            Health::Up => Self::Up,
            Health::Degraded => Self::Degraded,
        }
    }

    /// The worse of two states (`Down` > `Draining` > `Degraded` > `Up`).
    pub fn worst(self, other: ServiceState) -> ServiceState {
        self.max(other)
    }

    /// True for `Down`.
    pub fn is_down(self) -> bool {
        self == Self::Down
    }

    /// A short label for metrics and logs: `up`, `degraded`, `draining`, `down`.
    pub fn as_label(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Degraded => "degraded",
            Self::Draining => "draining",
            Self::Down => "down",
        }
    }

    /// This state's entry in a `states` mapping.
    pub fn entry(self, states: &StateRoutes) -> &StateRoute {
        match self {
            Self::Up => &states.up,
            Self::Degraded => &states.degraded,
            Self::Draining => &states.draining,
            Self::Down => &states.down,
        }
    }

    /// The attributes to announce this state's prefixes with to `peer` (`None`: every peer not named
    /// in the mapping), `None` to withdraw them.
    pub fn attributes(self, states: &StateRoutes, peer: Option<&str>) -> Option<RouteAttributes> {
        let entry = self.entry(states);
        let action = match peer {
            Some(peer) => entry.for_peer(peer),
            None => &entry.action,
        };
        match action {
            RouteAction::Announce(attributes) => Some(attributes.clone()),
            RouteAction::Withdraw => None,
        }
    }
}

impl From<Health> for ServiceState {
    /// The state of a service that is not drained.
    fn from(health: Health) -> ServiceState {
        ServiceState::assess(health, false)
    }
}

/// One service as the route computation sees it.
#[derive(Debug, Clone, Copy)]
pub struct ServiceRoutes<'a> {
    /// Its state; `None` until its first evaluation has finished.
    pub state: Option<ServiceState>,
    /// The prefixes it owns (`Service::prefixes`).
    pub prefixes: &'a [Prefix],
    /// Its `states` mapping.
    pub states: &'a StateRoutes,
}

/// The route view of every service of `config`, in file order, each in the state `state_of(name)`
/// returns (`None`: not evaluated yet).
pub fn services(
    config: &Config,
    state_of: impl Fn(&str) -> Option<ServiceState>,
) -> Vec<ServiceRoutes<'_>> {
    config
        .services
        .iter()
        .map(|service| ServiceRoutes {
            state: state_of(&service.name),
            prefixes: service.prefixes(&config.announcer),
            states: &service.health.states,
        })
        .collect()
}

/// The routes one peer should have.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeerRoutes {
    /// Prefixes to announce and their attributes.
    pub routes: BTreeMap<Prefix, RouteAttributes>,
    /// True once every service that owns a prefix has finished its first evaluation: only then may
    /// End-of-RIB be sent (RFC 4724 §2), so the peer never takes a partial table as complete.
    pub complete: bool,
}

/// The routes `peer` should have, given every service.
///
/// Each prefix follows the worst state among the services owning it, with the `states` mapping of the
/// first service (in the given order) in that state. A prefix whose owners have not all been evaluated
/// is held back (startup gate).
pub fn desired(services: &[ServiceRoutes<'_>], peer: &str) -> PeerRoutes {
    routes_for(services, Some(peer))
}

/// The routes of every peer not named in any `states` mapping ([`named_peers`]).
pub fn desired_default(services: &[ServiceRoutes<'_>]) -> PeerRoutes {
    routes_for(services, None)
}

/// [`desired`] for `Some(peer)`, [`desired_default`] for `None`.
fn routes_for(services: &[ServiceRoutes<'_>], peer: Option<&str>) -> PeerRoutes {
    let mut verdict: BTreeMap<Prefix, Option<(ServiceState, &StateRoutes)>> = BTreeMap::new();
    let mut complete = true;
    for service in services {
        if service.state.is_none() && !service.prefixes.is_empty() {
            complete = false;
        }
        for prefix in service.prefixes {
            let entry = verdict
                .entry(*prefix)
                .or_insert(service.state.map(|state| (state, service.states)));
            *entry = match (*entry, service.state) {
                (Some((worst, _)), Some(state)) if state > worst => Some((state, service.states)),
                (Some(kept), Some(_)) => Some(kept),
                (_, None) | (None, _) => None,
            };
        }
    }
    let routes = verdict
        .into_iter()
        .filter_map(|(prefix, verdict)| {
            let (state, mapping) = verdict?;
            state
                .attributes(mapping, peer)
                .map(|attributes| (prefix, attributes))
        })
        .collect();
    PeerRoutes { routes, complete }
}

/// The peers named in some service's `states` mapping: only they can have routes other than
/// [`desired_default`], so the route set is computed once for all the others.
pub fn named_peers<'a>(services: &[ServiceRoutes<'a>]) -> BTreeSet<&'a str> {
    services
        .iter()
        .flat_map(|service| {
            let states = service.states;
            [&states.up, &states.degraded, &states.draining, &states.down]
        })
        .flat_map(|state| state.peers.keys().map(String::as_str))
        .collect()
}

/// The prefixes announced to at least one of `peers`: what a reload could withdraw.
pub fn announced<'p>(
    services: &[ServiceRoutes<'_>],
    peers: impl IntoIterator<Item = &'p str>,
) -> BTreeSet<Prefix> {
    let named = named_peers(services);
    let (own, default): (Vec<&str>, Vec<&str>) =
        peers.into_iter().partition(|peer| named.contains(peer));
    let default = default.first().map(|_| None);
    own.into_iter()
        .map(Some)
        .chain(default)
        .flat_map(|peer| routes_for(services, peer).routes.into_keys())
        .collect()
}
