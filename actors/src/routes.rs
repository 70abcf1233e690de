//! What flows from the health side to the BGP side: the whole desired route set with its attributes,
//! per peer, level-triggered. The Supervisor computes it with the core ladder
//! ([`anycastd::health::ladder::desired`]); each PeerActor takes its own part.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use actix::Message;
use anycastd::bgp::rib_out::RouteAttributes;
use anycastd::bgp::types::Prefix;

/// The routes one peer should have: prefix -> attributes.
pub type RouteMap = BTreeMap<Prefix, RouteAttributes>;

/// The routes that should be announced right now. Sent to every PeerActor on every change (and to a
/// peer that has just been started), never as a delta: a peer reconciles it against what it advertised.
#[derive(Debug, Clone, PartialEq, Eq, Message)]
#[rtype(result = "()")]
pub struct DesiredRoutes {
    /// The routes of every peer not named in `per_peer`.
    pub routes: Arc<RouteMap>,
    /// Peers whose routes differ from `routes` (a `states.<state>.peers.<name>` entry applies).
    pub per_peer: Arc<BTreeMap<String, RouteMap>>,
    /// True once every service has finished its first evaluation (startup gate): until then a peer
    /// sends no End-of-RIB, so the router does not take our empty table as complete.
    pub complete: bool,
}

impl DesiredRoutes {
    /// The same prefixes, with no attributes, for every peer.
    pub fn plain(prefixes: impl IntoIterator<Item = Prefix>, complete: bool) -> DesiredRoutes {
        DesiredRoutes {
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
    pub fn empty() -> DesiredRoutes {
        DesiredRoutes::plain([], true)
    }

    /// The routes of the peer named `peer`.
    pub fn for_peer(&self, peer: &str) -> &RouteMap {
        self.per_peer.get(peer).unwrap_or(&self.routes)
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
