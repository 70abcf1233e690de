//! The `anycastd` binary: command line, exit codes, config errors, metrics bind failure, SIGHUP
//! reload (valid and invalid) and SIGTERM, against a real local HTTP check target.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use support::{Answer, TestServer, free_port, metric};

const BIN: &str = env!("CARGO_BIN_EXE_anycastd");
const WAIT: Duration = Duration::from_secs(15);

fn anycastd() -> Command {
    let mut command = Command::new(BIN);
    command
        .env_remove("CONFIG_PATH")
        .env_remove("LOG_LEVEL")
        .env_remove("LOG_FORMAT")
        .env_remove("JOURNAL_STREAM");
    command
}

fn run(command: &mut Command) -> Output {
    command
        .stdin(Stdio::null())
        .output()
        .expect("cannot run the anycastd binary")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A config in the Go daemon's format, with one service per `(name, url)` and metrics on `metrics`.
fn yaml(services: &[(&str, &str)], metrics: SocketAddr) -> String {
    let mut out = String::from(
        "announcer:\n  router_id: 192.0.2.254\n  local_address: 127.0.0.1\n  local_asn: 65001\n  routes:\n    - 192.0.2.1/32\n  peers:\n    - name: r1\n      remote_address: 127.0.0.2\n      remote_asn: 65000\nservices:\n",
    );
    for (name, url) in services {
        out.push_str(&format!(
            "  - name: {name}\n    check_interval: 200ms\n    checks:\n      - kind: http_2xx\n        spec:\n          url: \"{url}\"\n          method: GET\n          tries: 1\n          interval: 100ms\n          timeout: 1s\n"
        ));
    }
    out.push_str(&format!(
        "metrics:\n  enabled: true\n  address: \"{metrics}\"\n"
    ));
    out
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write the test config");
    path
}

/// The daemon under test; killed (by its own PID) when dropped.
struct Daemon {
    child: Child,
    log: PathBuf,
    metrics: SocketAddr,
}

impl Daemon {
    fn start(config: &Path, metrics: SocketAddr, log: PathBuf, format: Option<&str>) -> Daemon {
        Daemon::start_with(anycastd(), config, metrics, log, format)
    }

    fn start_with(
        mut command: Command,
        config: &Path,
        metrics: SocketAddr,
        log: PathBuf,
        format: Option<&str>,
    ) -> Daemon {
        let stderr = std::fs::File::create(&log).expect("log file");
        command.arg("--config").arg(config).env("LOG_LEVEL", "info");
        if let Some(format) = format {
            command.env("LOG_FORMAT", format);
        }
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("cannot start the anycastd binary");
        Daemon {
            child,
            log,
            metrics,
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg("-s")
            .arg(name)
            .arg(self.child.id().to_string())
            .status()
            .expect("the kill command is needed to send signals");
        assert!(status.success(), "kill -s {name} failed");
    }

    fn scrape(&self) -> Option<String> {
        http_get(self.metrics, "/metrics")
            .and_then(|(status, body)| (status == 200).then_some(body))
    }

    fn wait_metrics(&mut self, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("anycastd exited with {status}; log:\n{}", self.log_text());
            }
            if let Some(text) = self.scrape() {
                if pred(&text) {
                    return text;
                }
                last = text;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "condition not met in {WAIT:?}; last /metrics:\n{last}\nlog:\n{}",
            self.log_text()
        );
    }

    fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!(
            "anycastd did not exit within {WAIT:?}; log:\n{}",
            self.log_text()
        );
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
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

/// A blocking HTTP/1.0 GET (the daemon is another process).
fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

fn metrics_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], free_port()))
}

fn service_up(name: &str) -> impl Fn(&str) -> Option<f64> + '_ {
    move |text| metric(text, "anycastd_service_up", &[("service", name)])
}

#[test]
fn version_prints_the_version() {
    let out = run(anycastd().arg("--version"));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stdout),
        format!("anycastd {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn an_unknown_argument_exits_2_with_usage() {
    let out = run(anycastd().arg("--frobnicate"));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(err.contains("unexpected argument '--frobnicate'"), "{err}");
    assert!(err.contains("Usage: anycastd"), "{err}");
}

#[test]
fn a_missing_file_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("absent.yaml");
    let want = format!(
        "{}: cannot read: No such file or directory (os error 2)\n",
        missing.display()
    );
    let out = run(anycastd().arg("--check-config").arg(&missing));
    assert_eq!(
        (out.status.code(), text(&out.stderr)),
        (Some(2), want.clone())
    );
    // The same through CONFIG_PATH when running, as one log line.
    let out = run(anycastd().env("CONFIG_PATH", &missing));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("ERROR anycastd: {}", want.trim_end())),
        "{err}"
    );
}

#[test]
fn a_bad_log_level_is_one_line_and_exit_2() {
    let out = run(anycastd()
        .env("LOG_LEVEL", "loud")
        .arg("--config")
        .arg("/nonexistent.yaml"));
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("ERROR anycastd: invalid LOG_LEVEL \"loud\""),
        "{err}"
    );
}

#[test]
fn every_documented_log_level_is_accepted_in_any_case() {
    for level in [
        "trace", "Debug", "INFO", "warn", "WARNING", "error", "Fatal", "panic",
    ] {
        // A valid level gets past logging setup to the config (absent here): exit 2 with the read error.
        let out = run(anycastd()
            .env("LOG_LEVEL", level)
            .arg("--config")
            .arg("/nonexistent.yaml"));
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{level}: {err}");
        assert!(
            err.contains("anycastd: /nonexistent.yaml: cannot read:"),
            "{level}: {err}"
        );
    }
}

#[test]
fn check_config_reports_ok_and_every_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = write(
        dir.path(),
        "good.yaml",
        &yaml(&[("web", "http://127.0.0.1:9/")], metrics_addr()),
    );
    let out = run(anycastd().arg("--check-config").arg(&good));
    assert_eq!(
        (out.status.code(), text(&out.stdout), text(&out.stderr)),
        (Some(0), format!("{}: ok\n", good.display()), String::new())
    );
    // CONFIG_PATH is used when --check-config has no file.
    let out = run(anycastd().arg("--check-config").env("CONFIG_PATH", &good));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let bad_text = "announcer:\n  router_id: 192.0.2.254\n  local_asn: 0\n  multihope_ttl: 3\nservices: []\nmetrics:\n  enabled: true\n";
    let bad = write(dir.path(), "bad.yaml", bad_text);
    let out = run(anycastd().arg("--check-config").arg(&bad));
    let errors = anycastd::config::load(&bad, bad_text).expect_err("the bad config must not load");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        errors.to_string(),
        "stderr must be exactly the error lines"
    );
    assert!(errors.0.len() >= 2, "every error at once: {errors}");
    assert!(text(&out.stdout).is_empty());
}

#[test]
fn a_metrics_port_in_use_exits_1_with_one_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let taken = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr");
    let config = write(
        dir.path(),
        "c.yaml",
        &yaml(&[("web", "http://127.0.0.1:9/")], addr),
    );
    let out = run(anycastd().arg("--config").arg(&config));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("cannot listen"))
        .unwrap_or_default();
    assert!(
        line.contains(&format!(
            "ERROR anycastd: cannot listen on {addr} for metrics:"
        )),
        "{err}"
    );
    assert_eq!(
        err.lines().filter(|l| l.contains("cannot listen")).count(),
        1,
        "{err}"
    );
}

#[test]
fn sighup_with_a_valid_change_takes_effect_and_sigterm_exits_0() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = TestServer::start(Answer::Ok);
    let addr = metrics_addr();
    let url = target.url("/health");
    let config = write(dir.path(), "c.yaml", &yaml(&[("a", &url)], addr));
    let mut daemon = Daemon::start(&config, addr, dir.path().join("log"), None);
    daemon.wait_metrics(|t| service_up("a")(t) == Some(1.0));
    assert_eq!(http_get(addr, "/healthz"), Some((200, "ok\n".to_string())));

    write(
        dir.path(),
        "c.yaml",
        &yaml(&[("a", &url), ("b", &url)], addr),
    );
    daemon.signal("HUP");
    let text = daemon.wait_metrics(|t| service_up("b")(t) == Some(1.0));
    assert_eq!(
        service_up("a")(&text),
        Some(1.0),
        "a stays up across the reload"
    );
    assert_eq!(
        metric(
            &text,
            "anycastd_config_reload_total",
            &[("result", "success")]
        ),
        Some(1.0)
    );
    assert_eq!(
        metric(&text, "anycastd_config_last_reload_success", &[]),
        Some(1.0)
    );

    daemon.signal("TERM");
    let status = daemon.wait_exit();
    assert_eq!(status.code(), Some(0), "log:\n{}", daemon.log_text());
}

#[test]
fn sighup_with_an_invalid_file_keeps_the_old_config() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = TestServer::start(Answer::Ok);
    let addr = metrics_addr();
    let config = write(
        dir.path(),
        "c.yaml",
        &yaml(&[("a", &target.url("/"))], addr),
    );
    let mut daemon = Daemon::start(&config, addr, dir.path().join("log"), None);
    daemon.wait_metrics(|t| service_up("a")(t) == Some(1.0));

    write(dir.path(), "c.yaml", "announcer: [this is not valid\n");
    daemon.signal("HUP");
    let text = daemon.wait_metrics(|t| {
        metric(t, "anycastd_config_reload_total", &[("result", "failure")]) == Some(1.0)
    });
    assert_eq!(
        metric(&text, "anycastd_config_last_reload_success", &[]),
        Some(0.0)
    );
    assert_eq!(
        service_up("a")(&text),
        Some(1.0),
        "the old config keeps running"
    );
    let log = daemon.log_text();
    assert!(
        log.contains("ERROR"),
        "the errors are logged at ERROR:\n{log}"
    );

    // Still alive and still checking: a failing target is still noticed.
    target.set(Answer::Error);
    daemon.wait_metrics(|t| service_up("a")(t) == Some(0.0));
    daemon.signal("INT");
    assert_eq!(daemon.wait_exit().code(), Some(0));
}

#[test]
fn log_format_json_writes_one_object_per_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = TestServer::start(Answer::Error);
    let addr = metrics_addr();
    let config = write(
        dir.path(),
        "c.yaml",
        &yaml(&[("a", &target.url("/"))], addr),
    );
    let mut daemon = Daemon::start(&config, addr, dir.path().join("log"), Some("json"));
    daemon.wait_metrics(|t| {
        metric(
            t,
            "anycastd_check_runs_total",
            &[("service", "a"), ("result", "fail")],
        )
        .is_some()
    });
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit().code(), Some(0));
    let log = daemon.log_text();
    let mut down = false;
    for line in log.lines() {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        for key in ["ts", "level", "target", "msg"] {
            assert!(value.get(key).is_some(), "{key} missing: {line}");
        }
        if value["msg"] == "service is down" {
            assert_eq!(value["service"], "a", "{line}");
            assert_eq!(value["level"], "WARN", "{line}");
            assert!(
                value["reason"].as_str().is_some_and(|r| r.contains("500")),
                "{line}"
            );
            down = true;
        }
    }
    assert!(
        down,
        "the down transition is logged with its reason:\n{log}"
    );
}

#[test]
fn systemd_is_told_ready_after_the_first_checks_and_pinged_while_actors_answer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket_path = dir.path().join("notify.sock");
    let socket = std::os::unix::net::UnixDatagram::bind(&socket_path).expect("notify socket");
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let target = TestServer::start(Answer::Ok);
    let addr = metrics_addr();
    let config = write(
        dir.path(),
        "c.yaml",
        &yaml(&[("a", &target.url("/"))], addr),
    );
    let mut command = anycastd();
    command
        .env("NOTIFY_SOCKET", &socket_path)
        .env("WATCHDOG_USEC", "200000");
    let mut daemon = Daemon::start_with(command, &config, addr, dir.path().join("log"), None);
    let mut messages = Vec::new();
    let deadline = Instant::now() + WAIT;
    let mut buf = [0u8; 512];
    while Instant::now() < deadline {
        if let Ok(n) = socket.recv(&mut buf) {
            messages.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        let ready = messages.iter().any(|m| m.lines().any(|l| l == "READY=1"));
        let pings = messages
            .iter()
            .filter(|m| m.lines().any(|l| l == "WATCHDOG=1"))
            .count();
        if ready && pings >= 3 {
            break;
        }
    }
    assert!(
        messages.iter().any(|m| m.contains("READY=1")),
        "no READY=1 in {messages:?}"
    );
    assert!(
        messages.iter().filter(|m| m.contains("WATCHDOG=1")).count() >= 3,
        "no watchdog pings in {messages:?}"
    );
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit().code(), Some(0));
}

#[test]
fn metrics_disabled_runs_without_an_endpoint_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = TestServer::start(Answer::Ok);
    let addr = metrics_addr();
    let text = yaml(&[("a", &target.url("/"))], addr).replace(
        &format!("metrics:\n  enabled: true\n  address: \"{addr}\"\n"),
        "metrics:\n  enabled: false\n",
    );
    assert!(text.contains("enabled: false"), "{text}");
    let config = write(dir.path(), "c.yaml", &text);
    let mut daemon = Daemon::start(&config, addr, dir.path().join("log"), None);
    // It keeps checking: the target sees requests, and nothing listens on the metrics address.
    let deadline = Instant::now() + WAIT;
    while target.request_count() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(target.request_count() >= 3, "log:\n{}", daemon.log_text());
    assert!(http_get(addr, "/metrics").is_none(), "metrics are disabled");
    assert!(
        matches!(daemon.child.try_wait(), Ok(None)),
        "log:\n{}",
        daemon.log_text()
    );
    daemon.signal("TERM");
    assert_eq!(daemon.wait_exit().code(), Some(0));
}
