//! `tls_certificate`: inspects the leaf certificate of a local PEM file (a chain is allowed) or of a
//! remote TLS handshake (RFC 8446; SNI per RFC 6066 §3), and checks validity dates, remaining
//! lifetime, names and issuer.
//!
//! The leaf is the certificate of the chain that issued none of the others (the end of the chain,
//! not an intermediate), whatever the order of the file. Chain verification (RFC 5280 §6): a remote
//! handshake is verified, host name included, against `ca_file` or the system roots unless
//! `insecure`; a local file is verified only when `ca_file` is given. The handshake uses
//! tokio-openssl, so a dropped probe closes its socket at once.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::net::IpAddr;
use std::path::Path;
use std::pin::Pin;

use anycastd::config::model::{TlsCertificateSpec, TlsSource};
use anycastd::health::Outcome;
use openssl::asn1::{Asn1Time, Asn1TimeRef};
use openssl::nid::Nid;
use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use openssl::stack::Stack;
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::{X509, X509NameRef, X509Ref, X509StoreContext, X509VerifyResult};
use tokio::net::TcpStream;

use super::ProbeContext;

/// Runs one `tls_certificate` probe.
pub(super) async fn probe(spec: &TlsCertificateSpec, cx: &ProbeContext) -> Outcome {
    let (label, chain) = match &spec.source {
        TlsSource::Local { path } => (path.display().to_string(), read_local(path).await),
        TlsSource::Remote {
            host,
            insecure,
            server_name,
        } => {
            let fetch = fetch_remote(
                host,
                *insecure,
                server_name.as_deref(),
                spec.ca_file.as_deref(),
            );
            let chain = match tokio::time::timeout(spec.timeout, fetch).await {
                Ok(chain) => chain,
                Err(_) => Err(format!(
                    "TLS handshake with {host}: {}",
                    super::timed_out(spec.timeout)
                )),
            };
            (host.clone(), chain)
        }
    };
    let chain = match chain {
        Ok(chain) => chain,
        Err(reason) => return Outcome::Fail(reason),
    };
    let Some(leaf) = pick_leaf(&chain) else {
        return Outcome::Fail(format!("{label}: no certificate found"));
    };
    let now = match Asn1Time::days_from_now(0) {
        Ok(now) => now,
        Err(e) => {
            return Outcome::Inconclusive(format!("cannot read the clock through OpenSSL: {e}"));
        }
    };
    let (Some(expires_in), Some(valid_since)) = (
        seconds(&now, leaf.not_after()),
        seconds(&now, leaf.not_before()),
    ) else {
        return Outcome::Fail(format!("{label}: unreadable validity dates"));
    };
    let labels = [cx.service.as_str(), cx.check.as_str(), label.as_str()];
    cx.metrics
        .certificate_expires_in
        .with_label_values(&labels)
        .set(expires_in as f64);
    match check(spec, leaf, &chain, expires_in, valid_since) {
        Ok(()) => Outcome::Pass,
        Err(reason) => Outcome::Fail(format!("{label}: {reason}")),
    }
}

/// Seconds from `now` to `then` (negative when `then` is past).
fn seconds(now: &Asn1Time, then: &Asn1TimeRef) -> Option<i64> {
    let diff = now.diff(then).ok()?;
    Some(i64::from(diff.days) * 86_400 + i64::from(diff.secs))
}

fn check(
    spec: &TlsCertificateSpec,
    leaf: &X509Ref,
    chain: &[X509],
    expires_in: i64,
    valid_since: i64,
) -> Result<(), String> {
    if valid_since > 0 {
        return Err(format!(
            "certificate is not valid before {} (in {valid_since} s)",
            leaf.not_before()
        ));
    }
    if expires_in < 0 {
        return Err(format!(
            "certificate expired {} seconds ago ({})",
            -expires_in,
            leaf.not_after()
        ));
    }
    if let Some(limit) = spec.expires_in_less_than {
        if u64::try_from(expires_in).unwrap_or_default() < limit.as_secs() {
            return Err(format!(
                "certificate expires in {expires_in} s, less than {limit:?} ({})",
                leaf.not_after()
            ));
        }
    }
    if let Some(want) = &spec.common_name {
        let have = common_name(leaf.subject_name());
        if have.as_deref() != Some(want.as_str()) {
            return Err(format!("common name is {have:?}, expected {want:?}"));
        }
    }
    let sans = leaf.subject_alt_names();
    let dns: Vec<String> = sans
        .iter()
        .flat_map(|s| s.iter())
        .filter_map(|n| n.dnsname().map(str::to_owned))
        .collect();
    if let Some(missing) = spec.dns_names.iter().find(|want| !dns.contains(want)) {
        return Err(format!(
            "DNS name {missing} is not among the certificate's [{}]",
            dns.join(", ")
        ));
    }
    let ips: Vec<IpAddr> = sans
        .iter()
        .flat_map(|s| s.iter())
        .filter_map(|n| n.ipaddress().and_then(ip_from))
        .collect();
    if let Some(missing) = spec.ip_addresses.iter().find(|want| !ips.contains(want)) {
        return Err(format!(
            "IP address {missing} is not among the certificate's SANs"
        ));
    }
    if let Some(want) = &spec.issuer {
        let have = common_name(leaf.issuer_name());
        if have.as_deref() != Some(want.as_str()) {
            return Err(format!("issuer common name is {have:?}, expected {want:?}"));
        }
    }
    if let (TlsSource::Local { .. }, Some(ca_file)) = (&spec.source, &spec.ca_file) {
        verify_local(leaf, chain, ca_file)?;
    }
    Ok(())
}

fn ip_from(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

fn common_name(name: &X509NameRef) -> Option<String> {
    let entry = name.entries_by_nid(Nid::COMMONNAME).next()?;
    entry.data().to_string().ok()
}

/// The certificate that issued none of the others; the first one when several qualify.
fn pick_leaf(chain: &[X509]) -> Option<&X509Ref> {
    let issues_another = |i: usize, candidate: &X509| {
        chain
            .iter()
            .enumerate()
            .any(|(j, other)| j != i && candidate.issued(other) == X509VerifyResult::OK)
    };
    chain
        .iter()
        .enumerate()
        .find(|(i, c)| !issues_another(*i, c))
        .or(chain.iter().enumerate().next())
        .map(|(_, c)| &**c)
}

async fn read_local(path: &Path) -> Result<Vec<X509>, String> {
    let owned = path.to_path_buf();
    let read = crate::files::read_off_thread(move || {
        crate::files::read_bounded(&owned, crate::files::PEM_LIMIT)
    });
    let pem = match read.await {
        Ok(Ok(pem)) => pem,
        Ok(Err(e)) => return Err(format!("{}: {e}", path.display())),
        Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
    };
    X509::stack_from_pem(&pem)
        .map_err(|e| format!("{}: not a PEM certificate file: {e}", path.display()))
}

fn verify_local(leaf: &X509Ref, chain: &[X509], ca_file: &Path) -> Result<(), String> {
    let openssl_error =
        |e: openssl::error::ErrorStack| format!("chain verification could not run: {e}");
    // Bounded, and never waits on a FIFO (see crate::files).
    let pem = crate::files::read_bounded(ca_file, crate::files::PEM_LIMIT)
        .map_err(|e| format!("ca_file {}: {e}", ca_file.display()))?;
    let roots =
        X509::stack_from_pem(&pem).map_err(|e| format!("ca_file {}: {e}", ca_file.display()))?;
    let mut store = X509StoreBuilder::new().map_err(openssl_error)?;
    for root in roots {
        store.add_cert(root).map_err(openssl_error)?;
    }
    let store = store.build();
    let mut intermediates = Stack::new().map_err(openssl_error)?;
    for cert in chain {
        intermediates.push(cert.clone()).map_err(openssl_error)?;
    }
    let mut context = X509StoreContext::new().map_err(openssl_error)?;
    let verdict = context
        .init(&store, leaf, &intermediates, |c| {
            Ok(c.verify_cert()?.then_some(()).ok_or(c.error()))
        })
        .map_err(openssl_error)?;
    verdict.map_err(|e| {
        format!(
            "chain does not verify against {}: {}",
            ca_file.display(),
            e.error_string()
        )
    })
}

/// The host part of a `host:port` dial string, without IPv6 brackets.
fn host_part(dial: &str) -> &str {
    let host = dial.rsplit_once(':').map_or(dial, |(host, _)| host);
    host.trim_start_matches('[').trim_end_matches(']')
}

async fn fetch_remote(
    dial: &str,
    insecure: bool,
    server_name: Option<&str>,
    ca_file: Option<&Path>,
) -> Result<Vec<X509>, String> {
    let setup = |e: openssl::error::ErrorStack| format!("TLS setup: {e}");
    let mut builder = SslConnector::builder(SslMethod::tls_client()).map_err(setup)?;
    if insecure {
        builder.set_verify(SslVerifyMode::NONE);
    } else if let Some(ca_file) = ca_file {
        builder
            .set_ca_file(ca_file)
            .map_err(|e| format!("ca_file {}: {e}", ca_file.display()))?;
    }
    let mut config = builder.build().configure().map_err(setup)?;
    if insecure {
        config.set_verify_hostname(false);
    }
    // An IP literal gets no SNI and is matched against the IP SANs (done by the openssl crate).
    let name = server_name.unwrap_or_else(|| host_part(dial));
    let ssl = config.into_ssl(name).map_err(setup)?;
    let tcp = TcpStream::connect(dial)
        .await
        .map_err(|e| format!("connect to {dial}: {e}"))?;
    let mut stream = tokio_openssl::SslStream::new(ssl, tcp).map_err(setup)?;
    if let Err(e) = Pin::new(&mut stream).connect().await {
        let verify = stream.ssl().verify_result();
        return Err(if verify == X509VerifyResult::OK {
            format!("TLS handshake with {dial}: {e}")
        } else {
            format!(
                "TLS handshake with {dial}: certificate verification failed: {}",
                verify.error_string()
            )
        });
    }
    let chain: Vec<X509> = match stream.ssl().peer_cert_chain() {
        Some(chain) => chain.iter().map(|c| c.to_owned()).collect(),
        None => stream.ssl().peer_certificate().into_iter().collect(),
    };
    Ok(chain)
}
