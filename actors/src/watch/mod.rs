//! Watches: what tells a check to run now instead of at its next scheduled run. Each watch is a
//! future that ends when its event comes (a sentinel connection closed, a process exited, a file
//! or an address changed); the CheckActor feeds the event to its core schedule
//! ([`anycastd::health::schedule`]), which decides whether a run starts. A watch never decides
//! health on its own.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod inotify;
pub mod netlink;
pub mod pidfd;
pub mod sentinel;

use std::io;
use std::os::fd::OwnedFd;

use tokio::io::unix::AsyncFd;

/// Registers a kernel descriptor (pidfd, inotify, netlink socket) with the runtime, for readiness.
///
/// This module's only `unsafe`: tokio's `AsyncFd::register` asks the caller to promise that the
/// descriptor stays open and the same for the `AsyncFd`'s whole life. An [`OwnedFd`] moved into it
/// does: it is closed only when the `AsyncFd` drops it, and its `as_raw_fd` never changes.
#[allow(unsafe_code)]
pub(crate) fn readiness(fd: OwnedFd) -> io::Result<AsyncFd<OwnedFd>> {
    // SAFETY: `fd` is owned by the returned AsyncFd and closed only when it is dropped (see above).
    unsafe { AsyncFd::register(fd) }.map_err(io::Error::from)
}
