//! http_2xx follows redirects as the Go daemon did, against a real local HTTP server whose answer
//! depends on the path: 302 -> 200 passes, a loop fails with its reason, 307 keeps the method and the
//! body while 303 turns them into a GET, a Host header stays only for a relative Location,
//! credentials stay off another host, and `follow_redirects: false` keeps the old behaviour.

mod common;
mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anycastd::health::Outcome;
use anycastd_actors::probe::http::run;
use anycastd_actors::probe::{ProbeContext, ProbeMetrics};
use support::http_spec;

fn cx() -> ProbeContext {
    let metrics = ProbeMetrics::register(&prometheus::Registry::new()).expect("probe metrics");
    ProbeContext {
        service: "web".into(),
        check: "http_2xx".into(),
        metrics: Arc::clone(&metrics),
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    actix_rt::System::new().block_on(f)
}

/// A server answering by path from a fixed table; records every request (head and body).
struct Server {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// `routes`: path -> raw response head (without the final blank line).
    fn start(routes: &[(&str, String)]) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let routes: BTreeMap<String, String> = routes
            .iter()
            .map(|(p, r)| (p.to_string(), r.clone()))
            .collect();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let routes = routes.clone();
                let log = Arc::clone(&log);
                std::thread::spawn(move || serve(stream, &routes, &log));
            }
        });
        Server { addr, requests }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

fn serve(mut stream: TcpStream, routes: &BTreeMap<String, String>, log: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let Some(request) = support::read_request(&mut stream, &mut Vec::new()) else {
        return;
    };
    let path = request.split_whitespace().nth(1).unwrap_or("").to_string();
    if let Ok(mut log) = log.lock() {
        log.push(request);
    }
    let response = match routes.get(&path) {
        Some(head) if head.starts_with("HTTP/1.1 200") => {
            format!("{head}\r\nContent-Length: 2\r\n\r\nok")
        }
        Some(head) => format!("{head}\r\nContent-Length: 0\r\n\r\n"),
        None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_string(),
    };
    let _ = stream.write_all(response.as_bytes());
}

fn redirect(status: &str, location: &str) -> String {
    format!("HTTP/1.1 {status}\r\nLocation: {location}")
}

fn ok() -> String {
    "HTTP/1.1 200 OK".to_string()
}

fn fail_reason(outcome: Outcome) -> String {
    match outcome {
        Outcome::Fail(reason) => reason,
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// Request lines (`GET /path HTTP/1.1`) in order.
fn lines(server: &Server) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| r.lines().next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_302_to_a_200_passes() {
    let server = Server::start(&[("/health", redirect("302 Found", "/real")), ("/real", ok())]);
    let outcome = block_on(run(&http_spec(&server.url("/health")), &cx()));
    assert_eq!(outcome, Outcome::Pass);
    assert_eq!(
        lines(&server),
        ["GET /health HTTP/1.1", "GET /real HTTP/1.1"]
    );
    let second = server
        .requests()
        .get(1)
        .cloned()
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(
        second.contains(&format!("referer: {}", server.url("/health")).to_ascii_lowercase()),
        "{second}"
    );
}

#[test]
fn a_redirect_loop_fails_with_its_reason_after_ten_requests() {
    let server = Server::start(&[
        ("/a", redirect("302 Found", "/b")),
        ("/b", redirect("301 Moved Permanently", "/a")),
    ]);
    let reason = fail_reason(block_on(run(&http_spec(&server.url("/a")), &cx())));
    assert!(
        reason.contains("stopped after 10 redirects: a redirect loop"),
        "{reason}"
    );
    assert_eq!(server.requests().len(), 10, "{:?}", lines(&server));
}

#[test]
fn a_redirect_to_a_failing_page_names_where_it_failed() {
    let server = Server::start(&[("/start", redirect("302 Found", "/missing"))]);
    let reason = fail_reason(block_on(run(&http_spec(&server.url("/start")), &cx())));
    let want = format!(
        "status 404 Not Found at {} (after 1 redirect) (expected 200-299)",
        server.url("/missing")
    );
    assert!(reason.contains(&want), "{reason}");
}

#[test]
fn redirects_to_another_server_are_followed() {
    let target = Server::start(&[("/there", ok())]);
    let first = Server::start(&[(
        "/here",
        redirect("308 Permanent Redirect", &target.url("/there")),
    )]);
    let outcome = block_on(run(&http_spec(&first.url("/here")), &cx()));
    assert_eq!(outcome, Outcome::Pass);
    assert_eq!(lines(&target), ["GET /there HTTP/1.1"]);
}

#[test]
fn post_307_keeps_the_method_and_body_303_turns_into_get() {
    let server = Server::start(&[
        ("/keep", redirect("307 Temporary Redirect", "/echo")),
        ("/see", redirect("303 See Other", "/echo")),
        ("/echo", ok()),
    ]);
    let mut spec = http_spec(&server.url("/keep"));
    spec.method = "POST".into();
    spec.payload = Some("ping".into());
    assert_eq!(block_on(run(&spec, &cx())), Outcome::Pass);
    spec.url = server.url("/see");
    assert_eq!(block_on(run(&spec, &cx())), Outcome::Pass);
    let requests = server.requests();
    let summary: Vec<(String, bool)> = requests
        .iter()
        .map(|r| {
            let line = r.lines().next().unwrap_or_default().to_string();
            (line, r.ends_with("\r\n\r\nping"))
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("POST /keep HTTP/1.1".to_string(), true),
            ("POST /echo HTTP/1.1".to_string(), true),
            ("POST /see HTTP/1.1".to_string(), true),
            ("GET /echo HTTP/1.1".to_string(), false),
        ]
    );
}

#[test]
fn host_is_kept_for_a_relative_location_and_credentials_stay_off_other_hosts() {
    let other = Server::start(&[("/final", ok())]);
    // 127.0.0.1 -> relative /next (same host: Host and Authorization kept) -> localhost (another
    // host name: neither).
    let absolute = format!("http://localhost:{}/final", other.addr.port());
    let server = Server::start(&[
        ("/first", redirect("302 Found", "/next")),
        ("/next", redirect("302 Found", &absolute)),
    ]);
    let mut spec = http_spec(&server.url("/first"));
    spec.headers.insert("Host".into(), "www.example.org".into());
    spec.headers
        .insert("Authorization".into(), "Bearer secret".into());
    assert_eq!(block_on(run(&spec, &cx())), Outcome::Pass);
    let here: Vec<String> = server
        .requests()
        .iter()
        .map(|r| r.to_ascii_lowercase())
        .collect();
    for request in &here {
        assert!(request.contains("host: www.example.org"), "{request}");
        assert!(
            request.contains("authorization: bearer secret"),
            "{request}"
        );
    }
    let there = other
        .requests()
        .first()
        .cloned()
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(!there.contains("www.example.org"), "{there}");
    assert!(!there.contains("authorization"), "{there}");
}

#[test]
fn follow_redirects_false_fails_on_the_redirect() {
    let server = Server::start(&[("/health", redirect("302 Found", "/real")), ("/real", ok())]);
    let mut spec = http_spec(&server.url("/health"));
    spec.follow_redirects = false;
    let reason = fail_reason(block_on(run(&spec, &cx())));
    assert!(
        reason.contains("redirect to /real not followed"),
        "{reason}"
    );
    assert_eq!(lines(&server), ["GET /health HTTP/1.1"]);
}
