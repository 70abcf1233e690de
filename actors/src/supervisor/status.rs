//! `/status` and the systemd `STATUS=` line: what the services and the peers look like now.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix::prelude::*;
use anycastd::bgp::fsm::State;
use anycastd::bgp::speaker::SentRoute;
use anycastd::health::drain::Drain;
use anycastd::health::route_set::RouteSet;

use super::{Supervisor, notify};
use crate::peer::{GetSessionState, GetSessionStatus, PeerActor, SessionStatus};
use crate::service::{GetServiceStatus, ServiceStatus};

/// Asks for the daemon's status (`/status`).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "Status")]
pub struct GetStatus;

/// `/status` (and the control socket's `/status`): services, peers, routes and drains.
#[derive(Debug, Clone, serde::Serialize, MessageResponse)]
pub struct Status {
    /// The daemon's version.
    pub version: &'static str,
    /// The configuration file.
    pub config: String,
    /// Why the whole node is drained (`null` when it is not).
    pub drained: Option<String>,
    /// Every drain in force, by where it comes from.
    pub drains: Drains,
    /// Every service.
    pub services: Vec<ServiceStatus>,
    /// Every configured neighbour.
    pub peers: Vec<PeerStatus>,
    /// Every BFD session (empty without BFD).
    pub bfd: Vec<crate::bfd::BfdStatus>,
}

/// Every drain in force.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Drains {
    /// The operator's node-wide drain (SIGUSR1, `anycastd ctl drain`).
    pub node: Option<Drain>,
    /// The drain file, while it exists.
    pub file: Option<String>,
    /// The operator's drains of single services, by service.
    pub services: BTreeMap<String, Drain>,
    /// Services a `file` check drains, with the check's name.
    pub checks: BTreeMap<String, String>,
}

/// One neighbour in `/status`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PeerStatus {
    /// The configured name.
    pub name: String,
    /// The neighbour's address (`null` when the actor did not answer).
    pub address: Option<String>,
    /// The FSM state (`null` when the actor did not answer).
    pub state: Option<String>,
    /// Seconds since the session became Established, while it is.
    pub uptime: Option<f64>,
    /// Why the session last went down.
    pub last_error: Option<String>,
    /// The negotiated hold time in seconds, while a session is up.
    pub hold_time: Option<u16>,
    /// The negotiated capabilities, while a session is up.
    pub capabilities: Vec<String>,
    /// Prefixes the neighbour has from us.
    pub advertised: Vec<String>,
    /// The routes the neighbour has from us, with their attributes.
    pub routes: Vec<RouteStatus>,
}

/// One route a neighbour has from us.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RouteStatus {
    /// The prefix.
    pub prefix: String,
    /// Its next hop.
    pub next_hop: Option<String>,
    /// AS_PATH, as AS numbers.
    pub as_path: Vec<u32>,
    /// MULTI_EXIT_DISC.
    pub med: Option<u32>,
    /// LOCAL_PREF (iBGP).
    pub local_pref: Option<u32>,
    /// COMMUNITIES as `ASN:VALUE`.
    pub communities: Vec<String>,
    /// LARGE_COMMUNITY as `GLOBAL:LOCAL1:LOCAL2`.
    pub large_communities: Vec<String>,
}

impl From<&SentRoute> for RouteStatus {
    fn from(route: &SentRoute) -> RouteStatus {
        let a = &route.attributes;
        RouteStatus {
            prefix: route.prefix.to_string(),
            next_hop: route.next_hop.map(|hop| hop.to_string()),
            as_path: route.as_path.clone(),
            med: a.med,
            local_pref: route.local_pref,
            communities: a
                .communities
                .iter()
                .map(|c| format!("{}:{}", c >> 16, c & 0xffff))
                .collect(),
            large_communities: a
                .large_communities
                .iter()
                .map(|c| format!("{}:{}:{}", c.global, c.local1, c.local2))
                .collect(),
        }
    }
}

impl PeerStatus {
    fn new(name: String, status: Option<SessionStatus>) -> PeerStatus {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let Some(status) = status else {
            return PeerStatus {
                name,
                address: None,
                state: None,
                uptime: None,
                last_error: None,
                hold_time: None,
                capabilities: Vec::new(),
                advertised: Vec::new(),
                routes: Vec::new(),
            };
        };
        PeerStatus {
            name,
            address: Some(status.remote.ip().to_string()),
            state: Some(status.state.to_string()),
            uptime: status.established_since.map(|at| (now - at).max(0.0)),
            last_error: status.last_error.clone(),
            hold_time: status.hold_time,
            capabilities: status.capabilities.clone(),
            advertised: status.advertised.iter().map(ToString::to_string).collect(),
            routes: status.routes.iter().map(RouteStatus::from).collect(),
        }
    }
}

/// Every neighbour's answer to `ask`, by name (`None`: the actor did not answer within a second).
async fn ask_peers<M>(
    actors: Vec<(String, Addr<PeerActor>)>,
    ask: M,
) -> Vec<(String, Option<M::Result>)>
where
    M: Message + Copy + Send + 'static,
    M::Result: Send,
    PeerActor: Handler<M>,
{
    let mut out = Vec::new();
    for (name, actor) in actors {
        let answer = tokio::time::timeout(Duration::from_secs(1), actor.send(ask));
        out.push((name, answer.await.ok().and_then(Result::ok)));
    }
    out
}

impl Supervisor {
    /// Sends systemd a `STATUS=` line when it changed: prefixes announced, peers established.
    pub(super) fn refresh_status(&mut self, ctx: &mut Context<Self>) {
        let Some(bgp) = &self.bgp else {
            return;
        };
        let status = ask_peers(bgp.actors().to_vec(), GetSessionState);
        let announced = self.node.sent().map_or(0, RouteSet::announced_count);
        let total = self.known_prefixes.len();
        let drained = self.node.drain_reason();
        ctx.spawn(status.into_actor(self).map(move |peers, act, _| {
            let established = peers
                .iter()
                .filter(|(_, state)| *state == Some(State::Established))
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

impl Supervisor {
    /// Every drain in force now.
    fn drains_status(&self) -> Drains {
        let drains = self.node.drains();
        let file = self.node.config().lifecycle.drain_file.as_ref();
        Drains {
            node: drains.node.clone(),
            file: file
                .filter(|_| self.node.drain_file_present())
                .map(|path| path.display().to_string()),
            services: drains.services.clone(),
            checks: self.check_drains.clone(),
        }
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
            .map(|bgp| ask_peers(bgp.actors().to_vec(), GetSessionStatus));
        let drained = self.node.drain_reason();
        let drains = self.drains_status();
        let config = self.path.display().to_string();
        let bfd = self.bgp.as_ref().and_then(|bgp| bgp.bfd_actor());
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
                let bfd = match bfd {
                    Some(actor) => {
                        let request = actor.send(crate::bfd::GetBfdStatus);
                        let answer = tokio::time::timeout(Duration::from_secs(1), request).await;
                        answer.ok().and_then(Result::ok).unwrap_or_default()
                    }
                    None => Vec::new(),
                };
                Status {
                    version: env!("CARGO_PKG_VERSION"),
                    config,
                    drained,
                    drains,
                    bfd,
                    services: out,
                    peers: peers
                        .into_iter()
                        .map(|(name, status)| PeerStatus::new(name, status))
                        .collect(),
                }
            }
            .into_actor(self),
        )
    }
}
