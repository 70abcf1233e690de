//! Probes: one async function per check kind. A probe runs one check once (with its own tries) and
//! returns an [`Outcome`]; the check actor bounds it with the check's deadline, so a probe must be
//! cancel-safe (dropping its future leaves nothing behind: no stray process, socket or task).
//!
//! Every probe here owns its sockets and child processes inside its future: dropping the future
//! closes the sockets, and the `exec` probe kills its whole process group from a drop guard.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::sync::Arc;

use anycastd::config::model::CheckSpec;
use anycastd::health::Outcome;
use prometheus::{GaugeVec, IntCounterVec, Registry};

use crate::registry::{family, forget};

mod assigned_address;
mod dns;
mod exec;
mod file;
pub mod http;
mod icmp;
mod launch;
mod ntp;
pub mod process;
mod reaper;
mod retry;
mod spawner;
mod tcp;
mod tftp;
mod tls;

/// Who is probing, for metric labels and log lines.
#[derive(Debug, Clone)]
pub struct ProbeContext {
    /// The service's name.
    pub service: String,
    /// The check's name (unique within its service).
    pub check: String,
    /// Kind-specific metric families, shared by every probe of the daemon.
    pub metrics: Arc<ProbeMetrics>,
}

/// Kind-specific metric families (icmp, ntpq, certificate), registered once.
///
/// Names follow the Go daemon so dashboards keep working; labels are `{service, check, host}`
/// (`{service, check, path}` for certificates). Durations are seconds as `f64` (µs precision),
/// except the two NTP gauges, which keep the Go daemon's milliseconds (as `f64`, not truncated).
#[derive(Debug)]
pub struct ProbeMetrics {
    /// `anycastd_check_packets_sent_total`: ICMP echo requests sent.
    pub icmp_sent: IntCounterVec,
    /// `anycastd_check_packets_received_total`: ICMP echo replies received.
    pub icmp_received: IntCounterVec,
    /// `anycastd_check_packets_received_duplicates_total`: duplicate echo replies.
    pub icmp_duplicates: IntCounterVec,
    /// `anycastd_check_loss_percent`: loss of the last run, 0..=100.
    pub icmp_loss_percent: GaugeVec,
    /// `anycastd_check_min_rtt_seconds` of the last run.
    pub icmp_min_rtt: GaugeVec,
    /// `anycastd_check_max_rtt_seconds` of the last run.
    pub icmp_max_rtt: GaugeVec,
    /// `anycastd_check_avg_rtt_seconds` of the last run.
    pub icmp_avg_rtt: GaugeVec,
    /// `anycastd_check_std_dev_rtt_seconds` of the last run (population standard deviation).
    pub icmp_std_dev_rtt: GaugeVec,
    /// `anycastd_check_ntp_packets_sent_total`: every NTP query sent, answered or not.
    pub ntp_sent: IntCounterVec,
    /// `anycastd_check_last_ntp_offset_ms`: clock offset of the last answer, milliseconds.
    pub ntp_offset_ms: GaugeVec,
    /// `anycastd_check_last_ntp_rtt_ms`: round-trip delay of the last answer, milliseconds.
    pub ntp_rtt_ms: GaugeVec,
    /// `anycastd_certificate_expires_in_seconds`: positive while the leaf expires in the future.
    pub certificate_expires_in: GaugeVec,
}

const HOST_LABELS: [&str; 3] = ["service", "check", "host"];

impl ProbeMetrics {
    /// Removes every series of `service`'s check `check`, or of all its checks without one.
    pub fn forget(&self, service: &str, check: Option<&str>) {
        let mut labels = vec![("service", service)];
        labels.extend(check.map(|c| ("check", c)));
        forget(&self.icmp_sent, &labels);
        forget(&self.icmp_received, &labels);
        forget(&self.icmp_duplicates, &labels);
        forget(&self.icmp_loss_percent, &labels);
        forget(&self.icmp_min_rtt, &labels);
        forget(&self.icmp_max_rtt, &labels);
        forget(&self.icmp_avg_rtt, &labels);
        forget(&self.icmp_std_dev_rtt, &labels);
        forget(&self.ntp_sent, &labels);
        forget(&self.ntp_offset_ms, &labels);
        forget(&self.ntp_rtt_ms, &labels);
        forget(&self.certificate_expires_in, &labels);
    }

    /// Creates the families and registers them in `registry`.
    pub fn register(registry: &Registry) -> Result<Arc<ProbeMetrics>, prometheus::Error> {
        let r = registry;
        let h = &HOST_LABELS;
        Ok(Arc::new(ProbeMetrics {
            icmp_sent: family(
                r,
                "anycastd_check_packets_sent_total",
                "ICMP echo requests sent.",
                h,
            )?,
            icmp_received: family(
                r,
                "anycastd_check_packets_received_total",
                "ICMP echo replies received.",
                h,
            )?,
            icmp_duplicates: family(
                r,
                "anycastd_check_packets_received_duplicates_total",
                "Duplicate ICMP echo replies received.",
                h,
            )?,
            icmp_loss_percent: family(
                r,
                "anycastd_check_loss_percent",
                "ICMP loss of the last run, percent.",
                h,
            )?,
            icmp_min_rtt: family(
                r,
                "anycastd_check_min_rtt_seconds",
                "Smallest ICMP round trip of the last run.",
                h,
            )?,
            icmp_max_rtt: family(
                r,
                "anycastd_check_max_rtt_seconds",
                "Largest ICMP round trip of the last run.",
                h,
            )?,
            icmp_avg_rtt: family(
                r,
                "anycastd_check_avg_rtt_seconds",
                "Mean ICMP round trip of the last run.",
                h,
            )?,
            icmp_std_dev_rtt: family(
                r,
                "anycastd_check_std_dev_rtt_seconds",
                "Standard deviation of the ICMP round trips of the last run.",
                h,
            )?,
            ntp_sent: family(
                r,
                "anycastd_check_ntp_packets_sent_total",
                "NTP queries sent.",
                h,
            )?,
            ntp_offset_ms: family(
                r,
                "anycastd_check_last_ntp_offset_ms",
                "Clock offset of the last NTP answer, milliseconds.",
                h,
            )?,
            ntp_rtt_ms: family(
                r,
                "anycastd_check_last_ntp_rtt_ms",
                "Round-trip delay of the last NTP answer, milliseconds.",
                h,
            )?,
            certificate_expires_in: family(
                r,
                "anycastd_certificate_expires_in_seconds",
                "Seconds until the leaf certificate expires (negative once expired).",
                &["service", "check", "path"],
            )?,
        }))
    }
}

/// A run's turn to start, from [`admit`]: for an `exec` check, one of the daemon's slots for
/// plugins waiting to be started, given back once its plugin has started.
#[derive(Debug)]
pub struct Admission {
    /// Held, not read: dropping it gives the slot back.
    _slot: Option<tokio::sync::SemaphorePermit<'static>>,
}

/// Waits until a run of `spec` can start at once. Only `exec` ever waits: when plugins are due
/// faster than the daemon can start them, a run waits here, before its deadline starts, rather
/// than in the start queue, where it would time out and fail a healthy service.
pub async fn admit(spec: &CheckSpec) -> Admission {
    match spec {
        CheckSpec::Exec(_) => Admission {
            _slot: spawner::slot().await,
        },
        _ => Admission { _slot: None },
    }
}

/// Runs one probe of `spec`, once admitted ([`admit`]).
pub async fn run(spec: &CheckSpec, cx: &ProbeContext) -> Outcome {
    let admission = admit(spec).await;
    run_admitted(spec, cx, admission).await
}

/// Runs one probe of `spec` with the turn [`admit`] gave it.
pub async fn run_admitted(spec: &CheckSpec, cx: &ProbeContext, admission: Admission) -> Outcome {
    match spec {
        CheckSpec::AssignedAddress(s) => assigned_address::probe(s),
        CheckSpec::DnsLookup(s) => dns::probe(s).await,
        CheckSpec::Http2xx(s) => http::run(s, cx).await,
        CheckSpec::IcmpPing(s) => icmp::probe(s, cx).await,
        CheckSpec::Ntpq(s) => ntp::probe(s, cx).await,
        CheckSpec::TftpRrq(s) => tftp::probe(s).await,
        CheckSpec::TlsCertificate(s) => tls::probe(s, cx).await,
        CheckSpec::TcpConnect(s) => tcp::probe(s).await,
        CheckSpec::Exec(s) => exec::probe(s, admission).await,
        CheckSpec::File(s) => file::probe(s).await,
        CheckSpec::Process(s) => process::probe(s),
    }
}

/// The one wording of every probe's time-out: `timed out after 2.1s` (context, such as what was
/// being connected to, goes before it with a colon).
pub(crate) fn timed_out(after: std::time::Duration) -> String {
    format!("timed out after {}", humanize(after))
}

/// A duration as the config writes it (`1.5s`, `300ms`).
pub(crate) fn humanize(d: std::time::Duration) -> String {
    if d.subsec_nanos() == 0 {
        format!("{}s", d.as_secs())
    } else if d < std::time::Duration::from_secs(1) && d.subsec_nanos() % 1_000_000 == 0 {
        format!("{}ms", d.as_millis())
    } else {
        format!("{:?}", d)
    }
}

/// The PIDs of every process visible in `/proc`, read as `T` (`u32` or `pid_t`); entries that are
/// not a process (or whose number does not fit `T`) are left out.
pub(crate) fn proc_pids<T: std::str::FromStr>() -> std::io::Result<Vec<T>> {
    Ok(std::fs::read_dir("/proc")?
        .flatten()
        .filter_map(|entry| entry.file_name().to_str().and_then(|s| s.parse().ok()))
        .collect())
}
