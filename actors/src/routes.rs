//! What flows from the health side to the BGP side: the whole desired route set, level-triggered.

use std::collections::BTreeSet;
use std::sync::Arc;

use actix::Message;
use anycastd::bgp::types::Prefix;

/// The prefixes that should be announced right now. Sent to every PeerActor on every change (and to a
/// peer that has just been started), never as a delta: a peer reconciles it against what it advertised.
#[derive(Debug, Clone, PartialEq, Eq, Message)]
#[rtype(result = "()")]
pub struct DesiredRoutes {
    /// Prefixes to announce.
    pub announce: Arc<BTreeSet<Prefix>>,
    /// True once every service has finished its first evaluation (startup gate): until then a peer
    /// sends no End-of-RIB, so the router does not take our empty table as complete.
    pub complete: bool,
}
