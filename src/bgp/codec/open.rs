//! OPEN (RFC 4271 §4.2) with Capabilities optional parameters (RFC 5492) and the extended optional
//! parameters length (RFC 9072). No I/O.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+
//! |    Version    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     My Autonomous System      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Hold Time           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                         BGP Identifier                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | Opt Parm Len  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |             Optional Parameters (variable)                    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Encoding puts the capabilities in as few Capabilities parameters as fit in 255 octets each; when the
//! parameters exceed 255 octets in total it uses the RFC 9072 form with one parameter.

use std::net::Ipv4Addr;

use bytes::{BufMut, BytesMut};

use super::error::OpenError;
use super::iana::OptionalParameterType;
use super::wire::{Reader, len_u8, len_u16};
use super::{Capability, Open};

/// The only BGP version (RFC 4271 §4.2).
pub const BGP_VERSION: u8 = 4;
/// Largest classic optional parameter (1-octet length).
const MAX_PARAM_LEN: usize = 255;
/// RFC 9072 §2 marker value in the Opt Parm Len and Non-Ext OP Type fields.
const EXTENDED: u8 = 255;

impl Open {
    /// Groups the capabilities into Capabilities parameters of at most 255 octets each.
    fn parameter_groups(&self) -> Vec<&[Capability]> {
        let mut groups = Vec::new();
        let mut start = 0;
        let mut size = 0;
        for (i, capability) in self.capabilities.iter().enumerate() {
            let len = capability.wire_len();
            if size + len > MAX_PARAM_LEN && i > start {
                groups.push(self.capabilities.get(start..i).unwrap_or_default());
                start = i;
                size = 0;
            }
            size += len;
        }
        if start < self.capabilities.len() {
            groups.push(self.capabilities.get(start..).unwrap_or_default());
        }
        groups
    }

    fn capabilities_len(&self) -> usize {
        self.capabilities.iter().map(Capability::wire_len).sum()
    }

    /// `Some(total)` when the classic 1-octet form fits; else `None` (RFC 9072 form).
    fn classic_params_len(&self) -> Option<usize> {
        let groups: Vec<usize> = self
            .parameter_groups()
            .iter()
            .map(|g| g.iter().map(Capability::wire_len).sum::<usize>())
            .collect();
        let total: usize = groups.iter().map(|len| 2 + len).sum();
        let fits = groups.iter().all(|&len| len <= MAX_PARAM_LEN);
        (fits && total <= MAX_PARAM_LEN).then_some(total)
    }

    pub(crate) fn body_len(&self) -> usize {
        10 + match self.classic_params_len() {
            Some(total) => total,
            // Non-Ext OP Type, Extended Opt Parm Length, then one parameter: type and 2-octet length.
            None => 3 + 3 + self.capabilities_len(),
        }
    }

    pub(crate) fn encode_body(&self, out: &mut BytesMut) {
        out.put_u8(self.version);
        out.put_u16(self.my_as);
        out.put_u16(self.hold_time);
        out.put_slice(&self.router_id.octets());
        let capabilities = OptionalParameterType::Capabilities.code();
        match self.classic_params_len() {
            Some(total) => {
                out.put_u8(len_u8(total));
                for group in self.parameter_groups() {
                    out.put_u8(capabilities);
                    out.put_u8(len_u8(group.iter().map(Capability::wire_len).sum()));
                    group.iter().for_each(|c| c.encode(out));
                }
            }
            None => {
                out.put_u8(EXTENDED);
                out.put_u8(EXTENDED);
                out.put_u16(len_u16(3 + self.capabilities_len()));
                out.put_u8(capabilities);
                out.put_u16(len_u16(self.capabilities_len()));
                self.capabilities.iter().for_each(|c| c.encode(out));
            }
        }
    }

    pub(crate) fn decode_body(body: &[u8]) -> Result<Open, OpenError> {
        let mut r = Reader::new(body);
        let malformed = OpenError::MalformedOptionalParameters;
        let version = r.u8().ok_or(malformed.clone())?;
        if version != BGP_VERSION {
            return Err(OpenError::UnsupportedVersion(version));
        }
        let (Some(my_as), Some(hold_time), Some(router_id), Some(params_len)) =
            (r.u16(), r.u16(), r.ipv4(), r.u8())
        else {
            return Err(malformed);
        };
        // RFC 9072 §2: Opt Parm Len 255 followed by Non-Ext OP Type 255 announces 2-octet lengths.
        let extended = params_len == EXTENDED && r.rest().first() == Some(&EXTENDED);
        let params = if extended {
            let _marker = r.u8();
            let len = r.u16().ok_or(malformed.clone())?;
            r.take(usize::from(len)).ok_or(malformed.clone())?
        } else {
            r.take(usize::from(params_len)).ok_or(malformed.clone())?
        };
        if !r.is_empty() {
            return Err(malformed);
        }
        let capabilities = decode_parameters(params, extended)?;
        let open = Open {
            version,
            my_as,
            hold_time,
            router_id,
            capabilities,
        };
        if my_as == 0 || open.asn() == 0 {
            return Err(OpenError::ZeroAs);
        }
        if hold_time == 1 || hold_time == 2 {
            return Err(OpenError::UnacceptableHoldTime(hold_time));
        }
        if router_id == Ipv4Addr::UNSPECIFIED {
            return Err(OpenError::BadBgpIdentifier(router_id));
        }
        Ok(open)
    }
}

fn decode_parameters(params: &[u8], extended: bool) -> Result<Vec<Capability>, OpenError> {
    let malformed = || OpenError::MalformedOptionalParameters;
    let mut r = Reader::new(params);
    let mut capabilities = Vec::new();
    while !r.is_empty() {
        let kind = r.u8().ok_or_else(malformed)?;
        let len = if extended {
            r.u16()
        } else {
            r.u8().map(u16::from)
        }
        .ok_or_else(malformed)?;
        let value = r.take(usize::from(len)).ok_or_else(malformed)?;
        if OptionalParameterType::from_code(kind) != Some(OptionalParameterType::Capabilities) {
            return Err(OpenError::UnsupportedOptionalParameter(kind));
        }
        let mut caps = Reader::new(value);
        while !caps.is_empty() {
            let (Some(code), Some(len)) = (caps.u8(), caps.u8()) else {
                return Err(malformed());
            };
            let value = caps.take(usize::from(len)).ok_or_else(malformed)?;
            capabilities.push(Capability::decode(code, value)?);
        }
    }
    Ok(capabilities)
}
