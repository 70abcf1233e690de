//! The sentinel of a watched check (`watch: true`): one idle TCP connection to the check's target
//! that sends nothing. When the server closes or resets it, or the connection fails, the check runs
//! at once. TCP keepalive and `TCP_USER_TIMEOUT` bound a peer that dies without a word.

use std::io;
use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Idle time before the first keepalive probe.
const KEEPALIVE_IDLE: Duration = Duration::from_secs(5);
/// Time between keepalive probes.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(1);
/// Unanswered keepalive probes before the kernel drops the connection.
const KEEPALIVE_RETRIES: u32 = 3;
/// Time unacknowledged data (or keepalives) may stay unanswered before the kernel drops the
/// connection (`TCP_USER_TIMEOUT`, RFC 5482).
const USER_TIMEOUT: Duration = Duration::from_secs(8);
/// Bytes read from a server that talks first, before the sentinel gives up on it.
const READ_LIMIT: usize = 64 * 1024;

/// Connects to `target` (`host:port`; a name is resolved, the first address that answers wins)
/// within `timeout`, with keepalive and `TCP_USER_TIMEOUT` set.
pub async fn open(target: &str, timeout: Duration) -> io::Result<TcpStream> {
    let connect = async {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        for addr in tokio::net::lookup_host(target).await? {
            match TcpStream::connect(addr).await {
                Ok(stream) => return Ok(stream),
                Err(e) => last = e,
            }
        }
        Err(last)
    };
    let stream = tokio::time::timeout(timeout, connect)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
    let socket = SockRef::from(&stream);
    let keepalive = TcpKeepalive::new()
        .with_time(KEEPALIVE_IDLE)
        .with_interval(KEEPALIVE_INTERVAL)
        .with_retries(KEEPALIVE_RETRIES);
    socket.set_tcp_keepalive(&keepalive)?;
    socket.set_tcp_user_timeout(Some(USER_TIMEOUT))?;
    Ok(stream)
}

/// Waits until the server closes or resets `stream`, or the kernel gives up on it; returns why.
/// Whatever the server sends is read and dropped, up to [`READ_LIMIT`] bytes.
pub async fn closed(mut stream: TcpStream) -> String {
    let mut buf = [0u8; 4096];
    let mut read = 0usize;
    loop {
        match stream.read(&mut buf).await {
            Ok(0) => return "closed by the server".to_string(),
            Ok(n) => {
                read = read.saturating_add(n);
                if read > READ_LIMIT {
                    return "the server keeps talking".to_string();
                }
            }
            Err(e) => return e.to_string(),
        }
    }
}
