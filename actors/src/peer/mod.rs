//! BGP neighbours: the PeerActor and the sockets, listeners, timers and metrics it uses.
//!
//! One [`PeerActor`] per configured neighbour owns its TCP connection and one [`fsm::Session`]. It holds
//! no protocol logic (STYLE §8.6): events go into [`fsm::Session::handle`], and the returned actions
//! are performed in order. Routes come in level-triggered as [`DesiredRoutes`]; the
//! [`RibOut`] turns them into the minimal UPDATEs.
//!
//! A neighbour is either active (we connect out, from `local_address`) or passive (its connections
//! arrive through the shared [`listener::Listener`]), never both, so connection collisions
//! (RFC 4271 §6.8) cannot occur: while a connection is in use, a second one is refused.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod listener;
pub mod metrics;
pub mod set;
pub mod socket;
pub mod timers;
pub mod transport;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use anycastd::bgp::codec::{DecodeContext, DecodeError, ErrorAction, Message, Update};
use anycastd::bgp::fsm::{
    self, Action, DecodeFailure, DownReason, Event, Negotiated, State, StopReason,
};
use anycastd::bgp::rib_out::{self, PeerFacts, RibOut};
use anycastd::config::model;
use bytes::BytesMut;
use futures_util::StreamExt;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio_util::codec::FramedRead;

use crate::routes::DesiredRoutes;
use listener::{Accepted, Listener, Register, Unregister};
use metrics::PeerMetrics;
use socket::SessionSocketOptions;
use timers::Timers;
use transport::{Framer, TransportError, Writer};

/// How long an outgoing connect may take before it counts as failed.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a graceful stop waits for the last messages to be flushed.
pub const SHUTDOWN_FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// Everything a PeerActor is built from.
#[derive(Debug, Clone)]
pub struct PeerSetup {
    /// The configured name: the `peer` label of metrics and logs.
    pub name: String,
    /// The FSM's configuration.
    pub session: fsm::SessionConfig,
    /// The neighbour's address and port.
    pub remote: SocketAddr,
    /// Source address of outgoing connections (`None`: chosen by the kernel).
    pub local_address: Option<IpAddr>,
    /// TTL, GTSM and MD5 settings.
    pub socket: SessionSocketOptions,
    /// NEXT_HOP of IPv4 prefixes over an IPv6 session (`announcer.next_hop_ipv4`).
    pub next_hop_ipv4: Option<Ipv4Addr>,
    /// Next hop of IPv6 prefixes over an IPv4 session (`announcer.next_hop_ipv6`).
    pub next_hop_ipv6: Option<Ipv6Addr>,
    /// Passive neighbours: the listener their connections arrive on.
    pub listener: Option<Addr<Listener>>,
    /// Outgoing connect timeout.
    pub connect_timeout: Duration,
}

impl PeerSetup {
    /// The setup of `peer`: `md5_key` is the key already read from its source, `listener` the shared
    /// listener for a passive peer.
    pub fn from_model(
        announcer: &model::Announcer,
        peer: &model::Peer,
        md5_key: Option<Vec<u8>>,
        listener: Option<Addr<Listener>>,
    ) -> PeerSetup {
        let session = peer.session_config(announcer);
        let ebgp = !session.is_ibgp();
        let local_address = peer.local_address.or_else(|| {
            let default = announcer.local_address;
            (default.is_ipv4() == peer.remote_address.is_ipv4()).then_some(default)
        });
        PeerSetup {
            name: peer.name.clone(),
            socket: SessionSocketOptions::for_peer(peer, ebgp, md5_key),
            session,
            remote: SocketAddr::new(peer.remote_address, peer.remote_port),
            local_address,
            next_hop_ipv4: announcer.next_hop_ipv4,
            next_hop_ipv6: announcer.next_hop_ipv6,
            listener,
            connect_timeout: CONNECT_TIMEOUT,
        }
    }

    fn seed(&self) -> u64 {
        let octets: Vec<u8> = match self.remote.ip() {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets().to_vec(),
        };
        octets
            .iter()
            .fold(u64::from(self.remote.port()), |seed, byte| {
                seed.rotate_left(8) ^ u64::from(*byte)
            })
    }
}

/// Stop the session gracefully: withdraw every route, send Cease / Administrative Shutdown with
/// `text` (RFC 8203), flush, close. Answers once the connection is closed (or there was none).
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Shutdown {
    /// The Shutdown Communication.
    pub text: Option<String>,
}

/// End the session with a Cease of `reason` after withdrawing every route (RFC 4486: e.g. Peer
/// De-configured, Other Configuration Change). With `retire`, the neighbour leaves its listener and
/// never starts again: it was removed from the configuration. Answers once the connection is closed.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Stop {
    /// The Cease to send.
    pub reason: StopReason,
    /// Forget the neighbour for good.
    pub retire: bool,
}

/// What the peer's session looks like right now (for `/status` and tests).
#[derive(Debug, Clone, PartialEq, Eq, MessageResponse)]
pub struct PeerStatus {
    /// The FSM state.
    pub state: State,
    /// Prefixes the neighbour has from us.
    pub advertised: Vec<anycastd::bgp::types::Prefix>,
}

/// Asks for a [`PeerStatus`].
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "PeerStatus")]
pub struct GetStatus;

/// What the reader of one connection reports.
enum Incoming {
    Frame(u64, BytesMut),
    Failed(u64, TransportError),
    Closed(u64),
}

/// The connection in use.
struct Connection {
    writer: Writer,
    reader: SpawnHandle,
    local: SocketAddr,
}

/// One BGP neighbour. Owns its TCP session and drives [`fsm::Session`]; holds no protocol logic.
pub struct PeerActor {
    setup: PeerSetup,
    session: fsm::Session,
    rib: RibOut,
    desired: Option<DesiredRoutes>,
    facts: Option<PeerFacts>,
    end_of_rib_sent: bool,
    connection: Option<Connection>,
    connecting: Option<SpawnHandle>,
    /// Numbers connections so that reports from a closed one are ignored.
    generation: u64,
    timers: Timers,
    metrics: PeerMetrics,
    close_notify: Option<oneshot::Sender<()>>,
    /// Removed from the configuration: never starts again.
    retired: bool,
}

impl PeerActor {
    /// A neighbour that starts its session as soon as the actor runs.
    pub fn new(setup: PeerSetup, metrics: PeerMetrics) -> PeerActor {
        let session = fsm::Session::new(setup.session.clone(), setup.seed());
        PeerActor {
            setup,
            session,
            rib: RibOut::new(),
            desired: None,
            facts: None,
            end_of_rib_sent: false,
            connection: None,
            connecting: None,
            generation: 0,
            timers: Timers::default(),
            metrics,
            close_notify: None,
            retired: false,
        }
    }

    /// Applies one event to the FSM and performs what it asks for.
    fn feed(&mut self, event: Event, ctx: &mut Context<Self>) {
        for action in self.session.handle(event) {
            self.perform(action, ctx);
        }
    }

    fn perform(&mut self, action: Action, ctx: &mut Context<Self>) {
        match action {
            Action::ConnectTcp => self.connect(ctx),
            Action::CloseTcp => self.close(ctx),
            Action::Send(message) => self.send(&message),
            Action::StartTimer(timer, after) => self.timers.arm(timer, after, ctx),
            Action::StopTimer(timer) => self.timers.disarm(timer, ctx),
            Action::StateChanged { from, to } => {
                log::info!(peer = self.setup.name.as_str(); "BGP session {}: {from} -> {to}", self.setup.name);
                self.metrics.transition(from, to);
            }
            Action::Established(negotiated) => self.established(&negotiated),
            Action::Down(reason) => self.down(&reason),
            Action::RouteRefreshRequested(afi, safi) => {
                log::info!(peer = self.setup.name.as_str(); "BGP session {}: route refresh for {afi:?}/{safi:?}", self.setup.name);
                if let Some(facts) = self.facts.clone() {
                    for update in self.rib.refresh(&facts, (afi, safi)) {
                        self.send_update(update);
                    }
                    self.metrics.advertised(self.rib.advertised_count());
                }
            }
            Action::UpdateReceived => {}
            Action::IgnoredUpdateError(notification) => {
                log::warn!(peer = self.setup.name.as_str(); "BGP session {}: malformed UPDATE ignored (RFC 7606): {notification}", self.setup.name);
            }
        }
    }

    fn connect(&mut self, ctx: &mut Context<Self>) {
        if let Some(handle) = self.connecting.take() {
            ctx.cancel_future(handle);
        }
        let (remote, local, options, timeout) = (
            self.setup.remote,
            self.setup.local_address,
            self.setup.socket.clone(),
            self.setup.connect_timeout,
        );
        log::debug!(peer = self.setup.name.as_str(); "BGP session {}: connecting to {remote} from {local:?}", self.setup.name);
        let attempt = async move { socket::connect(remote, local, &options, timeout).await };
        let generation = self.generation;
        let handle = ctx.spawn(attempt.into_actor(self).map(move |result, actor, ctx| {
            if actor.generation != generation {
                return;
            }
            actor.connecting = None;
            match result {
                Ok(stream) => actor.attach(stream, ctx),
                Err(error) => {
                    log::info!(peer = actor.setup.name.as_str(); "BGP session {}: {error}", actor.setup.name);
                    actor.feed(Event::TcpFailed, ctx);
                }
            }
        }));
        self.connecting = Some(handle);
    }

    /// Takes `stream` as the session's connection and tells the FSM.
    fn attach(&mut self, stream: TcpStream, ctx: &mut Context<Self>) {
        let local = match stream.local_addr() {
            Ok(local) => local,
            Err(error) => {
                log::warn!(peer = self.setup.name.as_str(); "BGP session {}: connection unusable: {error}", self.setup.name);
                self.feed(Event::TcpFailed, ctx);
                return;
            }
        };
        self.generation += 1;
        let generation = self.generation;
        let (read, write) = stream.into_split();
        let frames = FramedRead::new(read, Framer)
            .map(move |item| match item {
                Ok(frame) => Incoming::Frame(generation, frame),
                Err(error) => Incoming::Failed(generation, error),
            })
            .chain(futures_util::stream::once(async move {
                Incoming::Closed(generation)
            }));
        let reader = ctx.add_stream(frames);
        let (writer, task) = Writer::new(write);
        ctx.spawn(task.into_actor(self).map(move |result, actor, ctx| {
            if let Err(error) = result
                && actor.generation == generation
            {
                log::info!(peer = actor.setup.name.as_str(); "BGP session {}: {error}", actor.setup.name);
                actor.drop_connection(ctx);
                actor.feed(Event::TcpFailed, ctx);
            }
        }));
        self.connection = Some(Connection {
            writer,
            reader,
            local,
        });
        log::debug!(peer = self.setup.name.as_str(); "BGP session {}: connected {local} -> {}", self.setup.name, self.setup.remote);
        self.feed(Event::TcpConnected, ctx);
    }

    /// Closes the connection: queued messages are flushed first.
    fn close(&mut self, ctx: &mut Context<Self>) {
        if let Some(handle) = self.connecting.take() {
            ctx.cancel_future(handle);
        }
        self.generation += 1;
        match self.connection.take() {
            Some(connection) => {
                ctx.cancel_future(connection.reader);
                connection.writer.close(self.close_notify.take());
            }
            None => {
                self.close_notify.take();
            }
        }
    }

    /// Forgets a connection that already failed.
    fn drop_connection(&mut self, ctx: &mut Context<Self>) {
        self.generation += 1;
        if let Some(connection) = self.connection.take() {
            ctx.cancel_future(connection.reader);
        }
    }

    fn send(&mut self, message: &Message) {
        let Some(connection) = &self.connection else {
            return;
        };
        let mut out = BytesMut::with_capacity(message.encoded_len(&self.session.encode_context()));
        message.encode(&self.session.encode_context(), &mut out);
        connection.writer.write(out.freeze());
        self.metrics.sent(message.kind());
        if let Message::Notification(notification) = message {
            log::warn!(peer = self.setup.name.as_str(); "BGP session {}: sent NOTIFICATION {notification}", self.setup.name);
        }
    }

    fn send_update(&mut self, update: Update) {
        self.send(&Message::Update(update));
    }

    /// Sends what changed in the Adj-RIB-Out, and End-of-RIB once the desired set is complete.
    fn send_updates(&mut self) {
        let Some(facts) = self.facts.clone() else {
            return;
        };
        for update in self.rib.updates(&facts) {
            self.send_update(update);
        }
        if !self.end_of_rib_sent && self.desired.as_ref().is_some_and(|d| d.complete) {
            for marker in rib_out::end_of_rib(&facts) {
                self.send_update(marker);
            }
            self.end_of_rib_sent = true;
        }
        self.metrics.advertised(self.rib.advertised_count());
    }

    fn established(&mut self, negotiated: &Negotiated) {
        let local = self.connection.as_ref().map(|c| c.local.ip());
        let next_hop_v4 = match local {
            Some(IpAddr::V4(v4)) => Some(v4),
            _ => self.setup.next_hop_ipv4,
        };
        let next_hop_v6 = match local {
            Some(IpAddr::V6(v6)) => Some(v6),
            _ => self.setup.next_hop_ipv6,
        };
        self.facts = Some(PeerFacts::new(
            &self.setup.session,
            negotiated,
            next_hop_v4,
            next_hop_v6,
        ));
        self.rib.reset();
        self.end_of_rib_sent = false;
        log::warn!(
            peer = self.setup.name.as_str();
            "BGP session {} established with AS{} ({}), hold time {}s",
            self.setup.name,
            negotiated.peer_asn,
            negotiated.peer_router_id,
            negotiated.hold_time.seconds()
        );
        self.send_updates();
    }

    fn down(&mut self, reason: &DownReason) {
        log::warn!(peer = self.setup.name.as_str(); "BGP session {} down: {}", self.setup.name, describe(reason));
        self.metrics.down(reason);
        self.facts = None;
        self.rib.reset();
        self.end_of_rib_sent = false;
        self.metrics.advertised(0);
    }

    fn on_frame(&mut self, frame: &[u8], ctx: &mut Context<Self>) {
        let context: DecodeContext = self.session.decode_context();
        match Message::decode(frame, &context) {
            Ok(message) => {
                self.metrics.received(message.kind());
                if let Message::Notification(notification) = &message {
                    log::warn!(peer = self.setup.name.as_str(); "BGP session {}: received NOTIFICATION {notification}", self.setup.name);
                }
                self.feed(Event::Received(message), ctx);
            }
            Err(error) => self.decode_failed(&error, ctx),
        }
    }

    fn decode_failed(&mut self, error: &DecodeError, ctx: &mut Context<Self>) {
        log::warn!(peer = self.setup.name.as_str(); "BGP session {}: bad message: {error}", self.setup.name);
        let failure = DecodeFailure {
            notification: error.notification(),
            reset: error.action() == ErrorAction::ResetSession,
        };
        self.feed(Event::DecodeFailed(failure), ctx);
    }
}

/// A down reason in words, for the log.
fn describe(reason: &DownReason) -> String {
    match reason {
        DownReason::HoldTimerExpired => "hold timer expired".into(),
        DownReason::NotificationReceived {
            code,
            subcode,
            text,
        } => {
            let notification = anycastd::bgp::codec::Notification {
                code: *code,
                subcode: *subcode,
                data: text
                    .clone()
                    .map(|t| {
                        let mut data = vec![u8::try_from(t.len()).unwrap_or(u8::MAX)];
                        data.extend_from_slice(t.as_bytes());
                        data
                    })
                    .unwrap_or_default(),
            };
            format!("received NOTIFICATION {notification}")
        }
        DownReason::NotificationSent { code, subcode } => {
            let notification = anycastd::bgp::codec::Notification {
                code: *code,
                subcode: *subcode,
                data: Vec::new(),
            };
            format!("sent NOTIFICATION {notification}")
        }
        DownReason::TcpFailed => "TCP connection failed or closed by the peer".into(),
        DownReason::Stopped(subcode) => format!("stopped by us (Cease subcode {})", subcode.code()),
        DownReason::Collision => "connection collision".into(),
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
        self.feed(Event::Start, ctx);
    }
}

impl Supervised for PeerActor {
    fn restarting(&mut self, ctx: &mut Self::Context) {
        // actix reuses the value: start again from a clean session.
        self.timers.clear(ctx);
        self.close(ctx);
        self.session = fsm::Session::new(self.setup.session.clone(), self.setup.seed());
        self.rib.reset();
        self.facts = None;
        self.end_of_rib_sent = false;
    }
}

impl StreamHandler<Incoming> for PeerActor {
    fn handle(&mut self, item: Incoming, ctx: &mut Self::Context) {
        match item {
            Incoming::Frame(generation, frame) if generation == self.generation => {
                self.on_frame(&frame, ctx)
            }
            Incoming::Failed(generation, TransportError::Header(error))
                if generation == self.generation =>
            {
                // A bad marker or length (RFC 4271 §6.1): the FSM answers with its NOTIFICATION, which
                // still goes out on this connection before it closes.
                self.decode_failed(&DecodeError::from(error), ctx);
            }
            Incoming::Failed(generation, error) if generation == self.generation => {
                log::info!(peer = self.setup.name.as_str(); "BGP session {}: {error}", self.setup.name);
                self.drop_connection(ctx);
                self.feed(Event::TcpFailed, ctx);
            }
            Incoming::Closed(generation) if generation == self.generation => {
                log::info!(peer = self.setup.name.as_str(); "BGP session {}: connection closed by the peer", self.setup.name);
                self.drop_connection(ctx);
                self.feed(Event::TcpFailed, ctx);
            }
            _ => {} // from a connection already closed
        }
    }

    fn finished(&mut self, _ctx: &mut Self::Context) {
        // The end of a connection arrives as `Incoming::Closed`; the actor lives on.
    }
}

impl Handler<Accepted> for PeerActor {
    type Result = ();

    fn handle(&mut self, accepted: Accepted, ctx: &mut Self::Context) {
        if self.session.state() == State::Active && self.connection.is_none() {
            log::debug!(peer = self.setup.name.as_str(); "BGP session {}: accepted {}", self.setup.name, accepted.remote);
            self.attach(accepted.stream, ctx);
        } else {
            log::info!(
                peer = self.setup.name.as_str();
                "BGP session {}: refusing a second connection from {} in {}",
                self.setup.name,
                accepted.remote,
                self.session.state()
            );
        }
    }
}

impl Handler<DesiredRoutes> for PeerActor {
    type Result = ();

    fn handle(&mut self, desired: DesiredRoutes, _ctx: &mut Self::Context) {
        let name = self.setup.name.as_str();
        let table = Arc::clone(desired.for_peer(name));
        // A peer that holds the set this one was computed from looks at the changed prefixes only.
        let known = match (&desired.change, &self.desired) {
            (Some(change), Some(held)) => {
                Arc::ptr_eq(change.from.for_peer(name), held.for_peer(name))
                    .then_some(&change.prefixes)
            }
            _ => None,
        };
        match known {
            Some(changed) => self.rib.set_desired_changed(table, changed),
            None => self.rib.set_desired(table),
        }
        self.desired = Some(DesiredRoutes {
            change: None,
            ..desired
        });
        self.send_updates();
    }
}

impl Handler<GetStatus> for PeerActor {
    type Result = PeerStatus;

    fn handle(&mut self, _: GetStatus, _ctx: &mut Self::Context) -> PeerStatus {
        PeerStatus {
            state: self.session.state(),
            advertised: self.rib.advertised().collect(),
        }
    }
}

impl Handler<Shutdown> for PeerActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, shutdown: Shutdown, ctx: &mut Self::Context) -> Self::Result {
        self.stop_gracefully(StopReason::shutdown(shutdown.text), ctx)
    }
}

impl Handler<Stop> for PeerActor {
    type Result = ResponseActFuture<Self, ()>;

    fn handle(&mut self, stop: Stop, ctx: &mut Self::Context) -> Self::Result {
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
        // Withdraw everything first, so the neighbour moves traffic before the session ends.
        self.desired = Some(DesiredRoutes::empty());
        self.rib.set_desired(BTreeMap::new());
        self.send_updates();
        let (done, flushed) = oneshot::channel();
        self.close_notify = Some(done);
        self.feed(Event::Stop(reason), ctx);
        // Not connected: the FSM asked for no close, so nothing is pending.
        self.close_notify = None;
        let name = self.setup.name.clone();
        Box::pin(
            async move {
                if tokio::time::timeout(SHUTDOWN_FLUSH_TIMEOUT, flushed).await.is_err() {
                    log::warn!(peer = name.as_str(); "BGP session {name}: close not flushed within {SHUTDOWN_FLUSH_TIMEOUT:?}");
                }
            }
            .into_actor(self),
        )
    }
}

impl Handler<crate::supervisor::Ping> for PeerActor {
    type Result = ();
    fn handle(&mut self, _: crate::supervisor::Ping, _: &mut Self::Context) {}
}

/// New cross-family next hops after a reload (`announcer.next_hop_ipv4` / `next_hop_ipv6`): the
/// session stays up; prefixes whose next hop changed are announced again with the new one.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct SetNextHops {
    /// NEXT_HOP of IPv4 prefixes over an IPv6 session.
    pub ipv4: Option<Ipv4Addr>,
    /// Next hop of IPv6 prefixes over an IPv4 session.
    pub ipv6: Option<Ipv6Addr>,
}

impl Handler<SetNextHops> for PeerActor {
    type Result = ();

    fn handle(&mut self, hops: SetNextHops, _ctx: &mut Self::Context) {
        self.setup.next_hop_ipv4 = hops.ipv4;
        self.setup.next_hop_ipv6 = hops.ipv6;
        let local = self.connection.as_ref().map(|c| c.local.ip());
        if let Some(facts) = &mut self.facts {
            // The session's own address stays the next hop of its family (as on Established).
            if !matches!(local, Some(IpAddr::V4(_))) {
                facts.next_hop_v4 = hops.ipv4;
            }
            if !matches!(local, Some(IpAddr::V6(_))) {
                facts.next_hop_v6 = hops.ipv6;
            }
            self.send_updates();
        }
    }
}
