//! systemd and the command line, under a fake `NOTIFY_SOCKET` owned by the test: READY=1 only after
//! the first evaluation, STATUS= lines with prefixes and peers, WATCHDOG=1 withheld while an actor is
//! blocked; and `anycastd --diff FILE` against the running configuration file.

use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::prelude::*;
use anycastd_actors::metrics::Metrics;
use anycastd_actors::supervisor::Supervisor;

const BIN: &str = env!("CARGO_BIN_EXE_anycastd");

/// Set in the re-executed child of the watchdog test.
const CHILD: &str = "ACD_ENGINE_WATCHDOG_CHILD";

fn anycastd() -> Command {
    let mut command = Command::new(BIN);
    command
        .env_remove("CONFIG_PATH")
        .env_remove("LOG_LEVEL")
        .env_remove("LOG_FORMAT")
        .env_remove("NOTIFY_SOCKET")
        .env_remove("WATCHDOG_USEC")
        .env_remove("WATCHDOG_PID");
    command
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write");
    path
}

/// One exec service whose exit code is in `switch`, owning `routes`, and one peer on loopback
/// (nothing listens there: the session never establishes).
fn yaml(switch: &Path, routes: &str, interval: &str) -> String {
    format!(
        "announcer:
  router_id: 192.0.2.254
  local_address: 127.0.0.1
  local_asn: 65001
  routes: [{routes}]
  peers:
    - name: nowhere
      remote_address: 127.0.0.1
      remote_port: 9
      remote_asn: 65000
services:
  - name: web
    check_interval: {interval}
    checks:
      - kind: exec
        spec:
          command: [\"/bin/sh\", \"-c\", \"sleep 0.5; exit $(cat {})\"]
metrics:
  enabled: false
",
        switch.display()
    )
}

struct Killer(Child);

impl Drop for Killer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Every datagram until `done` says so or `within` passes, each with its arrival time.
fn collect(
    socket: &UnixDatagram,
    within: Duration,
    done: impl Fn(&[(Instant, String)]) -> bool,
) -> Vec<(Instant, String)> {
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let mut messages = Vec::new();
    let deadline = Instant::now() + within;
    let mut buf = [0u8; 1024];
    while Instant::now() < deadline && !done(&messages) {
        if let Ok(n) = socket.recv(&mut buf) {
            let text = String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned();
            messages.push((Instant::now(), text));
        }
    }
    messages
}

fn has(messages: &[(Instant, String)], line: &str) -> bool {
    messages.iter().any(|(_, m)| m.lines().any(|l| l == line))
}

#[test]
fn ready_waits_for_the_first_evaluation_and_status_lines_count_prefixes_and_peers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).expect("fake notify socket");
    let switch = write(dir.path(), "code", "0");
    let config = write(
        dir.path(),
        "c.yaml",
        &yaml(&switch, "192.0.2.1/32, 192.0.2.2/32", "200ms"),
    );
    let started = Instant::now();
    let mut child = anycastd();
    child
        .args(["--config"])
        .arg(&config)
        .env("NOTIFY_SOCKET", &socket_path)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let daemon = Killer(child.spawn().expect("start anycastd"));
    let messages = collect(&socket, Duration::from_secs(15), |m| {
        has(m, "READY=1") && has(m, "STATUS=2/2 prefixes announced, 0/1 peers established")
    });
    let ready = messages
        .iter()
        .find(|(_, m)| m.lines().any(|l| l == "READY=1"));
    let Some((ready_at, _)) = ready else {
        panic!("no READY=1 in {messages:?}");
    };
    // The exec check takes 0.5 s: READY cannot come before its first result.
    assert!(
        ready_at.duration_since(started) >= Duration::from_millis(500),
        "READY=1 after {:?}, before the first evaluation",
        ready_at.duration_since(started)
    );
    assert!(
        has(
            &messages,
            "STATUS=2/2 prefixes announced, 0/1 peers established"
        ),
        "{messages:?}"
    );

    // The service fails: the status line says so.
    std::fs::write(&switch, "2").expect("fail the check");
    let messages = collect(&socket, Duration::from_secs(15), |m| {
        has(m, "STATUS=0/2 prefixes announced, 0/1 peers established")
    });
    assert!(
        has(
            &messages,
            "STATUS=0/2 prefixes announced, 0/1 peers established"
        ),
        "{messages:?}"
    );
    let pid = daemon.0.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    let mut daemon = daemon;
    let exit = daemon.0.wait().expect("wait");
    assert_eq!(exit.code(), Some(0));
}

/// Parent: runs itself again with a fake notify socket and a 200 ms watchdog. Child: runs the
/// supervisor on its own arbiter and the watchdog on the main one, then blocks the supervisor's
/// thread for 3 s between two `STATUS=` markers; the parent checks that the pings stop in between
/// and come back after.
#[test]
fn the_watchdog_is_withheld_while_an_actor_is_blocked() {
    if std::env::var_os(CHILD).is_some() {
        return watchdog_child();
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let socket_path = dir.path().join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).expect("fake notify socket");
    let exe = std::env::current_exe().expect("current exe");
    let mut command = Command::new(exe);
    command
        .args([
            "--exact",
            "the_watchdog_is_withheld_while_an_actor_is_blocked",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, dir.path())
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "200000")
        .env_remove("WATCHDOG_PID")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = Killer(command.spawn().expect("re-run the test binary"));
    let mut messages = collect(&socket, Duration::from_secs(20), |m| {
        has(m, "STATUS=test: unblocked")
    });
    messages.extend(collect(&socket, Duration::from_millis(1500), |_| false));
    let status = child.0.wait().expect("wait for the child");
    let at = |line: &str| {
        messages
            .iter()
            .position(|(_, m)| m.lines().any(|l| l == line))
            .unwrap_or_else(|| panic!("no {line} in {messages:?}"))
    };
    let (blocked, unblocked) = (at("STATUS=test: blocking"), at("STATUS=test: unblocked"));
    let pings = |range: &[(Instant, String)]| {
        range
            .iter()
            .filter(|(_, m)| m.lines().any(|l| l == "WATCHDOG=1"))
            .count()
    };
    let before = pings(messages.get(..blocked).unwrap_or_default());
    let during = pings(messages.get(blocked..unblocked).unwrap_or_default());
    let after = pings(messages.get(unblocked..).unwrap_or_default());
    assert!(before >= 3, "too few pings before the block: {messages:?}");
    // One ping may already have been on its way when the block began.
    assert!(during <= 1, "{during} pings while blocked: {messages:?}");
    assert!(after >= 3, "the pings did not resume: {messages:?}");
    assert!(status.success(), "the child failed");
}

fn watchdog_child() {
    let dir = PathBuf::from(std::env::var_os(CHILD).unwrap_or_default());
    let switch = write(&dir, "code", "0");
    let path = write(&dir, "c.yaml", &yaml(&switch, "192.0.2.1/32", "200ms"));
    let text = std::fs::read_to_string(&path).expect("read");
    let config = anycastd::config::load(&path, &text).unwrap_or_else(|e| panic!("{e}"));
    actix_rt::System::new().block_on(async move {
        let metrics: Arc<Metrics> = Metrics::new().expect("metrics");
        let arbiter = Arbiter::new();
        let supervisor = Supervisor::start_in_arbiter(&arbiter.handle(), move |_| {
            Supervisor::new(config, path, metrics)
        });
        actix_rt::spawn(anycastd_actors::http::watchdog(supervisor.clone()));
        tokio::time::sleep(Duration::from_secs(2)).await;
        sd_notify::notify(&[sd_notify::NotifyState::Status("test: blocking")]).expect("notify");
        // The supervisor's thread does nothing else for 3 s: it cannot answer a ping.
        let (done, blocked) = tokio::sync::oneshot::channel();
        arbiter.spawn(async move {
            std::thread::sleep(Duration::from_secs(3));
            let _ = done.send(());
        });
        let _ = blocked.await;
        sd_notify::notify(&[sd_notify::NotifyState::Status("test: unblocked")]).expect("notify");
        tokio::time::sleep(Duration::from_secs(2)).await;
        arbiter.stop();
    });
}

#[test]
fn diff_prints_what_a_reload_would_change_against_the_running_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let switch = write(dir.path(), "code", "0");
    let running = write(
        dir.path(),
        "running.yaml",
        &yaml(&switch, "192.0.2.1/32, 192.0.2.2/32", "200ms"),
    );
    let run = |new: &Path| {
        anycastd()
            .env("CONFIG_PATH", &running)
            .arg("--diff")
            .arg(new)
            .stdin(Stdio::null())
            .output()
            .expect("run anycastd --diff")
    };
    let same = run(&running);
    assert_eq!(same.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&same.stdout), "no changes\n");

    let text = yaml(&switch, "192.0.2.1/32, 192.0.2.2/32, 192.0.2.3/32", "1s")
        .replace("remote_asn: 65000", "remote_asn: 65002");
    let new = write(dir.path(), "new.yaml", &text);
    let out = run(&new);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("peer nowhere: session reset (Cease / Other Configuration Change)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("service web: evaluation settings changed"),
        "{stdout}"
    );
    assert!(stdout.contains("announcer.routes changed"), "{stdout}");

    // Two of two prefixes withdrawn: the guard would refuse it.
    let withdrawn = write(
        dir.path(),
        "gone.yaml",
        &yaml(&switch, "192.0.2.9/32", "200ms"),
    );
    let out = run(&withdrawn);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("refused: the new configuration would withdraw 2 of 2"),
        "{stdout}"
    );

    // A bad candidate: every error, exit 2.
    let bad = write(dir.path(), "bad.yaml", "announcer: [\n");
    assert_eq!(run(&bad).status.code(), Some(2));
}
