//! Helpers shared by the daemon's actor and binary tests: a real HTTP server whose answer the test switches, config
//! builders, and a `/metrics` reader.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anycastd::bgp::types::{Asn, Prefix};
use anycastd::config::model::{
    Announcer, Check, CheckSpec, Config, GracefulRestart, Http2xxSpec, Metrics, Retry, Service,
    Shutdown as ShutdownCfg, Strategy,
};

/// What the test server answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Answer {
    /// 200 OK, body `healthy`.
    Ok = 0,
    /// 500 Internal Server Error.
    Error = 1,
    /// Accepts, reads the request, never answers.
    Hang = 2,
    /// 301 to /elsewhere.
    Redirect = 3,
}

/// A tiny HTTP/1.1 server on 127.0.0.1:0 run by std threads; every request is recorded.
pub struct TestServer {
    pub addr: SocketAddr,
    answer: Arc<AtomicU8>,
    stop: Arc<AtomicBool>,
    pub requests: Arc<Mutex<Vec<String>>>,
    /// Every request's path and the moment it was read.
    pub stamps: Arc<Mutex<Vec<(String, Instant)>>>,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    pub fn start(answer: Answer) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("test server: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("test server: local_addr");
        let answer = Arc::new(AtomicU8::new(answer as u8));
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stamps = Arc::new(Mutex::new(Vec::new()));
        let (a, s, r, t) = (
            answer.clone(),
            stop.clone(),
            requests.clone(),
            stamps.clone(),
        );
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let (a, s, r, t) = (a.clone(), s.clone(), r.clone(), t.clone());
                std::thread::spawn(move || serve(stream, &a, &s, &r, &t));
            }
        });
        TestServer {
            addr,
            answer,
            stop,
            requests,
            stamps,
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn set(&self, answer: Answer) {
        self.answer.store(answer as u8, Ordering::SeqCst);
    }

    /// A handle that switches the answer from another thread.
    pub fn switch(&self) -> impl Fn(Answer) + Send + 'static {
        let answer = self.answer.clone();
        move |a| answer.store(a as u8, Ordering::SeqCst)
    }

    pub fn request_count(&self) -> usize {
        self.requests.lock().map(|r| r.len()).unwrap_or(0)
    }

    /// Stops accepting; afterwards connections are refused.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn serve(
    mut stream: TcpStream,
    answer: &AtomicU8,
    stop: &AtomicBool,
    requests: &Mutex<Vec<String>>,
    stamps: &Mutex<Vec<(String, Instant)>>,
) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::new();
    loop {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let Some(request) = read_request(&mut stream, &mut buf) else {
            return;
        };
        let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
        if let Ok(mut t) = stamps.lock() {
            t.push((path, Instant::now()));
        }
        if let Ok(mut r) = requests.lock() {
            r.push(request);
        }
        let response: &[u8] = match answer.load(Ordering::SeqCst) {
            0 => b"HTTP/1.1 200 OK\r\nContent-Length: 7\r\nContent-Type: text/plain\r\n\r\nhealthy",
            1 => b"HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\nsick",
            3 => b"HTTP/1.1 301 Moved Permanently\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n",
            _ => {
                // Hang: hold the connection open without answering until the client goes away.
                let mut chunk = [0u8; 4096];
                while !stop.load(Ordering::SeqCst) {
                    match stream.read(&mut chunk) {
                        Ok(0) => return,
                        Ok(_) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {}
                        Err(_) => return,
                    }
                }
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
        };
        if stream.write_all(response).is_err() {
            return;
        }
    }
}

pub fn prefix(text: &str) -> Prefix {
    text.parse().expect("test prefix")
}

pub fn http_spec(url: &str) -> Http2xxSpec {
    Http2xxSpec {
        url: url.to_string(),
        method: "GET".to_string(),
        headers: BTreeMap::new(),
        payload: None,
        expected_status: vec![(200, 299)],
        body_contains: None,
        insecure: false,
        follow_redirects: true,
        retry: Retry {
            tries: 1,
            interval: Duration::from_millis(50),
            timeout: Duration::from_secs(2),
        },
    }
}

pub fn http_check(name: &str, spec: Http2xxSpec, interval: Duration, deadline: Duration) -> Check {
    Check {
        name: name.to_string(),
        group: String::new(),
        interval,
        deadline,
        rise: 1,
        fall: 1,
        splay: false,
        fast_interval: interval,
        watch: false,
        spec: CheckSpec::Http2xx(spec),
    }
}

pub fn service(name: &str, checks: Vec<Check>, routes: Option<Vec<Prefix>>) -> Service {
    Service {
        name: name.to_string(),
        check_interval: Duration::from_millis(200),
        strategy: Strategy::AtLeastOne,
        routes,
        checks,
        health: Default::default(),
    }
}

pub fn config(services: Vec<Service>, routes: Vec<Prefix>, metrics: Option<SocketAddr>) -> Config {
    Config {
        source: PathBuf::from("test.yaml"),
        announcer: Announcer {
            router_id: "192.0.2.254".parse().expect("router id"),
            local_address: "127.0.0.1".parse().expect("local address"),
            local_asn: Asn::new(65001).expect("asn"),
            routes,
            peers: Vec::new(),
            next_hop_ipv6: None,
            next_hop_ipv4: None,
            graceful_restart: GracefulRestart::default(),
        },
        services,
        metrics: Metrics {
            enabled: metrics.is_some(),
            address: metrics,
        },
        shutdown: ShutdownCfg::default(),
        lifecycle: Default::default(),
        control: Default::default(),
    }
}

/// GET `url` with awc (inside the actix system); returns status and body.
pub async fn get(url: &str) -> Result<(u16, String), String> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(5))
        .finish();
    let mut response = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let body = response
        .body()
        .limit(4 << 20)
        .await
        .map_err(|e| format!("GET {url} body: {e}"))?;
    Ok((
        response.status().as_u16(),
        String::from_utf8_lossy(&body).to_string(),
    ))
}

/// The value of the series `name{labels}` in a Prometheus text exposition.
pub fn metric(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (series_name, rest) = series.split_once('{').unwrap_or((series, ""));
            if series_name != name {
                return None;
            }
            let all = labels
                .iter()
                .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
            if all { value.parse().ok() } else { None }
        })
}

/// Scrapes `/metrics` until `pred` holds or `within` passes; returns the last text.
pub async fn wait_metrics(
    base: &str,
    within: Duration,
    pred: impl Fn(&str) -> bool,
) -> Result<String, String> {
    let deadline = Instant::now() + within;
    let mut last = String::new();
    while Instant::now() < deadline {
        if let Ok((200, text)) = get(&format!("{base}/metrics")).await {
            if pred(&text) {
                return Ok(text);
            }
            last = text;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(last)
}

/// A free port on 127.0.0.1 (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

/// A path in the checkout (the workspace root), from a test of the actors crate.
pub fn repo(path: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path)
}

/// Every `anycastd_*` word in `text`: the metric names a rule, a query or a description uses.
pub fn metric_names(text: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("anycastd_") {
        let tail = rest.get(start..).unwrap_or_default();
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        names.insert(tail.get(..end).unwrap_or_default().to_string());
        rest = tail.get(end..).unwrap_or_default();
    }
    names
}

/// Reads one HTTP/1.1 request from `stream` (its head, then `Content-Length` bytes of body),
/// buffering in `buf` what came with it for the next; `None` at the end of the stream or on an
/// error.
pub fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>) -> Option<String> {
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(pos) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break pos + 4;
        }
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
        }
    };
    let head = String::from_utf8_lossy(buf.get(..head_end).unwrap_or_default()).to_string();
    let length = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
        }
    }
    let request = String::from_utf8_lossy(buf.get(..head_end + length).unwrap_or_default());
    let request = request.to_string();
    buf.drain(..head_end + length);
    Some(request)
}
