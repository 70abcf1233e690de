//! A reload that removes a peer and a check takes their series off `/metrics` (through the real
//! binary, SIGHUP): nothing is left labelled with the removed peer or check, while the kept ones
//! keep theirs.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{Answer, TestServer, free_port, metric};

const BIN: &str = env!("CARGO_BIN_EXE_anycastd");
const WAIT: Duration = Duration::from_secs(15);

/// `r2`'s address: a listener that accepts each connection and closes it, so that r2 has series
/// with more labels than its name (messages sent by type, session ends by reason).
fn closing_listener() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.3:0").expect("bind 127.0.0.3:0");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::sleep(Duration::from_millis(50));
            drop(stream);
        }
    });
    addr
}

fn config(metrics: SocketAddr, url: &str, r2: Option<SocketAddr>) -> String {
    let mut peers = String::from(
        "    - name: r1\n      remote_address: 127.0.0.2\n      remote_asn: 65000\n      connect_retry: 1s\n",
    );
    let mut checks = format!(
        "      - name: main\n        kind: http_2xx\n        spec: {{url: \"{url}\", method: GET, tries: 1, interval: 100ms, timeout: 1s}}\n"
    );
    if let Some(r2) = r2 {
        peers.push_str(&format!(
            "    - name: r2\n      remote_address: {}\n      remote_port: {}\n      remote_asn: 65000\n      connect_retry: 1s\n",
            r2.ip(),
            r2.port()
        ));
        checks.push_str(&format!(
            "      - name: extra\n        kind: http_2xx\n        spec: {{url: \"{url}\", method: GET, tries: 1, interval: 100ms, timeout: 1s}}\n"
        ));
    }
    format!(
        "announcer:\n  router_id: 192.0.2.254\n  local_address: 127.0.0.1\n  local_asn: 65001\n  routes: [192.0.2.1/32]\n  peers:\n{peers}services:\n  - name: web\n    check_interval: 200ms\n    checks:\n{checks}metrics:\n  enabled: true\n  address: \"{metrics}\"\n"
    )
}

fn scrape(addr: SocketAddr) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response.split_once("\r\n\r\n")?.1.to_string())
}

struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(addr: SocketAddr, log: &Path, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + WAIT;
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Some(text) = scrape(addr) {
            if pred(&text) {
                return text;
            }
            last = text;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = std::fs::read_to_string(log).unwrap_or_default();
    panic!("{what} not seen in {WAIT:?}; last /metrics:\n{last}\nlog:\n{log}");
}

/// Series lines (not comments) with this label.
fn labelled<'a>(text: &'a str, label: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| !l.starts_with('#') && l.contains(label))
        .collect()
}

#[test]
fn removed_peers_and_checks_leave_metrics_on_reload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = TestServer::start(Answer::Ok);
    let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let path = dir.path().join("config.yaml");
    let r2 = closing_listener();
    std::fs::write(&path, config(addr, &target.url("/"), Some(r2))).expect("write");
    let log = dir.path().join("log");
    let child = Command::new(BIN)
        .arg("--config")
        .arg(&path)
        .env("LOG_LEVEL", "info")
        .env_remove("JOURNAL_STREAM")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"))
        .spawn()
        .expect("start anycastd");
    let daemon = Daemon(child);
    // Both peers and both checks have series; the peers have tried to connect at least once.
    wait_for(addr, &log, "both peers and checks", |t| {
        !labelled(t, "peer=\"r2\"").is_empty()
            && labelled(t, "check=\"extra\"")
                .iter()
                .any(|l| l.contains("result=\"pass\""))
            && labelled(t, "check=\"main\"")
                .iter()
                .any(|l| l.contains("result=\"pass\""))
            && !labelled(t, "anycastd_bgp_session_down_total{peer=\"r2\",reason=").is_empty()
            && !labelled(t, "anycastd_bgp_messages_sent_total{peer=\"r2\",type=").is_empty()
    });
    std::fs::write(&path, config(addr, &target.url("/"), None)).expect("rewrite");
    let status = Command::new("kill")
        .args(["-s", "HUP", &daemon.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let text = wait_for(addr, &log, "the reload and the removal", |t| {
        metric(t, "anycastd_config_reload_total", &[("result", "success")]) == Some(1.0)
            && labelled(t, "peer=\"r2\"").is_empty()
            && labelled(t, "check=\"extra\"").is_empty()
    });
    assert!(!labelled(&text, "peer=\"r1\"").is_empty(), "{text}");
    assert!(!labelled(&text, "check=\"main\"").is_empty(), "{text}");
    // Still gone a moment later: nothing recreates them.
    std::thread::sleep(Duration::from_millis(1500));
    let later = scrape(addr).expect("scrape");
    assert!(labelled(&later, "peer=\"r2\"").is_empty(), "{later}");
    assert!(labelled(&later, "check=\"extra\"").is_empty(), "{later}");
}
