//! `icmp_ping`: resolves `host` on every run, sends `count` ICMP echo requests (RFC 792 / RFC 4443
//! §4.1) `interval` apart, and waits for the replies until `timeout` after the start of the run.
//! Fails when no request could be sent or when the loss exceeds `max_loss_percent`; Inconclusive
//! when no ICMP socket can be opened at all.
//!
//! surge-ping opens an unprivileged ping socket when `net.ipv4.ping_group_range` covers our group,
//! else a raw socket (CAP_NET_RAW). Its receive task belongs to the client created here, so a
//! dropped probe stops it and closes the socket. Duplicates are not reported by surge-ping (the
//! first reply settles a sequence number), so the duplicates counter stays at zero.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::net::IpAddr;
use std::time::Duration;

use anycastd::config::model::IcmpPingSpec;
use anycastd::health::Outcome;
use surge_ping::{Client, Config, ICMP, PingIdentifier, PingSequence, SurgeError};
use tokio::time::Instant;

use super::ProbeContext;

/// Payload of each echo request (the classic `ping` size).
const PAYLOAD: [u8; 56] = [0; 56];

enum Echo {
    NotSent(String),
    Lost,
    Received(Duration),
}

/// Runs one `icmp_ping` probe.
pub(super) async fn probe(spec: &IcmpPingSpec, cx: &ProbeContext) -> Outcome {
    let started = Instant::now();
    let deadline = started + spec.timeout;
    let ip = match resolve(&spec.host).await {
        Ok(ip) => ip,
        Err(reason) => return Outcome::Fail(reason),
    };
    let config = match ip {
        IpAddr::V4(_) => Config::default(),
        IpAddr::V6(_) => Config::builder().kind(ICMP::V6).build(),
    };
    let client = match Client::new(&config) {
        Ok(client) => client,
        Err(e) => {
            return Outcome::Inconclusive(format!(
                "cannot open an ICMP socket ({e}): grant CAP_NET_RAW or widen net.ipv4.ping_group_range \
                 to include the daemon's group"
            ));
        }
    };
    let ident = PingIdentifier(rand::random());
    let echoes = (0..spec.count).map(|n| {
        let client = client.clone();
        async move {
            let at = started + spec.interval.saturating_mul(u32::from(n));
            if at >= deadline {
                return Echo::NotSent("the timeout ended before its turn".to_owned());
            }
            tokio::time::sleep_until(at).await;
            let mut pinger = client.pinger(ip, ident).await;
            pinger.timeout(deadline.saturating_duration_since(Instant::now()));
            match pinger.ping(PingSequence(u16::from(n)), &PAYLOAD).await {
                Ok((_, rtt)) => Echo::Received(rtt),
                Err(SurgeError::Timeout { .. }) => Echo::Lost,
                Err(e) => Echo::NotSent(e.to_string()),
            }
        }
    });
    let results = futures_util::future::join_all(echoes).await;
    drop(client);
    report(spec, cx, &results)
}

async fn resolve(host: &str) -> Result<IpAddr, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(ip);
    }
    let mut addrs = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|e| format!("cannot resolve {host}: {e}"))?;
    addrs
        .next()
        .map(|a| a.ip())
        .ok_or_else(|| format!("{host} resolved to no address"))
}

fn report(spec: &IcmpPingSpec, cx: &ProbeContext, results: &[Echo]) -> Outcome {
    let rtts: Vec<f64> = results
        .iter()
        .filter_map(|e| {
            if let Echo::Received(rtt) = e {
                Some(rtt.as_secs_f64())
            } else {
                None
            }
        })
        .collect();
    let sent = results
        .iter()
        .filter(|e| !matches!(e, Echo::NotSent(_)))
        .count();
    let received = rtts.len();
    let labels = [cx.service.as_str(), cx.check.as_str(), spec.host.as_str()];
    let m = &cx.metrics;
    m.icmp_sent.with_label_values(&labels).inc_by(sent as u64);
    m.icmp_received
        .with_label_values(&labels)
        .inc_by(received as u64);
    m.icmp_duplicates.with_label_values(&labels).inc_by(0);
    let loss = if sent == 0 {
        100.0
    } else {
        (sent - received) as f64 * 100.0 / sent as f64
    };
    m.icmp_loss_percent.with_label_values(&labels).set(loss);
    if let (Some(min), Some(max)) = (
        rtts.iter().copied().reduce(f64::min),
        rtts.iter().copied().reduce(f64::max),
    ) {
        let avg = rtts.iter().sum::<f64>() / received as f64;
        let variance = rtts.iter().map(|r| (r - avg).powi(2)).sum::<f64>() / received as f64;
        m.icmp_min_rtt.with_label_values(&labels).set(min);
        m.icmp_max_rtt.with_label_values(&labels).set(max);
        m.icmp_avg_rtt.with_label_values(&labels).set(avg);
        m.icmp_std_dev_rtt
            .with_label_values(&labels)
            .set(variance.sqrt());
    }
    if sent == 0 {
        let why = results
            .iter()
            .find_map(|e| {
                if let Echo::NotSent(why) = e {
                    Some(why.as_str())
                } else {
                    None
                }
            })
            .unwrap_or("count is 0");
        return Outcome::Fail(format!("{}: no echo request sent ({why})", spec.host));
    }
    if loss > spec.max_loss_percent {
        return Outcome::Fail(format!(
            "{}: {received} of {sent} echo replies received, loss {loss:.1}% > {}%",
            spec.host, spec.max_loss_percent
        ));
    }
    Outcome::Pass
}
