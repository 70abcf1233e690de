//! `dns_lookup` against a real dnsmasq on loopback (Debian package `dnsmasq`).

mod common;

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use anycastd::config::model::{CheckSpec, DnsLookupSpec, DnsProtocol, DnsRecordType, Retry};
use anycastd::health::Outcome;
use anycastd_actors::probe;
use common::Server;

const IP: &str = "127.0.0.1";

/// dnsmasq answering only from its command line: `.test` is local, so unknown names are NXDOMAIN.
fn dnsmasq() -> (Server, SocketAddr) {
    let port = common::free_port(IP);
    // Three 250-byte strings: the answer exceeds 512 bytes, so UDP answers are truncated.
    let chunk = "x".repeat(250);
    let big = format!("--txt-record=big.anycast.test,\"{chunk}\",\"{chunk}\",\"{chunk}\"");
    let mut command = Command::new("/usr/sbin/dnsmasq");
    command.args([
        "--no-daemon",
        "--no-resolv",
        "--no-hosts",
        "--conf-file=/dev/null",
        "--pid-file",
        "--bind-interfaces",
        "--user=root",
        &format!("--listen-address={IP}"),
        &format!("--port={port}"),
        "--local=/test/",
        "--host-record=www.anycast.test,127.0.0.10,::10",
        "--host-record=v4only.anycast.test,127.0.0.11",
        "--cname=alias.anycast.test,www.anycast.test",
        "--txt-record=txt.anycast.test,\"hello world\"",
        "--mx-host=anycast.test,mail.anycast.test,10",
        &big,
    ]);
    let mut server = Server::start("/usr/sbin/dnsmasq", "dnsmasq", command, "dnsmasq");
    let addr: SocketAddr = format!("{IP}:{port}").parse().expect("addr");
    common::wait_tcp(addr);
    server.assert_running();
    (server, addr)
}

fn spec(
    resolver: SocketAddr,
    query: &str,
    record_type: DnsRecordType,
    expect: &[&str],
) -> DnsLookupSpec {
    DnsLookupSpec {
        query: query.to_owned(),
        resolver,
        record_type,
        expect: expect.iter().map(|s| s.to_string()).collect(),
        protocol: DnsProtocol::Udp,
        retry: Retry {
            tries: 1,
            interval: Duration::from_millis(10),
            timeout: Duration::from_secs(2),
        },
    }
}

async fn run(spec: DnsLookupSpec) -> Outcome {
    let (_registry, cx) = common::context("dns");
    probe::run(&CheckSpec::DnsLookup(spec), &cx).await
}

#[tokio::test]
async fn answers_pass_for_every_type_and_transport() {
    let (_server, addr) = dnsmasq();
    assert_eq!(
        run(spec(addr, "www.anycast.test", DnsRecordType::Host, &[])).await,
        Outcome::Pass
    );
    assert_eq!(
        run(spec(addr, "v4only.anycast.test", DnsRecordType::Host, &[])).await,
        Outcome::Pass
    );
    let a = spec(addr, "www.anycast.test", DnsRecordType::A, &["127.0.0.10"]);
    assert_eq!(run(a).await, Outcome::Pass);
    let aaaa = spec(addr, "WWW.anycast.test.", DnsRecordType::Aaaa, &["::10"]);
    assert_eq!(run(aaaa).await, Outcome::Pass);
    let cname = spec(
        addr,
        "alias.anycast.test",
        DnsRecordType::Cname,
        &["www.anycast.test"],
    );
    assert_eq!(run(cname).await, Outcome::Pass);
    let txt = spec(
        addr,
        "txt.anycast.test",
        DnsRecordType::Txt,
        &["hello world"],
    );
    assert_eq!(run(txt).await, Outcome::Pass);
    assert_eq!(
        run(spec(addr, "anycast.test", DnsRecordType::Mx, &[])).await,
        Outcome::Pass
    );
    let mut tcp = spec(
        addr,
        "www.anycast.test",
        DnsRecordType::Host,
        &["127.0.0.10", "::10"],
    );
    tcp.protocol = DnsProtocol::Tcp;
    assert_eq!(run(tcp).await, Outcome::Pass);
}

#[tokio::test]
async fn a_truncated_udp_answer_is_retried_over_tcp() {
    let (_server, addr) = dnsmasq();
    assert_eq!(
        run(spec(addr, "big.anycast.test", DnsRecordType::Txt, &[])).await,
        Outcome::Pass
    );
}

#[tokio::test]
async fn failures_name_the_rcode_or_the_missing_answer() {
    let (_server, addr) = dnsmasq();
    match run(spec(addr, "missing.anycast.test", DnsRecordType::Host, &[])).await {
        Outcome::Fail(reason) => {
            assert!(reason.starts_with("1 try failed; last error: "), "{reason}");
            assert!(reason.contains("NXDOMAIN"), "{reason}");
        }
        other => panic!("expected Fail, got {other:?}"),
    }
    match run(spec(addr, "v4only.anycast.test", DnsRecordType::Aaaa, &[])).await {
        Outcome::Fail(reason) => assert!(reason.contains("empty answer (NOERROR)"), "{reason}"),
        other => panic!("expected Fail, got {other:?}"),
    }
    match run(spec(
        addr,
        "www.anycast.test",
        DnsRecordType::A,
        &["127.0.0.99"],
    ))
    .await
    {
        Outcome::Fail(reason) => assert!(reason.contains("127.0.0.99"), "{reason}"),
        other => panic!("expected Fail, got {other:?}"),
    }
    // Outside `.test` dnsmasq has no upstream: it refuses.
    match run(spec(addr, "example.invalid", DnsRecordType::A, &[])).await {
        Outcome::Fail(reason) => assert!(reason.contains("REFUSED"), "{reason}"),
        other => panic!("expected Fail, got {other:?}"),
    }
}

#[tokio::test]
async fn the_hosts_file_is_never_used() {
    let (_server, addr) = dnsmasq();
    // `localhost` is in /etc/hosts, but our resolver has no answer for it.
    let outcome = run(spec(addr, "localhost", DnsRecordType::A, &[])).await;
    assert!(matches!(outcome, Outcome::Fail(_)), "{outcome:?}");
}

#[tokio::test]
async fn a_silent_server_times_out_after_every_try() {
    let hole = common::UdpServer::silent(IP);
    let mut silent = spec(hole.addr, "www.anycast.test", DnsRecordType::A, &[]);
    silent.retry = Retry {
        tries: 3,
        interval: Duration::from_millis(100),
        timeout: Duration::from_millis(200),
    };
    let started = std::time::Instant::now();
    match run(silent.clone()).await {
        Outcome::Fail(reason) => {
            assert_eq!(reason, "3 tries failed; last error: timed out after 200ms");
        }
        other => panic!("expected Fail, got {other:?}"),
    }
    // 3 x 200 ms plus 2 pauses of 100 ms: no pause after the last try.
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(800) && took < Duration::from_millis(1500),
        "{took:?}"
    );

    // The check loop's deadline drops the probe mid-run.
    let (_registry, cx) = common::context("dns");
    let cut = tokio::time::timeout(
        Duration::from_millis(300),
        probe::run(&CheckSpec::DnsLookup(silent), &cx),
    )
    .await;
    assert!(cut.is_err());
}
