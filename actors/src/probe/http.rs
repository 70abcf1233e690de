//! `http_2xx`: an HTTP(S) request whose answer must have an expected status (default 200-299) and,
//! optionally, contain a text.
//!
//! - `tries` attempts, `interval` pause between two attempts (never after the last), each attempt
//!   bounded by `timeout` (request, response head and body).
//! - Redirects are **not** followed: a 3xx answer is a failure ("redirect to X not followed") unless
//!   `expected_status` lists it. A health check asks one server one question; following a redirect
//!   would check another one.
//! - A `Host` header sets the request's host; TLS uses the system roots unless `insecure`.
//! - The body is always read (up to [`BODY_LIMIT`]) and dropped, and every request asks for
//!   `Connection: close`, so no connection is kept or leaked (the Go daemon leaked connections).

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use anycastd::config::model::Http2xxSpec;
use anycastd::health::Outcome;
use awc::error::SendRequestError;
use awc::http::Method;
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};

use super::ProbeContext;
use crate::check::humanize;

/// Largest body read for `body_contains`; a larger body is a failure, an unchecked one is dropped.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("anycastd/", env!("CARGO_PKG_VERSION"), " (http_2xx check)");

/// Runs one `http_2xx` check: up to `tries` attempts; passes on the first good answer.
pub async fn run(spec: &Http2xxSpec, _cx: &ProbeContext) -> Outcome {
    let Ok(method) = Method::from_bytes(spec.method.as_bytes()) else {
        return Outcome::Inconclusive(format!("invalid HTTP method {:?}", spec.method));
    };
    let client = match client(spec) {
        Ok(client) => client,
        Err(e) => return Outcome::Inconclusive(format!("cannot set up TLS: {e}")),
    };
    let tries = spec.retry.tries.max(1);
    let mut last = String::new();
    for attempt in 1..=tries {
        if attempt > 1 {
            tokio::time::sleep(spec.retry.interval).await;
        }
        let result =
            match tokio::time::timeout(spec.retry.timeout, attempt_once(&client, &method, spec))
                .await
            {
                Ok(result) => result,
                Err(_) => Err(format!("timed out after {}", humanize(spec.retry.timeout))),
            };
        match result {
            Ok(()) => return Outcome::Pass,
            Err(reason) => {
                last = format!(
                    "attempt {attempt}/{tries}: {} {}: {reason}",
                    spec.method, spec.url
                )
            }
        }
    }
    Outcome::Fail(last)
}

/// TLS settings, built once per mode (loading the system roots is file I/O) and shared by every run.
fn tls(insecure: bool) -> Result<SslConnector, String> {
    static VERIFYING: OnceLock<Result<SslConnector, String>> = OnceLock::new();
    static INSECURE: OnceLock<Result<SslConnector, String>> = OnceLock::new();
    let build = || -> Result<SslConnector, String> {
        let mut tls = SslConnector::builder(SslMethod::tls()).map_err(|e| e.to_string())?;
        if insecure {
            tls.set_verify(SslVerifyMode::NONE);
        }
        Ok(tls.build())
    };
    let cell = if insecure { &INSECURE } else { &VERIFYING };
    cell.get_or_init(build).clone()
}

/// The client for `spec`'s TLS mode and timeout, built once per arbiter thread (building one loads
/// the system roots) and shared by the checks on it. Requests are sent with `Connection: close`
/// ([`attempt_once`]), so no connection is pooled or outlives its attempt: every attempt tests a
/// fresh connection, and nothing leaks.
fn client(spec: &Http2xxSpec) -> Result<awc::Client, String> {
    thread_local! {
        static CLIENTS: RefCell<HashMap<(bool, Duration), awc::Client>> = RefCell::new(HashMap::new());
    }
    let key = (spec.insecure, spec.retry.timeout);
    if let Some(client) = CLIENTS.with(|clients| clients.borrow().get(&key).cloned()) {
        return Ok(client);
    }
    let connector = awc::Connector::new()
        .openssl(tls(spec.insecure)?)
        .timeout(spec.retry.timeout);
    let client = awc::Client::builder()
        .connector(connector)
        .disable_redirects()
        .timeout(spec.retry.timeout)
        .add_default_header((awc::http::header::USER_AGENT, USER_AGENT))
        .finish();
    CLIENTS.with(|clients| clients.borrow_mut().insert(key, client.clone()));
    Ok(client)
}

async fn attempt_once(
    client: &awc::Client,
    method: &Method,
    spec: &Http2xxSpec,
) -> Result<(), String> {
    let mut request = client
        .request(method.clone(), spec.url.as_str())
        .force_close();
    for (name, value) in &spec.headers {
        request = request.insert_header((name.as_str(), value.as_str()));
    }
    let sent = match &spec.payload {
        Some(payload) => request.send_body(payload.clone()).await,
        None => request.send().await,
    };
    let mut response = sent.map_err(|e| match e {
        SendRequestError::Timeout => format!("timed out after {}", humanize(spec.retry.timeout)),
        other => format!("request failed: {other}"),
    })?;
    let status = response.status();
    let body = response.body().limit(BODY_LIMIT).await;
    let code = status.as_u16();
    let expected_ok = if spec.expected_status.is_empty() {
        status.is_success()
    } else {
        spec.expected_status
            .iter()
            .any(|(low, high)| (*low..=*high).contains(&code))
    };
    if !expected_ok {
        let expected = expected_text(&spec.expected_status);
        if status.is_redirection() {
            let target = response
                .headers()
                .get(awc::http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("(no Location)");
            return Err(format!(
                "status {status}, redirect to {target} not followed (expected {expected})"
            ));
        }
        return Err(format!("status {status} (expected {expected})"));
    }
    match (&spec.body_contains, body) {
        (None, _) => Ok(()),
        (Some(needle), Ok(body)) => {
            if memfind(&body, needle.as_bytes()) {
                Ok(())
            } else {
                Err(format!(
                    "status {status}, body ({} bytes) does not contain {needle:?}",
                    body.len()
                ))
            }
        }
        (Some(_), Err(e)) => Err(format!("status {status}, cannot read body: {e}")),
    }
}

fn expected_text(ranges: &[(u16, u16)]) -> String {
    if ranges.is_empty() {
        return "200-299".to_string();
    }
    let parts: Vec<String> = ranges
        .iter()
        .map(|(l, h)| {
            if l == h {
                l.to_string()
            } else {
                format!("{l}-{h}")
            }
        })
        .collect();
    parts.join(", ")
}

fn memfind(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}
