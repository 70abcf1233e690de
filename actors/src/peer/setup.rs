//! What a PeerActor is built from: the session settings, addresses and socket options of one
//! configured neighbour.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use actix::Addr;
use anycastd::bgp::fsm;
use anycastd::config::model;

use super::listener::Listener;
use super::socket::SessionSocketOptions;

/// How long an outgoing connect may take before it counts as failed.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Everything a PeerActor is built from.
#[derive(Debug, Clone)]
pub struct PeerSetup {
    /// The configured name: the `peer` label of metrics and logs.
    pub name: String,
    /// The FSM's configuration.
    pub session: fsm::SessionConfig,
    /// The neighbour's address and port.
    pub remote: SocketAddr,
    /// Source address of outgoing connections (`None`: chosen by the kernel).
    pub local_address: Option<IpAddr>,
    /// TTL, GTSM and MD5 settings.
    pub socket: SessionSocketOptions,
    /// NEXT_HOP of IPv4 prefixes over an IPv6 session (`announcer.next_hop_ipv4`).
    pub next_hop_ipv4: Option<Ipv4Addr>,
    /// Next hop of IPv6 prefixes over an IPv4 session (`announcer.next_hop_ipv6`).
    pub next_hop_ipv6: Option<Ipv6Addr>,
    /// Passive neighbours: the listener their connections arrive on.
    pub listener: Option<Addr<Listener>>,
    /// Outgoing connect timeout.
    pub connect_timeout: Duration,
    /// The neighbour's BFD session, if it has one.
    pub bfd: Option<super::bfd::PeerBfd>,
}

impl PeerSetup {
    /// The setup of `peer`: `md5_key` is the key already read from its source, `listener` the shared
    /// listener for a passive peer.
    pub fn from_model(
        announcer: &model::Announcer,
        peer: &model::Peer,
        md5_key: Option<Vec<u8>>,
        listener: Option<Addr<Listener>>,
    ) -> PeerSetup {
        let session = peer.session_config(announcer);
        let ebgp = !session.is_ibgp();
        let local_address = peer.local_address.or_else(|| {
            let default = announcer.local_address;
            (default.is_ipv4() == peer.remote_address.is_ipv4()).then_some(default)
        });
        PeerSetup {
            name: peer.name.clone(),
            socket: SessionSocketOptions::for_peer(peer, ebgp, md5_key),
            session,
            remote: SocketAddr::new(peer.remote_address, peer.remote_port),
            local_address,
            next_hop_ipv4: announcer.next_hop_ipv4,
            next_hop_ipv6: announcer.next_hop_ipv6,
            listener,
            connect_timeout: CONNECT_TIMEOUT,
            bfd: None,
        }
    }

    /// Varies the connect-retry jitter from one neighbour to the next.
    pub(super) fn seed(&self) -> u64 {
        let octets: Vec<u8> = match self.remote.ip() {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets().to_vec(),
        };
        octets
            .iter()
            .fold(u64::from(self.remote.port()), |seed, byte| {
                seed.rotate_left(8) ^ u64::from(*byte)
            })
    }
}
