//! Every configured neighbour of the daemon, started in one call: the PeerActors (under actix
//! supervision), the shared listeners of passive neighbours, and the metric families. What the daemon
//! needs from the BGP side: recipients for the route set, and a graceful stop that awaits every Cease.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use anycastd::config::model;

use anycastd::bgp::fsm::{CeaseSubcode, StopReason};

use super::bfd::PeerBfd;
use super::listener::Listeners;
use super::metrics::BgpMetrics;
use super::socket::{self, SocketError};
use super::{EndSession, PeerActor, PeerSetup, SHUTDOWN_FLUSH_TIMEOUT};
use crate::bfd::metrics::BfdMetrics;
use crate::bfd::socket::Ports;
use crate::bfd::{BfdActor, Reconfigure};
use crate::routes::DesiredRoutes;

/// The port passive neighbours connect to.
pub const BGP_PORT: u16 = 179;

/// Why the BGP side could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Registering the metric families failed (e.g. registered twice in one registry).
    #[error("BGP metrics: {0}")]
    Metrics(#[from] prometheus::Error),
    /// A peer's MD5 key or listener could not be set up.
    #[error("peer {peer}: {source}")]
    Peer {
        /// The configured name.
        peer: String,
        /// What failed.
        #[source]
        source: SocketError,
    },
    /// A passive peer has no local address of its family to listen on.
    #[error("peer {0}: passive, but no local_address of its address family to listen on")]
    NoListenAddress(String),
}

/// The running neighbours.
pub struct Peers {
    actors: Vec<(String, Addr<PeerActor>)>,
    metrics: Arc<BgpMetrics>,
    listeners: Listeners,
    /// The BFD actor, started with the first neighbour that has `bfd`.
    bfd: Option<Addr<BfdActor>>,
    bfd_metrics: Arc<BfdMetrics>,
}

impl Peers {
    /// Starts one supervised PeerActor per `announcer.peers` entry (inside a running actix system).
    /// Passive neighbours listen on their local address, port 179.
    pub fn start(
        announcer: &model::Announcer,
        registry: &prometheus::Registry,
    ) -> Result<Peers, StartError> {
        let metrics: Arc<BgpMetrics> = BgpMetrics::register(registry)?;
        let mut peers = Peers {
            actors: Vec::new(),
            metrics,
            listeners: Listeners::default(),
            bfd: None,
            bfd_metrics: BfdMetrics::register(registry)?,
        };
        for peer in &announcer.peers {
            peers.start_one(announcer, peer)?;
        }
        Ok(peers)
    }

    /// Starts one more supervised PeerActor for `peer` (a neighbour added or reset by a reload).
    pub fn start_one(
        &mut self,
        announcer: &model::Announcer,
        peer: &model::Peer,
    ) -> Result<Addr<PeerActor>, StartError> {
        let failed = |source| StartError::Peer {
            peer: peer.name.clone(),
            source,
        };
        let key = peer
            .md5
            .as_ref()
            .map(socket::read_md5_key)
            .transpose()
            .map_err(failed)?;
        let mut setup = PeerSetup::from_model(announcer, peer, key, None);
        if peer.passive {
            let local = setup
                .local_address
                .ok_or_else(|| StartError::NoListenAddress(peer.name.clone()))?;
            let address = SocketAddr::new(local, BGP_PORT);
            setup.listener = Some(self.listeners.get_or_start(address).map_err(failed)?);
        }
        setup.bfd = peer.bfd.as_ref().map(|bfd| self.peer_bfd(peer, bfd));
        let peer_metrics = self.metrics.peer(&peer.name);
        let actor = actix::Supervisor::start(move |_| PeerActor::new(setup, peer_metrics));
        self.actors.push((peer.name.clone(), actor.clone()));
        Ok(actor)
    }

    /// The neighbour's BFD session; starts the BFD actor with the first one.
    fn peer_bfd(&mut self, peer: &model::Peer, bfd: &model::Bfd) -> PeerBfd {
        let metrics = Arc::clone(&self.bfd_metrics);
        let actor = self
            .bfd
            .get_or_insert_with(|| BfdActor::new(Ports::default(), metrics).start())
            .clone();
        let multihop = peer.multihop_ttl.is_some();
        let ports = Ports::default();
        let port = if multihop {
            ports.multihop
        } else {
            ports.single_hop
        };
        PeerBfd {
            actor,
            remote: SocketAddr::new(peer.remote_address, port),
            multihop,
            config: bfd.into(),
        }
    }

    /// The BFD actor, once a neighbour with `bfd` has started it.
    pub fn bfd_actor(&self) -> Option<Addr<BfdActor>> {
        self.bfd.clone()
    }

    /// New BFD intervals for a running neighbour: a Poll Sequence, the sessions stay up.
    pub fn reconfigure_bfd(&self, name: &str, announcer: &model::Announcer) {
        let bfd = announcer
            .peers
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.bfd.as_ref());
        if let (Some(actor), Some(bfd)) = (&self.bfd, bfd) {
            actor.do_send(Reconfigure {
                name: name.to_string(),
                config: bfd.into(),
            });
        }
    }

    /// Takes the neighbour named `name` out of the set and ends its session with Cease / `subcode`
    /// after withdrawing every route, for good (`retire`); the future ends once the Cease is out.
    pub fn stop_one(
        &mut self,
        name: &str,
        subcode: CeaseSubcode,
    ) -> impl Future<Output = ()> + use<> {
        let position = self.actors.iter().position(|(n, _)| n == name);
        let actor = position.map(|i| self.actors.remove(i));
        async move {
            if let Some((name, actor)) = actor {
                let request = EndSession {
                    reason: StopReason::cease(subcode),
                    retire: true,
                };
                end_session(name, actor, request).await;
            }
        }
    }

    /// Removes the metric series of the neighbour `name`, once it is stopped for good.
    pub fn forget(&self, name: &str) {
        self.metrics.forget(name);
    }

    /// Where the route set goes (one recipient per neighbour).
    pub fn recipients(&self) -> Vec<Recipient<DesiredRoutes>> {
        self.actors
            .iter()
            .map(|(_, actor)| actor.clone().recipient())
            .collect()
    }

    /// The actors by configured name.
    pub fn actors(&self) -> &[(String, Addr<PeerActor>)] {
        &self.actors
    }

    /// Graceful stop of every session at once (withdraw, flush, Cease / Administrative Shutdown with
    /// `text`, close); the future ends when all are closed or after the flush deadline.
    pub fn shutdown(&self, text: &str) -> impl Future<Output = ()> + use<> {
        let stops = self.actors.iter().map(|(name, actor)| {
            let request = EndSession::shutdown(Some(text.to_string()));
            end_session(name.clone(), actor.clone(), request)
        });
        let stops: Vec<_> = stops.collect();
        async move {
            futures_util::future::join_all(stops).await;
        }
    }
}

/// Asks the neighbour `name` to end its session and waits until its connection is closed, at most
/// the flush deadline and a second; says so in the log when it took longer.
async fn end_session(name: String, actor: Addr<PeerActor>, request: EndSession) {
    let reply = actor.send(request);
    if tokio::time::timeout(SHUTDOWN_FLUSH_TIMEOUT + Duration::from_secs(1), reply)
        .await
        .is_err()
    {
        log::warn!(peer = name.as_str(); "BGP session {name}: no clean stop in time");
    }
}
