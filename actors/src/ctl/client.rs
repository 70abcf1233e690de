//! A small HTTP/1.1 client over the control socket: one request per connection, `Connection:
//! close`, JSON in and out. Blocking: `anycastd ctl` does one thing and exits.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// How long the daemon may take to answer (a reload reads and applies the file first).
const ANSWER_TIMEOUT: Duration = Duration::from_secs(30);
/// The most a response may hold.
const MAX_RESPONSE: u64 = 64 * 1024 * 1024;

/// Why a request got no answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing listens on the socket (no daemon, no permission, wrong path).
    #[error("cannot connect to {path}: {source} (is anycastd running, with control enabled?)")]
    Unreachable {
        /// The socket.
        path: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The connection broke or the answer is not HTTP/JSON.
    #[error("bad answer from the daemon: {0}")]
    Protocol(String),
}

/// An answer: the HTTP status and the JSON body.
#[derive(Debug)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The body, parsed.
    pub body: serde_json::Value,
}

/// Sends `method path` with the JSON `body` (if any) to the daemon at `socket`.
pub fn request(
    socket: &Path,
    method: &str,
    path: &str,
    body: Option<&serde_json::Value>,
) -> Result<Answer, ClientError> {
    let mut stream = UnixStream::connect(socket).map_err(|source| ClientError::Unreachable {
        path: socket.display().to_string(),
        source,
    })?;
    let protocol = |e: io::Error| ClientError::Protocol(e.to_string());
    stream
        .set_read_timeout(Some(ANSWER_TIMEOUT))
        .map_err(protocol)?;
    stream
        .set_write_timeout(Some(ANSWER_TIMEOUT))
        .map_err(protocol)?;
    let body = body.map(ToString::to_string).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: anycastd\r\nConnection: close\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).map_err(protocol)?;
    stream.write_all(body.as_bytes()).map_err(protocol)?;
    let mut raw = Vec::new();
    stream
        .take(MAX_RESPONSE)
        .read_to_end(&mut raw)
        .map_err(protocol)?;
    parse_response(&raw)
}

/// Splits an HTTP/1.1 response into its status and JSON body (plain or chunked).
pub fn parse_response(raw: &[u8]) -> Result<Answer, ClientError> {
    let bad = |what: &str| ClientError::Protocol(what.to_string());
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| bad("no end of headers"))?;
    let (head, rest) = raw.split_at(split);
    let body = rest.get(4..).unwrap_or_default();
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| bad("no status code"))?;
    let chunked = lines.any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    let body = if chunked {
        dechunk(body).ok_or_else(|| bad("broken chunked body"))?
    } else {
        body.to_vec()
    };
    let body = if body.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&body).map_err(|e| ClientError::Protocol(e.to_string()))?
    };
    Ok(Answer { status, body })
}

/// Decodes a chunked body.
fn dechunk(mut data: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let end = data.windows(2).position(|w| w == b"\r\n")?;
        let size = std::str::from_utf8(data.get(..end)?).ok()?;
        let size = usize::from_str_radix(size.split(';').next()?.trim(), 16).ok()?;
        data = data.get(end + 2..)?;
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(data.get(..size)?);
        data = data.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_chunked_bodies_parse() {
        let plain = b"HTTP/1.1 409 Conflict\r\ncontent-length: 15\r\n\r\n{\"error\":\"no\"}\n";
        let answer = parse_response(plain).expect("plain");
        assert_eq!(answer.status, 409);
        assert_eq!(answer.body["error"], "no");
        let chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n";
        let answer = parse_response(chunked).expect("chunked");
        assert_eq!(answer.body["a"], 1);
    }

    #[test]
    fn garbage_is_a_protocol_error_not_a_panic() {
        for raw in [
            &b""[..],
            b"HTTP/1.1\r\n\r\n",
            b"xx\r\n\r\n{",
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        ] {
            assert!(parse_response(raw).is_err(), "{raw:?}");
        }
    }
}
