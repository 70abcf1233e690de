//! The state file (`lifecycle.state_file`): the operator's drains, read once at start before the
//! first announcement and written whenever they change, atomically: a temporary file beside it,
//! fsync, rename over it, fsync of the directory. A crash leaves the old file or the new one,
//! never half of one. The format is the core's ([`Drains::to_state_text`]).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anycastd::health::drain::{Drains, StateError};

use crate::files;

/// The largest state file read: drains of a few thousand services with their reasons fit well.
const STATE_LIMIT: u64 = 1024 * 1024;

/// Why the state file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file exists but cannot be read (or is not a regular file, or is too large).
    #[error("{0}: {1}")]
    Io(PathBuf, #[source] files::ReadError),
    /// The file is not a state file this daemon reads.
    #[error("{0}: {1}")]
    Bad(PathBuf, #[source] StateError),
}

/// The drains in `path`; none when the file does not exist (a first start).
pub fn read(path: &Path) -> Result<Drains, ReadError> {
    // Through the bounded reader, as every file the daemon is told to read: a FIFO or a device
    // there is refused, never waited on.
    match files::read_text(path, STATE_LIMIT) {
        Ok(text) => {
            Drains::from_state_text(&text).map_err(|e| ReadError::Bad(path.to_path_buf(), e))
        }
        Err(files::ReadError::Open(e)) if e.kind() == io::ErrorKind::NotFound => {
            Ok(Drains::default())
        }
        Err(e) => Err(ReadError::Io(path.to_path_buf(), e)),
    }
}

/// Writes `drains` to `path` atomically (temporary file, fsync, rename, fsync of the directory).
/// The file is readable by its owner and group only.
pub fn write(path: &Path, drains: &Drains) -> io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o640)
            .open(&temporary)?;
        file.write_all(drains.to_state_text().as_bytes())?;
        file.sync_all()?;
        fs::rename(&temporary, path)?;
        File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;
    use anycastd::health::drain::Drain;

    #[test]
    fn a_written_file_reads_back_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        assert_eq!(read(&path).ok(), Some(Drains::default()));
        let mut drains = Drains {
            node: Some(Drain::new("maintenance", 1_700_000_000)),
            ..Drains::default()
        };
        drains
            .services
            .insert("dns".to_string(), Drain::new("upgrade", 1_700_000_100));
        write(&path, &drains).expect("write");
        assert_eq!(read(&path).ok(), Some(drains.clone()));
        drains.node = None;
        write(&path, &drains).expect("write again");
        assert_eq!(read(&path).ok(), Some(drains));
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .filter_map(Result::ok)
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("state.json")]);
    }

    #[test]
    fn a_bad_file_is_an_error_not_an_empty_state() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        fs::write(&path, "{\"version\": 9}").expect("write");
        assert!(matches!(read(&path), Err(ReadError::Bad(..))));
        fs::write(&path, "not json").expect("write");
        assert!(matches!(read(&path), Err(ReadError::Bad(..))));
    }

    #[test]
    fn an_unwritable_directory_is_an_error() {
        let path = Path::new("/nonexistent-anycastd-dir/state.json");
        assert!(write(path, &Drains::default()).is_err());
    }
}
