//! Every configured neighbour of the daemon, started in one call: the PeerActors (under actix
//! supervision), the shared listeners of passive neighbours, and the metric families. What the daemon
//! needs from the BGP side: recipients for the route set, and a graceful stop that awaits every Cease.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use anycastd::config::model;

use super::listener::Listeners;
use super::metrics::BgpMetrics;
use super::socket::{self, SocketError};
use super::{
    Deconfigure, GetStatus, PeerActor, PeerSetup, PeerStatus, SHUTDOWN_FLUSH_TIMEOUT, Shutdown,
};
use crate::routes::DesiredRoutes;
use anycastd::bgp::codec::CeaseSubcode;

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
    // Kept so the listeners live as long as their peers.
    listeners: Listeners,
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
        };
        for peer in &announcer.peers {
            peers.add(announcer, peer)?;
        }
        Ok(peers)
    }

    /// Starts one more supervised PeerActor for `peer` (also on reload); returns its address.
    pub fn add(
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
        let listener = if peer.passive {
            let local = peer
                .local_address
                .or_else(|| {
                    let default = announcer.local_address;
                    (default.is_ipv4() == peer.remote_address.is_ipv4()).then_some(default)
                })
                .ok_or_else(|| StartError::NoListenAddress(peer.name.clone()))?;
            let address = SocketAddr::new(local, BGP_PORT);
            Some(
                self.listeners
                    .get_or_start(address)
                    .map_err(|source| StartError::Peer {
                        peer: peer.name.clone(),
                        source,
                    })?,
            )
        } else {
            None
        };
        let setup = PeerSetup::from_model(announcer, peer, key, listener);
        let peer_metrics = self.metrics.peer(&peer.name);
        let actor = actix::Supervisor::start(move |_| PeerActor::new(setup, peer_metrics));
        self.actors.push((peer.name.clone(), actor.clone()));
        Ok(actor)
    }

    /// Takes the neighbour named `name` out of the set and stops its session with Cease / `subcode`
    /// after withdrawing every route; the actor ends once the returned future has completed.
    pub fn remove(
        &mut self,
        name: &str,
        subcode: CeaseSubcode,
    ) -> impl std::future::Future<Output = ()> + use<> {
        let position = self.actors.iter().position(|(n, _)| n == name);
        let actor = position.map(|i| self.actors.remove(i).1);
        let name = name.to_string();
        async move {
            let Some(actor) = actor else {
                return;
            };
            let request = actor.send(Deconfigure { subcode });
            if tokio::time::timeout(SHUTDOWN_FLUSH_TIMEOUT + Duration::from_secs(1), request)
                .await
                .is_err()
            {
                log::warn!(peer = name.as_str(); "BGP session {name}: no clean stop in time");
            }
            actor.do_send(crate::supervisor::Stop);
        }
    }

    /// The configured names of the running neighbours.
    pub fn names(&self) -> Vec<String> {
        self.actors.iter().map(|(name, _)| name.clone()).collect()
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

    /// Every neighbour's status, by name.
    pub fn status(
        &self,
    ) -> impl std::future::Future<Output = Vec<(String, Option<PeerStatus>)>> + use<> {
        let actors = self.actors.clone();
        async move {
            let mut out = Vec::new();
            for (name, actor) in actors {
                let status = tokio::time::timeout(Duration::from_secs(1), actor.send(GetStatus));
                out.push((name, status.await.ok().and_then(Result::ok)));
            }
            out
        }
    }

    /// Graceful stop of every session at once (withdraw, flush, Cease / Administrative Shutdown with
    /// `text`, close); returns when all are closed or after the flush deadline.
    pub fn shutdown(&self, text: &str) -> impl std::future::Future<Output = ()> + use<> {
        let actors = self.actors.clone();
        let text = text.to_string();
        async move { shutdown_all(actors, &text).await }
    }
}

async fn shutdown_all(actors: Vec<(String, Addr<PeerActor>)>, text: &str) {
    {
        let stops = actors.iter().map(|(_, actor)| {
            let request = actor.send(Shutdown {
                text: Some(text.to_string()),
            });
            tokio::time::timeout(SHUTDOWN_FLUSH_TIMEOUT + Duration::from_secs(1), request)
        });
        for (result, (name, _)) in futures_util::future::join_all(stops)
            .await
            .into_iter()
            .zip(&actors)
        {
            if result.is_err() {
                log::warn!(peer = name.as_str(); "BGP session {name}: no clean stop in time");
            }
        }
    }
}
