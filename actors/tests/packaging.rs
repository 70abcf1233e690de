//! What the packaging ships stays true to the binary: the JSON Schema file is what
//! `--print-config-schema` prints, and every metric the Grafana dashboard queries is exported on
//! `/metrics` by a running daemon (two daemons in a network namespace of the test's own, one a
//! passive BGP neighbour of the other; needs root and iproute2).

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::{metric_names, repo};

const BIN: &str = env!("CARGO_BIN_EXE_anycastd");

#[test]
fn print_config_schema_prints_the_shipped_file() {
    let out = Command::new(BIN)
        .arg("--print-config-schema")
        .output()
        .expect("run anycastd --print-config-schema");
    assert!(out.status.success(), "exit status {}", out.status);
    let shipped = std::fs::read(repo("packaging/anycastd.schema.json")).expect("shipped schema");
    assert!(
        out.stdout == shipped,
        "packaging/anycastd.schema.json differs from --print-config-schema; run UPDATE_SCHEMA=1 cargo test -p anycastd --test core schema::"
    );
}

/// Every `anycastd_*` name in the dashboard's queries.
fn dashboard_metrics() -> BTreeSet<String> {
    let text = std::fs::read_to_string(repo("packaging/grafana/anycastd.json")).expect("dashboard");
    let dashboard: serde_json::Value = serde_json::from_str(&text).expect("dashboard is JSON");
    let mut exprs = Vec::new();
    collect_exprs(&dashboard, &mut exprs);
    assert!(
        exprs.len() >= 10,
        "expected the dashboard's queries, found {exprs:?}"
    );
    exprs.iter().flat_map(|expr| metric_names(expr)).collect()
}

fn collect_exprs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    ("expr", serde_json::Value::String(expr)) => out.push(expr.clone()),
                    ("query" | "definition", serde_json::Value::String(q)) => out.push(q.clone()),
                    _ => collect_exprs(child, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|i| collect_exprs(i, out)),
        _ => {}
    }
}

/// Families with at least one sample in a Prometheus text exposition.
fn exported(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.is_empty())
        .filter_map(|line| line.split(['{', ' ']).next())
        .map(str::to_string)
        .collect()
}

/// `/metrics` of a daemon inside the test's network namespace.
fn scrape(ns: &str, address: &str) -> Option<String> {
    let out = Command::new("ip")
        .args(["netns", "exec", ns, "curl", "-fsS", "--max-time", "2"])
        .arg(format!("http://{address}/metrics"))
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A network namespace of the test's own, deleted when dropped.
struct Netns(String);

impl Netns {
    fn create(name: String) -> Netns {
        let ok = |args: &[&str]| {
            Command::new("ip")
                .args(args)
                .status()
                .is_ok_and(|s| s.success())
        };
        assert!(
            ok(&["netns", "add", &name]),
            "cannot create network namespace {name}: this test needs root and iproute2"
        );
        let ns = Netns(name);
        assert!(
            ok(&["-n", &ns.0, "link", "set", "lo", "up"]),
            "lo up in {}",
            ns.0
        );
        ns
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "delete", &self.0])
            .status();
    }
}

/// A daemon under test, killed by its own PID when dropped.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(ns: &str, config: &Path, log: &Path) -> Daemon {
    let log = std::fs::File::create(log).expect("log file");
    Daemon(
        Command::new("ip")
            .args(["netns", "exec", ns, BIN, "--config"])
            .arg(config)
            .env("LOG_LEVEL", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start anycastd"),
    )
}

/// One daemon's configuration: a service checking its own /healthz and one BGP neighbour.
fn lab_config(me: &str, asn: u32, neighbour: &str, neighbour_asn: u32, passive: bool) -> String {
    format!(
        "announcer:\n  router_id: {me}\n  local_address: {me}\n  local_asn: {asn}\n  routes: [192.0.2.1/32]\n  peers:\n    - name: lab-{neighbour}\n      remote_address: {neighbour}\n      remote_asn: {neighbour_asn}\n      connect_retry: 1s\n      passive: {passive}\n      bfd: true\nservices:\n  - name: self\n    check_interval: 200ms\n    checks:\n      - kind: http_2xx\n        spec: {{url: \"http://{me}:9090/healthz\", method: GET, tries: 1, interval: 100ms, timeout: 1s}}\nmetrics:\n  enabled: true\n  address: \"{me}:9090\"\n"
    )
}

/// Waits until every name in `wanted` has a series in the scrape; returns what is still missing.
fn wait_for(ns: &str, address: &str, wanted: &BTreeSet<String>, within: Duration) -> Vec<String> {
    let deadline = Instant::now() + within;
    let mut missing: Vec<String> = wanted.iter().cloned().collect();
    while Instant::now() < deadline && !missing.is_empty() {
        std::thread::sleep(Duration::from_millis(200));
        if let Some(text) = scrape(ns, address) {
            missing = wanted.difference(&exported(&text)).cloned().collect();
        }
    }
    missing
}

#[test]
fn every_metric_the_dashboard_queries_is_exported() {
    let wanted = dashboard_metrics();
    let ns = Netns::create(format!("acd-packaging-dash-{}", std::process::id()));
    let dir = std::env::temp_dir().join(format!("acd-packaging-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // Two daemons in the namespace: ours connects to a passive one, so the BGP families have series;
    // then the passive one stops, so the session ends and is counted.
    let ours = dir.join("ours.yaml");
    let theirs = dir.join("theirs.yaml");
    std::fs::write(
        &ours,
        lab_config("127.0.0.1", 65001, "127.0.0.2", 65000, false),
    )
    .expect("write");
    std::fs::write(
        &theirs,
        lab_config("127.0.0.2", 65000, "127.0.0.1", 65001, true),
    )
    .expect("write");
    let neighbour = start(&ns.0, &theirs, &dir.join("theirs.log"));
    let daemon = start(&ns.0, &ours, &dir.join("ours.log"));
    let established = |text: &str| {
        text.lines()
            .any(|l| l.starts_with("anycastd_bgp_session_state{") && l.ends_with(" 6"))
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline
        && !scrape(&ns.0, "127.0.0.1:9090").is_some_and(|t| established(&t))
    {
        std::thread::sleep(Duration::from_millis(200));
    }
    let status = Command::new("kill")
        .args(["-s", "HUP", &daemon.0.id().to_string()])
        .status()
        .expect("the kill command sends SIGHUP");
    assert!(status.success(), "kill -s HUP failed");
    drop(neighbour);
    let missing = wait_for(&ns.0, "127.0.0.1:9090", &wanted, Duration::from_secs(20));
    drop(daemon);
    let log = std::fs::read_to_string(dir.join("ours.log")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        missing.is_empty(),
        "the dashboard queries metrics that /metrics does not export: {missing:?}\ndaemon log:\n{log}"
    );
}

/// The Containerfile's instructions, continuation lines joined.
fn containerfile() -> Vec<String> {
    let text = std::fs::read_to_string(repo("Containerfile")).expect("Containerfile");
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || (line.is_empty() && current.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(head) => {
                current.push_str(head);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                out.push(std::mem::take(&mut current));
            }
        }
    }
    out.retain(|i| !i.is_empty());
    out
}

#[test]
fn the_containerfile_builds_in_two_stages_and_runs_unprivileged() {
    let instructions = containerfile();
    let starts = |word: &str| -> Vec<&String> {
        instructions
            .iter()
            .filter(|i| i.split_whitespace().next() == Some(word))
            .collect()
    };
    let from = starts("FROM");
    assert_eq!(from.len(), 2, "a build stage and a runtime stage: {from:?}");
    assert!(
        from[0].ends_with("AS build"),
        "first stage is named build: {}",
        from[0]
    );
    assert!(
        !from[1].contains(" AS ") || from[1].contains("runtime"),
        "the last stage is the runtime image: {}",
        from[1]
    );
    let runtime_start = instructions
        .iter()
        .position(|i| i == from[1])
        .expect("runtime stage");
    let runtime = &instructions[runtime_start..];
    assert!(
        runtime.iter().any(|i| i.starts_with("COPY --from=build ")),
        "the runtime stage copies from the build stage"
    );
    assert!(
        !runtime.iter().any(|i| i.contains("cargo")),
        "no toolchain in the runtime stage"
    );
    let user = starts("USER");
    assert_eq!(user.len(), 1, "one USER: {user:?}");
    let uid = user[0].split_whitespace().nth(1).unwrap_or_default();
    assert!(
        !uid.starts_with("root") && !uid.starts_with("0"),
        "runs as a non-root user: {uid}"
    );
    assert!(instructions.iter().any(|i| i == "STOPSIGNAL SIGTERM"));
    let health = starts("HEALTHCHECK");
    assert!(
        health.len() == 1 && health[0].contains("ANYCASTD_HEALTHZ"),
        "{health:?}"
    );
    assert!(
        instructions
            .iter()
            .any(|i| i.starts_with("ENV ") && i.contains("/healthz")),
        "the health check URL defaults to /healthz"
    );
    let labels: String = starts("LABEL").iter().map(|l| l.as_str()).collect();
    for key in ["title", "description", "version", "licenses", "source"] {
        assert!(
            labels.contains(&format!("org.opencontainers.image.{key}=")),
            "OCI label {key} missing"
        );
    }
    assert!(
        starts("ENTRYPOINT")
            .first()
            .is_some_and(|e| e.contains("/usr/bin/anycastd"))
    );
    // The example config the image ships is one that validates.
    let copied = instructions
        .iter()
        .find(|i| i.contains("/out/config.yaml"))
        .expect("the image ships a config");
    let example = copied
        .split_whitespace()
        .find(|w| w.starts_with("config-examples/"))
        .expect("from config-examples");
    let out = Command::new(BIN)
        .arg("--check-config")
        .arg(repo(example))
        .output()
        .expect("run --check-config");
    assert!(out.status.success(), "{example} does not validate");
}

/// The `config.yaml` of the pod example's ConfigMap, and the anycastd container's image.
fn pod_example() -> (String, String) {
    let text = std::fs::read_to_string(repo("packaging/podman/anycastd-pod.yaml")).expect("pod");
    let mut lines = text.lines();
    lines
        .by_ref()
        .find(|l| l.trim() == "config.yaml: |")
        .expect("a config.yaml in a ConfigMap");
    let mut config = String::new();
    for line in lines.by_ref() {
        match line.strip_prefix("    ") {
            Some(rest) => {
                config.push_str(rest);
                config.push('\n');
            }
            None if line.trim().is_empty() => config.push('\n'),
            None => break,
        }
    }
    let image = text
        .lines()
        .skip_while(|l| l.trim() != "- name: anycastd")
        .find_map(|l| l.trim().strip_prefix("image: "))
        .expect("an anycastd container with an image")
        .to_string();
    (config, image)
}

#[test]
fn the_pod_example_carries_a_valid_config_and_the_image() {
    let (config, image) = pod_example();
    let dir = std::env::temp_dir().join(format!("acd-packaging-pod-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("config.yaml");
    std::fs::write(&path, &config).expect("write");
    let out = Command::new(BIN)
        .arg("--check-config")
        .arg(&path)
        .output()
        .expect("run --check-config");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        out.status.success(),
        "the pod's ConfigMap config does not validate:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(image, "localhost/anycastd:latest");
}

/// The unit is `Type=notify` with `WatchdogSec=`: the daemon must send `READY=1` and then keep
/// sending `WATCHDOG=1` on `NOTIFY_SOCKET`, as systemd would receive them.
#[test]
fn the_daemon_speaks_the_units_notify_protocol() {
    use std::os::unix::net::UnixDatagram;
    let dir = std::env::temp_dir().join(format!("acd-packaging-notify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let socket_path = dir.join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).expect("bind the notify socket");
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port");
    let config = dir.join("notify.yaml");
    std::fs::write(
        &config,
        format!(
            "announcer:\n  router_id: 127.0.0.1\n  local_address: 127.0.0.1\n  local_asn: 65001\n  routes: [192.0.2.1/32]\n  peers:\n    - name: nobody\n      remote_address: 127.0.0.2\n      remote_asn: 65000\nservices:\n  - name: self\n    check_interval: 200ms\n    checks:\n      - kind: http_2xx\n        spec: {{url: \"http://127.0.0.1:{port}/healthz\", method: GET, tries: 1, interval: 100ms, timeout: 1s}}\nmetrics:\n  enabled: true\n  address: \"127.0.0.1:{port}\"\n"
        ),
    )
    .expect("write the config");
    let daemon = Daemon(
        Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .env("NOTIFY_SOCKET", &socket_path)
            .env("WATCHDOG_USEC", "1000000")
            .env_remove("WATCHDOG_PID")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start anycastd"),
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let (mut ready, mut watchdog) = (false, 0);
    let mut buffer = [0u8; 4096];
    while Instant::now() < deadline && !(ready && watchdog >= 2) {
        if let Ok(n) = socket.recv(&mut buffer) {
            let message = String::from_utf8_lossy(buffer.get(..n).unwrap_or_default()).into_owned();
            ready |= message.lines().any(|l| l == "READY=1");
            if message.lines().any(|l| l == "WATCHDOG=1") {
                watchdog += 1;
            }
        }
    }
    drop(daemon);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ready, "no READY=1 on NOTIFY_SOCKET within 20 s");
    assert!(
        watchdog >= 2,
        "WATCHDOG=1 arrived {watchdog} times; WatchdogSec= would kill the daemon"
    );
}
