//! `tcp_connect` against real loopback listeners.

mod common;

use std::time::Duration;

use anycastd::config::model::{CheckSpec, TcpConnectSpec};
use anycastd::health::Outcome;
use anycastd_actors::probe;

fn spec(address: String, timeout: Duration) -> CheckSpec {
    CheckSpec::TcpConnect(TcpConnectSpec { address, timeout })
}

#[tokio::test]
async fn passes_when_a_listener_accepts() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (_registry, cx) = common::context("tcp");
    assert_eq!(
        probe::run(&spec(addr.to_string(), Duration::from_secs(2)), &cx).await,
        Outcome::Pass
    );
}

#[tokio::test]
async fn resolves_a_name_each_run() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (_registry, cx) = common::context("tcp");
    let outcome = probe::run(
        &spec(format!("localhost:{port}"), Duration::from_secs(2)),
        &cx,
    )
    .await;
    assert_eq!(outcome, Outcome::Pass);
}

#[tokio::test]
async fn fails_when_the_port_is_closed() {
    let port = common::free_port("127.0.0.1");
    let (_registry, cx) = common::context("tcp");
    match probe::run(
        &spec(format!("127.0.0.1:{port}"), Duration::from_secs(2)),
        &cx,
    )
    .await
    {
        Outcome::Fail(reason) => assert!(reason.contains("refused"), "{reason}"),
        other => panic!("expected Fail, got {other:?}"),
    }
}

#[tokio::test]
async fn fails_on_timeout_when_the_backlog_is_full() {
    // A listener with backlog 0 that never accepts: once its queue is full, SYNs are dropped and a
    // connect hangs until our timeout.
    let socket =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    socket
        .bind(
            &"127.0.0.1:0"
                .parse::<std::net::SocketAddr>()
                .expect("addr")
                .into(),
        )
        .expect("bind");
    socket.listen(0).expect("listen");
    let addr = socket
        .local_addr()
        .expect("addr")
        .as_socket()
        .expect("inet");
    let mut fillers = Vec::new();
    for _ in 0..4 {
        if let Ok(Ok(s)) = tokio::time::timeout(
            Duration::from_millis(200),
            tokio::net::TcpStream::connect(addr),
        )
        .await
        {
            fillers.push(s);
        }
    }
    let (_registry, cx) = common::context("tcp");
    let started = std::time::Instant::now();
    match probe::run(&spec(addr.to_string(), Duration::from_millis(300)), &cx).await {
        Outcome::Fail(reason) => assert!(reason.contains("timed out"), "{reason}"),
        other => panic!("expected Fail, got {other:?}"),
    }
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn leaves_no_time_wait_socket_behind() {
    // A server that closes only after the client has: whoever closes first with a FIN keeps the
    // TIME_WAIT socket, and a probe must not be that side (a check a second would pile them up).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = [0u8; 64];
                while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
            });
        }
    });
    let (_registry, cx) = common::context("tcp");
    for _ in 0..20 {
        assert_eq!(
            probe::run(&spec(addr.to_string(), Duration::from_secs(2)), &cx).await,
            Outcome::Pass
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(common::time_wait_towards(addr.port()), 0);
}
