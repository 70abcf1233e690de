//! One BGP neighbour as a pure state machine, the twin of the PeerActor: the session FSM
//! ([`fsm::Session`]), the Adj-RIB-Out ([`RibOut`]) and the facts UPDATEs are built from (next hops,
//! negotiated families) in one value. Connection events, the route set, new next hops and stop
//! requests go in as [`Input`]s; the FSM's actions come out in order, with the UPDATEs and
//! End-of-RIB markers they call for in their place.
//!
//! Decided here, and only here: which connection is taken (one at a time, only in Active: we never
//! run two connections to one neighbour, so there is no collision to resolve, RFC 4271 §6.8), the
//! next hop of each family, what to send on Established, on a route change and on ROUTE-REFRESH,
//! when End-of-RIB goes out (once per session, once the route set is complete: RFC 4724 §2), and
//! the withdraw-everything-then-Cease of a graceful stop. From the transport's reports of how much
//! output the peer has taken ([`Input::Transport`]): the SendHoldTimer (RFC 9687, run by the FSM),
//! when an advertised count becomes true (once the peer has taken its UPDATEs), ROUTE-REFRESH
//! coalescing (answered at once only when no output waits; otherwise one re-send per family is
//! held until it has drained) and the reset past [`OUTPUT_LIMIT`] (Cease / Out of Resources).
//!
//! Pure: no I/O, no clock; the shell arms the timers the FSM asks for and feeds their expiry back.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use super::codec::{Afi, DecodeContext, EncodeContext, Message, Safi, Update};
use super::fsm::{self, CeaseSubcode, Event, SessionConfig, State, StopReason};
pub use super::output::OUTPUT_LIMIT;
use super::output::Output;
use super::rib_out::{self, PeerFacts, RibOut, Routes};
use super::types::Prefix;

/// The next hops of the families other than the session's own (`announcer.next_hop_ipv4` /
/// `next_hop_ipv6`): the NEXT_HOP of IPv4 prefixes over an IPv6 session, and the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NextHops {
    /// NEXT_HOP of IPv4 prefixes over an IPv6 session.
    pub ipv4: Option<Ipv4Addr>,
    /// Next hop of IPv6 prefixes over an IPv4 session.
    pub ipv6: Option<Ipv6Addr>,
}

impl NextHops {
    /// The next hop of each family over a connection from `local`: the session's own address for
    /// its family, the configured one for the other.
    pub fn over(self, local: Option<IpAddr>) -> (Option<Ipv4Addr>, Option<Ipv6Addr>) {
        match local {
            Some(IpAddr::V4(v4)) => (Some(v4), self.ipv6),
            Some(IpAddr::V6(v6)) => (self.ipv4, Some(v6)),
            None => (self.ipv4, self.ipv6),
        }
    }
}

/// What happens to a neighbour.
#[derive(Debug, Clone, PartialEq)]
pub enum Input<'a> {
    /// An event for the FSM as it is (start, timers, messages, decode failures, TCP failures).
    Event(Event),
    /// Our outgoing connection is up, from `local`.
    Connected {
        /// Our end of the connection.
        local: IpAddr,
    },
    /// The neighbour connected to us; answered with [`Action::Accept`] or [`Action::Refuse`].
    Offered,
    /// The route set: this neighbour's table, whether the set is complete (startup gate), and,
    /// when the set was computed from a previous one, that one's table for this neighbour and the
    /// prefixes at which they differ.
    Routes {
        /// The routes this neighbour should have.
        table: Arc<Routes>,
        /// Every service has had its first evaluation.
        complete: bool,
        /// The previous table and the changed prefixes.
        change: Option<(&'a Arc<Routes>, &'a BTreeSet<Prefix>)>,
    },
    /// New next hops after a reload: the session stays up, prefixes whose next hop changed are
    /// announced again.
    SetNextHops(NextHops),
    /// Withdraw every route, then end the session with the Cease of `reason`.
    Stop(StopReason),
    /// How the connection's output stands, measured by the transport (periodically, while
    /// connected): the peer has taken `acked` bytes of this connection in all, and `unsent` bytes
    /// handed to the connection still wait for it.
    Transport {
        /// Bytes of this connection the peer has acknowledged, in all.
        acked: u64,
        /// Bytes handed to the connection that the peer has not acknowledged.
        unsent: u64,
    },
    /// The session's BFD path failed (RFC 5882 §4.3): end the session with Cease / BFD Down
    /// (RFC 9384) and start it again, as BIRD does. Nothing is withdrawn first: the path is gone.
    PathFailed,
}

/// What the shell does, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// What the FSM asked for, or an UPDATE or End-of-RIB as [`fsm::Action::Send`].
    Fsm(fsm::Action),
    /// Take the offered connection, then feed [`Input::Connected`].
    Accept,
    /// Close the offered connection: one is in use, or the session is not waiting for one.
    Refuse,
    /// How many prefixes the neighbour has from us now: given once the peer has taken the UPDATEs
    /// (reported by [`Input::Transport`]), or at once when the session ends (0).
    Advertised(usize),
}

/// One route as the neighbour has it from us (for `/status` and `anycastd ctl routes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRoute {
    /// The prefix.
    pub prefix: Prefix,
    /// Its NEXT_HOP (or MP_REACH_NLRI next hop).
    pub next_hop: Option<IpAddr>,
    /// MED, communities, large communities, prepend.
    pub attributes: rib_out::RouteAttributes,
    /// The AS_PATH, as AS numbers.
    pub as_path: Vec<u32>,
    /// LOCAL_PREF (iBGP only).
    pub local_pref: Option<u32>,
}

/// One BGP neighbour: session, Adj-RIB-Out and the facts UPDATEs are built from.
#[derive(Debug, Clone)]
pub struct Speaker {
    session: fsm::Session,
    rib: RibOut,
    next_hops: NextHops,
    /// Our end of the connection in use.
    local: Option<IpAddr>,
    /// Set on Established, cleared on Down.
    facts: Option<PeerFacts>,
    /// The table of the last route set, `None` before the first.
    table: Option<Arc<Routes>>,
    complete: bool,
    end_of_rib_sent: bool,
    connected: bool,
    /// The output of the connection in use.
    output: Output,
}

impl Speaker {
    /// A neighbour in Idle; `seed` varies its connect-retry jitter.
    pub fn new(config: SessionConfig, seed: u64, next_hops: NextHops) -> Speaker {
        Speaker {
            session: fsm::Session::new(config, seed),
            rib: RibOut::new(),
            next_hops,
            local: None,
            facts: None,
            table: None,
            complete: false,
            end_of_rib_sent: false,
            connected: false,
            output: Output::default(),
        }
    }

    /// The FSM state.
    pub fn state(&self) -> State {
        self.session.state()
    }

    /// How to decode the next message (negotiated facts such as 4-octet AS).
    pub fn decode_context(&self) -> DecodeContext {
        self.session.decode_context()
    }

    /// How to encode the next message.
    pub fn encode_context(&self) -> EncodeContext {
        self.session.encode_context()
    }

    /// The prefixes the neighbour has from us.
    pub fn advertised(&self) -> impl Iterator<Item = Prefix> + '_ {
        self.rib.advertised()
    }

    /// What the OPENs negotiated, while a session is up.
    pub fn negotiated(&self) -> Option<&fsm::Negotiated> {
        self.session.negotiated()
    }

    /// The routes the neighbour has from us, as sent: next hop, attributes, AS_PATH and LOCAL_PREF.
    pub fn sent_routes(&self) -> Vec<SentRoute> {
        let Some(facts) = &self.facts else {
            return Vec::new();
        };
        self.rib
            .advertised_routes()
            .map(|(prefix, attributes)| SentRoute {
                prefix: *prefix,
                next_hop: facts.next_hop(*prefix),
                as_path: facts.as_path(attributes),
                local_pref: facts.ibgp.then_some(rib_out::DEFAULT_LOCAL_PREF),
                attributes: attributes.clone(),
            })
            .collect()
    }

    /// Starts again from a new session in Idle, keeping the route set and the next hops (a
    /// restarted actor).
    pub fn restart(&mut self, seed: u64) {
        let config = self.session.config().clone();
        self.session = fsm::Session::new(config, seed);
        self.rib.reset();
        self.facts = None;
        self.local = None;
        self.end_of_rib_sent = false;
        self.connected = false;
        self.output.reset();
    }

    /// Bytes of the messages handed to the connection in use, in all.
    pub fn queued_bytes(&self) -> u64 {
        self.output.queued()
    }

    /// Applies `input`; returns what the shell does, in order.
    pub fn handle(&mut self, input: Input<'_>) -> Vec<Action> {
        let out = self.apply(input);
        let mut out = self.account(out);
        if self.connected && self.output.waiting() > OUTPUT_LIMIT {
            let mut more = Vec::new();
            self.feed(Event::OutputOverflow, &mut more);
            out.extend(self.account(more));
        }
        out
    }

    /// Counts the bytes handed to the connection and holds advertised counts until the peer has
    /// taken their UPDATEs. The shell encodes after `handle` returns, with the same context.
    fn account(&mut self, actions: Vec<Action>) -> Vec<Action> {
        let context = self.encode_context();
        let mut kept = Vec::with_capacity(actions.len());
        for action in actions {
            match &action {
                Action::Fsm(fsm::Action::Send(message)) => {
                    let len = message.encoded_len(&context);
                    self.output.sent(u64::try_from(len).unwrap_or(u64::MAX));
                }
                Action::Fsm(fsm::Action::CloseTcp | fsm::Action::Down(_)) => self.output.reset(),
                Action::Advertised(count) if self.output.in_flight() => {
                    self.output.defer_advertised(*count);
                    continue;
                }
                _ => {}
            }
            kept.push(action);
        }
        kept
    }

    fn apply(&mut self, input: Input<'_>) -> Vec<Action> {
        let mut out = Vec::new();
        match input {
            Input::Event(event) => {
                if event == Event::TcpFailed {
                    self.connected = false;
                }
                self.feed(event, &mut out);
            }
            Input::Connected { local } => {
                self.connected = true;
                self.output.reset();
                self.local = Some(local);
                self.feed(Event::TcpConnected, &mut out);
            }
            Input::Offered => {
                if self.session.state() == State::Active && !self.connected {
                    out.push(Action::Accept);
                } else {
                    out.push(Action::Refuse);
                }
            }
            Input::Routes {
                table,
                complete,
                change,
            } => {
                // Holding the table the set was computed from: look at the changed prefixes only.
                let known = change.and_then(|(from, prefixes)| {
                    let held = self.table.as_ref()?;
                    Arc::ptr_eq(from, held).then_some(prefixes)
                });
                match known {
                    Some(changed) => self.rib.set_desired_changed(Arc::clone(&table), changed),
                    None => self.rib.set_desired(Arc::clone(&table)),
                }
                self.table = Some(table);
                self.complete = complete;
                self.send_updates(&mut out);
            }
            Input::SetNextHops(next_hops) => {
                self.next_hops = next_hops;
                let (v4, v6) = next_hops.over(self.local);
                if let Some(facts) = &mut self.facts {
                    facts.next_hop_v4 = v4;
                    facts.next_hop_v6 = v6;
                    self.send_updates(&mut out);
                }
            }
            Input::Stop(reason) => {
                // Withdraw everything first, so the neighbour moves traffic before the session ends.
                let empty = Arc::new(Routes::new());
                self.rib.set_desired(Arc::clone(&empty));
                self.table = Some(empty);
                self.complete = true;
                self.send_updates(&mut out);
                self.feed(Event::Stop(reason), &mut out);
            }
            Input::Transport { acked, unsent } => {
                if !self.connected {
                    return out;
                }
                let report = self.output.report(acked, unsent);
                if let Some(count) = report.advertised {
                    out.push(Action::Advertised(count));
                }
                let event = Event::Output {
                    pending: report.pending,
                    progressed: report.progressed,
                };
                self.feed(event, &mut out);
                if !report.pending {
                    for family in self.output.take_refresh() {
                        self.refresh(family, &mut out);
                    }
                }
            }
            Input::PathFailed => {
                let reason = StopReason::cease(CeaseSubcode::BfdDown);
                self.feed(Event::Stop(reason), &mut out);
                self.feed(Event::Start, &mut out);
            }
        }
        out
    }

    /// Feeds one event to the FSM; adds the UPDATEs its Established and ROUTE-REFRESH call for.
    fn feed(&mut self, event: Event, out: &mut Vec<Action>) {
        for action in self.session.handle(event) {
            match &action {
                fsm::Action::CloseTcp => self.connected = false,
                fsm::Action::Established(negotiated) => {
                    let (v4, v6) = self.next_hops.over(self.local);
                    let config = self.session.config();
                    self.facts = Some(PeerFacts::new(config, negotiated, v4, v6));
                    self.rib.reset();
                    self.end_of_rib_sent = false;
                }
                fsm::Action::Down(_) => {
                    self.facts = None;
                    self.rib.reset();
                    self.end_of_rib_sent = false;
                }
                _ => {}
            }
            let follow = match &action {
                fsm::Action::Established(_) => Follow::Updates,
                fsm::Action::Down(_) => Follow::Advertised,
                fsm::Action::RouteRefreshRequested(afi, safi) => Follow::Refresh(*afi, *safi),
                _ => Follow::Nothing,
            };
            out.push(Action::Fsm(action));
            match follow {
                Follow::Updates => self.send_updates(out),
                Follow::Advertised => out.push(Action::Advertised(0)),
                Follow::Refresh(afi, safi) if self.output.waiting() > 0 => {
                    // Output still waits: answer once it has drained, once per family.
                    self.output.hold_refresh((afi, safi));
                }
                Follow::Refresh(afi, safi) => self.refresh((afi, safi), out),
                Follow::Nothing => {}
            }
        }
    }

    /// Re-sends the table of `family` (RFC 2918 §4).
    fn refresh(&mut self, family: (Afi, Safi), out: &mut Vec<Action>) {
        if let Some(facts) = &self.facts {
            for update in self.rib.refresh(facts, family) {
                out.push(send(update));
            }
            out.push(Action::Advertised(self.rib.advertised_count()));
        }
    }

    /// Sends what changed in the Adj-RIB-Out, and End-of-RIB once the route set is complete.
    fn send_updates(&mut self, out: &mut Vec<Action>) {
        let Some(facts) = &self.facts else {
            return;
        };
        out.extend(self.rib.updates(facts).into_iter().map(send));
        if !self.end_of_rib_sent && self.complete {
            out.extend(rib_out::end_of_rib(facts).into_iter().map(send));
            self.end_of_rib_sent = true;
        }
        out.push(Action::Advertised(self.rib.advertised_count()));
    }
}

/// What follows an FSM action.
enum Follow {
    Nothing,
    Updates,
    Advertised,
    Refresh(Afi, Safi),
}

fn send(update: Update) -> Action {
    Action::Fsm(fsm::Action::Send(Message::Update(update)))
}
