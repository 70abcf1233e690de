//! Adj-RIB-Out: sequences of desired route sets -> the exact UPDATEs, in order.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::BytesMut;

use anycastd::bgp::codec::{
    Afi, AsPathSegment, DecodeContext, EncodeContext, LargeCommunity, Message, MpReach, MpUnreach,
    Origin, PathAttribute, Safi, Update,
};
use anycastd::bgp::fsm::{IPV4_UNICAST, IPV6_UNICAST};
use anycastd::bgp::rib_out::{
    MAX_MESSAGE_LEN, PeerFacts, RibOut, RouteAttributes, Routes, encoded_len, end_of_rib,
};
use anycastd::bgp::types::{Asn, Ipv4Network, Ipv6Network, Prefix};

const NH4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const NH6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);

fn p(text: &str) -> Prefix {
    text.parse().unwrap()
}

fn ebgp() -> PeerFacts {
    PeerFacts {
        local_asn: Asn::new(65001).unwrap(),
        ibgp: false,
        next_hop_v4: Some(NH4),
        next_hop_v6: Some(NH6),
        families: vec![IPV4_UNICAST, IPV6_UNICAST],
        four_octet_as: true,
    }
}

fn ibgp() -> PeerFacts {
    PeerFacts {
        ibgp: true,
        ..ebgp()
    }
}

fn plain(prefixes: &[&str]) -> BTreeMap<Prefix, RouteAttributes> {
    prefixes
        .iter()
        .map(|&s| (p(s), RouteAttributes::default()))
        .collect()
}

fn with(prefixes: &[&str], attributes: RouteAttributes) -> BTreeMap<Prefix, RouteAttributes> {
    prefixes
        .iter()
        .map(|&s| (p(s), attributes.clone()))
        .collect()
}

fn med(value: u32) -> RouteAttributes {
    RouteAttributes {
        med: Some(value),
        ..RouteAttributes::default()
    }
}

fn path(asns: &[u32]) -> PathAttribute {
    PathAttribute::AsPath(vec![AsPathSegment::Sequence(asns.to_vec())])
}

fn announce4(prefixes: &[&str], extra: &[PathAttribute]) -> Update {
    let mut attributes = vec![
        PathAttribute::Origin(Origin::Igp),
        path(&[65001]),
        PathAttribute::NextHop(NH4),
    ];
    attributes.extend_from_slice(extra);
    Update {
        withdrawn: vec![],
        attributes,
        nlri: prefixes.iter().map(|&s| p(s)).collect(),
    }
}

fn announce6(prefixes: &[&str]) -> Update {
    let reach = MpReach {
        afi: Afi::Ipv6,
        safi: Safi::Unicast,
        next_hops: vec![IpAddr::V6(NH6)],
        nlri: prefixes.iter().map(|&s| p(s)).collect(),
    };
    Update {
        withdrawn: vec![],
        attributes: vec![
            PathAttribute::MpReach(reach),
            PathAttribute::Origin(Origin::Igp),
            path(&[65001]),
        ],
        nlri: vec![],
    }
}

fn withdraw4(prefixes: &[&str]) -> Update {
    Update {
        withdrawn: prefixes.iter().map(|&s| p(s)).collect(),
        ..Update::default()
    }
}

fn withdraw6(prefixes: &[&str]) -> Update {
    let unreach = MpUnreach {
        afi: Afi::Ipv6,
        safi: Safi::Unicast,
        withdrawn: prefixes.iter().map(|&s| p(s)).collect(),
    };
    Update {
        attributes: vec![PathAttribute::MpUnreach(unreach)],
        ..Update::default()
    }
}

fn ipv6_end_of_rib() -> Update {
    let unreach = MpUnreach {
        afi: Afi::Ipv6,
        safi: Safi::Unicast,
        withdrawn: vec![],
    };
    Update {
        attributes: vec![PathAttribute::MpUnreach(unreach)],
        ..Update::default()
    }
}

struct Case {
    name: &'static str,
    facts: PeerFacts,
    steps: Vec<(BTreeMap<Prefix, RouteAttributes>, Vec<Update>)>,
}

#[test]
fn desired_sequences_give_exact_updates() {
    let cases = vec![
        Case {
            name: "announce, repeat (idempotent), withdraw",
            facts: ebgp(),
            steps: vec![
                (
                    plain(&["192.0.2.0/24"]),
                    vec![announce4(&["192.0.2.0/24"], &[])],
                ),
                (plain(&["192.0.2.0/24"]), vec![]),
                (plain(&[]), vec![withdraw4(&["192.0.2.0/24"])]),
                (plain(&[]), vec![]),
            ],
        },
        Case {
            name: "IPv6 goes through MP_REACH_NLRI and MP_UNREACH_NLRI",
            facts: ebgp(),
            steps: vec![
                (
                    plain(&["2001:db8:1::/48"]),
                    vec![announce6(&["2001:db8:1::/48"])],
                ),
                (plain(&[]), vec![withdraw6(&["2001:db8:1::/48"])]),
            ],
        },
        Case {
            name: "prefixes sharing attributes share one UPDATE; IPv4 before IPv6",
            facts: ebgp(),
            steps: vec![(
                plain(&[
                    "2001:db8:2::/48",
                    "198.51.100.0/24",
                    "192.0.2.0/24",
                    "2001:db8:1::/48",
                ]),
                vec![
                    announce4(&["192.0.2.0/24", "198.51.100.0/24"], &[]),
                    announce6(&["2001:db8:1::/48", "2001:db8:2::/48"]),
                ],
            )],
        },
        Case {
            name: "withdrawals go out before announcements",
            facts: ebgp(),
            steps: vec![
                (
                    plain(&["192.0.2.0/24", "2001:db8:1::/48"]),
                    vec![
                        announce4(&["192.0.2.0/24"], &[]),
                        announce6(&["2001:db8:1::/48"]),
                    ],
                ),
                (
                    plain(&["198.51.100.0/24", "2001:db8:2::/48"]),
                    vec![
                        withdraw4(&["192.0.2.0/24"]),
                        withdraw6(&["2001:db8:1::/48"]),
                        announce4(&["198.51.100.0/24"], &[]),
                        announce6(&["2001:db8:2::/48"]),
                    ],
                ),
            ],
        },
        Case {
            name: "changed attributes re-announce only that prefix, without a withdraw",
            facts: ebgp(),
            steps: vec![
                (
                    plain(&["192.0.2.0/24", "198.51.100.0/24"]),
                    vec![announce4(&["192.0.2.0/24", "198.51.100.0/24"], &[])],
                ),
                (
                    {
                        let mut desired = plain(&["192.0.2.0/24"]);
                        desired.insert(p("198.51.100.0/24"), med(50));
                        desired
                    },
                    vec![announce4(
                        &["198.51.100.0/24"],
                        &[PathAttribute::MultiExitDisc(50)],
                    )],
                ),
            ],
        },
        Case {
            name: "different attributes make separate UPDATEs, attributes in type-code order",
            facts: ebgp(),
            steps: vec![(
                {
                    let mut desired = with(
                        &["192.0.2.0/24"],
                        RouteAttributes {
                            med: Some(10),
                            local_pref: None,
                            communities: vec![0xFDE9_0001],
                            large_communities: vec![LargeCommunity {
                                global: 65001,
                                local1: 1,
                                local2: 2,
                            }],
                            prepend: 0,
                        },
                    );
                    desired.extend(plain(&["198.51.100.0/24"]));
                    desired
                },
                vec![
                    announce4(&["198.51.100.0/24"], &[]),
                    announce4(
                        &["192.0.2.0/24"],
                        &[
                            PathAttribute::MultiExitDisc(10),
                            PathAttribute::Communities(vec![0xFDE9_0001]),
                            PathAttribute::LargeCommunities(vec![LargeCommunity {
                                global: 65001,
                                local1: 1,
                                local2: 2,
                            }]),
                        ],
                    ),
                ],
            )],
        },
        Case {
            name: "prepend repeats our AS",
            facts: ebgp(),
            steps: vec![(
                with(
                    &["192.0.2.0/24"],
                    RouteAttributes {
                        prepend: 2,
                        ..RouteAttributes::default()
                    },
                ),
                vec![Update {
                    withdrawn: vec![],
                    attributes: vec![
                        PathAttribute::Origin(Origin::Igp),
                        path(&[65001, 65001, 65001]),
                        PathAttribute::NextHop(NH4),
                    ],
                    nlri: vec![p("192.0.2.0/24")],
                }],
            )],
        },
        Case {
            name: "iBGP: empty AS_PATH and LOCAL_PREF 100",
            facts: ibgp(),
            steps: vec![(
                plain(&["192.0.2.0/24"]),
                vec![Update {
                    withdrawn: vec![],
                    attributes: vec![
                        PathAttribute::Origin(Origin::Igp),
                        PathAttribute::AsPath(vec![]),
                        PathAttribute::NextHop(NH4),
                        PathAttribute::LocalPref(100),
                    ],
                    nlri: vec![p("192.0.2.0/24")],
                }],
            )],
        },
        Case {
            name: "iBGP: a state's local_pref replaces 100, after MED",
            facts: ibgp(),
            steps: vec![(
                with(
                    &["192.0.2.0/24"],
                    RouteAttributes {
                        med: Some(5),
                        local_pref: Some(50),
                        ..RouteAttributes::default()
                    },
                ),
                vec![Update {
                    withdrawn: vec![],
                    attributes: vec![
                        PathAttribute::Origin(Origin::Igp),
                        PathAttribute::AsPath(vec![]),
                        PathAttribute::NextHop(NH4),
                        PathAttribute::MultiExitDisc(5),
                        PathAttribute::LocalPref(50),
                    ],
                    nlri: vec![p("192.0.2.0/24")],
                }],
            )],
        },
        Case {
            name: "eBGP: local_pref is never sent",
            facts: ebgp(),
            steps: vec![(
                with(
                    &["192.0.2.0/24"],
                    RouteAttributes {
                        local_pref: Some(50),
                        ..RouteAttributes::default()
                    },
                ),
                vec![announce4(&["192.0.2.0/24"], &[])],
            )],
        },
        Case {
            name: "a 4-octet AS towards a 2-octet peer: AS_TRANS in AS_PATH, the real path in AS4_PATH",
            facts: PeerFacts {
                local_asn: Asn::new(4_200_000_000).unwrap(),
                four_octet_as: false,
                ..ebgp()
            },
            steps: vec![(
                plain(&["192.0.2.0/24"]),
                vec![Update {
                    withdrawn: vec![],
                    attributes: vec![
                        PathAttribute::Origin(Origin::Igp),
                        path(&[23456]),
                        PathAttribute::NextHop(NH4),
                        PathAttribute::As4Path(vec![AsPathSegment::Sequence(vec![4_200_000_000])]),
                    ],
                    nlri: vec![p("192.0.2.0/24")],
                }],
            )],
        },
        Case {
            name: "a family not negotiated is not sent",
            facts: PeerFacts {
                families: vec![IPV4_UNICAST],
                ..ebgp()
            },
            steps: vec![(
                plain(&["192.0.2.0/24", "2001:db8:1::/48"]),
                vec![announce4(&["192.0.2.0/24"], &[])],
            )],
        },
        Case {
            name: "a family without a next hop is not sent",
            facts: PeerFacts {
                next_hop_v4: None,
                ..ebgp()
            },
            steps: vec![(
                plain(&["192.0.2.0/24", "2001:db8:1::/48"]),
                vec![announce6(&["2001:db8:1::/48"])],
            )],
        },
    ];
    for case in cases {
        let mut rib = RibOut::new();
        for (step, (desired, expected)) in case.steps.into_iter().enumerate() {
            rib.set_desired(desired);
            assert_eq!(
                rib.updates(&case.facts),
                expected,
                "{}: step {step}",
                case.name
            );
            assert_eq!(
                rib.updates(&case.facts),
                vec![],
                "{}: step {step} repeated",
                case.name
            );
        }
    }
}

#[test]
fn a_next_hop_change_re_announces() {
    let mut rib = RibOut::new();
    rib.set_desired(plain(&["192.0.2.0/24"]));
    rib.updates(&ebgp());
    let other = Ipv4Addr::new(192, 0, 2, 9);
    let updates = rib.updates(&PeerFacts {
        next_hop_v4: Some(other),
        ..ebgp()
    });
    assert_eq!(updates.len(), 1);
    assert!(
        updates[0]
            .attributes
            .contains(&PathAttribute::NextHop(other))
    );
    assert_eq!(updates[0].nlri, [p("192.0.2.0/24")]);
}

#[test]
fn a_shared_table_given_again_or_rebuilt_equal_sends_nothing() {
    let table: std::sync::Arc<Routes> =
        std::sync::Arc::new(plain(&["192.0.2.1/32", "192.0.2.2/32"]));
    let mut ribs = [RibOut::new(), RibOut::new()];
    for rib in &mut ribs {
        rib.set_desired(std::sync::Arc::clone(&table));
        assert_eq!(rib.updates(&ebgp()).len(), 1);
        rib.set_desired(std::sync::Arc::clone(&table));
        assert_eq!(rib.updates(&ebgp()), vec![]);
        // A new table with the same routes (what the next recomputation gives).
        rib.set_desired(plain(&["192.0.2.1/32", "192.0.2.2/32"]));
        assert_eq!(rib.updates(&ebgp()), vec![]);
        rib.set_desired(plain(&["192.0.2.2/32", "192.0.2.3/32"]));
        assert_eq!(
            rib.updates(&ebgp()),
            vec![
                withdraw4(&["192.0.2.1/32"]),
                announce4(&["192.0.2.3/32"], &[])
            ]
        );
        assert_eq!(rib.advertised_count(), 2);
    }
}

#[test]
fn reset_forgets_the_advertised_routes_and_full_table_ends_with_end_of_rib() {
    let mut rib = RibOut::new();
    rib.set_desired(plain(&["192.0.2.0/24", "2001:db8:1::/48"]));
    rib.updates(&ebgp());
    assert_eq!(rib.advertised_count(), 2);
    rib.reset();
    assert_eq!(rib.advertised_count(), 0);
    assert_eq!(
        rib.full_table(&ebgp()),
        [
            announce4(&["192.0.2.0/24"], &[]),
            announce6(&["2001:db8:1::/48"]),
            Update::default(),
            ipv6_end_of_rib()
        ]
    );
    // full_table always starts from nothing advertised.
    assert_eq!(rib.full_table(&ebgp()).len(), 4);
    assert_eq!(rib.updates(&ebgp()), []);
}

#[test]
fn end_of_rib_follows_the_negotiated_families() {
    assert_eq!(
        end_of_rib(&PeerFacts {
            families: vec![IPV4_UNICAST],
            ..ebgp()
        }),
        [Update::default()]
    );
    assert_eq!(
        end_of_rib(&PeerFacts {
            families: vec![IPV6_UNICAST],
            ..ebgp()
        }),
        [ipv6_end_of_rib()]
    );
}

fn many_v4(count: u32) -> Vec<Prefix> {
    (0..count)
        .map(|i| {
            Prefix::new(
                Ipv4Network::new(Ipv4Addr::from(0x0A00_0000 + i), 32)
                    .unwrap()
                    .into(),
            )
        })
        .collect()
}

fn many_v6(count: u32) -> Vec<Prefix> {
    (0..count)
        .map(|i| {
            let addr = Ipv6Addr::from((0x2001_0db8_u128 << 96) | (u128::from(i) << 64));
            Prefix::new(Ipv6Network::new(addr, 64).unwrap().into())
        })
        .collect()
}

fn check_packing(updates: &[Update], facts: &PeerFacts, prefixes: &[Prefix], at_most: usize) {
    assert!(
        updates.len() <= at_most,
        "{} UPDATEs, expected at most {at_most}",
        updates.len()
    );
    let mut seen = Vec::new();
    for update in updates {
        let len = encoded_len(update, facts.four_octet_as);
        assert!(len <= MAX_MESSAGE_LEN, "UPDATE of {len} octets");
        // The codec writes at most what the RIB counted, and reads back the same UPDATE.
        let cx = EncodeContext {
            four_octet_as: facts.four_octet_as,
        };
        let message = Message::Update(update.clone());
        let mut bytes = BytesMut::new();
        message.encode(&cx, &mut bytes);
        assert_eq!(bytes.len(), message.encoded_len(&cx));
        assert!(
            bytes.len() <= len,
            "codec wrote {} octets, RIB counted {len}",
            bytes.len()
        );
        let decoded = Message::decode(
            &bytes,
            &DecodeContext {
                four_octet_as: facts.four_octet_as,
            },
        );
        assert_eq!(decoded.as_ref(), Ok(&message));
        // Full: not even the next prefix would have fitted (except for the last one).
        assert!(
            len > MAX_MESSAGE_LEN - 17 || std::ptr::eq(update, updates.last().unwrap()),
            "{len}"
        );
        seen.extend(update.withdrawn.iter().copied());
        seen.extend(update.nlri.iter().copied());
        for attribute in &update.attributes {
            match attribute {
                PathAttribute::MpReach(reach) => seen.extend(reach.nlri.iter().copied()),
                PathAttribute::MpUnreach(unreach) => seen.extend(unreach.withdrawn.iter().copied()),
                _ => {}
            }
        }
    }
    seen.sort();
    let mut expected = prefixes.to_vec();
    expected.sort();
    assert_eq!(seen, expected);
}

#[test]
fn ten_thousand_prefixes_pack_into_few_updates_under_4096_octets() {
    let facts = ebgp();
    for prefixes in [many_v4(10_000), many_v6(10_000)] {
        let mut rib = RibOut::new();
        rib.set_desired(
            prefixes
                .iter()
                .map(|&p| (p, RouteAttributes::default()))
                .collect::<Routes>(),
        );
        let announce = rib.updates(&facts);
        // /32: 5 octets each, ~810 per UPDATE; /64: 9 octets each, ~450 per UPDATE.
        let at_most = if prefixes[0].is_ipv4() { 13 } else { 23 };
        check_packing(&announce, &facts, &prefixes, at_most);
        assert_eq!(rib.advertised_count(), 10_000);
        rib.set_desired(BTreeMap::new());
        let withdraw = rib.updates(&facts);
        check_packing(&withdraw, &facts, &prefixes, at_most);
        assert_eq!(rib.advertised_count(), 0);
    }
}

#[test]
fn many_communities_still_leave_every_update_under_the_limit() {
    let attributes = RouteAttributes {
        communities: (0..300).collect(),
        large_communities: (0..100)
            .map(|i| LargeCommunity {
                global: 1,
                local1: i,
                local2: i,
            })
            .collect(),
        med: Some(1),
        local_pref: None,
        prepend: 255,
    };
    let prefixes = many_v4(2_000);
    let mut rib = RibOut::new();
    rib.set_desired(
        prefixes
            .iter()
            .map(|&p| (p, attributes.clone()))
            .collect::<Routes>(),
    );
    let facts = ebgp();
    let updates = rib.updates(&facts);
    check_packing(&updates, &facts, &prefixes, 2_000);
    // 256 copies of our AS need two segments (255 + 1).
    assert!(updates[0].attributes.contains(&PathAttribute::AsPath(vec![
        AsPathSegment::Sequence(vec![65001; 255]),
        AsPathSegment::Sequence(vec![65001; 1]),
    ])));
}

#[test]
fn attributes_too_large_for_any_update_are_not_sent() {
    let huge = RouteAttributes {
        communities: (0..1100).collect(),
        ..RouteAttributes::default()
    };
    let mut rib = RibOut::new();
    let mut desired = with(&["192.0.2.0/24"], huge);
    desired.extend(plain(&["198.51.100.0/24"]));
    rib.set_desired(desired);
    assert_eq!(rib.updates(&ebgp()), [announce4(&["198.51.100.0/24"], &[])]);
    assert_eq!(rib.advertised().collect::<Vec<_>>(), [p("198.51.100.0/24")]);
}

#[test]
fn a_route_refresh_re_sends_that_family_only() {
    let mut rib = RibOut::new();
    rib.set_desired(plain(&["192.0.2.0/24", "2001:db8:1::/48"]));
    rib.updates(&ebgp());
    assert_eq!(
        rib.refresh(&ebgp(), IPV6_UNICAST),
        [announce6(&["2001:db8:1::/48"])]
    );
    assert_eq!(
        rib.refresh(&ebgp(), IPV4_UNICAST),
        [announce4(&["192.0.2.0/24"], &[])]
    );
    assert_eq!(rib.refresh(&ebgp(), (Afi::Other(25), Safi::Other(70))), []);
    assert_eq!(rib.advertised_count(), 2);
}
