//! BGP-4 messages on the wire (RFC 4271 §4). Bytes in, [`Message`] out, and back: no I/O, no clock, no
//! logging, no panic on any input (`tests/core/codec` runs `frame_len` and `Message::decode` on
//! arbitrary and mutated bytes).
//!
//! - [`frame_len`] frames a byte stream (RFC 4271 §6.1 marker and length checks);
//! - [`Message::decode`] reads one frame with the facts negotiated in OPEN ([`DecodeContext`]) and
//!   reports a typed [`DecodeError`], which maps to its NOTIFICATION ([`DecodeError::notification`])
//!   and to the RFC 7606 action ([`DecodeError::action`]);
//! - [`Message::encode`] writes one message; [`Message::encoded_len`] says how long it will be.
//!
//! Layout: `header` (framing), `open` and `capability` (OPEN), `update` (UPDATE), `attribute`
//! (path attributes), `nlri` (prefixes), `notification` (NOTIFICATION builders and Display), `iana` (one enum per IANA
//! registry), `error` (decode errors and their NOTIFICATIONs).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

mod attribute;
mod capability;
mod error;
mod header;
pub mod iana;
mod nlri;
mod notification;
mod open;
mod update;
mod wire;

use std::fmt;

use bytes::{BufMut, BytesMut};

pub use attribute::AS_TRANS;
pub use error::{
    DecodeError, ErrorAction, HeaderError, OpenError, RawAttribute, RouteRefreshError, UpdateError,
};
pub use header::{HEADER_LEN, MARKER, MAX_MESSAGE_LEN, frame_len};
pub use iana::{
    AttributeType, CapabilityCode, CeaseSubcode, ErrorCode, FsmSubcode, HeaderSubcode, MessageType,
    OpenSubcode, RouteRefreshSubcode, Subcode, UpdateSubcode,
};
pub use notification::MAX_SHUTDOWN_TEXT_LEN;
pub use open::BGP_VERSION;
pub use wire::{FLAG_EXTENDED_LENGTH, FLAG_OPTIONAL, FLAG_PARTIAL, FLAG_TRANSITIVE};

use std::net::{IpAddr, Ipv4Addr};

use crate::bgp::types::Prefix;

/// Address Family Identifier (RFC 4760 §3, IANA "Address Family Numbers").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Afi {
    /// 1
    Ipv4,
    /// 2
    Ipv6,
    /// Any other value, kept for capabilities we do not use.
    Other(u16),
}

/// Subsequent Address Family Identifier (RFC 4760 §6, IANA "SAFI Values").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Safi {
    /// 1
    Unicast,
    /// Any other value.
    Other(u8),
}

/// One BGP message (RFC 4271 §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Type 1 (RFC 4271 §4.2).
    Open(Open),
    /// Type 2 (RFC 4271 §4.3).
    Update(Update),
    /// Type 3 (RFC 4271 §4.5).
    Notification(Notification),
    /// Type 4 (RFC 4271 §4.4).
    Keepalive,
    /// Type 5 (RFC 2918).
    RouteRefresh(RouteRefresh),
}

/// OPEN (RFC 4271 §4.2), with capabilities (RFC 5492).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Open {
    /// Always 4.
    pub version: u8,
    /// The 2-octet "My Autonomous System" field (AS_TRANS when the real AS needs 4 octets).
    pub my_as: u16,
    /// Proposed hold time in seconds.
    pub hold_time: u16,
    /// BGP Identifier.
    pub router_id: Ipv4Addr,
    /// Capabilities from every Capabilities optional parameter, in order.
    pub capabilities: Vec<Capability>,
}

impl Open {
    /// The sender's real AS: the 4-octet AS capability when present, else `my_as`.
    pub fn asn(&self) -> u32 {
        self.capabilities
            .iter()
            .find_map(|c| match c {
                Capability::FourOctetAs(asn) => Some(*asn),
                _ => None,
            })
            .unwrap_or(u32::from(self.my_as))
    }
}

/// One capability (RFC 5492), known ones decoded, the rest kept opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Capability {
    /// Code 1 (RFC 4760).
    MultiProtocol(Afi, Safi),
    /// Code 2 (RFC 2918).
    RouteRefresh,
    /// Code 64 (RFC 4724).
    GracefulRestart(GracefulRestartCapability),
    /// Code 65 (RFC 6793).
    FourOctetAs(u32),
    /// Code 70 (RFC 7313).
    EnhancedRouteRefresh,
    /// Any other code, value kept as received.
    Unknown {
        /// Capability code.
        code: u8,
        /// Capability value.
        value: Vec<u8>,
    },
}

/// The Graceful Restart capability's value (RFC 4724 §3, N-bit from RFC 8538).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GracefulRestartCapability {
    /// R bit: the sender has restarted.
    pub restarting: bool,
    /// N bit (RFC 8538): the sender supports Graceful Notification.
    pub notification: bool,
    /// Restart Time in seconds (12 bits).
    pub restart_time: u16,
    /// Families whose forwarding state the sender keeps, with their F bit.
    pub families: Vec<(Afi, Safi, bool)>,
}

/// UPDATE (RFC 4271 §4.3), with MP_REACH/MP_UNREACH as attributes (RFC 4760).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Update {
    /// Withdrawn Routes field (IPv4 only).
    pub withdrawn: Vec<Prefix>,
    /// Path attributes, in order.
    pub attributes: Vec<PathAttribute>,
    /// NLRI field (IPv4 only).
    pub nlri: Vec<Prefix>,
}

/// A path attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathAttribute {
    /// Type 1 (RFC 4271 §5.1.1).
    Origin(Origin),
    /// Type 2 (RFC 4271 §5.1.2); segments carry 4-octet numbers once decoded (2-octet on the wire towards old peers).
    AsPath(Vec<AsPathSegment>),
    /// Type 3 (RFC 4271 §5.1.3).
    NextHop(Ipv4Addr),
    /// Type 4 (RFC 4271 §5.1.4).
    MultiExitDisc(u32),
    /// Type 5 (RFC 4271 §5.1.5).
    LocalPref(u32),
    /// Type 8 (RFC 1997).
    Communities(Vec<u32>),
    /// Type 14 (RFC 4760).
    MpReach(MpReach),
    /// Type 15 (RFC 4760).
    MpUnreach(MpUnreach),
    /// Type 17 (RFC 6793): sent to 2-octet peers when the path has 4-octet numbers.
    As4Path(Vec<AsPathSegment>),
    /// Type 32 (RFC 8092).
    LargeCommunities(Vec<LargeCommunity>),
    /// Any other attribute, kept as received.
    Unknown {
        /// Flags octet as received.
        flags: u8,
        /// Type code.
        code: u8,
        /// Value.
        value: Vec<u8>,
    },
}

/// ORIGIN values (RFC 4271 §4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// 0
    Igp,
    /// 1
    Egp,
    /// 2
    Incomplete,
}

/// One AS_PATH segment (RFC 4271 §4.3); confederation segments (RFC 5065) are not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AsPathSegment {
    /// Type 1.
    Set(Vec<u32>),
    /// Type 2.
    Sequence(Vec<u32>),
}

/// A large community (RFC 8092).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LargeCommunity {
    /// Global Administrator.
    pub global: u32,
    /// Local Data Part 1.
    pub local1: u32,
    /// Local Data Part 2.
    pub local2: u32,
}

/// MP_REACH_NLRI (RFC 4760 §3), for IPv4 and IPv6 unicast; other families stay
/// [`PathAttribute::Unknown`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpReach {
    /// Address family.
    pub afi: Afi,
    /// Subsequent address family.
    pub safi: Safi,
    /// Next hops (one global, optionally a link-local second for IPv6).
    pub next_hops: Vec<IpAddr>,
    /// Reachable prefixes.
    pub nlri: Vec<Prefix>,
}

/// MP_UNREACH_NLRI (RFC 4760 §4); other families stay [`PathAttribute::Unknown`] unless empty
/// (an End-of-RIB, RFC 4724 §2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpUnreach {
    /// Address family.
    pub afi: Afi,
    /// Subsequent address family.
    pub safi: Safi,
    /// Withdrawn prefixes.
    pub withdrawn: Vec<Prefix>,
}

/// NOTIFICATION (RFC 4271 §4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    /// Error code.
    pub code: u8,
    /// Error subcode.
    pub subcode: u8,
    /// Data.
    pub data: Vec<u8>,
}

/// ROUTE-REFRESH (RFC 2918).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteRefresh {
    /// Address family.
    pub afi: Afi,
    /// Subsequent address family.
    pub safi: Safi,
}

/// Facts negotiated in OPEN that change how messages are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DecodeContext {
    /// Both sides sent the 4-octet AS capability: AS_PATH numbers are 4 octets.
    pub four_octet_as: bool,
}

/// Facts negotiated in OPEN that change how messages are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EncodeContext {
    /// Both sides sent the 4-octet AS capability: AS_PATH numbers are 4 octets.
    pub four_octet_as: bool,
}

/// The kind of a message, for labels and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MessageKind {
    /// OPEN.
    Open,
    /// UPDATE.
    Update,
    /// NOTIFICATION.
    Notification,
    /// KEEPALIVE.
    Keepalive,
    /// ROUTE-REFRESH.
    RouteRefresh,
}

impl MessageKind {
    /// A metric label: `open`, `update`, `notification`, `keepalive`, `route_refresh`.
    pub const fn label(self) -> &'static str {
        match self {
            MessageKind::Open => "open",
            MessageKind::Update => "update",
            MessageKind::Notification => "notification",
            MessageKind::Keepalive => "keepalive",
            MessageKind::RouteRefresh => "route_refresh",
        }
    }

    /// The Type field (RFC 4271 §4.1).
    pub const fn message_type(self) -> MessageType {
        match self {
            MessageKind::Open => MessageType::Open,
            MessageKind::Update => MessageType::Update,
            MessageKind::Notification => MessageType::Notification,
            MessageKind::Keepalive => MessageType::Keepalive,
            MessageKind::RouteRefresh => MessageType::RouteRefresh,
        }
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl Message {
    /// Decodes one framed message (as delimited by [`frame_len`]); `cx` carries negotiated facts such
    /// as 4-octet AS. Never panics.
    pub fn decode(frame: &[u8], cx: &DecodeContext) -> Result<Message, DecodeError> {
        let (kind, body) = header::split(frame)?;
        let message = match MessageType::from_code(kind) {
            Some(MessageType::Open) => Message::Open(Open::decode_body(body)?),
            Some(MessageType::Update) => Message::Update(Update::decode_body(body, cx)?),
            Some(MessageType::Notification) => {
                Message::Notification(Notification::decode_body(body))
            }
            Some(MessageType::Keepalive) => Message::Keepalive,
            Some(MessageType::RouteRefresh) => Message::RouteRefresh(
                RouteRefresh::decode_body(body)
                    .ok_or_else(|| RouteRefreshError::InvalidLength(frame.to_vec()))?,
            ),
            None => return Err(HeaderError::BadType(kind).into()),
        };
        Ok(message)
    }

    /// Appends the wire form to `out`. It cannot fail; the caller keeps a message within
    /// [`MAX_MESSAGE_LEN`] (see [`Message::encoded_len`]). Values a field cannot carry are left out:
    /// IPv6 prefixes in the classic UPDATE fields, prefixes of another family in MP_REACH_NLRI and
    /// MP_UNREACH_NLRI, capability values past 255 octets.
    pub fn encode(&self, cx: &EncodeContext, out: &mut BytesMut) {
        let body_len = self.body_len(cx);
        out.reserve(HEADER_LEN + body_len);
        header::put(out, self.kind().message_type(), body_len);
        match self {
            Message::Open(open) => open.encode_body(out),
            Message::Update(update) => update.encode_body(cx, out),
            Message::Notification(notification) => notification.encode_body(out),
            Message::Keepalive => {}
            Message::RouteRefresh(refresh) => refresh.encode_body(out),
        }
    }

    /// The number of octets [`Message::encode`] appends.
    pub fn encoded_len(&self, cx: &EncodeContext) -> usize {
        HEADER_LEN + self.body_len(cx)
    }

    /// The message's kind.
    pub fn kind(&self) -> MessageKind {
        match self {
            Message::Open(_) => MessageKind::Open,
            Message::Update(_) => MessageKind::Update,
            Message::Notification(_) => MessageKind::Notification,
            Message::Keepalive => MessageKind::Keepalive,
            Message::RouteRefresh(_) => MessageKind::RouteRefresh,
        }
    }

    fn body_len(&self, cx: &EncodeContext) -> usize {
        match self {
            Message::Open(open) => open.body_len(),
            Message::Update(update) => update.body_len(cx),
            Message::Notification(notification) => notification.body_len(),
            Message::Keepalive => 0,
            Message::RouteRefresh(_) => header::ROUTE_REFRESH_LEN - HEADER_LEN,
        }
    }
}

impl RouteRefresh {
    /// AFI, Reserved (the RFC 7313 Message Subtype, ignored here), SAFI (RFC 2918 §3).
    fn decode_body(body: &[u8]) -> Option<RouteRefresh> {
        match body {
            [a, b, _subtype, safi] => Some(RouteRefresh {
                afi: Afi::from(u16::from_be_bytes([*a, *b])),
                safi: Safi::from(*safi),
            }),
            _ => None,
        }
    }

    fn encode_body(&self, out: &mut BytesMut) {
        out.put_u16(self.afi.into());
        out.put_u8(0);
        out.put_u8(self.safi.into());
    }
}

impl DecodeContext {
    /// The context after both OPENs: 4-octet AS numbers when both sides sent the capability
    /// (RFC 6793 §4).
    pub fn negotiated(local: &Open, remote: &Open) -> DecodeContext {
        DecodeContext {
            four_octet_as: both_four_octet(local, remote),
        }
    }
}

impl EncodeContext {
    /// The context after both OPENs: 4-octet AS numbers when both sides sent the capability
    /// (RFC 6793 §4).
    pub fn negotiated(local: &Open, remote: &Open) -> EncodeContext {
        EncodeContext {
            four_octet_as: both_four_octet(local, remote),
        }
    }
}

fn both_four_octet(local: &Open, remote: &Open) -> bool {
    let has = |o: &Open| {
        o.capabilities
            .iter()
            .any(|c| matches!(c, Capability::FourOctetAs(_)))
    };
    has(local) && has(remote)
}
