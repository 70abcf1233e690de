//! The Go daemon's README example (typo fixed, `config-examples/go-readme.yaml`) runs in the real
//! binary, and every one of its seven checks reaches a verdict.
//!
//! The example names outside hosts (google.com, pool.ntp.org, 10.0.0.252), so the daemon runs inside a
//! network namespace of this test's own with nothing but `lo`, and `ip netns exec` gives it a
//! resolv.conf that points at 127.0.0.1: nothing it does can leave the namespace.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A network namespace with `lo` up and its own `/etc/netns/NAME/resolv.conf`; deleted on drop.
struct Namespace {
    name: String,
    etc: PathBuf,
}

impl Namespace {
    fn create(name: String) -> Namespace {
        common::require_root();
        common::require_binary("/usr/sbin/ip", "iproute2");
        let etc = Path::new("/etc/netns").join(&name);
        let namespace = Namespace { name, etc };
        run(&["ip", "netns", "add", &namespace.name]);
        run(&["ip", "-n", &namespace.name, "link", "set", "lo", "up"]);
        std::fs::create_dir_all(&namespace.etc).expect("create /etc/netns/NAME");
        std::fs::write(namespace.etc.join("resolv.conf"), "nameserver 127.0.0.1\n")
            .expect("resolv.conf");
        namespace
    }

    fn exec(&self, args: &[&str]) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name]).args(args);
        command
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
        let _ = std::fs::remove_dir_all(&self.etc);
    }
}

/// The daemon, killed by PID on drop.
struct Daemon(Child);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run(args: &[&str]) {
    let status = Command::new(args[0])
        .args(&args[1..])
        .status()
        .expect("command runs");
    assert!(status.success(), "{args:?} failed: {status}");
}

#[test]
fn every_check_of_the_go_readme_example_reaches_a_verdict() {
    common::require_binary("/usr/bin/curl", "curl");
    let namespace = Namespace::create(format!("acd-goreadme-{}", std::process::id()));
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../config-examples/go-readme.yaml");
    let mut command = namespace.exec(&[env!("CARGO_BIN_EXE_anycastd"), "--config"]);
    command
        .arg(&config)
        .env("LOG_LEVEL", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut daemon = Daemon(command.spawn().expect("start anycastd in the namespace"));

    let checks = [
        "dns_lookup",
        "http_2xx",
        "tls_certificate",
        "assigned_address",
        "icmp_ping",
        "tftp_rrq",
        "ntpq",
    ];
    // The slowest check (3 tries of a 5 s timeout) is cut at its deadline, the 10 s interval.
    let deadline = Instant::now() + Duration::from_secs(30);
    let metrics = loop {
        if let Ok(Some(status)) = daemon.0.try_wait() {
            let mut stderr = String::new();
            if let Some(mut pipe) = daemon.0.stderr.take() {
                let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
            }
            panic!("anycastd exited early with {status}:\n{stderr}");
        }
        let output = namespace
            .exec(&[
                "curl",
                "-fsS",
                "--max-time",
                "2",
                "http://127.0.0.1:9090/metrics",
            ])
            .output()
            .expect("curl runs");
        let metrics = String::from_utf8_lossy(&output.stdout).into_owned();
        let missing: Vec<&str> = checks
            .iter()
            .copied()
            .filter(|check| verdict(&metrics, check).is_none())
            .collect();
        if missing.is_empty() {
            break metrics;
        }
        assert!(
            Instant::now() < deadline,
            "no verdict after 30 s for {missing:?}; /metrics:\n{metrics}"
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    for check in checks {
        let result = verdict(&metrics, check).unwrap_or_default();
        // Nothing the example points at exists in the namespace: no check may pass.
        assert_ne!(
            result, "pass",
            "{check} passed against nothing; /metrics:\n{metrics}"
        );
    }
    assert!(
        metrics
            .lines()
            .any(|line| line == "anycastd_service_up{service=\"http\"} 0"),
        "the service must be down; /metrics:\n{metrics}"
    );
    assert!(
        metrics
            .lines()
            .any(|line| line == "anycastd_route_announced{prefix=\"10.0.0.128/32\"} 0"),
        "the route must not be wanted; /metrics:\n{metrics}"
    );
}

/// The result label of the check's first run counted in `anycastd_check_runs_total`, if any.
fn verdict(metrics: &str, check: &str) -> Option<String> {
    let needle = format!("check=\"{check}\"");
    metrics
        .lines()
        .filter(|line| line.starts_with("anycastd_check_runs_total{") && line.contains(&needle))
        .filter(|line| !line.ends_with(" 0"))
        .find_map(|line| {
            line.split("result=\"")
                .nth(1)?
                .split('"')
                .next()
                .map(str::to_string)
        })
}
