//! The status page (`GET /` on the metrics address) through the real binary, opened in headless
//! Chromium (Debian's `chromium`) at a phone's width: a screenshot is taken and the page's text is
//! checked for the services, checks, peers, routes and drains.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::free_port;

const BIN: &str = env!("CARGO_BIN_EXE_anycastd");
/// A phone's viewport, in CSS pixels.
const PHONE: (u32, u32) = (412, 915);

fn chromium() -> PathBuf {
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!("chromium is missing: install the Debian package `chromium` (scripts/install-test-deps)")
        })
}

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

fn get(port: u16, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    Some(text)
}

fn wait(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Runs headless Chromium on `url` with its own profile in `dir`, plus `extra` flags.
fn browse(dir: &Path, url: &str, extra: &[String]) -> Output {
    let profile = tempfile::tempdir_in(dir).expect("profile dir");
    Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--window-size={},{}", PHONE.0, PHONE.1))
        .args(extra)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .expect("run chromium")
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.get(..8)? != b"\x89PNG\r\n\x1a\n" || bytes.get(12..16)? != b"IHDR" {
        return None;
    }
    let word = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
    };
    Some((word(16)?, word(20)?))
}

#[test]
fn the_status_page_renders_in_chromium_on_a_phone_and_shows_services_peers_and_drains() {
    let chromium = chromium();
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let socket = dir.path().join("control.sock");
    let config = dir.path().join("anycastd.yaml");
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
      connect_retry: 1s
services:
  - name: web
    check_interval: 200ms
    checks:
      - name: self-check
        kind: http_2xx
        spec: {{url: \"http://127.0.0.1:{port}/healthz\", method: GET, tries: 1, interval: 100ms, timeout: 1s}}
  - name: dns
    routes: [192.0.2.53/32]
    check_interval: 200ms
    checks:
      - name: <probe>
        kind: exec
        spec: {{command: [\"/bin/true\"]}}
  - name: ntp
    routes: [192.0.2.123/32]
    check_interval: 200ms
    checks:
      - name: maintenance
        kind: file
        spec: {{path: {}, present_means: drain}}
metrics:
  enabled: true
  address: 127.0.0.1:{port}
control:
  socket: {}
lifecycle:
  state_file: {}
",
            config.display(),
            socket.display(),
            dir.path().join("state.json").display()
        ),
    )
    .expect("write config");
    let log = std::fs::File::create(dir.path().join("anycastd.log")).expect("log");
    let _daemon = Daemon(
        Command::new(BIN)
            .args(["--config"])
            .arg(&config)
            .env("LOG_LEVEL", "info")
            .stdin(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start anycastd"),
    );
    wait("web and dns up, ntp drained by its file check", || {
        get(port, "/status").is_some_and(|text| {
            text.matches("\"state\":\"up\"").count() >= 2
                && text.contains("\"ntp\":\"maintenance\"")
        })
    });
    let drained = Command::new(BIN)
        .args(["ctl", "--socket"])
        .arg(&socket)
        .args(["drain", "dns", "--reason", "resolver <upgrade>"])
        .output()
        .expect("ctl drain");
    assert_eq!(drained.status.code(), Some(0), "{drained:?}");
    wait("dns draining", || {
        get(port, "/status").is_some_and(|text| text.contains("\"draining\""))
    });
    let metrics = get(port, "/metrics").unwrap_or_default();
    for reason in ["service", "check"] {
        let line = format!("anycastd_drained{{reason=\"{reason}\"}} 1");
        assert!(metrics.contains(&line), "{line} missing:\n{metrics}");
    }
    for reason in ["signal", "file"] {
        let line = format!("anycastd_drained{{reason=\"{reason}\"}} 0");
        assert!(metrics.contains(&line), "{line} missing:\n{metrics}");
    }
    let raw = get(port, "/").unwrap_or_default();
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
    assert!(
        raw.to_lowercase().contains("content-type: text/html"),
        "{raw}"
    );
    assert!(
        !raw.contains("<script") && !raw.contains("src=\"http") && !raw.contains("href=\"http"),
        "the page must carry no script and load nothing from elsewhere:\n{raw}"
    );
    assert!(raw.contains("http-equiv=\"refresh\""), "{raw}");

    let url = format!("http://127.0.0.1:{port}/");
    let shot = dir.path().join("status.png");
    let out = browse(
        dir.path(),
        &url,
        &[format!("--screenshot={}", shot.display())],
    );
    let png = std::fs::read(&shot).unwrap_or_else(|e| {
        panic!(
            "{chromium:?} wrote no screenshot ({e}): {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_eq!(
        png_size(&png),
        Some(PHONE),
        "the screenshot is not phone-sized"
    );
    assert!(
        png.len() > 10_000,
        "a nearly empty screenshot: {} bytes",
        png.len()
    );
    let out = browse(dir.path(), &url, &["--dump-dom".to_string()]);
    let dom = String::from_utf8_lossy(&out.stdout);
    for text in [
        "anycastd",
        "Drains",
        "resolver &lt;upgrade&gt;",
        "file check maintenance",
        "Services",
        "web",
        "dns",
        "draining",
        "Checks",
        "self-check",
        "&lt;probe&gt;",
        "Peers",
        "lab-router",
        "127.0.0.2",
        "Routes",
        "width=device-width",
    ] {
        assert!(
            dom.contains(text),
            "{text:?} missing from the page Chromium rendered:\n{dom}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    if std::env::var_os("KEEP_SCREENSHOT").is_some() {
        let kept = std::env::temp_dir().join("anycastd-status.png");
        let _ = std::fs::copy(&shot, &kept);
        eprintln!("screenshot kept at {}", kept.display());
    }
}
