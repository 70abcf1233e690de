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

/// What the child of [`spawn_subreaper`] needs, prepared by the parent: it may not allocate.
#[repr(C)]
struct ChildArgs {
    program: *const libc::c_char,
    argv: *const *const libc::c_char,
    envp: *const *const libc::c_char,
    stdin: libc::c_int,
    stdout: libc::c_int,
    stderr: libc::c_int,
    /// Written by the child when `execve` fails: its errno.
    error: libc::c_int,
}

/// Bytes of stack for the child of [`spawn_subreaper`] until it calls `execve`: it runs a few
/// system call wrappers and nothing else.
const CHILD_STACK: usize = 64 * 1024;

/// Starts `program` with `argv` and `envp` (each a null-terminated array of pointers into
/// C strings the caller keeps alive), its stdin, stdout and stderr on the given descriptors, in a
/// process group of its own and as a child subreaper (`PR_SET_CHILD_SUBREAPER`, kept across
/// `execve`), with every handled signal and SIGPIPE at its default action and none blocked, and
/// no other descriptor open. Returns its PID; the caller reaps it.
///
/// The child shares the daemon's memory until it calls `execve` (`CLONE_VM | CLONE_VFORK`, the way
/// `posix_spawn` starts a process): `fork` copied the daemon's page tables for every plugin and
/// made the daemon take a copy-on-write fault on each page it then wrote, which at hundreds of
/// plugins a second was most of a core. `posix_spawn` itself cannot make the child a subreaper.
///
/// The descriptors must not be 0, 1 or 2 (the caller moves them above 2).
pub(crate) fn spawn_subreaper(
    program: &std::ffi::CStr,
    argv: &[*const libc::c_char],
    envp: &[*const libc::c_char],
    stdio: [BorrowedFd<'_>; 3],
) -> io::Result<rustix::process::Pid> {
    if argv.last() != Some(&std::ptr::null()) || envp.last() != Some(&std::ptr::null()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "argv and envp must end with a null pointer",
        ));
    }
    if stdio.iter().any(|fd| fd.as_raw_fd() <= 2) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the child's descriptors must be above 2",
        ));
    }
    let [stdin, stdout, stderr] = stdio;
    let mut args = ChildArgs {
        program: program.as_ptr(),
        argv: argv.as_ptr(),
        envp: envp.as_ptr(),
        stdin: stdin.as_raw_fd(),
        stdout: stdout.as_raw_fd(),
        stderr: stderr.as_raw_fd(),
        error: 0,
    };
    thread_local! {
        // One per thread that starts plugins, made once: zeroing 64 KiB per start was a tenth of
        // the start's cost.
        static STACK: std::cell::RefCell<Box<[u8]>> =
            std::cell::RefCell::new(vec![0u8; CHILD_STACK].into_boxed_slice());
    }
    STACK.with(|stack| {
        let mut stack = stack.borrow_mut();
        clone_child(&mut args, &mut stack)
    })
}

/// `clone` of [`child_main`] on `stack` with `args` (see [`spawn_subreaper`]).
#[allow(unsafe_code)]
fn clone_child(args: &mut ChildArgs, stack: &mut [u8]) -> io::Result<rustix::process::Pid> {
    // The stack grows down: the child starts at the top, aligned to 16 bytes.
    let top = stack.as_mut_ptr().wrapping_add(stack.len());
    let top = top.wrapping_sub(top as usize % 16);
    let args_ptr: *mut ChildArgs = args;
    // SAFETY:
    // - Every signal is blocked on this thread around `clone`, so no handler of the daemon runs
    //   in the child while it shares the daemon's memory; the child resets every handled signal
    //   to its default action before it unblocks them.
    // - `CLONE_VFORK` suspends this thread until the child has called `execve` or exited, so
    //   `args`, `stack` (borrowed for this call) and what `argv`/`envp` point to outlive the
    //   child's use of them, and nothing else of this thread changes meanwhile. The other
    //   threads never see them.
    // - The child (`child_main`) only makes async-signal-safe calls, allocates nothing and takes
    //   no lock, and ends in `execve` or `_exit`; it writes only `args.error`, which this thread
    //   reads (volatile) after it resumes.
    unsafe {
        let mut all: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut all);
        // The system call itself: glibc's wrappers leave its own two signals unblocked.
        sigprocmask(&all, &mut old);
        let pid = libc::clone(
            child_main,
            top.cast(),
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            args_ptr.cast(),
        );
        let clone_error = io::Error::last_os_error();
        sigprocmask(&old, std::ptr::null_mut());
        if pid < 0 {
            return Err(clone_error);
        }
        let pid = rustix::process::Pid::from_raw(pid)
            .ok_or_else(|| io::Error::other("clone returned PID 0 in the parent"))?;
        let error = std::ptr::read_volatile(&raw const (*args_ptr).error);
        if error != 0 {
            // The child has already exited with 127; it is ours to reap.
            let _ = rustix::process::waitpid(Some(pid), rustix::process::WaitOptions::empty());
            return Err(io::Error::from_raw_os_error(error));
        }
        Ok(pid)
    }
}

/// `rt_sigprocmask(SIG_SETMASK, set, old)` as the kernel has it (the mask of 64 signals).
///
/// # Safety
/// `set` points to a valid `sigset_t`; `old` is null or points to a writable one.
#[allow(unsafe_code)]
unsafe fn sigprocmask(set: *const libc::sigset_t, old: *mut libc::sigset_t) {
    // SAFETY: as the caller promises; the kernel reads and writes 8 bytes of each.
    unsafe {
        libc::syscall(
            libc::SYS_rt_sigprocmask,
            libc::SIG_SETMASK,
            set,
            old,
            8usize,
        );
    }
}

/// The child of [`spawn_subreaper`], on its own stack, sharing the daemon's memory.
#[allow(unsafe_code)]
extern "C" fn child_main(raw: *mut libc::c_void) -> libc::c_int {
    let args: *mut ChildArgs = raw.cast();
    // SAFETY: `raw` is the `ChildArgs` of the suspended parent thread (see `spawn_subreaper`);
    // every call below is async-signal-safe and allocation-free.
    unsafe {
        // Handlers are the daemon's code: none may run here, nor survive into the plugin.
        for signal in 1..=libc::SIGRTMAX() {
            let mut action: libc::sigaction = std::mem::zeroed();
            // An ignored signal stays ignored, as `execve` keeps it, except SIGPIPE, which the
            // Rust runtime ignores for itself (as std's `Command` does).
            if libc::sigaction(signal, std::ptr::null(), &mut action) == 0
                && action.sa_sigaction != libc::SIG_DFL
                && (action.sa_sigaction != libc::SIG_IGN || signal == libc::SIGPIPE)
            {
                action.sa_sigaction = libc::SIG_DFL;
                action.sa_flags = 0;
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
        // A plugin that cannot be made one still runs; its group is still killed.
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        let ok = libc::setpgid(0, 0) == 0
            && libc::dup2((*args).stdin, 0) == 0
            && libc::dup2((*args).stdout, 1) == 1
            && libc::dup2((*args).stderr, 2) == 2;
        if ok {
            // Descriptors the daemon inherited without close-on-exec (a jobserver pipe, a
            // supervisor's socket) are not the plugin's. Kernels before 5.9 leave them open.
            libc::syscall(libc::SYS_close_range, 3u32, u32::MAX, 0u32);
            let mut none: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut none);
            sigprocmask(&none, std::ptr::null_mut());
            libc::execve((*args).program, (*args).argv, (*args).envp);
        }
        std::ptr::write_volatile(&raw mut (*args).error, *libc::__errno_location());
        libc::_exit(127)
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
