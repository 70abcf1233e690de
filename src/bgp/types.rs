//! Small value types shared by the codec, the FSM and the configuration.

use std::fmt;
use std::net::IpAddr;

pub use ipnetwork::{IpNetwork, Ipv4Network, Ipv6Network};

/// An Autonomous System number (RFC 6793: 4 octets). Zero is never valid on the wire or in config.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Asn(u32);

impl Asn {
    /// AS_TRANS (RFC 6793 §9): the 2-octet stand-in for a 4-octet AS number.
    pub const TRANS: Asn = Asn(23456);

    /// `None` for 0.
    pub const fn new(value: u32) -> Option<Asn> {
        if value == 0 { None } else { Some(Asn(value)) }
    }

    /// The number.
    pub const fn get(self) -> u32 {
        self.0
    }

    /// The value for the 2-octet "My Autonomous System" field of OPEN: itself, or AS_TRANS.
    pub fn as_u16_or_trans(self) -> u16 {
        u16::try_from(self.0).unwrap_or(23456)
    }
}

impl fmt::Display for Asn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A BGP hold time in seconds: 0 (no keepalives) or 3..=65535 (RFC 4271 §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HoldTime(u16);

impl HoldTime {
    /// `None` for 1 and 2, which RFC 4271 forbids.
    pub const fn new(seconds: u16) -> Option<HoldTime> {
        if seconds == 1 || seconds == 2 {
            None
        } else {
            Some(HoldTime(seconds))
        }
    }

    /// Seconds.
    pub const fn seconds(self) -> u16 {
        self.0
    }
}

impl Default for HoldTime {
    fn default() -> Self {
        HoldTime(90)
    }
}

/// An IP prefix with its host bits cleared (`10.0.0.1/24` is stored as `10.0.0.0/24`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Prefix(IpNetwork);

impl Prefix {
    /// Clears host bits.
    pub fn new(network: IpNetwork) -> Prefix {
        let normalized = match network {
            IpNetwork::V4(n) => Ipv4Network::new(n.network(), n.prefix()).map(IpNetwork::V4),
            IpNetwork::V6(n) => Ipv6Network::new(n.network(), n.prefix()).map(IpNetwork::V6),
        };
        // `new` only fails on a prefix length the source network already passed.
        Prefix(normalized.unwrap_or(network))
    }

    /// The network.
    pub fn network(self) -> IpNetwork {
        self.0
    }

    /// The address part.
    pub fn addr(self) -> IpAddr {
        self.0.network()
    }

    /// The prefix length.
    pub fn prefix_len(self) -> u8 {
        self.0.prefix()
    }

    /// True for an IPv4 prefix.
    pub fn is_ipv4(self) -> bool {
        self.0.is_ipv4()
    }

    /// True when the given network had host bits set (so `new` changed it).
    pub fn had_host_bits(network: IpNetwork) -> bool {
        Prefix::new(network).0 != network
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.0.network(), self.0.prefix())
    }
}

impl std::str::FromStr for Prefix {
    type Err = ipnetwork::IpNetworkError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        text.parse::<IpNetwork>().map(Prefix::new)
    }
}
