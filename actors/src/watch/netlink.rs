//! Address and link changes, from rtnetlink: a socket subscribed to the link and IPv4/IPv6 address
//! groups; every notification is reported (the `assigned_address` probe then looks at the
//! interfaces itself, so the messages need no parsing).

use std::io;
use std::os::fd::OwnedFd;

use futures_util::Stream;
use rustix::net::netlink::SocketAddrNetlink;
use rustix::net::{AddressFamily, RecvFlags, SocketFlags, SocketType};
use tokio::io::unix::AsyncFd;

/// Multicast groups: links, IPv4 and IPv6 addresses (`RTMGRP_*` of rtnetlink(7)).
const GROUPS: u32 =
    (libc::RTMGRP_LINK | libc::RTMGRP_IPV4_IFADDR | libc::RTMGRP_IPV6_IFADDR) as u32;

/// A stream that yields one item for each batch of address or link notifications.
pub fn changes() -> io::Result<impl Stream<Item = String>> {
    let fd = rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::RAW,
        SocketFlags::CLOEXEC | SocketFlags::NONBLOCK,
        None, // NETLINK_ROUTE
    )?;
    rustix::net::bind(&fd, &SocketAddrNetlink::new(0, GROUPS))?;
    let fd = crate::sys::async_fd(fd)?;
    Ok(futures_util::stream::unfold(fd, |fd| async move {
        match next(&fd).await {
            Ok(()) => Some(("address or link changed".to_string(), fd)),
            Err(_) => None,
        }
    }))
}

/// Waits for notifications and reads them all.
async fn next(fd: &AsyncFd<OwnedFd>) -> io::Result<()> {
    loop {
        let mut guard = fd.readable().await?;
        let mut buf = [0u8; 8192];
        let mut got = false;
        let drained = guard.try_io(|fd| -> io::Result<()> {
            loop {
                match rustix::net::recv(fd.get_ref(), &mut buf, RecvFlags::DONTWAIT) {
                    Ok(_) => got = true,
                    Err(rustix::io::Errno::AGAIN) => {
                        return Err(io::Error::from(io::ErrorKind::WouldBlock));
                    }
                    // ENOBUFS: notifications were lost; that too means something changed.
                    Err(rustix::io::Errno::NOBUFS) => got = true,
                    Err(e) => return Err(io::Error::from(e)),
                }
            }
        });
        match drained {
            Ok(Err(e)) if e.kind() != io::ErrorKind::WouldBlock => return Err(e),
            _ => {}
        }
        if got {
            return Ok(());
        }
    }
}
