//! NOTIFICATION (RFC 4271 §4.5): builders for the ones anycastd sends, the RFC 8203/9003 Shutdown
//! Communication, and a Display that names code and subcode in words. No I/O.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Error code    | Error subcode |   Data (variable)             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use std::fmt;

use bytes::{BufMut, BytesMut};

use super::Notification;
use super::iana::{self, CeaseSubcode, ErrorCode, FsmSubcode, Subcode};

/// Longest Shutdown Communication (RFC 9003 §2).
pub const MAX_SHUTDOWN_TEXT_LEN: usize = 255;

impl Notification {
    /// A NOTIFICATION with the given code, subcode and data (RFC 4271 §4.5).
    pub fn new(code: ErrorCode, subcode: u8, data: impl Into<Vec<u8>>) -> Notification {
        Notification {
            code: code.code(),
            subcode,
            data: data.into(),
        }
    }

    /// A NOTIFICATION for a registered subcode; its registry supplies the Error Code.
    pub fn from_subcode<S: Subcode>(subcode: S, data: impl Into<Vec<u8>>) -> Notification {
        Notification::new(S::CODE, subcode.value(), data)
    }

    /// Hold Timer Expired (RFC 4271 §6.5): code 4, subcode 0, no data.
    pub fn hold_timer_expired() -> Notification {
        Notification::new(ErrorCode::HoldTimerExpired, 0, Vec::new())
    }

    /// Send Hold Timer Expired (RFC 9687 §3): code 8, subcode 0, no data.
    pub fn send_hold_timer_expired() -> Notification {
        Notification::new(ErrorCode::SendHoldTimerExpired, 0, Vec::new())
    }

    /// Finite State Machine Error with the subcode naming the state (RFC 6608 §3).
    pub fn fsm_error(state_subcode: FsmSubcode) -> Notification {
        Notification::from_subcode(state_subcode, Vec::new())
    }

    /// Cease (RFC 4486). For Administrative Shutdown and Administrative Reset, `shutdown_text` becomes
    /// the Shutdown Communication (RFC 9003 §2): a length octet and UTF-8, at most 255 octets, cut on a
    /// character boundary. Other subcodes carry no data.
    pub fn cease(subcode: CeaseSubcode, shutdown_text: Option<&str>) -> Notification {
        let data = match (subcode, shutdown_text) {
            (
                CeaseSubcode::AdministrativeShutdown | CeaseSubcode::AdministrativeReset,
                Some(text),
            ) => {
                let text = truncate_on_char(text, MAX_SHUTDOWN_TEXT_LEN);
                let mut data = Vec::with_capacity(text.len() + 1);
                data.push(super::wire::len_u8(text.len()));
                data.extend_from_slice(text.as_bytes());
                data
            }
            _ => Vec::new(),
        };
        Notification::from_subcode(subcode, data)
    }

    /// The Shutdown Communication of a Cease / Administrative Shutdown or Reset (RFC 9003 §2), when the
    /// data holds a well-formed one (length within the data, valid UTF-8). An empty text is `None`.
    pub fn shutdown_text(&self) -> Option<String> {
        let admin = [
            CeaseSubcode::AdministrativeShutdown,
            CeaseSubcode::AdministrativeReset,
        ]
        .iter()
        .any(|s| s.code() == self.subcode);
        if self.code != ErrorCode::Cease.code() || !admin {
            return None;
        }
        let (&len, rest) = self.data.split_first()?;
        let text = rest.get(..usize::from(len))?;
        match std::str::from_utf8(text) {
            Ok(text) if !text.is_empty() => Some(text.to_owned()),
            _ => None,
        }
    }

    /// The error code, when registered.
    pub fn error_code(&self) -> Option<ErrorCode> {
        ErrorCode::from_code(self.code)
    }

    pub(crate) fn decode_body(body: &[u8]) -> Notification {
        match body {
            [code, subcode, data @ ..] => Notification {
                code: *code,
                subcode: *subcode,
                data: data.to_vec(),
            },
            // The header check guarantees two octets; an empty body is kept as code 0.
            [code] => Notification {
                code: *code,
                subcode: 0,
                data: Vec::new(),
            },
            [] => Notification {
                code: 0,
                subcode: 0,
                data: Vec::new(),
            },
        }
    }

    pub(crate) fn body_len(&self) -> usize {
        2 + self.data.len()
    }

    pub(crate) fn encode_body(&self, out: &mut BytesMut) {
        out.put_u8(self.code);
        out.put_u8(self.subcode);
        out.put_slice(&self.data);
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends on a character boundary.
fn truncate_on_char(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(..end).unwrap_or("")
}

impl fmt::Display for Notification {
    /// `Cease / Administrative Shutdown: "maintenance"`, `UPDATE Message Error / Malformed AS_PATH`,
    /// `code 9 / subcode 1 (data 0a0b)` for unregistered values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match ErrorCode::from_code(self.code) {
            Some(code) => f.write_str(code.name())?,
            None => write!(f, "code {}", self.code)?,
        }
        match iana::subcode_name(self.code, self.subcode) {
            Some(name) => write!(f, " / {name}")?,
            None if self.subcode == 0 => {}
            None => write!(f, " / subcode {}", self.subcode)?,
        }
        if let Some(text) = self.shutdown_text() {
            return write!(f, ": {text:?}");
        }
        if !self.data.is_empty() {
            f.write_str(" (data ")?;
            for b in &self.data {
                write!(f, "{b:02x}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}
