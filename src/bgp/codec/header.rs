//! The fixed message header (RFC 4271 §4.1) and stream framing: marker, length and type checks of
//! RFC 4271 §6.1. No I/O: the caller owns the buffer.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +                                                               +
//! |                           Marker (16 x 0xff)                  |
//! +                                                               +
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Length               |      Type     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```

use bytes::{BufMut, BytesMut};

use super::error::HeaderError;
use super::iana::MessageType;
use super::wire::len_u16;

/// Largest BGP message (RFC 4271 §4.1); RFC 8654 extended messages are not negotiated.
pub const MAX_MESSAGE_LEN: usize = 4096;

/// Size of the fixed header (RFC 4271 §4.1).
pub const HEADER_LEN: usize = 19;

/// The all-ones marker (RFC 4271 §4.1).
pub const MARKER: [u8; 16] = [0xff; 16];

/// Smallest OPEN (RFC 4271 §4.2).
pub const MIN_OPEN_LEN: usize = 29;
/// Smallest UPDATE (RFC 4271 §4.3).
pub const MIN_UPDATE_LEN: usize = 23;
/// Smallest NOTIFICATION (RFC 4271 §4.5).
pub const MIN_NOTIFICATION_LEN: usize = 21;
/// The one KEEPALIVE length (RFC 4271 §4.4).
pub const KEEPALIVE_LEN: usize = 19;
/// The one ROUTE-REFRESH length (RFC 2918 §3).
pub const ROUTE_REFRESH_LEN: usize = 23;

/// Length of the first complete message in `buf`, `Ok(None)` until it has all arrived.
///
/// Checks the marker (as far as it has arrived) and that the Length field lies in
/// `HEADER_LEN..=MAX_MESSAGE_LEN` (RFC 4271 §6.1), so a reader can frame a TCP stream with it alone.
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, HeaderError> {
    let marker_seen = buf.get(..MARKER.len()).unwrap_or(buf);
    if marker_seen.iter().any(|&b| b != 0xff) {
        return Err(HeaderError::ConnectionNotSynchronized);
    }
    let (Some(&hi), Some(&lo)) = (buf.get(16), buf.get(17)) else {
        return Ok(None);
    };
    let length = u16::from_be_bytes([hi, lo]);
    let len = usize::from(length);
    if !(HEADER_LEN..=MAX_MESSAGE_LEN).contains(&len) {
        return Err(HeaderError::BadLength(length));
    }
    Ok((buf.len() >= len).then_some(len))
}

/// Checks a whole frame's header and returns its type and body (RFC 4271 §6.1).
pub(crate) fn split(frame: &[u8]) -> Result<(u8, &[u8]), HeaderError> {
    let Some(len) = frame_len(frame)? else {
        let length = frame
            .get(16..18)
            .and_then(|b| <[u8; 2]>::try_from(b).ok())
            .map_or(len_u16(frame.len()), u16::from_be_bytes);
        return Err(HeaderError::BadLength(length));
    };
    if len != frame.len() {
        return Err(HeaderError::BadLength(len_u16(len)));
    }
    let (Some(&kind), Some(body)) = (frame.get(18), frame.get(HEADER_LEN..)) else {
        return Err(HeaderError::BadLength(len_u16(len)));
    };
    let min_max = match MessageType::from_code(kind) {
        Some(MessageType::Open) => (MIN_OPEN_LEN, MAX_MESSAGE_LEN),
        Some(MessageType::Update) => (MIN_UPDATE_LEN, MAX_MESSAGE_LEN),
        Some(MessageType::Notification) => (MIN_NOTIFICATION_LEN, MAX_MESSAGE_LEN),
        Some(MessageType::Keepalive) => (KEEPALIVE_LEN, KEEPALIVE_LEN),
        // A ROUTE-REFRESH of the wrong length is a ROUTE-REFRESH error (RFC 7313 §5), checked later.
        Some(MessageType::RouteRefresh) => (HEADER_LEN, MAX_MESSAGE_LEN),
        None => return Err(HeaderError::BadType(kind)),
    };
    if len < min_max.0 || len > min_max.1 {
        return Err(HeaderError::BadLength(len_u16(len)));
    }
    Ok((kind, body))
}

/// Writes a header for a message whose body is `body_len` octets long.
pub(crate) fn put(out: &mut BytesMut, kind: MessageType, body_len: usize) {
    out.put_slice(&MARKER);
    out.put_u16(len_u16(HEADER_LEN + body_len));
    out.put_u8(kind.code());
}
