//! What a reload changes: `diff(old, new)` lists, in the order they should be applied, the changes
//! between two validated configurations, so that the running daemon touches only what changed.
//!
//! Peers are matched by `name`, services by `name`, checks by `name` within their service: an
//! unchanged peer keeps its TCP session, an unchanged check keeps its rise/fall counters and schedule.
//! Changed route sets only become UPDATEs; changed session parameters reset only the peers they
//! concern (Cease / Other Configuration Change, RFC 4486 §4); removed peers get Cease / Peer
//! De-configured.
//!
//! Pure: two values in, a set out. A key file named by `md5_password_file` is read by the daemon;
//! a change of its content is not visible here.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

use super::model::{Announcer, Config, Peer, Service, ServiceHealth};
use crate::bgp::codec::{Afi, CeaseSubcode, Safi};
use crate::bgp::types::Prefix;

/// One change between two configurations. The derived order is the order to apply them in: peers
/// first (removals before resets before additions), then services and checks (removals, changes,
/// additions), then the route sets, then the rest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Change {
    /// The peer is gone: send Cease / Peer De-configured (RFC 4486 §4, subcode 3) and stop it.
    PeerRemoved(String),
    /// A setting of this session changed (the peer's own, or the speaker's router ID, AS, source
    /// address or graceful restart): send Cease / Other Configuration Change (RFC 4486 §4, subcode 6)
    /// and start the session again with the new settings.
    PeerReset(String),
    /// Only settings that need no new session changed (`connect_retry`, BFD intervals): apply them
    /// in place (new BFD intervals through a Poll Sequence, RFC 5880 §6.8.3).
    PeerUpdated(String),
    /// A new peer: start its session.
    PeerAdded(String),
    /// The service is gone, with its checks: stop them; its prefixes leave the route set.
    ServiceRemoved(String),
    /// The check is gone from a service that stays.
    CheckRemoved {
        /// The service's name.
        service: String,
        /// The check's name.
        check: String,
    },
    /// How the service evaluates changed (`check_interval`, `strategy`, `hold_down`, `dampening`,
    /// `inconclusive_grace`): apply in place, keeping its checks and their counters.
    ServiceChanged(String),
    /// The check's settings changed (kind, spec, group, interval, timeout, rise or fall): start it
    /// again; its counters start over.
    CheckChanged {
        /// The service's name.
        service: String,
        /// The check's name.
        check: String,
    },
    /// A new service: start it and its checks; its prefixes wait for its first evaluation.
    ServiceAdded(String),
    /// A new check in a service that stays.
    CheckAdded {
        /// The service's name.
        service: String,
        /// The check's name.
        check: String,
    },
    /// The prefixes a service that stays owns, or its `states` mapping, changed: recompute the route
    /// set; peers send only the difference as UPDATEs.
    ServiceRoutesChanged(String),
    /// `announcer.routes` changed (as a set).
    GlobalRoutesChanged,
    /// A next hop changed (`announcer.local_address`, `next_hop_ipv4`, `next_hop_ipv6`): peers
    /// re-announce with the new next hop, without a new session.
    NextHopsChanged,
    /// `metrics` changed: serve on the new address, or stop or start serving.
    MetricsChanged,
    /// `shutdown` changed.
    ShutdownChanged,
    /// `lifecycle` (reload guard, drain file, state file) changed.
    LifecycleChanged,
    /// `control` changed: applies at the next restart.
    ControlChanged,
}

impl Change {
    /// The Cease subcode (RFC 4486 §4) to send to the peer this change concerns, if it ends a session.
    pub fn cease(&self) -> Option<CeaseSubcode> {
        match self {
            Self::PeerRemoved(_) => Some(CeaseSubcode::PeerDeconfigured),
            Self::PeerReset(_) => Some(CeaseSubcode::OtherConfigurationChange),
            Self::PeerUpdated(_)
            | Self::PeerAdded(_)
            | Self::ServiceRemoved(_)
            | Self::CheckRemoved { .. }
            | Self::ServiceChanged(_)
            | Self::CheckChanged { .. }
            | Self::ServiceAdded(_)
            | Self::CheckAdded { .. }
            | Self::ServiceRoutesChanged(_)
            | Self::GlobalRoutesChanged
            | Self::NextHopsChanged
            | Self::MetricsChanged
            | Self::ShutdownChanged
            | Self::LifecycleChanged
            | Self::ControlChanged => None,
        }
    }

    /// True when the route set must be recomputed and sent to the peers.
    pub fn changes_routes(&self) -> bool {
        matches!(
            self,
            Self::ServiceRemoved(_)
                | Self::ServiceAdded(_)
                | Self::ServiceRoutesChanged(_)
                | Self::GlobalRoutesChanged
                | Self::NextHopsChanged
        )
    }
}

/// One line in words, as `anycastd --diff` prints it: what the running daemon would do.
pub fn describe(change: &Change) -> String {
    match change {
        Change::PeerRemoved(peer) => {
            format!("peer {peer}: removed (withdraw, Cease / Peer De-configured)")
        }
        Change::PeerReset(peer) => {
            format!("peer {peer}: session reset (Cease / Other Configuration Change)")
        }
        Change::PeerUpdated(peer) => {
            format!("peer {peer}: connect_retry or BFD intervals changed (session kept)")
        }
        Change::PeerAdded(peer) => format!("peer {peer}: added"),
        Change::ServiceRemoved(service) => format!("service {service}: removed"),
        Change::CheckRemoved { service, check } => {
            format!("service {service}: check {check} removed")
        }
        Change::ServiceChanged(service) => {
            format!("service {service}: evaluation settings changed (checks kept)")
        }
        Change::CheckChanged { service, check } => {
            format!("service {service}: check {check} changed (its counters start over)")
        }
        Change::ServiceAdded(service) => format!("service {service}: added"),
        Change::CheckAdded { service, check } => format!("service {service}: check {check} added"),
        Change::ServiceRoutesChanged(service) => {
            format!("service {service}: routes or states changed (UPDATEs, sessions kept)")
        }
        Change::GlobalRoutesChanged => {
            "announcer.routes changed (UPDATEs, sessions kept)".to_string()
        }
        Change::NextHopsChanged => "next hops changed".to_string(),
        Change::MetricsChanged => "metrics changed (applies at the next restart)".to_string(),
        Change::ShutdownChanged => "shutdown settings changed".to_string(),
        Change::LifecycleChanged => "lifecycle settings changed".to_string(),
        Change::ControlChanged => {
            "control socket changed (applies at the next restart)".to_string()
        }
    }
}

/// The changes that turn `old` into `new`, ordered and without duplicates. Empty when nothing that
/// matters at run time changed (the file's path does not matter).
pub fn diff(old: &Config, new: &Config) -> BTreeSet<Change> {
    // Exhaustive, so that a new setting must be classified here before it compiles.
    let Config {
        source: _,
        announcer,
        services: _,
        metrics,
        shutdown,
        lifecycle,
        control,
    } = old;
    let Announcer {
        router_id: _,  // diff_peers
        local_address, // diff_peers and next hops
        local_asn: _,  // diff_peers
        routes,
        peers: _, // diff_peers
        next_hop_ipv6,
        next_hop_ipv4,
        graceful_restart: _, // diff_peers
    } = announcer;
    let mut changes = BTreeSet::new();
    diff_peers(announcer, &new.announcer, &mut changes);
    diff_services(old, new, &mut changes);
    if as_set(routes) != as_set(&new.announcer.routes) {
        changes.insert(Change::GlobalRoutesChanged);
    }
    if *local_address != new.announcer.local_address
        || *next_hop_ipv4 != new.announcer.next_hop_ipv4
        || *next_hop_ipv6 != new.announcer.next_hop_ipv6
    {
        changes.insert(Change::NextHopsChanged);
    }
    if *metrics != new.metrics {
        changes.insert(Change::MetricsChanged);
    }
    if *shutdown != new.shutdown {
        changes.insert(Change::ShutdownChanged);
    }
    if *lifecycle != new.lifecycle {
        changes.insert(Change::LifecycleChanged);
    }
    if *control != new.control {
        changes.insert(Change::ControlChanged);
    }
    changes
}

fn diff_peers(old: &Announcer, new: &Announcer, changes: &mut BTreeSet<Change>) {
    let old_peers = by_name(&old.peers, |peer| &peer.name);
    let new_peers = by_name(&new.peers, |peer| &peer.name);
    let speaker_changed = old.router_id != new.router_id
        || old.local_asn != new.local_asn
        || old.graceful_restart != new.graceful_restart;
    for (name, old_peer) in &old_peers {
        let Some(new_peer) = new_peers.get(name) else {
            changes.insert(Change::PeerRemoved((*name).to_string()));
            continue;
        };
        if speaker_changed || Session::of(old, old_peer) != Session::of(new, new_peer) {
            changes.insert(Change::PeerReset((*name).to_string()));
        } else if old_peer.connect_retry != new_peer.connect_retry || old_peer.bfd != new_peer.bfd {
            changes.insert(Change::PeerUpdated((*name).to_string()));
        }
    }
    for name in new_peers.keys() {
        if !old_peers.contains_key(name) {
            changes.insert(Change::PeerAdded((*name).to_string()));
        }
    }
}

/// Everything of a peer that its running session depends on: all its settings but `name` and
/// `connect_retry`, the source address it ends up with, and the families its OPEN offers (a
/// cross-family next hop appearing or disappearing adds or removes one, RFC 4760 §8).
#[derive(PartialEq)]
struct Session<'a> {
    peer: PeerSession<'a>,
    source: Option<IpAddr>,
    families: Vec<(Afi, Safi)>,
}

impl<'a> Session<'a> {
    fn of(announcer: &Announcer, peer: &'a Peer) -> Session<'a> {
        let global = announcer.local_address;
        let same_family = global.is_ipv4() == peer.remote_address.is_ipv4();
        Session {
            peer: PeerSession(peer),
            source: peer.local_address.or(same_family.then_some(global)),
            families: peer.session_config(announcer).families,
        }
    }
}

/// A peer compared on its session settings only.
struct PeerSession<'a>(&'a Peer);

impl PartialEq for PeerSession<'_> {
    fn eq(&self, other: &Self) -> bool {
        // Exhaustive, so that a new peer setting must be classified here before it compiles.
        let Peer {
            name: _,
            remote_address,
            remote_asn,
            remote_port,
            local_address,
            multihop_ttl,
            passive,
            hold_time,
            connect_retry: _,
            md5,
            ttl_security,
            bfd,
            send_hold_time,
        } = self.0;
        let b = other.0;
        *remote_address == b.remote_address
            && *remote_asn == b.remote_asn
            && *remote_port == b.remote_port
            && *local_address == b.local_address
            && *multihop_ttl == b.multihop_ttl
            && *passive == b.passive
            && *hold_time == b.hold_time
            && *md5 == b.md5
            && *ttl_security == b.ttl_security
            && *send_hold_time == b.send_hold_time
            // Turning BFD on or off starts the session again; new intervals do not (Poll Sequence).
            && bfd.is_some() == b.bfd.is_some()
    }
}

fn diff_services(old: &Config, new: &Config, changes: &mut BTreeSet<Change>) {
    let old_services = by_name(&old.services, |service| &service.name);
    let new_services = by_name(&new.services, |service| &service.name);
    for (name, old_service) in &old_services {
        let Some(new_service) = new_services.get(name) else {
            changes.insert(Change::ServiceRemoved((*name).to_string()));
            continue;
        };
        if evaluation_changed(old_service, new_service) {
            changes.insert(Change::ServiceChanged((*name).to_string()));
        }
        if as_set(old_service.prefixes(&old.announcer))
            != as_set(new_service.prefixes(&new.announcer))
            || old_service.health.states != new_service.health.states
        {
            changes.insert(Change::ServiceRoutesChanged((*name).to_string()));
        }
        diff_checks(old_service, new_service, changes);
    }
    for name in new_services.keys() {
        if !old_services.contains_key(name) {
            changes.insert(Change::ServiceAdded((*name).to_string()));
        }
    }
}

/// True when how the service evaluates its checks changed; routes and checks are compared apart.
fn evaluation_changed(old: &Service, new: &Service) -> bool {
    // Exhaustive, so that a new service setting must be classified here before it compiles.
    let Service {
        name: _,
        check_interval,
        strategy,
        routes: _,
        checks: _,
        health:
            ServiceHealth {
                hold_down,
                dampening,
                inconclusive_grace,
                states: _,
            },
    } = old;
    *check_interval != new.check_interval
        || *strategy != new.strategy
        || *hold_down != new.health.hold_down
        || *dampening != new.health.dampening
        || *inconclusive_grace != new.health.inconclusive_grace
}

fn diff_checks(old: &Service, new: &Service, changes: &mut BTreeSet<Change>) {
    let old_checks = by_name(&old.checks, |check| &check.name);
    let new_checks = by_name(&new.checks, |check| &check.name);
    let key = |check: &str| (new.name.clone(), check.to_string());
    for (name, old_check) in &old_checks {
        let (service, check) = key(name);
        match new_checks.get(name) {
            None => changes.insert(Change::CheckRemoved { service, check }),
            Some(new_check) if new_check != old_check => {
                changes.insert(Change::CheckChanged { service, check })
            }
            Some(_) => false,
        };
    }
    for name in new_checks.keys() {
        if !old_checks.contains_key(name) {
            let (service, check) = key(name);
            changes.insert(Change::CheckAdded { service, check });
        }
    }
}

/// Items by name; validation keeps names unique, and should two collide the first one counts.
fn by_name<T>(items: &[T], name: impl Fn(&T) -> &String) -> BTreeMap<&str, &T> {
    let mut map = BTreeMap::new();
    for item in items {
        map.entry(name(item).as_str()).or_insert(item);
    }
    map
}

fn as_set(prefixes: &[Prefix]) -> BTreeSet<Prefix> {
    prefixes.iter().copied().collect()
}
