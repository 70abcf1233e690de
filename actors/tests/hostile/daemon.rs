//! The real `anycastd` binary under test, and a raw BGP neighbour written byte by byte: enough to
//! watch the daemon from outside while it is being mistreated.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_anycastd");

/// The binary with a clean environment.
pub fn anycastd() -> Command {
    let mut command = Command::new(BIN);
    command
        .env_remove("CONFIG_PATH")
        .env_remove("LOG_LEVEL")
        .env_remove("LOG_FORMAT");
    command
}

/// A running daemon; killed (by its own PID) when dropped.
pub struct Daemon {
    child: Child,
    log: PathBuf,
    pub metrics: SocketAddr,
}

impl Daemon {
    pub fn start(config: &Path, metrics: SocketAddr, log: PathBuf) -> Daemon {
        let stderr = std::fs::File::create(&log).expect("log file");
        let child = anycastd()
            .arg("--config")
            .arg(config)
            .env("LOG_LEVEL", "info")
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

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg("-s")
            .arg(name)
            .arg(self.child.id().to_string())
            .status()
            .expect("the kill command is needed to send signals");
        assert!(status.success(), "kill -s {name} failed");
    }

    pub fn get(&self, path: &str) -> Option<(u16, String)> {
        request(self.metrics, "GET", path)
    }

    /// Waits until `/metrics` satisfies `pred`.
    pub fn wait_metrics(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("anycastd exited with {status}; log:\n{}", self.log_text());
            }
            if let Some((200, text)) = self.get("/metrics") {
                if pred(&text) {
                    return text;
                }
                last = text;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "{what}: not seen in time; last /metrics:\n{last}\nlog:\n{}",
            self.log_text()
        );
    }

    /// Waits at most `limit` for the daemon to exit.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn log_text(&self) -> String {
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

/// One HTTP/1.0 request (the daemon is another process): status and body.
pub fn request(addr: SocketAddr, method: &str, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {addr}\r\nContent-Length: 0\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split(' ').nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n")?.1.to_string();
    Some((status, body))
}

/// A BGP message seen by the raw neighbour: its type, its body, and when it arrived.
#[derive(Debug, Clone)]
pub struct Seen {
    pub kind: u8,
    pub body: Vec<u8>,
    pub at: Instant,
}

/// BGP message types.
pub const OPEN: u8 = 1;
pub const NOTIFICATION: u8 = 3;
pub const KEEPALIVE: u8 = 4;

/// A neighbour on 127.0.0.1 that the daemon connects to: it answers the OPEN with its own (AS
/// 65000, hold time 3 s, so the daemon sends a KEEPALIVE every second), sends a KEEPALIVE every
/// second and records every message it receives.
pub struct RawPeer {
    pub port: u16,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
}

impl RawPeer {
    pub fn start() -> RawPeer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the raw peer");
        let port = listener.local_addr().expect("addr").port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (record, done) = (Arc::clone(&seen), Arc::clone(&stop));
        std::thread::spawn(move || {
            listener.set_nonblocking(true).expect("nonblocking");
            while !done.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => serve(stream, &record, &done),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        RawPeer { port, seen, stop }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen").clone()
    }

    pub fn count(&self, kind: u8) -> usize {
        self.seen().iter().filter(|m| m.kind == kind).count()
    }

    /// Waits until a message of `kind` has arrived.
    pub fn wait_for(&self, kind: u8, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.count(kind) > 0 {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for RawPeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![0xff; 16];
    let length = u16::try_from(19 + body.len()).expect("short message");
    out.extend_from_slice(&length.to_be_bytes());
    out.push(kind);
    out.extend_from_slice(body);
    out
}

fn serve(mut stream: TcpStream, record: &Arc<Mutex<Vec<Seen>>>, stop: &Arc<AtomicBool>) {
    let _ = stream.set_nonblocking(false);
    // Version 4, AS 65000, hold time 3 s, identifier 192.0.2.99, no optional parameters.
    let open = [4, 0xfd, 0xe8, 0, 3, 192, 0, 2, 99, 0];
    if stream.write_all(&message(OPEN, &open)).is_err() {
        return;
    }
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let done = Arc::clone(stop);
    std::thread::spawn(move || {
        while !done.load(Ordering::SeqCst) {
            if writer.write_all(&message(KEEPALIVE, &[])).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut buffer: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    while !stop.load(Ordering::SeqCst) {
        match stream.read(&mut chunk) {
            Ok(0) => return,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue;
            }
            Err(_) => return,
        }
        while buffer.len() >= 19 {
            let length = usize::from(u16::from_be_bytes([buffer[16], buffer[17]]));
            if length < 19 || buffer.len() < length {
                break;
            }
            let frame: Vec<u8> = buffer.drain(..length).collect();
            record.lock().expect("record").push(Seen {
                kind: frame[18],
                body: frame[19..].to_vec(),
                at: Instant::now(),
            });
        }
    }
}

/// A config in the Go daemon's format: one service whose exec check passes, the neighbours in
/// `peers` (YAML list items), metrics on `metrics`, and `extra` top-level YAML.
pub fn config(peers: &str, metrics: SocketAddr, extra: &str) -> String {
    format!(
        "announcer:
  router_id: 192.0.2.254
  local_address: 127.0.0.1
  local_asn: 65001
  routes:
    - 192.0.2.1/32
  peers:
{peers}services:
  - name: web
    check_interval: 200ms
    checks:
      - kind: exec
        spec:
          command: [/bin/true]
metrics:
  enabled: true
  address: \"{metrics}\"
{extra}"
    )
}

/// A neighbour entry for [`config`].
pub fn peer(name: &str, address: &str, port: u16, more: &str) -> String {
    format!(
        "    - name: {name}\n      remote_address: {address}\n      remote_port: {port}\n      remote_asn: 65000\n{more}"
    )
}

pub fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(made.success(), "mkfifo {}", path.display());
}
