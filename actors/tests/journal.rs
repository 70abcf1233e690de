//! The daemon under systemd, through the real binary: with `JOURNAL_STREAM` naming its standard
//! error every log line starts with its syslog priority and has no timestamp (start-up errors too,
//! and JSON lines under `LOG_FORMAT=json`); with a `NOTIFY_SOCKET` (a Unix datagram socket owned by
//! the test) a reload is framed by `RELOADING=1` + `MONOTONIC_USEC=` and `READY=1`, and a stop
//! sends `STOPPING=1` and `EXTEND_TIMEOUT_USEC=` covering `shutdown.drain_time`.

mod support;

use std::os::unix::fs::MetadataExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use support::{Answer, TestServer, free_port};

const BIN: &str = env!("CARGO_BIN_EXE_anycastd");
const WAIT: Duration = Duration::from_secs(15);

fn anycastd() -> Command {
    let mut command = Command::new(BIN);
    command
        .env_remove("CONFIG_PATH")
        .env_remove("LOG_FORMAT")
        .env_remove("JOURNAL_STREAM")
        .env_remove("NOTIFY_SOCKET")
        .env_remove("WATCHDOG_USEC")
        .env_remove("WATCHDOG_PID")
        .env("LOG_LEVEL", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null());
    command
}

/// One service with an HTTP check against `url`, metrics on a free port, `drain_time`.
fn config(dir: &Path, url: &str, drain_time: &str) -> PathBuf {
    let text = format!(
        "announcer:\n  router_id: 192.0.2.254\n  local_address: 127.0.0.1\n  local_asn: 65001\n  \
         routes:\n    - 192.0.2.1/32\n  peers:\n    - name: r1\n      remote_address: 127.0.0.2\n      \
         remote_asn: 65000\nservices:\n  - name: web\n    check_interval: 200ms\n    checks:\n      \
         - kind: http_2xx\n        spec:\n          url: \"{url}\"\n          method: GET\n          \
         tries: 1\n          interval: 100ms\n          timeout: 1s\nmetrics:\n  enabled: true\n  \
         address: \"127.0.0.1:{port}\"\nshutdown:\n  drain_time: {drain_time}\n",
        port = free_port()
    );
    let path = dir.join("config.yaml");
    std::fs::write(&path, text).expect("write the config");
    path
}

/// A log file standing in for the journal stream, and the `JOURNAL_STREAM` value naming it.
fn journal_file(dir: &Path) -> (PathBuf, String) {
    let path = dir.join("stderr");
    std::fs::File::create(&path).expect("create the stderr file");
    let meta = std::fs::metadata(&path).expect("stat");
    let value = format!("{}:{}", meta.dev(), meta.ino());
    (path, value)
}

fn spawn(mut command: Command, stderr: &Path) -> Daemon {
    let file = std::fs::OpenOptions::new()
        .append(true)
        .open(stderr)
        .expect("open the stderr file");
    let child = command.stderr(file).spawn().expect("start anycastd");
    Daemon {
        child,
        log: stderr.to_path_buf(),
    }
}

/// The daemon under test; killed (by its own PID) when dropped.
struct Daemon {
    child: Child,
    log: PathBuf,
}

impl Daemon {
    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args(["-s", name, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill -s {name}");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_log(&mut self, needle: &str) {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if self.log().contains(needle) {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("exited with {status} before {needle:?}:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no {needle:?} in {WAIT:?}:\n{}", self.log());
    }

    fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("did not exit in {WAIT:?}:\n{}", self.log());
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `<N>` and the rest of a journal line; panics on a line without a priority.
fn priority(line: &str) -> (u8, &str) {
    let rest = line
        .strip_prefix('<')
        .unwrap_or_else(|| panic!("no priority: {line:?}"));
    let (n, rest) = rest
        .split_once('>')
        .unwrap_or_else(|| panic!("no priority: {line:?}"));
    (
        n.parse()
            .unwrap_or_else(|_| panic!("bad priority: {line:?}")),
        rest,
    )
}

/// Whether `text` starts with an RFC 3339 stamp such as `2026-01-01T00:00:00`.
fn stamped(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() > 19 && b.get(4) == Some(&b'-') && b.get(10) == Some(&b'T') && b.get(13) == Some(&b':')
}

#[test]
fn under_the_journal_every_line_has_its_priority_and_no_timestamp() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = TestServer::start(Answer::Ok);
    let config = config(dir.path(), &target.url("/"), "0s");
    let (stderr, stream) = journal_file(dir.path());
    let mut command = anycastd();
    command
        .arg("--config")
        .arg(&config)
        .env("JOURNAL_STREAM", &stream);
    let mut daemon = spawn(command, &stderr);
    daemon.wait_log("ready");
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit().code(), Some(0));
    let log = daemon.log();
    let mut seen = Vec::new();
    for line in log.lines() {
        let (n, rest) = priority(line);
        assert!(
            !stamped(rest),
            "a journal line has its own timestamp: {line}"
        );
        let level = rest.split_whitespace().next().unwrap_or_default();
        let want = match level {
            "ERROR" => 3,
            "WARN" => 4,
            "INFO" => 6,
            _ => 7,
        };
        assert_eq!(n, want, "{line}");
        seen.push(n);
    }
    assert!(
        seen.contains(&6) && seen.contains(&4),
        "info and warning lines:\n{log}"
    );
}

#[test]
fn start_up_errors_go_through_the_journal_logger_in_json_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (stderr, stream) = journal_file(dir.path());
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "announcer: {}\nservices: []\nbogus: 1\n").expect("write");
    let mut command = anycastd();
    command
        .arg("--config")
        .arg(&bad)
        .env("JOURNAL_STREAM", &stream)
        .env("LOG_FORMAT", "json");
    let mut daemon = spawn(command, &stderr);
    assert_eq!(daemon.wait_exit().code(), Some(2));
    let log = daemon.log();
    assert!(
        log.lines().count() >= 2,
        "every error, one line each:\n{log}"
    );
    for line in log.lines() {
        let (n, rest) = priority(line);
        assert_eq!(n, 3, "{line}");
        let value: serde_json::Value = serde_json::from_str(rest).expect("a JSON object");
        assert_eq!(value["level"], "ERROR", "{line}");
        assert!(value.get("ts").is_none(), "{line}");
        assert!(
            value["msg"]
                .as_str()
                .is_some_and(|m| m.contains("bad.yaml:")),
            "{line}"
        );
    }
    // The same error with a bad LOG_LEVEL: still a journal line.
    let again = dir.path().join("again");
    std::fs::create_dir(&again).expect("mkdir");
    let (stderr, stream) = journal_file(&again);
    let mut command = anycastd();
    command
        .arg("--config")
        .arg(&bad)
        .env("JOURNAL_STREAM", &stream)
        .env("LOG_LEVEL", "loud");
    let mut daemon = spawn(command, &stderr);
    assert_eq!(daemon.wait_exit().code(), Some(2));
    let log = daemon.log();
    let (n, rest) = priority(log.trim_end());
    assert_eq!(n, 3);
    assert!(
        rest.starts_with("ERROR anycastd: invalid LOG_LEVEL"),
        "{log}"
    );
}

#[test]
fn a_journal_stream_that_is_not_stderr_is_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (stderr, _) = journal_file(dir.path());
    let other = dir.path().join("other");
    std::fs::write(&other, "").expect("write");
    let meta = std::fs::metadata(&other).expect("stat");
    let mut command = anycastd();
    command
        .arg("--config")
        .arg(dir.path().join("absent.yaml"))
        .env("JOURNAL_STREAM", format!("{}:{}", meta.dev(), meta.ino()));
    let mut daemon = spawn(command, &stderr);
    assert_eq!(daemon.wait_exit().code(), Some(2));
    let log = daemon.log();
    assert!(stamped(&log) && !log.starts_with('<'), "{log}");
}

/// Reads notifications until `done` holds over all of them, or panics after [`WAIT`].
fn receive(socket: &UnixDatagram, got: &mut Vec<String>, done: impl Fn(&[String]) -> bool) {
    let deadline = Instant::now() + WAIT;
    let mut buf = [0u8; 1024];
    while !done(got) {
        assert!(Instant::now() < deadline, "gave up waiting; got {got:?}");
        if let Ok(n) = socket.recv(&mut buf) {
            let text = String::from_utf8_lossy(buf.get(..n).unwrap_or_default());
            got.extend(text.lines().map(str::to_string));
        }
    }
}

fn position(got: &[String], pred: impl Fn(&str) -> bool) -> Option<usize> {
    got.iter().position(|l| pred(l))
}

#[test]
fn systemd_hears_reloading_ready_stopping_and_the_drain_extension() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).expect("notify socket");
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let target = TestServer::start(Answer::Ok);
    let config = config(dir.path(), &target.url("/"), "1s");
    let mut command = anycastd();
    command
        .arg("--config")
        .arg(&config)
        .env("NOTIFY_SOCKET", &socket_path);
    let log = dir.path().join("log");
    std::fs::write(&log, "").expect("create the log file");
    let mut daemon = spawn(command, &log);
    let mut got = Vec::new();
    receive(&socket, &mut got, |g| g.iter().any(|l| l == "READY=1"));
    let ready = got.len();

    daemon.signal("HUP");
    receive(&socket, &mut got, |g| {
        g.iter().skip(ready).any(|l| l == "READY=1")
    });
    let after: Vec<String> = got.iter().skip(ready).cloned().collect();
    let reloading = position(&after, |l| l == "RELOADING=1").expect("RELOADING=1");
    let stamp = position(&after, |l| l.starts_with("MONOTONIC_USEC=")).expect("MONOTONIC_USEC");
    let again = position(&after, |l| l == "READY=1").expect("READY=1");
    assert!(reloading < again && stamp < again, "{after:?}");
    let usec: u64 = after
        .get(stamp)
        .and_then(|l| l.strip_prefix("MONOTONIC_USEC="))
        .and_then(|v| v.parse().ok())
        .expect("a number of microseconds");
    assert!(usec > 0);

    let before_stop = got.len();
    daemon.signal("TERM");
    receive(&socket, &mut got, |g| {
        g.iter()
            .skip(before_stop)
            .filter(|l| l.starts_with("EXTEND_TIMEOUT_USEC="))
            .count()
            >= 2
    });
    let stop: Vec<String> = got.iter().skip(before_stop).cloned().collect();
    let stopping = position(&stop, |l| l == "STOPPING=1").expect("STOPPING=1");
    let extend = position(&stop, |l| l.starts_with("EXTEND_TIMEOUT_USEC=")).expect("extension");
    assert!(stopping < extend, "{stop:?}");
    let first: u64 = stop
        .get(extend)
        .and_then(|l| l.strip_prefix("EXTEND_TIMEOUT_USEC="))
        .and_then(|v| v.parse().ok())
        .expect("a number");
    // The drain (1 s) plus the margin for withdrawing and the Cease.
    assert!(first > 1_000_000, "{stop:?}");
    assert_eq!(daemon.wait_exit().code(), Some(0));
}
