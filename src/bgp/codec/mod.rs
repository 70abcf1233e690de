//! BGP-4 messages on the wire (RFC 4271 §4). Bytes in, [`Message`] out, and back: no I/O, no clock, no
//! logging, no panic on any input.
//!
//! CONTRACT NOTE (to be replaced by the real module docs): the public types below are shared with the
//! FSM and the actors. Their names and shapes are fixed; the codec adds encode/decode, error types and
//! helpers around them, and may add variants or fields where the RFCs need them.

use std::net::{IpAddr, Ipv4Addr};

use crate::bgp::types::Prefix;

/// Address Family Identifier (IANA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Afi {
    /// 1
    Ipv4,
    /// 2
    Ipv6,
    /// Any other value, kept for capabilities we do not use.
    Other(u16),
}

/// Subsequent Address Family Identifier (IANA).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Safi {
    /// 1
    Unicast,
    /// Any other value.
    Other(u8),
}

/// One BGP message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Type 1.
    Open(Open),
    /// Type 2.
    Update(Update),
    /// Type 3.
    Notification(Notification),
    /// Type 4.
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
    /// Type 1.
    Origin(Origin),
    /// Type 2; segments carry 4-octet numbers once decoded (2-octet on the wire towards old peers).
    AsPath(Vec<AsPathSegment>),
    /// Type 3.
    NextHop(Ipv4Addr),
    /// Type 4.
    MultiExitDisc(u32),
    /// Type 5.
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

/// ORIGIN values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// 0
    Igp,
    /// 1
    Egp,
    /// 2
    Incomplete,
}

/// One AS_PATH segment.
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

/// MP_REACH_NLRI.
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

/// MP_UNREACH_NLRI.
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
