//! The lifecycle keys as the loader reads them, and reload diffs of configuration files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anycastd::bgp::codec::LargeCommunity;
use anycastd::bgp::rib_out::RouteAttributes;
use anycastd::config::diff::{Change, diff};
use anycastd::config::load;
use anycastd::config::model::{
    Config, Dampening, Lifecycle, RouteAction, ServiceHealth, StateRoute, StateRoutes,
};

use super::s;

const BASE: &str = "
announcer:
  router_id: 10.3.3.3
  local_address: 10.0.0.1
  local_asn: 65999
  routes: [10.0.0.128/32]
  peers:
    - {name: r1, remote_address: 10.0.0.252, remote_asn: 65000}
    - {name: r2, remote_address: 10.0.0.253, remote_asn: 65000}
metrics: {enabled: true, address: 127.0.0.1:9090}
";

fn service_yaml(extra: &str) -> String {
    format!(
        "services:
  - name: web
    check_interval: 10s
{extra}    checks:
      - kind: tcp_connect
        spec: {{address: 127.0.0.1:80}}
"
    )
}

fn loaded(text: &str) -> Config {
    load(Path::new("test.yaml"), text).unwrap_or_else(|errors| panic!("{errors}"))
}

fn health(extra: &str) -> ServiceHealth {
    let config = loaded(&format!("{BASE}{}", service_yaml(extra)));
    config
        .services
        .into_iter()
        .next()
        .expect("one service")
        .health
}

#[test]
fn absent_keys_keep_todays_behaviour() {
    let config = loaded(&format!("{BASE}{}", service_yaml("")));
    assert_eq!(config.lifecycle, Lifecycle::default());
    assert_eq!(config.lifecycle.max_withdraw_percent, 50);
    let health = &config.services[0].health;
    assert_eq!(health, &ServiceHealth::default());
    assert_eq!(health.hold_down, s(0));
    assert_eq!(health.dampening, None);
    assert_eq!(health.inconclusive_grace, None);
    assert_eq!(health.states, StateRoutes::default());
}

#[test]
fn every_lifecycle_key_is_read() {
    let got = health(
        "    hold_down: 30s
    inconclusive_grace: 2m
    dampening: {half_life: 5m, reuse: 500}
    states:
      degraded: {med: 100, local_pref: 50, prepend: 2}
      draining:
        communities: [\"65535:0\", \"65001:911\"]
        large_communities: [\"65001:1:2\"]
      down:
        peers:
          r2: {prepend: 5}
",
    );
    let expected = ServiceHealth {
        hold_down: s(30),
        inconclusive_grace: Some(s(120)),
        dampening: Some(Dampening {
            half_life: s(300),
            reuse: 500,
            ..Dampening::default()
        }),
        states: StateRoutes {
            degraded: StateRoute::new(RouteAction::Announce(RouteAttributes {
                med: Some(100),
                local_pref: Some(50),
                prepend: 2,
                ..RouteAttributes::default()
            })),
            draining: StateRoute::new(RouteAction::Announce(RouteAttributes {
                communities: vec![0xFFFF_0000, (65001 << 16) | 911],
                large_communities: vec![LargeCommunity {
                    global: 65001,
                    local1: 1,
                    local2: 2,
                }],
                ..RouteAttributes::default()
            })),
            // Only `peers`: the state keeps its default action for the others.
            down: StateRoute {
                action: RouteAction::Withdraw,
                peers: BTreeMap::from([(
                    "r2".to_string(),
                    RouteAction::Announce(RouteAttributes {
                        prepend: 5,
                        ..RouteAttributes::default()
                    }),
                )]),
            },
            ..StateRoutes::default()
        },
    };
    assert_eq!(got, expected);
}

#[test]
fn an_empty_dampening_mapping_enables_the_defaults() {
    assert_eq!(
        health("    dampening: {}\n").dampening,
        Some(Dampening::default())
    );
}

#[test]
fn withdraw_false_announces_plainly_and_withdraw_true_withdraws() {
    let got = health(
        "    states:
      up: {withdraw: true}
      down: {withdraw: false}
",
    )
    .states;
    assert_eq!(got.up, StateRoute::new(RouteAction::Withdraw));
    assert_eq!(
        got.down,
        StateRoute::new(RouteAction::Announce(RouteAttributes::default()))
    );
}

#[test]
fn the_lifecycle_section_is_read() {
    let config = loaded(&format!(
        "{BASE}{}lifecycle: {{max_withdraw_percent: 0, drain_file: /run/anycastd/drain, \
         state_file: /srv/anycastd/state.json}}\ncontrol: {{enabled: false, socket: /srv/ctl.sock}}\n",
        service_yaml("")
    ));
    assert_eq!(
        config.lifecycle,
        Lifecycle {
            max_withdraw_percent: 0,
            drain_file: Some(PathBuf::from("/run/anycastd/drain")),
            state_file: PathBuf::from("/srv/anycastd/state.json"),
        }
    );
    assert_eq!(
        config.control,
        anycastd::config::model::Control {
            enabled: false,
            socket: PathBuf::from("/srv/ctl.sock"),
        }
    );
    let defaults = loaded(&format!("{BASE}{}", service_yaml("")));
    assert_eq!(
        defaults.lifecycle.state_file,
        PathBuf::from("/var/lib/anycastd/state.json")
    );
    assert_eq!(
        defaults.control.socket,
        PathBuf::from("/run/anycastd/control.sock")
    );
    assert!(defaults.control.enabled);
}

#[test]
fn reload_diff_of_two_files() {
    let old = loaded(&format!("{BASE}{}", service_yaml("")));
    let new = loaded(&format!(
        "{}{}",
        BASE.replace(
            "remote_asn: 65000}\n    - {name: r2",
            "remote_asn: 65001}\n    - {name: r2"
        ),
        service_yaml("    hold_down: 10s\n    states: {degraded: {med: 50}}\n")
    ));
    assert_eq!(
        diff(&old, &new).into_iter().collect::<Vec<_>>(),
        [
            Change::PeerReset("r1".to_string()),
            Change::ServiceChanged("web".to_string()),
            Change::ServiceRoutesChanged("web".to_string()),
        ]
    );
    assert_eq!(diff(&new, &new).len(), 0);
}
