//! The RFC 5880 §6.8 session state machine, asynchronous mode, as a pure transition function.
//!
//! [`Session::handle`] is the only way the state changes. It never does I/O, never reads a clock and
//! never spawns: it returns [`Action`]s in order, and the two timers (periodic transmission and
//! detection) are armed by the actor and come back as [`Event::TimerExpired`]. The transmit jitter of
//! §6.8.7 comes from a PRNG seeded at construction.
//!
//! Deliberate choices, as BIRD and FRR make them:
//! - Active role only; Demand mode and the Echo function are not offered (Required Min Echo RX is 0,
//!   a peer's D bit is ignored).
//! - Outside Up the advertised Desired Min TX is at least one second (§6.8.3); on reaching Up the
//!   configured value is advertised with a Poll Sequence.
//! - A state change sends a packet at once rather than waiting for the transmit timer.
//! - Authentication is never configured, so a packet carrying an authentication section is dropped.
//! - On [`Event::Stop`] the session goes AdminDown (diagnostic 7) and keeps telling the peer so for one
//!   detection time, then falls silent.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use super::packet::{Diagnostic, Packet, State, micros, to_micros};

/// The slowest rate RFC 5880 §6.8.3 lets a session advertise outside Up: at least one second.
pub const SLOW_TX_INTERVAL: Duration = Duration::from_secs(1);

/// What the operator configures for one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// bfd.DesiredMinTxInterval once Up.
    pub min_tx: Duration,
    /// bfd.RequiredMinRxInterval.
    pub min_rx: Duration,
    /// bfd.DetectMult.
    pub multiplier: u8,
}

impl Default for SessionConfig {
    /// FRR's defaults: 300 ms each way, multiplier 3.
    fn default() -> SessionConfig {
        SessionConfig {
            min_tx: Duration::from_millis(300),
            min_rx: Duration::from_millis(300),
            multiplier: 3,
        }
    }
}

impl From<&crate::config::model::Bfd> for SessionConfig {
    fn from(bfd: &crate::config::model::Bfd) -> SessionConfig {
        SessionConfig {
            min_tx: bfd.min_tx,
            min_rx: bfd.min_rx,
            multiplier: bfd.multiplier,
        }
    }
}

/// Whether a state change is a path failure that the session's clients must act on (RFC 5882 §3.2):
/// leaving Up for Down, unless the neighbour said AdminDown (a planned stop on its side, which
/// must not take BGP down with it). Our own AdminDown is not a failure either.
pub fn path_failed(from: State, to: State, remote_state: State) -> bool {
    from == State::Up && to == State::Down && remote_state != State::AdminDown
}

/// The two timers a session asks the actor to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Timer {
    /// Periodic transmission (§6.8.7), jittered.
    Transmit,
    /// Detection time (§6.8.4); also ends the AdminDown farewell.
    Detect,
}

impl Timer {
    /// Lower-case name, for tables and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Timer::Transmit => "transmit",
            Timer::Detect => "detect",
        }
    }
}

/// What happens to a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Leave AdminDown and start the handshake.
    Start,
    /// Go AdminDown (a planned stop): the peer must not count it as a failure.
    Stop,
    /// A decoded Control packet demultiplexed to this session.
    Received(Packet),
    /// A timer the session armed has expired.
    TimerExpired(Timer),
    /// New intervals from a reload: applied with a Poll Sequence when Up, without a flap.
    Reconfigure(SessionConfig),
}

/// Why a packet that decoded was still dropped (RFC 5880 §6.8.6, the checks that need a session).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discard {
    /// Our session is AdminDown.
    AdminDown,
    /// Your Discriminator is zero while the sender is past Down.
    ZeroYourDiscriminator,
    /// Your Discriminator is not ours.
    WrongDiscriminator,
    /// The packet is authenticated and we have no authentication configured.
    Authentication,
}

impl Discard {
    /// Label for counters and logs.
    pub fn as_label(self) -> &'static str {
        match self {
            Discard::AdminDown => "admin_down",
            Discard::ZeroYourDiscriminator => "zero_your_discriminator",
            Discard::WrongDiscriminator => "unknown_discriminator",
            Discard::Authentication => "authentication",
        }
    }
}

/// What the actor must do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Send this packet to the peer.
    Send(Packet),
    /// Arm (or re-arm) a timer.
    StartTimer(Timer, Duration),
    /// Disarm a timer.
    StopTimer(Timer),
    /// The session state changed; `diagnostic` says why when it left Up or Init.
    StateChanged {
        /// Old state.
        from: State,
        /// New state.
        to: State,
        /// bfd.LocalDiag after the change.
        diagnostic: Diagnostic,
    },
    /// A packet was dropped by a session check.
    Discarded(Discard),
}

/// The intervals a session advertises or has in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Intervals {
    tx: Duration,
    rx: Duration,
}

/// One BFD session (RFC 5880 §6.8.1 state variables).
#[derive(Debug, Clone)]
pub struct Session {
    config: SessionConfig,
    state: State,
    remote_state: State,
    local_discriminator: u32,
    remote_discriminator: u32,
    diagnostic: Diagnostic,
    /// What our packets say now.
    advertised: Intervals,
    /// What the peer has acknowledged with a Final (equal to `advertised` outside a Poll Sequence).
    in_force: Intervals,
    polling: bool,
    remote_min_rx: Duration,
    remote_min_tx: Duration,
    remote_multiplier: u8,
    rng: u64,
}

impl Session {
    /// A session in AdminDown with a nonzero local discriminator; `seed` feeds the jitter PRNG.
    pub fn new(config: SessionConfig, local_discriminator: u32, seed: u64) -> Session {
        let advertised = Intervals {
            tx: config.min_tx.max(SLOW_TX_INTERVAL),
            rx: config.min_rx,
        };
        Session {
            config,
            state: State::AdminDown,
            remote_state: State::Down,
            local_discriminator,
            remote_discriminator: 0,
            diagnostic: Diagnostic::None,
            advertised,
            in_force: advertised,
            polling: false,
            remote_min_rx: Duration::from_micros(1),
            remote_min_tx: Duration::ZERO,
            remote_multiplier: 0,
            rng: seed | 1,
        }
    }

    /// bfd.SessionState.
    pub fn state(&self) -> State {
        self.state
    }

    /// bfd.RemoteSessionState.
    pub fn remote_state(&self) -> State {
        self.remote_state
    }

    /// bfd.LocalDiag.
    pub fn diagnostic(&self) -> Diagnostic {
        self.diagnostic
    }

    /// bfd.LocalDiscr.
    pub fn local_discriminator(&self) -> u32 {
        self.local_discriminator
    }

    /// bfd.RemoteDiscr: zero until the peer has been heard.
    pub fn remote_discriminator(&self) -> u32 {
        self.remote_discriminator
    }

    /// The configured intervals.
    pub fn config(&self) -> SessionConfig {
        self.config
    }

    /// True while a Poll Sequence waits for its Final.
    pub fn polling(&self) -> bool {
        self.polling
    }

    /// The detection time (§6.8.4): the peer's multiplier times the slower of what we require and
    /// what it sends; zero until the peer has been heard.
    pub fn detection_time(&self) -> Duration {
        let rx = self.advertised.rx.max(self.in_force.rx);
        rx.max(self.remote_min_tx) * u32::from(self.remote_multiplier)
    }

    /// The nominal periodic transmission interval (§6.8.7), before jitter; `None` while the peer
    /// asks for no packets.
    pub fn transmit_interval(&self) -> Option<Duration> {
        if self.remote_min_rx.is_zero() {
            return None;
        }
        let tx = self.advertised.tx.min(self.in_force.tx);
        Some(tx.max(self.remote_min_rx))
    }

    /// Feeds one event; returns the actions to perform, in order.
    pub fn handle(&mut self, event: Event) -> Vec<Action> {
        let mut out = Vec::new();
        match (self.state, event) {
            (State::AdminDown, Event::Start) => {
                self.transition(State::Down, Diagnostic::None, &mut out);
                self.send(false, &mut out);
                self.arm_transmit(&mut out);
            }
            (_, Event::Start) => {}
            (State::AdminDown, Event::Stop) => {}
            (_, Event::Stop) => self.stop(&mut out),
            (State::AdminDown, Event::Received(_)) => {
                out.push(Action::Discarded(Discard::AdminDown))
            }
            (_, Event::Received(packet)) => self.receive(packet, &mut out),
            (State::AdminDown, Event::TimerExpired(Timer::Transmit)) => {
                self.send(false, &mut out);
                self.arm_transmit(&mut out);
            }
            (State::AdminDown, Event::TimerExpired(Timer::Detect)) => {
                out.push(Action::StopTimer(Timer::Transmit));
            }
            (_, Event::TimerExpired(Timer::Transmit)) => {
                self.send(false, &mut out);
                self.arm_transmit(&mut out);
            }
            (state, Event::TimerExpired(Timer::Detect)) => {
                self.remote_discriminator = 0;
                self.remote_state = State::Down;
                if matches!(state, State::Init | State::Up) {
                    self.transition(
                        State::Down,
                        Diagnostic::ControlDetectionTimeExpired,
                        &mut out,
                    );
                    self.send(false, &mut out);
                    self.arm_transmit(&mut out);
                }
            }
            (_, Event::Reconfigure(config)) => self.reconfigure(config, &mut out),
        }
        out
    }

    fn stop(&mut self, out: &mut Vec<Action>) {
        let farewell = match self.detection_time() {
            d if d.is_zero() => self.advertised.tx * u32::from(self.config.multiplier),
            d => d,
        };
        self.transition(State::AdminDown, Diagnostic::AdministrativelyDown, out);
        self.send(false, out);
        self.arm_transmit(out);
        out.push(Action::StartTimer(Timer::Detect, farewell));
    }

    fn receive(&mut self, packet: Packet, out: &mut Vec<Action>) {
        if packet.authentication.is_some() {
            out.push(Action::Discarded(Discard::Authentication));
            return;
        }
        if packet.your_discriminator == 0 && !matches!(packet.state, State::Down | State::AdminDown)
        {
            out.push(Action::Discarded(Discard::ZeroYourDiscriminator));
            return;
        }
        if packet.your_discriminator != 0 && packet.your_discriminator != self.local_discriminator {
            out.push(Action::Discarded(Discard::WrongDiscriminator));
            return;
        }
        self.remote_discriminator = packet.my_discriminator;
        self.remote_state = packet.state;
        self.remote_min_rx = micros(packet.required_min_rx);
        self.remote_min_tx = micros(packet.desired_min_tx);
        self.remote_multiplier = packet.detect_mult;
        if packet.final_ && self.polling {
            self.polling = false;
            self.in_force = self.advertised;
        }
        let next = match (self.state, packet.state) {
            (State::Up | State::Init, State::AdminDown) | (State::Up, State::Down) => {
                Some((State::Down, Diagnostic::NeighborSignaledSessionDown))
            }
            (_, State::AdminDown) => None,
            (State::Down, State::Down) => Some((State::Init, Diagnostic::None)),
            (State::Down, State::Init) | (State::Init, State::Init | State::Up) => {
                Some((State::Up, Diagnostic::None))
            }
            _ => None,
        };
        let detection = self.detection_time();
        if !detection.is_zero() {
            out.push(Action::StartTimer(Timer::Detect, detection));
        }
        if let Some((to, diagnostic)) = next {
            self.transition(to, diagnostic, out);
        }
        if packet.poll {
            self.send(true, out);
        } else if next.is_some() {
            self.send(false, out);
        }
        if next.is_some() || packet.poll {
            self.arm_transmit(out);
        }
    }

    fn reconfigure(&mut self, config: SessionConfig, out: &mut Vec<Action>) {
        self.config = config;
        let wanted = self.wanted_intervals();
        if wanted == self.advertised {
            return;
        }
        self.advertised = wanted;
        if self.state == State::Up {
            self.polling = true;
            self.send(false, out);
        } else {
            self.in_force = wanted;
        }
        if self.state != State::AdminDown {
            self.arm_transmit(out);
        }
    }

    fn wanted_intervals(&self) -> Intervals {
        let tx = match self.state {
            State::Up => self.config.min_tx,
            _ => self.config.min_tx.max(SLOW_TX_INTERVAL),
        };
        Intervals {
            tx,
            rx: self.config.min_rx,
        }
    }

    /// The single place the state changes; also moves between the slow and the configured rate.
    fn transition(&mut self, to: State, diagnostic: Diagnostic, out: &mut Vec<Action>) {
        let from = self.state;
        if from == to {
            return;
        }
        self.state = to;
        if diagnostic != Diagnostic::None || to == State::Up {
            self.diagnostic = diagnostic;
        }
        out.push(Action::StateChanged {
            from,
            to,
            diagnostic: self.diagnostic,
        });
        let wanted = self.wanted_intervals();
        if wanted != self.advertised {
            self.advertised = wanted;
            if to == State::Up {
                self.polling = true;
            } else {
                self.polling = false;
                self.in_force = wanted;
            }
        }
    }

    fn packet(&self, final_: bool) -> Packet {
        Packet {
            diagnostic: self.diagnostic,
            state: self.state,
            poll: self.polling && !final_,
            final_,
            control_plane_independent: false,
            demand: false,
            detect_mult: self.config.multiplier,
            my_discriminator: self.local_discriminator,
            your_discriminator: self.remote_discriminator,
            desired_min_tx: to_micros(self.advertised.tx),
            required_min_rx: to_micros(self.advertised.rx),
            required_min_echo_rx: 0,
            authentication: None,
        }
    }

    fn send(&mut self, final_: bool, out: &mut Vec<Action>) {
        out.push(Action::Send(self.packet(final_)));
    }

    fn arm_transmit(&mut self, out: &mut Vec<Action>) {
        match self.transmit_interval() {
            Some(interval) => {
                let jittered = self.jitter(interval);
                out.push(Action::StartTimer(Timer::Transmit, jittered));
            }
            None => out.push(Action::StopTimer(Timer::Transmit)),
        }
    }

    /// §6.8.7: each interval is shortened by 0-25% at random, 10-25% with a multiplier of 1.
    fn jitter(&mut self, interval: Duration) -> Duration {
        let (floor, span) = if self.config.multiplier == 1 {
            (75, 16)
        } else {
            (75, 26)
        };
        let percent = floor + self.next_random() % span;
        let micros = u64::try_from(interval.as_micros()).unwrap_or(u64::MAX / 100);
        Duration::from_micros(micros.saturating_mul(percent) / 100)
    }

    /// xorshift64*: deterministic from the seed, cheap, good enough for jitter.
    fn next_random(&mut self) -> u64 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}
