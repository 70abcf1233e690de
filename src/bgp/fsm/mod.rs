//! RFC 4271 §8 session FSM as a pure transition function.
//!
//! [`Session::handle`] is the only way the state changes. It never does I/O, never reads a clock and
//! never spawns; it returns [`Action`]s in the order the actor must perform them. Durations are
//! chosen here (negotiated hold time, keepalive = hold / 3, reconnect back-off with jitter from a
//! PRNG seeded at construction); the actor only arms timers and reports their expiry as events.
//!
//! One `Session` drives one peer. Deviations from the letter of §8.2.2, all deliberate:
//! - Reconnects back off (DampPeerOscillations, §8.1.1): after a failure or a session loss the
//!   next wait doubles from `connect_retry` up to 120 s, ±25% jitter, reset on Established.
//! - A passive session waits in Active with no ConnectRetryTimer.
//! - One connection at a time: a neighbour is either active or passive, never both, and the
//!   speaker ([`crate::bgp::speaker`]) takes an inbound connection only in Active with none in
//!   use, so connection collisions (§6.8, Event 23 OpenCollisionDump) cannot occur and are not
//!   modelled.
//! - The expiry of a timer the session did not arm (or has stopped since) is stale and ignored, so
//!   a cancellation racing with an expiry cannot reset a session.
//! - The SendHoldTimer of RFC 9687 (Event 29) runs while our output waits for the peer without
//!   progress, as reported by [`Event::Output`]; past a cap on waiting output
//!   ([`Event::OutputOverflow`]) the session ends with Cease / Out of Resources and backs off.
//! - [`Action::Down`] is emitted whenever a connected attempt ends (leaving OpenSent, OpenConfirm
//!   or Established), so failed handshakes are counted with their reason.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

mod action;
mod backoff;
mod event;
mod negotiate;
mod state;
#[cfg(test)]
mod tests;

use std::time::Duration;

pub use action::{Action, DownReason};
pub use event::{CeaseSubcode, DecodeFailure, Event, StopReason};
pub use negotiate::{
    IPV4_UNICAST, IPV6_UNICAST, MAX_CONNECT_RETRY, Negotiated, SessionConfig, negotiate,
};
pub use state::{State, Timer};

use crate::bgp::codec::{DecodeContext, EncodeContext, FsmSubcode, Message, Notification};
use backoff::Backoff;
use state::Running;

/// The large HoldTimer armed in OpenSent while we wait for the peer's OPEN (RFC 4271 §8.2.2: "4
/// minutes is suggested").
pub const OPEN_HOLD_TIME: Duration = Duration::from_secs(240);

/// One BGP session's state machine.
#[derive(Debug, Clone)]
pub struct Session {
    config: SessionConfig,
    state: State,
    backoff: Backoff,
    running: Running,
    negotiated: Option<Negotiated>,
}

/// What happens right after the state change is announced.
enum After {
    Nothing,
    Established,
    Down(DownReason),
}

impl Session {
    /// A session in Idle; `seed` feeds the jitter PRNG (use something per peer, e.g. from its address).
    pub fn new(config: SessionConfig, seed: u64) -> Session {
        let backoff = Backoff::new(config.connect_retry, seed);
        Session {
            config,
            state: State::Idle,
            backoff,
            running: Running::default(),
            negotiated: None,
        }
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// The configuration the session was built with.
    pub fn config(&self) -> &SessionConfig {
        &self.config
    }

    /// What the OPENs negotiated: set from the peer's valid OPEN until the connection ends.
    pub fn negotiated(&self) -> Option<&Negotiated> {
        self.negotiated.as_ref()
    }

    /// How to decode the peer's messages (4-octet AS once both sides announced it, RFC 6793).
    pub fn decode_context(&self) -> DecodeContext {
        DecodeContext {
            four_octet_as: self.negotiated.as_ref().is_some_and(|n| n.four_octet_as),
        }
    }

    /// How to encode our messages.
    pub fn encode_context(&self) -> EncodeContext {
        EncodeContext {
            four_octet_as: self.negotiated.as_ref().is_some_and(|n| n.four_octet_as),
        }
    }

    /// Applies one event (RFC 4271 §8.2.2) and returns the actions to perform, in order.
    pub fn handle(&mut self, event: Event) -> Vec<Action> {
        let mut out = Vec::new();
        if let Event::TimerExpired(timer) = event {
            if !self.running.contains(timer) {
                // A timer we did not arm, or stopped while its expiry was on the way: stale.
                return out;
            }
            self.running.remove(timer);
        }
        let from = self.state;
        let (to, after) = self.step(event, &mut out);
        if to != from {
            self.state = to;
            out.push(Action::StateChanged { from, to });
        }
        match after {
            After::Nothing => {}
            After::Established => {
                if let Some(negotiated) = &self.negotiated {
                    out.push(Action::Established(negotiated.clone()));
                }
            }
            After::Down(reason) => out.push(Action::Down(reason)),
        }
        out
    }

    fn step(&mut self, event: Event, out: &mut Vec<Action>) -> (State, After) {
        use State::{Active, Connect, Established, Idle, OpenConfirm, OpenSent};
        let keep = (self.state, After::Nothing);
        match (self.state, event) {
            // Idle: Events 1/4 and (after the back-off) 3/5 start the session; Stop cancels an
            // automatic restart; connections are refused; everything else is ignored.
            (Idle, Event::Start) => {
                self.stop_timer(Timer::IdleHold, out);
                self.backoff.reset();
                (self.start_connecting(out), After::Nothing)
            }
            (Idle, Event::TimerExpired(Timer::IdleHold)) => {
                (self.start_connecting(out), After::Nothing)
            }
            (Idle, Event::Stop(_)) => {
                self.stop_timer(Timer::IdleHold, out);
                keep
            }
            (Idle, Event::TcpConnected) => {
                out.push(Action::CloseTcp);
                keep
            }
            (Idle, _) => keep,

            // Connect and Active.
            (Connect | Active, Event::Start) => keep,
            (Connect | Active, Event::Stop(_)) => {
                // Event 2: drop the (pending) connection, reset the counter, stop ConnectRetryTimer.
                if self.state == Connect {
                    out.push(Action::CloseTcp);
                }
                self.stop_timer(Timer::ConnectRetry, out);
                self.backoff.reset();
                (Idle, After::Nothing)
            }
            (Connect, Event::TimerExpired(Timer::ConnectRetry)) => {
                // Event 9: drop the attempt, restart the timer, connect again.
                out.push(Action::CloseTcp);
                let delay = self.backoff.failure();
                self.start_timer(Timer::ConnectRetry, delay, out);
                out.push(Action::ConnectTcp);
                keep
            }
            (Active, Event::TimerExpired(Timer::ConnectRetry)) => {
                if self.config.passive {
                    return keep;
                }
                let delay = self.backoff.current();
                self.start_timer(Timer::ConnectRetry, delay, out);
                out.push(Action::ConnectTcp);
                (Connect, After::Nothing)
            }
            (Connect | Active, Event::TcpConnected) => {
                // Events 16/17: send OPEN, arm the large HoldTimer.
                self.stop_timer(Timer::ConnectRetry, out);
                out.push(Action::Send(Message::Open(self.config.open())));
                self.start_timer(Timer::Hold, OPEN_HOLD_TIME, out);
                (OpenSent, After::Nothing)
            }
            (Connect, Event::TcpFailed) => {
                // Event 18: restart ConnectRetryTimer (backed off) and listen in Active.
                let delay = self.backoff.failure();
                self.start_timer(Timer::ConnectRetry, delay, out);
                (Active, After::Nothing)
            }
            (Connect | Active, Event::Output { .. } | Event::OutputOverflow) => keep,
            (Connect | Active, _) => {
                // Any other event (8, 10-11, 13, 18 in Active, 19-28): drop, back off in Idle.
                (self.close(None, true, out), After::Nothing)
            }

            // OpenSent, OpenConfirm, Established: a TCP connection exists.
            (OpenSent | OpenConfirm | Established, Event::Start | Event::TcpConnected) => keep,
            (OpenSent | OpenConfirm | Established, Event::Stop(reason)) => self.stop(reason, out),
            (OpenSent | OpenConfirm | Established, Event::TimerExpired(Timer::Hold)) => {
                let next = self.close(Some(negotiate::hold_timer_expired()), true, out);
                (next, After::Down(DownReason::HoldTimerExpired))
            }
            (OpenSent | OpenConfirm | Established, Event::TimerExpired(Timer::SendHold)) => {
                // Event 29 (RFC 9687 §4): NOTIFICATION, best effort as the peer is not reading,
                // then close and back off.
                let next = self.close(Some(negotiate::send_hold_timer_expired()), true, out);
                (next, After::Down(DownReason::SendHoldTimerExpired))
            }
            (
                OpenSent | OpenConfirm | Established,
                Event::Output {
                    pending,
                    progressed,
                },
            ) => {
                self.follow_output(pending, progressed, out);
                keep
            }
            (OpenSent | OpenConfirm | Established, Event::OutputOverflow) => {
                let out_of_resources = negotiate::cease(CeaseSubcode::OutOfResources, None);
                self.notify_and_close(out_of_resources, out)
            }
            (OpenSent, Event::TcpFailed) => {
                // Event 18 in OpenSent: close, restart ConnectRetryTimer, listen in Active.
                out.push(Action::CloseTcp);
                self.stop_all_timers(out);
                self.negotiated = None;
                let delay = self.backoff.failure();
                if !self.config.passive {
                    self.start_timer(Timer::ConnectRetry, delay, out);
                }
                (Active, After::Down(DownReason::TcpFailed))
            }
            (OpenConfirm | Established, Event::TcpFailed) => (
                self.close(None, true, out),
                After::Down(DownReason::TcpFailed),
            ),
            (OpenSent | OpenConfirm | Established, Event::Received(Message::Notification(n))) => {
                // Events 24/25: the peer closes; no NOTIFICATION in reply.
                let reason = DownReason::NotificationReceived {
                    code: n.code,
                    subcode: n.subcode,
                    text: negotiate::shutdown_text(&n),
                };
                (self.close(None, true, out), After::Down(reason))
            }
            (Established, Event::DecodeFailed(failure)) if !failure.reset => {
                // RFC 7606 §2: treat-as-withdraw / attribute discard; an UPDATE still arrived.
                self.restart_hold_timer(out);
                out.push(Action::IgnoredUpdateError(failure.notification));
                keep
            }
            (OpenSent | OpenConfirm | Established, Event::DecodeFailed(failure))
                if failure.reset =>
            {
                // Events 21/22/28: NOTIFICATION with the error, close.
                self.notify_and_close(failure.notification, out)
            }

            (OpenSent, Event::Received(Message::Open(open))) => self.on_open(&open, out),

            (OpenConfirm | Established, Event::TimerExpired(Timer::Keepalive)) => {
                // Event 11: send KEEPALIVE, restart the KeepaliveTimer.
                out.push(Action::Send(Message::Keepalive));
                if let Some(keepalive) = self.negotiated.as_ref().and_then(|n| n.keepalive) {
                    self.start_timer(Timer::Keepalive, keepalive, out);
                }
                keep
            }
            (OpenConfirm, Event::Received(Message::Keepalive)) => {
                // Event 26: restart the HoldTimer, Established.
                self.restart_hold_timer(out);
                self.backoff.reset();
                (Established, After::Established)
            }
            (Established, Event::Received(Message::Keepalive)) => {
                self.restart_hold_timer(out);
                keep
            }
            (Established, Event::Received(Message::Update(_))) => {
                // Event 27: restart the HoldTimer; received routes are counted, never installed.
                self.restart_hold_timer(out);
                out.push(Action::UpdateReceived);
                keep
            }
            (Established, Event::Received(Message::RouteRefresh(refresh))) => {
                // RFC 2918 §4: ignore a request for a family not negotiated.
                let negotiated = self
                    .negotiated
                    .as_ref()
                    .is_some_and(|n| n.families.contains(&(refresh.afi, refresh.safi)));
                if negotiated {
                    out.push(Action::RouteRefreshRequested(refresh.afi, refresh.safi));
                }
                keep
            }

            // Everything else is a Finite State Machine Error (RFC 4271 §6.6), with the RFC 6608
            // subcode for an unexpected message in this state.
            (state, event) => {
                let message = matches!(event, Event::Received(_) | Event::DecodeFailed(_));
                let subcode = match state {
                    OpenSent if message => FsmSubcode::UnexpectedMessageInOpenSent,
                    OpenConfirm if message => FsmSubcode::UnexpectedMessageInOpenConfirm,
                    Established if message => FsmSubcode::UnexpectedMessageInEstablished,
                    _ => FsmSubcode::Unspecified,
                };
                self.notify_and_close(negotiate::fsm_error(subcode), out)
            }
        }
    }

    /// Leaves Idle: connect out (Connect), or wait for the peer (Active) when passive.
    fn start_connecting(&mut self, out: &mut Vec<Action>) -> State {
        if self.config.passive {
            return State::Active;
        }
        let delay = self.backoff.current();
        self.start_timer(Timer::ConnectRetry, delay, out);
        out.push(Action::ConnectTcp);
        State::Connect
    }

    /// The peer's OPEN in OpenSent (Event 19): validate, negotiate, KEEPALIVE, OpenConfirm.
    fn on_open(&mut self, open: &crate::bgp::codec::Open, out: &mut Vec<Action>) -> (State, After) {
        match negotiate::negotiate(&self.config, open) {
            Err(notification) => self.notify_and_close(notification, out),
            Ok(negotiated) => {
                out.push(Action::Send(Message::Keepalive));
                match negotiated.keepalive {
                    Some(keepalive) => {
                        self.start_timer(Timer::Keepalive, keepalive, out);
                        let hold = hold_duration(&negotiated);
                        self.start_timer(Timer::Hold, hold, out);
                    }
                    None => self.stop_timer(Timer::Hold, out),
                }
                self.negotiated = Some(negotiated);
                (State::OpenConfirm, After::Nothing)
            }
        }
    }

    /// Event 2 with a connection: Cease (Hard Reset around it when Graceful Notification was
    /// negotiated, RFC 8538 §5.1, so the peer keeps no stale routes), close, stay down.
    fn stop(&mut self, reason: StopReason, out: &mut Vec<Action>) -> (State, After) {
        let mut notification = negotiate::cease(reason.subcode, reason.text.as_deref());
        if self
            .negotiated
            .as_ref()
            .is_some_and(|n| n.graceful_notification)
            && reason.subcode != CeaseSubcode::HardReset
        {
            notification = negotiate::hard_reset(notification);
        }
        self.backoff.reset();
        let next = self.close(Some(notification), false, out);
        (next, After::Down(DownReason::Stopped(reason.subcode)))
    }

    /// Sends a NOTIFICATION for the peer's error, closes, backs off in Idle.
    fn notify_and_close(
        &mut self,
        notification: Notification,
        out: &mut Vec<Action>,
    ) -> (State, After) {
        let reason = DownReason::NotificationSent {
            code: notification.code,
            subcode: notification.subcode,
        };
        (
            self.close(Some(notification), true, out),
            After::Down(reason),
        )
    }

    /// NOTIFICATION (if any) first, then close the connection, stop every timer and, unless stopped
    /// deliberately, arm the IdleHold back-off for the automatic restart. Returns Idle.
    fn close(
        &mut self,
        notification: Option<Notification>,
        restart: bool,
        out: &mut Vec<Action>,
    ) -> State {
        if let Some(notification) = notification {
            out.push(Action::Send(Message::Notification(notification)));
        }
        if self.state != State::Active {
            out.push(Action::CloseTcp);
        }
        self.stop_all_timers(out);
        self.negotiated = None;
        if restart {
            let delay = self.backoff.failure();
            self.start_timer(Timer::IdleHold, delay, out);
        }
        State::Idle
    }

    /// RFC 9687 §4: the SendHoldTimer runs while output waits for the peer; it starts when output
    /// begins to wait, restarts whenever the peer takes some, and stops when nothing waits.
    fn follow_output(&mut self, pending: bool, progressed: bool, out: &mut Vec<Action>) {
        match self.send_hold_time() {
            Some(after) if pending => {
                if progressed || !self.running.contains(Timer::SendHold) {
                    self.start_timer(Timer::SendHold, after, out);
                }
            }
            _ => self.stop_timer(Timer::SendHold, out),
        }
    }

    /// The SendHoldTime: as configured (zero: off), else twice the negotiated hold time (off
    /// when that is 0), or twice [`OPEN_HOLD_TIME`] before the OPENs are exchanged.
    pub fn send_hold_time(&self) -> Option<Duration> {
        match self.config.send_hold_time {
            Some(after) => (!after.is_zero()).then_some(after),
            None => match &self.negotiated {
                Some(negotiated) if negotiated.hold_time.seconds() == 0 => None,
                Some(negotiated) => Some(hold_duration(negotiated) * 2),
                None => Some(OPEN_HOLD_TIME * 2),
            },
        }
    }

    fn restart_hold_timer(&mut self, out: &mut Vec<Action>) {
        let hold = self
            .negotiated
            .as_ref()
            .filter(|n| n.keepalive.is_some())
            .map(hold_duration);
        if let Some(hold) = hold {
            self.start_timer(Timer::Hold, hold, out);
        }
    }

    fn start_timer(&mut self, timer: Timer, after: Duration, out: &mut Vec<Action>) {
        self.running.insert(timer);
        out.push(Action::StartTimer(timer, after));
    }

    fn stop_timer(&mut self, timer: Timer, out: &mut Vec<Action>) {
        if self.running.contains(timer) {
            self.running.remove(timer);
            out.push(Action::StopTimer(timer));
        }
    }

    fn stop_all_timers(&mut self, out: &mut Vec<Action>) {
        for timer in Timer::ALL {
            self.stop_timer(timer, out);
        }
    }
}

fn hold_duration(negotiated: &Negotiated) -> Duration {
    Duration::from_secs(u64::from(negotiated.hold_time.seconds()))
}
