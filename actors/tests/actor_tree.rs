//! The actor tree in-process against real local HTTP servers: service_up transitions read from
//! /metrics over HTTP, check durations, deadlines that do not stall other services, the route set
//! delivered to peers, /healthz and shutdown.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::prelude::*;
use anycastd_actors::metrics::Metrics;
use anycastd_actors::routes::DesiredRoutes;
use anycastd_actors::supervisor::{AddPeer, Reload, Shutdown, Supervisor};
use support::{
    Answer, TestServer, config, get, http_check, http_spec, metric, prefix, service, wait_metrics,
};

/// A running supervisor with its endpoint on 127.0.0.1:<random>.
struct Daemon {
    base: String,
    supervisor: Addr<Supervisor>,
    server: actix_web::dev::ServerHandle,
}

fn start(config: anycastd::config::model::Config) -> Daemon {
    start_from(config, "test.yaml".into())
}

fn start_from(config: anycastd::config::model::Config, path: std::path::PathBuf) -> Daemon {
    let metrics = Metrics::new().expect("metrics");
    let context: Context<Supervisor> = Context::new();
    let supervisor = context.address();
    let (server, bound) = anycastd_actors::http::bind(
        "127.0.0.1:0".parse().expect("address"),
        Arc::clone(&metrics),
        supervisor.clone(),
    )
    .expect("bind the endpoint on 127.0.0.1:0");
    let handle = server.handle();
    actix_rt::spawn(server);
    context.run(Supervisor::new(config, path, metrics));
    Daemon {
        base: format!("http://{}", bound[0]),
        supervisor,
        server: handle,
    }
}

/// Records every route set it is sent (stands in for the BGP side's recipient).
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

async fn wait_routes(
    seen: &Mutex<Vec<DesiredRoutes>>,
    within: Duration,
    pred: impl Fn(&DesiredRoutes) -> bool,
) -> Result<DesiredRoutes, Vec<DesiredRoutes>> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(last) = seen.lock().ok().and_then(|s| s.last().cloned()) {
            if pred(&last) {
                return Ok(last);
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(seen.lock().map(|s| s.clone()).unwrap_or_default())
}

fn up(service: &str) -> impl Fn(&str) -> Option<f64> + '_ {
    move |text| metric(text, "anycastd_service_up", &[("service", service)])
}

const WAIT: Duration = Duration::from_secs(10);

#[test]
fn service_up_follows_the_server_and_is_present_from_the_start() {
    actix_rt::System::new().block_on(async {
        let mut target = TestServer::start(Answer::Hang);
        let check = http_check(
            "http_2xx",
            http_spec(&target.url("/health")),
            Duration::from_millis(200),
            Duration::from_secs(2),
        );
        let daemon = start(config(
            vec![service("web", vec![check], None)],
            vec![prefix("192.0.2.1/32")],
            None,
        ));
        let web = up("web");

        // Present at once with 0, while the first probe is still hanging.
        let text = wait_metrics(&daemon.base, WAIT, |t| web(t).is_some())
            .await
            .expect("service_up present");
        assert_eq!(web(&text), Some(0.0), "{text}");
        assert!(
            !text.contains("anycastd_check_runs_total{"),
            "no run has finished yet: {text}"
        );
        assert_eq!(
            metric(
                &text,
                "anycastd_up",
                &[("version", env!("CARGO_PKG_VERSION"))]
            ),
            Some(1.0)
        );

        target.set(Answer::Ok);
        // The supervisor publishes the route just after the service reports: wait for both.
        let announced =
            |t: &str| metric(t, "anycastd_route_announced", &[("prefix", "192.0.2.1/32")]);
        let text = wait_metrics(&daemon.base, WAIT, |t| {
            web(t) == Some(1.0) && announced(t) == Some(1.0)
        })
        .await
        .expect("up after 200");
        let duration = metric(
            &text,
            "anycastd_check_duration_seconds",
            &[("service", "web"), ("check", "http_2xx")],
        )
        .expect("check duration exported");
        assert!((0.0..5.0).contains(&duration), "{duration}");
        assert_eq!(
            metric(
                &text,
                "anycastd_route_announced",
                &[("prefix", "192.0.2.1/32")]
            ),
            Some(1.0)
        );

        target.set(Answer::Error);
        let text = wait_metrics(&daemon.base, WAIT, |t| {
            web(t) == Some(0.0) && announced(t) == Some(0.0)
        })
        .await
        .expect("down after 500");
        assert_eq!(
            metric(
                &text,
                "anycastd_route_announced",
                &[("prefix", "192.0.2.1/32")]
            ),
            Some(0.0)
        );

        target.set(Answer::Ok);
        wait_metrics(&daemon.base, WAIT, |t| web(t) == Some(1.0))
            .await
            .expect("up again after 200");

        target.stop();
        let text = wait_metrics(&daemon.base, WAIT, |t| web(t) == Some(0.0))
            .await
            .expect("down once stopped");
        let failures = metric(
            &text,
            "anycastd_check_runs_total",
            &[
                ("service", "web"),
                ("check", "http_2xx"),
                ("result", "fail"),
            ],
        );
        assert!(failures.is_some_and(|f| f >= 2.0), "{text}");

        let (status, body) = get(&format!("{}/healthz", daemon.base))
            .await
            .expect("healthz");
        assert_eq!((status, body.as_str()), (200, "ok\n"));

        daemon.supervisor.send(Shutdown).await.expect("shutdown");
        anycastd_actors::http::stop_server(daemon.server.clone()).await;
    });
}

#[test]
fn a_hung_probe_is_cut_at_its_deadline_while_other_services_keep_their_schedule() {
    actix_rt::System::new().block_on(async {
        let hanging = TestServer::start(Answer::Hang);
        let healthy = TestServer::start(Answer::Ok);
        let interval = Duration::from_millis(200);
        let deadline = Duration::from_millis(600);
        let mut slow_spec = http_spec(&hanging.url("/"));
        slow_spec.retry.timeout = Duration::from_secs(30); // only the check's deadline can cut it
        let slow = service(
            "slow",
            vec![http_check("http_2xx", slow_spec, interval, deadline)],
            None,
        );
        let fast = service(
            "fast",
            vec![http_check(
                "http_2xx",
                http_spec(&healthy.url("/")),
                interval,
                Duration::from_secs(2),
            )],
            None,
        );
        let daemon = start(config(vec![slow, fast], vec![prefix("192.0.2.1/32")], None));

        let observe = Duration::from_secs(3);
        tokio::time::sleep(observe).await;
        let (_, text) = get(&format!("{}/metrics", daemon.base))
            .await
            .expect("metrics");
        let runs = |svc: &str, result: &str| {
            metric(
                &text,
                "anycastd_check_runs_total",
                &[("service", svc), ("check", "http_2xx"), ("result", result)],
            )
            .unwrap_or(0.0)
        };
        // 3 s at 200 ms: about 15 runs; loose bounds.
        let fast_runs = runs("fast", "pass");
        assert!(
            fast_runs >= 7.0,
            "fast service ran only {fast_runs} times: {text}"
        );
        assert_eq!(runs("fast", "fail"), 0.0, "{text}");
        // Each slow run takes the whole 600 ms deadline and runs never overlap: at most 5 in 3 s.
        let slow_runs = runs("slow", "fail");
        assert!(
            (2.0..=6.0).contains(&slow_runs),
            "slow service finished {slow_runs} runs: {text}"
        );
        let slow_duration = metric(
            &text,
            "anycastd_check_duration_seconds",
            &[("service", "slow"), ("check", "http_2xx")],
        )
        .expect("slow duration");
        assert!(
            (0.55..2.0).contains(&slow_duration),
            "a timed-out run lasted {slow_duration} s"
        );
        assert_eq!(
            metric(&text, "anycastd_service_up", &[("service", "slow")]),
            Some(0.0)
        );
        assert_eq!(
            metric(&text, "anycastd_service_up", &[("service", "fast")]),
            Some(1.0)
        );
        // No two slow probes at once: the hanging server saw at most one request per finished run + 1.
        assert!(
            hanging.request_count() as f64 <= slow_runs + 1.0,
            "overlapping runs"
        );

        // Every actor still answers while a probe hangs.
        let (status, body) = get(&format!("{}/healthz", daemon.base))
            .await
            .expect("healthz");
        assert_eq!((status, body.as_str()), (200, "ok\n"));

        daemon.supervisor.send(Shutdown).await.expect("shutdown");
        anycastd_actors::http::stop_server(daemon.server.clone()).await;
    });
}

#[test]
fn a_shared_prefix_is_announced_only_while_every_owner_is_up_and_withdrawn_at_shutdown() {
    actix_rt::System::new().block_on(async {
        let a = TestServer::start(Answer::Ok);
        let b = TestServer::start(Answer::Hang);
        let interval = Duration::from_millis(150);
        let shared = prefix("192.0.2.1/32");
        let own = prefix("198.51.100.7/32");
        let svc_a = service(
            "a",
            vec![http_check(
                "http_2xx",
                http_spec(&a.url("/")),
                interval,
                Duration::from_millis(500),
            )],
            None,
        );
        let svc_b = service(
            "b",
            vec![http_check(
                "http_2xx",
                http_spec(&b.url("/")),
                interval,
                Duration::from_millis(500),
            )],
            None,
        );
        let svc_c = service(
            "c",
            vec![http_check(
                "http_2xx",
                http_spec(&a.url("/")),
                interval,
                Duration::from_millis(500),
            )],
            Some(vec![own]),
        );
        let daemon = start(config(vec![svc_a, svc_b, svc_c], vec![shared], None));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let recorder = Recorder(Arc::clone(&seen)).start();
        daemon.supervisor.do_send(AddPeer(recorder.recipient()));

        // Startup gate: while b has not finished its first run, the set is incomplete and lacks
        // the shared prefix even though a is up.
        let first = wait_routes(&seen, WAIT, |_| true)
            .await
            .expect("routes sent to a new peer");
        assert!(!first.complete, "{first:?}");
        assert!(!first.prefixes().contains(&shared), "{first:?}");

        // b times out: complete, own prefix of c announced, shared prefix held back.
        let routes = wait_routes(&seen, WAIT, |r| r.complete)
            .await
            .expect("complete route set");
        assert!(!routes.prefixes().contains(&shared), "{routes:?}");
        wait_routes(&seen, WAIT, |r| r.prefixes().contains(&own))
            .await
            .expect("c's own prefix");

        b.set(Answer::Ok);
        wait_routes(&seen, WAIT, |r| {
            r.prefixes().contains(&shared) && r.prefixes().contains(&own)
        })
        .await
        .expect("shared prefix once both owners are up");

        // a fails: the shared prefix goes, whatever b (still up) did last.
        a.set(Answer::Error);
        let routes = wait_routes(&seen, WAIT, |r| {
            !r.prefixes().contains(&shared) && !r.prefixes().contains(&own)
        })
        .await
        .expect("shared prefix withdrawn when one owner fails");
        assert!(routes.complete);
        a.set(Answer::Ok);
        wait_routes(&seen, WAIT, |r| r.prefixes().contains(&shared))
            .await
            .expect("back when a recovers");

        // Shutdown sends the empty, complete set to every peer before the supervisor stops.
        daemon.supervisor.send(Shutdown).await.expect("shutdown");
        let last = seen
            .lock()
            .expect("seen")
            .last()
            .cloned()
            .expect("final routes");
        assert!(last.prefixes().is_empty() && last.complete, "{last:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(
            !daemon.supervisor.connected(),
            "the supervisor stops after shutdown"
        );
        anycastd_actors::http::stop_server(daemon.server.clone()).await;
    });
}

#[test]
fn a_failed_reload_keeps_the_running_services_and_counts_the_failure() {
    actix_rt::System::new().block_on(async {
        let target = TestServer::start(Answer::Ok);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("broken.yaml");
        std::fs::write(&path, "services: [this is not valid\n").expect("write");
        let check = http_check(
            "http_2xx",
            http_spec(&target.url("/")),
            Duration::from_millis(150),
            Duration::from_secs(1),
        );
        let daemon = start_from(
            config(
                vec![service("web", vec![check], None)],
                vec![prefix("192.0.2.1/32")],
                None,
            ),
            path,
        );
        let web = up("web");
        wait_metrics(&daemon.base, WAIT, |t| web(t) == Some(1.0))
            .await
            .expect("up");

        let errors = daemon
            .supervisor
            .send(Reload)
            .await
            .expect("reload answered");
        assert!(errors.is_err_and(|e| !e.0.is_empty()));
        let text = wait_metrics(&daemon.base, WAIT, |t| {
            metric(t, "anycastd_config_reload_total", &[("result", "failure")]) == Some(1.0)
        })
        .await
        .expect("failure counted");
        assert_eq!(
            metric(
                &text,
                "anycastd_config_reload_total",
                &[("result", "success")]
            ),
            Some(0.0)
        );
        assert_eq!(
            metric(&text, "anycastd_config_last_reload_success", &[]),
            Some(0.0)
        );
        assert_eq!(web(&text), Some(1.0));

        // The old services still run: a failing target is still noticed.
        target.set(Answer::Error);
        wait_metrics(&daemon.base, WAIT, |t| web(t) == Some(0.0))
            .await
            .expect("still checking");

        // An unreadable file is a failed reload too.
        std::fs::remove_file(dir.path().join("broken.yaml")).expect("remove");
        let errors = daemon
            .supervisor
            .send(Reload)
            .await
            .expect("reload answered");
        assert!(errors.is_err_and(|e| e.0.iter().any(|l| l.to_string().contains("cannot read"))));

        daemon.supervisor.send(Shutdown).await.expect("shutdown");
        anycastd_actors::http::stop_server(daemon.server.clone()).await;
    });
}

#[test]
fn checks_with_the_same_interval_run_on_their_own_phase() {
    actix_rt::System::new().block_on(async {
        let server = TestServer::start(Answer::Ok);
        let interval = Duration::from_secs(1);
        let names = ["alpha", "bravo", "charlie", "delta", "echo"];
        let mut services: Vec<_> = names
            .iter()
            .map(|name| {
                let mut check = http_check(
                    "http_2xx",
                    http_spec(&server.url(&format!("/{name}"))),
                    interval,
                    Duration::from_millis(500),
                );
                check.splay = true;
                service(name, vec![check], None)
            })
            .collect();
        // The unsplayed schedule, for comparison: every interval from the first run.
        services.push(service(
            "plain",
            vec![http_check(
                "http_2xx",
                http_spec(&server.url("/plain")),
                interval,
                Duration::from_millis(500),
            )],
            None,
        ));
        let config = config(services, vec![prefix("192.0.2.1/32")], None);
        // Six checks: their first runs are spread over 6 ms, the later ones over the interval.
        let window = config.first_run_window();
        assert_eq!(window, Duration::from_millis(6));
        let schedules: Vec<(String, Duration, Duration)> = config
            .services
            .iter()
            .map(|s| {
                let check = &s.checks[0];
                (
                    s.name.clone(),
                    check.first_run(&s.name, window),
                    check.phase(&s.name),
                )
            })
            .collect();
        let splayed: Vec<Duration> = schedules.iter().take(names.len()).map(|s| s.2).collect();
        assert!(
            splayed.iter().all(|p| !p.is_zero() && *p <= interval),
            "{schedules:?}"
        );
        assert!(
            splayed.iter().any(|p| *p < Duration::from_millis(700)),
            "these names should give at least one phase well inside the interval: {schedules:?}"
        );
        let started = Instant::now();
        let daemon = start(config);
        tokio::time::sleep(Duration::from_millis(3500)).await;
        let stamps = server.stamps.lock().map(|s| s.clone()).unwrap_or_default();
        let tolerance = Duration::from_millis(150);
        for (name, first, phase) in &schedules {
            let runs: Vec<Duration> = stamps
                .iter()
                .filter(|(path, _)| path == &format!("/{name}"))
                .map(|(_, at)| *at - started)
                .collect();
            // A first run within the window (at once without splay), then the regular runs on
            // the check's phase, one per interval. The first runs of the daemon may be late (the
            // first HTTP client is set up then; a run that starts after a grid point has passed
            // stands for it), but a late run never moves the later ones: the runs of the
            // following grid points come on time, and no run comes early.
            let head = *runs.first().expect("a first run");
            let expected_first = if first < phase { *first } else { *phase };
            assert!(
                head + tolerance > expected_first && head < expected_first + interval,
                "{name}: first run at {head:?}, expected {expected_first:?}"
            );
            let grid: Vec<Duration> = (0..3).map(|k| *phase + interval * k).collect();
            let near = |at: Duration| runs.iter().any(|run| run.abs_diff(at) < tolerance);
            for (k, at) in grid.iter().enumerate() {
                let covered_by_a_late_first_run = k == 0 && head + tolerance > *at;
                assert!(
                    near(*at) || covered_by_a_late_first_run,
                    "{name}: runs at {runs:?} after start, expected {first:?} then {grid:?}"
                );
            }
            assert!(runs.len() >= 3, "{name}: {runs:?}");
        }
        daemon.supervisor.send(Shutdown).await.expect("shutdown");
        anycastd_actors::http::stop_server(daemon.server.clone()).await;
    });
}

/// `anycastd_route_announced` has a series per prefix up to the limit, and none above it, where
/// the total still counts every prefix.
#[test]
fn per_prefix_series_stop_above_the_limit() {
    use anycastd_actors::supervisor::PREFIX_SERIES_LIMIT;
    let series = |text: &str| {
        text.lines()
            .filter(|l| l.starts_with("anycastd_route_announced{"))
            .count()
    };
    for count in [PREFIX_SERIES_LIMIT, PREFIX_SERIES_LIMIT + 1] {
        actix_rt::System::new().block_on(async {
            let target = TestServer::start(Answer::Ok);
            let check = http_check(
                "http_2xx",
                http_spec(&target.url("/health")),
                Duration::from_millis(200),
                Duration::from_secs(2),
            );
            let prefixes = (0..count)
                .map(|i| prefix(&format!("10.{}.{}.1/32", i / 256, i % 256)))
                .collect();
            let daemon = start(config(
                vec![service("web", vec![check], None)],
                prefixes,
                None,
            ));
            let total = count as f64;
            let text = wait_metrics(&daemon.base, WAIT, |t| {
                metric(t, "anycastd_routes_announced", &[]) == Some(total)
            })
            .await
            .expect("every prefix announced");
            let expected = if count <= PREFIX_SERIES_LIMIT {
                count
            } else {
                0
            };
            assert_eq!(series(&text), expected, "{count} prefixes");
            anycastd_actors::http::stop_server(daemon.server.clone()).await;
        });
    }
}
