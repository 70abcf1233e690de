//! `/status` and the systemd `STATUS=` line: what the services and the peers look like now.

use std::time::Duration;

use actix::prelude::*;
use anycastd::bgp::fsm::State;
use anycastd::health::route_set::RouteSet;

use super::{Supervisor, notify};
use crate::peer::{GetSessionStatus, PeerActor, SessionStatus};
use crate::service::{GetServiceStatus, ServiceStatus};

/// Asks for the daemon's status (`/status`).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "Status")]
pub struct GetStatus;

/// `/status`: services, peers and the drain switch.
#[derive(Debug, Clone, serde::Serialize, MessageResponse)]
pub struct Status {
    /// Why the node is drained (`null` when it is not).
    pub drained: Option<String>,
    /// Every service.
    pub services: Vec<ServiceStatus>,
    /// Every configured neighbour.
    pub peers: Vec<PeerStatus>,
}

/// One neighbour in `/status`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PeerStatus {
    /// The configured name.
    pub name: String,
    /// The FSM state (`null` when the actor did not answer).
    pub state: Option<String>,
    /// Prefixes the neighbour has from us.
    pub advertised: Vec<String>,
}

/// Every neighbour's status, by name (`None`: the actor did not answer within a second).
async fn peer_status(
    actors: Vec<(String, Addr<PeerActor>)>,
) -> Vec<(String, Option<SessionStatus>)> {
    let mut out = Vec::new();
    for (name, actor) in actors {
        let status = tokio::time::timeout(Duration::from_secs(1), actor.send(GetSessionStatus));
        out.push((name, status.await.ok().and_then(Result::ok)));
    }
    out
}

impl Supervisor {
    /// Sends systemd a `STATUS=` line when it changed: prefixes announced, peers established.
    pub(super) fn refresh_status(&mut self, ctx: &mut Context<Self>) {
        let Some(bgp) = &self.bgp else {
            return;
        };
        let status = peer_status(bgp.actors().to_vec());
        let announced = self.node.sent().map_or(0, RouteSet::announced_count);
        let total = self.known_prefixes.len();
        let drained = self.node.drain_reason();
        ctx.spawn(status.into_actor(self).map(move |peers, act, _| {
            let established = peers
                .iter()
                .filter(|(_, s)| s.as_ref().is_some_and(|s| s.state == State::Established))
                .count();
            let mut line = format!(
                "{announced}/{total} prefixes announced, {established}/{} peers established",
                peers.len()
            );
            if let Some(reason) = drained {
                line.push_str(&format!(", drained: {reason}"));
            }
            if line != act.status_line {
                notify(&[sd_notify::NotifyState::Status(&line)]);
                act.status_line = line;
            }
        }));
    }
}

impl Handler<GetStatus> for Supervisor {
    type Result = ResponseActFuture<Self, Status>;

    fn handle(&mut self, _: GetStatus, _ctx: &mut Self::Context) -> Self::Result {
        let services: Vec<_> = self
            .node
            .config()
            .services
            .iter()
            .filter_map(|s| self.services.get(&s.name).map(|r| r.addr.clone()))
            .collect();
        let peers = self
            .bgp
            .as_ref()
            .map(|bgp| peer_status(bgp.actors().to_vec()));
        let drained = self.node.drain_reason();
        Box::pin(
            async move {
                let mut out = Vec::new();
                for service in services {
                    let status = tokio::time::timeout(
                        Duration::from_secs(1),
                        service.send(GetServiceStatus),
                    );
                    if let Ok(Ok(status)) = status.await {
                        out.push(status);
                    }
                }
                let peers = match peers {
                    Some(peers) => peers.await,
                    None => Vec::new(),
                };
                Status {
                    drained,
                    services: out,
                    peers: peers
                        .into_iter()
                        .map(|(name, status)| PeerStatus {
                            name,
                            state: status.as_ref().map(|s| s.state.to_string()),
                            advertised: status
                                .map(|s| s.advertised.iter().map(ToString::to_string).collect())
                                .unwrap_or_default(),
                        })
                        .collect(),
                }
            }
            .into_actor(self),
        )
    }
}
