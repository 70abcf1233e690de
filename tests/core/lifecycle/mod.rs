//! Tests of the health lifecycle: dampening and hold-down sequences (time as input), the ladder's
//! attributes per peer, the startup gate, the blast-radius guard, inconclusive grace and the diff of
//! configuration pairs.

mod dampening;
mod diff;
mod drain;
mod guard;
mod ladder;
mod loaded;
mod node;
mod properties;
mod route_set;
mod schedule;
mod service;
mod tracker;

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anycastd::bgp::types::{Asn, HoldTime, Prefix};
use anycastd::config::model::{
    Announcer, Check, CheckSpec, Config, GracefulRestart, Lifecycle, Metrics, Peer, Service,
    ServiceHealth, Shutdown, Strategy, TcpConnectSpec,
};

/// Seconds on the caller's time line.
pub fn s(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}

/// A prefix from text.
pub fn p(text: &str) -> Prefix {
    text.parse().expect("test prefix")
}

/// Prefixes from text.
pub fn ps(texts: &[&str]) -> Vec<Prefix> {
    texts.iter().map(|text| p(text)).collect()
}

/// An address from text.
pub fn ip(text: &str) -> IpAddr {
    text.parse().expect("test address")
}

/// An eBGP peer to AS 65000 with every setting at its default.
pub fn peer(name: &str, address: &str) -> Peer {
    Peer {
        name: name.to_string(),
        remote_address: ip(address),
        remote_asn: Asn::new(65000).expect("asn"),
        remote_port: 179,
        local_address: None,
        multihop_ttl: None,
        passive: false,
        hold_time: HoldTime::default(),
        connect_retry: s(5),
        md5: None,
        ttl_security: false,
        bfd: None,
        send_hold_time: None,
    }
}

/// A `tcp_connect` check.
pub fn check(name: &str, address: &str) -> Check {
    Check {
        name: name.to_string(),
        group: String::new(),
        interval: s(10),
        deadline: s(2),
        rise: 1,
        fall: 1,
        splay: false,
        fast_interval: s(10),
        watch: false,
        spec: CheckSpec::TcpConnect(TcpConnectSpec {
            address: address.to_string(),
            timeout: s(2),
        }),
    }
}

/// A service with the given checks and routes (`None`: the global list).
pub fn service(name: &str, checks: Vec<Check>, routes: Option<Vec<Prefix>>) -> Service {
    Service {
        name: name.to_string(),
        check_interval: s(10),
        strategy: Strategy::AtLeastOne,
        routes,
        checks,
        health: ServiceHealth::default(),
    }
}

/// Two peers (r1 over IPv4, r2 over IPv6), two services: `dns` on the global routes with two
/// checks, `web` with its own route and one check.
pub fn config() -> Config {
    Config {
        source: PathBuf::from("/etc/anycastd/config.yaml"),
        announcer: Announcer {
            router_id: "192.0.2.1".parse().expect("router id"),
            local_address: ip("192.0.2.1"),
            local_asn: Asn::new(65001).expect("asn"),
            routes: ps(&["198.51.100.53/32", "2001:db8:53::/48"]),
            peers: vec![peer("r1", "192.0.2.254"), peer("r2", "2001:db8::fe")],
            next_hop_ipv6: None,
            next_hop_ipv4: None,
            graceful_restart: GracefulRestart::default(),
        },
        services: vec![
            service(
                "dns",
                vec![
                    check("tcp_connect-1", "127.0.0.1:53"),
                    check("tcp_connect-2", "[::1]:53"),
                ],
                None,
            ),
            service(
                "web",
                vec![check("tcp_connect", "127.0.0.1:80")],
                Some(ps(&["198.51.100.80/32"])),
            ),
        ],
        metrics: Metrics {
            enabled: true,
            address: Some("127.0.0.1:9090".parse().expect("metrics address")),
        },
        shutdown: Shutdown::default(),
        lifecycle: Lifecycle::default(),
        control: Default::default(),
    }
}
