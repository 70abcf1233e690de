//! The real `anycastd` binary in the daemon namespace against BIRD 2 and against gobgpd: its
//! http_2xx check (against a real HTTP server the test starts) decides whether the routes are in the
//! router's RIB, and SIGTERM ends with the routes withdrawn, a Cease / Administrative Shutdown (as
//! BIRD shows it), and exit code 0.

use std::time::{Duration, Instant};

use crate::harness::anycastd::{Anycastd, HttpServer};
use crate::harness::bird::Bird;
use crate::harness::gobgp::Gobgp;
use crate::harness::netns::{DAEMON_V4, DAEMON_V6, Lab, ROUTER_V4, ROUTER_V6};
use crate::harness::process::Daemon;
use crate::harness::{Router, Scratch, holds_for};

const V4_ROUTE: &str = "192.0.2.1/32";
const V6_ROUTE: &str = "2001:db8::1/128";

fn config(url: &str) -> String {
    format!(
        "announcer:
  router_id: {DAEMON_V4}
  local_address: {DAEMON_V4}
  local_asn: 65001
  routes:
    - {V4_ROUTE}
    - {V6_ROUTE}
  peers:
    - name: r4
      remote_address: {ROUTER_V4}
      remote_asn: 65000
      connect_retry: 1s
    - name: r6
      remote_address: {ROUTER_V6}
      remote_asn: 65000
      local_address: {DAEMON_V6}
      connect_retry: 1s
services:
  - name: web
    check_interval: 500ms
    checks:
      - kind: http_2xx
        spec:
          url: {url}
          method: GET
          tries: 1
          interval: 100ms
          timeout: 400ms
metrics:
  enabled: false
"
    )
}

/// Starts anycastd against `router` (sessions `r4` and `r6` as the router names them), then: both
/// routes arrive with our next hops and AS path; the HTTP server stops and both routes leave the
/// RIB while the sessions stay up; it comes back and so do the routes; SIGTERM exits 0 and the
/// routes are withdrawn.
fn routes_follow_the_http_check(
    lab: &Lab,
    scratch: &Scratch,
    router: &impl Router,
    r4: &str,
    r6: &str,
) {
    let mut http = HttpServer::start(lab, scratch, DAEMON_V4, 8080);
    let mut daemon =
        Anycastd::start_established(lab, scratch, &config(&http.url()), router, &[r4, r6]);
    router.wait_route_via(V4_ROUTE, DAEMON_V4, &[65001], Duration::from_secs(15));
    router.wait_route_via(V6_ROUTE, DAEMON_V6, &[65001], Duration::from_secs(15));

    // The service fails: both routes leave the RIB; the sessions stay up.
    let failed_at = Instant::now();
    http.stop();
    router.wait_no_route(V4_ROUTE, Duration::from_secs(10));
    router.wait_no_route(V6_ROUTE, Duration::from_secs(10));
    eprintln!(
        "interop: check failure to withdrawal in {}: {:?}",
        router.name(),
        failed_at.elapsed()
    );
    assert_eq!(router.established(r4), Ok(true), "{}", router.dump());
    daemon.assert_running();

    // It recovers: the routes come back.
    http.resume();
    router.wait_route(V4_ROUTE, Duration::from_secs(10));
    router.wait_route(V6_ROUTE, Duration::from_secs(10));

    // SIGTERM: withdraw, Cease, exit 0.
    daemon.stop();
    router.wait_no_route(V4_ROUTE, Duration::from_secs(5));
}

#[test]
fn the_daemon_announces_while_its_http_check_passes_and_withdraws_on_failure_and_sigterm() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-daemon", lab.tag));
    let bird = Bird::dual_stack(&lab, &scratch);
    routes_follow_the_http_check(&lab, &scratch, &bird, "r4", "r6");
    // The Cease is an Administrative Shutdown.
    bird.wait_protocol_shows("r4", &["Administrative shutdown"], Duration::from_secs(5));
}

#[test]
fn the_daemon_announces_to_gobgpd_while_its_http_check_passes() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-daemon-gobgp", lab.tag));
    let router = Gobgp::for_daemon(&lab, &scratch);
    routes_follow_the_http_check(&lab, &scratch, &router, DAEMON_V4, DAEMON_V6);
}

/// The same daemon with a 10 s check interval and `watch: true`: only the sentinel can see a crash
/// before the next run.
fn watched_config(url: &str) -> String {
    config(url)
        .replace("check_interval: 500ms", "check_interval: 10s")
        .replace(
            "      - kind: http_2xx\n",
            "      - kind: http_2xx\n        watch: true\n",
        )
}

/// Polls the router every few milliseconds until `prefix` is gone; returns how long it took.
fn gone_within(router: &impl Router, prefix: &str, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        if let Ok(None) = router.route(prefix) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "{prefix} still in {}'s RIB after {limit:?}:\n{}",
            router.name(),
            router.dump()
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn a_watched_check_at_a_10s_interval_withdraws_from_bird_as_soon_as_the_server_dies() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-watch", lab.tag));
    let bird = Bird::dual_stack(&lab, &scratch);
    let mut http = HttpServer::start(&lab, &scratch, DAEMON_V4, 8080);
    let mut daemon = Anycastd::start_established(
        &lab,
        &scratch,
        &watched_config(&http.url()),
        &bird,
        &["r4", "r6"],
    );
    bird.wait_route_via(V4_ROUTE, DAEMON_V4, &[65001], Duration::from_secs(15));
    // The sentinel connects right after the first pass.
    std::thread::sleep(Duration::from_millis(500));

    // SIGKILL to the server: the route leaves BIRD long before the next run, 10 s away.
    http.stop();
    let took = gone_within(&bird, V4_ROUTE, Duration::from_millis(200));
    eprintln!("interop: watched crash to withdrawal in BIRD: {took:?}");
    assert_eq!(bird.established("r4"), Ok(true), "{}", bird.dump());
    daemon.assert_running();

    // The server returns: the next run (at most one interval later) announces again.
    http.resume();
    bird.wait_route(V4_ROUTE, Duration::from_secs(15));
    daemon.stop();
}

/// nginx (from Debian) in the daemon namespace on `DAEMON_V4:8080`, closing idle connections after
/// a second (`client_header_timeout`, `keepalive_timeout`); stopped with `nginx -s stop`, so that
/// its workers go with it.
struct Nginx {
    daemon: Option<Daemon>,
    namespace: String,
    args: Vec<String>,
}

impl Nginx {
    fn start(lab: &Lab, scratch: &Scratch) -> Nginx {
        let dir = scratch.file("nginx");
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir nginx: {e}"));
        let d = dir.display();
        let conf = format!(
            "daemon off;
master_process on;
worker_processes 2;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  client_header_timeout 1s;
  keepalive_timeout 1s;
  server {{
    listen {DAEMON_V4}:8080;
    location / {{ return 200 \"ok\\n\"; }}
  }}
}}
"
        );
        let path = dir.join("nginx.conf");
        std::fs::write(&path, conf).unwrap_or_else(|e| panic!("write nginx.conf: {e}"));
        let args = vec![
            "-p".to_string(),
            dir.display().to_string(),
            "-c".to_string(),
            path.display().to_string(),
        ];
        let strs: Vec<&str> = args.iter().map(String::as_str).collect();
        let command = Lab::exec(&lab.daemon, "nginx", &strs);
        let daemon = Daemon::spawn("nginx", command, &scratch.file("nginx.log"));
        let url = format!("http://{DAEMON_V4}:8080/");
        crate::harness::wait_until(Duration::from_secs(10), "nginx", || {
            Lab::run(
                &lab.daemon,
                "curl",
                &["-sf", "-o", "/dev/null", "-m", "1", &url],
            )
        });
        Nginx {
            daemon: Some(daemon),
            namespace: lab.daemon.clone(),
            args,
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let mut args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        args.extend(["-s", "stop"]);
        let _ = Lab::run(&self.namespace, "nginx", &args);
        std::thread::sleep(Duration::from_millis(300));
        if let Some(mut daemon) = self.daemon.take() {
            daemon.kill();
        }
    }
}

#[test]
fn nginx_closing_the_sentinel_for_30s_keeps_the_route_in_bird() {
    let lab = Lab::new();
    let scratch = Scratch::new(&format!("acd-peer-{}-nginx", lab.tag));
    let bird = Bird::dual_stack(&lab, &scratch);
    let nginx = Nginx::start(&lab, &scratch);
    let url = format!("http://{DAEMON_V4}:8080/");
    let mut daemon =
        Anycastd::start_established(&lab, &scratch, &watched_config(&url), &bird, &["r4", "r6"]);
    bird.wait_route_via(V4_ROUTE, DAEMON_V4, &[65001], Duration::from_secs(15));
    // nginx closes the idle sentinel every second; each close costs one probe, never the route.
    holds_for(
        Duration::from_secs(30),
        "the route in BIRD",
        || match bird.route(V4_ROUTE) {
            Ok(Some(_)) => Ok(()),
            _ => Err(bird.dump()),
        },
    );
    daemon.assert_running();
    daemon.stop();
    drop(nginx);
}
