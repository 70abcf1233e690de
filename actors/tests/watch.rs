//! Watched checks (`watch: true`) against real servers the tests start: nginx (from Debian) closing
//! idle connections again and again never pulls a healthy service, and a server killed with SIGKILL
//! is seen at once, not at the next run of a 10 s interval.

mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::prelude::*;
use anycastd::config::model::{
    AssignedAddressSpec, Check, CheckSpec, FilePresence, FileSpec, ProcessSpec, ProcessTarget,
};
use anycastd::health::ladder::ServiceState;
use anycastd_actors::check::CheckActor;
use anycastd_actors::metrics::Metrics;
use anycastd_actors::service::{ServiceActor, ServiceReport};
use support::{free_port, http_check, http_spec, service};

/// Every report of the service, with when it came.
#[derive(Clone, Default)]
struct Reports(Arc<Mutex<Vec<(Instant, ServiceState)>>>);

impl Reports {
    fn all(&self) -> Vec<(Instant, ServiceState)> {
        self.0.lock().map(|r| r.clone()).unwrap_or_default()
    }

    fn last(&self) -> Option<ServiceState> {
        self.all().last().map(|(_, s)| *s)
    }

    /// Waits until the last report is `state`; returns when it came.
    async fn wait_for(&self, state: ServiceState, within: Duration) -> Option<Instant> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some((at, s)) = self.all().last()
                && *s == state
            {
                return Some(*at);
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        None
    }
}

struct Recorder(Reports);

impl Actor for Recorder {
    type Context = Context<Self>;
}

impl Handler<ServiceReport> for Recorder {
    type Result = ();
    fn handle(&mut self, report: ServiceReport, _: &mut Self::Context) {
        if let Ok(mut all) = (self.0).0.lock() {
            all.push((Instant::now(), report.state));
        }
    }
}

/// One service with one check, its actors started; returns the reports and the metrics.
fn watch(check: Check) -> (Reports, Arc<Metrics>, Addr<CheckActor>) {
    let metrics = Metrics::new().expect("metrics");
    let reports = Reports::default();
    let recorder = Recorder(reports.clone()).start();
    let service = service("web", vec![check.clone()], None);
    let actor = ServiceActor::new(
        &service,
        Instant::now(),
        None,
        Arc::clone(&metrics),
        recorder.recipient(),
    )
    .start();
    let check = CheckActor::new(
        "web",
        0,
        check,
        Duration::ZERO,
        Arc::clone(&metrics),
        actor.recipient(),
    )
    .start();
    (reports, metrics, check)
}

/// An `http_2xx` check of `url` every 10 s, watched.
fn watched(url: &str) -> Check {
    let mut check = http_check(
        "http_2xx",
        http_spec(url),
        Duration::from_secs(10),
        Duration::from_secs(2),
    );
    check.watch = true;
    check
}

fn watch_events(metrics: &Metrics) -> u64 {
    metrics
        .check_watch_events
        .with_label_values(&["web", "http_2xx"])
        .get() as u64
}

/// A child process killed with SIGKILL (and reaped) when dropped.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// nginx in the foreground on 127.0.0.1:`port`, closing idle connections after a second.
struct Nginx {
    master: Killed,
    _dir: tempfile::TempDir,
}

impl Nginx {
    fn start(port: u16) -> Nginx {
        let dir = tempfile::tempdir().expect("tempdir");
        let d = dir.path().display();
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
    listen 127.0.0.1:{port};
    location / {{ return 200 \"ok\\n\"; }}
  }}
}}
"
        );
        let path = dir.path().join("nginx.conf");
        std::fs::write(&path, conf).expect("write nginx.conf");
        let child = Command::new("nginx")
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx is installed (scripts/install-test-deps)");
        let nginx = Nginx {
            master: Killed(child),
            _dir: dir,
        };
        wait_listening(port);
        nginx
    }

    /// SIGKILL to the master and every worker, as a crash would. The master goes first: killed
    /// before it, it would start new workers.
    fn kill_all(&mut self) {
        let workers = children_of(self.master.0.id());
        let _ = self.master.0.kill();
        let _ = self.master.0.wait();
        for pid in workers {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.kill_all();
    }
}

/// The PIDs whose parent is `parent`.
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let after = stat.rsplit_once(')')?.1.to_string();
                    after.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}

fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `python3 -m http.server` on 127.0.0.1:`port`, serving `dir`.
fn python_server(port: u16, dir: &Path) -> Killed {
    let child = Command::new("python3")
        .args(["-m", "http.server", "--bind", "127.0.0.1"])
        .arg(port.to_string())
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3");
    let killed = Killed(child);
    wait_listening(port);
    killed
}

#[test]
fn nginx_closing_the_sentinel_for_30s_never_pulls_the_service() {
    actix_rt::System::new().block_on(async {
        let port = free_port();
        let _nginx = Nginx::start(port);
        let (reports, metrics, _check) = watch(watched(&format!("http://127.0.0.1:{port}/")));
        reports
            .wait_for(ServiceState::Up, Duration::from_secs(5))
            .await
            .expect("up");
        tokio::time::sleep(Duration::from_secs(30)).await;
        let all: Vec<ServiceState> = reports.all().into_iter().map(|(_, s)| s).collect();
        assert_eq!(all, [ServiceState::Up], "no other decision than the first");
        // nginx closes the idle sentinel after its 1 s client_header_timeout: about once a
        // second, each costing one probe.
        let events = watch_events(&metrics);
        assert!(events >= 10, "only {events} watch events in 30 s");
    });
}

#[test]
fn nginx_killed_is_seen_at_once_and_its_return_at_a_later_run() {
    actix_rt::System::new().block_on(async {
        let port = free_port();
        let mut nginx = Nginx::start(port);
        let (reports, metrics, _check) = watch(watched(&format!("http://127.0.0.1:{port}/")));
        reports
            .wait_for(ServiceState::Up, Duration::from_secs(5))
            .await
            .expect("up");
        // Let the sentinel connect (it reopens within a second of each nginx close).
        tokio::time::sleep(Duration::from_millis(300)).await;
        let killed = Instant::now();
        nginx.kill_all();
        let down = reports
            .wait_for(ServiceState::Down, Duration::from_secs(3))
            .await
            .expect("down well before the 10 s interval");
        assert!(
            down - killed < Duration::from_secs(3),
            "{:?}",
            down - killed
        );
        assert!(watch_events(&metrics) >= 1);
        // Back: nginx again on the same port; the next regular run sees it (within 10 s).
        let _again = Nginx::start(port);
        reports
            .wait_for(ServiceState::Up, Duration::from_secs(12))
            .await
            .expect("up again");
    });
}

#[test]
fn python_http_server_killed_is_seen_at_once() {
    actix_rt::System::new().block_on(async {
        let port = free_port();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut server = python_server(port, dir.path());
        let (reports, metrics, _check) = watch(watched(&format!("http://127.0.0.1:{port}/")));
        reports
            .wait_for(ServiceState::Up, Duration::from_secs(5))
            .await
            .expect("up");
        tokio::time::sleep(Duration::from_millis(300)).await;
        let killed = Instant::now();
        let _ = server.0.kill();
        let _ = server.0.wait();
        let down = reports
            .wait_for(ServiceState::Down, Duration::from_secs(3))
            .await
            .expect("down well before the 10 s interval");
        let after = down - killed;
        assert!(after < Duration::from_secs(3), "{after:?}");
        assert_eq!(watch_events(&metrics), 1);
    });
}

#[test]
fn an_unwatched_check_waits_for_its_interval() {
    actix_rt::System::new().block_on(async {
        let port = free_port();
        let dir = tempfile::tempdir().expect("tempdir");
        let mut server = python_server(port, dir.path());
        let mut check = watched(&format!("http://127.0.0.1:{port}/"));
        check.watch = false;
        let (reports, metrics, _check) = watch(check);
        reports
            .wait_for(ServiceState::Up, Duration::from_secs(5))
            .await
            .expect("up");
        let _ = server.0.kill();
        let _ = server.0.wait();
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(reports.last(), Some(ServiceState::Up));
        assert_eq!(watch_events(&metrics), 0);
    });
}

/// A check of `spec` every 10 s: whatever reacts sooner is its watch.
fn every_10s(name: &str, spec: CheckSpec) -> Check {
    let mut check = http_check(
        name,
        http_spec("http://127.0.0.1/"),
        Duration::from_secs(10),
        Duration::from_secs(2),
    );
    check.spec = spec;
    check
}

fn sleeper() -> Killed {
    Killed(
        Command::new("sleep")
            .arg("1000")
            .stdin(Stdio::null())
            .spawn()
            .expect("sleep"),
    )
}

/// Writes `pid` to `path` the way daemons do: a new file renamed over the old one.
fn write_pidfile(path: &Path, pid: u32) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, format!("{pid}\n")).expect("write pidfile");
    std::fs::rename(&tmp, path).expect("rename pidfile");
}

#[test]
fn a_process_killed_fails_at_once_and_a_new_pidfile_passes_again() {
    actix_rt::System::new().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let pidfile = dir.path().join("service.pid");
        let mut first = sleeper();
        write_pidfile(&pidfile, first.0.id());
        let spec = CheckSpec::Process(ProcessSpec {
            target: ProcessTarget::Pidfile(pidfile.clone()),
            min_uptime: Duration::ZERO,
        });
        let (reports, metrics, _check) = watch(every_10s("process", spec));
        reports
            .wait_for(ServiceState::Up, Duration::from_secs(5))
            .await
            .expect("up");
        tokio::time::sleep(Duration::from_millis(100)).await;
        let killed = Instant::now();
        let _ = first.0.kill();
        let down = reports
            .wait_for(ServiceState::Down, Duration::from_secs(3))
            .await
            .expect("down at once, not at the 10 s interval");
        let _ = first.0.wait();
        assert!(
            down - killed < Duration::from_millis(50),
            "{:?}",
            down - killed
        );
        // The service restarts and rewrites its pidfile: inotify runs the check.
        let second = sleeper();
        let restarted = Instant::now();
        write_pidfile(&pidfile, second.0.id());
        let up = reports
            .wait_for(ServiceState::Up, Duration::from_secs(3))
            .await
            .expect("up again at once");
        assert!(
            up - restarted < Duration::from_secs(1),
            "{:?}",
            up - restarted
        );
        let events = metrics
            .check_watch_events
            .with_label_values(&["web", "process"])
            .get();
        assert!(events >= 2.0, "{events}");
        // The pidfd now follows the new process.
        let mut second = second;
        let _ = second.0.kill();
        reports
            .wait_for(ServiceState::Down, Duration::from_secs(3))
            .await
            .expect("down again at once");
    });
}

#[test]
fn a_process_found_by_name_passes_while_one_lives() {
    actix_rt::System::new().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        // A copy of sleep with a name of its own, so no other process matches.
        let name = format!("acdw{}", std::process::id() % 100_000);
        let program = dir.path().join(&name);
        std::fs::copy("/bin/sleep", &program).expect("copy sleep");
        let spawn = || {
            Killed(
                Command::new(&program)
                    .arg("1000")
                    .stdin(Stdio::null())
                    .spawn()
                    .expect("spawn"),
            )
        };
        let (mut a, mut b) = (spawn(), spawn());
        // Both have exec'd (until then /proc/PID/comm still shows the test's name).
        let deadline = Instant::now() + Duration::from_secs(5);
        for pid in [a.0.id(), b.0.id()] {
            while std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .map(|comm| comm.trim_end() != name)
                .unwrap_or(true)
            {
                assert!(Instant::now() < deadline, "{pid} never became {name}");
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        let spec = CheckSpec::Process(ProcessSpec {
            target: ProcessTarget::Name(name.clone()),
            min_uptime: Duration::ZERO,
        });
        let (reports, _metrics, _check) = watch(every_10s("process", spec));
        reports
            .wait_for(ServiceState::Up, Duration::from_secs(5))
            .await
            .expect("up");
        let _ = a.0.kill();
        let _ = a.0.wait();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(reports.last(), Some(ServiceState::Up), "one still lives");
        let _ = b.0.kill();
        let _ = b.0.wait();
        reports
            .wait_for(ServiceState::Down, Duration::from_secs(2))
            .await
            .expect("down once none lives");
    });
}

#[test]
fn a_file_check_reacts_to_create_delete_and_rename_at_once() {
    actix_rt::System::new().block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("maintenance");
        let spec = CheckSpec::File(FileSpec {
            path: path.clone(),
            present_means: FilePresence::Down,
        });
        let (reports, _metrics, _check) = watch(every_10s("file", spec));
        reports
            .wait_for(ServiceState::Up, Duration::from_secs(5))
            .await
            .expect("up");
        let other = dir.path().join("other");
        for round in 0..2 {
            let at = Instant::now();
            if round == 0 {
                std::fs::write(&path, "").expect("create");
            } else {
                std::fs::write(&other, "").expect("create other");
                std::fs::rename(&other, &path).expect("rename in");
            }
            reports
                .wait_for(ServiceState::Down, Duration::from_secs(2))
                .await
                .expect("down at once");
            assert!(at.elapsed() < Duration::from_secs(2));
            if round == 0 {
                std::fs::remove_file(&path).expect("delete");
            } else {
                std::fs::rename(&path, &other).expect("rename out");
            }
            reports
                .wait_for(ServiceState::Up, Duration::from_secs(2))
                .await
                .expect("up at once");
        }
    });
}

/// A loopback address added to `lo` for the test, removed when dropped.
struct LoAddress(String);

impl LoAddress {
    fn add(address: &str) -> LoAddress {
        let status = Command::new("ip")
            .args(["addr", "add", &format!("{address}/32"), "dev", "lo"])
            .status()
            .expect("ip (needs root)");
        assert!(status.success(), "ip addr add {address}");
        LoAddress(address.to_string())
    }
}

impl Drop for LoAddress {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["addr", "del", &format!("{}/32", self.0), "dev", "lo"])
            .status();
    }
}

#[test]
fn assigned_address_reacts_to_rtnetlink_at_once() {
    actix_rt::System::new().block_on(async {
        let address = format!(
            "127.77.{}.{}",
            std::process::id() % 250,
            1 + std::process::id() % 200
        );
        let spec = CheckSpec::AssignedAddress(AssignedAddressSpec {
            address: address.parse().expect("address"),
            interface: Some("lo".to_string()),
        });
        let (reports, _metrics, _check) = watch(every_10s("assigned_address", spec));
        reports
            .wait_for(ServiceState::Down, Duration::from_secs(5))
            .await
            .expect("down without the address");
        let added = LoAddress::add(&address);
        reports
            .wait_for(ServiceState::Up, Duration::from_secs(2))
            .await
            .expect("up at once");
        drop(added);
        reports
            .wait_for(ServiceState::Down, Duration::from_secs(2))
            .await
            .expect("down at once");
    });
}
