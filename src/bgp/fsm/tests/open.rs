//! OPEN: what we send, how the peer's is checked (RFC 4271 §6.2) and negotiated, the session
//! configuration it comes from.

use super::*;

#[test]
fn our_open_has_version_4_and_all_capabilities() {
    let open = config().open();
    assert_eq!(
        open,
        Open {
            version: 4,
            my_as: 65001,
            hold_time: 90,
            router_id: LOCAL_ID,
            capabilities: vec![
                Capability::MultiProtocol(Afi::Ipv4, Safi::Unicast),
                Capability::RouteRefresh,
                Capability::FourOctetAs(65001),
            ],
        }
    );
}

#[test]
fn our_open_uses_as_trans_for_a_four_octet_asn_and_advertises_graceful_restart() {
    let open = SessionConfig {
        local_asn: asn(4_200_000_000),
        families: vec![IPV4_UNICAST, IPV6_UNICAST],
        graceful_restart: Some(secs(120)),
        ..config()
    }
    .open();
    assert_eq!(open.my_as, 23456);
    assert_eq!(
        open.capabilities,
        [
            Capability::MultiProtocol(Afi::Ipv4, Safi::Unicast),
            Capability::MultiProtocol(Afi::Ipv6, Safi::Unicast),
            Capability::RouteRefresh,
            Capability::FourOctetAs(4_200_000_000),
            Capability::GracefulRestart(GracefulRestartCapability {
                restarting: false,
                notification: true,
                restart_time: 120,
                families: vec![
                    (Afi::Ipv4, Safi::Unicast, false),
                    (Afi::Ipv6, Safi::Unicast, false)
                ],
            }),
        ]
    );
}

#[test]
fn graceful_restart_time_is_capped_at_4095_seconds() {
    let open = SessionConfig {
        graceful_restart: Some(secs(100_000)),
        ..config()
    }
    .open();
    assert!(open.capabilities.iter().any(|c| matches!(
        c,
        Capability::GracefulRestart(GracefulRestartCapability {
            restart_time: 4095,
            ..
        })
    )));
}

#[test]
fn valid_open_in_open_sent_sends_keepalive_and_arms_negotiated_timers() {
    let mut s = open_sent();
    let open = Open {
        hold_time: 30,
        ..peer_open()
    };
    assert_eq!(
        s.handle(Event::Received(Message::Open(open))),
        [
            Action::Send(Message::Keepalive),
            Action::StartTimer(Timer::Keepalive, secs(10)),
            Action::StartTimer(Timer::Hold, secs(30)),
            changed(State::OpenSent, State::OpenConfirm),
        ]
    );
}

#[test]
fn keepalive_in_open_confirm_establishes_with_the_negotiated_parameters() {
    let mut s = session_in(config(), State::OpenConfirm);
    let negotiated = Negotiated {
        hold_time: HoldTime::new(90).unwrap(),
        keepalive: Some(secs(30)),
        four_octet_as: true,
        families: vec![IPV4_UNICAST],
        route_refresh: true,
        peer_graceful_restart: None,
        graceful_notification: false,
        peer_router_id: PEER_ID,
        peer_asn: asn(65002),
    };
    assert_eq!(
        s.handle(Event::Received(Message::Keepalive)),
        [
            Action::StartTimer(Timer::Hold, secs(90)),
            changed(State::OpenConfirm, State::Established),
            Action::Established(negotiated),
        ]
    );
    assert!(s.decode_context().four_octet_as);
    assert!(s.encode_context().four_octet_as);
}

#[test]
fn hold_time_zero_on_either_side_means_no_keepalives_and_no_hold_timer() {
    let mut s = open_sent();
    let open = Open {
        hold_time: 0,
        ..peer_open()
    };
    assert_eq!(
        s.handle(Event::Received(Message::Open(open))),
        [
            Action::Send(Message::Keepalive),
            Action::StopTimer(Timer::Hold),
            changed(State::OpenSent, State::OpenConfirm),
        ]
    );
    assert_eq!(s.negotiated().unwrap().keepalive, None);
    // KEEPALIVE then confirms without arming anything.
    let actions = s.handle(Event::Received(Message::Keepalive));
    assert_eq!(actions[0], changed(State::OpenConfirm, State::Established));
    assert_eq!(s.handle(Event::Received(Message::Keepalive)), []);
}

#[test]
fn hold_time_negotiation_takes_the_smaller_value() {
    let ours = SessionConfig {
        hold_time: HoldTime::new(9).unwrap(),
        ..config()
    };
    let negotiated = negotiate(&ours, &peer_open()).unwrap();
    assert_eq!(negotiated.hold_time.seconds(), 9);
    assert_eq!(negotiated.keepalive, Some(secs(3)));
    let zero = SessionConfig {
        hold_time: HoldTime::new(0).unwrap(),
        ..config()
    };
    assert_eq!(negotiate(&zero, &peer_open()).unwrap().keepalive, None);
}

fn rejects(open: Open, code: u8, subcode: u8, data: &[u8]) {
    rejects_with(config(), open, code, subcode, data);
}

fn rejects_with(config: SessionConfig, open: Open, code: u8, subcode: u8, data: &[u8]) {
    let mut s = session_in(config, State::OpenSent);
    assert_eq!(
        s.handle(Event::Received(Message::Open(open))),
        [
            send_notification(code, subcode, data),
            Action::CloseTcp,
            Action::StopTimer(Timer::Hold),
            Action::StartTimer(Timer::IdleHold, idle_hold_after_handshake()),
            changed(State::OpenSent, State::Idle),
            Action::Down(DownReason::NotificationSent { code, subcode }),
        ]
    );
    assert_eq!(s.negotiated(), None);
}

#[test]
fn open_with_version_3_is_refused_with_unsupported_version_and_our_version() {
    rejects(
        Open {
            version: 3,
            ..peer_open()
        },
        2,
        1,
        &[0, 4],
    );
}

#[test]
fn open_from_the_wrong_as_is_refused_with_bad_peer_as() {
    rejects(
        Open {
            my_as: 65003,
            capabilities: vec![Capability::FourOctetAs(65003)],
            ..peer_open()
        },
        2,
        2,
        &[],
    );
    // The 2-octet field alone is used without the capability.
    rejects(
        Open {
            my_as: 65003,
            capabilities: vec![],
            ..peer_open()
        },
        2,
        2,
        &[],
    );
}

#[test]
fn as_trans_without_the_four_octet_capability_is_bad_peer_as() {
    let config = SessionConfig {
        remote_asn: asn(23456),
        ..config()
    };
    rejects_with(
        config,
        Open {
            my_as: 23456,
            capabilities: vec![],
            ..peer_open()
        },
        2,
        2,
        &[],
    );
}

#[test]
fn a_four_octet_peer_is_accepted_through_as_trans() {
    let config = SessionConfig {
        remote_asn: asn(4_200_000_000),
        ..config()
    };
    let open = Open {
        my_as: 23456,
        capabilities: vec![Capability::FourOctetAs(4_200_000_000)],
        ..peer_open()
    };
    assert_eq!(
        negotiate(&config, &open).unwrap().peer_asn,
        asn(4_200_000_000)
    );
}

#[test]
fn a_zero_bgp_identifier_is_refused() {
    rejects(
        Open {
            router_id: Ipv4Addr::UNSPECIFIED,
            ..peer_open()
        },
        2,
        3,
        &[],
    );
}

#[test]
fn our_own_identifier_from_an_internal_peer_is_refused_but_allowed_for_ebgp() {
    let ibgp = SessionConfig {
        remote_asn: asn(65001),
        ..config()
    };
    rejects_with(
        ibgp,
        Open {
            my_as: 65001,
            router_id: LOCAL_ID,
            capabilities: vec![],
            ..peer_open()
        },
        2,
        3,
        &[],
    );
    assert!(
        negotiate(
            &config(),
            &Open {
                router_id: LOCAL_ID,
                ..peer_open()
            }
        )
        .is_ok()
    );
}

#[test]
fn hold_times_of_one_and_two_seconds_are_unacceptable() {
    rejects(
        Open {
            hold_time: 1,
            ..peer_open()
        },
        2,
        6,
        &[],
    );
    rejects(
        Open {
            hold_time: 2,
            ..peer_open()
        },
        2,
        6,
        &[],
    );
}

#[test]
fn no_common_address_family_is_unsupported_capability_listing_ours() {
    let open = Open {
        capabilities: vec![
            Capability::MultiProtocol(Afi::Ipv6, Safi::Unicast),
            Capability::FourOctetAs(65002),
        ],
        ..peer_open()
    };
    rejects(open, 2, 7, &[1, 4, 0, 1, 0, 1]);
}

#[test]
fn a_peer_without_multiprotocol_capability_speaks_ipv4_unicast() {
    let both = SessionConfig {
        families: vec![IPV4_UNICAST, IPV6_UNICAST],
        ..config()
    };
    let negotiated = negotiate(
        &both,
        &Open {
            capabilities: vec![],
            ..peer_open()
        },
    )
    .unwrap();
    assert_eq!(negotiated.families, [IPV4_UNICAST]);
    assert!(!negotiated.four_octet_as);
    assert!(!negotiated.route_refresh);
}

#[test]
fn graceful_notification_needs_the_n_bit_on_both_sides() {
    let gr = |notification| {
        Capability::GracefulRestart(GracefulRestartCapability {
            restarting: false,
            notification,
            restart_time: 90,
            families: vec![],
        })
    };
    let with_gr = SessionConfig {
        graceful_restart: Some(secs(120)),
        ..config()
    };
    let mut open = peer_open();
    open.capabilities.push(gr(true));
    assert!(negotiate(&with_gr, &open).unwrap().graceful_notification);
    assert!(!negotiate(&config(), &open).unwrap().graceful_notification);
    let mut open = peer_open();
    open.capabilities.push(gr(false));
    let negotiated = negotiate(&with_gr, &open).unwrap();
    assert!(!negotiated.graceful_notification);
    assert!(negotiated.peer_graceful_restart.is_some());
}
