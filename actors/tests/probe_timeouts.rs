//! Every probe words a time-out the same way: `timed out after 300ms`, after what it was doing,
//! and multi-try probes the same retry summary (`2 tries failed; last error: ...`). Each target
//! here accepts or reads and never answers.

mod common;
mod support;

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::time::Duration;

use anycastd::config::model::{
    CheckSpec, DnsLookupSpec, DnsProtocol, DnsRecordType, ExecSpec, NtpqSpec, Retry,
    TcpConnectSpec, TftpRrqSpec, TlsCertificateSpec, TlsSource,
};
use anycastd::health::Outcome;
use anycastd_actors::probe;
use support::{Answer, TestServer, http_spec};

const TIMEOUT: Duration = Duration::from_millis(300);

fn retry() -> Retry {
    Retry {
        tries: 2,
        interval: Duration::from_millis(10),
        timeout: TIMEOUT,
    }
}

fn reason(spec: &CheckSpec) -> String {
    let (_registry, cx) = common::context("timeouts");
    let outcome = actix_rt::System::new().block_on(probe::run(spec, &cx));
    match outcome {
        Outcome::Fail(reason) => reason,
        other => panic!("{spec:?}: expected a failure, got {other:?}"),
    }
}

#[test]
fn every_probe_words_a_time_out_the_same_way() {
    let silent_udp = common::UdpServer::silent("127.0.0.1");
    // Accepts (the kernel completes the handshake) and never speaks.
    let mute_tcp = TcpListener::bind("127.0.0.1:0").expect("bind");
    let mute = mute_tcp.local_addr().expect("addr");
    let hanging_http = TestServer::start(Answer::Hang);
    let mut http = http_spec(&hanging_http.url("/health"));
    http.retry = retry();
    let url = http.url.clone();

    let retried = "2 tries failed; last error: ";
    let cases: Vec<(CheckSpec, String)> = vec![
        (
            CheckSpec::Http2xx(http),
            format!("{retried}GET {url}: timed out after 300ms"),
        ),
        (
            CheckSpec::DnsLookup(DnsLookupSpec {
                query: "example.org".into(),
                resolver: silent_udp.addr,
                record_type: DnsRecordType::A,
                expect: Vec::new(),
                protocol: DnsProtocol::Udp,
                retry: retry(),
            }),
            format!("{retried}timed out after 300ms"),
        ),
        (
            CheckSpec::Ntpq(NtpqSpec {
                server: silent_udp.addr.ip().to_string(),
                port: silent_udp.addr.port(),
                src_addr: None,
                offset_threshold: Duration::from_secs(1),
                retry: retry(),
            }),
            format!("{retried}{}: timed out after 300ms", silent_udp.addr),
        ),
        (
            CheckSpec::TftpRrq(TftpRrqSpec {
                host: silent_udp.addr.ip().to_string(),
                port: silent_udp.addr.port(),
                file: "f".into(),
                expected_sha256: None,
                min_size: None,
                retry: retry(),
            }),
            format!("{retried}timed out after 300ms"),
        ),
        (
            CheckSpec::TlsCertificate(TlsCertificateSpec {
                source: TlsSource::Remote {
                    host: mute.to_string(),
                    insecure: true,
                    server_name: None,
                },
                common_name: None,
                dns_names: Vec::new(),
                ip_addresses: Vec::new(),
                issuer: None,
                expires_in_less_than: None,
                ca_file: None,
                timeout: TIMEOUT,
            }),
            format!("TLS handshake with {mute}: timed out after 300ms"),
        ),
        (
            CheckSpec::Exec(ExecSpec {
                command: vec!["/bin/sleep".into(), "600".into()],
                env: BTreeMap::new(),
                timeout: TIMEOUT,
            }),
            "/bin/sleep: timed out after 300ms; it and every process it started were killed"
                .to_string(),
        ),
    ];
    for (spec, want) in &cases {
        assert_eq!(&reason(spec), want, "{spec:?}");
    }
    // A connect that is never answered cannot be made on loopback; its wording comes from the
    // same helper. A refused one fails at once.
    let refused = reason(&CheckSpec::TcpConnect(TcpConnectSpec {
        address: "127.0.0.1:9".into(),
        timeout: TIMEOUT,
    }));
    assert!(refused.starts_with("connect to 127.0.0.1:9"), "{refused}");
}
