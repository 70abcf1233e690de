//! Round-trip properties: `decode(encode(m)) == m` for generated messages of every type, under both
//! AS number widths.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use anycastd::bgp::codec::{
    Afi, AsPathSegment, Capability, DecodeContext, EncodeContext, GracefulRestartCapability,
    LargeCommunity, MAX_MESSAGE_LEN, Message, MpReach, MpUnreach, Notification, Open, Origin,
    PathAttribute, RouteRefresh, Safi, Update,
};
use anycastd::bgp::types::{IpNetwork, Ipv4Network, Ipv6Network, Prefix};
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use super::encode;

fn afi() -> impl Strategy<Value = Afi> {
    any::<u16>().prop_map(Afi::from)
}

fn safi() -> impl Strategy<Value = Safi> {
    any::<u8>().prop_map(Safi::from)
}

fn prefix4() -> impl Strategy<Value = Prefix> {
    (any::<u32>(), 0u8..=32).prop_map(|(a, len)| {
        Prefix::new(IpNetwork::V4(
            Ipv4Network::new(Ipv4Addr::from(a), len).expect("length"),
        ))
    })
}

fn prefix6() -> impl Strategy<Value = Prefix> {
    (any::<u128>(), 0u8..=128).prop_map(|(a, len)| {
        Prefix::new(IpNetwork::V6(
            Ipv6Network::new(Ipv6Addr::from(a), len).expect("length"),
        ))
    })
}

fn capability() -> impl Strategy<Value = Capability> {
    prop_oneof![
        (afi(), safi()).prop_map(|(a, s)| Capability::MultiProtocol(a, s)),
        Just(Capability::RouteRefresh),
        Just(Capability::EnhancedRouteRefresh),
        (1u32..).prop_map(Capability::FourOctetAs),
        (
            any::<bool>(),
            any::<bool>(),
            0u16..4096,
            vec((afi(), safi(), any::<bool>()), 0..8)
        )
            .prop_map(|(restarting, notification, restart_time, families)| {
                Capability::GracefulRestart(GracefulRestartCapability {
                    restarting,
                    notification,
                    restart_time,
                    families,
                })
            }),
        (
            any::<u8>().prop_filter("decoded code", |c| ![1, 2, 64, 65, 70].contains(c)),
            vec(any::<u8>(), 0..40)
        )
            .prop_map(|(code, value)| Capability::Unknown { code, value }),
    ]
}

fn open() -> impl Strategy<Value = Open> {
    (
        1u16..,
        prop_oneof![Just(0u16), 3u16..],
        1u32..,
        vec(capability(), 0..80),
    )
        .prop_map(|(my_as, hold_time, id, capabilities)| Open {
            version: 4,
            my_as,
            hold_time,
            router_id: Ipv4Addr::from(id),
            capabilities,
        })
}

fn segments(max_asn: u32) -> impl Strategy<Value = Vec<AsPathSegment>> {
    vec(
        (any::<bool>(), vec(1..=max_asn, 1..20)).prop_map(|(set, asns)| {
            if set {
                AsPathSegment::Set(asns)
            } else {
                AsPathSegment::Sequence(asns)
            }
        }),
        0..4,
    )
}

fn next_hop() -> impl Strategy<Value = Ipv4Addr> {
    any::<u32>()
        .prop_map(Ipv4Addr::from)
        .prop_filter("unicast", |a| {
            !(a.is_unspecified() || a.is_broadcast() || a.is_multicast())
        })
}

fn mp_reach() -> impl Strategy<Value = MpReach> {
    let v6 = any::<u128>().prop_map(|a| IpAddr::V6(Ipv6Addr::from(a)));
    prop_oneof![
        (
            prop_oneof![
                any::<u32>().prop_map(|a| vec![IpAddr::V4(Ipv4Addr::from(a))]),
                v6.clone().prop_map(|a| vec![a]),
            ],
            vec(prefix4(), 0..10)
        )
            .prop_map(|(next_hops, nlri)| MpReach {
                afi: Afi::Ipv4,
                safi: Safi::Unicast,
                next_hops,
                nlri
            }),
        (vec(v6, 1..=2), vec(prefix6(), 0..10)).prop_map(|(next_hops, nlri)| MpReach {
            afi: Afi::Ipv6,
            safi: Safi::Unicast,
            next_hops,
            nlri
        }),
    ]
}

fn mp_unreach() -> impl Strategy<Value = MpUnreach> {
    prop_oneof![
        vec(prefix4(), 0..10).prop_map(|withdrawn| MpUnreach {
            afi: Afi::Ipv4,
            safi: Safi::Unicast,
            withdrawn
        }),
        vec(prefix6(), 0..10).prop_map(|withdrawn| MpUnreach {
            afi: Afi::Ipv6,
            safi: Safi::Unicast,
            withdrawn
        }),
        (afi(), safi()).prop_map(|(afi, safi)| MpUnreach {
            afi,
            safi,
            withdrawn: Vec::new()
        }),
    ]
}

/// Codes this codec keeps opaque: assigned ones (any flags) and unassigned ones (optional).
fn unknown_attributes() -> impl Strategy<Value = Vec<PathAttribute>> {
    let opaque_assigned =
        prop::sample::select(vec![6u8, 7, 9, 10, 16, 18, 22, 23, 25, 26, 29, 35, 40, 128]);
    let entry = prop_oneof![
        (opaque_assigned, any::<u8>()),
        (200u8..=254, any::<u8>().prop_map(|f| f | 0x80)),
    ];
    vec((entry, vec(any::<u8>(), 0..40)), 0..4).prop_map(|entries| {
        // One attribute per code (RFC 4271 §5).
        let by_code: BTreeMap<u8, (u8, Vec<u8>)> = entries
            .into_iter()
            .map(|((code, flags), value)| (code, (flags, value)))
            .collect();
        by_code
            .into_iter()
            .map(|(code, (flags, value))| PathAttribute::Unknown { flags, code, value })
            .collect()
    })
}

fn update(four_octet_as: bool) -> impl Strategy<Value = Update> {
    let max_asn = if four_octet_as {
        u32::MAX
    } else {
        u32::from(u16::MAX)
    };
    (
        (vec(prefix4(), 0..20), vec(prefix4(), 0..20)),
        (
            prop_oneof![
                Just(Origin::Igp),
                Just(Origin::Egp),
                Just(Origin::Incomplete)
            ],
            segments(max_asn),
            next_hop(),
            any::<bool>(),
        ),
        (
            option::of(any::<u32>()),
            option::of(any::<u32>()),
            option::of(vec(any::<u32>(), 1..20)),
        ),
        (
            option::of(vec((any::<u32>(), any::<u32>(), any::<u32>()), 1..10)),
            option::of(mp_reach()),
            option::of(mp_unreach()),
            option::of(segments(u32::MAX)),
        ),
        unknown_attributes(),
        any::<prop::sample::Index>(),
    )
        .prop_map(
            move |(
                (withdrawn, nlri),
                (origin, as_path, nh, mandatory),
                (med, pref, comms),
                rest,
                unknown,
                shift,
            )| {
                let (large, reach, unreach, as4) = rest;
                let mut attributes = Vec::new();
                let announces = !nlri.is_empty() || reach.is_some();
                if announces || mandatory {
                    attributes.push(PathAttribute::Origin(origin));
                    attributes.push(PathAttribute::AsPath(as_path));
                }
                if !nlri.is_empty() || mandatory {
                    attributes.push(PathAttribute::NextHop(nh));
                }
                attributes.extend(med.map(PathAttribute::MultiExitDisc));
                attributes.extend(pref.map(PathAttribute::LocalPref));
                attributes.extend(comms.map(PathAttribute::Communities));
                attributes.extend(large.map(|l| {
                    PathAttribute::LargeCommunities(
                        l.into_iter()
                            .map(|(global, local1, local2)| LargeCommunity {
                                global,
                                local1,
                                local2,
                            })
                            .collect(),
                    )
                }));
                attributes.extend(reach.map(PathAttribute::MpReach));
                attributes.extend(unreach.map(PathAttribute::MpUnreach));
                attributes.extend(as4.map(PathAttribute::As4Path));
                attributes.extend(unknown);
                // Any order: rotate by a random amount.
                if !attributes.is_empty() {
                    let by = shift.index(attributes.len());
                    attributes.rotate_left(by);
                }
                Update {
                    withdrawn,
                    attributes,
                    nlri,
                }
            },
        )
}

fn message(four_octet_as: bool) -> impl Strategy<Value = Message> {
    prop_oneof![
        open().prop_map(Message::Open),
        update(four_octet_as).prop_map(Message::Update),
        (any::<u8>(), any::<u8>(), vec(any::<u8>(), 0..100)).prop_map(|(code, subcode, data)| {
            Message::Notification(Notification {
                code,
                subcode,
                data,
            })
        }),
        Just(Message::Keepalive),
        (afi(), safi()).prop_map(|(afi, safi)| Message::RouteRefresh(RouteRefresh { afi, safi })),
    ]
}

fn round_trip(m: &Message, four_octet_as: bool) -> Result<(), TestCaseError> {
    let ecx = EncodeContext { four_octet_as };
    let dcx = DecodeContext { four_octet_as };
    prop_assume!(m.encoded_len(&ecx) <= MAX_MESSAGE_LEN);
    let bytes = encode(m, ecx);
    prop_assert_eq!(
        anycastd::bgp::codec::frame_len(&bytes),
        Ok(Some(bytes.len()))
    );
    prop_assert_eq!(Message::decode(&bytes, &dcx), Ok(m.clone()));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn every_message_survives_a_round_trip_with_four_octet_as(m in message(true)) {
        round_trip(&m, true)?;
    }

    #[test]
    fn every_message_survives_a_round_trip_with_two_octet_as(m in message(false)) {
        round_trip(&m, false)?;
    }

    #[test]
    fn end_of_rib_is_recognized_after_a_round_trip(afi in afi(), safi in safi()) {
        let eor = Message::Update(Update::end_of_rib(afi, safi));
        round_trip(&eor, true)?;
        let Message::Update(update) = eor else { unreachable!() };
        prop_assert_eq!(update.is_end_of_rib(), Some((afi, safi)));
    }
}
