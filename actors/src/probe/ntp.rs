//! `ntpq`: one SNTP exchange (RFC 4330 / RFC 5905 client mode) per try with `server[:port]`, from
//! `src_addr` when given. Pass when the answer is valid and |offset| <= `offset_threshold`.
//!
//! Fail on a kiss-o'-death (stratum 0, RFC 5905 §7.4: the kiss code is named), on an unsynchronised
//! server (stratum 16 or leap indicator 3, §7.3), on a malformed answer and on a time-out. The
//! exchange is rsntp's async client on tokio: its socket lives inside the future, so a dropped probe
//! closes it.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use anycastd::config::model::NtpqSpec;
use anycastd::health::Outcome;
use rsntp::{AsyncSntpClient, Config, KissCode, ProtocolError, SynchronizationError};

use super::ProbeContext;
use super::retry::{self, AttemptError};

/// Runs one `ntpq` probe.
pub(super) async fn probe(spec: &NtpqSpec, cx: &ProbeContext) -> Outcome {
    retry::run(&spec.retry, || attempt(spec, cx)).await
}

async fn resolve(spec: &NtpqSpec) -> Result<SocketAddr, AttemptError> {
    let addrs = tokio::net::lookup_host((spec.server.as_str(), spec.port))
        .await
        .map_err(|e| AttemptError::Fail(format!("cannot resolve {}: {e}", spec.server)))?;
    let mut addrs = addrs.filter(|a| spec.src_addr.is_none_or(|src| src.is_ipv4() == a.is_ipv4()));
    addrs.next().ok_or_else(|| {
        AttemptError::Fail(format!(
            "{} has no address of the family of src_addr",
            spec.server
        ))
    })
}

async fn attempt(spec: &NtpqSpec, cx: &ProbeContext) -> Result<(), AttemptError> {
    let server = resolve(spec).await?;
    let bind_ip = spec.src_addr.unwrap_or(match server {
        SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        SocketAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    });
    let client = AsyncSntpClient::with_config(
        Config::default()
            .bind_address(SocketAddr::new(bind_ip, 0))
            .timeout(spec.retry.timeout),
    );
    let labels = [cx.service.as_str(), cx.check.as_str(), spec.server.as_str()];
    cx.metrics.ntp_sent.with_label_values(&labels).inc();
    let result = client
        .synchronize(server)
        .await
        .map_err(|e| explain(e, server, bind_ip, spec.retry.timeout))?;
    let offset = result.clock_offset().as_secs_f64();
    let rtt = result.round_trip_delay().as_secs_f64();
    cx.metrics
        .ntp_offset_ms
        .with_label_values(&labels)
        .set(offset * 1000.0);
    cx.metrics
        .ntp_rtt_ms
        .with_label_values(&labels)
        .set(rtt * 1000.0);
    let threshold = spec.offset_threshold.as_secs_f64();
    if offset.abs() > threshold {
        return Err(AttemptError::Fail(format!(
            "{server}: offset {:.3} ms exceeds {:.3} ms (stratum {})",
            offset * 1000.0,
            threshold * 1000.0,
            result.stratum()
        )));
    }
    Ok(())
}

fn explain(
    error: SynchronizationError,
    server: SocketAddr,
    bind_ip: IpAddr,
    timeout: std::time::Duration,
) -> AttemptError {
    match error {
        SynchronizationError::IOError(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable => {
            AttemptError::Inconclusive(format!("cannot send from {bind_ip}: {e}"))
        }
        SynchronizationError::IOError(e) if e.kind() == std::io::ErrorKind::TimedOut => {
            AttemptError::Fail(format!("{server}: {}", super::timed_out(timeout)))
        }
        SynchronizationError::IOError(e) => AttemptError::Fail(format!("{server}: {e}")),
        SynchronizationError::ProtocolError(ProtocolError::KissODeath(code)) => AttemptError::Fail(
            format!("{server}: kiss-o'-death {} ({code})", kiss_name(code)),
        ),
        SynchronizationError::ProtocolError(ProtocolError::ServerNotSynchronized) => {
            AttemptError::Fail(format!(
                "{server}: server not synchronised (stratum 16 or leap indicator 3)"
            ))
        }
        SynchronizationError::ProtocolError(e) => AttemptError::Fail(format!("{server}: {e}")),
    }
}

/// The four-letter code of RFC 5905 §7.4 (`DENY` also stands for `RSTR`, which rsntp merges).
fn kiss_name(code: KissCode) -> &'static str {
    match code {
        KissCode::AssociationBelongsToAnycastServer => "ACST",
        KissCode::AssociationBelongsToBroadcastServer => "BCST",
        KissCode::AssociationBelongsToManycastServer => "MCST",
        KissCode::ServerAuthenticationFailed => "AUTH",
        KissCode::AutokeySequenceFailed => "AUTO",
        KissCode::CryptographicAuthenticationFailed => "CRYP",
        KissCode::AccessDenied => "DENY/RSTR",
        KissCode::LostPeer => "DROP",
        KissCode::AssociationNotYetSynchronized => "INIT",
        KissCode::NoKeyFound => "NKEY",
        KissCode::RateExceeded => "RATE",
        KissCode::TinkeringWithAssociation => "RMOT",
        KissCode::StepChange => "STEP",
        KissCode::Unknown => "unknown code",
    }
}
