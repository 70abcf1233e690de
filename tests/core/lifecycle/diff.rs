//! The reload diff: configuration pairs built in code and their exact, ordered change sets.

use std::path::PathBuf;

use anycastd::bgp::codec::CeaseSubcode;
use anycastd::bgp::rib_out::RouteAttributes;
use anycastd::bgp::types::{Asn, HoldTime};
use anycastd::config::diff::{Change, diff};
use anycastd::config::model::{Bfd, Config, Dampening, Md5Key, RouteAction, StateRoute, Strategy};

use super::{check, config, ip, peer, ps, s, service};

fn changes(edit: impl FnOnce(&mut Config)) -> Vec<Change> {
    let old = config();
    let mut new = config();
    edit(&mut new);
    diff(&old, &new).into_iter().collect()
}

fn reset(name: &str) -> Change {
    Change::PeerReset(name.to_string())
}

fn check_key(service: &str, check: &str) -> (String, String) {
    (service.to_string(), check.to_string())
}

#[test]
fn the_same_configuration_changes_nothing() {
    assert_eq!(changes(|_| {}), []);
    assert_eq!(changes(|c| c.source = PathBuf::from("/tmp/other.yaml")), []);
    // Order of routes, peers, services and checks does not matter; names do.
    assert_eq!(
        changes(|c| {
            c.announcer.routes.reverse();
            c.announcer.peers.reverse();
            c.services.reverse();
            if let Some(dns) = c.services.iter_mut().find(|s| s.name == "dns") {
                dns.checks.reverse();
            }
        }),
        []
    );
}

#[test]
fn session_settings_reset_only_their_peer() {
    type Edit = fn(&mut Config);
    let table: [(&str, Edit); 12] = [
        ("remote_asn", |c| {
            c.announcer.peers[0].remote_asn = Asn::new(65010).unwrap_or(Asn::TRANS)
        }),
        ("remote_address", |c| {
            c.announcer.peers[0].remote_address = ip("192.0.2.253")
        }),
        ("remote_port", |c| c.announcer.peers[0].remote_port = 1179),
        ("local_address", |c| {
            c.announcer.peers[0].local_address = Some(ip("192.0.2.2"))
        }),
        ("multihop_ttl", |c| {
            c.announcer.peers[0].multihop_ttl = Some(2)
        }),
        ("passive", |c| c.announcer.peers[0].passive = true),
        ("hold_time", |c| {
            c.announcer.peers[0].hold_time = HoldTime::new(30).unwrap_or_default()
        }),
        ("md5", |c| {
            c.announcer.peers[0].md5 = Some(Md5Key::File(PathBuf::from("/etc/key")))
        }),
        ("ttl_security", |c| c.announcer.peers[0].ttl_security = true),
        ("bfd turned on", |c| {
            c.announcer.peers[0].bfd = Some(Bfd::default())
        }),
        ("send_hold_time", |c| {
            c.announcer.peers[0].send_hold_time = Some(std::time::Duration::ZERO)
        }),
        ("two fields", |c| {
            c.announcer.peers[0].passive = true;
            c.announcer.peers[0].ttl_security = true;
        }),
    ];
    for (what, edit) in table {
        assert_eq!(changes(edit), [reset("r1")], "{what}");
    }
}

#[test]
fn new_bfd_intervals_apply_without_a_reset() {
    let mut old = config();
    old.announcer.peers[1].bfd = Some(Bfd::default());
    let mut new = old.clone();
    new.announcer.peers[1].bfd = Some(Bfd {
        min_tx: std::time::Duration::from_millis(100),
        ..Bfd::default()
    });
    assert_eq!(
        diff(&old, &new).into_iter().collect::<Vec<_>>(),
        [Change::PeerUpdated("r2".to_string())]
    );
}

#[test]
fn connect_retry_applies_without_a_reset() {
    assert_eq!(
        changes(|c| c.announcer.peers[1].connect_retry = s(30)),
        [Change::PeerUpdated("r2".to_string())]
    );
    assert_eq!(
        changes(|c| {
            c.announcer.peers[1].connect_retry = s(30);
            c.announcer.peers[1].passive = true;
        }),
        [reset("r2")]
    );
}

#[test]
fn speaker_settings_reset_every_peer() {
    assert_eq!(
        changes(|c| c.announcer.router_id = "192.0.2.9".parse().unwrap_or(c.announcer.router_id)),
        [reset("r1"), reset("r2")]
    );
    assert_eq!(
        changes(|c| c.announcer.local_asn = Asn::new(65002).unwrap_or(Asn::TRANS)),
        [reset("r1"), reset("r2")]
    );
    assert_eq!(
        changes(|c| c.announcer.graceful_restart.enabled = true),
        [reset("r1"), reset("r2")]
    );
}

#[test]
fn the_global_source_address_resets_the_peers_that_use_it() {
    // r1 (IPv4) takes its source from announcer.local_address; r2 (IPv6) does not.
    assert_eq!(
        changes(|c| c.announcer.local_address = ip("192.0.2.3")),
        [reset("r1"), Change::NextHopsChanged]
    );
    // With its own source address r1 keeps its session; only the next hop changes.
    let mut old = config();
    old.announcer.peers[0].local_address = Some(ip("192.0.2.1"));
    let mut new = old.clone();
    new.announcer.local_address = ip("192.0.2.3");
    assert_eq!(
        diff(&old, &new).into_iter().collect::<Vec<_>>(),
        [Change::NextHopsChanged]
    );
    // A first IPv6 next hop adds IPv6 unicast to the IPv4 session's OPEN (RFC 4760 §8): r1 starts
    // again; r2 already offered it.
    assert_eq!(
        changes(|c| c.announcer.next_hop_ipv6 = Some(
            "2001:db8::1"
                .parse()
                .unwrap_or(std::net::Ipv6Addr::LOCALHOST)
        )),
        [reset("r1"), Change::NextHopsChanged]
    );
}

#[test]
fn peers_are_added_removed_and_renamed_by_name() {
    assert_eq!(
        changes(|c| c.announcer.peers.push(peer("r3", "192.0.2.250"))),
        [Change::PeerAdded("r3".to_string())]
    );
    assert_eq!(
        changes(|c| c.announcer.peers.retain(|p| p.name != "r1")),
        [Change::PeerRemoved("r1".to_string())]
    );
    assert_eq!(
        changes(|c| c.announcer.peers[0].name = "edge1".to_string()),
        [
            Change::PeerRemoved("r1".to_string()),
            Change::PeerAdded("edge1".to_string())
        ]
    );
}

#[test]
fn route_sets_become_route_changes_without_resets() {
    // dns uses the global list; web has its own.
    assert_eq!(
        changes(|c| c.announcer.routes.push(ps(&["203.0.113.0/24"])[0])),
        [
            Change::ServiceRoutesChanged("dns".to_string()),
            Change::GlobalRoutesChanged
        ]
    );
    assert_eq!(
        changes(|c| c.services[1].routes = Some(ps(&["198.51.100.81/32"]))),
        [Change::ServiceRoutesChanged("web".to_string())]
    );
    // Spelling out the global list as the service's own changes nothing.
    assert_eq!(
        changes(|c| c.services[0].routes = Some(c.announcer.routes.clone())),
        []
    );
    assert_eq!(
        changes(|c| c.services[0].health.states.degraded =
            StateRoute::new(RouteAction::Announce(RouteAttributes {
                prepend: 2,
                ..RouteAttributes::default()
            }))),
        [Change::ServiceRoutesChanged("dns".to_string())]
    );
}

#[test]
fn service_settings_change_in_place() {
    type Edit = fn(&mut Config);
    let table: [(&str, Edit); 5] = [
        ("check_interval", |c| c.services[0].check_interval = s(5)),
        ("strategy", |c| c.services[0].strategy = Strategy::All),
        ("hold_down", |c| c.services[0].health.hold_down = s(30)),
        ("dampening", |c| {
            c.services[0].health.dampening = Some(Dampening::default())
        }),
        ("inconclusive_grace", |c| {
            c.services[0].health.inconclusive_grace = Some(s(60))
        }),
    ];
    for (what, edit) in table {
        assert_eq!(
            changes(edit),
            [Change::ServiceChanged("dns".to_string())],
            "{what}"
        );
    }
}

#[test]
fn checks_are_matched_by_name_within_their_service() {
    let (service, check) = check_key("dns", "tcp_connect-2");
    assert_eq!(
        changes(|c| c.services[0].checks[1].rise = 3),
        [Change::CheckChanged { service, check }]
    );
    let (service, check) = check_key("dns", "tcp_connect-2");
    assert_eq!(
        changes(|c| {
            c.services[0].checks.pop();
        }),
        [Change::CheckRemoved { service, check }]
    );
    let (service, check) = check_key("web", "http_2xx");
    assert_eq!(
        changes(|c| c.services[1]
            .checks
            .push(super::check("http_2xx", "127.0.0.1:80"))),
        [Change::CheckAdded { service, check }]
    );
}

#[test]
fn services_are_added_and_removed_whole() {
    assert_eq!(
        changes(|c| c
            .services
            .push(service("ntp", vec![check("ntpq", "127.0.0.1:123")], None))),
        [Change::ServiceAdded("ntp".to_string())]
    );
    assert_eq!(
        changes(|c| c.services.retain(|s| s.name != "web")),
        [Change::ServiceRemoved("web".to_string())]
    );
}

#[test]
fn other_sections() {
    assert_eq!(
        changes(|c| c.metrics.enabled = false),
        [Change::MetricsChanged]
    );
    assert_eq!(
        changes(|c| c.shutdown.drain_time = s(10)),
        [Change::ShutdownChanged]
    );
    assert_eq!(
        changes(|c| c.lifecycle.max_withdraw_percent = 100),
        [Change::LifecycleChanged]
    );
    assert_eq!(
        changes(|c| c.lifecycle.drain_file = Some(PathBuf::from("/run/anycastd/drain"))),
        [Change::LifecycleChanged]
    );
}

#[test]
fn many_changes_come_ordered_for_applying() {
    let got = changes(|c| {
        c.metrics.address = Some(
            "127.0.0.1:9100"
                .parse()
                .unwrap_or(std::net::SocketAddr::from(([127, 0, 0, 1], 9100))),
        );
        c.announcer.routes.pop();
        c.services
            .push(service("ntp", vec![check("ntpq", "127.0.0.1:123")], None));
        c.services[0].checks[0].fall = 2;
        c.services[0]
            .checks
            .push(check("tcp_connect-3", "127.0.0.1:5353"));
        c.services[1].strategy = Strategy::All;
        c.services.retain(|s| s.name != "web");
        c.announcer.peers.push(peer("r3", "192.0.2.250"));
        c.announcer.peers[1].hold_time = HoldTime::new(9).unwrap_or_default();
        c.announcer.peers.remove(0);
    });
    let (s1, c1) = check_key("dns", "tcp_connect-1");
    let (s3, c3) = check_key("dns", "tcp_connect-3");
    assert_eq!(
        got,
        [
            Change::PeerRemoved("r1".to_string()),
            reset("r2"),
            Change::PeerAdded("r3".to_string()),
            Change::ServiceRemoved("web".to_string()),
            Change::CheckChanged {
                service: s1,
                check: c1
            },
            Change::ServiceAdded("ntp".to_string()),
            Change::CheckAdded {
                service: s3,
                check: c3
            },
            Change::ServiceRoutesChanged("dns".to_string()),
            Change::GlobalRoutesChanged,
            Change::MetricsChanged,
        ]
    );
}

#[test]
fn only_session_ends_carry_a_cease() {
    let table = [
        (
            Change::PeerRemoved("r1".to_string()),
            Some(CeaseSubcode::PeerDeconfigured),
        ),
        (reset("r1"), Some(CeaseSubcode::OtherConfigurationChange)),
        (Change::PeerUpdated("r1".to_string()), None),
        (Change::PeerAdded("r1".to_string()), None),
        (Change::GlobalRoutesChanged, None),
    ];
    for (change, cease) in table {
        assert_eq!(change.cease(), cease, "{change:?}");
    }
    let routes: Vec<bool> = [
        Change::ServiceAdded("a".to_string()),
        Change::ServiceChanged("a".to_string()),
        Change::GlobalRoutesChanged,
        Change::NextHopsChanged,
        Change::MetricsChanged,
    ]
    .iter()
    .map(Change::changes_routes)
    .collect();
    assert_eq!(routes, [true, false, true, true, false]);
}
