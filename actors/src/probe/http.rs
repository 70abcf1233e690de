//! `http_2xx`: an HTTP(S) request whose answer must have an expected status (default 200-299) and,
//! optionally, contain a text.
//!
//! - `tries` attempts, `interval` pause between two attempts (never after the last), each attempt
//!   bounded by `timeout` (request, response head and body, the redirects included): the retry
//!   loop of every probe, with its wording (`3 tries failed; last error: GET <url>: timed out
//!   after 2s`).
//! - Redirects are followed as the Go daemon's `net/http` client followed them (301, 302, 303, 307,
//!   308; at most 10 requests; the decisions are [`anycastd::health::redirect`]'s), unless
//!   `expected_status` lists the status. With `follow_redirects: false` a redirect is a failure
//!   ("redirect to X not followed"), so the check asks one server one question.
//! - A `Host` header sets the request's host; TLS uses the system roots unless `insecure`.
//! - TLS is done here, in the connector of the clients of `https` requests (awc is built without
//!   TLS): a node whose checks are all plain `http` never loads the TLS settings or the system roots,
//!   which would cost it about 5 MB of memory.
//! - The body is always read to its end: kept (up to [`BODY_LIMIT`]) when `body_contains` checks
//!   it, else dropped as it arrives. A body that cannot be read to its end (the server resets the
//!   connection mid-body) is a failure. Every request asks for `Connection: close`, so no
//!   connection is kept or leaked (the Go daemon leaked connections).

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
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
use awc::http::uri::Scheme;
use awc::http::{Method, Uri};
use bytes::Bytes;
use futures_util::Stream;
use futures_util::future::LocalBoxFuture;
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf, Ready};
use tokio::net::TcpStream;
use tokio_openssl::SslStream;

use super::ProbeContext;
use super::retry::AttemptError;

/// Largest body read for `body_contains`; a larger body is a failure, an unchecked one is dropped.
pub const BODY_LIMIT: usize = 1024 * 1024;

/// The `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("anycastd/", env!("CARGO_PKG_VERSION"), " (http_2xx check)");

/// Runs one `http_2xx` check: up to `tries` attempts; passes on the first good answer.
pub async fn run(spec: &Http2xxSpec, _cx: &ProbeContext) -> Outcome {
    let Ok(method) = Method::from_bytes(spec.method.as_bytes()) else {
        return Outcome::Inconclusive(format!("invalid HTTP method {:?}", spec.method));
    };
    // The first request's client, built now so that a TLS setup error is inconclusive; a redirect
    // to the other scheme picks (or builds) the client of that scheme when it is followed.
    let Some(target) = Target::of(&spec.url) else {
        return Outcome::Inconclusive(format!("invalid URL {:?}", spec.url));
    };
    if target.tls
        && let Err(e) = ready_tls(spec.insecure).await
    {
        return Outcome::Inconclusive(format!("cannot set up TLS: {e}"));
    }
    if let Err(e) = client(spec, target.tls) {
        return Outcome::Inconclusive(format!("cannot set up TLS: {e}"));
    }
    // The retry loop every multi-try probe shares: one wording for time-outs and for the last
    // error ("3 tries failed; last error: GET http://...: timed out after 2s").
    let context = format!("{} {}", spec.method, spec.url);
    super::retry::run_for(&spec.retry, &context, || async {
        attempt_once(&method, spec)
            .await
            .map_err(AttemptError::Fail)
    })
    .await
}

static VERIFYING: OnceLock<Result<SslConnector, String>> = OnceLock::new();
static INSECURE: OnceLock<Result<SslConnector, String>> = OnceLock::new();

/// Builds the TLS settings an `https` check needs on the blocking pool, so that its first run does
/// not load the system roots (tens of milliseconds of file I/O) on the actor's thread, delaying
/// every other actor there. Called when an `http_2xx` check starts; a plain `http` check loads no
/// TLS at all, and a built mode costs nothing more.
pub fn warm(spec: &Http2xxSpec) {
    if !Target::of(&spec.url).is_some_and(|target| target.tls) {
        return;
    }
    let insecure = spec.insecure;
    let cell = if insecure { &INSECURE } else { &VERIFYING };
    if cell.get().is_none() {
        tokio::task::spawn_blocking(move || {
            let _ = tls(insecure);
        });
    }
}

/// Waits until the TLS settings of `insecure`'s mode are built, building them on the blocking pool
/// when no one has yet.
async fn ready_tls(insecure: bool) -> Result<(), String> {
    let cell = if insecure { &INSECURE } else { &VERIFYING };
    if cell.get().is_none() {
        tokio::task::spawn_blocking(move || tls(insecure).map(drop))
            .await
            .map_err(|e| e.to_string())??;
    }
    Ok(())
}

/// TLS settings, built once per mode (loading the system roots is file I/O) and shared by every
/// run; [`warm`] and [`ready_tls`] build them off the actor's thread.
fn tls(insecure: bool) -> Result<SslConnector, String> {
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

/// awc's TCP connector, with TLS for the clients of `https` checks and every connection closed by
/// a reset instead of a FIN.
///
/// A probe that closes first would otherwise leave a TIME_WAIT socket behind for a minute, holding
/// an ephemeral port towards the same server: at a check per second against many services that
/// fills the port range, and every `connect()` then searches it. HAProxy closes its health checks
/// the same way. awc ends a connection with a write shutdown (a FIN) before dropping it, so the
/// stream is wrapped ([`ResetStream`]) to make that shutdown a no-op; the drop, with `SO_LINGER` 0,
/// then sends the reset (over TLS, without a close_notify first). The response has been read in
/// full by then.
#[derive(Clone)]
struct ResetOnClose<S> {
    tcp: S,
    /// The TLS settings of an `https` client; `None` for plain `http`.
    tls: Option<SslConnector>,
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
        let tls = self.tls.clone();
        Box::pin(async move {
            let connection = connecting.await?;
            // Best effort: without it the connection still works, and ends with a FIN.
            let _ = connection.io_ref().set_zero_linger();
            let (stream, connection) = connection.replace_io(());
            let stream = match tls {
                None => ProbeStream::Plain(stream),
                Some(tls) => ProbeStream::Tls(
                    handshake(&tls, connection.hostname(), stream)
                        .await
                        .map_err(ConnectError::Io)?,
                ),
            };
            Ok(connection.replace_io(ResetStream(stream)).1)
        })
    }
}

/// The TLS handshake with `host` (its name for SNI and for verifying the certificate), as awc's own
/// OpenSSL connector does it.
async fn handshake(
    tls: &SslConnector,
    host: &str,
    stream: TcpStream,
) -> io::Result<SslStream<TcpStream>> {
    let ssl = tls
        .configure()
        .and_then(|config| config.into_ssl(host))
        .map_err(io::Error::other)?;
    let mut stream = SslStream::new(ssl, stream).map_err(io::Error::other)?;
    Pin::new(&mut stream)
        .connect()
        .await
        .map_err(|e| io::Error::other(e.to_string()))?;
    Ok(stream)
}

/// A probe's connection: plain TCP or TLS over it.
#[derive(Debug)]
enum ProbeStream {
    Plain(TcpStream),
    Tls(SslStream<TcpStream>),
}

impl ProbeStream {
    fn tcp(&self) -> &TcpStream {
        match self {
            ProbeStream::Plain(tcp) => tcp,
            ProbeStream::Tls(tls) => tls.get_ref(),
        }
    }
}

/// A probe's stream whose write shutdown does nothing: it ends when dropped, by a reset (see
/// [`ResetOnClose`]).
#[derive(Debug)]
struct ResetStream(ProbeStream);

impl AsyncRead for ResetStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match &mut self.0 {
            ProbeStream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            ProbeStream::Tls(tls) => Pin::new(tls).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ResetStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match &mut self.0 {
            ProbeStream::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            ProbeStream::Tls(tls) => Pin::new(tls).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match &mut self.0 {
            ProbeStream::Plain(tcp) => Pin::new(tcp).poll_write_vectored(cx, bufs),
            ProbeStream::Tls(tls) => Pin::new(tls).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match &self.0 {
            ProbeStream::Plain(tcp) => tcp.is_write_vectored(),
            ProbeStream::Tls(tls) => tls.is_write_vectored(),
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        match &mut self.0 {
            ProbeStream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            ProbeStream::Tls(tls) => Pin::new(tls).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// Readiness is the TCP socket's, as in actix-tls's own TLS stream.
impl ActixStream for ResetStream {
    fn poll_read_ready(&self, cx: &mut TaskContext<'_>) -> Poll<io::Result<Ready>> {
        ActixStream::poll_read_ready(self.0.tcp(), cx)
    }

    fn poll_write_ready(&self, cx: &mut TaskContext<'_>) -> Poll<io::Result<Ready>> {
        ActixStream::poll_write_ready(self.0.tcp(), cx)
    }
}

/// What awc is asked for. awc has no TLS of its own here, so an `https` URL is sent to it as
/// `http` with the port made explicit (443 by default) and the original authority as `Host`; the
/// client's connector does the TLS. A plain `http` URL goes as it is.
struct Target {
    url: String,
    host: Option<String>,
    tls: bool,
}

impl Target {
    fn of(url: &str) -> Option<Target> {
        let uri: Uri = url.parse().ok()?;
        if uri.scheme() != Some(&Scheme::HTTPS) {
            return Some(Target {
                url: url.to_string(),
                host: None,
                tls: false,
            });
        }
        let authority = uri.authority()?;
        let port = authority.port_u16().unwrap_or(443);
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        Some(Target {
            url: format!("http://{}:{port}{path}", authority.host()),
            host: Some(match authority.port_u16() {
                Some(port) => format!("{}:{port}", authority.host()),
                None => authority.host().to_string(),
            }),
            tls: true,
        })
    }
}

/// The client for `spec`'s TLS mode and timeout, built once per arbiter thread (building one loads
/// the system roots) and shared by the checks on it. Requests are sent with `Connection: close`
/// ([`attempt_once`]), so no connection is pooled or outlives its attempt: every attempt tests a
/// fresh connection, and nothing leaks.
fn client(spec: &Http2xxSpec, https: bool) -> Result<awc::Client, String> {
    type Key = (bool, bool, Duration);
    thread_local! {
        static CLIENTS: RefCell<HashMap<Key, awc::Client>> = RefCell::new(HashMap::new());
    }
    let key = (https, spec.insecure, spec.retry.timeout);
    if let Some(client) = CLIENTS.with(|clients| clients.borrow().get(&key).cloned()) {
        return Ok(client);
    }
    // No connection limit: each check has at most one request in flight, each bounded by its own
    // timeout, so the checks bound the connections. awc's default (100) would queue the requests of
    // a node with more checks behind each other until they time out.
    let connector = awc::Connector::new()
        .connector(ResetOnClose {
            tcp: TcpConnector::default().service(),
            tls: if https {
                Some(tls(spec.insecure)?)
            } else {
                None
            },
        })
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
async fn attempt_once(method: &Method, spec: &Http2xxSpec) -> Result<(), String> {
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
        let mut response = send(&current, spec)
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
                    // Read the redirect's body (dropped) so the connection ends cleanly.
                    let _ = drain(&mut response).await;
                    current = next;
                    continue;
                }
                Decision::Fail(error) => return Err(error.to_string()),
            }
        }
        // The body is read to its end whether or not it is checked: a server that answers 200
        // and then dies mid-body (a reset, a short Content-Length, a broken chunk) is not healthy.
        let length = declared_length(&response);
        let body = match &spec.body_contains {
            Some(_) => response
                .body()
                .limit(BODY_LIMIT)
                .await
                .map_err(|e| e.to_string())
                .and_then(|body| whole(body.len(), length).map(|()| Some(body))),
            None => drain(&mut response)
                .await
                .map_err(|e| e.to_string())
                .and_then(|read| whole(read, length).map(|()| None)),
        };
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
            (_, Err(e)) => Err(format!(
                "status {status}{at}, cannot read the body to its end: {e}"
            )),
            (None, Ok(_)) | (Some(_), Ok(None)) => Ok(()),
            (Some(needle), Ok(Some(body))) => {
                if memfind(&body, needle.as_bytes()) {
                    Ok(())
                } else {
                    Err(format!(
                        "status {status}{at}, body ({} bytes) does not contain {needle:?}",
                        body.len()
                    ))
                }
            }
        };
    }
}

/// Sends one request of a chain: the check's headers (its `Host` only where the core keeps it,
/// credentials only where it keeps them), the payload where the method keeps it.
async fn send(
    request: &Request,
    spec: &Http2xxSpec,
) -> Result<ClientResponse<impl Stream<Item = Result<Bytes, PayloadError>> + use<>>, String> {
    let method = Method::from_bytes(request.method.as_bytes())
        .map_err(|_| format!("invalid HTTP method {:?}", request.method))?;
    let target =
        Target::of(&request.url).ok_or_else(|| format!("invalid URL {:?}", request.url))?;
    let client = client(spec, target.tls).map_err(|e| format!("cannot set up TLS: {e}"))?;
    let mut builder = client.request(method, target.url.as_str()).force_close();
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
    if let Some(host) = request.host.as_ref().or(target.host.as_ref()) {
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
        SendRequestError::Timeout => super::timed_out(spec.retry.timeout),
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

/// Reads the body to its end and drops it as it comes (nothing is kept, whatever its size; the
/// attempt's timeout bounds the time). Returns how many bytes were read.
async fn drain<S>(body: &mut S) -> Result<usize, awc::error::PayloadError>
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, awc::error::PayloadError>> + Unpin,
{
    use futures_util::StreamExt;
    let mut read = 0usize;
    while let Some(chunk) = body.next().await {
        read = read.saturating_add(chunk?.len());
    }
    Ok(read)
}

/// The body length the response announced (`Content-Length`), if any.
fn declared_length<S>(response: &awc::ClientResponse<S>) -> Option<usize> {
    response
        .headers()
        .get(awc::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

/// awc ends the body stream without an error when the connection closes (or is reset) before the
/// announced length: the count of bytes read tells.
fn whole(read: usize, declared: Option<usize>) -> Result<(), String> {
    match declared {
        Some(length) if read < length => Err(format!(
            "the connection ended after {read} of {length} bytes"
        )),
        _ => Ok(()),
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

#[cfg(test)]
mod tests {
    use super::Target;

    fn target(url: &str) -> Option<(String, Option<String>, bool)> {
        Target::of(url).map(|t| (t.url, t.host, t.tls))
    }

    #[test]
    fn plain_http_goes_as_it_is() {
        let url = "http://127.0.0.1:8080/health?x=1";
        assert_eq!(target(url), Some((url.to_string(), None, false)));
    }

    #[test]
    fn https_goes_as_http_with_the_port_explicit_and_the_authority_as_host() {
        assert_eq!(
            target("https://example.net/health?deep=1"),
            Some((
                "http://example.net:443/health?deep=1".to_string(),
                Some("example.net".to_string()),
                true
            ))
        );
        assert_eq!(
            target("https://[2001:db8::1]:8443"),
            Some((
                "http://[2001:db8::1]:8443/".to_string(),
                Some("[2001:db8::1]:8443".to_string()),
                true
            ))
        );
    }

    #[test]
    fn an_unparsable_url_has_no_target() {
        assert!(Target::of("https://").is_none());
        assert!(Target::of("not a url").is_none());
    }
}
