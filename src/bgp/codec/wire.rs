//! A bounds-checked reader over a byte slice: every read returns `None` instead of panicking, so the
//! decoders stay total on any input. No I/O.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Optional bit (RFC 4271 §4.3).
pub const FLAG_OPTIONAL: u8 = 0x80;
/// Transitive bit (RFC 4271 §4.3).
pub const FLAG_TRANSITIVE: u8 = 0x40;
/// Partial bit (RFC 4271 §4.3).
pub const FLAG_PARTIAL: u8 = 0x20;
/// Extended Length bit (RFC 4271 §4.3).
pub const FLAG_EXTENDED_LENGTH: u8 = 0x10;

/// Reads big-endian numbers and sub-slices from the front of a slice.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Starts at the beginning of `buf`.
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { rest: buf }
    }

    /// Bytes not read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// Number of bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// True when everything was read.
    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    /// The next `N` bytes as an array.
    pub(crate) fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N).and_then(|b| <[u8; N]>::try_from(b).ok())
    }

    /// One octet.
    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.array::<1>().map(|[b]| b)
    }

    /// Two octets, network order.
    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.array().map(u16::from_be_bytes)
    }

    /// Four octets, network order.
    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_be_bytes)
    }

    /// An IPv4 address.
    pub(crate) fn ipv4(&mut self) -> Option<Ipv4Addr> {
        self.array::<4>().map(Ipv4Addr::from)
    }

    /// An IPv6 address.
    pub(crate) fn ipv6(&mut self) -> Option<Ipv6Addr> {
        self.array::<16>().map(Ipv6Addr::from)
    }
}

/// `len` as a 1-octet length field, saturating (callers keep values within range).
pub(crate) fn len_u8(len: usize) -> u8 {
    u8::try_from(len).unwrap_or(u8::MAX)
}

/// `len` as a 2-octet length field, saturating (callers keep values within range).
pub(crate) fn len_u16(len: usize) -> u16 {
    u16::try_from(len).unwrap_or(u16::MAX)
}
