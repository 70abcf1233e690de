//! `tls_certificate` with certificates generated here (root, intermediate, leaves: valid, expired,
//! untrusted), read from local PEM files and served by an in-test TLS listener on loopback.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::Duration;

use anycastd::config::model::{CheckSpec, TlsCertificateSpec, TlsSource};
use anycastd::health::Outcome;
use anycastd_actors::probe;
use common::metric;
use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::ssl::{Ssl, SslAcceptor, SslMethod};
use openssl::x509::extension::{BasicConstraints, SubjectAlternativeName};
use openssl::x509::{X509, X509NameBuilder};

const DAY: i64 = 86_400;

struct Issued {
    cert: X509,
    key: PKey<Private>,
}

fn key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("curve");
    PKey::from_ec_key(EcKey::generate(&group).expect("ec key")).expect("pkey")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// A certificate for `cn`, valid from `from` to `to` (seconds from now), signed by `issuer`
/// (self-signed when `None`); a CA when `ca`.
fn issue(cn: &str, issuer: Option<&Issued>, ca: bool, from: i64, to: i64) -> Issued {
    let key = key();
    let mut name = X509NameBuilder::new().expect("name");
    name.append_entry_by_nid(Nid::COMMONNAME, cn).expect("cn");
    let name = name.build();
    let mut b = X509::builder().expect("builder");
    b.set_version(2).expect("version");
    let serial = BigNum::from_u32(rand::random::<u32>() >> 1)
        .expect("serial")
        .to_asn1_integer()
        .expect("asn1");
    b.set_serial_number(&serial).expect("serial");
    b.set_subject_name(&name).expect("subject");
    b.set_issuer_name(issuer.map_or(&name, |i| i.cert.subject_name()))
        .expect("issuer");
    b.set_pubkey(&key).expect("pubkey");
    b.set_not_before(&Asn1Time::from_unix(now() + from).expect("time"))
        .expect("not before");
    b.set_not_after(&Asn1Time::from_unix(now() + to).expect("time"))
        .expect("not after");
    if ca {
        b.append_extension(BasicConstraints::new().critical().ca().build().expect("bc"))
            .expect("ext");
    } else {
        let san = SubjectAlternativeName::new()
            .dns(cn)
            .dns("alt.anycast.test")
            .ip("127.0.0.1")
            .build(&b.x509v3_context(issuer.map(|i| i.cert.as_ref()), None))
            .expect("san");
        b.append_extension(san).expect("ext");
    }
    b.sign(issuer.map_or(&key, |i| &i.key), MessageDigest::sha256())
        .expect("sign");
    Issued {
        cert: b.build(),
        key,
    }
}

struct Pki {
    dir: tempfile::TempDir,
    root: Issued,
    intermediate: Issued,
    leaf: Issued,
    expired: Issued,
    other_root: Issued,
    stranger: Issued,
}

fn pki() -> Pki {
    let root = issue("Anycast Test Root", None, true, -DAY, 3650 * DAY);
    let intermediate = issue(
        "Anycast Test Intermediate",
        Some(&root),
        true,
        -DAY,
        365 * DAY,
    );
    let leaf = issue(
        "www.anycast.test",
        Some(&intermediate),
        false,
        -DAY,
        30 * DAY,
    );
    let expired = issue(
        "www.anycast.test",
        Some(&intermediate),
        false,
        -30 * DAY,
        -2 * DAY,
    );
    let other_root = issue("Some Other Root", None, true, -DAY, 3650 * DAY);
    let stranger = issue("www.anycast.test", Some(&other_root), false, -DAY, 30 * DAY);
    Pki {
        dir: tempfile::tempdir().expect("tempdir"),
        root,
        intermediate,
        leaf,
        expired,
        other_root,
        stranger,
    }
}

impl Pki {
    fn write(&self, name: &str, certs: &[&X509]) -> PathBuf {
        let path = self.dir.path().join(name);
        let pem: Vec<u8> = certs
            .iter()
            .flat_map(|c| c.to_pem().expect("pem"))
            .collect();
        std::fs::write(&path, pem).expect("write pem");
        path
    }
}

fn spec(source: TlsSource) -> TlsCertificateSpec {
    TlsCertificateSpec {
        source,
        common_name: None,
        dns_names: vec![],
        ip_addresses: vec![],
        issuer: None,
        expires_in_less_than: None,
        ca_file: None,
        timeout: Duration::from_secs(2),
    }
}

fn local(path: &Path) -> TlsSource {
    TlsSource::Local {
        path: path.to_owned(),
    }
}

async fn run(spec: TlsCertificateSpec) -> (Outcome, Option<f64>) {
    let (registry, cx) = common::context("tls");
    let path = match &spec.source {
        TlsSource::Local { path } => path.display().to_string(),
        TlsSource::Remote { host, .. } => host.clone(),
    };
    let outcome = probe::run(&CheckSpec::TlsCertificate(spec), &cx).await;
    let gauge = metric(
        &registry,
        "anycastd_certificate_expires_in_seconds",
        &[("service", "svc"), ("check", "tls"), ("path", &path)],
    );
    (outcome, gauge)
}

fn fail_reason(outcome: Outcome) -> String {
    match outcome {
        Outcome::Fail(reason) => reason,
        other => panic!("expected Fail, got {other:?}"),
    }
}

#[tokio::test]
async fn a_local_chain_in_any_order_picks_the_leaf_and_passes() {
    let pki = pki();
    // Intermediate first, then the root, then the leaf: the leaf is still found.
    let chain = pki.write(
        "chain.pem",
        &[&pki.intermediate.cert, &pki.root.cert, &pki.leaf.cert],
    );
    let mut s = spec(local(&chain));
    s.common_name = Some("www.anycast.test".into());
    s.dns_names = vec!["alt.anycast.test".into()];
    s.ip_addresses = vec!["127.0.0.1".parse().expect("ip")];
    s.issuer = Some("Anycast Test Intermediate".into());
    s.expires_in_less_than = Some(Duration::from_secs(7 * DAY as u64));
    s.ca_file = Some(pki.write("root.pem", &[&pki.root.cert]));
    let (outcome, gauge) = run(s).await;
    assert_eq!(outcome, Outcome::Pass);
    let gauge = gauge.expect("expiry gauge");
    assert!(
        (gauge - (30 * DAY) as f64).abs() < 120.0,
        "expires in {gauge} s, expected about 30 days"
    );
}

#[tokio::test]
async fn local_failures_name_what_is_wrong() {
    let pki = pki();
    let leaf = pki.write("leaf.pem", &[&pki.leaf.cert, &pki.intermediate.cert]);

    let mut s = spec(local(&leaf));
    s.expires_in_less_than = Some(Duration::from_secs(60 * DAY as u64));
    assert!(fail_reason(run(s).await.0).contains("less than"));

    let mut s = spec(local(&leaf));
    s.common_name = Some("other.anycast.test".into());
    assert!(fail_reason(run(s).await.0).contains("common name"));

    let mut s = spec(local(&leaf));
    s.dns_names = vec!["missing.anycast.test".into()];
    assert!(fail_reason(run(s).await.0).contains("missing.anycast.test"));

    let mut s = spec(local(&leaf));
    s.ip_addresses = vec!["127.0.0.2".parse().expect("ip")];
    assert!(fail_reason(run(s).await.0).contains("127.0.0.2"));

    let mut s = spec(local(&leaf));
    s.issuer = Some("Anycast Test Root".into());
    assert!(fail_reason(run(s).await.0).contains("issuer"));

    let mut s = spec(local(&pki.write("stranger.pem", &[&pki.stranger.cert])));
    s.ca_file = Some(pki.write("root.pem", &[&pki.root.cert]));
    assert!(fail_reason(run(s).await.0).contains("does not verify"));

    // Without ca_file a local file is not verified.
    let s = spec(local(&pki.write("stranger.pem", &[&pki.stranger.cert])));
    assert_eq!(run(s).await.0, Outcome::Pass);

    let missing = spec(local(&pki.dir.path().join("absent.pem")));
    assert!(fail_reason(run(missing).await.0).contains("cannot read"));

    // A FIFO or a device is refused at once, never read.
    let fifo = pki.dir.path().join("fifo.pem");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()));
    let reason = fail_reason(run(spec(local(&fifo))).await.0);
    assert!(
        reason.contains("not a regular file (it is a FIFO)"),
        "{reason}"
    );
    let mut s = spec(local(&leaf));
    s.ca_file = Some("/dev/zero".into());
    let reason = fail_reason(run(s).await.0);
    assert!(reason.contains("not a regular file"), "{reason}");
}

#[tokio::test]
async fn an_expired_local_certificate_fails_with_a_negative_gauge() {
    let pki = pki();
    let path = pki.write("expired.pem", &[&pki.expired.cert]);
    let (outcome, gauge) = run(spec(local(&path))).await;
    assert!(fail_reason(outcome).contains("expired"));
    let gauge = gauge.expect("expiry gauge");
    assert!((gauge + (2 * DAY) as f64).abs() < 120.0, "{gauge}");
}

/// A TLS server on loopback presenting `leaf` and `extra` (its chain); accepts until dropped.
async fn serve(leaf: &Issued, extra: &[&X509]) -> (tokio::task::JoinHandle<()>, SocketAddr) {
    let mut acceptor = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).expect("acceptor");
    acceptor.set_private_key(&leaf.key).expect("key");
    acceptor.set_certificate(&leaf.cert).expect("cert");
    for cert in extra {
        acceptor
            .add_extra_chain_cert((*cert).clone())
            .expect("chain");
    }
    let acceptor = acceptor.build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let ssl = Ssl::new(acceptor.context()).expect("ssl");
            let mut stream = tokio_openssl::SslStream::new(ssl, tcp).expect("stream");
            tokio::spawn(async move {
                let _ = Pin::new(&mut stream).accept().await;
            });
        }
    });
    (task, addr)
}

fn remote(addr: SocketAddr, insecure: bool, server_name: Option<&str>) -> TlsSource {
    TlsSource::Remote {
        host: addr.to_string(),
        insecure,
        server_name: server_name.map(str::to_owned),
    }
}

#[tokio::test]
async fn a_remote_chain_verifies_against_ca_file_with_sni() {
    let pki = pki();
    let (server, addr) = serve(&pki.leaf, &[&pki.intermediate.cert]).await;
    let root = pki.write("root.pem", &[&pki.root.cert]);

    let mut s = spec(remote(addr, false, Some("www.anycast.test")));
    s.ca_file = Some(root.clone());
    s.issuer = Some("Anycast Test Intermediate".into());
    let (outcome, gauge) = run(s).await;
    assert_eq!(outcome, Outcome::Pass);
    assert!(gauge.expect("gauge") > (29 * DAY) as f64);

    // An IP literal is matched against the IP SANs.
    let mut s = spec(remote(addr, false, None));
    s.ca_file = Some(root.clone());
    assert_eq!(run(s).await.0, Outcome::Pass);

    // Wrong name.
    let mut s = spec(remote(addr, false, Some("wrong.anycast.test")));
    s.ca_file = Some(root.clone());
    assert!(fail_reason(run(s).await.0).contains("verification failed"));

    // Untrusted CA.
    let mut s = spec(remote(addr, false, Some("www.anycast.test")));
    s.ca_file = Some(pki.write("other.pem", &[&pki.other_root.cert]));
    assert!(fail_reason(run(s).await.0).contains("verification failed"));

    // Insecure skips verification; the assertions still run.
    let mut s = spec(remote(addr, true, Some("whatever.test")));
    s.common_name = Some("www.anycast.test".into());
    assert_eq!(run(s).await.0, Outcome::Pass);
    server.abort();
}

#[tokio::test]
async fn an_expired_remote_certificate_fails_even_when_insecure() {
    let pki = pki();
    let (server, addr) = serve(&pki.expired, &[&pki.intermediate.cert]).await;
    let (outcome, gauge) = run(spec(remote(addr, true, None))).await;
    assert!(fail_reason(outcome).contains("expired"));
    assert!(gauge.expect("gauge") < 0.0);
    server.abort();
}

#[tokio::test]
async fn a_listener_that_never_speaks_tls_times_out() {
    // Connections complete in the kernel backlog, but nobody ever answers the ClientHello.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut s = spec(remote(addr, true, None));
    s.timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let (outcome, gauge) = run(s.clone()).await;
    assert!(fail_reason(outcome).contains("timed out"));
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(gauge, None);
    s.timeout = Duration::from_secs(60);
    let (_registry, cx) = common::context("tls");
    let cut = tokio::time::timeout(
        Duration::from_millis(200),
        probe::run(&CheckSpec::TlsCertificate(s), &cx),
    )
    .await;
    assert!(cut.is_err());
    drop(listener);
}
