//! Prefixes on the wire (RFC 4271 §4.3, RFC 4760 §5): a length in bits, then as many octets as that
//! needs. No I/O.
//!
//! ```text
//! +---------------------------+
//! |   Length (1 octet)        |
//! +---------------------------+
//! |   Prefix (variable)       |
//! +---------------------------+
//! ```

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::{BufMut, BytesMut};

use super::Afi;
use super::wire::Reader;
use crate::bgp::types::{IpNetwork, Ipv4Network, Ipv6Network, Prefix};

/// True when a prefix belongs in a field of family `afi` (`Other` families take any).
fn in_family(prefix: &Prefix, afi: Afi) -> bool {
    match afi {
        Afi::Ipv4 => prefix.is_ipv4(),
        Afi::Ipv6 => !prefix.is_ipv4(),
        Afi::Other(_) => true,
    }
}

pub(crate) fn prefixes_len(prefixes: &[Prefix], afi: Afi) -> usize {
    prefixes
        .iter()
        .filter(|p| in_family(p, afi))
        .map(|p| 1 + usize::from(p.prefix_len()).div_ceil(8))
        .sum()
}

/// Writes `length, prefix octets` per prefix (RFC 4271 §4.3), skipping prefixes of another family.
pub(crate) fn put_prefixes(prefixes: &[Prefix], afi: Afi, out: &mut BytesMut) {
    for prefix in prefixes.iter().filter(|p| in_family(p, afi)) {
        let n = usize::from(prefix.prefix_len()).div_ceil(8);
        out.put_u8(prefix.prefix_len());
        match prefix.addr() {
            IpAddr::V4(a) => out.put_slice(a.octets().get(..n).unwrap_or_default()),
            IpAddr::V6(a) => out.put_slice(a.octets().get(..n).unwrap_or_default()),
        }
    }
}

/// Reads prefixes of family `ipv6` or IPv4 (RFC 4271 §4.3, RFC 4760 §5); `None` on a length above the
/// family's maximum or a prefix that runs past the field.
pub(crate) fn decode_prefixes(field: &[u8], ipv6: bool) -> Option<Vec<Prefix>> {
    let mut r = Reader::new(field);
    let mut prefixes = Vec::new();
    while !r.is_empty() {
        let len = r.u8()?;
        let bytes = r.take(usize::from(len).div_ceil(8))?;
        let network = if ipv6 {
            let mut octets = [0u8; 16];
            octets.iter_mut().zip(bytes).for_each(|(d, s)| *d = *s);
            IpNetwork::V6(Ipv6Network::new(Ipv6Addr::from(octets), len).ok()?)
        } else {
            let mut octets = [0u8; 4];
            octets.iter_mut().zip(bytes).for_each(|(d, s)| *d = *s);
            IpNetwork::V4(Ipv4Network::new(Ipv4Addr::from(octets), len).ok()?)
        };
        prefixes.push(Prefix::new(network));
    }
    Some(prefixes)
}
