//! BGP neighbours: the PeerActor and the sockets, listeners, timers and metrics it uses.
//!
//! One [`PeerActor`] per configured neighbour owns its TCP connection and drives one core
//! [`Speaker`] (session FSM, Adj-RIB-Out, next hops). It holds no protocol logic: connection events,
//! frames, timers, the route set ([`DesiredRoutes`]) and stop requests go into [`Speaker::handle`],
//! and the returned actions are performed in order.
//!
//! A neighbour is either active (we connect out, from `local_address`) or passive (its connections
//! arrive through the shared [`listener::Listener`]), never both; the speaker takes one connection
//! at a time, so connection collisions (RFC 4271 §6.8) cannot occur.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod bfd;
mod connection;
pub mod listener;
mod messages;
pub mod metrics;
pub mod set;
mod setup;
pub mod socket;
pub mod timers;
pub mod transport;

use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use anycastd::bgp::fsm::{self, Event, Negotiated, StopReason};
use anycastd::bgp::speaker::{Action, Input, NextHops, Speaker};
use tokio::sync::oneshot;

use crate::messages::Ping;
use crate::routes::DesiredRoutes;
use connection::Connection;
use listener::{Accepted, Register, Unregister};
pub use messages::{EndSession, GetSessionState, GetSessionStatus, SessionStatus, SetNextHops};
use metrics::PeerMetrics;
pub use setup::{CONNECT_TIMEOUT, PeerSetup};
use timers::Timers;

/// How long a graceful stop waits for the last messages to be flushed.
pub const SHUTDOWN_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// One BGP neighbour. Owns its TCP session and drives a [`Speaker`]; holds no protocol logic.
pub struct PeerActor {
    setup: PeerSetup,
    speaker: Speaker,
    connection: Option<Connection>,
    connecting: Option<SpawnHandle>,
    /// Numbers connections so that reports from a closed one are ignored.
    generation: u64,
    timers: Timers,
    metrics: PeerMetrics,
    close_notify: Option<oneshot::Sender<()>>,
    /// Removed from the configuration: never starts again.
    retired: bool,
    bfd_link: bfd::Link,
    /// When the session became Established (seconds since the Unix epoch), while it is.
    established_since: Option<f64>,
    /// Why the session last went down.
    last_error: Option<String>,
}

impl PeerActor {
    /// A neighbour that starts its session as soon as the actor runs.
    pub fn new(setup: PeerSetup, metrics: PeerMetrics) -> PeerActor {
        let next_hops = NextHops {
            ipv4: setup.next_hop_ipv4,
            ipv6: setup.next_hop_ipv6,
        };
        let speaker = Speaker::new(setup.session.clone(), setup.seed(), next_hops);
        PeerActor {
            setup,
            speaker,
            connection: None,
            connecting: None,
            generation: 0,
            timers: Timers::default(),
            metrics,
            close_notify: None,
            retired: false,
            bfd_link: bfd::Link::default(),
            established_since: None,
            last_error: None,
        }
    }

    /// Applies one input to the speaker and performs what it asks for.
    fn feed(&mut self, input: Input<'_>, ctx: &mut Context<Self>) {
        for action in self.speaker.handle(input) {
            self.perform(action, ctx);
        }
    }

    fn perform(&mut self, action: Action, ctx: &mut Context<Self>) {
        let name = self.setup.name.as_str();
        match action {
            Action::Fsm(fsm::Action::ConnectTcp) => self.connect(ctx),
            Action::Fsm(fsm::Action::CloseTcp) => self.close(ctx),
            Action::Fsm(fsm::Action::Send(message)) => self.send(&message),
            Action::Fsm(fsm::Action::StartTimer(timer, after)) => {
                self.timers.arm(timer, after, ctx)
            }
            Action::Fsm(fsm::Action::StopTimer(timer)) => self.timers.disarm(timer, ctx),
            Action::Fsm(fsm::Action::StateChanged { from, to }) => {
                log::info!(peer = name; "BGP session {name}: {from} -> {to}");
                self.metrics.transition(from, to);
            }
            Action::Fsm(fsm::Action::Established(negotiated)) => self.established(&negotiated),
            Action::Fsm(fsm::Action::Down(reason)) => {
                log::warn!(peer = name; "BGP session {name} down: {}", reason);
                self.metrics.down(&reason);
                self.established_since = None;
                self.last_error = Some(reason.to_string());
            }
            Action::Fsm(fsm::Action::RouteRefreshRequested(afi, safi)) => {
                log::info!(peer = name; "BGP session {name}: route refresh for {afi:?}/{safi:?}");
            }
            Action::Fsm(fsm::Action::UpdateReceived) => {}
            Action::Fsm(fsm::Action::IgnoredUpdateError(notification)) => {
                log::warn!(peer = name; "BGP session {name}: malformed UPDATE ignored (RFC 7606): {notification}");
            }
            Action::Advertised(count) => self.metrics.advertised(count),
            // Answers to an offered connection, taken where it is offered.
            Action::Accept | Action::Refuse => {}
        }
    }

    fn established(&mut self, negotiated: &Negotiated) {
        self.established_since = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()
            .map(|d| d.as_secs_f64());
        log::warn!(
            peer = self.setup.name.as_str();
            "BGP session {} established with AS{} ({}), hold time {}s",
            self.setup.name,
            negotiated.peer_asn,
            negotiated.peer_router_id,
            negotiated.hold_time.seconds()
        );
    }
}

impl Actor for PeerActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if self.retired {
            return;
        }
        if let Some(listener) = self.setup.listener.clone() {
            let register = Register {
                remote: self.setup.remote.ip(),
                options: self.setup.socket.clone(),
                recipient: ctx.address().recipient(),
            };
            let name = self.setup.name.clone();
            ctx.spawn(listener.send(register).into_actor(self).map(move |result, _, _| match result {
                Ok(Ok(())) => {}
                Ok(Err(error)) => log::error!(peer = name.as_str(); "BGP session {name}: listener refused: {error}"),
                Err(error) => log::error!(peer = name.as_str(); "BGP session {name}: listener gone: {error}"),
            }));
        }
        self.register_bfd(ctx);
        self.feed(Input::Event(Event::Start), ctx);
    }
}

impl Supervised for PeerActor {
    fn restarting(&mut self, ctx: &mut Self::Context) {
        // actix reuses the value: start again from a clean session.
        self.timers.clear(ctx);
        self.close(ctx);
        self.speaker.restart(self.setup.seed());
    }
}

impl Handler<Accepted> for PeerActor {
    type Result = ();

    fn handle(&mut self, accepted: Accepted, ctx: &mut Self::Context) {
        if self
            .speaker
            .handle(Input::Offered)
            .contains(&Action::Accept)
        {
            log::debug!(peer = self.setup.name.as_str(); "BGP session {}: accepted {}", self.setup.name, accepted.remote);
            self.attach(accepted.stream, ctx);
        } else {
            log::info!(
                peer = self.setup.name.as_str();
                "BGP session {}: refusing a second connection from {} in {}",
                self.setup.name,
                accepted.remote,
                self.speaker.state()
            );
        }
    }
}

impl Handler<DesiredRoutes> for PeerActor {
    type Result = ();

    fn handle(&mut self, desired: DesiredRoutes, ctx: &mut Self::Context) {
        let name = self.setup.name.as_str();
        let table = Arc::clone(desired.for_peer(name));
        let change = desired
            .change
            .as_ref()
            .map(|change| (change.from.for_peer(name), &change.prefixes));
        let input = Input::Routes {
            table,
            complete: desired.complete,
            change,
        };
        self.feed(input, ctx);
    }
}

impl Handler<GetSessionStatus> for PeerActor {
    type Result = SessionStatus;

    fn handle(&mut self, _: GetSessionStatus, _ctx: &mut Self::Context) -> SessionStatus {
        let negotiated = self.speaker.negotiated();
        SessionStatus {
            state: self.speaker.state(),
            advertised: self.speaker.advertised().collect(),
            remote: self.setup.remote,
            established_since: self.established_since,
            last_error: self.last_error.clone(),
            hold_time: negotiated.map(|n| n.hold_time.seconds()),
            capabilities: negotiated.map(|n| n.capability_names()).unwrap_or_default(),
            routes: self.speaker.sent_routes(),
        }
    }
}

impl Handler<GetSessionState> for PeerActor {
    type Result = MessageResult<GetSessionState>;

    fn handle(&mut self, _: GetSessionState, _ctx: &mut Self::Context) -> Self::Result {
        MessageResult(self.speaker.state())
    }
}

impl Handler<EndSession> for PeerActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, stop: EndSession, ctx: &mut Self::Context) -> Self::Result {
        if stop.retire {
            self.retired = true;
            if let Some(listener) = &self.setup.listener {
                listener.do_send(Unregister {
                    remote: self.setup.remote.ip(),
                });
            }
        }
        self.stop_gracefully(stop.reason, ctx)
    }
}

impl PeerActor {
    /// Withdraws everything, then ends the session with the Cease of `reason` (the FSM stays in Idle,
    /// with no automatic restart); the future ends once the connection is flushed and closed.
    fn stop_gracefully(
        &mut self,
        reason: StopReason,
        ctx: &mut Context<Self>,
    ) -> ResponseActFuture<Self, ()> {
        let (done, flushed) = oneshot::channel();
        self.close_notify = Some(done);
        self.feed(Input::Stop(reason), ctx);
        // Not connected: the FSM asked for no close, so nothing is pending.
        self.close_notify = None;
        let name = self.setup.name.clone();
        let bfd_admin_down = self.bfd_admin_down();
        Box::pin(
            async move {
                if tokio::time::timeout(SHUTDOWN_FLUSH_TIMEOUT, flushed).await.is_err() {
                    log::warn!(peer = name.as_str(); "BGP session {name}: close not flushed within {SHUTDOWN_FLUSH_TIMEOUT:?}");
                }
                // BFD goes AdminDown only after the withdrawal and the Cease (RFC 5882 §3.2).
                bfd::admin_down(bfd_admin_down).await;
            }
            .into_actor(self),
        )
    }
}

impl Handler<Ping> for PeerActor {
    type Result = ();
    fn handle(&mut self, _: Ping, _: &mut Self::Context) {}
}

impl Handler<SetNextHops> for PeerActor {
    type Result = ();

    fn handle(&mut self, hops: SetNextHops, ctx: &mut Self::Context) {
        let next_hops = NextHops {
            ipv4: hops.ipv4,
            ipv6: hops.ipv6,
        };
        self.feed(Input::SetNextHops(next_hops), ctx);
    }
}
