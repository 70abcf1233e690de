//! Changes of one file, from inotify: its directory is watched, and every event naming the file
//! (created, written, deleted, renamed to or from) is reported. A directory that does not exist
//! cannot be watched; the check's own runs still see the file.

use std::ffi::OsString;
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use futures_util::Stream;
use rustix::fs::inotify::{self, CreateFlags, WatchFlags};
use tokio::io::unix::AsyncFd;

/// A stream that yields a line for each batch of events about `path`.
pub fn changes(path: &Path) -> io::Result<impl Stream<Item = String> + use<>> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_os_string())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no file name"))?;
    let fd = inotify::init(CreateFlags::CLOEXEC | CreateFlags::NONBLOCK)?;
    let flags = WatchFlags::CREATE
        | WatchFlags::DELETE
        | WatchFlags::MOVED_FROM
        | WatchFlags::MOVED_TO
        | WatchFlags::CLOSE_WRITE
        | WatchFlags::MODIFY
        | WatchFlags::ATTRIB
        | WatchFlags::DELETE_SELF
        | WatchFlags::MOVE_SELF;
    inotify::add_watch(&fd, dir, flags)?;
    let fd = crate::sys::async_fd(fd)?;
    Ok(futures_util::stream::unfold(
        (fd, name),
        |(fd, name)| async move {
            loop {
                match next(&fd, &name).await {
                    Ok(Some(what)) => return Some((what, (fd, name))),
                    Ok(None) => continue,
                    Err(_) => return None,
                }
            }
        },
    ))
}

/// Waits for events; `Some` when one of them is about `name` (or the directory itself went away).
async fn next(fd: &AsyncFd<OwnedFd>, name: &OsString) -> io::Result<Option<String>> {
    let mut guard = fd.readable().await?;
    let mut buf = [MaybeUninit::<u8>::uninit(); 4096];
    let mut hit = None;
    let result = guard.try_io(|fd| {
        let mut reader = inotify::Reader::new(fd.get_ref(), &mut buf);
        loop {
            match reader.next() {
                Ok(event) => {
                    let flags = event.events();
                    let about_it = match event.file_name() {
                        Some(n) => n.to_bytes() == name.as_bytes(),
                        None => flags.intersects(
                            inotify::ReadFlags::DELETE_SELF | inotify::ReadFlags::MOVE_SELF,
                        ),
                    };
                    if about_it && hit.is_none() {
                        hit = Some(format!("{flags:?}"));
                    }
                }
                Err(rustix::io::Errno::AGAIN) => {
                    return Err(io::Error::from(io::ErrorKind::WouldBlock));
                }
                Err(e) => return Err(io::Error::from(e)),
            }
        }
    });
    match result {
        // Drained: the events read so far are all there is.
        Ok(Err(e)) if e.kind() == io::ErrorKind::WouldBlock => Ok(hit),
        Ok(Err(e)) => Err(e),
        Ok(Ok(())) => Ok(hit),
        Err(_would_block) => Ok(hit),
    }
}
