//! UPDATE (RFC 4271 §4.3): withdrawn routes, path attributes (RFC 4271 §5, RFC 1997, RFC 4760,
//! RFC 6793, RFC 8092) and NLRI, with the checks of RFC 4271 §6.3 and the error handling of RFC 7606.
//! No I/O.
//!
//! ```text
//! +-----------------------------------------------------+
//! |   Withdrawn Routes Length (2 octets)                |
//! +-----------------------------------------------------+
//! |   Withdrawn Routes (variable)                       |
//! +-----------------------------------------------------+
//! |   Total Path Attribute Length (2 octets)            |
//! +-----------------------------------------------------+
//! |   Path Attributes (variable)                        |
//! +-----------------------------------------------------+
//! |   Network Layer Reachability Information (variable) |
//! +-----------------------------------------------------+
//! ```
//!
//! Path attributes are read and written in `attribute.rs`, prefixes in `nlri.rs`.
//!
//! Decoding keeps going after an error that RFC 7606 lets the session survive, so that the reported
//! error is the most severe one in the message: session reset, then treat-as-withdraw, then attribute
//! discard.
use bytes::{BufMut, BytesMut};

use super::attribute::decode_attribute;
use super::error::{ErrorAction, UpdateError};
use super::iana::AttributeType;
use super::nlri::{decode_prefixes, prefixes_len, put_prefixes};
use super::wire::{FLAG_EXTENDED_LENGTH, Reader, len_u16};
use super::{
    Afi, AsPathSegment, DecodeContext, EncodeContext, MpUnreach, PathAttribute, Safi, Update,
};

/// Keeps the most severe recoverable error (first of equal severity).
fn keep_worst(kept: &mut Option<UpdateError>, error: UpdateError) {
    match kept {
        Some(previous) if previous.action() <= error.action() => {}
        _ => *kept = Some(error),
    }
}

impl Update {
    /// The End-of-RIB marker for a family (RFC 4724 §2): an empty UPDATE for IPv4 unicast, an UPDATE
    /// with only an empty MP_UNREACH_NLRI for any other.
    pub fn end_of_rib(afi: Afi, safi: Safi) -> Update {
        match (afi, safi) {
            (Afi::Ipv4, Safi::Unicast) => Update::default(),
            _ => Update {
                attributes: vec![PathAttribute::MpUnreach(MpUnreach {
                    afi,
                    safi,
                    withdrawn: Vec::new(),
                })],
                ..Update::default()
            },
        }
    }

    /// The family whose End-of-RIB this is (RFC 4724 §2), if it is one.
    pub fn is_end_of_rib(&self) -> Option<(Afi, Safi)> {
        if !self.withdrawn.is_empty() || !self.nlri.is_empty() {
            return None;
        }
        match self.attributes.as_slice() {
            [] => Some((Afi::Ipv4, Safi::Unicast)),
            [PathAttribute::MpUnreach(mp)] if mp.withdrawn.is_empty() => Some((mp.afi, mp.safi)),
            _ => None,
        }
    }

    /// Attributes as written: with 2-octet AS numbers, an AS4_PATH follows an AS_PATH that needs
    /// 4 octets, unless the UPDATE has one already (RFC 6793 §4.2.2).
    fn wire_attributes(&self, cx: &EncodeContext) -> impl Iterator<Item = PathAttributeOnWire<'_>> {
        let add_as4 = !cx.four_octet_as
            && !self
                .attributes
                .iter()
                .any(|a| matches!(a, PathAttribute::As4Path(_)));
        self.attributes.iter().flat_map(move |attribute| {
            let as4 = match attribute {
                PathAttribute::AsPath(segments)
                    if add_as4
                        && segments
                            .iter()
                            .flat_map(AsPathSegment::asns)
                            .any(|&a| a > 0xffff) =>
                {
                    Some(PathAttributeOnWire::As4Path(segments))
                }
                _ => None,
            };
            std::iter::once(PathAttributeOnWire::Given(attribute)).chain(as4)
        })
    }

    fn attributes_len(&self, cx: &EncodeContext) -> usize {
        self.wire_attributes(cx).map(|a| a.wire_len(cx)).sum()
    }

    pub(crate) fn body_len(&self, cx: &EncodeContext) -> usize {
        4 + prefixes_len(&self.withdrawn, Afi::Ipv4)
            + self.attributes_len(cx)
            + prefixes_len(&self.nlri, Afi::Ipv4)
    }

    /// Writes the body. IPv6 prefixes in the classic fields are left out: they belong in MP_REACH_NLRI
    /// and MP_UNREACH_NLRI (RFC 4760).
    pub(crate) fn encode_body(&self, cx: &EncodeContext, out: &mut BytesMut) {
        out.put_u16(len_u16(prefixes_len(&self.withdrawn, Afi::Ipv4)));
        put_prefixes(&self.withdrawn, Afi::Ipv4, out);
        out.put_u16(len_u16(self.attributes_len(cx)));
        for attribute in self.wire_attributes(cx) {
            attribute.encode(cx, out);
        }
        put_prefixes(&self.nlri, Afi::Ipv4, out);
    }

    pub(crate) fn decode_body(body: &[u8], cx: &DecodeContext) -> Result<Update, UpdateError> {
        let mut r = Reader::new(body);
        let inconsistent = UpdateError::InconsistentLengths;
        let withdrawn_len = r.u16().ok_or(inconsistent.clone())?;
        let withdrawn = r
            .take(usize::from(withdrawn_len))
            .ok_or(inconsistent.clone())?;
        let attributes_len = r.u16().ok_or(inconsistent.clone())?;
        let attributes = r.take(usize::from(attributes_len)).ok_or(inconsistent)?;
        let withdrawn =
            decode_prefixes(withdrawn, false).ok_or(UpdateError::InvalidNetworkField)?;
        let nlri = decode_prefixes(r.rest(), false).ok_or(UpdateError::InvalidNetworkField)?;

        let mut kept: Option<UpdateError> = None;
        let mut seen: Vec<u8> = Vec::new();
        let mut decoded = Vec::new();
        let mut a = Reader::new(attributes);
        while !a.is_empty() {
            let (Some(flags), Some(code)) = (a.u8(), a.u8()) else {
                keep_worst(&mut kept, UpdateError::AttributeOverrun);
                break;
            };
            let len = if flags & FLAG_EXTENDED_LENGTH != 0 {
                a.u16()
            } else {
                a.u8().map(u16::from)
            };
            let Some(value) = len.and_then(|len| a.take(usize::from(len))) else {
                keep_worst(&mut kept, UpdateError::AttributeOverrun);
                break;
            };
            let mp = code == AttributeType::MpReachNlri.code()
                || code == AttributeType::MpUnreachNlri.code();
            if seen.contains(&code) {
                if mp {
                    return Err(UpdateError::DuplicateMpAttribute { code });
                }
                keep_worst(&mut kept, UpdateError::DuplicateAttribute { code });
                continue;
            }
            seen.push(code);
            match decode_attribute(flags, code, value, cx) {
                Ok(attribute) => decoded.push(attribute),
                Err(e) if e.action() == ErrorAction::ResetSession => return Err(e),
                Err(e) => keep_worst(&mut kept, e),
            }
        }

        // RFC 4271 §6.3, RFC 4760 §3, RFC 7606 §3 d: mandatory attributes, only when routes are announced.
        let mp_reach = seen.contains(&AttributeType::MpReachNlri.code());
        if !nlri.is_empty() || mp_reach {
            let mut required = vec![AttributeType::Origin, AttributeType::AsPath];
            if !nlri.is_empty() {
                required.push(AttributeType::NextHop);
            }
            if let Some(missing) = required.into_iter().find(|t| !seen.contains(&t.code())) {
                keep_worst(&mut kept, UpdateError::MissingWellKnown(missing));
            }
        }
        match kept {
            Some(error) => Err(error),
            None => Ok(Update {
                withdrawn,
                attributes: decoded,
                nlri,
            }),
        }
    }
}

/// An attribute as it goes on the wire: one of the UPDATE's, or an AS4_PATH added for a 2-octet peer.
enum PathAttributeOnWire<'a> {
    Given(&'a PathAttribute),
    As4Path(&'a [AsPathSegment]),
}

impl PathAttributeOnWire<'_> {
    fn wire_len(&self, cx: &EncodeContext) -> usize {
        match self {
            PathAttributeOnWire::Given(a) => a.wire_len(cx),
            PathAttributeOnWire::As4Path(s) => PathAttribute::As4Path(s.to_vec()).wire_len(cx),
        }
    }

    fn encode(&self, cx: &EncodeContext, out: &mut BytesMut) {
        match self {
            PathAttributeOnWire::Given(a) => a.encode(cx, out),
            PathAttributeOnWire::As4Path(s) => PathAttribute::As4Path(s.to_vec()).encode(cx, out),
        }
    }
}
