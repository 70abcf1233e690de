//! Thin wrappers over the system calls that neither std nor socket2 wraps. Each `unsafe` block here
//! is one call with its safety argument; the rest of the crate calls these safe functions.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};

/// `setsockopt(2)` with an option value given as raw bytes, for the options socket2 does not wrap.
#[allow(unsafe_code)]
pub(crate) fn setsockopt_bytes(
    fd: BorrowedFd<'_>,
    level: libc::c_int,
    name: libc::c_int,
    value: &[u8],
) -> io::Result<()> {
    let len = libc::socklen_t::try_from(value.len())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `fd` is a live descriptor borrowed for the duration of the call; `value` points to
    // `len` initialised bytes that the kernel only reads (it copies them before returning).
    let rc = unsafe { libc::setsockopt(fd.as_raw_fd(), level, name, value.as_ptr().cast(), len) };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// The bytes in a TCP socket's send queue that the peer has not acknowledged (`ioctl(SIOCOUTQ)`,
/// tcp(7)): written by us, sent or not, and not yet taken by the peer's TCP.
#[allow(unsafe_code)]
pub(crate) fn unacknowledged(fd: BorrowedFd<'_>) -> io::Result<u64> {
    let mut value: libc::c_int = 0;
    // SAFETY: `fd` is a live descriptor borrowed for the duration of the call; SIOCOUTQ (equal to
    // TIOCOUTQ on Linux) writes one `int` through the pointer, which points to `value`.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCOUTQ, &mut value) };
    if rc == 0 {
        u64::try_from(value).map_err(|_| io::Error::from(io::ErrorKind::InvalidData))
    } else {
        Err(io::Error::last_os_error())
    }
}
