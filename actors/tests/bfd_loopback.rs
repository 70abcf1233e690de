//! Two BfdActors on loopback (each on its own ports, as two nodes would be): the session comes up
//! over IPv4 and IPv6, an interval change keeps it Up, a planned stop reaches the neighbour as
//! AdminDown, a silent neighbour is detected, and garbage is dropped and counted.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::prelude::*;
use anycastd::bfd::{Diagnostic, SessionConfig, State};
use anycastd_actors::bfd::metrics::BfdMetrics;
use anycastd_actors::bfd::{
    AdminDown, BfdActor, BfdChanged, GetBfdStatus, Ports, Reconfigure, Register,
};
use prometheus::Registry;

/// Collects the state changes a session reports.
#[derive(Default, Clone)]
struct Log(Arc<Mutex<Vec<BfdChanged>>>);

struct Subscriber(Log);

impl Actor for Subscriber {
    type Context = Context<Self>;
}

impl Handler<BfdChanged> for Subscriber {
    type Result = ();
    fn handle(&mut self, changed: BfdChanged, _: &mut Self::Context) {
        self.0.0.lock().unwrap().push(changed);
    }
}

impl Log {
    fn states(&self) -> Vec<State> {
        self.0.lock().unwrap().iter().map(|c| c.to).collect()
    }

    fn last(&self) -> Option<BfdChanged> {
        self.0.lock().unwrap().last().copied()
    }

    async fn wait_for(&self, state: State, within: Duration) {
        let deadline = tokio::time::Instant::now() + within;
        while self.last().map(|c| c.to) != Some(state) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {state} within {within:?}; saw {:?}",
                self.states()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

/// Ports unique to this test process and `slot` (single hop, multihop).
fn ports(slot: u16) -> Ports {
    let base = 20000 + (std::process::id() % 1000) as u16 * 20 + slot * 2;
    Ports {
        single_hop: base,
        multihop: base + 1,
    }
}

fn fast() -> SessionConfig {
    SessionConfig {
        min_tx: Duration::from_millis(20),
        min_rx: Duration::from_millis(20),
        multiplier: 3,
    }
}

struct Node {
    actor: Addr<BfdActor>,
    log: Log,
    registry: Registry,
}

async fn node(slot: u16) -> Node {
    let registry = Registry::new();
    let metrics = BfdMetrics::register(&registry).unwrap();
    Node {
        actor: BfdActor::new(ports(slot), metrics).start(),
        log: Log::default(),
        registry,
    }
}

async fn register(node: &Node, name: &str, remote: SocketAddr, config: SessionConfig) {
    let subscriber = Subscriber(node.log.clone()).start().recipient();
    node.actor
        .send(Register {
            name: name.into(),
            remote,
            multihop: false,
            config,
            subscriber,
        })
        .await
        .unwrap()
        .unwrap();
}

fn counter(registry: &Registry, family: &str, label: &str) -> f64 {
    registry
        .gather()
        .iter()
        .filter(|f| f.name() == family)
        .flat_map(|f| f.get_metric().iter())
        .filter(|m| m.get_label().iter().any(|l| l.value() == label))
        .map(|m| m.get_counter().get_value())
        .sum()
}

async fn pair(ip: IpAddr, slots: (u16, u16)) -> (Node, Node) {
    let (a, b) = (node(slots.0).await, node(slots.1).await);
    register(
        &a,
        "b",
        SocketAddr::new(ip, ports(slots.1).single_hop),
        fast(),
    )
    .await;
    register(
        &b,
        "a",
        SocketAddr::new(ip, ports(slots.0).single_hop),
        fast(),
    )
    .await;
    (a, b)
}

async fn up_reload_and_admin_down(ip: IpAddr, slots: (u16, u16)) {
    let (a, b) = pair(ip, slots).await;
    a.log.wait_for(State::Up, Duration::from_secs(10)).await;
    b.log.wait_for(State::Up, Duration::from_secs(10)).await;
    let status = a.actor.send(GetBfdStatus).await.unwrap();
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].state, "up");
    assert_eq!(status[0].detection_time_ms, 60, "3 x 20 ms");

    a.actor
        .send(Reconfigure {
            name: "b".into(),
            config: SessionConfig {
                min_tx: Duration::from_millis(50),
                min_rx: Duration::from_millis(40),
                multiplier: 4,
            },
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let status = b.actor.send(GetBfdStatus).await.unwrap();
    assert_eq!(status[0].state, "up");
    assert_eq!(status[0].detection_time_ms, 200, "4 x our new 50 ms TX");
    for log in [&a.log, &b.log] {
        let states = log.states();
        let first_up = states.iter().position(|s| *s == State::Up).unwrap();
        assert_eq!(states[first_up..], [State::Up], "no flap: {states:?}");
    }

    a.actor
        .send(AdminDown {
            name: "b".into(),
            remove: false,
        })
        .await
        .unwrap();
    b.log.wait_for(State::Down, Duration::from_secs(2)).await;
    assert_eq!(
        b.log.last().map(|c| c.diagnostic),
        Some(Diagnostic::NeighborSignaledSessionDown)
    );
}

#[actix_rt::test]
async fn ipv4_session_comes_up_survives_a_reload_and_ends_with_admin_down() {
    up_reload_and_admin_down(IpAddr::V4(Ipv4Addr::LOCALHOST), (0, 1)).await;
}

#[actix_rt::test]
async fn ipv6_session_comes_up_survives_a_reload_and_ends_with_admin_down() {
    up_reload_and_admin_down(IpAddr::V6(Ipv6Addr::LOCALHOST), (2, 3)).await;
}

#[actix_rt::test]
async fn a_silent_neighbour_is_detected_within_the_detection_time() {
    let a = node(4).await;
    // b runs on its own arbiter, so that stopping it silences it without an AdminDown.
    let arbiter = Arbiter::new();
    let registry = Registry::new();
    let metrics = BfdMetrics::register(&registry).unwrap();
    let b_ports = ports(5);
    let b = Node {
        actor: BfdActor::start_in_arbiter(&arbiter.handle(), move |_| {
            BfdActor::new(b_ports, metrics)
        }),
        log: Log::default(),
        registry,
    };
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    register(&a, "b", SocketAddr::new(ip, b_ports.single_hop), fast()).await;
    register(&b, "a", SocketAddr::new(ip, ports(4).single_hop), fast()).await;
    a.log.wait_for(State::Up, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    arbiter.stop();
    a.log.wait_for(State::Down, Duration::from_secs(2)).await;
    assert_eq!(
        a.log.last().map(|c| c.diagnostic),
        Some(Diagnostic::ControlDetectionTimeExpired)
    );
}

#[actix_rt::test]
async fn garbage_and_unknown_discriminators_are_dropped_and_counted() {
    let (a, _b) = pair(IpAddr::V4(Ipv4Addr::LOCALHOST), (6, 7)).await;
    let target = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), ports(6).single_hop);
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None).unwrap();
    socket.set_ttl_v4(255).unwrap();
    socket
        .bind(&SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0).into())
        .unwrap();
    socket.send_to(b"not bfd at all", &target.into()).unwrap();
    // Well formed, Your Discriminator that no session has.
    let stranger = anycastd::bfd::Packet {
        diagnostic: Diagnostic::None,
        state: State::Up,
        poll: false,
        final_: false,
        control_plane_independent: false,
        demand: false,
        detect_mult: 3,
        my_discriminator: 7,
        your_discriminator: 0xdead_beef,
        desired_min_tx: 1_000_000,
        required_min_rx: 1_000_000,
        required_min_echo_rx: 0,
        authentication: None,
    };
    socket.send_to(&stranger.encode(), &target.into()).unwrap();
    // TTL 254 on a single-hop port (RFC 5881 §5): dropped before decoding.
    socket.set_ttl_v4(254).unwrap();
    socket.send_to(b"x", &target.into()).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
    loop {
        let truncated = counter(&a.registry, "anycastd_bfd_packets_dropped_total", "version");
        let unknown = counter(
            &a.registry,
            "anycastd_bfd_packets_dropped_total",
            "unknown_discriminator",
        );
        let ttl = counter(&a.registry, "anycastd_bfd_packets_dropped_total", "ttl");
        if truncated >= 1.0 && unknown >= 1.0 && ttl >= 1.0 {
            assert_eq!(
                counter(
                    &a.registry,
                    "anycastd_bfd_packets_dropped_total",
                    "truncated"
                ),
                0.0
            );
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "drops not counted: {truncated} {unknown}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
