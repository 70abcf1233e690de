//! The http_2xx probe against a real local HTTP server: statuses, tries, timeouts, redirects,
//! headers, payload and body checks.

mod common;
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anycastd::health::Outcome;
use anycastd_actors::probe::http::{USER_AGENT, run};
use anycastd_actors::probe::{ProbeContext, ProbeMetrics};
use support::{Answer, TestServer, http_spec};

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

fn fail_reason(outcome: Outcome) -> String {
    match outcome {
        Outcome::Fail(reason) => reason,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn a_200_passes_and_sends_the_user_agent() {
    let server = TestServer::start(Answer::Ok);
    let outcome = block_on(run(&http_spec(&server.url("/health")), &cx()));
    assert_eq!(outcome, Outcome::Pass);
    let requests = server.requests.lock().expect("requests").clone();
    assert_eq!(requests.len(), 1);
    assert!(
        requests[0].starts_with("GET /health HTTP/1.1\r\n"),
        "{}",
        requests[0]
    );
    assert!(
        requests[0].contains(&format!("user-agent: {USER_AGENT}")),
        "{}",
        requests[0]
    );
    assert!(USER_AGENT.starts_with("anycastd/") && USER_AGENT.ends_with(" (http_2xx check)"));
    // No connection is kept for later: every request asks the server to close it.
    assert!(
        requests[0]
            .to_ascii_lowercase()
            .contains("connection: close\r\n"),
        "{}",
        requests[0]
    );
}

#[test]
fn method_headers_host_and_payload_are_sent() {
    let server = TestServer::start(Answer::Ok);
    let mut spec = http_spec(&server.url("/submit"));
    spec.method = "POST".into();
    spec.headers.insert("Host".into(), "service.example".into());
    spec.headers.insert("X-Probe".into(), "yes".into());
    spec.payload = Some("{\"ping\":1}".into());
    assert_eq!(block_on(run(&spec, &cx())), Outcome::Pass);
    let request = server.requests.lock().expect("requests")[0].clone();
    assert!(
        request.starts_with("POST /submit HTTP/1.1\r\n"),
        "{request}"
    );
    assert!(
        request
            .to_ascii_lowercase()
            .contains("host: service.example\r\n"),
        "{request}"
    );
    assert!(
        !request.contains(&server.addr.to_string()),
        "the Host header must replace the URL's: {request}"
    );
    assert!(
        request.to_ascii_lowercase().contains("x-probe: yes\r\n"),
        "{request}"
    );
    assert!(request.ends_with("\r\n\r\n{\"ping\":1}"), "{request}");
}

#[test]
fn a_500_fails_after_every_try_and_says_which_attempt_and_what_came_back() {
    let server = TestServer::start(Answer::Error);
    let mut spec = http_spec(&server.url("/"));
    spec.retry.tries = 3;
    spec.retry.interval = Duration::from_millis(100);
    let started = Instant::now();
    let reason = fail_reason(block_on(run(&spec, &cx())));
    let took = started.elapsed();
    assert_eq!(server.request_count(), 3);
    assert!(reason.contains("attempt 3/3"), "{reason}");
    assert!(reason.contains("500 Internal Server Error"), "{reason}");
    assert!(reason.contains("expected 200-299"), "{reason}");
    // Two pauses between three attempts, none after the last.
    assert!(took >= Duration::from_millis(200), "{took:?}");
    assert!(took < Duration::from_millis(1500), "{took:?}");
}

#[test]
fn a_later_try_can_pass() {
    let server = TestServer::start(Answer::Error);
    let mut spec = http_spec(&server.url("/"));
    spec.retry.tries = 5;
    spec.retry.interval = Duration::from_millis(300);
    let switch = server.switch();
    let switcher = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(450));
        switch(Answer::Ok);
    });
    assert_eq!(block_on(run(&spec, &cx())), Outcome::Pass);
    let _ = switcher.join();
    let tries = server.request_count();
    assert!((2..=4).contains(&tries), "passed after {tries} attempts");
}

#[test]
fn expected_status_ranges_replace_the_default() {
    let server = TestServer::start(Answer::Error);
    let mut spec = http_spec(&server.url("/"));
    spec.expected_status = vec![(200, 204), (500, 503)];
    assert_eq!(block_on(run(&spec, &cx())), Outcome::Pass);
    server.set(Answer::Ok);
    spec.expected_status = vec![(204, 204)];
    let reason = fail_reason(block_on(run(&spec, &cx())));
    assert!(reason.contains("status 200 OK (expected 204)"), "{reason}");
}

#[test]
fn redirects_are_not_followed_when_follow_redirects_is_false() {
    let server = TestServer::start(Answer::Redirect);
    let mut spec = http_spec(&server.url("/"));
    spec.follow_redirects = false;
    let reason = fail_reason(block_on(run(&spec, &cx())));
    assert!(reason.contains("301 Moved Permanently"), "{reason}");
    assert!(
        reason.contains("redirect to /elsewhere not followed"),
        "{reason}"
    );
    assert_eq!(
        server.request_count(),
        1,
        "the redirect target must not be requested"
    );
    spec.expected_status = vec![(300, 399)];
    assert_eq!(block_on(run(&spec, &cx())), Outcome::Pass);
}

#[test]
fn body_contains_checks_the_body() {
    let server = TestServer::start(Answer::Ok);
    let mut spec = http_spec(&server.url("/"));
    spec.body_contains = Some("heal".into());
    assert_eq!(block_on(run(&spec, &cx())), Outcome::Pass);
    spec.body_contains = Some("unhealthy".into());
    let reason = fail_reason(block_on(run(&spec, &cx())));
    assert!(
        reason.contains("does not contain \"unhealthy\""),
        "{reason}"
    );
}

#[test]
fn each_attempt_is_cut_at_its_timeout() {
    let server = TestServer::start(Answer::Hang);
    let mut spec = http_spec(&server.url("/"));
    spec.retry.tries = 2;
    spec.retry.timeout = Duration::from_millis(300);
    spec.retry.interval = Duration::from_millis(100);
    let started = Instant::now();
    let reason = fail_reason(block_on(run(&spec, &cx())));
    let took = started.elapsed();
    assert!(reason.contains("attempt 2/2"), "{reason}");
    assert!(reason.contains("timed out after 300ms"), "{reason}");
    assert!(took >= Duration::from_millis(700), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[test]
fn a_refused_connection_fails_with_the_error() {
    let mut server = TestServer::start(Answer::Ok);
    let url = server.url("/");
    server.stop();
    let reason = fail_reason(block_on(run(&http_spec(&url), &cx())));
    assert!(reason.contains("attempt 1/1: GET"), "{reason}");
    assert!(reason.contains("request failed"), "{reason}");
}

#[test]
fn an_invalid_method_is_inconclusive() {
    let mut spec = http_spec("http://127.0.0.1:9/");
    spec.method = "GE T".into();
    assert!(matches!(
        block_on(run(&spec, &cx())),
        Outcome::Inconclusive(_)
    ));
}

#[test]
fn leaves_no_time_wait_socket_behind() {
    // The test server answers and then waits for the client to close: a client that closed with a
    // FIN would hold a TIME_WAIT socket for every run.
    let server = TestServer::start(Answer::Ok);
    block_on(async {
        for _ in 0..20 {
            assert_eq!(
                run(&http_spec(&server.url("/")), &cx()).await,
                Outcome::Pass
            );
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    });
    assert_eq!(server.request_count(), 20);
    assert_eq!(common::time_wait_towards(server.addr.port()), 0);
}
