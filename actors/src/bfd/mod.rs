//! BFD: one [`BfdActor`] owns the UDP sockets and the timers of every BFD session (RFC 5881 single
//! hop, RFC 5883 multihop) and drives one [`bfd::Session`] per neighbour; it holds no protocol
//! logic. Datagrams are decoded with [`bfd::Packet::decode`] and demultiplexed by Your
//! Discriminator, or by source address while the neighbour does not know ours yet (RFC 5880
//! §6.3); malformed ones and unknown discriminators are dropped and counted. Each session reports
//! its state changes to the PeerActor that registered it, which decides what BGP does.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod metrics;
pub mod socket;

use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use actix::prelude::*;
use anycastd::bfd::{self, Action, Diagnostic, Event, Packet, SessionConfig, State, Timer};
use tokio::net::UdpSocket;
use tokio::time::Instant;

use metrics::BfdMetrics;
pub use socket::Ports;

/// How long a session may go without hearing its neighbour before one warning says so.
pub const SILENT_NEIGHBOUR_WARNING: Duration = Duration::from_secs(30);

/// A session changed state; sent to the subscriber given at [`Register`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Message)]
#[rtype(result = "()")]
pub struct BfdChanged {
    /// Old state.
    pub from: State,
    /// New state.
    pub to: State,
    /// Why, when the session went down.
    pub diagnostic: Diagnostic,
    /// A path failure clients must act on ([`bfd::path_failed`]): Up -> Down, not by the
    /// neighbour's AdminDown.
    pub failure: bool,
}

/// Start a BFD session with a neighbour.
#[derive(Debug, Clone, Message)]
#[rtype(result = "Result<(), String>")]
pub struct Register {
    /// The peer's configured name: the metrics label and the key of later messages.
    pub name: String,
    /// The neighbour's address; the port is its BFD port (3784, or 4784 multihop).
    pub remote: SocketAddr,
    /// RFC 5883 multihop rather than RFC 5881 single hop.
    pub multihop: bool,
    /// Intervals and multiplier.
    pub config: SessionConfig,
    /// Who hears of state changes.
    pub subscriber: Recipient<BfdChanged>,
}

/// New intervals after a reload: a Poll Sequence, no flap.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct Reconfigure {
    /// The peer's name.
    pub name: String,
    /// The new intervals.
    pub config: SessionConfig,
}

/// A planned stop: the session goes AdminDown (RFC 5880 §6.8.16) and tells its neighbour so for one
/// detection time; with `remove`, it is then forgotten.
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct AdminDown {
    /// The peer's name.
    pub name: String,
    /// Forget the session (the peer left the configuration or lost its `bfd` key).
    pub remove: bool,
}

/// One session as `/status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BfdStatus {
    /// The peer's name.
    pub peer: String,
    /// The neighbour's address.
    pub remote: IpAddr,
    /// `single_hop` or `multihop`.
    pub mode: &'static str,
    /// Our state.
    pub state: &'static str,
    /// The neighbour's last reported state.
    pub remote_state: &'static str,
    /// Why our session last went down.
    pub diagnostic: &'static str,
    /// Detection time in milliseconds, 0 until the neighbour is heard.
    pub detection_time_ms: u64,
    /// Our discriminator.
    pub local_discriminator: u32,
    /// The neighbour's, 0 until heard.
    pub remote_discriminator: u32,
}

/// Asks for every session's [`BfdStatus`].
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "Vec<BfdStatus>")]
pub struct GetBfdStatus;

/// One datagram from a receiving socket.
struct Datagram {
    multihop: bool,
    from: SocketAddr,
    ttl: Option<u8>,
    bytes: Vec<u8>,
}

/// A running timer. Re-arming it later than it fires only moves `deadline`: the detection timer is
/// re-armed by every received packet, and this spares a cancel and a new timer each time.
struct Armed {
    handle: SpawnHandle,
    fires_at: Instant,
    deadline: Instant,
}

impl Armed {
    /// A handle that reports to [`BfdActor::timer_due`] at `deadline`.
    fn start(
        discriminator: u32,
        timer: Timer,
        deadline: Instant,
        ctx: &mut Context<BfdActor>,
    ) -> Armed {
        let after = deadline.saturating_duration_since(Instant::now());
        let handle = ctx.run_later(after, move |actor, ctx| {
            actor.timer_due(discriminator, timer, ctx)
        });
        Armed {
            handle,
            fires_at: deadline,
            deadline,
        }
    }
}

struct Entry {
    name: String,
    remote: SocketAddr,
    multihop: bool,
    session: bfd::Session,
    subscriber: Recipient<BfdChanged>,
    timers: HashMap<Timer, Armed>,
    /// The detection time last exported, to touch the gauge only on a change.
    detection_time: Duration,
    heard: bool,
    remove_when_silent: bool,
}

/// Every BFD session of the daemon.
pub struct BfdActor {
    ports: Ports,
    metrics: Arc<BfdMetrics>,
    sessions: HashMap<u32, Entry>,
    by_name: HashMap<String, u32>,
    by_source: HashMap<(IpAddr, bool), u32>,
    receivers: HashSet<(bool, bool)>,
    senders: HashMap<bool, Arc<UdpSocket>>,
    next_discriminator: u32,
}

impl BfdActor {
    /// An actor with no session; sockets open with the first session of their family and mode.
    pub fn new(ports: Ports, metrics: Arc<BfdMetrics>) -> BfdActor {
        BfdActor {
            ports,
            metrics,
            sessions: HashMap::new(),
            by_name: HashMap::new(),
            by_source: HashMap::new(),
            receivers: HashSet::new(),
            senders: HashMap::new(),
            next_discriminator: rand::random::<u32>() | 1,
        }
    }

    fn allocate_discriminator(&mut self) -> u32 {
        loop {
            let candidate = self.next_discriminator;
            self.next_discriminator = self.next_discriminator.wrapping_add(1);
            if candidate != 0 && !self.sessions.contains_key(&candidate) {
                return candidate;
            }
        }
    }

    fn open_sockets(
        &mut self,
        ipv6: bool,
        multihop: bool,
        ctx: &mut Context<Self>,
    ) -> std::io::Result<()> {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.senders.entry(ipv6) {
            slot.insert(Arc::new(socket::sender(ipv6, rand::random())?));
        }
        if !self.receivers.contains(&(ipv6, multihop)) {
            let receiver = Arc::new(socket::receiver(ipv6, multihop, self.ports)?);
            let datagrams = futures_util::stream::unfold(receiver, move |socket| async move {
                let mut buffer = vec![0u8; 512];
                loop {
                    match socket::receive(&socket, &mut buffer).await {
                        Ok((len, from, ttl)) => {
                            buffer.truncate(len);
                            let datagram = Datagram {
                                multihop,
                                from,
                                ttl,
                                bytes: buffer,
                            };
                            return Some((datagram, socket));
                        }
                        Err(error) => {
                            log::debug!("BFD receive failed: {error}");
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                    }
                }
            });
            ctx.add_stream(datagrams);
            self.receivers.insert((ipv6, multihop));
        }
        Ok(())
    }

    fn feed(&mut self, discriminator: u32, event: Event, ctx: &mut Context<Self>) {
        let Some(entry) = self.sessions.get_mut(&discriminator) else {
            return;
        };
        let actions = entry.session.handle(event);
        for action in actions {
            self.perform(discriminator, action, ctx);
        }
        if let Some(entry) = self.sessions.get_mut(&discriminator) {
            let time = entry.session.detection_time();
            if time != entry.detection_time {
                entry.detection_time = time;
                self.metrics.detection_time(&entry.name, time);
            }
        }
    }

    /// Arms `timer` of a session to expire `after` from now.
    fn arm(&mut self, discriminator: u32, timer: Timer, after: Duration, ctx: &mut Context<Self>) {
        let Some(entry) = self.sessions.get_mut(&discriminator) else {
            return;
        };
        let deadline = Instant::now() + after;
        if let Some(armed) = entry.timers.get_mut(&timer) {
            if armed.fires_at <= deadline {
                armed.deadline = deadline;
                return;
            }
            ctx.cancel_future(armed.handle);
        }
        entry
            .timers
            .insert(timer, Armed::start(discriminator, timer, deadline, ctx));
    }

    /// A timer's handle fired: the expiry, or a wait for the deadline it was moved to.
    fn timer_due(&mut self, discriminator: u32, timer: Timer, ctx: &mut Context<Self>) {
        let Some(entry) = self.sessions.get_mut(&discriminator) else {
            return;
        };
        let now = Instant::now();
        match entry.timers.get(&timer) {
            Some(armed) if armed.deadline > now => {
                let again = Armed::start(discriminator, timer, armed.deadline, ctx);
                entry.timers.insert(timer, again);
            }
            Some(_) => {
                entry.timers.remove(&timer);
                self.timer_fired(discriminator, timer, ctx);
            }
            None => {}
        }
    }

    fn perform(&mut self, discriminator: u32, action: Action, ctx: &mut Context<Self>) {
        let Some(entry) = self.sessions.get_mut(&discriminator) else {
            return;
        };
        match action {
            Action::Send(packet) => {
                let bytes = packet.encode();
                if let Some(sender) = self.senders.get(&entry.remote.is_ipv6())
                    && let Err(error) = sender.try_send_to(&bytes, entry.remote)
                {
                    log::debug!(peer = entry.name.as_str(); "BFD session {}: send failed: {error}", entry.name);
                }
            }
            Action::StartTimer(timer, after) => self.arm(discriminator, timer, after, ctx),
            Action::StopTimer(timer) => {
                if let Some(armed) = entry.timers.remove(&timer) {
                    ctx.cancel_future(armed.handle);
                }
            }
            Action::StateChanged {
                from,
                to,
                diagnostic,
            } => {
                let line = format!(
                    "BFD session {} ({}): {from} -> {to} ({})",
                    entry.name,
                    entry.remote.ip(),
                    diagnostic.as_str()
                );
                if to == State::Up || from == State::Up {
                    log::warn!(peer = entry.name.as_str(); "{line}");
                } else {
                    log::info!(peer = entry.name.as_str(); "{line}");
                }
                self.metrics.transition(&entry.name, to);
                entry.subscriber.do_send(BfdChanged {
                    from,
                    to,
                    diagnostic,
                    failure: bfd::path_failed(from, to, entry.session.remote_state()),
                });
            }
            Action::Discarded(why) => self.metrics.dropped(why.as_label()),
        }
    }

    fn timer_fired(&mut self, discriminator: u32, timer: Timer, ctx: &mut Context<Self>) {
        let silent_admin_down = self.sessions.get(&discriminator).is_some_and(|entry| {
            entry.remove_when_silent
                && timer == Timer::Detect
                && entry.session.state() == State::AdminDown
        });
        self.feed(discriminator, Event::TimerExpired(timer), ctx);
        if silent_admin_down {
            self.remove(discriminator, ctx);
        }
    }

    fn remove(&mut self, discriminator: u32, ctx: &mut Context<Self>) {
        if let Some(mut entry) = self.sessions.remove(&discriminator) {
            for (_, armed) in entry.timers.drain() {
                ctx.cancel_future(armed.handle);
            }
            self.by_name.remove(&entry.name);
            if self.by_source.get(&(entry.remote.ip(), entry.multihop)) == Some(&discriminator) {
                self.by_source.remove(&(entry.remote.ip(), entry.multihop));
            }
            self.metrics.forget(&entry.name);
        }
    }

    fn receive(&mut self, datagram: Datagram, ctx: &mut Context<Self>) {
        if !datagram.multihop && datagram.ttl != Some(255) {
            // RFC 5881 §5: a single-hop packet that crossed a router is not from the neighbour.
            self.metrics.dropped("ttl");
            return;
        }
        let packet = match Packet::decode(&datagram.bytes) {
            Ok(packet) => packet,
            Err(error) => {
                log::debug!("BFD: dropped a datagram from {}: {error}", datagram.from);
                self.metrics.dropped(error.as_label());
                return;
            }
        };
        let source = (datagram.from.ip(), datagram.multihop);
        let discriminator = match packet.your_discriminator {
            0 => self.by_source.get(&source).copied(),
            ours => Some(ours),
        };
        let Some(entry) = discriminator.and_then(|d| self.sessions.get_mut(&d)) else {
            log::debug!(
                "BFD: dropped a packet from {} for no session of ours",
                datagram.from
            );
            self.metrics.dropped("unknown_discriminator");
            return;
        };
        if (entry.remote.ip(), entry.multihop) != source {
            self.metrics.dropped("wrong_source");
            return;
        }
        entry.heard = true;
        let discriminator = entry.session.local_discriminator();
        self.feed(discriminator, Event::Received(packet), ctx);
    }
}

impl Actor for BfdActor {
    type Context = Context<Self>;
}

impl StreamHandler<Datagram> for BfdActor {
    fn handle(&mut self, datagram: Datagram, ctx: &mut Self::Context) {
        self.receive(datagram, ctx);
    }

    fn finished(&mut self, _ctx: &mut Self::Context) {
        // A receiving stream never ends on its own; the actor outlives it.
    }
}

impl Handler<Register> for BfdActor {
    type Result = Result<(), String>;

    fn handle(&mut self, register: Register, ctx: &mut Self::Context) -> Self::Result {
        if let Some(old) = self.by_name.get(&register.name).copied() {
            self.remove(old, ctx);
        }
        let (ipv6, multihop) = (register.remote.is_ipv6(), register.multihop);
        self.open_sockets(ipv6, multihop, ctx).map_err(|error| {
            format!(
                "BFD {} sockets for {}: {error}",
                if multihop { "multihop" } else { "single-hop" },
                if ipv6 { "IPv6" } else { "IPv4" }
            )
        })?;
        let discriminator = self.allocate_discriminator();
        let session = bfd::Session::new(register.config, discriminator, rand::random());
        self.metrics.added(&register.name, session.state());
        self.by_name.insert(register.name.clone(), discriminator);
        self.by_source
            .insert((register.remote.ip(), multihop), discriminator);
        self.sessions.insert(
            discriminator,
            Entry {
                name: register.name,
                remote: register.remote,
                multihop,
                session,
                subscriber: register.subscriber,
                timers: HashMap::new(),
                detection_time: Duration::ZERO,
                heard: false,
                remove_when_silent: false,
            },
        );
        ctx.run_later(SILENT_NEIGHBOUR_WARNING, move |actor, _| {
            if let Some(entry) = actor.sessions.get(&discriminator)
                && !entry.heard
            {
                log::warn!(
                    peer = entry.name.as_str();
                    "BFD session {}: no BFD packet from {} in {}s; its BGP session runs without BFD until it answers",
                    entry.name,
                    entry.remote.ip(),
                    SILENT_NEIGHBOUR_WARNING.as_secs()
                );
            }
        });
        self.feed(discriminator, Event::Start, ctx);
        Ok(())
    }
}

impl Handler<Reconfigure> for BfdActor {
    type Result = ();

    fn handle(&mut self, reconfigure: Reconfigure, ctx: &mut Self::Context) {
        if let Some(discriminator) = self.by_name.get(&reconfigure.name).copied() {
            self.feed(discriminator, Event::Reconfigure(reconfigure.config), ctx);
        }
    }
}

impl Handler<AdminDown> for BfdActor {
    type Result = ();

    fn handle(&mut self, down: AdminDown, ctx: &mut Self::Context) {
        let Some(discriminator) = self.by_name.get(&down.name).copied() else {
            return;
        };
        if down.remove
            && let Some(entry) = self.sessions.get_mut(&discriminator)
        {
            entry.remove_when_silent = true;
            if entry.session.state() == State::AdminDown {
                self.remove(discriminator, ctx);
                return;
            }
        }
        self.feed(discriminator, Event::Stop, ctx);
    }
}

impl Handler<GetBfdStatus> for BfdActor {
    type Result = Vec<BfdStatus>;

    fn handle(&mut self, _: GetBfdStatus, _: &mut Self::Context) -> Vec<BfdStatus> {
        let mut all: Vec<BfdStatus> = self
            .sessions
            .values()
            .map(|entry| BfdStatus {
                peer: entry.name.clone(),
                remote: entry.remote.ip(),
                mode: if entry.multihop {
                    "multihop"
                } else {
                    "single_hop"
                },
                state: entry.session.state().as_str(),
                remote_state: entry.session.remote_state().as_str(),
                diagnostic: entry.session.diagnostic().as_str(),
                detection_time_ms: u64::try_from(entry.session.detection_time().as_millis())
                    .unwrap_or(u64::MAX),
                local_discriminator: entry.session.local_discriminator(),
                remote_discriminator: entry.session.remote_discriminator(),
            })
            .collect();
        all.sort_by(|a, b| a.peer.cmp(&b.peer));
        all
    }
}

impl Handler<crate::messages::Ping> for BfdActor {
    type Result = ();
    fn handle(&mut self, _: crate::messages::Ping, _: &mut Self::Context) {}
}
