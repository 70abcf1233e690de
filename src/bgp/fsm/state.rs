//! The six session states of RFC 4271 §8.2.2 and the timers the FSM asks the actor to run.
//!
//! Plain values: the FSM decides, the actor arms real timers and reports expiry as an event.

use std::fmt;

/// A BGP session state (RFC 4271 §8.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Refuses connections; waits for Start or for the IdleHold timer (automatic restart).
    Idle,
    /// Waiting for an outgoing TCP connection to complete.
    Connect,
    /// Listening for the peer's connection (or waiting to retry the outgoing one).
    Active,
    /// Our OPEN is sent; waiting for the peer's OPEN.
    OpenSent,
    /// OPENs exchanged; waiting for the peer's KEEPALIVE.
    OpenConfirm,
    /// UPDATE, KEEPALIVE, NOTIFICATION and ROUTE-REFRESH may be exchanged.
    Established,
}

impl State {
    /// Every state, in RFC order.
    pub const ALL: [State; 6] = [
        State::Idle,
        State::Connect,
        State::Active,
        State::OpenSent,
        State::OpenConfirm,
        State::Established,
    ];

    /// Lower-case name, for metric labels and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Idle => "idle",
            State::Connect => "connect",
            State::Active => "active",
            State::OpenSent => "opensent",
            State::OpenConfirm => "openconfirm",
            State::Established => "established",
        }
    }

    /// The numeric value of the BGP4-MIB `bgpPeerState` (RFC 4273): idle(1) .. established(6).
    pub fn mib_value(self) -> u8 {
        match self {
            State::Idle => 1,
            State::Connect => 2,
            State::Active => 3,
            State::OpenSent => 4,
            State::OpenConfirm => 5,
            State::Established => 6,
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A timer owned by the session (RFC 4271 §8 "Timers"; IdleHold from §8.1.1 DampPeerOscillations).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Timer {
    /// ConnectRetryTimer: retry the outgoing connection (Event 9 on expiry).
    ConnectRetry,
    /// HoldTimer: the peer has been silent too long (Event 10).
    Hold,
    /// KeepaliveTimer: time to send a KEEPALIVE (Event 11).
    Keepalive,
    /// IdleHoldTimer: back-off before an automatic restart from Idle (Event 13).
    IdleHold,
    /// SendHoldTimer (RFC 9687): our output has made no progress for too long (Event 29).
    SendHold,
}

impl Timer {
    /// Every timer.
    pub const ALL: [Timer; 5] = [
        Timer::ConnectRetry,
        Timer::Hold,
        Timer::Keepalive,
        Timer::IdleHold,
        Timer::SendHold,
    ];

    fn index(self) -> usize {
        match self {
            Timer::ConnectRetry => 0,
            Timer::Hold => 1,
            Timer::Keepalive => 2,
            Timer::IdleHold => 3,
            Timer::SendHold => 4,
        }
    }

    /// Lower-case name, for logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Timer::ConnectRetry => "connect_retry",
            Timer::Hold => "hold",
            Timer::Keepalive => "keepalive",
            Timer::IdleHold => "idle_hold",
            Timer::SendHold => "send_hold",
        }
    }
}

/// Which timers the session believes the actor is running, so it stops exactly those.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Running(u8);

impl Running {
    pub(crate) fn contains(self, timer: Timer) -> bool {
        self.0 & (1 << timer.index()) != 0
    }

    pub(crate) fn insert(&mut self, timer: Timer) {
        self.0 |= 1 << timer.index();
    }

    pub(crate) fn remove(&mut self, timer: Timer) {
        self.0 &= !(1 << timer.index());
    }
}
