//! Starting one `exec` plugin without `fork`: the program is found on `PATH` the way `execvp`
//! finds it, the environment is the daemon's with the check's `env` on top, stdin and stderr are
//! `/dev/null`, stdout is a pipe; the process is started by [`crate::sys::spawn_subreaper`] (in a
//! process group of its own, a child subreaper) and handed back with a pidfd to wait on.
//!
//! Run on the exec thread ([`super::spawner`]); every descriptor is close-on-exec, so a plugin
//! inherits only its three standard streams.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::ffi::{CStr, CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use rustix::fs::{Access, Mode, OFlags};
use rustix::pipe::PipeFlags;
use rustix::process::{Pid, PidfdFlags};

/// The search path when neither the check's `env` nor the daemon's environment sets `PATH`
/// (glibc's `execvp` uses the same).
const DEFAULT_PATH: &str = "/bin:/usr/bin";

/// A started plugin. Until it is reaped (through `pidfd`, or by the exec thread), its PID stays
/// ours.
#[derive(Debug)]
pub(super) struct Spawned {
    pub pid: Pid,
    /// Readable once the plugin has exited (Linux 5.3); non-blocking.
    pub pidfd: OwnedFd,
    /// The read end of the plugin's stdout.
    pub stdout: OwnedFd,
}

/// Starts `command` (argv; `command[0]` is the program) with `env` added to the daemon's
/// environment.
pub(super) fn launch(command: &[String], env: &BTreeMap<String, String>) -> io::Result<Spawned> {
    let Some(program) = command.first() else {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "empty command"));
    };
    // Most checks set no `env`: their environment is the daemon's, built once.
    let own;
    let prepared = if env.is_empty() {
        inherited()
    } else {
        own = Prepared::of(environment(std::env::vars_os(), env))?;
        &own
    };
    let path = find_program(OsStr::new(program), prepared.path.as_deref())?;
    let program = c_string(path.into_os_string().into_vec())?;
    let argv = command
        .iter()
        .map(|arg| c_string(arg.as_bytes().to_vec()))
        .collect::<io::Result<Vec<CString>>>()?;
    let envp = &prepared.envp;

    let null = above_stdio(rustix::fs::open(
        "/dev/null",
        OFlags::RDWR | OFlags::CLOEXEC,
        Mode::empty(),
    )?)?;
    let (read, write) = rustix::pipe::pipe_with(PipeFlags::CLOEXEC)?;
    let (read, write) = (above_stdio(read)?, above_stdio(write)?);
    let pid = crate::sys::spawn_subreaper(
        &program,
        &pointers(&argv),
        &pointers(envp),
        [null.as_fd(), write.as_fd(), null.as_fd()],
    )?;
    // The plugin holds the write end now: the read end sees EOF once it (and what it started)
    // closed theirs.
    drop(write);
    match rustix::process::pidfd_open(pid, PidfdFlags::NONBLOCK) {
        Ok(pidfd) => Ok(Spawned {
            pid,
            pidfd,
            stdout: read,
        }),
        Err(e) => {
            // No pidfd (a kernel before 5.3): the plugin cannot be waited for; end it now.
            let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
            let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
            Err(io::Error::other(format!("pidfd_open: {e}")))
        }
    }
}

/// An environment ready for `execve`, and its `PATH`.
struct Prepared {
    envp: Vec<CString>,
    path: Option<OsString>,
}

impl Prepared {
    fn of(environment: Vec<(OsString, OsString)>) -> io::Result<Prepared> {
        let path = environment
            .iter()
            .find_map(|(key, value)| (key.as_os_str() == "PATH").then(|| value.clone()));
        let envp = environment
            .into_iter()
            .map(|(key, value)| {
                let mut pair = key.into_vec();
                pair.push(b'=');
                pair.extend_from_slice(value.as_bytes());
                c_string(pair)
            })
            .collect::<io::Result<Vec<CString>>>()?;
        Ok(Prepared { envp, path })
    }
}

/// The daemon's own environment, prepared at the first plugin (the daemon never changes it).
/// A variable that cannot be passed (it holds a NUL byte, which the kernel never gives) is left
/// out.
fn inherited() -> &'static Prepared {
    static INHERITED: std::sync::OnceLock<Prepared> = std::sync::OnceLock::new();
    INHERITED.get_or_init(|| {
        let environment = environment(std::env::vars_os(), &BTreeMap::new());
        let usable = environment
            .into_iter()
            .filter(|(key, value)| !key.as_bytes().contains(&0) && !value.as_bytes().contains(&0))
            .collect();
        Prepared::of(usable).unwrap_or(Prepared {
            envp: Vec::new(),
            path: None,
        })
    })
}

/// The daemon's environment with `extra` set on top (a key in both takes `extra`'s value).
fn environment(
    inherited: impl Iterator<Item = (OsString, OsString)>,
    extra: &BTreeMap<String, String>,
) -> Vec<(OsString, OsString)> {
    let mut all: BTreeMap<OsString, OsString> = inherited.collect();
    for (key, value) in extra {
        all.insert(key.into(), value.into());
    }
    all.into_iter().collect()
}

/// Finds `program` as `execvp` does: a name with a `/` is used as it is; otherwise the first
/// executable regular file of that name in `search` (colon-separated; an empty entry is the
/// working directory). Not found: `ENOENT`, or `EACCES` when only files that cannot be run were.
fn find_program(program: &OsStr, search: Option<&OsStr>) -> io::Result<PathBuf> {
    if program.is_empty() {
        return Err(io::Error::from_raw_os_error(libc::ENOENT));
    }
    if program.as_bytes().contains(&b'/') {
        return Ok(PathBuf::from(program));
    }
    let search = search.unwrap_or(OsStr::new(DEFAULT_PATH));
    let mut denied = false;
    for dir in search.as_bytes().split(|b| *b == b':') {
        let dir = if dir.is_empty() {
            Path::new(".")
        } else {
            Path::new(OsStr::from_bytes(dir))
        };
        let candidate = dir.join(program);
        match std::fs::metadata(&candidate) {
            Ok(meta) if meta.is_file() => {
                if rustix::fs::access(&candidate, Access::EXEC_OK).is_ok() {
                    return Ok(candidate);
                }
                denied = true;
            }
            _ => {}
        }
    }
    Err(io::Error::from_raw_os_error(if denied {
        libc::EACCES
    } else {
        libc::ENOENT
    }))
}

fn c_string(bytes: Vec<u8>) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "a NUL byte in the command or its environment",
        )
    })
}

/// The null-terminated pointer array `execve` takes; valid while `strings` lives.
fn pointers(strings: &[CString]) -> Vec<*const libc::c_char> {
    strings
        .iter()
        .map(|s| CStr::as_ptr(s))
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}

/// `fd` moved to a number above 2 (close-on-exec), so putting the plugin's standard streams in
/// place never overwrites one of them; a daemon started with a standard stream closed gets such a
/// number from `open`.
fn above_stdio(fd: OwnedFd) -> io::Result<OwnedFd> {
    use std::os::fd::AsRawFd;
    if fd.as_raw_fd() > 2 {
        Ok(fd)
    } else {
        Ok(rustix::io::fcntl_dupfd_cloexec(&fd, 3)?)
    }
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn the_check_s_env_is_laid_over_the_daemon_s() {
        let inherited = vec![
            (OsString::from("PATH"), OsString::from("/bin")),
            (OsString::from("HOME"), OsString::from("/root")),
        ];
        let extra = BTreeMap::from([
            ("PATH".to_owned(), "/opt/plugins".to_owned()),
            ("MODE".to_owned(), "strict".to_owned()),
        ]);
        let env = environment(inherited.into_iter(), &extra);
        let get = |k: &str| env.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        assert_eq!(get("PATH"), Some(OsString::from("/opt/plugins")));
        assert_eq!(get("HOME"), Some(OsString::from("/root")));
        assert_eq!(get("MODE"), Some(OsString::from("strict")));
        assert_eq!(env.len(), 3);
    }

    #[test]
    fn programs_are_found_on_the_search_path_as_execvp_finds_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "data").expect("write");
        let search = format!("/nonexistent:{}:/usr/bin:/bin", dir.path().display());
        // Found in the first directory that has it as an executable file.
        let found = find_program(OsStr::new("true"), Some(OsStr::new(&search))).expect("true");
        assert!(found.ends_with("true"), "{found:?}");
        // A path is used as it is.
        assert_eq!(
            find_program(OsStr::new("./x/y"), None).expect("path"),
            PathBuf::from("./x/y")
        );
        // A file that cannot be run: EACCES, as execvp says; nothing at all: ENOENT.
        let denied = find_program(OsStr::new("plain"), Some(OsStr::new(&search)))
            .expect_err("not executable");
        assert_eq!(denied.raw_os_error(), Some(libc::EACCES));
        let missing = find_program(OsStr::new("no-such-plugin"), Some(OsStr::new(&search)))
            .expect_err("missing");
        assert_eq!(missing.raw_os_error(), Some(libc::ENOENT));
    }
}
