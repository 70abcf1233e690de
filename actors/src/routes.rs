//! What flows from the health side to the BGP side: the node's [`RouteSet`] as a message, with the
//! [`RouteChange`] from the set sent before it. The Supervisor computes both in the core; each
//! PeerActor takes its own part.

use std::ops::Deref;
use std::sync::Arc;

use actix::Message;
use anycastd::bgp::types::Prefix;
use anycastd::health::route_set::{RouteChange, RouteSet};

/// The routes that should be announced right now. Sent to every PeerActor on every change (and to a
/// peer that has just been started), always whole: a peer reconciles it against what it advertised.
/// `change` only says where to look: a peer that holds the previous set works on those prefixes.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct DesiredRoutes {
    /// The route set.
    pub set: RouteSet,
    /// How this set differs from the one sent before it, when there was one.
    pub change: Option<Arc<RouteChange>>,
}

/// Equal route sets, whatever their `change`.
impl PartialEq for DesiredRoutes {
    fn eq(&self, other: &DesiredRoutes) -> bool {
        self.set == other.set
    }
}

impl Eq for DesiredRoutes {}

impl Deref for DesiredRoutes {
    type Target = RouteSet;

    fn deref(&self) -> &RouteSet {
        &self.set
    }
}

impl From<RouteSet> for DesiredRoutes {
    fn from(set: RouteSet) -> DesiredRoutes {
        DesiredRoutes { set, change: None }
    }
}

impl DesiredRoutes {
    /// The same prefixes, with no attributes, for every peer.
    pub fn plain(prefixes: impl IntoIterator<Item = Prefix>, complete: bool) -> DesiredRoutes {
        RouteSet::plain(prefixes, complete).into()
    }

    /// Nothing to announce, and complete: what every peer gets at shutdown.
    pub fn empty() -> DesiredRoutes {
        RouteSet::empty().into()
    }
}
