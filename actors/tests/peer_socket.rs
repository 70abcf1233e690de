//! Socket options of BGP sessions on loopback: TCP MD5 (RFC 2385), GTSM (RFC 5082), and the shared
//! passive listener. Needs root (TCP_MD5SIG and IP_MINTTL on loopback work as root).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use actix::prelude::*;
use anycastd_actors::peer::listener::{Accepted, Listener, Register};
use anycastd_actors::peer::socket::{self, SessionSocketOptions, SocketError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A loopback address unique to this test process and `slot`, so parallel runs do not collide.
fn loopback(slot: u8) -> IpAddr {
    let pid = std::process::id();
    IpAddr::V4(Ipv4Addr::new(
        127,
        100 + (pid % 100) as u8,
        (pid / 100 % 250) as u8,
        slot,
    ))
}

fn require_root() {
    // The effective uid is the second field of the `Uid:` line.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let euid = status
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .and_then(|l| l.split_whitespace().nth(2));
    assert_eq!(
        euid,
        Some("0"),
        "these tests set TCP_MD5SIG / IP_MINTTL and must run as root"
    );
}

fn with_key(key: &[u8]) -> SessionSocketOptions {
    SessionSocketOptions {
        md5_key: Some(key.to_vec()),
        ..SessionSocketOptions::default()
    }
}

async fn std_listener(address: SocketAddr, min_ttl: Option<u8>) -> tokio::net::TcpListener {
    let socket = socket::listen(address, min_ttl).expect("listen");
    tokio::net::TcpListener::from_std(std::net::TcpListener::from(socket)).expect("tokio listener")
}

#[tokio::test]
async fn md5_with_the_same_key_connects_and_carries_data() {
    require_root();
    let (server_ip, client_ip) = (loopback(1), loopback(2));
    let listener = std_listener(SocketAddr::new(server_ip, 0), None).await;
    socket::set_md5_key(
        &socket2::SockRef::from(&listener),
        client_ip,
        Some(b"s3cret"),
    )
    .expect("key on listener");
    let server = listener.local_addr().expect("addr");
    let accept = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 5];
        stream.read_exact(&mut buf).await.expect("read");
        buf
    });
    let mut client = socket::connect(
        server,
        Some(client_ip),
        &with_key(b"s3cret"),
        Duration::from_secs(3),
    )
    .await
    .expect("same key must connect");
    client.write_all(b"hello").await.expect("write");
    assert_eq!(&accept.await.expect("join"), b"hello");
}

#[tokio::test]
async fn md5_with_a_wrong_or_missing_key_times_out() {
    require_root();
    let (server_ip, client_ip) = (loopback(3), loopback(4));
    let listener = std_listener(SocketAddr::new(server_ip, 0), None).await;
    socket::set_md5_key(
        &socket2::SockRef::from(&listener),
        client_ip,
        Some(b"right"),
    )
    .expect("key on listener");
    let server = listener.local_addr().expect("addr");
    let wrong = socket::connect(
        server,
        Some(client_ip),
        &with_key(b"wrong"),
        Duration::from_millis(1500),
    )
    .await;
    assert!(
        matches!(wrong, Err(SocketError::ConnectTimeout { .. })),
        "wrong key: {wrong:?}"
    );
    let none = socket::connect(
        server,
        Some(client_ip),
        &SessionSocketOptions::default(),
        Duration::from_millis(1500),
    )
    .await;
    assert!(
        matches!(none, Err(SocketError::ConnectTimeout { .. })),
        "no key: {none:?}"
    );
}

#[tokio::test]
async fn md5_works_over_ipv6() {
    require_root();
    let listener = std_listener("[::1]:0".parse().expect("v6"), None).await;
    let client_ip: IpAddr = "::1".parse().expect("v6");
    socket::set_md5_key(&socket2::SockRef::from(&listener), client_ip, Some(b"six"))
        .expect("key on listener");
    let server = listener.local_addr().expect("addr");
    let accept = tokio::spawn(async move { listener.accept().await.map(|_| ()) });
    socket::connect(
        server,
        Some(client_ip),
        &with_key(b"six"),
        Duration::from_secs(3),
    )
    .await
    .expect("v6 md5 connect");
    accept.await.expect("join").expect("accept");
}

#[tokio::test]
async fn gtsm_floor_255_rejects_a_ttl_64_client_and_accepts_ttl_255() {
    require_root();
    let (server_ip, client_ip) = (loopback(5), loopback(6));
    let listener = std_listener(SocketAddr::new(server_ip, 0), Some(255)).await;
    let server = listener.local_addr().expect("addr");
    let ttl_64 = SessionSocketOptions {
        ttl: Some(64),
        ..SessionSocketOptions::default()
    };
    let low = socket::connect(
        server,
        Some(client_ip),
        &ttl_64,
        Duration::from_millis(1500),
    )
    .await;
    assert!(
        matches!(low, Err(SocketError::ConnectTimeout { .. })),
        "TTL 64 must be dropped: {low:?}"
    );
    let ttl_255 = SessionSocketOptions {
        ttl: Some(255),
        ..SessionSocketOptions::default()
    };
    socket::connect(server, Some(client_ip), &ttl_255, Duration::from_secs(3))
        .await
        .expect("TTL 255 connects");
}

#[test]
fn ttl_policy_follows_rfc_5082_and_the_multihop_setting() {
    let mut peer = anycastd::config::model::Peer {
        name: "r".into(),
        remote_address: "10.0.0.2".parse().expect("ip"),
        remote_asn: anycastd::bgp::types::Asn::new(65000).expect("asn"),
        remote_port: 179,
        local_address: None,
        multihop_ttl: None,
        passive: false,
        hold_time: anycastd::bgp::types::HoldTime::default(),
        connect_retry: Duration::from_secs(5),
        md5: None,
        ttl_security: false,
        bfd: None,
        send_hold_time: None,
    };
    let direct = SessionSocketOptions::for_peer(&peer, true, None);
    assert_eq!((direct.ttl, direct.min_ttl), (Some(1), None));
    let ibgp = SessionSocketOptions::for_peer(&peer, false, None);
    assert_eq!((ibgp.ttl, ibgp.min_ttl), (None, None));
    peer.multihop_ttl = Some(3);
    let multihop = SessionSocketOptions::for_peer(&peer, true, None);
    assert_eq!((multihop.ttl, multihop.min_ttl), (Some(3), None));
    peer.ttl_security = true;
    let gtsm = SessionSocketOptions::for_peer(&peer, true, None);
    assert_eq!((gtsm.ttl, gtsm.min_ttl), (Some(255), Some(253)));
    peer.multihop_ttl = None;
    let gtsm_direct = SessionSocketOptions::for_peer(&peer, true, None);
    assert_eq!(
        (gtsm_direct.ttl, gtsm_direct.min_ttl),
        (Some(255), Some(255))
    );
}

/// Collects what the listener hands over.
struct Sink(tokio::sync::mpsc::UnboundedSender<SocketAddr>);
impl Actor for Sink {
    type Context = Context<Self>;
}
impl Handler<Accepted> for Sink {
    type Result = ();
    fn handle(&mut self, accepted: Accepted, _: &mut Context<Self>) {
        let _ = self.0.send(accepted.remote);
    }
}

#[actix_rt::test]
async fn listener_hands_a_known_source_to_its_peer_and_closes_an_unknown_one() {
    require_root();
    let (server_ip, known, unknown) = (loopback(7), loopback(8), loopback(9));
    let (listener, bound) = Listener::start(SocketAddr::new(server_ip, 0)).expect("listener");
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let sink = Sink(tx).start();
    listener
        .send(Register {
            remote: known,
            options: SessionSocketOptions::default(),
            recipient: sink.recipient(),
        })
        .await
        .expect("mailbox")
        .expect("register");

    let options = SessionSocketOptions::default();
    let _kept = socket::connect(bound, Some(known), &options, Duration::from_secs(3))
        .await
        .expect("known connects");
    let handed = tokio::time::timeout(Duration::from_secs(3), rx.recv())
        .await
        .expect("handed over in time");
    assert_eq!(handed.map(|a| a.ip()), Some(known));

    let mut stranger = socket::connect(bound, Some(unknown), &options, Duration::from_secs(3))
        .await
        .expect("tcp up");
    let mut buf = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(3), stranger.read(&mut buf))
        .await
        .expect("closed in time");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "an unknown source must be closed, got {read:?}"
    );
    assert!(
        rx.try_recv().is_err(),
        "an unknown source must not be handed to any peer"
    );
}

#[test]
fn md5_keys_come_inline_or_from_a_file_without_its_newline() {
    use anycastd::config::model::Md5Key;
    assert_eq!(
        socket::read_md5_key(&Md5Key::Inline("abc".into())).expect("inline"),
        b"abc"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("key");
    std::fs::write(&path, "from-file\n").expect("write");
    assert_eq!(
        socket::read_md5_key(&Md5Key::File(path)).expect("file"),
        b"from-file"
    );
    let missing = socket::read_md5_key(&Md5Key::File(dir.path().join("absent")));
    assert!(
        matches!(missing, Err(SocketError::Md5KeyFile { .. })),
        "{missing:?}"
    );
    let long = socket::read_md5_key(&Md5Key::Inline("x".repeat(81)));
    assert!(
        matches!(long, Err(SocketError::Md5KeyTooLong(81))),
        "{long:?}"
    );
}
