//! TCP sockets for BGP sessions: source binding, TTL / GTSM (RFC 5082), TCP MD5 signatures (RFC 2385),
//! `TCP_NODELAY`, and a non-blocking connect bounded by a timeout.
//!
//! Everything the standard library and socket2 offer is used through them; the two options they lack
//! (`TCP_MD5SIG`, `IP_MINTTL` / `IPV6_MINHOPCOUNT`) go through [`setsockopt_bytes`] in [`crate::sys`],
//! where the crate keeps its system-call wrappers.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::os::fd::BorrowedFd;
use std::time::Duration;

use anycastd::config::model;
use socket2::{Domain, Protocol, Socket, Type};
use tokio::net::{TcpSocket, TcpStream};

use crate::sys::setsockopt_bytes;

/// Longest TCP MD5 key the kernel accepts (`TCP_MD5SIG_MAXKEYLEN`).
pub const MD5_MAX_KEY_LEN: usize = 80;

/// Size of `struct tcp_md5sig`: `sockaddr_storage` (128), flags (1), prefixlen (1), keylen (2),
/// ifindex (4), key (80).
const TCP_MD5SIG_LEN: usize = 128 + 1 + 1 + 2 + 4 + MD5_MAX_KEY_LEN;

/// The socket-level settings of one session, derived from its peer's configuration.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SessionSocketOptions {
    /// IP TTL / IPv6 hop limit of outgoing segments; `None` keeps the OS default.
    pub ttl: Option<u8>,
    /// Lowest TTL / hop limit accepted on incoming segments (GTSM, RFC 5082 §3); `None` = no check.
    pub min_ttl: Option<u8>,
    /// The TCP MD5 key shared with the neighbour (RFC 2385), at most [`MD5_MAX_KEY_LEN`] bytes.
    pub md5_key: Option<Vec<u8>>,
}

impl std::fmt::Debug for SessionSocketOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionSocketOptions")
            .field("ttl", &self.ttl)
            .field("min_ttl", &self.min_ttl)
            .field("md5_key", &self.md5_key.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl SessionSocketOptions {
    /// The options for `peer`: with `ttl_security`, send 255 and require `256 - hops` where `hops` is
    /// the multihop TTL (1 when directly connected, RFC 5082 §3); otherwise send the multihop TTL, or 1
    /// to a directly connected eBGP neighbour, or the OS default to an iBGP one. `md5_key` is the key
    /// already read from its source (a file is read by the caller).
    pub fn for_peer(
        peer: &model::Peer,
        ebgp: bool,
        md5_key: Option<Vec<u8>>,
    ) -> SessionSocketOptions {
        let (ttl, min_ttl) = if peer.ttl_security {
            let hops = peer.multihop_ttl.unwrap_or(1).max(1);
            (Some(255), Some(255 - (hops - 1)))
        } else {
            match (peer.multihop_ttl, ebgp) {
                (Some(ttl), _) => (Some(ttl), None),
                (None, true) => (Some(1), None),
                (None, false) => (None, None),
            }
        };
        SessionSocketOptions {
            ttl,
            min_ttl,
            md5_key,
        }
    }
}

/// The key bytes of a configured MD5 key: the inline text, or the file's content without its trailing
/// newline (read now, so a reload picks up a changed file).
pub fn read_md5_key(key: &model::Md5Key) -> Result<Vec<u8>, SocketError> {
    let bytes = match key {
        model::Md5Key::Inline(text) => text.as_bytes().to_vec(),
        model::Md5Key::File(path) => {
            let mut bytes = std::fs::read(path).map_err(|source| SocketError::Md5KeyFile {
                path: path.clone(),
                source,
            })?;
            while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                bytes.pop();
            }
            bytes
        }
    };
    if bytes.len() > MD5_MAX_KEY_LEN {
        return Err(SocketError::Md5KeyTooLong(bytes.len()));
    }
    Ok(bytes)
}

/// A socket operation that failed, with what was being done.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    /// Creating the socket or setting one of its options.
    #[error("socket option {option}: {source}")]
    Option {
        /// Which option.
        option: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// Binding the source or listening address.
    #[error("bind {address}: {source}")]
    Bind {
        /// The address.
        address: SocketAddr,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The connect was refused or failed.
    #[error("connect to {remote}: {source}")]
    Connect {
        /// The neighbour.
        remote: SocketAddr,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// No answer within the connect timeout (e.g. an MD5 key mismatch drops the SYN silently).
    #[error("connect to {remote}: no answer within {after:?}")]
    ConnectTimeout {
        /// The neighbour.
        remote: SocketAddr,
        /// The timeout.
        after: Duration,
    },
    /// The `md5_password_file` could not be read.
    #[error("md5_password_file {path}: {source}")]
    Md5KeyFile {
        /// The file.
        path: std::path::PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The MD5 key is longer than the kernel accepts.
    #[error("TCP MD5 key is {0} bytes, at most {MD5_MAX_KEY_LEN} are allowed")]
    Md5KeyTooLong(usize),
}

fn option(option: &'static str) -> impl FnOnce(io::Error) -> SocketError {
    move |source| SocketError::Option { option, source }
}

fn new_tcp_socket(family: SocketAddr) -> Result<Socket, SocketError> {
    let socket = Socket::new(
        Domain::for_address(family),
        Type::STREAM.cloexec(),
        Some(Protocol::TCP),
    )
    .map_err(option("socket"))?;
    socket.set_nonblocking(true).map_err(option("O_NONBLOCK"))?;
    Ok(socket)
}

/// Applies TTL, minimum TTL and `TCP_NODELAY` to a session socket (connected, accepted or about to
/// connect). The MD5 key is separate: it names the neighbour ([`set_md5_key`]).
pub fn apply_session_options(
    socket: &Socket,
    ipv6: bool,
    options: &SessionSocketOptions,
) -> Result<(), SocketError> {
    socket
        .set_tcp_nodelay(true)
        .map_err(option("TCP_NODELAY"))?;
    if let Some(ttl) = options.ttl {
        if ipv6 {
            socket
                .set_unicast_hops_v6(u32::from(ttl))
                .map_err(option("IPV6_UNICAST_HOPS"))?;
        } else {
            socket
                .set_ttl_v4(u32::from(ttl))
                .map_err(option("IP_TTL"))?;
        }
    }
    if let Some(min) = options.min_ttl {
        set_min_ttl(socket, ipv6, min)?;
    }
    Ok(())
}

/// Sets `IP_MINTTL` (IPv4) or `IPV6_MINHOPCOUNT` (IPv6): segments arriving with a lower TTL are
/// dropped by the kernel (RFC 5082 §3). 0 turns the check off.
pub fn set_min_ttl(socket: &Socket, ipv6: bool, min: u8) -> Result<(), SocketError> {
    let value = libc::c_int::from(min).to_ne_bytes();
    if ipv6 {
        setsockopt_bytes(
            socket_fd(socket),
            libc::IPPROTO_IPV6,
            libc::IPV6_MINHOPCOUNT,
            &value,
        )
        .map_err(option("IPV6_MINHOPCOUNT"))
    } else {
        setsockopt_bytes(socket_fd(socket), libc::IPPROTO_IP, libc::IP_MINTTL, &value)
            .map_err(option("IP_MINTTL"))
    }
}

/// Installs (or with `None` removes) the TCP MD5 key used for segments to and from `remote`
/// (RFC 2385; Linux `TCP_MD5SIG`). On a listener it decides which SYNs are accepted.
pub fn set_md5_key(socket: &Socket, remote: IpAddr, key: Option<&[u8]>) -> Result<(), SocketError> {
    let removing = key.is_none();
    let key = key.unwrap_or_default();
    if key.len() > MD5_MAX_KEY_LEN {
        return Err(SocketError::Md5KeyTooLong(key.len()));
    }
    let value = md5sig_struct(remote, key);
    match setsockopt_bytes(
        socket_fd(socket),
        libc::IPPROTO_TCP,
        libc::TCP_MD5SIG,
        &value,
    ) {
        // Removing a key that was never installed: nothing to do.
        Err(error) if removing && error.raw_os_error() == Some(libc::ENOENT) => Ok(()),
        result => result.map_err(option("TCP_MD5SIG")),
    }
}

/// Builds `struct tcp_md5sig` for `remote` (all prefix bits, no interface) with `key`:
///
/// ```text
/// struct tcp_md5sig {
///     struct sockaddr_storage tcpm_addr;  // 128 bytes: sockaddr_in or sockaddr_in6, zero padded
///     __u8  tcpm_flags;                   // 0: no prefix, no interface
///     __u8  tcpm_prefixlen;
///     __u16 tcpm_keylen;                  // host byte order
///     int   tcpm_ifindex;
///     __u8  tcpm_key[80];
/// };
/// ```
fn md5sig_struct(remote: IpAddr, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(TCP_MD5SIG_LEN);
    match remote {
        IpAddr::V4(v4) => {
            // sockaddr_in: family, port (network order), address.
            out.extend_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
            out.extend_from_slice(&0u16.to_be_bytes());
            out.extend_from_slice(&v4.octets());
        }
        IpAddr::V6(v6) => {
            // sockaddr_in6: family, port, flowinfo, address, scope id.
            out.extend_from_slice(&(libc::AF_INET6 as u16).to_ne_bytes());
            out.extend_from_slice(&0u16.to_be_bytes());
            out.extend_from_slice(&0u32.to_be_bytes());
            out.extend_from_slice(&v6.octets());
            out.extend_from_slice(&0u32.to_ne_bytes());
        }
    }
    out.resize(128, 0);
    out.push(0); // flags
    out.push(0); // prefixlen
    out.extend_from_slice(&u16::try_from(key.len()).unwrap_or(0).to_ne_bytes());
    out.extend_from_slice(&0i32.to_ne_bytes()); // ifindex
    out.extend_from_slice(key);
    out.resize(TCP_MD5SIG_LEN, 0);
    out
}

fn socket_fd(socket: &Socket) -> BorrowedFd<'_> {
    use std::os::fd::AsFd;
    socket.as_fd()
}

/// Opens a session socket towards `remote` from `local` (port 0) with `options`, and connects it
/// without blocking the thread, giving up after `timeout`.
pub async fn connect(
    remote: SocketAddr,
    local: Option<IpAddr>,
    options: &SessionSocketOptions,
    timeout: Duration,
) -> Result<TcpStream, SocketError> {
    let socket = new_tcp_socket(remote)?;
    let ipv6 = remote.is_ipv6();
    apply_session_options(&socket, ipv6, options)?;
    if let Some(key) = &options.md5_key {
        set_md5_key(&socket, remote.ip(), Some(key))?;
    }
    if let Some(local) = local {
        let address = SocketAddr::new(local, 0);
        socket
            .bind(&address.into())
            .map_err(|source| SocketError::Bind { address, source })?;
    }
    let socket = TcpSocket::from_std_stream(std::net::TcpStream::from(socket));
    match tokio::time::timeout(timeout, socket.connect(remote)).await {
        Ok(Ok(stream)) => Ok(stream),
        Ok(Err(source)) => Err(SocketError::Connect { remote, source }),
        Err(_) => Err(SocketError::ConnectTimeout {
            remote,
            after: timeout,
        }),
    }
}

/// Binds a listening socket for passive sessions on `address` (`SO_REUSEADDR`, IPv6-only for an IPv6
/// address) with `min_ttl` as the listener-wide GTSM floor. MD5 keys are added per neighbour with
/// [`set_md5_key`] on [`std::net::TcpListener`]s through [`Socket::from`].
pub fn listen(address: SocketAddr, min_ttl: Option<u8>) -> Result<Socket, SocketError> {
    let socket = new_tcp_socket(address)?;
    socket
        .set_reuse_address(true)
        .map_err(option("SO_REUSEADDR"))?;
    if address.is_ipv6() {
        socket.set_only_v6(true).map_err(option("IPV6_V6ONLY"))?;
    }
    if let Some(min) = min_ttl {
        set_min_ttl(&socket, address.is_ipv6(), min)?;
    }
    socket
        .bind(&address.into())
        .map_err(|source| SocketError::Bind { address, source })?;
    socket
        .listen(128)
        .map_err(|source| SocketError::Bind { address, source })?;
    Ok(socket)
}

/// Applies the session options to an accepted connection (TTL, minimum TTL, `TCP_NODELAY`).
pub fn configure_accepted(
    stream: &TcpStream,
    options: &SessionSocketOptions,
) -> Result<(), SocketError> {
    let socket = socket2::SockRef::from(stream);
    let ipv6 = stream.local_addr().map(|a| a.is_ipv6()).unwrap_or(false);
    apply_session_options(&socket, ipv6, options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5sig_struct_has_the_kernel_layout_for_ipv4() {
        let bytes = md5sig_struct(
            "127.0.0.21".parse().unwrap_or(IpAddr::from([0, 0, 0, 0])),
            b"secret",
        );
        assert_eq!(bytes.len(), 216);
        assert_eq!(
            bytes.get(0..2),
            Some(&(libc::AF_INET as u16).to_ne_bytes()[..])
        );
        assert_eq!(bytes.get(4..8), Some(&[127, 0, 0, 21][..]));
        assert_eq!(bytes.get(130..132), Some(&6u16.to_ne_bytes()[..]));
        assert_eq!(bytes.get(136..142), Some(&b"secret"[..]));
    }

    #[test]
    fn md5sig_struct_has_the_kernel_layout_for_ipv6() {
        let bytes = md5sig_struct("::1".parse().unwrap_or(IpAddr::from([0u16; 8])), b"k");
        assert_eq!(
            bytes.get(0..2),
            Some(&(libc::AF_INET6 as u16).to_ne_bytes()[..])
        );
        assert_eq!(
            bytes.get(8..24),
            Some(&std::net::Ipv6Addr::LOCALHOST.octets()[..])
        );
        assert_eq!(bytes.get(130..132), Some(&1u16.to_ne_bytes()[..]));
    }
}
