//! `icmp_ping` on loopback (pass) and, inside a network namespace created here, towards an address
//! behind a veth pair where nobody answers ARP (loss), with no route at all (nothing sent),
//! and without privileges (no ICMP socket). Nothing is ever sent outside loopback and the namespace.

mod common;

use std::time::Duration;

use anycastd::config::model::{CheckSpec, IcmpPingSpec};
use anycastd::health::Outcome;
use anycastd_actors::probe;
use common::{IN_NETNS, Netns, block_on, in_netns, metric};

fn spec(host: &str, count: u8, timeout: Duration, max_loss_percent: f64) -> CheckSpec {
    CheckSpec::IcmpPing(IcmpPingSpec {
        host: host.to_owned(),
        count,
        interval: Duration::from_millis(50),
        timeout,
        max_loss_percent,
    })
}

fn labels(host: &str) -> [(&str, &str); 3] {
    [("service", "svc"), ("check", "icmp"), ("host", host)]
}

#[test]
fn loopback_answers_every_echo() {
    common::require_root();
    block_on(async {
        let (registry, cx) = common::context("icmp");
        let outcome = probe::run(&spec("127.0.0.1", 3, Duration::from_secs(2), 0.0), &cx).await;
        assert_eq!(outcome, Outcome::Pass);
        let l = labels("127.0.0.1");
        assert_eq!(
            metric(&registry, "anycastd_check_packets_sent_total", &l),
            Some(3.0)
        );
        assert_eq!(
            metric(&registry, "anycastd_check_packets_received_total", &l),
            Some(3.0)
        );
        assert_eq!(
            metric(
                &registry,
                "anycastd_check_packets_received_duplicates_total",
                &l
            ),
            Some(0.0)
        );
        assert_eq!(
            metric(&registry, "anycastd_check_loss_percent", &l),
            Some(0.0)
        );
        let min = metric(&registry, "anycastd_check_min_rtt_seconds", &l).expect("min");
        let avg = metric(&registry, "anycastd_check_avg_rtt_seconds", &l).expect("avg");
        let max = metric(&registry, "anycastd_check_max_rtt_seconds", &l).expect("max");
        let dev = metric(&registry, "anycastd_check_std_dev_rtt_seconds", &l).expect("std dev");
        assert!(
            0.0 < min && min <= avg && avg <= max && max < 0.5,
            "{min} {avg} {max}"
        );
        assert!(
            min < 0.001,
            "loopback RTT {min} s should have sub-millisecond precision"
        );
        assert!(dev >= 0.0);
    });
}

#[test]
fn ipv6_loopback_answers() {
    common::require_root();
    block_on(async {
        let (registry, cx) = common::context("icmp");
        assert_eq!(
            probe::run(&spec("::1", 2, Duration::from_secs(2), 0.0), &cx).await,
            Outcome::Pass
        );
        let received = metric(
            &registry,
            "anycastd_check_packets_received_total",
            &labels("::1"),
        );
        assert_eq!(received, Some(2.0));
    });
}

#[test]
fn a_swallowed_address_loses_everything() {
    if in_netns() {
        return block_on(async {
            let (registry, cx) = common::context("icmp");
            let started = std::time::Instant::now();
            let outcome =
                probe::run(&spec("192.0.2.2", 3, Duration::from_millis(400), 50.0), &cx).await;
            assert!(
                matches!(outcome, Outcome::Fail(ref r) if r.contains("0 of 3")),
                "{outcome:?}"
            );
            assert!(started.elapsed() < Duration::from_millis(900));
            let l = labels("192.0.2.2");
            assert_eq!(
                metric(&registry, "anycastd_check_packets_sent_total", &l),
                Some(3.0)
            );
            assert_eq!(
                metric(&registry, "anycastd_check_packets_received_total", &l),
                Some(0.0)
            );
            assert_eq!(
                metric(&registry, "anycastd_check_loss_percent", &l),
                Some(100.0)
            );
            // The check loop's deadline drops the probe mid-run.
            let long = spec("192.0.2.2", 3, Duration::from_secs(60), 0.0);
            assert!(
                tokio::time::timeout(Duration::from_millis(200), probe::run(&long, &cx))
                    .await
                    .is_err()
            );
        });
    }
    let ns = Netns::new("icmp");
    // A veth pair inside the namespace: nobody owns 192.0.2.2 (TEST-NET-1), so ARP is never
    // answered and every echo is dropped.
    ns.exec(&[
        "link", "add", "acd0", "type", "veth", "peer", "name", "acd1",
    ]);
    ns.exec(&["link", "set", "acd1", "up"]);
    ns.exec(&["addr", "add", "192.0.2.1/24", "dev", "acd0"]);
    ns.exec(&["link", "set", "acd0", "up"]);
    ns.run_test(
        "a_swallowed_address_loses_everything",
        &[(IN_NETNS, "1")],
        &[],
    );
}

#[test]
fn no_route_means_nothing_sent() {
    if in_netns() {
        return block_on(async {
            let (registry, cx) = common::context("icmp");
            let outcome = probe::run(
                &spec("192.0.2.2", 2, Duration::from_millis(300), 100.0),
                &cx,
            )
            .await;
            assert!(
                matches!(outcome, Outcome::Fail(ref r) if r.contains("no echo request sent")),
                "{outcome:?}"
            );
            assert_eq!(
                metric(
                    &registry,
                    "anycastd_check_packets_sent_total",
                    &labels("192.0.2.2")
                ),
                Some(0.0)
            );
        });
    }
    let ns = Netns::new("icmp");
    ns.run_test("no_route_means_nothing_sent", &[(IN_NETNS, "1")], &[]);
}

#[test]
fn without_privileges_the_probe_is_inconclusive() {
    if in_netns() {
        return block_on(async {
            let (_registry, cx) = common::context("icmp");
            match probe::run(&spec("127.0.0.1", 1, Duration::from_millis(300), 0.0), &cx).await {
                Outcome::Inconclusive(reason) => {
                    assert!(
                        reason.contains("CAP_NET_RAW") && reason.contains("ping_group_range"),
                        "{reason}"
                    )
                }
                other => panic!("expected Inconclusive, got {other:?}"),
            }
        });
    }
    common::require_binary("/usr/bin/setpriv", "util-linux");
    let ns = Netns::new("icmp");
    // A fresh namespace starts with ping_group_range "1 0" (nobody may open ping sockets).
    ns.run_test(
        "without_privileges_the_probe_is_inconclusive",
        &[(IN_NETNS, "1")],
        &[
            "/usr/bin/setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--inh-caps=-all",
            "--bounding-set=-all",
        ],
    );
}
