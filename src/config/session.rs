//! The session settings the BGP speaker takes, built from the configuration: `bgp` knows nothing of
//! the configuration, the configuration knows what the speaker needs.

use std::net::IpAddr;

use super::model::{Announcer, Peer};
use crate::bgp::fsm::{IPV4_UNICAST, IPV6_UNICAST, SessionConfig};

impl Peer {
    /// The session settings of this peer: IPv4 unicast when the session or `next_hop_ipv4` gives an
    /// IPv4 next hop, IPv6 unicast likewise; identity and graceful restart from the announcer.
    pub fn session_config(&self, announcer: &Announcer) -> SessionConfig {
        let mut families = Vec::new();
        if self.remote_address.is_ipv4() || announcer.next_hop_ipv4.is_some() {
            families.push(IPV4_UNICAST);
        }
        if matches!(self.remote_address, IpAddr::V6(_)) || announcer.next_hop_ipv6.is_some() {
            families.push(IPV6_UNICAST);
        }
        SessionConfig {
            local_asn: announcer.local_asn,
            remote_asn: self.remote_asn,
            router_id: announcer.router_id,
            hold_time: self.hold_time,
            connect_retry: self.connect_retry,
            passive: self.passive,
            families,
            graceful_restart: announcer
                .graceful_restart
                .enabled
                .then_some(announcer.graceful_restart.restart_time),
            send_hold_time: self.send_hold_time,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::net::Ipv4Addr;
    use std::time::Duration;

    use super::*;
    use crate::bgp::types::{Asn, HoldTime};
    use crate::config::model::GracefulRestart;

    fn asn(n: u32) -> Asn {
        Asn::new(n).unwrap()
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn the_session_config_follows_the_peer_and_announcer_settings() {
        let router_id = Ipv4Addr::new(192, 0, 2, 254);
        let peer = Peer {
            name: "edge".to_owned(),
            remote_address: "2001:db8::2".parse().unwrap(),
            remote_asn: asn(65002),
            remote_port: 179,
            local_address: None,
            multihop_ttl: None,
            passive: true,
            hold_time: HoldTime::new(30).unwrap(),
            connect_retry: secs(7),
            md5: None,
            ttl_security: false,
            bfd: None,
            send_hold_time: Some(secs(20)),
        };
        let announcer = Announcer {
            router_id,
            local_address: "2001:db8::1".parse().unwrap(),
            local_asn: asn(65001),
            routes: vec![],
            peers: vec![peer.clone()],
            next_hop_ipv6: None,
            next_hop_ipv4: Some(Ipv4Addr::new(192, 0, 2, 1)),
            graceful_restart: GracefulRestart {
                enabled: true,
                restart_time: secs(90),
            },
        };
        assert_eq!(
            peer.session_config(&announcer),
            SessionConfig {
                local_asn: asn(65001),
                remote_asn: asn(65002),
                router_id,
                hold_time: HoldTime::new(30).unwrap(),
                connect_retry: secs(7),
                passive: true,
                families: vec![IPV4_UNICAST, IPV6_UNICAST],
                graceful_restart: Some(secs(90)),
                send_hold_time: Some(secs(20)),
            }
        );
        let v4_peer = Peer {
            remote_address: "192.0.2.2".parse().unwrap(),
            ..peer
        };
        let plain = Announcer {
            next_hop_ipv4: None,
            graceful_restart: GracefulRestart::default(),
            ..announcer
        };
        let config = v4_peer.session_config(&plain);
        assert_eq!(config.families, [IPV4_UNICAST]);
        assert_eq!(config.graceful_restart, None);
    }
}
