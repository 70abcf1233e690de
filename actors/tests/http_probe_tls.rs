//! The http_2xx probe over https against a local TLS server with a self-signed certificate:
//! verification against the system roots rejects it, `insecure` accepts it; the request inside
//! the TLS session names the URL's path and host.

mod support;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use anycastd::health::Outcome;
use anycastd_actors::probe::http::run;
use anycastd_actors::probe::{ProbeContext, ProbeMetrics};
use openssl::asn1::Asn1Time;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::ssl::{SslAcceptor, SslMethod};
use openssl::x509::{X509, X509NameBuilder};
use support::http_spec;

/// A one-thread TLS server on 127.0.0.1:0 answering 200 to every request, until dropped.
struct TlsServer {
    port: u16,
    stop: Arc<AtomicBool>,
    /// The head of every request received, in order.
    requests: Arc<Mutex<Vec<String>>>,
}

impl TlsServer {
    fn start() -> TlsServer {
        let rsa = Rsa::generate(2048).expect("rsa key");
        let key = PKey::from_rsa(rsa).expect("pkey");
        let mut name = X509NameBuilder::new().expect("name");
        name.append_entry_by_text("CN", "localhost").expect("cn");
        let name = name.build();
        let mut cert = X509::builder().expect("x509");
        cert.set_version(2).expect("version");
        cert.set_subject_name(&name).expect("subject");
        cert.set_issuer_name(&name).expect("issuer");
        cert.set_pubkey(&key).expect("pubkey");
        cert.set_not_before(&Asn1Time::days_from_now(0).expect("time"))
            .expect("not before");
        cert.set_not_after(&Asn1Time::days_from_now(1).expect("time"))
            .expect("not after");
        cert.sign(&key, MessageDigest::sha256()).expect("sign");
        let cert = cert.build();
        let mut acceptor =
            SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).expect("acceptor");
        acceptor.set_private_key(&key).expect("key");
        acceptor.set_certificate(&cert).expect("cert");
        let acceptor = Arc::new(acceptor.build());
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen_requests = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = stream else { continue };
                let acceptor = acceptor.clone();
                let seen_requests = seen_requests.clone();
                std::thread::spawn(move || {
                    let Ok(mut tls) = acceptor.accept(stream) else {
                        return;
                    };
                    let mut buf = [0u8; 4096];
                    let mut seen = Vec::new();
                    while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buf) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => seen.extend_from_slice(&buf[..n]),
                        }
                    }
                    if let Ok(mut all) = seen_requests.lock() {
                        all.push(String::from_utf8_lossy(&seen).into_owned());
                    }
                    let _ = tls.write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                    );
                    let _ = tls.shutdown();
                });
            }
        });
        TlsServer {
            port,
            stop,
            requests,
        }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn cx() -> ProbeContext {
    let metrics = ProbeMetrics::register(&prometheus::Registry::new()).expect("probe metrics");
    ProbeContext {
        service: "web".into(),
        check: "http_2xx".into(),
        metrics,
    }
}

#[test]
fn a_self_signed_certificate_fails_verification_unless_insecure() {
    let server = TlsServer::start();
    let mut spec = http_spec(&format!("https://localhost:{}/", server.port));
    let outcome = actix_rt::System::new().block_on(run(&spec, &cx()));
    match outcome {
        Outcome::Fail(reason) => {
            assert!(reason.starts_with("1 try failed; last error: "), "{reason}");
            assert!(reason.contains("certificate verify failed"), "{reason}");
        }
        other => panic!("a self-signed certificate must not verify: {other:?}"),
    }
    spec.insecure = true;
    let outcome = actix_rt::System::new().block_on(run(&spec, &cx()));
    assert_eq!(outcome, Outcome::Pass);
}

#[test]
fn the_request_over_tls_carries_the_path_and_the_host_of_the_url() {
    let server = TlsServer::start();
    let mut spec = http_spec(&format!("https://localhost:{}/health?deep=1", server.port));
    spec.insecure = true;
    let outcome = actix_rt::System::new().block_on(run(&spec, &cx()));
    assert_eq!(outcome, Outcome::Pass);
    let requests = server.requests.lock().expect("requests").clone();
    let head = requests.first().expect("one request").to_ascii_lowercase();
    assert!(
        head.starts_with("get /health?deep=1 http/1.1\r\n"),
        "{head}"
    );
    let host = format!("\r\nhost: localhost:{}\r\n", server.port);
    assert!(head.contains(&host), "{head}");
}

#[test]
fn a_redirect_from_http_to_https_is_followed_over_tls() {
    let server = TlsServer::start();
    let plain = TcpListener::bind("127.0.0.1:0").expect("bind");
    let plain_port = plain.local_addr().expect("addr").port();
    let location = format!("https://localhost:{}/next", server.port);
    std::thread::spawn(move || {
        if let Ok((mut stream, _)) = plain.accept() {
            let mut buf = [0u8; 4096];
            let mut seen = Vec::new();
            while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => seen.extend_from_slice(&buf[..n]),
                }
            }
            let answer = format!(
                "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    let mut spec = http_spec(&format!("http://127.0.0.1:{plain_port}/"));
    spec.insecure = true;
    spec.follow_redirects = true;
    let outcome = actix_rt::System::new().block_on(run(&spec, &cx()));
    assert_eq!(outcome, Outcome::Pass);
    let requests = server.requests.lock().expect("requests").clone();
    let head = requests
        .first()
        .expect("the redirected request")
        .to_ascii_lowercase();
    assert!(head.starts_with("get /next http/1.1\r\n"), "{head}");
    let host = format!("\r\nhost: localhost:{}\r\n", server.port);
    assert!(head.contains(&host), "{head}");
}
