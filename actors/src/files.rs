//! The files the daemon is told to read: the configuration, the TCP MD5 key files and the PEM
//! files of `tls_certificate` checks. Every reader goes through [`read_bounded`], which never blocks on what is not a plain file and never reads
//! without limit:
//!
//! - the file is opened with `O_NONBLOCK` (opening a FIFO with no writer would otherwise wait for
//!   one), then checked with `fstat` on the open descriptor (no window between a check and the
//!   open): anything but a regular file (a FIFO, `/dev/zero`, a directory, a socket) is refused;
//! - at most `limit` bytes are read ([`CONFIG_LIMIT`], [`KEY_FILE_LIMIT`]); a larger file is
//!   refused with the limit in the message, before its content is held in memory.
//!
//! [`read_off_thread`] runs a read (and whatever parses it) on a thread of its own, so a slow disk
//! or a huge file never stalls the actors: their KEEPALIVEs, `/healthz` and signals go on. A
//! plain thread rather than tokio's blocking pool: the runtime waits for its blocking tasks when it
//! shuts down, a detached thread does not hold up the exit.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// Largest configuration file read: 16 MiB (the largest real configuration is a few hundred KiB).
pub const CONFIG_LIMIT: u64 = 16 * 1024 * 1024;

/// Largest `md5_password_file` read: 4 KiB (a key is at most 80 bytes).
pub const KEY_FILE_LIMIT: u64 = 4096;

/// Largest PEM file a `tls_certificate` check reads (`local.path`, `ca_file`): 1 MiB, room for
/// the largest CA bundles.
pub const PEM_LIMIT: u64 = 1024 * 1024;

/// Why a file could not be read. The message never repeats the path: callers put it in front.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// `open(2)` failed (missing, no permission, ...).
    #[error("cannot read: {0}")]
    Open(#[source] io::Error),
    /// The path is not a regular file.
    #[error("not a regular file (it is {0}); only a regular file is read")]
    NotRegular(&'static str),
    /// The file is larger than the limit.
    #[error("larger than the {} limit; refused without reading it", size_text(*.0))]
    TooLarge(u64),
    /// `read(2)` failed.
    #[error("cannot read: {0}")]
    Read(#[source] io::Error),
}

/// Reads the whole regular file at `path`, at most `limit` bytes, without ever blocking on a FIFO
/// or a device.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(ReadError::Open)?;
    let metadata = file.metadata().map_err(ReadError::Open)?;
    let kind = metadata.file_type();
    if !kind.is_file() {
        return Err(ReadError::NotRegular(kind_name(&kind)));
    }
    if metadata.len() > limit {
        return Err(ReadError::TooLarge(limit));
    }
    read_at_most(file, metadata.len(), limit)
}

/// Reads `file` (of `size` bytes when opened) to its end, refusing it once it passes `limit` (a
/// file still growing).
fn read_at_most(file: File, size: u64, limit: u64) -> Result<Vec<u8>, ReadError> {
    let capacity = usize::try_from(size.min(limit)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Read)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge(limit));
    }
    Ok(bytes)
}

/// Reads a text file (the configuration): [`read_bounded`], then UTF-8. A NUL byte or a byte order
/// mark is left to the config loader, which reports it at its position.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_bounded(path, limit)?;
    String::from_utf8(bytes).map_err(|e| {
        ReadError::Read(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("not UTF-8 text (at byte {})", e.utf8_error().valid_up_to()),
        ))
    })
}

fn kind_name(kind: &std::fs::FileType) -> &'static str {
    if kind.is_dir() {
        "a directory"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// `16 MiB`, `4 KiB`, `100 bytes`.
fn size_text(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes % MIB == 0 {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes % KIB == 0 {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// Runs `work` (a read and whatever parses it) on a thread of its own and awaits its result; the
/// calling actor keeps serving its messages meanwhile. Fails only when no thread can be started or
/// the work did not finish (a bug).
pub async fn read_off_thread<T, F>(work: F) -> io::Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (reply, answer) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("anycastd-read".into())
        .spawn(move || {
            let _ = reply.send(work());
            release_memory();
        })?;
    answer
        .await
        .map_err(|_| io::Error::other("the reading thread ended without an answer"))
}

/// Hands the heap memory freed by a large read and parse back to the kernel. glibc keeps freed
/// small blocks in its arenas; without this a big configuration, even a refused one, would leave
/// the daemon's RSS at its peak.
pub fn release_memory() {
    crate::sys::malloc_trim();
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read_whole_and_limits_are_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"hello").expect("write");
        assert_eq!(read_bounded(&path, 5).expect("read"), b"hello");
        let error = read_bounded(&path, 4).expect_err("too large");
        assert_eq!(
            error.to_string(),
            "larger than the 4 bytes limit; refused without reading it"
        );
        assert!(matches!(
            read_bounded(&dir.path().join("absent"), 5),
            Err(ReadError::Open(_))
        ));
        assert!(matches!(
            read_bounded(dir.path(), 5),
            Err(ReadError::NotRegular("a directory"))
        ));
    }

    #[test]
    fn devices_and_fifos_are_refused_at_once() {
        let error = read_bounded(Path::new("/dev/zero"), CONFIG_LIMIT).expect_err("device");
        assert_eq!(
            error.to_string(),
            "not a regular file (it is a character device); only a regular file is read"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        assert!(matches!(
            read_bounded(&fifo, KEY_FILE_LIMIT),
            Err(ReadError::NotRegular("a FIFO"))
        ));
    }

    #[test]
    fn sizes_read_as_units() {
        assert_eq!(size_text(CONFIG_LIMIT), "16 MiB");
        assert_eq!(size_text(KEY_FILE_LIMIT), "4 KiB");
        assert_eq!(size_text(100), "100 bytes");
    }
}
