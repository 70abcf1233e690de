//! Messages captured from real BIRD 2 and gobgpd by `tests/data/capture.sh`: every file decodes to
//! what the daemon was configured to send, and re-encodes to a message that decodes the same.

use std::net::{IpAddr, Ipv4Addr};

use anycastd::bgp::codec::{
    Afi, AsPathSegment, Capability, CeaseSubcode, GracefulRestartCapability, LargeCommunity,
    Message, MpReach, Notification, Open, Origin, PathAttribute, Safi, Update,
};
use anycastd::bgp::types::Prefix;

use super::{AS4, encode, hex};

macro_rules! captured {
    ($daemon:literal, $name:literal) => {
        (
            concat!($daemon, "/", $name),
            include_str!(concat!("../../data/", $daemon, "/", $name, ".hex")),
        )
    };
}

const FILES: [(&str, &str); 14] = [
    captured!("bird", "open"),
    captured!("bird", "keepalive"),
    captured!("bird", "update-ipv4"),
    captured!("bird", "update-ipv6"),
    captured!("bird", "eor-ipv4"),
    captured!("bird", "eor-ipv6"),
    captured!("bird", "notification"),
    captured!("gobgp", "open"),
    captured!("gobgp", "keepalive"),
    captured!("gobgp", "update-ipv4"),
    captured!("gobgp", "update-ipv6"),
    captured!("gobgp", "eor-ipv4"),
    captured!("gobgp", "eor-ipv6"),
    captured!("gobgp", "notification"),
];

fn decode(name: &str) -> (Vec<u8>, Message) {
    let (_, text) = FILES
        .iter()
        .find(|(n, _)| *n == name)
        .expect("captured file");
    let bytes = hex(text);
    let message = Message::decode(&bytes, &AS4.0).unwrap_or_else(|e| panic!("{name}: {e}"));
    (bytes, message)
}

fn p(text: &str) -> Prefix {
    text.parse().expect("prefix")
}

fn large() -> PathAttribute {
    PathAttribute::LargeCommunities(vec![LargeCommunity {
        global: 65000,
        local1: 1,
        local2: 2,
    }])
}

fn gr_both_families() -> Capability {
    Capability::GracefulRestart(GracefulRestartCapability {
        restarting: false,
        notification: false,
        restart_time: 120,
        families: vec![
            (Afi::Ipv4, Safi::Unicast, false),
            (Afi::Ipv6, Safi::Unicast, false),
        ],
    })
}

fn shutdown() -> Message {
    Message::Notification(Notification::cease(
        CeaseSubcode::AdministrativeShutdown,
        Some("maintenance"),
    ))
}

#[test]
fn every_captured_message_decodes_and_survives_a_round_trip() {
    for (name, _) in FILES {
        let (bytes, message) = decode(name);
        assert_eq!(super::frame_len_of(&bytes), Some(bytes.len()), "{name}");
        let again = encode(&message, AS4.1);
        assert_eq!(
            Message::decode(&again, &AS4.0).as_ref(),
            Ok(&message),
            "{name}"
        );
    }
}

#[test]
fn bird_open_has_graceful_restart_enhanced_refresh_and_llgr() {
    let (bytes, message) = decode("bird/open");
    let open = Open {
        version: 4,
        my_as: 65000,
        hold_time: 90,
        router_id: Ipv4Addr::new(127, 0, 0, 181),
        capabilities: vec![
            Capability::MultiProtocol(Afi::Ipv4, Safi::Unicast),
            Capability::MultiProtocol(Afi::Ipv6, Safi::Unicast),
            Capability::RouteRefresh,
            gr_both_families(),
            Capability::FourOctetAs(65000),
            Capability::EnhancedRouteRefresh,
            // Long-Lived Graceful Restart (code 71), kept opaque: both families, 3600 s.
            Capability::Unknown {
                code: 71,
                value: hex("0001 01 00 000e10 0002 01 00 000e10"),
            },
        ],
    };
    assert_eq!(message, Message::Open(open));
    // BIRD puts every capability in one parameter, as we do: byte for byte the same.
    assert_eq!(encode(&message, AS4.1), bytes);
}

#[test]
fn bird_keepalive_and_end_of_rib() {
    assert_eq!(decode("bird/keepalive").1, Message::Keepalive);
    assert_eq!(
        decode("bird/eor-ipv4").1,
        Message::Update(Update::end_of_rib(Afi::Ipv4, Safi::Unicast))
    );
    assert_eq!(
        decode("bird/eor-ipv6").1,
        Message::Update(Update::end_of_rib(Afi::Ipv6, Safi::Unicast))
    );
}

#[test]
fn bird_ipv4_update_carries_med_communities_and_large_communities() {
    let (bytes, message) = decode("bird/update-ipv4");
    let update = Update {
        withdrawn: Vec::new(),
        attributes: vec![
            PathAttribute::Origin(Origin::Igp),
            PathAttribute::AsPath(vec![AsPathSegment::Sequence(vec![65000])]),
            PathAttribute::NextHop(Ipv4Addr::new(127, 0, 0, 181)),
            PathAttribute::MultiExitDisc(50),
            PathAttribute::Communities(vec![65000 << 16 | 100]),
            large(),
        ],
        nlri: vec![p("198.51.100.0/24"), p("203.0.113.0/24")],
    };
    assert_eq!(message, Message::Update(update));
    assert_eq!(encode(&message, AS4.1), bytes);
}

#[test]
fn bird_ipv6_update_uses_mp_reach_with_extended_length() {
    let (bytes, message) = decode("bird/update-ipv6");
    // BIRD sets the Extended Length bit on MP_REACH_NLRI even for 28 octets.
    assert_eq!(bytes.get(23..26), Some(&[0x90, 0x0e, 0x00][..]));
    let update = Update {
        withdrawn: Vec::new(),
        attributes: vec![
            PathAttribute::MpReach(MpReach {
                afi: Afi::Ipv6,
                safi: Safi::Unicast,
                next_hops: vec!["2001:db8::181".parse::<IpAddr>().expect("address")],
                nlri: vec![p("2001:db8:100::/48")],
            }),
            PathAttribute::Origin(Origin::Igp),
            PathAttribute::AsPath(vec![AsPathSegment::Sequence(vec![65000])]),
            PathAttribute::MultiExitDisc(50),
            PathAttribute::Communities(vec![65000 << 16 | 100]),
            large(),
        ],
        nlri: Vec::new(),
    };
    assert_eq!(message, Message::Update(update));
}

#[test]
fn bird_cease_carries_the_shutdown_communication() {
    let (bytes, message) = decode("bird/notification");
    assert_eq!(message, shutdown());
    let Message::Notification(n) = &message else {
        unreachable!()
    };
    assert_eq!(
        n.to_string(),
        "Cease / Administrative Shutdown: \"maintenance\""
    );
    assert_eq!(encode(&message, AS4.1), bytes);
}

#[test]
fn gobgp_open_has_one_parameter_with_fqdn_and_extended_next_hop() {
    let (bytes, message) = decode("gobgp/open");
    let open = Open {
        version: 4,
        my_as: 65000,
        hold_time: 90,
        router_id: Ipv4Addr::new(127, 0, 0, 182),
        capabilities: vec![
            Capability::RouteRefresh,
            // FQDN (code 73): host name and domain name, kept opaque.
            Capability::Unknown {
                code: 73,
                value: hex("02 766d 00"),
            },
            Capability::MultiProtocol(Afi::Ipv4, Safi::Unicast),
            Capability::MultiProtocol(Afi::Ipv6, Safi::Unicast),
            Capability::FourOctetAs(65000),
            gr_both_families(),
            // Extended Next Hop Encoding (code 5): IPv4 unicast over IPv6, kept opaque.
            Capability::Unknown {
                code: 5,
                value: hex("0001 0001 0002"),
            },
        ],
    };
    assert_eq!(message, Message::Open(open));
    assert_eq!(encode(&message, AS4.1), bytes);
}

#[test]
fn gobgp_keepalive_and_end_of_rib() {
    assert_eq!(decode("gobgp/keepalive").1, Message::Keepalive);
    assert_eq!(
        decode("gobgp/eor-ipv4").1,
        Message::Update(Update::end_of_rib(Afi::Ipv4, Safi::Unicast))
    );
    assert_eq!(
        decode("gobgp/eor-ipv6").1,
        Message::Update(Update::end_of_rib(Afi::Ipv6, Safi::Unicast))
    );
}

#[test]
fn gobgp_ipv4_update_carries_med_communities_and_large_communities() {
    let (bytes, message) = decode("gobgp/update-ipv4");
    let update = Update {
        withdrawn: Vec::new(),
        attributes: vec![
            PathAttribute::Origin(Origin::Incomplete),
            PathAttribute::AsPath(vec![AsPathSegment::Sequence(vec![65000])]),
            PathAttribute::NextHop(Ipv4Addr::new(192, 0, 2, 182)),
            PathAttribute::MultiExitDisc(50),
            PathAttribute::Communities(vec![65000 << 16 | 100]),
            large(),
        ],
        nlri: vec![p("198.51.100.0/24")],
    };
    assert_eq!(message, Message::Update(update));
    assert_eq!(encode(&message, AS4.1), bytes);
}

#[test]
fn gobgp_ipv6_update_uses_mp_reach() {
    let (bytes, message) = decode("gobgp/update-ipv6");
    let update = Update {
        withdrawn: Vec::new(),
        attributes: vec![
            PathAttribute::Origin(Origin::Incomplete),
            PathAttribute::AsPath(vec![AsPathSegment::Sequence(vec![65000])]),
            PathAttribute::Communities(vec![65000 << 16 | 100]),
            PathAttribute::MpReach(MpReach {
                afi: Afi::Ipv6,
                safi: Safi::Unicast,
                next_hops: vec!["2001:db8::182".parse::<IpAddr>().expect("address")],
                nlri: vec![p("2001:db8:100::/48")],
            }),
        ],
        nlri: Vec::new(),
    };
    assert_eq!(message, Message::Update(update));
    assert_eq!(encode(&message, AS4.1), bytes);
}

#[test]
fn gobgp_cease_carries_the_shutdown_communication() {
    let (bytes, message) = decode("gobgp/notification");
    assert_eq!(message, shutdown());
    assert_eq!(encode(&message, AS4.1), bytes);
}
