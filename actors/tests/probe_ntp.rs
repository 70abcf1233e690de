//! `ntpq` against a real chronyd (Debian package `chrony`) serving `local stratum 8` on a loopback
//! port, and against an in-test SNTP server that answers with crafted headers (kiss-o'-death,
//! stratum 16, leap indicator 3).

mod common;

use std::net::{SocketAddr, UdpSocket};
use std::process::Command;
use std::time::Duration;

use anycastd::config::model::{CheckSpec, NtpqSpec, Retry};
use anycastd::health::Outcome;
use anycastd_actors::probe;
use common::{Server, metric};

const IP: &str = "127.0.0.1";

struct Chrony {
    _server: Server,
    _dir: tempfile::TempDir,
    port: u16,
}

/// One raw SNTP request; `Some((leap, stratum))` of the answer.
fn ask(addr: SocketAddr) -> Option<(u8, u8)> {
    let socket = UdpSocket::bind((IP, 0)).ok()?;
    socket
        .set_read_timeout(Some(Duration::from_millis(200)))
        .ok()?;
    let mut request = [0u8; 48];
    request[0] = 0x23; // LI 0, VN 4, mode 3 (client)
    request[40] = 1;
    socket.send_to(&request, addr).ok()?;
    let mut reply = [0u8; 48];
    let (n, _) = socket.recv_from(&mut reply).ok()?;
    (n >= 48).then_some((reply[0] >> 6, reply[1]))
}

fn chrony() -> Chrony {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = common::free_udp_port(IP);
    let conf = dir.path().join("chrony.conf");
    let d = dir.path().display();
    std::fs::write(
        &conf,
        format!(
            "port {port}\nbindaddress {IP}\nallow 127.0.0.0/8\nlocal stratum 8\ncmdport 0\n\
             pidfile {d}/chronyd.pid\ndriftfile {d}/drift\n"
        ),
    )
    .expect("write chrony.conf");
    let mut command = Command::new("/usr/sbin/chronyd");
    command.arg("-d").arg("-x").arg("-f").arg(&conf);
    let mut server = Server::start("/usr/sbin/chronyd", "chrony", command, "chronyd");
    let addr: SocketAddr = format!("{IP}:{port}").parse().expect("addr");
    common::wait_until(
        "chronyd to serve a synchronised time",
        Duration::from_secs(20),
        || matches!(ask(addr), Some((leap, stratum)) if leap != 3 && stratum != 16 && stratum != 0),
    );
    server.assert_running();
    Chrony {
        _server: server,
        _dir: dir,
        port,
    }
}

fn spec(port: u16, threshold: Duration, tries: u8) -> NtpqSpec {
    NtpqSpec {
        server: IP.to_owned(),
        port,
        src_addr: Some(IP.parse().expect("ip")),
        offset_threshold: threshold,
        retry: Retry {
            tries,
            interval: Duration::from_millis(50),
            timeout: Duration::from_millis(500),
        },
    }
}

const HOST: [(&str, &str); 3] = [("service", "svc"), ("check", "ntp"), ("host", IP)];

#[tokio::test]
async fn chrony_passes_and_fills_the_metrics() {
    let chrony = chrony();
    let (registry, cx) = common::context("ntp");
    let outcome = probe::run(
        &CheckSpec::Ntpq(spec(chrony.port, Duration::from_millis(100), 2)),
        &cx,
    )
    .await;
    assert_eq!(outcome, Outcome::Pass);
    assert_eq!(
        metric(&registry, "anycastd_check_ntp_packets_sent_total", &HOST),
        Some(1.0)
    );
    let offset =
        metric(&registry, "anycastd_check_last_ntp_offset_ms", &HOST).expect("offset gauge");
    let rtt = metric(&registry, "anycastd_check_last_ntp_rtt_ms", &HOST).expect("rtt gauge");
    assert!(offset.abs() < 100.0, "offset {offset} ms");
    assert!(
        rtt > 0.0 && rtt < 500.0 && rtt.fract() != 0.0,
        "rtt {rtt} ms is not fractional milliseconds"
    );
}

#[tokio::test]
async fn an_offset_above_the_threshold_fails_every_try() {
    let chrony = chrony();
    let (registry, cx) = common::context("ntp");
    let outcome = probe::run(
        &CheckSpec::Ntpq(spec(chrony.port, Duration::from_nanos(1), 3)),
        &cx,
    )
    .await;
    match outcome {
        Outcome::Fail(reason) => {
            assert!(
                reason.starts_with("3 tries failed; last error: "),
                "{reason}"
            );
            assert!(reason.contains("exceeds"), "{reason}");
        }
        other => panic!("expected Fail, got {other:?}"),
    }
    assert_eq!(
        metric(&registry, "anycastd_check_ntp_packets_sent_total", &HOST),
        Some(3.0)
    );
}

/// An SNTP server on loopback that answers every request with `leap`, `stratum` and `refid`.
fn crafted(leap: u8, stratum: u8, refid: &'static [u8; 4]) -> common::UdpServer {
    common::UdpServer::new(IP, move |request| {
        let transmit = request.get(40..48)?;
        let mut reply = vec![0u8; 48];
        reply[0] = (leap << 6) | (4 << 3) | 4;
        reply[1] = stratum;
        reply[12..16].copy_from_slice(refid);
        reply[24..32].copy_from_slice(transmit); // originate = the client's transmit time
        reply[32..40].copy_from_slice(transmit);
        reply[40..48].copy_from_slice(transmit);
        Some(reply)
    })
}

async fn run_crafted(leap: u8, stratum: u8, refid: &'static [u8; 4]) -> String {
    let server = crafted(leap, stratum, refid);
    let (registry, cx) = common::context("ntp");
    let outcome = probe::run(
        &CheckSpec::Ntpq(spec(server.addr.port(), Duration::from_secs(1), 1)),
        &cx,
    )
    .await;
    assert_eq!(
        metric(&registry, "anycastd_check_ntp_packets_sent_total", &HOST),
        Some(1.0)
    );
    match outcome {
        Outcome::Fail(reason) => reason,
        other => panic!("expected Fail, got {other:?}"),
    }
}

#[tokio::test]
async fn kiss_of_death_names_the_code() {
    let reason = run_crafted(0, 0, b"RATE").await;
    assert!(reason.contains("kiss-o'-death RATE"), "{reason}");
}

#[tokio::test]
async fn stratum_16_and_leap_alarm_fail() {
    let reason = run_crafted(0, 16, b"INIT").await;
    assert!(reason.contains("not synchronised"), "{reason}");
    let reason = run_crafted(3, 2, b"GPS\0").await;
    assert!(reason.contains("not synchronised"), "{reason}");
}

#[tokio::test]
async fn a_silent_server_times_out_and_every_query_counts() {
    let hole = common::UdpServer::silent(IP);
    let (registry, cx) = common::context("ntp");
    let silent = CheckSpec::Ntpq(spec(hole.addr.port(), Duration::from_secs(1), 2));
    match probe::run(&silent, &cx).await {
        Outcome::Fail(reason) => assert!(
            reason.starts_with("2 tries failed; last error: "),
            "{reason}"
        ),
        other => panic!("expected Fail, got {other:?}"),
    }
    assert_eq!(
        metric(&registry, "anycastd_check_ntp_packets_sent_total", &HOST),
        Some(2.0)
    );
    let cut = tokio::time::timeout(Duration::from_millis(200), probe::run(&silent, &cx)).await;
    assert!(cut.is_err());
}

#[tokio::test]
async fn an_unusable_source_address_is_inconclusive() {
    let hole = common::UdpServer::silent(IP);
    let mut foreign = spec(hole.addr.port(), Duration::from_secs(1), 1);
    // TEST-NET-1 is never configured here: bind fails with EADDRNOTAVAIL, nothing is sent anywhere.
    foreign.src_addr = Some("192.0.2.1".parse().expect("ip"));
    let (_registry, cx) = common::context("ntp");
    let outcome = probe::run(&CheckSpec::Ntpq(foreign), &cx).await;
    assert!(
        matches!(outcome, Outcome::Inconclusive(ref r) if r.contains("192.0.2.1")),
        "{outcome:?}"
    );
}
