//! The node's route set: what every peer should be announced right now, as one value computed from
//! every service's ladder state ([`ladder`]), and where two route sets differ ([`RouteChange`]), so
//! a peer that holds the previous set reconciles only the prefixes that moved.
//!
//! Pure values: the tables are shared (`Arc`) so that a set sent to a thousand peers is one table.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::ladder::{self, ServiceRoutes};
use crate::bgp::rib_out::{RouteAttributes, Routes};
use crate::bgp::types::Prefix;

/// The routes of every peer, level-triggered: always whole, a peer reconciles it against what it
/// advertised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSet {
    /// The routes of every peer not named in `per_peer`.
    pub routes: Arc<Routes>,
    /// Peers whose routes differ from `routes` (a `states.<state>.peers.<name>` entry applies).
    pub per_peer: Arc<BTreeMap<String, Arc<Routes>>>,
    /// True once every service has finished its first evaluation (startup gate): until then a peer
    /// sends no End-of-RIB, so the router does not take our empty table as complete.
    pub complete: bool,
}

impl RouteSet {
    /// The route set of `services` for the configured `peers`: the default routes once, and a table
    /// of its own for each peer a `states` mapping names and whose routes differ from the default.
    pub fn of<'p>(
        services: &[ServiceRoutes<'_>],
        peers: impl IntoIterator<Item = &'p str>,
    ) -> RouteSet {
        let default = ladder::desired_default(services);
        let named = ladder::named_peers(services);
        let mut per_peer = BTreeMap::new();
        for peer in peers.into_iter().filter(|peer| named.contains(peer)) {
            let routes = ladder::desired(services, peer).routes;
            if routes != default.routes {
                per_peer.insert(peer.to_string(), Arc::new(routes));
            }
        }
        RouteSet {
            routes: Arc::new(default.routes),
            per_peer: Arc::new(per_peer),
            complete: default.complete,
        }
    }

    /// The same prefixes, with no attributes, for every peer.
    pub fn plain(prefixes: impl IntoIterator<Item = Prefix>, complete: bool) -> RouteSet {
        RouteSet {
            routes: Arc::new(
                prefixes
                    .into_iter()
                    .map(|prefix| (prefix, RouteAttributes::default()))
                    .collect(),
            ),
            per_peer: Arc::default(),
            complete,
        }
    }

    /// Nothing to announce, and complete: what every peer gets at shutdown.
    pub fn empty() -> RouteSet {
        RouteSet::plain([], true)
    }

    /// The routes of the peer named `peer`.
    pub fn for_peer(&self, peer: &str) -> &Arc<Routes> {
        self.per_peer.get(peer).unwrap_or(&self.routes)
    }

    /// Whether `prefix` is announced to at least one peer.
    pub fn announces(&self, prefix: &Prefix) -> bool {
        self.routes.contains_key(prefix)
            || self
                .per_peer
                .values()
                .any(|routes| routes.contains_key(prefix))
    }

    /// How many prefixes are announced to at least one peer.
    pub fn announced_count(&self) -> usize {
        if self.per_peer.is_empty() {
            self.routes.len()
        } else {
            self.prefixes().len()
        }
    }

    /// Every prefix to be announced to at least one peer.
    pub fn prefixes(&self) -> BTreeSet<Prefix> {
        self.routes
            .keys()
            .chain(self.per_peer.values().flat_map(|routes| routes.keys()))
            .copied()
            .collect()
    }
}

/// The prefixes at which a route set differs from the one before it (`from`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteChange {
    /// The previous set.
    pub from: RouteSet,
    /// Every prefix whose route differs for at least one peer.
    pub prefixes: BTreeSet<Prefix>,
}

impl RouteChange {
    /// Where `to` differs from `from`. Tables shared by both sets are not walked.
    pub fn between(from: &RouteSet, to: &RouteSet) -> RouteChange {
        let mut prefixes = BTreeSet::new();
        differences(&from.routes, &to.routes, &mut prefixes);
        let names: BTreeSet<&String> = from.per_peer.keys().chain(to.per_peer.keys()).collect();
        for name in names {
            differences(from.for_peer(name), to.for_peer(name), &mut prefixes);
        }
        RouteChange {
            from: from.clone(),
            prefixes,
        }
    }

    /// Whether `prefix` moved in or out of the announced prefixes (to at least one peer) between
    /// `from` and `to`.
    pub fn moved(&self, to: &RouteSet, prefix: &Prefix) -> bool {
        self.from.announces(prefix) != to.announces(prefix)
    }
}

/// Adds to `out` every prefix whose route differs between `a` and `b` (one walk over both).
fn differences(a: &Arc<Routes>, b: &Arc<Routes>, out: &mut BTreeSet<Prefix>) {
    if Arc::ptr_eq(a, b) {
        return;
    }
    let mut left = a.iter().peekable();
    let mut right = b.iter().peekable();
    loop {
        match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some((p, _)), None) => {
                out.insert(**p);
                left.next();
            }
            (None, Some((p, _))) => {
                out.insert(**p);
                right.next();
            }
            (Some((pa, aa)), Some((pb, ab))) => match pa.cmp(pb) {
                Ordering::Less => {
                    out.insert(**pa);
                    left.next();
                }
                Ordering::Greater => {
                    out.insert(**pb);
                    right.next();
                }
                Ordering::Equal => {
                    if aa != ab {
                        out.insert(**pa);
                    }
                    left.next();
                    right.next();
                }
            },
        }
    }
}
