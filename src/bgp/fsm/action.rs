//! Outputs of the session FSM: what the actor must do, in order, and why a session ended.

use std::fmt;
use std::time::Duration;

use crate::bgp::codec::{Afi, Message, Notification, Safi};

use super::event::CeaseSubcode;
use super::negotiate::Negotiated;
use super::state::{State, Timer};

/// One thing the actor must do. [`super::Session::handle`] returns them in the order to perform them:
/// a NOTIFICATION always precedes the [`Action::CloseTcp`] that follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open a TCP connection to the peer; the outcome comes back as `TcpConnected` or `TcpFailed`.
    ConnectTcp,
    /// Close the session's TCP connection (after flushing what was sent), or abort a pending connect.
    CloseTcp,
    /// Write this message.
    Send(Message),
    /// Arm (or re-arm) this timer; its expiry comes back as `TimerExpired`.
    StartTimer(Timer, Duration),
    /// Disarm this timer.
    StopTimer(Timer),
    /// The state changed (emitted once per transition, after the actions that caused it).
    StateChanged {
        /// Previous state.
        from: State,
        /// New state.
        to: State,
    },
    /// The session reached Established with these parameters: send the table, then End-of-RIB.
    Established(Negotiated),
    /// A session attempt that had a TCP connection ended (it left OpenSent, OpenConfirm or
    /// Established); the label feeds `anycastd_bgp_session_down_total{peer,reason}`.
    Down(DownReason),
    /// The peer sent ROUTE-REFRESH (RFC 2918 §4) for a family we negotiated: re-send its table.
    RouteRefreshRequested(Afi, Safi),
    /// The peer sent an UPDATE (counted; we never install received routes).
    UpdateReceived,
    /// A malformed UPDATE was treated as a withdraw or had an attribute discarded (RFC 7606 §2); the
    /// session stays up. Carries the NOTIFICATION that a reset would have sent, for the log.
    IgnoredUpdateError(Notification),
}

/// Why a session went down (nearcore's `ClosingReason`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DownReason {
    /// Our HoldTimer expired (we sent NOTIFICATION 4/0).
    HoldTimerExpired,
    /// Our SendHoldTimer expired: the peer took none of our output for the send hold time (we
    /// sent NOTIFICATION 8/0, best effort, RFC 9687).
    SendHoldTimerExpired,
    /// The peer sent a NOTIFICATION.
    NotificationReceived {
        /// Error code.
        code: u8,
        /// Error subcode.
        subcode: u8,
        /// Shutdown Communication (RFC 8203) of an Administrative Shutdown/Reset, if valid UTF-8.
        text: Option<String>,
    },
    /// We sent a NOTIFICATION for the peer's error (decode, OPEN validation, FSM error).
    NotificationSent {
        /// Error code.
        code: u8,
        /// Error subcode.
        subcode: u8,
    },
    /// The TCP connection failed or was closed by the peer without a NOTIFICATION.
    TcpFailed,
    /// We stopped the session (Event 2) with this Cease subcode.
    Stopped(CeaseSubcode),
}

impl DownReason {
    /// A fixed, low-cardinality label for `anycastd_bgp_session_down_total{reason}`.
    pub fn as_label(&self) -> &'static str {
        match self {
            DownReason::HoldTimerExpired => "hold_timer_expired",
            DownReason::SendHoldTimerExpired => "send_hold_timer_expired",
            DownReason::NotificationReceived { code, .. } => match code {
                1 => "received_message_header_error",
                2 => "received_open_message_error",
                3 => "received_update_message_error",
                4 => "received_hold_timer_expired",
                5 => "received_fsm_error",
                6 => "received_cease",
                7 => "received_route_refresh_error",
                8 => "received_send_hold_timer_expired",
                _ => "received_unknown_error",
            },
            DownReason::NotificationSent { code, .. } => match code {
                1 => "sent_message_header_error",
                2 => "sent_open_message_error",
                3 => "sent_update_message_error",
                4 => "sent_hold_timer_expired",
                5 => "sent_fsm_error",
                6 => "sent_cease",
                7 => "sent_route_refresh_error",
                8 => "sent_send_hold_timer_expired",
                _ => "sent_unknown_error",
            },
            DownReason::TcpFailed => "tcp_failed",
            DownReason::Stopped(_) => "stopped",
        }
    }
}

/// The reason in words, for the log.
impl fmt::Display for DownReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownReason::HoldTimerExpired => write!(f, "hold timer expired"),
            DownReason::SendHoldTimerExpired => {
                write!(
                    f,
                    "send hold timer expired: the peer took none of our output"
                )
            }
            DownReason::NotificationReceived {
                code,
                subcode,
                text,
            } => {
                let data = text
                    .as_ref()
                    .map(|t| {
                        let mut data = vec![u8::try_from(t.len()).unwrap_or(u8::MAX)];
                        data.extend_from_slice(t.as_bytes());
                        data
                    })
                    .unwrap_or_default();
                let notification = Notification {
                    code: *code,
                    subcode: *subcode,
                    data,
                };
                write!(f, "received NOTIFICATION {notification}")
            }
            DownReason::NotificationSent { code, subcode } => {
                let notification = Notification {
                    code: *code,
                    subcode: *subcode,
                    data: Vec::new(),
                };
                write!(f, "sent NOTIFICATION {notification}")
            }
            DownReason::TcpFailed => write!(f, "TCP connection failed or closed by the peer"),
            DownReason::Stopped(subcode) => {
                write!(f, "stopped by us (Cease subcode {})", subcode.code())
            }
        }
    }
}
