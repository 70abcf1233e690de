//! The real binary against careless files and impatient operators: start failures, FIFOs and
//! devices as configuration or key files, a reload that cannot start its new neighbour, signals
//! during long work, and requests with the wrong method. A raw BGP neighbour watches the
//! KEEPALIVEs from outside.

mod hostile;
mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use hostile::daemon::{
    Daemon, KEEPALIVE, NOTIFICATION, RawPeer, anycastd, config, mkfifo, peer, request,
};
use support::{free_port, metric};

fn metrics_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], free_port()))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The longest gap between two KEEPALIVEs received after `from`, counting up to now.
fn longest_keepalive_gap(raw: &RawPeer, from: Instant) -> Duration {
    let mut last = from;
    let mut longest = Duration::ZERO;
    for seen in raw
        .seen()
        .iter()
        .filter(|m| m.kind == KEEPALIVE && m.at > from)
    {
        longest = longest.max(seen.at - last);
        last = seen.at;
    }
    longest.max(Instant::now() - last)
}

#[test]
fn a_start_failure_of_any_peer_is_one_line_and_exit_1_and_check_config_reports_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("absent.key");
    let peers = format!(
        "{}{}",
        peer("r1", "127.0.0.2", 179, ""),
        peer(
            "r2",
            "127.0.0.3",
            179,
            &format!("      md5_password_file: {}\n", missing.display())
        )
    );
    let path = dir.path().join("c.yaml");
    std::fs::write(&path, config(&peers, metrics_addr(), "")).expect("write");
    let out = anycastd().arg("--config").arg(&path).output().expect("run");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // One ERROR log line, in the logger's format like every start-up error.
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!(
            "ERROR anycastd: peer r2: md5_password_file {}: cannot read: No such file or directory (os error 2)",
            missing.display()
        )),
        "{err}"
    );
    let out = anycastd()
        .arg("--check-config")
        .arg(&path)
        .output()
        .expect("run");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("peer r2: md5_password_file"), "{err}");

    // A passive neighbour whose listening address cannot be bound, after an active one started.
    let peers = format!(
        "{}{}",
        peer("r1", "127.0.0.2", 179, ""),
        peer(
            "r2",
            "127.0.0.3",
            179,
            "      passive: true\n      local_address: 192.0.2.77\n"
        )
    );
    std::fs::write(&path, config(&peers, metrics_addr(), "")).expect("write");
    let out = anycastd().arg("--config").arg(&path).output().expect("run");
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("ERROR anycastd: peer r2: bind 192.0.2.77:179:"),
        "{err}"
    );
}

#[test]
fn a_fifo_or_a_device_as_config_exits_2_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("fifo.yaml");
    mkfifo(&fifo);
    for (path, kind) in [
        (fifo.as_path(), "a FIFO"),
        ("/dev/zero".as_ref(), "a character device"),
    ] {
        for args in [vec!["--check-config"], vec!["--config"]] {
            let started = Instant::now();
            let mut child = anycastd()
                .args(&args)
                .arg(path)
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("run");
            let mut status = None;
            while started.elapsed() < Duration::from_secs(10) && status.is_none() {
                status = child.try_wait().expect("wait");
                std::thread::sleep(Duration::from_millis(10));
            }
            if status.is_none() {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{args:?} {}: still running after 10 s", path.display());
            }
            let out = child.wait_with_output().expect("output");
            let err = text(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{args:?} {}: {err}",
                path.display()
            );
            // `--check-config` prints the line as it is; the daemon logs it at ERROR.
            let line = format!(
                "{}: not a regular file (it is {kind}); only a regular file is read",
                path.display()
            );
            assert_eq!(err.lines().count(), 1, "{err}");
            if args == ["--check-config"] {
                assert_eq!(err, format!("{line}\n"));
            } else {
                assert!(err.contains(&format!("ERROR anycastd: {line}")), "{err}");
            }
        }
    }
    // Past the size limit: refused with the limit in the message.
    let big = dir.path().join("big.yaml");
    let file = std::fs::File::create(&big).expect("create");
    file.set_len(16 * 1024 * 1024 + 1).expect("grow");
    let out = anycastd()
        .arg("--check-config")
        .arg(&big)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!(
            "{}: larger than the 16 MiB limit; refused without reading it\n",
            big.display()
        )
    );
}

#[test]
fn a_reload_whose_new_peer_key_is_a_fifo_keeps_the_daemon_answering_and_counts_a_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = RawPeer::start();
    let metrics = metrics_addr();
    let path = dir.path().join("c.yaml");
    let first = peer("r1", "127.0.0.1", raw.port, "");
    std::fs::write(&path, config(&first, metrics, "")).expect("write");
    let mut daemon = Daemon::start(&path, metrics, dir.path().join("log"));
    daemon.wait_metrics("r1 Established", |t| {
        metric(t, "anycastd_bgp_session_state", &[("peer", "r1")]) == Some(6.0)
    });
    assert!(raw.wait_for(KEEPALIVE, Duration::from_secs(10)));

    let fifo = dir.path().join("r2.key");
    mkfifo(&fifo);
    let second = peer(
        "r2",
        "127.0.0.3",
        179,
        &format!("      md5_password_file: {}\n", fifo.display()),
    );
    std::fs::write(&path, config(&format!("{first}{second}"), metrics, "")).expect("write");
    let reloaded = Instant::now();
    daemon.signal("HUP");
    // For 6 s: /healthz answers every time, and KEEPALIVEs keep coming, never a hold time (3 s)
    // apart: the neighbour keeps the session.
    while reloaded.elapsed() < Duration::from_secs(6) {
        let asked = Instant::now();
        let answer = daemon.get("/healthz");
        assert_eq!(
            answer.as_ref().map(|(status, _)| *status),
            Some(200),
            "/healthz during the reload: {answer:?}; log:\n{}",
            daemon.log_text()
        );
        assert!(
            asked.elapsed() < Duration::from_secs(2),
            "/healthz took {:?}",
            asked.elapsed()
        );
        let gap = longest_keepalive_gap(&raw, reloaded);
        assert!(
            gap < Duration::from_secs(3),
            "no KEEPALIVE for {gap:?} during the reload; log:\n{}",
            daemon.log_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(raw.count(NOTIFICATION), 0, "the session must stay up");
    // The new neighbour could not start: the reload failed, the old configuration runs on.
    let text = daemon.wait_metrics("the reload counted", |t| {
        metric(t, "anycastd_config_reload_total", &[("result", "failure")]) == Some(1.0)
    });
    assert_eq!(
        metric(
            &text,
            "anycastd_config_reload_total",
            &[("result", "success")]
        ),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, "anycastd_config_last_reload_success", &[]),
        Some(0.0)
    );
    assert!(
        daemon.log_text().contains("a FIFO"),
        "{}",
        daemon.log_text()
    );
    daemon.signal("TERM");
    let status = daemon.wait_exit(Duration::from_secs(15));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "{}",
        daemon.log_text()
    );
}

#[test]
fn a_reload_whose_added_peer_cannot_start_counts_as_a_failure() {
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics = metrics_addr();
    let path = dir.path().join("c.yaml");
    let first = peer("r1", "127.0.0.2", 179, "");
    std::fs::write(&path, config(&first, metrics, "")).expect("write");
    let mut daemon = Daemon::start(&path, metrics, dir.path().join("log"));
    daemon.wait_metrics("started", |t| {
        metric(t, "anycastd_bgp_session_state", &[("peer", "r1")]).is_some()
    });
    let second = peer(
        "r2",
        "127.0.0.3",
        179,
        "      passive: true\n      local_address: 192.0.2.77\n",
    );
    std::fs::write(&path, config(&format!("{first}{second}"), metrics, "")).expect("write");
    daemon.signal("HUP");
    let text = daemon.wait_metrics("the reload counted", |t| {
        metric(t, "anycastd_config_reload_total", &[("result", "failure")]).unwrap_or(0.0)
            + metric(t, "anycastd_config_reload_total", &[("result", "success")]).unwrap_or(0.0)
            >= 1.0
    });
    assert_eq!(
        metric(
            &text,
            "anycastd_config_reload_total",
            &[("result", "failure")]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, "anycastd_config_last_reload_success", &[]),
        Some(0.0)
    );
}

#[test]
fn sigterm_during_a_reload_of_a_fifo_config_stops_the_daemon_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics = metrics_addr();
    let path = dir.path().join("c.yaml");
    std::fs::write(
        &path,
        config(&peer("r1", "127.0.0.2", 179, ""), metrics, ""),
    )
    .expect("write");
    let mut daemon = Daemon::start(&path, metrics, dir.path().join("log"));
    daemon.wait_metrics("started", |t| {
        metric(t, "anycastd_service_up", &[("service", "web")]) == Some(1.0)
    });
    std::fs::remove_file(&path).expect("remove");
    mkfifo(&path);
    daemon.signal("HUP");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        daemon.get("/healthz").map(|(s, _)| s),
        Some(200),
        "{}",
        daemon.log_text()
    );
    daemon.signal("TERM");
    let status = daemon.wait_exit(Duration::from_secs(5));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "SIGTERM after a SIGHUP on a FIFO; log:\n{}",
        daemon.log_text()
    );
}

#[test]
fn a_second_sigterm_during_the_drain_time_stops_at_once_with_a_cease() {
    let dir = tempfile::tempdir().expect("tempdir");
    let raw = RawPeer::start();
    let metrics = metrics_addr();
    let path = dir.path().join("c.yaml");
    let extra = "shutdown:\n  drain_time: 5m\n";
    std::fs::write(
        &path,
        config(&peer("r1", "127.0.0.1", raw.port, ""), metrics, extra),
    )
    .expect("write");
    let mut daemon = Daemon::start(&path, metrics, dir.path().join("log"));
    daemon.wait_metrics("r1 Established", |t| {
        metric(t, "anycastd_bgp_session_state", &[("peer", "r1")]) == Some(6.0)
    });
    daemon.signal("TERM");
    // Draining: still running a second later.
    assert!(
        daemon.wait_exit(Duration::from_secs(1)).is_none(),
        "{}",
        daemon.log_text()
    );
    daemon.signal("INT");
    let status = daemon.wait_exit(Duration::from_secs(8));
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "a second stop signal during the drain; log:\n{}",
        daemon.log_text()
    );
    // Withdraw, then Cease / Administrative Shutdown (6/2).
    assert!(raw.wait_for(NOTIFICATION, Duration::from_secs(2)));
    let cease = raw
        .seen()
        .into_iter()
        .find(|m| m.kind == NOTIFICATION)
        .expect("a NOTIFICATION");
    assert_eq!(cease.body.get(..2), Some(&[6u8, 2][..]), "{cease:?}");
}

#[test]
fn wrong_methods_get_405_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let metrics = metrics_addr();
    let path = dir.path().join("c.yaml");
    std::fs::write(
        &path,
        config(&peer("r1", "127.0.0.2", 179, ""), metrics, ""),
    )
    .expect("write");
    let mut daemon = Daemon::start(&path, metrics, dir.path().join("log"));
    daemon.wait_metrics("serving", |_| true);
    for path in ["/metrics", "/healthz", "/status"] {
        for method in ["HEAD", "POST", "PUT", "DELETE"] {
            let asked = Instant::now();
            let answer = request(metrics, method, path);
            assert_eq!(
                answer.as_ref().map(|(s, _)| *s),
                Some(405),
                "{method} {path}: {answer:?}"
            );
            assert!(
                asked.elapsed() < Duration::from_millis(800),
                "{method} {path} took {:?}",
                asked.elapsed()
            );
        }
    }
    assert_eq!(
        request(metrics, "GET", "/nowhere").map(|(s, _)| s),
        Some(404)
    );
}
