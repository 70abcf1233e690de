//! What flows from the health side to the BGP side: the whole desired route set with its attributes,
//! per peer, level-triggered. The Supervisor computes it with the core ladder
//! ([`anycastd::health::ladder::desired`]); each PeerActor takes its own part.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use actix::Message;
use anycastd::bgp::rib_out::{RouteAttributes, Routes};
use anycastd::bgp::types::Prefix;

/// The routes one peer should have: prefix -> attributes.
pub type RouteMap = Routes;

/// The routes that should be announced right now. Sent to every PeerActor on every change (and to a
/// peer that has just been started), always whole: a peer reconciles it against what it advertised.
/// `change` only says where to look: a peer that holds the previous set works on those prefixes.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct DesiredRoutes {
    /// The routes of every peer not named in `per_peer`.
    pub routes: Arc<RouteMap>,
    /// Peers whose routes differ from `routes` (a `states.<state>.peers.<name>` entry applies).
    pub per_peer: Arc<BTreeMap<String, Arc<RouteMap>>>,
    /// True once every service has finished its first evaluation (startup gate): until then a peer
    /// sends no End-of-RIB, so the router does not take our empty table as complete.
    pub complete: bool,
    /// How this set differs from the one sent before it, when there was one.
    pub change: Option<Arc<Change>>,
}

/// Equal route sets, whatever their `change`.
impl PartialEq for DesiredRoutes {
    fn eq(&self, other: &DesiredRoutes) -> bool {
        self.routes == other.routes
            && self.per_peer == other.per_peer
            && self.complete == other.complete
    }
}

impl Eq for DesiredRoutes {}

/// The prefixes at which a route set differs from the one before it (`from`).
#[derive(Debug)]
pub struct Change {
    /// The previous set, without its own change (so no chain of older tables is kept alive).
    pub from: DesiredRoutes,
    /// Every prefix whose route differs for at least one peer.
    pub prefixes: BTreeSet<Prefix>,
}

impl Change {
    /// Where `to` differs from `from`.
    pub fn between(from: &DesiredRoutes, to: &DesiredRoutes) -> Change {
        let mut prefixes = BTreeSet::new();
        differences(&from.routes, &to.routes, &mut prefixes);
        let names: BTreeSet<&String> = from.per_peer.keys().chain(to.per_peer.keys()).collect();
        for name in names {
            differences(from.for_peer(name), to.for_peer(name), &mut prefixes);
        }
        Change {
            from: DesiredRoutes {
                change: None,
                ..from.clone()
            },
            prefixes,
        }
    }
}

/// Adds to `out` every prefix whose route differs between `a` and `b` (one walk over both).
fn differences(a: &Arc<RouteMap>, b: &Arc<RouteMap>, out: &mut BTreeSet<Prefix>) {
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
                std::cmp::Ordering::Less => {
                    out.insert(**pa);
                    left.next();
                }
                std::cmp::Ordering::Greater => {
                    out.insert(**pb);
                    right.next();
                }
                std::cmp::Ordering::Equal => {
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
            change: None,
        }
    }

    /// Nothing to announce, and complete: what every peer gets at shutdown.
    pub fn empty() -> DesiredRoutes {
        DesiredRoutes::plain([], true)
    }

    /// The routes of the peer named `peer`.
    pub fn for_peer(&self, peer: &str) -> &Arc<RouteMap> {
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
