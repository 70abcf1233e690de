//! Process exits, from pidfds (Linux 5.3): a pidfd becomes readable when its process exits, so a
//! crash is seen the moment the kernel reaps the process's threads, without polling.

use std::os::fd::OwnedFd;

use futures_util::future::{FutureExt, select_all};
use rustix::process::{Pid, PidfdFlags, pidfd_open};
use tokio::io::unix::AsyncFd;

/// Waits until one of `pids` exits; returns which. Never ends when none of them can be watched
/// (gone already, or no pidfd support): the check's own runs then see it.
pub async fn any_exit(pids: Vec<u32>) -> u32 {
    let mut watched = Vec::new();
    for pid in pids {
        let Some(raw) = i32::try_from(pid).ok().and_then(Pid::from_raw) else {
            continue;
        };
        let Ok(fd) = pidfd_open(raw, PidfdFlags::NONBLOCK) else {
            continue;
        };
        let Ok(fd) = crate::sys::async_fd(fd) else {
            continue;
        };
        watched.push(exited(pid, fd).boxed());
    }
    if watched.is_empty() {
        return std::future::pending().await;
    }
    select_all(watched).await.0
}

async fn exited(pid: u32, fd: AsyncFd<OwnedFd>) -> u32 {
    // Readable means exited; an error on the descriptor is as good a reason to look.
    let _ = fd.readable().await;
    pid
}
