//! Capabilities advertised in OPEN (RFC 5492): Multiprotocol (RFC 4760), Route Refresh (RFC 2918),
//! Graceful Restart (RFC 4724, N bit from RFC 8538), 4-octet AS (RFC 6793), Enhanced Route Refresh
//! (RFC 7313); any other kept opaque. No I/O.
//!
//! ```text
//! +------------------------------+
//! | Capability Code (1 octet)    |
//! +------------------------------+
//! | Capability Length (1 octet)  |
//! +------------------------------+
//! | Capability Value (variable)  |
//! ~                              ~
//! +------------------------------+
//! ```

use bytes::{BufMut, BytesMut};

use super::error::OpenError;
use super::iana::CapabilityCode;
use super::wire::{Reader, len_u8};
use super::{Afi, Capability, GracefulRestartCapability, Safi};

/// Largest capability value: the length is one octet (RFC 5492 §4).
const MAX_VALUE_LEN: usize = 255;
/// Graceful Restart families that fit in one capability value (RFC 4724 §3).
const MAX_GR_FAMILIES: usize = (MAX_VALUE_LEN - 2) / 4;
/// Restart State (R) bit (RFC 4724 §3).
const GR_RESTARTING: u16 = 0x8000;
/// Graceful Notification (N) bit (RFC 8538 §2).
const GR_NOTIFICATION: u16 = 0x4000;
/// Restart Time mask: 12 bits (RFC 4724 §3).
const GR_TIME_MASK: u16 = 0x0fff;
/// Forwarding State (F) bit of an AFI/SAFI entry (RFC 4724 §3).
const GR_FORWARDING: u8 = 0x80;

impl From<u16> for Afi {
    fn from(value: u16) -> Afi {
        match value {
            1 => Afi::Ipv4,
            2 => Afi::Ipv6,
            other => Afi::Other(other),
        }
    }
}

impl From<Afi> for u16 {
    fn from(afi: Afi) -> u16 {
        match afi {
            Afi::Ipv4 => 1,
            Afi::Ipv6 => 2,
            Afi::Other(other) => other,
        }
    }
}

impl From<u8> for Safi {
    fn from(value: u8) -> Safi {
        match value {
            1 => Safi::Unicast,
            other => Safi::Other(other),
        }
    }
}

impl From<Safi> for u8 {
    fn from(safi: Safi) -> u8 {
        match safi {
            Safi::Unicast => 1,
            Safi::Other(other) => other,
        }
    }
}

impl Capability {
    /// The capability code (RFC 5492 §4).
    pub fn code(&self) -> u8 {
        match self {
            Capability::MultiProtocol(..) => CapabilityCode::MultiProtocol.code(),
            Capability::RouteRefresh => CapabilityCode::RouteRefresh.code(),
            Capability::GracefulRestart(_) => CapabilityCode::GracefulRestart.code(),
            Capability::FourOctetAs(_) => CapabilityCode::FourOctetAs.code(),
            Capability::EnhancedRouteRefresh => CapabilityCode::EnhancedRouteRefresh.code(),
            Capability::Unknown { code, .. } => *code,
        }
    }

    /// Length of the value on the wire (values past 255 octets are cut when encoding).
    pub(crate) fn value_len(&self) -> usize {
        match self {
            Capability::MultiProtocol(..) | Capability::FourOctetAs(_) => 4,
            Capability::RouteRefresh | Capability::EnhancedRouteRefresh => 0,
            Capability::GracefulRestart(gr) => 2 + 4 * gr.families.len().min(MAX_GR_FAMILIES),
            Capability::Unknown { value, .. } => value.len().min(MAX_VALUE_LEN),
        }
    }

    /// Length of code, length and value on the wire.
    pub(crate) fn wire_len(&self) -> usize {
        2 + self.value_len()
    }

    pub(crate) fn encode(&self, out: &mut BytesMut) {
        out.put_u8(self.code());
        out.put_u8(len_u8(self.value_len()));
        match self {
            Capability::MultiProtocol(afi, safi) => {
                out.put_u16((*afi).into());
                out.put_u8(0);
                out.put_u8((*safi).into());
            }
            Capability::RouteRefresh | Capability::EnhancedRouteRefresh => {}
            Capability::GracefulRestart(gr) => {
                let mut word = gr.restart_time & GR_TIME_MASK;
                if gr.restarting {
                    word |= GR_RESTARTING;
                }
                if gr.notification {
                    word |= GR_NOTIFICATION;
                }
                out.put_u16(word);
                for (afi, safi, forwarding) in gr.families.iter().take(MAX_GR_FAMILIES) {
                    out.put_u16((*afi).into());
                    out.put_u8((*safi).into());
                    out.put_u8(if *forwarding { GR_FORWARDING } else { 0 });
                }
            }
            Capability::FourOctetAs(asn) => out.put_u32(*asn),
            Capability::Unknown { value, .. } => {
                out.put_slice(value.get(..MAX_VALUE_LEN).unwrap_or(value));
            }
        }
    }

    /// Decodes one capability value.
    pub(crate) fn decode(code: u8, value: &[u8]) -> Result<Capability, OpenError> {
        let malformed = || OpenError::MalformedCapability {
            code,
            length: len_u8(value.len()),
        };
        let mut r = Reader::new(value);
        let capability = match CapabilityCode::from_code(code) {
            Some(CapabilityCode::MultiProtocol) => {
                let (Some(afi), Some(_reserved), Some(safi)) = (r.u16(), r.u8(), r.u8()) else {
                    return Err(malformed());
                };
                Capability::MultiProtocol(afi.into(), safi.into())
            }
            Some(CapabilityCode::RouteRefresh) => Capability::RouteRefresh,
            Some(CapabilityCode::EnhancedRouteRefresh) => Capability::EnhancedRouteRefresh,
            Some(CapabilityCode::FourOctetAs) => {
                Capability::FourOctetAs(r.u32().ok_or_else(malformed)?)
            }
            Some(CapabilityCode::GracefulRestart) => {
                let word = r.u16().ok_or_else(malformed)?;
                if r.remaining() % 4 != 0 {
                    return Err(malformed());
                }
                let mut families = Vec::with_capacity(r.remaining() / 4);
                while let (Some(afi), Some(safi), Some(flags)) = (r.u16(), r.u8(), r.u8()) {
                    families.push((afi.into(), safi.into(), flags & GR_FORWARDING != 0));
                }
                Capability::GracefulRestart(GracefulRestartCapability {
                    restarting: word & GR_RESTARTING != 0,
                    notification: word & GR_NOTIFICATION != 0,
                    restart_time: word & GR_TIME_MASK,
                    families,
                })
            }
            Some(
                CapabilityCode::ExtendedNextHop
                | CapabilityCode::ExtendedMessage
                | CapabilityCode::Role
                | CapabilityCode::AddPath
                | CapabilityCode::LongLivedGracefulRestart
                | CapabilityCode::Fqdn,
            )
            | None => {
                return Ok(Capability::Unknown {
                    code,
                    value: value.to_vec(),
                });
            }
        };
        if r.is_empty() {
            Ok(capability)
        } else {
            Err(malformed())
        }
    }
}
