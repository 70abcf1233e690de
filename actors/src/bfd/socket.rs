//! The UDP sockets of BFD: one receiving and one sending socket per address family and hop mode,
//! shared by every session.
//!
//! Single hop (RFC 5881 §4-§5): received on port 3784, and a packet that arrived with a TTL / Hop
//! Limit below 255 is dropped (the kernel reports it with `IP_RECVTTL` / `IPV6_RECVHOPLIMIT`; Linux
//! does not apply `IP_MINTTL` to UDP), so no packet from beyond the link reaches a session; sent
//! with TTL 255 from one source port in 49152-65535. Multihop (RFC 5883 §5): port 4784, any TTL
//! accepted, sent with TTL 255.
//!
//! [`recv_with_ttl`] is this module's only `unsafe`: `recvmsg(2)` and its control messages.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::Interest;
use tokio::net::UdpSocket;

use crate::sys::setsockopt_bytes;

/// RFC 5881 §4: single-hop Control packets go to this port.
pub const SINGLE_HOP_PORT: u16 = 3784;
/// RFC 5883 §5: multihop Control packets go to this port.
pub const MULTIHOP_PORT: u16 = 4784;
/// RFC 5881 §4: the source port range of Control packets.
pub const SOURCE_PORTS: std::ops::RangeInclusive<u16> = 49152..=65535;

/// The ports to listen on (tests move them off the well-known ports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ports {
    /// Single hop, 3784.
    pub single_hop: u16,
    /// Multihop, 4784.
    pub multihop: u16,
}

impl Default for Ports {
    fn default() -> Ports {
        Ports {
            single_hop: SINGLE_HOP_PORT,
            multihop: MULTIHOP_PORT,
        }
    }
}

fn unspecified(ipv6: bool, port: u16) -> SocketAddr {
    let ip = if ipv6 {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    };
    SocketAddr::new(ip, port)
}

fn udp_socket(ipv6: bool) -> io::Result<Socket> {
    let domain = if ipv6 { Domain::IPV6 } else { Domain::IPV4 };
    let socket = Socket::new(domain, Type::DGRAM, Some(Protocol::UDP))?;
    if ipv6 {
        socket.set_only_v6(true)?;
    }
    socket.set_nonblocking(true)?;
    Ok(socket)
}

/// The receiving socket of one family and mode, bound to the wildcard address.
pub fn receiver(ipv6: bool, multihop: bool, ports: Ports) -> io::Result<UdpSocket> {
    let socket = udp_socket(ipv6)?;
    socket.set_reuse_address(true)?;
    let port = if multihop {
        ports.multihop
    } else {
        ports.single_hop
    };
    socket.bind(&unspecified(ipv6, port).into())?;
    let on = 1i32.to_ne_bytes();
    if ipv6 {
        setsockopt_bytes(
            socket.as_fd(),
            libc::IPPROTO_IPV6,
            libc::IPV6_RECVHOPLIMIT,
            &on,
        )?;
    } else {
        setsockopt_bytes(socket.as_fd(), libc::IPPROTO_IP, libc::IP_RECVTTL, &on)?;
    }
    UdpSocket::from_std(socket.into())
}

/// Waits for one datagram: its length, source and the TTL / Hop Limit it arrived with.
pub async fn receive(
    socket: &UdpSocket,
    buffer: &mut [u8],
) -> io::Result<(usize, SocketAddr, Option<u8>)> {
    socket
        .async_io(Interest::READABLE, || recv_with_ttl(socket.as_fd(), buffer))
        .await
}

/// `recvmsg(2)` of one datagram with the `IP_TTL` / `IPV6_HOPLIMIT` control message.
#[allow(unsafe_code)]
fn recv_with_ttl(
    fd: BorrowedFd<'_>,
    buffer: &mut [u8],
) -> io::Result<(usize, SocketAddr, Option<u8>)> {
    // SAFETY: every pointer handed to the kernel points into a local that outlives the call, with
    // its true length; the control messages are walked with the libc macros within
    // `msg_controllen`, and their data read unaligned as the `c_int` the kernel writes.
    unsafe {
        let mut storage = socket2::SockAddrStorage::zeroed();
        let mut iov = libc::iovec {
            iov_base: buffer.as_mut_ptr().cast(),
            iov_len: buffer.len(),
        };
        let mut control = [0u64; 16];
        let mut msg: libc::msghdr = std::mem::zeroed();
        msg.msg_name = (&raw mut storage).cast();
        msg.msg_namelen = storage.size_of();
        msg.msg_iov = &raw mut iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control.as_mut_ptr().cast();
        msg.msg_controllen = std::mem::size_of_val(&control);
        let n = libc::recvmsg(fd.as_raw_fd(), &raw mut msg, 0);
        let Ok(len) = usize::try_from(n) else {
            return Err(io::Error::last_os_error());
        };
        let mut ttl = None;
        let mut cmsg = libc::CMSG_FIRSTHDR(&raw const msg);
        while !cmsg.is_null() {
            let header = &*cmsg;
            let is_ttl = (header.cmsg_level == libc::IPPROTO_IP
                && header.cmsg_type == libc::IP_TTL)
                || (header.cmsg_level == libc::IPPROTO_IPV6
                    && header.cmsg_type == libc::IPV6_HOPLIMIT);
            if is_ttl {
                let value = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<libc::c_int>());
                ttl = u8::try_from(value).ok();
            }
            cmsg = libc::CMSG_NXTHDR(&raw const msg, cmsg);
        }
        let address = socket2::SockAddr::new(storage, msg.msg_namelen);
        let source = address
            .as_socket()
            .ok_or_else(|| io::Error::other("datagram from a non-IP address"))?;
        Ok((len, source, ttl))
    }
}

/// The sending socket of one family: TTL 255, bound to a source port in 49152-65535 (`start`
/// picks where the search begins).
pub fn sender(ipv6: bool, start: u16) -> io::Result<UdpSocket> {
    let socket = udp_socket(ipv6)?;
    if ipv6 {
        socket.set_unicast_hops_v6(255)?;
    } else {
        socket.set_ttl_v4(255)?;
    }
    let span = u32::from(SOURCE_PORTS.end() - SOURCE_PORTS.start()) + 1;
    let first = u32::from(start) % span;
    let mut last = io::Error::from(io::ErrorKind::AddrInUse);
    for offset in 0..span {
        let port = u16::try_from((first + offset) % span)
            .map_or(*SOURCE_PORTS.start(), |p| p + SOURCE_PORTS.start());
        match socket.bind(&unspecified(ipv6, port).into()) {
            Ok(()) => return UdpSocket::from_std(socket.into()),
            Err(error) if error.kind() == io::ErrorKind::AddrInUse => last = error,
            Err(error) => return Err(error),
        }
    }
    Err(last)
}
