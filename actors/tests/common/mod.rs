//! Helpers for the probe tests: real servers started as child processes and killed by PID on drop,
//! free loopback ports, and reading metric values back from a `prometheus::Registry`.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anycastd_actors::probe::{ProbeContext, ProbeMetrics};

/// A child process that is killed (by its own PID) and reaped when the guard drops.
pub struct Server {
    child: Child,
    name: &'static str,
}

impl Server {
    /// Starts `command`, failing loudly when `binary` is missing (naming the Debian `package`).
    pub fn start(binary: &str, package: &str, mut command: Command, name: &'static str) -> Server {
        require_binary(binary, package);
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary} ({name}): {e}"));
        Server { child, name }
    }

    /// The server's PID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Panics when the server already exited (a bad config, a port in use).
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited early: {status}", self.name);
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Panics with the Debian package to install when `binary` is missing.
pub fn require_binary(binary: &str, package: &str) {
    assert!(
        Path::new(binary).exists(),
        "{binary} is missing: install the Debian package `{package}` (apt-get install -y {package})"
    );
}

/// Panics unless running as root (network namespaces, raw sockets).
pub fn require_root() {
    let uid = rustix::process::geteuid();
    assert!(
        uid.is_root(),
        "this test needs root (network namespaces / raw sockets); uid is {}",
        uid.as_raw()
    );
}

/// A UDP port that was free on `ip` a moment ago.
pub fn free_udp_port(ip: &str) -> u16 {
    let socket = UdpSocket::bind((ip, 0)).expect("bind a UDP probe port");
    socket.local_addr().expect("local addr").port()
}

/// A port free for both UDP and TCP on `ip`.
pub fn free_port(ip: &str) -> u16 {
    loop {
        let tcp = TcpListener::bind((ip, 0)).expect("bind a TCP probe port");
        let port = tcp.local_addr().expect("local addr").port();
        if UdpSocket::bind((ip, port)).is_ok() {
            return port;
        }
    }
}

/// Waits until `ready()` holds, panicking after `limit` with `what`.
pub fn wait_until(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "{what} not ready after {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until a TCP listener accepts on `addr`.
pub fn wait_tcp(addr: SocketAddr) {
    wait_until(
        &format!("TCP listener on {addr}"),
        Duration::from_secs(10),
        || std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok(),
    );
}

/// A fresh registry with the probe metrics registered, and a context for `service`/`check`.
pub fn context(check: &str) -> (prometheus::Registry, ProbeContext) {
    let registry = prometheus::Registry::new();
    let metrics: Arc<ProbeMetrics> =
        ProbeMetrics::register(&registry).expect("register probe metrics");
    (
        registry,
        ProbeContext {
            service: "svc".to_owned(),
            check: check.to_owned(),
            metrics,
        },
    )
}

/// The value of the series `name{labels}` in `registry`, if present.
pub fn metric(registry: &prometheus::Registry, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    for family in registry.gather() {
        if family.name() != name {
            continue;
        }
        let counter = family.get_field_type() == prometheus::proto::MetricType::COUNTER;
        for m in family.get_metric() {
            let matches = labels.iter().all(|(k, v)| {
                m.get_label()
                    .iter()
                    .any(|l| l.name() == *k && l.value() == *v)
            });
            if matches && m.get_label().len() == labels.len() {
                return Some(if counter {
                    m.get_counter().get_value()
                } else {
                    m.get_gauge().get_value()
                });
            }
        }
    }
    None
}

/// A UDP server on `ip` run by a thread: `answer` maps each datagram to an optional reply. The
/// thread ends (its socket closed) within 100 ms of the guard being dropped.
pub struct UdpServer {
    pub addr: SocketAddr,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl UdpServer {
    pub fn new(ip: &str, answer: impl Fn(&[u8]) -> Option<Vec<u8>> + Send + 'static) -> UdpServer {
        let socket = UdpSocket::bind((ip, 0)).expect("bind a test UDP server");
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("read timeout");
        let addr = socket.local_addr().expect("local addr");
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 2048];
            while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok((n, from)) = socket.recv_from(&mut buffer) {
                    if let Some(reply) = answer(&buffer[..n]) {
                        let _ = socket.send_to(&reply, from);
                    }
                }
            }
        });
        UdpServer { addr, stop }
    }

    /// A server that reads every datagram and never answers.
    pub fn silent(ip: &str) -> UdpServer {
        UdpServer::new(ip, |_| None)
    }
}

impl Drop for UdpServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// A network namespace created for one test and deleted on drop. Its name is unique
/// (`acd-<area>-<pid>-<n>`).
pub struct Netns {
    pub name: String,
}

static NETNS_COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// Runs `ip ARGS`, panicking with its stderr on failure.
pub fn ip(args: &[&str]) {
    require_binary("/usr/sbin/ip", "iproute2");
    let out = Command::new("/usr/sbin/ip")
        .args(args)
        .output()
        .expect("run ip");
    assert!(
        out.status.success(),
        "ip {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Netns {
    /// Creates the namespace with its loopback up.
    pub fn new(area: &str) -> Netns {
        require_root();
        let n = NETNS_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("acd-{area}-{}-{n}", std::process::id());
        ip(&["netns", "add", &name]);
        let ns = Netns { name };
        ns.exec(&["link", "set", "lo", "up"]);
        ns
    }

    /// Runs `ip ARGS` inside the namespace.
    pub fn exec(&self, args: &[&str]) {
        let mut all = vec!["-n", self.name.as_str()];
        all.extend_from_slice(args);
        ip(&all);
    }

    /// Re-executes this test binary inside the namespace, running only `test` with `env` set
    /// (`prefix` is put before the binary, e.g. `setpriv` to drop privileges). Panics unless the
    /// child test passes.
    pub fn run_test(&self, test: &str, env: &[(&str, &str)], prefix: &[&str]) {
        let exe = std::env::current_exe().expect("current exe");
        let mut command = Command::new("/usr/sbin/ip");
        command
            .args(["netns", "exec", &self.name])
            .args(prefix)
            .arg(&exe);
        command.args(["--exact", test, "--nocapture", "--test-threads=1"]);
        for (k, v) in env {
            command.env(k, v);
        }
        let out = command
            .output()
            .expect("run the test binary in the namespace");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{test} inside {} failed:\n{stdout}\n{}",
            self.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("/usr/sbin/ip")
            .args(["netns", "delete", &self.name])
            .status();
    }
}

/// The environment variable that tells a re-executed test it runs inside its namespace.
pub const IN_NETNS: &str = "ACD_PROBE_TEST_IN_NETNS";

/// True in the re-executed child.
pub fn in_netns() -> bool {
    std::env::var_os(IN_NETNS).is_some()
}

/// A current-thread tokio runtime for tests that re-execute themselves.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// How many IPv4 sockets are in TIME_WAIT towards `port` on 127.0.0.1 (client side), from
/// /proc/net/tcp: what a probe that closes with a FIN leaves behind for a minute.
pub fn time_wait_towards(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("read /proc/net/tcp");
    let remote = format!("0100007F:{port:04X}");
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            fields.get(2) == Some(&remote.as_str()) && fields.get(3) == Some(&"06")
        })
        .count()
}
