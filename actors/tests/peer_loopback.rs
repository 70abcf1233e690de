//! PeerActors on loopback: two of ours reach Established (one passive, behind the shared listener);
//! a test speaker built on the codec decodes exactly what a PeerActor sends (table, End-of-RIB,
//! withdrawals, Cease with shutdown text); hold-timer expiry when the neighbour falls silent.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use actix::prelude::*;
use anycastd::bgp::codec::{
    self, AsPathSegment, DecodeContext, EncodeContext, Message, PathAttribute, Update,
};
use anycastd::bgp::fsm::{SessionConfig, State};
use anycastd::bgp::types::{Asn, HoldTime, Prefix};
use anycastd::config::model::{self, Announcer, GracefulRestart};
use anycastd_actors::peer::listener::Listener;
use anycastd_actors::peer::metrics::BgpMetrics;
use anycastd_actors::peer::{EndSession, GetSessionStatus, PeerActor, PeerSetup};
use anycastd_actors::routes::DesiredRoutes;
use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A loopback address unique to this test process and `slot`.
fn loopback(slot: u8) -> IpAddr {
    let pid = std::process::id();
    IpAddr::V4(Ipv4Addr::new(
        127,
        150 + (pid % 100) as u8,
        (pid / 100 % 250) as u8,
        slot,
    ))
}

fn prefix(text: &str) -> Prefix {
    text.parse().unwrap_or_else(|e| panic!("{text}: {e:?}"))
}

fn announcer(router_id: IpAddr, asn: u32, peer: model::Peer) -> Announcer {
    let IpAddr::V4(router_id) = router_id else {
        panic!("IPv4 router id")
    };
    Announcer {
        router_id,
        local_address: IpAddr::V4(router_id),
        local_asn: Asn::new(asn).unwrap_or(Asn::TRANS),
        routes: Vec::new(),
        peers: vec![peer],
        next_hop_ipv6: None,
        next_hop_ipv4: None,
        graceful_restart: GracefulRestart::default(),
    }
}

fn peer(name: &str, remote: SocketAddr, remote_asn: u32, passive: bool, hold: u16) -> model::Peer {
    model::Peer {
        name: name.into(),
        remote_address: remote.ip(),
        remote_asn: Asn::new(remote_asn).unwrap_or(Asn::TRANS),
        remote_port: remote.port(),
        local_address: None,
        multihop_ttl: None,
        passive,
        hold_time: HoldTime::new(hold).unwrap_or_default(),
        connect_retry: Duration::from_secs(1),
        md5: None,
        ttl_security: false,
        bfd: None,
        send_hold_time: None,
    }
}

fn desired(prefixes: &[&str], complete: bool) -> DesiredRoutes {
    DesiredRoutes::plain(prefixes.iter().map(|p| prefix(p)), complete)
}

async fn wait_state(actor: &Addr<PeerActor>, want: State, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let status = actor
            .send(GetSessionStatus)
            .await
            .expect("peer actor alive");
        if status.state == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "peer stayed in {} instead of {want}",
            status.state
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_rt::test]
async fn two_peer_actors_reach_established_through_the_passive_listener() {
    let (ip_a, ip_b) = (loopback(1), loopback(2));
    let registry = prometheus::Registry::new();
    let metrics = BgpMetrics::register(&registry).expect("metrics");
    let (listener, bound) = Listener::start(SocketAddr::new(ip_b, 0)).expect("listener");

    // B: passive, AS 65002, waits for A on the shared listener.
    let b_peer = peer("to-a", SocketAddr::new(ip_a, 179), 65001, true, 30);
    let b_setup = PeerSetup::from_model(
        &announcer(ip_b, 65002, b_peer.clone()),
        &b_peer,
        None,
        Some(listener),
    );
    let b = PeerActor::new(b_setup, metrics.peer("to-a")).start();
    // A: active, AS 65001, connects to B's listener from its own address.
    let a_peer = peer("to-b", bound, 65002, false, 30);
    let a_setup =
        PeerSetup::from_model(&announcer(ip_a, 65001, a_peer.clone()), &a_peer, None, None);
    let a = PeerActor::new(a_setup, metrics.peer("to-b")).start();

    a.do_send(desired(&["192.0.2.1/32", "192.0.2.2/32"], true));
    b.do_send(desired(&["198.51.100.0/24"], true));
    wait_state(&a, State::Established, Duration::from_secs(10)).await;
    wait_state(&b, State::Established, Duration::from_secs(10)).await;
    let status = a.send(GetSessionStatus).await.expect("alive");
    assert_eq!(
        status.advertised,
        vec![prefix("192.0.2.1/32"), prefix("192.0.2.2/32")]
    );
    let status = b.send(GetSessionStatus).await.expect("alive");
    assert_eq!(status.advertised, vec![prefix("198.51.100.0/24")]);

    // The advertised count follows the output the peer has taken, measured every 500 ms.
    let gather = || {
        prometheus::TextEncoder::new()
            .encode_to_string(&registry.gather())
            .expect("encode")
    };
    let advertised = "anycastd_bgp_prefixes_advertised{peer=\"to-b\"} 2";
    for _ in 0..100 {
        if gather().contains(advertised) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let text = gather();
    assert!(
        text.contains("anycastd_bgp_session_state{peer=\"to-b\"} 6"),
        "{text}"
    );
    assert!(text.contains(advertised), "{text}");
    assert!(
        text.contains("anycastd_bgp_messages_sent_total{peer=\"to-b\",type=\"open\"} 1"),
        "{text}"
    );

    // A stops gracefully: B sees the session end with Cease / Administrative Shutdown.
    a.send(EndSession::shutdown(Some("maintenance".into())))
        .await
        .expect("shutdown answered");
    wait_state(&b, State::Active, Duration::from_secs(10)).await;
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .expect("encode");
    assert!(
        text.contains("anycastd_bgp_session_down_total{peer=\"to-a\",reason=\"received_cease\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("anycastd_bgp_session_flaps_total{peer=\"to-a\"} 1"),
        "{text}"
    );
}

/// A minimal BGP speaker for tests, on the codec: OPEN/KEEPALIVE handshake, then it decodes what
/// arrives.
struct Speaker {
    stream: TcpStream,
    buffer: BytesMut,
    context: DecodeContext,
}

impl Speaker {
    async fn accept(listener: &TcpListener, asn: u32, router_id: Ipv4Addr, hold: u16) -> Speaker {
        let (stream, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
            .await
            .expect("the PeerActor connects in time")
            .expect("accept");
        let mut speaker = Speaker {
            stream,
            buffer: BytesMut::new(),
            context: DecodeContext {
                four_octet_as: true,
            },
        };
        let config = SessionConfig {
            local_asn: Asn::new(asn).unwrap_or(Asn::TRANS),
            remote_asn: Asn::new(65001).unwrap_or(Asn::TRANS),
            router_id,
            hold_time: HoldTime::new(hold).unwrap_or_default(),
            connect_retry: Duration::from_secs(1),
            passive: true,
            families: vec![(codec::Afi::Ipv4, codec::Safi::Unicast)],
            graceful_restart: None,
            send_hold_time: None,
        };
        let Message::Open(open) = speaker.next().await else {
            panic!("expected OPEN first")
        };
        assert_eq!(open.asn(), 65001);
        speaker.send(&Message::Open(config.open())).await;
        speaker.send(&Message::Keepalive).await;
        assert_eq!(speaker.next().await, Message::Keepalive);
        speaker
    }

    async fn send(&mut self, message: &Message) {
        let mut out = BytesMut::new();
        message.encode(
            &EncodeContext {
                four_octet_as: true,
            },
            &mut out,
        );
        self.stream
            .write_all(&out)
            .await
            .expect("write to the PeerActor");
    }

    /// The next message other than KEEPALIVE-after-handshake noise is returned as is.
    async fn next(&mut self) -> Message {
        loop {
            if let Some(len) = codec::frame_len(&self.buffer).expect("valid framing")
                && len <= self.buffer.len()
            {
                let frame = self.buffer.split_to(len);
                return Message::decode(&frame, &self.context).expect("a valid message");
            }
            let read = tokio::time::timeout(
                Duration::from_secs(15),
                self.stream.read_buf(&mut self.buffer),
            )
            .await
            .expect("a message in time")
            .expect("read");
            assert!(read > 0, "the PeerActor closed the connection");
        }
    }

    async fn next_update(&mut self) -> Update {
        loop {
            match self.next().await {
                Message::Keepalive => continue,
                Message::Update(update) => return update,
                other => panic!("expected UPDATE, got {other:?}"),
            }
        }
    }
}

#[actix_rt::test]
async fn a_peer_actor_sends_its_table_end_of_rib_refreshes_withdrawals_and_a_shutdown_cease() {
    let (ours, theirs) = (loopback(3), loopback(4));
    let listener = TcpListener::bind(SocketAddr::new(theirs, 0))
        .await
        .expect("bind");
    let remote = listener.local_addr().expect("addr");
    let registry = prometheus::Registry::new();
    let metrics = BgpMetrics::register(&registry).expect("metrics");
    let model_peer = peer("speaker", remote, 65000, false, 30);
    let setup = PeerSetup::from_model(
        &announcer(ours, 65001, model_peer.clone()),
        &model_peer,
        None,
        None,
    );
    let actor = PeerActor::new(setup, metrics.peer("speaker")).start();
    actor.do_send(desired(&["192.0.2.1/32"], false));
    let IpAddr::V4(their_id) = theirs else {
        panic!("v4")
    };
    let mut speaker = Speaker::accept(&listener, 65000, their_id, 30).await;

    // Before the startup gate opens: the route, but no End-of-RIB.
    let update = speaker.next_update().await;
    assert_eq!(update.nlri, vec![prefix("192.0.2.1/32")]);
    let IpAddr::V4(our_v4) = ours else {
        panic!("v4")
    };
    assert!(
        update.attributes.contains(&PathAttribute::NextHop(our_v4)),
        "{update:?}"
    );
    assert!(
        update
            .attributes
            .contains(&PathAttribute::AsPath(vec![AsPathSegment::Sequence(vec![
                65001
            ])])),
        "{update:?}"
    );

    // The gate opens with one more prefix: that prefix, then End-of-RIB (an empty UPDATE).
    actor.do_send(desired(&["192.0.2.1/32", "192.0.2.2/32"], true));
    assert_eq!(
        speaker.next_update().await.nlri,
        vec![prefix("192.0.2.2/32")]
    );
    assert_eq!(
        speaker.next_update().await,
        Update::default(),
        "End-of-RIB for IPv4 unicast"
    );

    // ROUTE-REFRESH (RFC 2918): the family's routes come again.
    let refresh = codec::RouteRefresh {
        afi: codec::Afi::Ipv4,
        safi: codec::Safi::Unicast,
    };
    speaker.send(&Message::RouteRefresh(refresh)).await;
    let update = speaker.next_update().await;
    assert_eq!(
        update.nlri,
        vec![prefix("192.0.2.1/32"), prefix("192.0.2.2/32")]
    );

    // A prefix leaves the desired set: it is withdrawn.
    actor.do_send(desired(&["192.0.2.2/32"], true));
    let update = speaker.next_update().await;
    assert_eq!(
        (update.withdrawn, update.nlri),
        (vec![prefix("192.0.2.1/32")], vec![])
    );

    // Graceful stop: withdraw all, then Cease / Administrative Shutdown with the text.
    actor
        .send(EndSession::shutdown(Some("bye".into())))
        .await
        .expect("shutdown answered");
    let update = speaker.next_update().await;
    assert_eq!(update.withdrawn, vec![prefix("192.0.2.2/32")]);
    let Message::Notification(cease) = speaker.next().await else {
        panic!("expected NOTIFICATION")
    };
    assert_eq!(
        (cease.code, cease.subcode, cease.shutdown_text()),
        (6, 2, Some("bye".to_string()))
    );
}

#[actix_rt::test]
async fn hold_timer_expiry_when_the_neighbour_falls_silent() {
    // Virtual time: whenever both sides wait, the clock jumps to the next timer, so the 3 s of
    // silence pass at once and are measured exactly. Loopback bytes are in the other socket when
    // the write returns, so a jump does not overtake a message in flight.
    tokio::time::pause();
    let (ours, theirs) = (loopback(5), loopback(6));
    let listener = TcpListener::bind(SocketAddr::new(theirs, 0))
        .await
        .expect("bind");
    let remote = listener.local_addr().expect("addr");
    let registry = prometheus::Registry::new();
    let metrics = BgpMetrics::register(&registry).expect("metrics");
    let model_peer = peer("silent", remote, 65000, false, 3);
    let setup = PeerSetup::from_model(
        &announcer(ours, 65001, model_peer.clone()),
        &model_peer,
        None,
        None,
    );
    let actor = PeerActor::new(setup, metrics.peer("silent")).start();
    let IpAddr::V4(their_id) = theirs else {
        panic!("v4")
    };
    let mut speaker = Speaker::accept(&listener, 65000, their_id, 3).await;
    wait_state(&actor, State::Established, Duration::from_secs(5)).await;
    let started = tokio::time::Instant::now();
    // The speaker never sends another KEEPALIVE: after 3 s our side gives up with 4/0.
    let notification = loop {
        match speaker.next().await {
            Message::Notification(n) => break n,
            Message::Keepalive => continue,
            other => panic!("unexpected {other:?}"),
        }
    };
    let waited = started.elapsed();
    assert_eq!(
        (notification.code, notification.subcode),
        (4, 0),
        "Hold Timer Expired"
    );
    // The hold timer started when our side took the speaker's KEEPALIVE, at most one
    // `wait_state` poll (50 ms) before `started`, and nothing reset it since; tokio's timers
    // round up to the next millisecond.
    assert!(
        waited > Duration::from_millis(2900) && waited <= Duration::from_millis(3005),
        "Hold Timer Expired after {waited:?} of silence, for a hold time of 3 s"
    );
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .expect("encode");
    assert!(
        text.contains(
            "anycastd_bgp_session_down_total{peer=\"silent\",reason=\"hold_timer_expired\"} 1"
        ),
        "{text}"
    );
    assert!(
        text.contains("anycastd_bgp_last_error{peer=\"silent\",reason=\"hold_timer_expired\"} 1"),
        "{text}"
    );
}

#[actix_rt::test]
async fn the_daemon_side_starts_every_configured_peer_and_stops_them_with_a_cease() {
    use anycastd_actors::peer::set::Peers;
    let (ip_a, ip_b) = (loopback(7), loopback(8));
    // B listens on its address, port 179, for A; A connects there.
    let mut b_peer = peer("a", SocketAddr::new(ip_a, 179), 65001, true, 30);
    b_peer.local_address = Some(ip_b);
    let b_registry = prometheus::Registry::new();
    let b = Peers::start(&announcer(ip_b, 65002, b_peer), &b_registry).expect("B starts");
    let a_peer = peer("b", SocketAddr::new(ip_b, 179), 65002, false, 30);
    let a_registry = prometheus::Registry::new();
    let a = Peers::start(&announcer(ip_a, 65001, a_peer), &a_registry).expect("A starts");
    for recipient in a.recipients() {
        recipient.do_send(desired(&["192.0.2.9/32"], true));
    }
    let (_, a_actor) = a.actors().first().cloned().expect("one actor");
    let (_, b_actor) = b.actors().first().cloned().expect("one actor");
    wait_state(&a_actor, State::Established, Duration::from_secs(10)).await;
    wait_state(&b_actor, State::Established, Duration::from_secs(10)).await;
    let status = a_actor.send(GetSessionStatus).await.expect("alive");
    assert_eq!(status.advertised, vec![prefix("192.0.2.9/32")]);

    a.shutdown("bye").await;
    wait_state(&b_actor, State::Active, Duration::from_secs(10)).await;
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&b_registry.gather())
        .expect("encode");
    assert!(
        text.contains("anycastd_bgp_session_down_total{peer=\"a\",reason=\"received_cease\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("anycastd_bgp_messages_received_total{peer=\"a\",type=\"update\"}"),
        "{text}"
    );
}

#[actix_rt::test]
async fn a_bad_marker_is_answered_with_connection_not_synchronized() {
    let (ours, theirs) = (loopback(9), loopback(10));
    let listener = TcpListener::bind(SocketAddr::new(theirs, 0))
        .await
        .expect("bind");
    let remote = listener.local_addr().expect("addr");
    let registry = prometheus::Registry::new();
    let metrics = BgpMetrics::register(&registry).expect("metrics");
    let model_peer = peer("garbled", remote, 65000, false, 30);
    let setup = PeerSetup::from_model(
        &announcer(ours, 65001, model_peer.clone()),
        &model_peer,
        None,
        None,
    );
    let actor = PeerActor::new(setup, metrics.peer("garbled")).start();
    let IpAddr::V4(their_id) = theirs else {
        panic!("v4")
    };
    let mut speaker = Speaker::accept(&listener, 65000, their_id, 30).await;
    wait_state(&actor, State::Established, Duration::from_secs(5)).await;
    // A KEEPALIVE-sized message whose marker is not all ones (RFC 4271 §6.1).
    let mut garbage = vec![0u8; 16];
    garbage.extend_from_slice(&[0, 19, 4]);
    speaker.stream.write_all(&garbage).await.expect("write");
    let notification = loop {
        match speaker.next().await {
            Message::Notification(n) => break n,
            Message::Keepalive => continue,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert_eq!(
        (notification.code, notification.subcode),
        (1, 1),
        "Connection Not Synchronized"
    );
    let text = prometheus::TextEncoder::new()
        .encode_to_string(&registry.gather())
        .expect("encode");
    assert!(
        text.contains("reason=\"sent_message_header_error\"} 1"),
        "{text}"
    );
}

async fn next_notification(speaker: &mut Speaker) -> codec::Notification {
    loop {
        match speaker.next().await {
            Message::Notification(n) => break n,
            Message::Keepalive | Message::Update(_) => continue,
            other => panic!("unexpected {other:?}"),
        }
    }
}

#[actix_rt::test]
async fn a_reload_resets_removes_and_adds_sessions_with_the_right_cease() {
    use anycastd::bgp::codec::CeaseSubcode;
    use anycastd_actors::peer::set::Peers;
    let (ours, theirs) = (loopback(11), loopback(12));
    let listener = TcpListener::bind(SocketAddr::new(theirs, 0))
        .await
        .expect("bind");
    let remote = listener.local_addr().expect("addr");
    let model_peer = peer("s", remote, 65000, false, 30);
    let announcer = announcer(ours, 65001, model_peer.clone());
    let registry = prometheus::Registry::new();
    let mut peers = Peers::start(&announcer, &registry).expect("start");
    let IpAddr::V4(their_id) = theirs else {
        panic!("v4")
    };
    let mut first = Speaker::accept(&listener, 65000, their_id, 30).await;

    // Reset: Cease / Other Configuration Change, then a new session.
    peers
        .stop_one("s", CeaseSubcode::OtherConfigurationChange)
        .await;
    peers.start_one(&announcer, &model_peer).expect("restart");
    let cease = next_notification(&mut first).await;
    assert_eq!(
        (cease.code, cease.subcode),
        (6, 6),
        "Other Configuration Change"
    );
    let mut second = Speaker::accept(&listener, 65000, their_id, 30).await;

    // Removal: Cease / Peer De-configured, and no new connection.
    peers.stop_one("s", CeaseSubcode::PeerDeconfigured).await;
    let cease = next_notification(&mut second).await;
    assert_eq!((cease.code, cease.subcode), (6, 3), "Peer De-configured");
    assert!(peers.actors().is_empty());
    let again = tokio::time::timeout(Duration::from_secs(3), listener.accept()).await;
    assert!(again.is_err(), "a removed peer must not connect again");

    // Addition: a session starts.
    peers.start_one(&announcer, &model_peer).expect("add");
    let _third = Speaker::accept(&listener, 65000, their_id, 30).await;
}
