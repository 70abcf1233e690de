//! `http_2xx`: an HTTP(S) request whose answer must have an expected status (default 200-299) and,
//! optionally, contain a text.
//!
//! - `tries` attempts, `interval` pause between two attempts (never after the last), each attempt
//!   bounded by `timeout` (request, response head and body).
//! - Redirects are followed as the Go daemon's `net/http` client followed them (301, 302, 303, 307,
//!   308; at most 10 requests; the decisions are [`anycastd::health::redirect`]'s), unless
//!   `expected_status` lists the status. With `follow_redirects: false` a redirect is a failure
//!   ("redirect to X not followed"), so the check asks one server one question.
//! - A `Host` header sets the request's host; TLS uses the system roots unless `insecure`.
//! - The body is always read (up to [`BODY_LIMIT`]) and dropped, and every request asks for
//!   `Connection: close`, so no connection is kept or leaked (the Go daemon leaked connections).

use std::cell::RefCell;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use actix_rt::net::ActixStream;
use actix_service::Service;
use actix_tls::connect::{ConnectError, ConnectInfo, Connection, Connector as TcpConnector};
use anycastd::config::model::Http2xxSpec;
use anycastd::health::Outcome;
use anycastd::health::redirect::{Decision, Redirects, Request};
use awc::ClientResponse;
use awc::error::{PayloadError, SendRequestError};
use awc::http::{Method, Uri};
use bytes::Bytes;
use futures_util::Stream;
use futures_util::future::LocalBoxFuture;
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf, Ready};
use tokio::net::TcpStream;

use super::ProbeContext;
use super::humanize;

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

/// awc's TCP connector, with every connection closed by a reset instead of a FIN.
///
/// A probe that closes first would otherwise leave a TIME_WAIT socket behind for a minute, holding
/// an ephemeral port towards the same server: at a check per second against many services that
/// fills the port range, and every `connect()` then searches it. HAProxy closes its health checks
/// the same way. awc ends a connection with a write shutdown (a FIN) before dropping it, so the
/// stream is wrapped ([`ResetStream`]) to make that shutdown a no-op; the drop, with `SO_LINGER` 0,
/// then sends the reset. The response has been read in full by then.
#[derive(Clone)]
struct ResetOnClose<S> {
    tcp: S,
}

impl<S> Service<ConnectInfo<Uri>> for ResetOnClose<S>
where
    S: Service<ConnectInfo<Uri>, Response = Connection<Uri, TcpStream>, Error = ConnectError>,
    S::Future: 'static,
{
    type Response = Connection<Uri, ResetStream>;
    type Error = ConnectError;
    type Future = LocalBoxFuture<'static, Result<Self::Response, Self::Error>>;

    actix_service::forward_ready!(tcp);

    fn call(&self, request: ConnectInfo<Uri>) -> Self::Future {
        let connecting = self.tcp.call(request);
        Box::pin(async move {
            let connection = connecting.await?;
            // Best effort: without it the connection still works, and ends with a FIN.
            let _ = connection.io_ref().set_zero_linger();
            let (stream, connection) = connection.replace_io(());
            Ok(connection.replace_io(ResetStream(stream)).1)
        })
    }
}

/// A TCP stream whose write shutdown does nothing: it ends when dropped, by a reset (see
/// [`ResetOnClose`]).
#[derive(Debug)]
struct ResetStream(TcpStream);

impl AsyncRead for ResetStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for ResetStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

impl ActixStream for ResetStream {
    fn poll_read_ready(&self, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<Ready>> {
        ActixStream::poll_read_ready(&self.0, cx)
    }

    fn poll_write_ready(&self, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<Ready>> {
        ActixStream::poll_write_ready(&self.0, cx)
    }
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
    // No connection limit: each check has at most one request in flight, each bounded by its own
    // timeout, so the checks bound the connections. awc's default (100) would queue the requests of
    // a node with more checks behind each other until they time out.
    let connector = awc::Connector::new()
        .connector(ResetOnClose {
            tcp: TcpConnector::default().service(),
        })
        .openssl(tls(spec.insecure)?)
        .timeout(spec.retry.timeout)
        .limit(0);
    let client = awc::Client::builder()
        .connector(connector)
        .disable_redirects()
        .timeout(spec.retry.timeout)
        .add_default_header((awc::http::header::USER_AGENT, USER_AGENT))
        .finish();
    CLIENTS.with(|clients| clients.borrow_mut().insert(key, client.clone()));
    Ok(client)
}

/// One attempt: the request, then the redirects it leads to, each decided by the core.
async fn attempt_once(
    client: &awc::Client,
    method: &Method,
    spec: &Http2xxSpec,
) -> Result<(), String> {
    let host = spec
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("host"))
        .map(|(_, value)| value.clone());
    let first = Request {
        url: spec.url.clone(),
        method: method.to_string(),
        body: spec.payload.is_some(),
        host,
        sensitive_headers: true,
        referer: None,
    };
    let mut redirects = Redirects::new(first.clone());
    let mut current = first;
    loop {
        let mut response = send(client, &current, spec)
            .await
            .map_err(|e| format!("{e}{}", after(&redirects, &current)))?;
        let status = response.status();
        let code = status.as_u16();
        let expected = is_expected(&spec.expected_status, code);
        let location = response
            .headers()
            .get(awc::http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if spec.follow_redirects {
            match redirects.on_response(&current, code, location.as_deref(), expected) {
                Decision::Final => {}
                Decision::Follow(next) => {
                    // Read the redirect's body (bounded) so the connection ends cleanly.
                    let _ = response.body().limit(BODY_LIMIT).await;
                    current = next;
                    continue;
                }
                Decision::Fail(error) => return Err(error.to_string()),
            }
        }
        let body = response.body().limit(BODY_LIMIT).await;
        let at = after(&redirects, &current);
        if !expected {
            let expected = expected_text(&spec.expected_status);
            if status.is_redirection() && !spec.follow_redirects {
                let target = location.as_deref().unwrap_or("(no Location)");
                return Err(format!(
                    "status {status}, redirect to {target} not followed (expected {expected})"
                ));
            }
            return Err(format!("status {status}{at} (expected {expected})"));
        }
        return match (&spec.body_contains, body) {
            (None, _) => Ok(()),
            (Some(needle), Ok(body)) => {
                if memfind(&body, needle.as_bytes()) {
                    Ok(())
                } else {
                    Err(format!(
                        "status {status}{at}, body ({} bytes) does not contain {needle:?}",
                        body.len()
                    ))
                }
            }
            (Some(_), Err(e)) => Err(format!("status {status}{at}, cannot read body: {e}")),
        };
    }
}

/// Sends one request of a chain: the check's headers (its `Host` only where the core keeps it,
/// credentials only where it keeps them), the payload where the method keeps it.
async fn send(
    client: &awc::Client,
    request: &Request,
    spec: &Http2xxSpec,
) -> Result<ClientResponse<impl Stream<Item = Result<Bytes, PayloadError>> + use<>>, String> {
    let method = Method::from_bytes(request.method.as_bytes())
        .map_err(|_| format!("invalid HTTP method {:?}", request.method))?;
    let mut builder = client.request(method, request.url.as_str()).force_close();
    for (name, value) in &spec.headers {
        let lower = name.to_ascii_lowercase();
        if lower == "host" {
            continue;
        }
        if SENSITIVE.contains(&lower.as_str()) && !request.sensitive_headers {
            continue;
        }
        builder = builder.insert_header((name.as_str(), value.as_str()));
    }
    if let Some(host) = &request.host {
        builder = builder.insert_header((awc::http::header::HOST, host.as_str()));
    }
    if let Some(referer) = &request.referer {
        builder = builder.insert_header((awc::http::header::REFERER, referer.as_str()));
    }
    let sent = match (&spec.payload, request.body) {
        (Some(payload), true) => builder.send_body(payload.clone()).await,
        _ => builder.send().await,
    };
    sent.map_err(|e| match e {
        SendRequestError::Timeout => format!("timed out after {}", humanize(spec.retry.timeout)),
        other => format!("request failed: {other}"),
    })
}

/// ` at URL (after N redirects)` once a redirect was followed, else nothing.
fn after(redirects: &Redirects, current: &Request) -> String {
    match redirects.followed() {
        0 => String::new(),
        1 => format!(" at {} (after 1 redirect)", current.url),
        n => format!(" at {} (after {n} redirects)", current.url),
    }
}

/// Headers Go drops on a redirect to another domain.
const SENSITIVE: [&str; 4] = ["authorization", "www-authenticate", "cookie", "cookie2"];

fn is_expected(ranges: &[(u16, u16)], code: u16) -> bool {
    if ranges.is_empty() {
        return (200..=299).contains(&code);
    }
    ranges
        .iter()
        .any(|(low, high)| (*low..=*high).contains(&code))
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
