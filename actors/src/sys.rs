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

/// Keeps glibc's allocator from holding memory the daemon no longer uses; called first thing in
/// `main`, before any other thread exists.
///
/// - One arena (`M_ARENA_MAX` 1): glibc otherwise gives each thread that allocates its own arena
///   (the HTTP worker, the acceptor, the exec spawner), each keeping its freed memory to itself. The
///   actor system runs on one thread, so the others hardly ever contend for the lock.
/// - A fixed mmap threshold of 128 KiB (`M_MMAP_THRESHOLD`): glibc otherwise raises it after each
///   large block is freed, up to 32 MiB, so the buffers of one bulk send (a full table to a peer)
///   end up inside the heap and stay in the process once freed. Fixing it also fixes the trim
///   threshold at its default, so the top of the heap goes back to the system when freed.
///
/// Environment settings (`GLIBC_TUNABLES=glibc.malloc.arena_max=...`) come before this and are
/// overridden by it. Not glibc (musl): nothing to do.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn tune_malloc() {
    const MMAP_THRESHOLD: libc::c_int = 128 * 1024;
    // SAFETY: mallopt(3) only changes allocator parameters; it is called before any other thread
    // is started, and its failure (0) leaves the defaults in place, which is harmless.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}

/// Not glibc: the allocator is left as it is.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune_malloc() {}

/// `malloc_trim(0)`: hands the free memory of glibc's arenas back to the kernel.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub(crate) fn malloc_trim() {
    // SAFETY: malloc_trim only walks glibc's own arenas under their locks; it takes no pointer
    // from us and may be called from any thread at any time.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Other allocators return memory on their own.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) fn malloc_trim() {}

/// Makes the process that `command` starts a child subreaper (`PR_SET_CHILD_SUBREAPER`) between
/// `fork` and `exec`; the setting is kept across `execve`.
#[allow(unsafe_code)]
pub(crate) fn child_subreaper_before_exec(command: &mut tokio::process::Command) {
    // SAFETY: the closure runs in the forked child before exec, where only async-signal-safe
    // calls are allowed: it makes one prctl(2) system call (rustix issues it directly, with no
    // allocation and no lock) and touches no memory shared with the parent.
    unsafe {
        command.pre_exec(|| {
            // A process that cannot be made one still runs; its group is still killed.
            let _ = rustix::process::set_child_subreaper(Some(rustix::process::getpid()));
            Ok(())
        });
    }
}

/// Registers a kernel descriptor (a pidfd, an inotify or netlink socket) with the runtime, for
/// readiness. tokio's `AsyncFd::register` asks the caller to promise that the descriptor stays open
/// and the same for the `AsyncFd`'s whole life.
#[allow(unsafe_code)]
pub(crate) fn async_fd(
    fd: std::os::fd::OwnedFd,
) -> io::Result<tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>> {
    // SAFETY: the `OwnedFd` moves into the AsyncFd, which alone closes it, when it is dropped; an
    // `OwnedFd`'s `as_raw_fd` never changes.
    unsafe { tokio::io::unix::AsyncFd::register(fd) }.map_err(io::Error::from)
}
