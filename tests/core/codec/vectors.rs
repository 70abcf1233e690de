//! Byte-exact (hex, Message) pairs for every message type.

use std::net::{IpAddr, Ipv4Addr};

use anycastd::bgp::codec::{
    Afi, AsPathSegment, Capability, CeaseSubcode, DecodeContext, GracefulRestartCapability,
    LargeCommunity, Message, MessageKind, MpReach, MpUnreach, Notification, Open, Origin,
    PathAttribute, RouteRefresh, Safi, Update, frame_len,
};
use anycastd::bgp::types::Prefix;

use super::{AS2, AS4, assert_vector, encode, hex};

fn p(text: &str) -> Prefix {
    text.parse().expect("prefix")
}

const MARKER: &str = "ffffffffffffffffffffffffffffffff";

#[test]
fn keepalive() {
    assert_vector(&format!("{MARKER} 0013 04"), &Message::Keepalive, AS4);
    assert_eq!(Message::Keepalive.kind(), MessageKind::Keepalive);
    assert_eq!(MessageKind::Keepalive.label(), "keepalive");
}

pub fn sample_open() -> Open {
    Open {
        version: 4,
        my_as: 65001,
        hold_time: 90,
        router_id: Ipv4Addr::new(192, 0, 2, 1),
        capabilities: vec![
            Capability::MultiProtocol(Afi::Ipv4, Safi::Unicast),
            Capability::MultiProtocol(Afi::Ipv6, Safi::Unicast),
            Capability::RouteRefresh,
            Capability::FourOctetAs(65001),
            Capability::EnhancedRouteRefresh,
            Capability::GracefulRestart(GracefulRestartCapability {
                restarting: true,
                notification: true,
                restart_time: 120,
                families: vec![(Afi::Ipv4, Safi::Unicast, true)],
            }),
            Capability::Unknown {
                code: 73,
                value: b"ab".to_vec(),
            },
        ],
    }
}

#[test]
fn open_with_every_known_capability() {
    let text = format!(
        "{MARKER} 0041 01
         04 fde9 005a c0000201 24
         02 22
           01 04 0001 00 01
           01 04 0002 00 01
           02 00
           41 04 0000fde9
           46 00
           40 06 c078 0001 01 80
           49 02 6162"
    );
    let open = sample_open();
    assert_eq!(open.asn(), 65001);
    assert_vector(&text, &Message::Open(open), AS4);
}

#[test]
fn open_with_four_octet_as_uses_as_trans() {
    let open = Open {
        version: 4,
        my_as: 23456,
        hold_time: 0,
        router_id: Ipv4Addr::new(10, 0, 0, 1),
        capabilities: vec![Capability::FourOctetAs(4_200_000_001)],
    };
    assert_eq!(open.asn(), 4_200_000_001);
    let text = format!("{MARKER} 0025 01 04 5ba0 0000 0a000001 08 02 06 41 04 fa56ea01");
    assert_vector(&text, &Message::Open(open), AS4);
}

#[test]
fn open_without_parameters() {
    let open = Open {
        version: 4,
        my_as: 65000,
        hold_time: 180,
        router_id: Ipv4Addr::new(127, 0, 0, 11),
        capabilities: Vec::new(),
    };
    assert_vector(
        &format!("{MARKER} 001d 01 04 fde8 00b4 7f00000b 00"),
        &Message::Open(open),
        AS4,
    );
}

#[test]
fn open_with_more_than_255_octets_of_capabilities_uses_rfc9072() {
    let capabilities: Vec<Capability> = (0..70)
        .map(|i| Capability::Unknown {
            code: 200,
            value: vec![i, i],
        })
        .collect();
    let open = Message::Open(Open {
        version: 4,
        my_as: 65000,
        hold_time: 90,
        router_id: Ipv4Addr::new(192, 0, 2, 9),
        capabilities,
    });
    let bytes = encode(&open, AS4.1);
    // 70 capabilities of 4 octets: Opt Parm Len 255, Non-Ext OP Type 255, length 283 (3 + 280).
    assert_eq!(bytes.get(28..32), Some(&[0xff, 0xff, 0x01, 0x1b][..]));
    assert_eq!(bytes.get(32..35), Some(&[0x02, 0x01, 0x18][..]));
    assert_eq!(Message::decode(&bytes, &AS4.0), Ok(open));
}

#[test]
fn open_with_several_capabilities_parameters_decodes_them_all() {
    // gobgpd and FRR send one Capabilities parameter per capability.
    let text = format!(
        "{MARKER} 0031 01 04 fde9 005a c0000201 14
         02 06 01 04 0001 00 01
         02 02 02 00
         02 06 41 04 0000fde9"
    );
    let Ok(Message::Open(open)) = Message::decode(&hex(&text), &AS4.0) else {
        panic!("not an OPEN");
    };
    assert_eq!(
        open.capabilities,
        vec![
            Capability::MultiProtocol(Afi::Ipv4, Safi::Unicast),
            Capability::RouteRefresh,
            Capability::FourOctetAs(65001)
        ]
    );
}

pub fn sample_update() -> Update {
    Update {
        withdrawn: Vec::new(),
        attributes: vec![
            PathAttribute::Origin(Origin::Igp),
            PathAttribute::AsPath(vec![AsPathSegment::Sequence(vec![65001, 65002])]),
            PathAttribute::NextHop(Ipv4Addr::new(192, 0, 2, 1)),
            PathAttribute::MultiExitDisc(100),
            PathAttribute::LocalPref(100),
            PathAttribute::Communities(vec![0xfde9_0001, 0xfde9_0002]),
            PathAttribute::LargeCommunities(vec![LargeCommunity {
                global: 65001,
                local1: 1,
                local2: 2,
            }]),
        ],
        nlri: vec![p("198.51.100.0/24"), p("203.0.113.7/32")],
    }
}

#[test]
fn update_announcing_ipv4_with_every_attribute() {
    let text = format!(
        "{MARKER} 0060 02
         0000
         0040
           40 01 01 00
           40 02 0a 02 02 0000fde9 0000fdea
           40 03 04 c0000201
           80 04 04 00000064
           40 05 04 00000064
           c0 08 08 fde90001 fde90002
           c0 20 0c 0000fde9 00000001 00000002
         18 c63364
         20 cb007107"
    );
    assert_vector(&text, &Message::Update(sample_update()), AS4);
}

#[test]
fn update_withdrawing_ipv4() {
    let update = Update {
        withdrawn: vec![p("10.0.0.0/8"), p("192.168.0.0/16")],
        attributes: Vec::new(),
        nlri: Vec::new(),
    };
    assert_eq!(update.is_end_of_rib(), None);
    assert_vector(
        &format!("{MARKER} 001c 02 0005 080a 10c0a8 0000"),
        &Message::Update(update),
        AS4,
    );
}

#[test]
fn update_announcing_ipv6_in_mp_reach() {
    let update = Update {
        withdrawn: Vec::new(),
        attributes: vec![
            PathAttribute::Origin(Origin::Igp),
            PathAttribute::AsPath(vec![AsPathSegment::Sequence(vec![65001])]),
            PathAttribute::MpReach(MpReach {
                afi: Afi::Ipv6,
                safi: Safi::Unicast,
                next_hops: vec!["2001:db8::1".parse::<IpAddr>().expect("address")],
                nlri: vec![p("2001:db8:100::/40")],
            }),
        ],
        nlri: Vec::new(),
    };
    let text = format!(
        "{MARKER} 0042 02 0000 002b
           40 01 01 00
           40 02 06 02 01 0000fde9
           80 0e 1b 0002 01 10 20010db8000000000000000000000001 00 28 20010db801"
    );
    assert_vector(&text, &Message::Update(update), AS4);
}

#[test]
fn update_withdrawing_ipv6_in_mp_unreach() {
    let update = Update {
        withdrawn: Vec::new(),
        attributes: vec![PathAttribute::MpUnreach(MpUnreach {
            afi: Afi::Ipv6,
            safi: Safi::Unicast,
            withdrawn: vec![p("2001:db8:100::/40")],
        })],
        nlri: Vec::new(),
    };
    assert_eq!(update.is_end_of_rib(), None);
    let text = format!("{MARKER} 0023 02 0000 000c 80 0f 09 0002 01 28 20010db801");
    assert_vector(&text, &Message::Update(update), AS4);
}

#[test]
fn end_of_rib_for_ipv4_is_an_empty_update() {
    let eor = Update::end_of_rib(Afi::Ipv4, Safi::Unicast);
    assert_eq!(eor.is_end_of_rib(), Some((Afi::Ipv4, Safi::Unicast)));
    assert_vector(
        &format!("{MARKER} 0017 02 0000 0000"),
        &Message::Update(eor),
        AS4,
    );
}

#[test]
fn end_of_rib_for_ipv6_is_an_empty_mp_unreach() {
    let eor = Update::end_of_rib(Afi::Ipv6, Safi::Unicast);
    assert_eq!(eor.is_end_of_rib(), Some((Afi::Ipv6, Safi::Unicast)));
    assert_vector(
        &format!("{MARKER} 001d 02 0000 0006 80 0f 03 0002 01"),
        &Message::Update(eor),
        AS4,
    );
}

#[test]
fn end_of_rib_for_another_family_keeps_its_numbers() {
    let eor = Update::end_of_rib(Afi::Other(25), Safi::Other(70));
    assert_eq!(eor.is_end_of_rib(), Some((Afi::Other(25), Safi::Other(70))));
    assert_vector(
        &format!("{MARKER} 001d 02 0000 0006 80 0f 03 0019 46"),
        &Message::Update(eor),
        AS4,
    );
}

#[test]
fn update_towards_a_two_octet_peer_uses_as_trans_and_as4_path() {
    let update = Update {
        attributes: vec![
            PathAttribute::Origin(Origin::Igp),
            PathAttribute::AsPath(vec![AsPathSegment::Sequence(vec![65001, 70000])]),
            PathAttribute::NextHop(Ipv4Addr::new(192, 0, 2, 1)),
        ],
        nlri: vec![p("198.51.100.0/24")],
        ..Update::default()
    };
    let text = format!(
        "{MARKER} 003c 02 0000 0021
           40 01 01 00
           40 02 06 02 02 fde9 5ba0
           c0 11 0a 02 02 0000fde9 00011170
           40 03 04 c0000201
         18 c63364"
    );
    assert_eq!(encode(&Message::Update(update.clone()), AS2.1), hex(&text));
    // Decoding with 2-octet numbers widens them and keeps AS4_PATH for the caller (RFC 6793 §4.2.3).
    let mut decoded = update;
    decoded.attributes = vec![
        PathAttribute::Origin(Origin::Igp),
        PathAttribute::AsPath(vec![AsPathSegment::Sequence(vec![65001, 23456])]),
        PathAttribute::As4Path(vec![AsPathSegment::Sequence(vec![65001, 70000])]),
        PathAttribute::NextHop(Ipv4Addr::new(192, 0, 2, 1)),
    ];
    assert_vector(&text, &Message::Update(decoded), AS2);
}

#[test]
fn update_towards_a_two_octet_peer_without_large_numbers_adds_no_as4_path() {
    let update = Update {
        attributes: vec![
            PathAttribute::Origin(Origin::Egp),
            PathAttribute::AsPath(vec![AsPathSegment::Set(vec![65001, 65002])]),
            PathAttribute::NextHop(Ipv4Addr::new(192, 0, 2, 1)),
        ],
        nlri: vec![p("0.0.0.0/0")],
        ..Update::default()
    };
    let text = format!(
        "{MARKER} 002c 02 0000 0014
           40 01 01 01
           40 02 06 01 02 fde9 fdea
           40 03 04 c0000201
         00"
    );
    assert_vector(&text, &Message::Update(update), AS2);
}

#[test]
fn unknown_attributes_keep_their_flags_and_extended_length() {
    let long = vec![0x5a; 300];
    let update = Update {
        attributes: vec![
            // ATOMIC_AGGREGATE: assigned, kept opaque.
            PathAttribute::Unknown {
                flags: 0x40,
                code: 6,
                value: Vec::new(),
            },
            // Unassigned optional transitive, partial, with a 2-octet length for 2 octets.
            PathAttribute::Unknown {
                flags: 0xf0,
                code: 250,
                value: vec![1, 2],
            },
            // Long value: the Extended Length bit is set on encode.
            PathAttribute::Unknown {
                flags: 0xc0,
                code: 251,
                value: long.clone(),
            },
        ],
        ..Update::default()
    };
    let mut text = format!("{MARKER} 0150 02 0000 0139 40 06 00 f0 fa 0002 0102 d0 fb 012c");
    text.push_str(&"5a".repeat(300));
    let bytes = hex(&text);
    assert_eq!(bytes.len(), 0x150);
    // The third attribute comes back with the Extended Length bit it was sent with.
    let mut decoded = update.clone();
    decoded.attributes[2] = PathAttribute::Unknown {
        flags: 0xd0,
        code: 251,
        value: long,
    };
    assert_eq!(
        Message::decode(&bytes, &AS4.0),
        Ok(Message::Update(decoded))
    );
    assert_eq!(encode(&Message::Update(update), AS4.1), bytes);
}

#[test]
fn notification_cease_with_shutdown_communication() {
    let n = Notification::cease(CeaseSubcode::AdministrativeShutdown, Some("maintenance"));
    assert_eq!(n.shutdown_text().as_deref(), Some("maintenance"));
    let text = format!("{MARKER} 0021 03 06 02 0b 6d61696e74656e616e6365");
    assert_vector(&text, &Message::Notification(n), AS4);
}

#[test]
fn notification_hold_timer_expired() {
    assert_vector(
        &format!("{MARKER} 0015 03 04 00"),
        &Message::Notification(Notification::hold_timer_expired()),
        AS4,
    );
}

#[test]
fn route_refresh() {
    let rr = Message::RouteRefresh(RouteRefresh {
        afi: Afi::Ipv6,
        safi: Safi::Unicast,
    });
    assert_eq!(rr.kind().label(), "route_refresh");
    assert_vector(&format!("{MARKER} 0017 05 0002 00 01"), &rr, AS4);
}

#[test]
fn route_refresh_subtype_is_ignored() {
    // RFC 7313 BoRR (subtype 1) reads as a plain refresh of the family.
    let bytes = hex(&format!("{MARKER} 0017 05 0001 01 01"));
    assert_eq!(
        Message::decode(&bytes, &DecodeContext::default()),
        Ok(Message::RouteRefresh(RouteRefresh {
            afi: Afi::Ipv4,
            safi: Safi::Unicast
        }))
    );
}

#[test]
fn frame_len_frames_a_stream() {
    let keepalive = hex(&format!("{MARKER} 0013 04"));
    let mut stream = keepalive.clone();
    stream.extend(hex(&format!("{MARKER} 0017 02 0000 0000")));
    assert_eq!(frame_len(&[]), Ok(None));
    assert_eq!(frame_len(&stream[..5]), Ok(None));
    assert_eq!(frame_len(&stream[..18]), Ok(None));
    assert_eq!(frame_len(&stream[..19]), Ok(Some(19)));
    assert_eq!(frame_len(&stream), Ok(Some(19)));
    assert_eq!(frame_len(&stream[19..40]), Ok(None));
    assert_eq!(frame_len(&stream[19..]), Ok(Some(23)));
}
