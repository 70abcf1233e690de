//! `tcp_connect`: passes when a TCP connection to `address` (`host:port`, resolved on every run)
//! is established within `timeout`. Every resolved address is tried in turn. The connection is then
//! closed by a reset, so no TIME_WAIT socket is left behind.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use anycastd::config::model::TcpConnectSpec;
use anycastd::health::Outcome;
use tokio::net::TcpStream;

/// Runs one `tcp_connect` probe.
pub(super) async fn probe(spec: &TcpConnectSpec) -> Outcome {
    match tokio::time::timeout(spec.timeout, connect(&spec.address)).await {
        Ok(Ok(())) => Outcome::Pass,
        Ok(Err(reason)) => Outcome::Fail(reason),
        Err(_) => Outcome::Fail(format!(
            "connect to {}: {}",
            spec.address,
            super::timed_out(spec.timeout)
        )),
    }
}

async fn connect(address: &str) -> Result<(), String> {
    let addrs = tokio::net::lookup_host(address)
        .await
        .map_err(|e| format!("cannot resolve {address}: {e}"))?;
    let mut last = format!("{address} resolved to no address");
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                // Closed by a reset: no TIME_WAIT socket left holding a port (see the http probe).
                let _ = stream.set_zero_linger();
                return Ok(());
            }
            Err(e) => last = format!("connect to {addr}: {e}"),
        }
    }
    Err(last)
}
