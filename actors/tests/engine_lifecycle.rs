//! The health ladder and the lifecycle in-process: the supervisor and its services run for real with
//! `exec` checks whose exit code a file decides; a recorder stands in for the BGP side and receives
//! the per-peer route sets. Drain by signal and by file, `present_means: drain`, per-peer `states`,
//! hold-down, dampening metrics, the blast-radius guard, reloads that keep unchanged checks, and
//! `/status`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::prelude::*;
use anycastd::bgp::rib_out::RouteAttributes;
use anycastd::bgp::types::Prefix;
use anycastd::config::model::GRACEFUL_SHUTDOWN;
use anycastd_actors::metrics::Metrics;
use anycastd_actors::routes::DesiredRoutes;
use anycastd_actors::service::ServiceStatus;
use anycastd_actors::supervisor::{AddPeer, Drain, GetStatus, Reload, Shutdown, Supervisor};

const WAIT: Duration = Duration::from_secs(10);

/// A check's exit code lives in a file: 0 pass, 1 degraded, 2 fail.
struct Switch(PathBuf);

impl Switch {
    fn new(dir: &Path, name: &str, code: u8) -> Switch {
        let switch = Switch(dir.join(name));
        switch.set(code);
        switch
    }

    fn set(&self, code: u8) {
        std::fs::write(&self.0, code.to_string()).expect("write the switch file");
    }

    /// The YAML of an exec check that exits with the file's code.
    fn check(&self, name: &str, interval: &str) -> String {
        format!(
            "      - name: {name}\n        kind: exec\n        interval: {interval}\n        spec:\n          command: [\"/bin/sh\", \"-c\", \"exit $(cat {})\"]\n",
            self.0.display()
        )
    }
}

fn prefix(text: &str) -> Prefix {
    text.parse().expect("prefix")
}

/// A configuration with two peers (`edge`, `backup`, never connected: the recorder is the BGP side).
fn yaml(services: &str, extra: &str) -> String {
    format!(
        "announcer:
  router_id: 192.0.2.254
  local_address: 127.0.0.1
  local_asn: 65001
  routes: [192.0.2.1/32]
  peers:
    - name: edge
      remote_address: 127.0.0.2
      remote_asn: 65000
    - name: backup
      remote_address: 127.0.0.3
      remote_asn: 65000
services:
{services}metrics:
  enabled: false
{extra}"
    )
}

struct Daemon {
    supervisor: Addr<Supervisor>,
    metrics: Arc<Metrics>,
    seen: Arc<Mutex<Vec<DesiredRoutes>>>,
    path: PathBuf,
}

impl Daemon {
    fn start(path: PathBuf, text: &str, force: bool) -> Daemon {
        std::fs::write(&path, text).expect("write config");
        let config = anycastd::config::load(&path, text).unwrap_or_else(|e| panic!("{e}"));
        let metrics = Metrics::new().expect("metrics");
        let supervisor =
            Supervisor::new(config, path.clone(), Arc::clone(&metrics)).with_force(force);
        let supervisor = supervisor.start();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorder = Recorder(Arc::clone(&seen)).start();
        supervisor.do_send(AddPeer(recorder.recipient()));
        Daemon {
            supervisor,
            metrics,
            seen,
            path,
        }
    }

    /// Waits until the last route set satisfies `pred`; panics with every set seen otherwise.
    async fn wait(&self, what: &str, pred: impl Fn(&DesiredRoutes) -> bool) -> DesiredRoutes {
        let deadline = Instant::now() + WAIT;
        while Instant::now() < deadline {
            let last = self.seen.lock().ok().and_then(|s| s.last().cloned());
            if let Some(last) = last.filter(|l| pred(l)) {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!(
            "no route set with {what}; seen: {:#?}",
            self.seen.lock().map(|s| s.clone()).unwrap_or_default()
        );
    }

    fn metric(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let text = self.metrics.render().expect("render");
        text.lines().find_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
            if metric != name {
                return None;
            }
            let ok = labels
                .iter()
                .all(|(k, v)| rest.contains(&format!("{k}=\"{v}\"")));
            ok.then(|| value.parse().ok()).flatten()
        })
    }

    /// Polls `/status` until the first service satisfies `pred`; returns it.
    async fn service_status(&self, pred: impl Fn(&ServiceStatus) -> bool) -> ServiceStatus {
        let deadline = Instant::now() + WAIT;
        loop {
            let status = self.supervisor.send(GetStatus).await.expect("status");
            let first = status.services.first().cloned();
            match first {
                Some(service) if pred(&service) => return service,
                last if Instant::now() > deadline => panic!("no such service status: {last:?}"),
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }

    async fn reload(&self, text: &str) -> Result<(), String> {
        std::fs::write(&self.path, text).expect("write config");
        self.supervisor
            .send(Reload)
            .await
            .expect("reload answered")
            .map_err(|e| e.to_string())
    }

    async fn stop(self) {
        self.supervisor.send(Shutdown).await.expect("shutdown");
    }
}

struct Recorder(Arc<Mutex<Vec<DesiredRoutes>>>);

impl Actor for Recorder {
    type Context = Context<Self>;
}

impl Handler<DesiredRoutes> for Recorder {
    type Result = ();
    fn handle(&mut self, routes: DesiredRoutes, _: &mut Self::Context) {
        if let Ok(mut seen) = self.0.lock() {
            seen.push(routes);
        }
    }
}

fn gshut(attributes: Option<&RouteAttributes>) -> bool {
    attributes
        .is_some_and(|a| a.communities.contains(&GRACEFUL_SHUTDOWN) && a.med == Some(u32::MAX))
}

#[test]
fn sigusr1_drain_puts_gshut_and_the_highest_med_on_every_route_and_undrain_removes_them() {
    actix_rt::System::new().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let web = Switch::new(dir.path(), "web", 0);
        let text = yaml(
            &format!(
                "  - name: web\n    check_interval: 100ms\n    checks:\n{}",
                web.check("ok", "100ms")
            ),
            "",
        );
        let daemon = Daemon::start(dir.path().join("c.yaml"), &text, false);
        let p = prefix("192.0.2.1/32");
        let up = daemon
            .wait("the prefix announced plainly", |r| {
                r.complete && r.for_peer("edge").get(&p) == Some(&RouteAttributes::default())
            })
            .await;
        assert!(up.per_peer.is_empty(), "{up:?}");

        daemon.supervisor.do_send(Drain(Some("SIGUSR1".into())));
        daemon
            .wait("GSHUT and MED max to every peer", |r| {
                gshut(r.for_peer("edge").get(&p)) && gshut(r.for_peer("backup").get(&p))
            })
            .await;
        assert_eq!(
            daemon.metric("anycastd_drained", &[("reason", "signal")]),
            Some(1.0)
        );
        assert_eq!(
            daemon.metric(
                "anycastd_service_state",
                &[("service", "web"), ("state", "draining")]
            ),
            Some(1.0)
        );
        let status = daemon.supervisor.send(GetStatus).await.expect("status");
        assert_eq!(status.drained.as_deref(), Some("SIGUSR1"));
        assert_eq!(
            status.services.first().and_then(|s| s.state),
            Some("draining")
        );

        daemon.supervisor.do_send(Drain(None));
        daemon
            .wait("the plain route back", |r| {
                r.for_peer("edge").get(&p) == Some(&RouteAttributes::default())
            })
            .await;
        assert_eq!(
            daemon.metric("anycastd_drained", &[("reason", "signal")]),
            Some(0.0)
        );
        daemon.stop().await;
    });
}

#[test]
fn the_drain_file_and_a_drain_file_check_each_put_the_service_in_draining() {
    actix_rt::System::new().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let web = Switch::new(dir.path(), "web", 0);
        let node_drain = dir.path().join("node-drain");
        let service_drain = dir.path().join("service-drain");
        let text = yaml(
            &format!(
                "  - name: web\n    check_interval: 100ms\n    checks:\n{}      - name: maintenance\n        kind: file\n        interval: 100ms\n        spec:\n          path: {}\n          present_means: drain\n",
                web.check("ok", "100ms"),
                service_drain.display()
            ),
            &format!("lifecycle:\n  drain_file: {}\n", node_drain.display()),
        );
        let daemon = Daemon::start(dir.path().join("c.yaml"), &text, false);
        let p = prefix("192.0.2.1/32");
        let plain = |r: &DesiredRoutes| r.routes.get(&p) == Some(&RouteAttributes::default());
        daemon.wait("the plain route", plain).await;

        std::fs::write(&node_drain, "").expect("create the drain file");
        daemon.wait("GSHUT by the drain file", |r| gshut(r.routes.get(&p))).await;
        assert_eq!(daemon.metric("anycastd_drained", &[("reason", "file")]), Some(1.0));
        std::fs::remove_file(&node_drain).expect("remove the drain file");
        daemon.wait("the plain route after the drain file", plain).await;

        std::fs::write(&service_drain, "").expect("create the check's file");
        daemon.wait("GSHUT by the file check", |r| gshut(r.routes.get(&p))).await;
        std::fs::remove_file(&service_drain).expect("remove the check's file");
        daemon.wait("the plain route after the file check", plain).await;
        daemon.stop().await;
    });
}

#[test]
fn degraded_and_per_peer_states_give_each_peer_its_attributes() {
    actix_rt::System::new().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let web = Switch::new(dir.path(), "web", 0);
        let text = yaml(
            &format!(
                "  - name: web\n    check_interval: 100ms\n    states:\n      degraded:\n        med: 500\n        prepend: 2\n        communities: [\"65001:42\"]\n        large_communities: [\"65001:1:2\"]\n      down:\n        peers:\n          backup: {{prepend: 5}}\n    checks:\n{}",
                web.check("ok", "100ms")
            ),
            "",
        );
        let daemon = Daemon::start(dir.path().join("c.yaml"), &text, false);
        let p = prefix("192.0.2.1/32");
        daemon
            .wait("the plain route", |r| r.routes.get(&p) == Some(&RouteAttributes::default()))
            .await;

        web.set(1);
        let degraded = daemon
            .wait("MED 500 to both peers", |r| {
                r.for_peer("edge").get(&p).is_some_and(|a| a.med == Some(500))
            })
            .await;
        let attributes = degraded.for_peer("backup").get(&p).cloned().unwrap_or_default();
        assert_eq!(attributes.med, Some(500));
        assert_eq!(attributes.prepend, 2);
        assert_eq!(attributes.communities, vec![(65001 << 16) | 42]);
        assert_eq!(attributes.large_communities.len(), 1);

        web.set(2);
        let down = daemon
            .wait("withdrawn from edge, prepended to backup", |r| {
                !r.for_peer("edge").contains_key(&p)
                    && r.for_peer("backup").get(&p).is_some_and(|a| a.prepend == 5)
            })
            .await;
        assert!(down.routes.is_empty(), "{down:?}");
        assert_eq!(
            daemon.metric("anycastd_service_transitions_total", &[("service", "web")]),
            Some(2.0)
        );
        assert!(
            daemon
                .metric("anycastd_service_last_change_timestamp_seconds", &[("service", "web")])
                .is_some_and(|t| t > 1.0e9)
        );
        daemon.stop().await;
    });
}

#[test]
fn hold_down_keeps_a_recovered_service_withdrawn_and_dampening_counts_its_flaps() {
    actix_rt::System::new().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let web = Switch::new(dir.path(), "web", 0);
        let text = yaml(
            &format!(
                "  - name: web\n    check_interval: 100ms\n    hold_down: 1500ms\n    dampening: {{half_life: 10m}}\n    checks:\n{}",
                web.check("ok", "100ms")
            ),
            "",
        );
        let daemon = Daemon::start(dir.path().join("c.yaml"), &text, false);
        let p = prefix("192.0.2.1/32");
        daemon.wait("the route", |r| r.routes.contains_key(&p)).await;
        web.set(2);
        daemon.wait("the withdrawal", |r| r.routes.is_empty()).await;
        let penalty = daemon.metric("anycastd_service_dampening_penalty", &[("service", "web")]);
        assert!(penalty.is_some_and(|p| p > 900.0), "penalty {penalty:?}");

        web.set(0);
        let recovered = Instant::now();
        // Healthy again at once, but held down for 1.5 s.
        let web_status = daemon
            .service_status(|s| s.assessed == Some("up"))
            .await;
        assert_eq!(web_status.state, Some("down"), "{web_status:?}");
        assert!(web_status.held_down, "{web_status:?}");
        daemon.wait("the route after hold-down", |r| r.routes.contains_key(&p)).await;
        let held = recovered.elapsed();
        assert!(held >= Duration::from_millis(1400), "announced after {held:?}");
        daemon.stop().await;
    });
}

#[test]
fn a_reload_that_withdraws_too_much_is_refused_and_counted_and_force_applies_it() {
    actix_rt::System::new().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = Switch::new(dir.path(), "a", 0);
        let services = |routes: &str| {
            format!(
                "  - name: a\n    check_interval: 100ms\n    routes: [{routes}]\n    checks:\n{}",
                a.check("ok", "100ms")
            )
        };
        let all = "192.0.2.1/32, 192.0.2.2/32, 192.0.2.3/32";
        for force in [false, true] {
            let daemon = Daemon::start(dir.path().join("c.yaml"), &yaml(&services(all), ""), force);
            daemon.wait("three routes", |r| r.routes.len() == 3).await;
            let result = daemon.reload(&yaml(&services("192.0.2.1/32"), "")).await;
            if force {
                assert_eq!(result, Ok(()));
                daemon.wait("one route left", |r| r.routes.len() == 1).await;
            } else {
                let error = result.expect_err("refused");
                assert!(error.contains("would withdraw 2 of 3"), "{error}");
                assert_eq!(
                    daemon.metric("anycastd_config_reload_total", &[("result", "refused")]),
                    Some(1.0)
                );
                assert_eq!(
                    daemon.metric("anycastd_config_last_reload_success", &[]),
                    Some(0.0)
                );
                tokio::time::sleep(Duration::from_millis(300)).await;
                let last = daemon.wait("three routes still", |_| true).await;
                assert_eq!(last.routes.len(), 3, "{last:?}");
                // Withdrawing one of three (33 %) is within the default 50 %.
                let two = "192.0.2.1/32, 192.0.2.2/32";
                assert_eq!(daemon.reload(&yaml(&services(two), "")).await, Ok(()));
                daemon.wait("two routes", |r| r.routes.len() == 2).await;
            }
            daemon.stop().await;
        }
    });
}

#[test]
fn a_reload_keeps_unchanged_checks_and_restarts_only_the_changed_one() {
    actix_rt::System::new().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = Switch::new(dir.path(), "a", 0);
        let b = Switch::new(dir.path(), "b", 0);
        // Long intervals: a check that was restarted has no result right after the reload.
        let services = |b_interval: &str, extra_route: &str| {
            format!(
                "  - name: web\n    check_interval: 100ms\n    routes: [192.0.2.1/32{extra_route}]\n    checks:\n{}{}",
                a.check("a", "1h"),
                b.check("b", b_interval)
            )
        };
        let daemon = Daemon::start(dir.path().join("c.yaml"), &yaml(&services("1h", ""), ""), false);
        daemon.wait("the route", |r| r.complete && r.routes.len() == 1).await;

        daemon
            .reload(&yaml(&services("2h", ", 192.0.2.9/32"), ""))
            .await
            .expect("reload applies");
        let status = daemon.supervisor.send(GetStatus).await.expect("status");
        let web = status.services.first().expect("web");
        let check = |name: &str| web.checks.iter().find(|c| c.name == name).cloned();
        assert_eq!(check("a").and_then(|c| c.last), Some("pass"), "{web:?}");
        assert_eq!(web.state, Some("up"), "the service stays up across the reload");
        // Each check ran once at start (hourly after that); the changed one ran again at the reload.
        let runs = |check: &str| {
            daemon.metric(
                "anycastd_check_runs_total",
                &[("service", "web"), ("check", check), ("result", "pass")],
            )
        };
        let deadline = Instant::now() + WAIT;
        while runs("b") != Some(2.0) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!((runs("a"), runs("b")), (Some(1.0), Some(2.0)));
        daemon
            .wait("the added route", |r| r.routes.contains_key(&prefix("192.0.2.9/32")))
            .await;
        let prefixes: BTreeSet<Prefix> = daemon.wait("two routes", |r| r.routes.len() == 2).await.prefixes();
        assert!(prefixes.contains(&prefix("192.0.2.1/32")));
        daemon.stop().await;
    });
}

#[test]
fn inconclusive_runs_keep_the_last_state_until_the_grace_ends() {
    actix_rt::System::new().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let web = Switch::new(dir.path(), "web", 0);
        let text = yaml(
            &format!(
                "  - name: web\n    check_interval: 100ms\n    inconclusive_grace: 2s\n    checks:\n{}",
                web.check("ok", "100ms")
            ),
            "",
        );
        let daemon = Daemon::start(dir.path().join("c.yaml"), &text, false);
        let p = prefix("192.0.2.1/32");
        daemon.wait("the route", |r| r.routes.contains_key(&p)).await;
        // Exit 3: the plugin could not run.
        web.set(3);
        let since = Instant::now();
        let web_status = daemon
            .service_status(|s| {
                s.checks.first().and_then(|c| c.last) == Some("inconclusive")
            })
            .await;
        assert_eq!(web_status.state, Some("up"), "{web_status:?}");
        daemon.wait("the withdrawal after the grace", |r| r.routes.is_empty()).await;
        assert!(since.elapsed() >= Duration::from_secs(2), "{:?}", since.elapsed());
        daemon.stop().await;
    });
}

#[test]
fn shutdown_drains_for_drain_time_before_withdrawing_everything() {
    actix_rt::System::new().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let web = Switch::new(dir.path(), "web", 0);
        let text = yaml(
            &format!(
                "  - name: web\n    check_interval: 100ms\n    checks:\n{}",
                web.check("ok", "100ms")
            ),
            "shutdown:\n  drain_time: 800ms\n",
        );
        let daemon = Daemon::start(dir.path().join("c.yaml"), &text, false);
        let p = prefix("192.0.2.1/32");
        daemon
            .wait("the route", |r| {
                r.routes.get(&p) == Some(&RouteAttributes::default())
            })
            .await;
        let seen = Arc::clone(&daemon.seen);
        let asked = Instant::now();
        daemon.supervisor.send(Shutdown).await.expect("shutdown");
        let took = asked.elapsed();
        assert!(took >= Duration::from_millis(800), "stopped after {took:?}");
        let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
        let drained = seen.iter().position(|r| gshut(r.routes.get(&p)));
        let empty = seen
            .iter()
            .rposition(|r| r.prefixes().is_empty() && r.complete);
        assert!(
            matches!((drained, empty), (Some(d), Some(e)) if d < e && e + 1 == seen.len()),
            "GSHUT, then the empty set last: {seen:#?}"
        );
    });
}

#[test]
fn status_is_served_as_json_over_http() {
    actix_rt::System::new().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let web = Switch::new(dir.path(), "web", 2);
        let text = yaml(
            &format!(
                "  - name: web\n    check_interval: 100ms\n    checks:\n{}",
                web.check("ok", "100ms")
            ),
            "",
        );
        let daemon = Daemon::start(dir.path().join("c.yaml"), &text, false);
        let (server, bound) = anycastd_actors::http::bind(
            "127.0.0.1:0".parse().expect("address"),
            Arc::clone(&daemon.metrics),
            daemon.supervisor.clone(),
        )
        .expect("bind");
        let handle = server.handle();
        actix_rt::spawn(server);
        daemon
            .wait("the complete, empty set", |r| {
                r.complete && r.routes.is_empty()
            })
            .await;
        daemon.supervisor.do_send(Drain(Some("SIGUSR1".into())));
        let url = format!("http://{}/status", bound.first().expect("bound"));
        let deadline = Instant::now() + WAIT;
        let body = loop {
            let mut response = awc::Client::default()
                .get(&url)
                .send()
                .await
                .expect("GET /status");
            assert_eq!(response.status().as_u16(), 200);
            let body: serde_json::Value = response.json().await.expect("JSON");
            if body["drained"] == "SIGUSR1" || Instant::now() > deadline {
                break body;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(body["drained"], "SIGUSR1", "{body}");
        let service = &body["services"][0];
        assert_eq!(service["name"], "web", "{body}");
        assert_eq!(
            service["state"], "down",
            "a down service stays down when drained: {body}"
        );
        assert_eq!(service["checks"][0]["last"], "fail", "{body}");
        assert!(
            service["checks"][0]["reason"]
                .as_str()
                .is_some_and(|r| !r.is_empty()),
            "{body}"
        );
        assert!(body["peers"].as_array().is_some(), "{body}");
        anycastd_actors::http::stop_server(handle).await;
        daemon.stop().await;
    });
}

#[test]
fn the_drain_file_acts_at_once_not_at_the_next_poll() {
    actix_rt::System::new().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let web = Switch::new(dir.path(), "web", 0);
        let node_drain = dir.path().join("node-drain");
        let text = yaml(
            &format!(
                "  - name: web\n    check_interval: 10s\n    checks:\n{}",
                web.check("ok", "10s")
            ),
            &format!("lifecycle:\n  drain_file: {}\n", node_drain.display()),
        );
        let daemon = Daemon::start(dir.path().join("c.yaml"), &text, false);
        let p = prefix("192.0.2.1/32");
        let plain = |r: &DesiredRoutes| r.routes.get(&p) == Some(&RouteAttributes::default());
        daemon.wait("the plain route", plain).await;
        // The poll comes once a second: three reactions in a row well under that are inotify's.
        let mut took = Vec::new();
        for _ in 0..3 {
            let created = Instant::now();
            std::fs::write(&node_drain, "").expect("create the drain file");
            daemon
                .wait("GSHUT by the drain file", |r| gshut(r.routes.get(&p)))
                .await;
            took.push(created.elapsed());
            // Renamed away: gone from its path.
            let removed = Instant::now();
            std::fs::rename(&node_drain, dir.path().join("elsewhere")).expect("rename");
            daemon.wait("the plain route again", plain).await;
            took.push(removed.elapsed());
        }
        assert!(
            took.iter().all(|t| *t < Duration::from_millis(250)),
            "{took:?}"
        );
        daemon.stop().await;
    });
}
