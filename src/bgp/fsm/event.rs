//! Inputs of the session FSM: RFC 4271 §8.1 events, as facts the actor observed.

pub use crate::bgp::codec::CeaseSubcode;
use crate::bgp::codec::{DecodeError, ErrorAction, Message, Notification};

use super::state::Timer;

/// Something that happened to the session (RFC 4271 §8.1; event numbers in the variant docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Events 1/4 (ManualStart, with PassiveTcpEstablishment when the session is passive). The
    /// automatic start (Events 3/5) is the expiry of [`Timer::IdleHold`] in Idle.
    Start,
    /// Event 2 (ManualStop): Cease with this subcode and optional shutdown text (RFC 8203).
    Stop(StopReason),
    /// Events 9 (ConnectRetryTimer_Expires), 10 (HoldTimer_Expires), 11 (KeepaliveTimer_Expires),
    /// 13 (IdleHoldTimer_Expires), 29 (SendHoldTimer_Expires, RFC 9687).
    TimerExpired(Timer),
    /// Events 16/17 (Tcp_CR_Acked, TcpConnectionConfirmed): our connection completed or the peer's
    /// was accepted.
    TcpConnected,
    /// Event 18 (TcpConnectionFails), also a failed connect or a write/read error.
    TcpFailed,
    /// Events 19, 24-27: a well-formed message arrived (OPEN, NOTIFICATION, KEEPALIVE, UPDATE,
    /// ROUTE-REFRESH).
    Received(Message),
    /// Events 21/22/28 (BGPHeaderErr, BGPOpenMsgErr, UpdateMsgErr): a message failed to decode.
    DecodeFailed(DecodeFailure),
    /// How our output to the peer stands (RFC 9687), as the transport measured it: bytes handed to
    /// the connection still wait for the peer (`pending`), and the peer took some since the last
    /// report (`progressed`). Runs the SendHoldTimer while output waits without progress.
    Output {
        /// Bytes handed to the connection are not yet taken by the peer.
        pending: bool,
        /// The peer took bytes since the previous report.
        progressed: bool,
    },
    /// Our output waiting for the peer outgrew its cap: Cease / Out of Resources (RFC 4486), then
    /// start again after the back-off.
    OutputOverflow,
}

/// Why we stop a session (Event 2), sent as a Cease NOTIFICATION (RFC 4486).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StopReason {
    /// The Cease subcode.
    pub subcode: CeaseSubcode,
    /// Shutdown Communication (RFC 8203 / RFC 9003), sent with Administrative Shutdown or Reset;
    /// truncated to 255 octets on a character boundary.
    pub text: Option<String>,
}

impl StopReason {
    /// Administrative Shutdown with an optional text (what SIGTERM sends).
    pub fn shutdown(text: Option<String>) -> StopReason {
        StopReason {
            subcode: CeaseSubcode::AdministrativeShutdown,
            text,
        }
    }

    /// A Cease with this subcode and no text.
    pub fn cease(subcode: CeaseSubcode) -> StopReason {
        StopReason {
            subcode,
            text: None,
        }
    }
}

/// A message that could not be decoded, as the actor reports it. Built from the codec's error:
/// the NOTIFICATION it calls for, and whether the session must be reset (RFC 7606 §2: otherwise the
/// UPDATE is treated as a withdraw or the attribute discarded, and the session stays up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeFailure {
    /// The NOTIFICATION RFC 4271 §6 (or RFC 7606) requires for the error, data filled in.
    pub notification: Notification,
    /// True for session reset; false for treat-as-withdraw or attribute discard.
    pub reset: bool,
}

impl From<&DecodeError> for DecodeFailure {
    /// The codec's verdict: its NOTIFICATION, and a reset unless RFC 7606 allows treat-as-withdraw
    /// or attribute discard.
    fn from(error: &DecodeError) -> DecodeFailure {
        DecodeFailure {
            notification: error.notification(),
            reset: match error.action() {
                ErrorAction::ResetSession => true,
                ErrorAction::TreatAsWithdraw | ErrorAction::AttributeDiscard => false,
            },
        }
    }
}
