//! Path attributes (RFC 4271 §4.3 and §5, RFC 1997, RFC 4760, RFC 6793, RFC 8092): flags, type code,
//! length and value, with the per-attribute checks of RFC 4271 §6.3 and RFC 7606 §7. No I/O.
//!
//! ```text
//!  0                   1
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Attr. Flags  |Attr. Type Code|    flags: O T P E 0 0 0 0
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Attr. Length (1 or 2 octets) |    2 octets when E (Extended Length) is set
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Attr. Value (variable)  ...
//! ```

use std::net::{IpAddr, Ipv4Addr};

use bytes::{BufMut, BytesMut};

use super::error::{RawAttribute, UpdateError};
use super::iana::AttributeType;
use super::nlri::{decode_prefixes, prefixes_len, put_prefixes};
use super::wire::{
    FLAG_EXTENDED_LENGTH, FLAG_OPTIONAL, FLAG_PARTIAL, FLAG_TRANSITIVE, Reader, len_u8, len_u16,
};
use super::{
    Afi, AsPathSegment, DecodeContext, EncodeContext, LargeCommunity, MpReach, MpUnreach, Origin,
    PathAttribute, Safi,
};

/// AS_TRANS (RFC 6793 §9).
pub const AS_TRANS: u16 = 23456;
/// AS_SET segment type (RFC 4271 §4.3).
const SEGMENT_SET: u8 = 1;
/// AS_SEQUENCE segment type (RFC 4271 §4.3).
const SEGMENT_SEQUENCE: u8 = 2;
/// Most AS numbers in one segment (1-octet count).
const MAX_SEGMENT_ASNS: usize = 255;

const WELL_KNOWN: u8 = FLAG_TRANSITIVE;
const OPTIONAL_NON_TRANSITIVE: u8 = FLAG_OPTIONAL;
const OPTIONAL_TRANSITIVE: u8 = FLAG_OPTIONAL | FLAG_TRANSITIVE;

impl Origin {
    /// The ORIGIN value (RFC 4271 §5.1.1).
    pub fn code(self) -> u8 {
        match self {
            Origin::Igp => 0,
            Origin::Egp => 1,
            Origin::Incomplete => 2,
        }
    }
}

impl AsPathSegment {
    /// The AS numbers of the segment.
    pub fn asns(&self) -> &[u32] {
        match self {
            AsPathSegment::Set(asns) | AsPathSegment::Sequence(asns) => asns,
        }
    }

    fn kind(&self) -> u8 {
        match self {
            AsPathSegment::Set(_) => SEGMENT_SET,
            AsPathSegment::Sequence(_) => SEGMENT_SEQUENCE,
        }
    }
}

impl PathAttribute {
    /// The attribute type code (RFC 4271 §4.3).
    pub fn code(&self) -> u8 {
        let kind = match self {
            PathAttribute::Origin(_) => AttributeType::Origin,
            PathAttribute::AsPath(_) => AttributeType::AsPath,
            PathAttribute::NextHop(_) => AttributeType::NextHop,
            PathAttribute::MultiExitDisc(_) => AttributeType::MultiExitDisc,
            PathAttribute::LocalPref(_) => AttributeType::LocalPref,
            PathAttribute::Communities(_) => AttributeType::Communities,
            PathAttribute::MpReach(_) => AttributeType::MpReachNlri,
            PathAttribute::MpUnreach(_) => AttributeType::MpUnreachNlri,
            PathAttribute::As4Path(_) => AttributeType::As4Path,
            PathAttribute::LargeCommunities(_) => AttributeType::LargeCommunity,
            PathAttribute::Unknown { code, .. } => return *code,
        };
        kind.code()
    }

    /// The flags sent with the attribute, before the Extended Length bit (RFC 4271 §5).
    fn base_flags(&self) -> u8 {
        match self {
            PathAttribute::Origin(_)
            | PathAttribute::AsPath(_)
            | PathAttribute::NextHop(_)
            | PathAttribute::LocalPref(_) => WELL_KNOWN,
            PathAttribute::MultiExitDisc(_)
            | PathAttribute::MpReach(_)
            | PathAttribute::MpUnreach(_) => OPTIONAL_NON_TRANSITIVE,
            PathAttribute::Communities(_)
            | PathAttribute::As4Path(_)
            | PathAttribute::LargeCommunities(_) => OPTIONAL_TRANSITIVE,
            PathAttribute::Unknown { flags, .. } => *flags,
        }
    }

    fn value_len(&self, cx: &EncodeContext) -> usize {
        match self {
            PathAttribute::Origin(_) => 1,
            PathAttribute::AsPath(segments) => as_path_len(segments, as_width(cx.four_octet_as)),
            PathAttribute::As4Path(segments) => as_path_len(segments, 4),
            PathAttribute::NextHop(_)
            | PathAttribute::MultiExitDisc(_)
            | PathAttribute::LocalPref(_) => 4,
            PathAttribute::Communities(c) => 4 * c.len(),
            PathAttribute::LargeCommunities(c) => 12 * c.len(),
            PathAttribute::MpReach(mp) => {
                let next_hops: usize = mp.next_hops.iter().map(|a| address_len(*a)).sum();
                5 + next_hops + prefixes_len(&mp.nlri, mp.afi)
            }
            PathAttribute::MpUnreach(mp) => 3 + prefixes_len(&mp.withdrawn, mp.afi),
            PathAttribute::Unknown { value, .. } => value.len(),
        }
    }

    pub(crate) fn wire_len(&self, cx: &EncodeContext) -> usize {
        let value = self.value_len(cx);
        value + if self.extended(value) { 4 } else { 3 }
    }

    fn extended(&self, value_len: usize) -> bool {
        value_len > 255 || self.base_flags() & FLAG_EXTENDED_LENGTH != 0
    }

    pub(crate) fn encode(&self, cx: &EncodeContext, out: &mut BytesMut) {
        let len = self.value_len(cx);
        let extended = self.extended(len);
        let flags = if extended {
            self.base_flags() | FLAG_EXTENDED_LENGTH
        } else {
            self.base_flags()
        };
        out.put_u8(flags);
        out.put_u8(self.code());
        if extended {
            out.put_u16(len_u16(len));
        } else {
            out.put_u8(len_u8(len));
        }
        match self {
            PathAttribute::Origin(origin) => out.put_u8(origin.code()),
            PathAttribute::AsPath(segments) => {
                put_as_path(segments, as_width(cx.four_octet_as), out)
            }
            PathAttribute::As4Path(segments) => put_as_path(segments, 4, out),
            PathAttribute::NextHop(addr) => out.put_slice(&addr.octets()),
            PathAttribute::MultiExitDisc(v) | PathAttribute::LocalPref(v) => out.put_u32(*v),
            PathAttribute::Communities(c) => c.iter().for_each(|v| out.put_u32(*v)),
            PathAttribute::LargeCommunities(c) => c.iter().for_each(|v| {
                out.put_u32(v.global);
                out.put_u32(v.local1);
                out.put_u32(v.local2);
            }),
            PathAttribute::MpReach(mp) => {
                out.put_u16(mp.afi.into());
                out.put_u8(mp.safi.into());
                out.put_u8(len_u8(mp.next_hops.iter().map(|a| address_len(*a)).sum()));
                for addr in &mp.next_hops {
                    match addr {
                        IpAddr::V4(a) => out.put_slice(&a.octets()),
                        IpAddr::V6(a) => out.put_slice(&a.octets()),
                    }
                }
                out.put_u8(0);
                put_prefixes(&mp.nlri, mp.afi, out);
            }
            PathAttribute::MpUnreach(mp) => {
                out.put_u16(mp.afi.into());
                out.put_u8(mp.safi.into());
                put_prefixes(&mp.withdrawn, mp.afi, out);
            }
            PathAttribute::Unknown { value, .. } => out.put_slice(value),
        }
    }
}

fn as_width(four_octet_as: bool) -> usize {
    if four_octet_as { 4 } else { 2 }
}

fn address_len(addr: IpAddr) -> usize {
    if addr.is_ipv4() { 4 } else { 16 }
}

fn as_path_len(segments: &[AsPathSegment], width: usize) -> usize {
    segments
        .iter()
        .map(|s| {
            let asns = s.asns().len();
            2 * asns.div_ceil(MAX_SEGMENT_ASNS) + width * asns
        })
        .sum()
}

/// Writes segments with `width`-octet numbers; numbers above 65535 become AS_TRANS in 2-octet form
/// (RFC 6793 §4.2.2). Segments longer than 255 numbers are split; empty ones are left out.
fn put_as_path(segments: &[AsPathSegment], width: usize, out: &mut BytesMut) {
    for segment in segments {
        for chunk in segment.asns().chunks(MAX_SEGMENT_ASNS) {
            out.put_u8(segment.kind());
            out.put_u8(len_u8(chunk.len()));
            for &asn in chunk {
                if width == 4 {
                    out.put_u32(asn);
                } else {
                    out.put_u16(u16::try_from(asn).unwrap_or(AS_TRANS));
                }
            }
        }
    }
}

/// Reads AS_PATH or AS4_PATH segments of `width`-octet numbers (RFC 4271 §4.3, RFC 6793 §3); `None`
/// when malformed (RFC 7606 §7.2: unknown segment type, empty segment, overrun; RFC 7607: AS 0).
fn decode_as_path(value: &[u8], width: usize) -> Option<Vec<AsPathSegment>> {
    let mut r = Reader::new(value);
    let mut segments = Vec::new();
    while !r.is_empty() {
        let kind = r.u8()?;
        let count = usize::from(r.u8()?);
        if count == 0 {
            return None;
        }
        let mut asns = Vec::with_capacity(count);
        for _ in 0..count {
            let asn = if width == 4 {
                r.u32()?
            } else {
                u32::from(r.u16()?)
            };
            if asn == 0 {
                return None;
            }
            asns.push(asn);
        }
        segments.push(match kind {
            SEGMENT_SET => AsPathSegment::Set(asns),
            SEGMENT_SEQUENCE => AsPathSegment::Sequence(asns),
            _ => return None,
        });
    }
    Some(segments)
}

/// True for an address usable as a NEXT_HOP (RFC 4271 §6.3: not 0.0.0.0, broadcast or multicast).
fn valid_next_hop(addr: Ipv4Addr) -> bool {
    !(addr.is_unspecified() || addr.is_broadcast() || addr.is_multicast())
}

/// Decodes one attribute value; assigned types this codec does not read are kept opaque.
pub(crate) fn decode_attribute(
    flags: u8,
    code: u8,
    value: &[u8],
    cx: &DecodeContext,
) -> Result<PathAttribute, UpdateError> {
    let raw = || RawAttribute {
        flags,
        code,
        value: value.to_vec(),
    };
    let unknown = || PathAttribute::Unknown {
        flags,
        code,
        value: value.to_vec(),
    };
    let Some(kind) = AttributeType::from_code(code) else {
        if flags & FLAG_OPTIONAL == 0 {
            return Err(UpdateError::UnrecognizedWellKnown(raw()));
        }
        return Ok(unknown());
    };
    let expected = match kind {
        AttributeType::Origin
        | AttributeType::AsPath
        | AttributeType::NextHop
        | AttributeType::LocalPref => WELL_KNOWN,
        AttributeType::MultiExitDisc
        | AttributeType::MpReachNlri
        | AttributeType::MpUnreachNlri => OPTIONAL_NON_TRANSITIVE,
        AttributeType::Communities | AttributeType::As4Path | AttributeType::LargeCommunity => {
            OPTIONAL_TRANSITIVE
        }
        _ => return Ok(unknown()),
    };
    // RFC 4271 §4.3: the Partial bit is 0 on well-known and optional non-transitive attributes.
    let partial_allowed = expected == OPTIONAL_TRANSITIVE;
    if flags & (FLAG_OPTIONAL | FLAG_TRANSITIVE) != expected
        || (!partial_allowed && flags & FLAG_PARTIAL != 0)
    {
        return Err(UpdateError::AttributeFlags(raw()));
    }
    let mut r = Reader::new(value);
    let exact4 = |r: &mut Reader<'_>| match (r.u32(), r.is_empty()) {
        (Some(v), true) => Ok(v),
        _ => Err(UpdateError::AttributeLength(raw())),
    };
    let attribute = match kind {
        AttributeType::Origin => match value {
            [0] => PathAttribute::Origin(Origin::Igp),
            [1] => PathAttribute::Origin(Origin::Egp),
            [2] => PathAttribute::Origin(Origin::Incomplete),
            [_] => return Err(UpdateError::InvalidOrigin(raw())),
            _ => return Err(UpdateError::AttributeLength(raw())),
        },
        AttributeType::AsPath => PathAttribute::AsPath(
            decode_as_path(value, as_width(cx.four_octet_as))
                .ok_or(UpdateError::MalformedAsPath)?,
        ),
        AttributeType::As4Path => PathAttribute::As4Path(
            decode_as_path(value, 4).ok_or_else(|| UpdateError::OptionalAttribute(raw()))?,
        ),
        AttributeType::NextHop => {
            let addr = Ipv4Addr::from(exact4(&mut r)?);
            if !valid_next_hop(addr) {
                return Err(UpdateError::InvalidNextHop(raw()));
            }
            PathAttribute::NextHop(addr)
        }
        AttributeType::MultiExitDisc => PathAttribute::MultiExitDisc(exact4(&mut r)?),
        AttributeType::LocalPref => PathAttribute::LocalPref(exact4(&mut r)?),
        // RFC 7606 §7.8: a non-zero multiple of 4.
        AttributeType::Communities => {
            if value.is_empty() || value.len() % 4 != 0 {
                return Err(UpdateError::AttributeLength(raw()));
            }
            PathAttribute::Communities(std::iter::from_fn(|| r.u32()).collect())
        }
        // RFC 8092 §5: a non-zero multiple of 12.
        AttributeType::LargeCommunity => {
            if value.is_empty() || value.len() % 12 != 0 {
                return Err(UpdateError::AttributeLength(raw()));
            }
            let mut communities = Vec::with_capacity(value.len() / 12);
            while let (Some(global), Some(local1), Some(local2)) = (r.u32(), r.u32(), r.u32()) {
                communities.push(LargeCommunity {
                    global,
                    local1,
                    local2,
                });
            }
            PathAttribute::LargeCommunities(communities)
        }
        AttributeType::MpReachNlri => match decode_mp_reach(value) {
            Some(Some(mp)) => PathAttribute::MpReach(mp),
            Some(None) => unknown(),
            None => return Err(UpdateError::OptionalAttribute(raw())),
        },
        AttributeType::MpUnreachNlri => match decode_mp_unreach(value) {
            Some(Some(mp)) => PathAttribute::MpUnreach(mp),
            Some(None) => unknown(),
            None => return Err(UpdateError::OptionalAttribute(raw())),
        },
        _ => unknown(),
    };
    Ok(attribute)
}

/// `Some(true)` for IPv6 unicast, `Some(false)` for IPv4 unicast, `None` for families kept opaque.
fn unicast_family(afi: Afi, safi: Safi) -> Option<bool> {
    match (afi, safi) {
        (Afi::Ipv4, Safi::Unicast) => Some(false),
        (Afi::Ipv6, Safi::Unicast) => Some(true),
        _ => None,
    }
}

/// MP_REACH_NLRI (RFC 4760 §3). `Some(None)`: a family this codec keeps opaque; `None`: malformed.
///
/// ```text
/// +---------------------------------------------------------+
/// | Address Family Identifier (2 octets)                    |
/// | Subsequent Address Family Identifier (1 octet)          |
/// | Length of Next Hop Network Address (1 octet)            |
/// | Network Address of Next Hop (variable)                  |
/// | Reserved (1 octet)                                      |
/// | Network Layer Reachability Information (variable)       |
/// +---------------------------------------------------------+
/// ```
fn decode_mp_reach(value: &[u8]) -> Option<Option<MpReach>> {
    let mut r = Reader::new(value);
    let afi = Afi::from(r.u16()?);
    let safi = Safi::from(r.u8()?);
    let next_hop_len = r.u8()?;
    let mut next_hop = Reader::new(r.take(usize::from(next_hop_len))?);
    let _reserved = r.u8()?;
    let Some(ipv6) = unicast_family(afi, safi) else {
        return Some(None);
    };
    // IPv4 NLRI may have an IPv6 next hop (RFC 8950 §3); IPv6 has a global and maybe a link-local one
    // (RFC 2545 §3).
    let next_hops = match (ipv6, next_hop_len) {
        (false, 4) => vec![IpAddr::V4(next_hop.ipv4()?)],
        (_, 16) => vec![IpAddr::V6(next_hop.ipv6()?)],
        (_, 32) => vec![IpAddr::V6(next_hop.ipv6()?), IpAddr::V6(next_hop.ipv6()?)],
        _ => return None,
    };
    let nlri = decode_prefixes(r.rest(), ipv6)?;
    Some(Some(MpReach {
        afi,
        safi,
        next_hops,
        nlri,
    }))
}

/// MP_UNREACH_NLRI (RFC 4760 §4): AFI, SAFI, withdrawn routes. `Some(None)`: a family kept opaque.
fn decode_mp_unreach(value: &[u8]) -> Option<Option<MpUnreach>> {
    let mut r = Reader::new(value);
    let afi = Afi::from(r.u16()?);
    let safi = Safi::from(r.u8()?);
    let withdrawn = match unicast_family(afi, safi) {
        Some(ipv6) => decode_prefixes(r.rest(), ipv6)?,
        None if r.is_empty() => Vec::new(),
        None => return Some(None),
    };
    Some(Some(MpUnreach {
        afi,
        safi,
        withdrawn,
    }))
}
