//! `anycastd ctl` through the real binary: usage errors exit 2 and an absent daemon exits 3, each
//! with one line on stderr; `--help` documents every command. The daemon's side of the socket: mode
//! 0660 with the daemon's group, removed at a clean stop, and a directory that cannot be used or a
//! socket another daemon holds gives one warning while the daemon runs on.

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_anycastd");

fn ctl(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("ctl")
        .args(args)
        .env_remove("ANYCASTD_SOCKET")
        .stdin(Stdio::null())
        .output()
        .expect("run anycastd ctl")
}

fn one_line(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.lines().count(), 1, "stderr is not one line: {err:?}");
    assert!(err.starts_with("anycastd ctl: "), "{err:?}");
    err
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    for args in [
        &["frobnicate"][..],
        &["status", "extra"],
        &["status", "--force"],
        &[],
    ] {
        let out = ctl(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        one_line(&out);
        assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
    }
}

#[test]
fn no_daemon_exits_3_with_one_line_naming_the_socket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("control.sock");
    let socket = socket.to_string_lossy();
    for args in [
        &["--socket", &socket, "status"][..],
        &["--socket", &socket, "drain", "web", "--reason", "x"],
        &["--socket", &socket, "reload", "--force"],
    ] {
        let out = ctl(args);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {out:?}");
        assert!(one_line(&out).contains(socket.as_ref()), "{out:?}");
    }
    // The environment names the socket when --socket is absent.
    let out = Command::new(BIN)
        .args(["ctl", "peers"])
        .env("ANYCASTD_SOCKET", socket.as_ref())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(one_line(&out).contains(socket.as_ref()), "{out:?}");
}

#[test]
fn help_documents_every_command() {
    let out = ctl(&["--help"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    for command in [
        "status",
        "services",
        "peers",
        "routes",
        "drain",
        "undrain",
        "reload",
        "check-config",
        "--socket",
        "--json",
    ] {
        assert!(text.contains(command), "{command} missing from:\n{text}");
    }
}

/// A daemon with a control socket at `socket`, logging to `log`.
struct Daemon(Child);

impl Daemon {
    fn start(dir: &Path, name: &str, socket: &Path) -> (Daemon, u16) {
        let port = support::free_port();
        let config = dir.join(format!("{name}.yaml"));
        std::fs::write(
            &config,
            format!(
                "announcer:
  router_id: 127.0.0.1
  local_address: 127.0.0.1
  local_asn: 65001
  routes: [192.0.2.1/32]
  peers:
    - name: lab-router
      remote_address: 127.0.0.2
      remote_asn: 65000
services:
  - name: web
    check_interval: 1s
    checks:
      - kind: exec
        spec: {{command: [\"/bin/true\"]}}
metrics:
  enabled: true
  address: 127.0.0.1:{port}
control:
  socket: {}
lifecycle:
  state_file: {}
",
                socket.display(),
                dir.join(format!("{name}.state.json")).display()
            ),
        )
        .expect("config");
        let log = std::fs::File::create(dir.join(format!("{name}.log"))).expect("log");
        let child = Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .env("LOG_LEVEL", "info")
            .stdin(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start anycastd");
        (Daemon(child), port)
    }

    /// SIGTERM, then the exit code; `None` (after SIGKILL) when it has not exited within 15 s.
    fn stop(&mut self) -> Option<i32> {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(15) {
            if let Ok(Some(status)) = self.0.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
        None
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// `/healthz` on the metrics port answers 200: the daemon is fully up.
fn answers(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let request = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let mut answer = String::new();
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_to_string(&mut answer).is_ok()
        && answer.starts_with("HTTP/1.1 200")
}

#[test]
fn the_socket_is_group_read_write_and_a_second_daemon_or_a_missing_directory_only_warn() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("control.sock");
    let (mut first, port) = Daemon::start(dir.path(), "first", &socket);
    wait("the control socket", || {
        ctl(&["--socket", &socket.to_string_lossy(), "status"])
            .status
            .success()
    });
    let meta = std::fs::metadata(&socket).expect("socket");
    assert_eq!(meta.permissions().mode() & 0o777, 0o660, "{meta:?}");
    assert_eq!(meta.gid(), own_gid(), "the daemon's group");

    // A second daemon on the same socket: one warning, it runs on, the first keeps the socket.
    let (mut second, second_port) = Daemon::start(dir.path(), "second", &socket);
    wait("the second daemon's metrics", || answers(second_port));
    let status = ctl(&["--socket", &socket.to_string_lossy(), "status"]);
    assert!(status.status.success(), "{status:?}");
    // A directory that does not exist: one warning, it runs on.
    let nowhere = dir.path().join("missing-dir").join("control.sock");
    let (mut third, third_port) = Daemon::start(dir.path(), "third", &nowhere);
    wait("the third daemon's metrics", || answers(third_port));
    std::thread::sleep(Duration::from_millis(500));
    for (name, daemon) in [("second", &mut second), ("third", &mut third)] {
        assert_eq!(daemon.stop(), Some(0), "{name}");
        let log =
            std::fs::read_to_string(dir.path().join(format!("{name}.log"))).unwrap_or_default();
        let warnings = log
            .lines()
            .filter(|l| l.contains("WARN") && l.contains("control socket"))
            .count();
        assert_eq!(warnings, 1, "{name}:\n{log}");
    }
    assert!(
        socket.exists(),
        "the second daemon removed the first's socket"
    );
    assert!(answers(port));
    assert_eq!(first.stop(), Some(0));
    assert!(!socket.exists(), "the socket is removed at a clean stop");
}

fn own_gid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Gid:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|g| g.parse().ok())
        .unwrap_or(u32::MAX)
}
