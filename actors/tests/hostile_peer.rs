//! The `anycastd` binary against a hostile BGP neighbour on loopback: a raw peer built on the
//! project's codec that completes the OPEN exchange, keeps sending KEEPALIVEs (and ROUTE-REFRESH
//! requests) and never reads, with a tiny receive buffer so that our output stalls at once.
//!
//! - The Send Hold Timer (RFC 9687) resets such a session within twice the hold time.
//! - A ROUTE-REFRESH flood from such a neighbour leaves the daemon's memory (VmRSS from
//!   /proc/PID/status) bounded: requests are coalesced while output waits.
//!
//! Bounds are generous; the figures are in docs/performance.md.

mod support;

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anycastd::bgp::codec::{
    self, Afi, Capability, DecodeContext, EncodeContext, Message, Open, RouteRefresh, Safi,
};
use bytes::BytesMut;
use socket2::{Domain, Socket, Type};
use support::{free_port, metric};

const BIN: &str = env!("CARGO_BIN_EXE_anycastd");
const PEER: &str = "hostile";

/// The daemon under test; killed (by its own PID) when dropped.
struct Daemon {
    child: Child,
    log: PathBuf,
    metrics: SocketAddr,
    _dir: tempfile::TempDir,
}

impl Daemon {
    /// Starts the daemon with one peer towards `bgp` (hold time `hold` seconds) and `routes`
    /// prefixes announced while a `tcp_connect` check of `service` passes.
    fn start(bgp: SocketAddr, service: SocketAddr, routes: usize, hold: u16) -> Daemon {
        let dir = tempfile::tempdir().expect("temp dir");
        let metrics = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let mut yaml = String::from(
            "announcer:\n  router_id: 192.0.2.254\n  local_address: 127.0.0.1\n  local_asn: 65001\n  routes:\n",
        );
        for i in 0..routes {
            yaml.push_str(&format!("    - 10.{}.{}.0/24\n", i / 256, i % 256));
        }
        yaml.push_str(&format!(
            "  peers:\n    - name: {PEER}\n      remote_address: {}\n      remote_port: {}\n      remote_asn: 65002\n      hold_time: {hold}\n      connect_retry: 1s\n",
            bgp.ip(),
            bgp.port()
        ));
        yaml.push_str(&format!(
            "services:\n  - name: svc\n    check_interval: 200ms\n    checks:\n      - kind: tcp_connect\n        spec: {{address: \"{service}\", timeout: 1s}}\nmetrics:\n  enabled: true\n  address: \"{metrics}\"\n"
        ));
        let config = dir.path().join("config.yaml");
        std::fs::write(&config, yaml).expect("write the config");
        let log = dir.path().join("anycastd.log");
        let child = Command::new(BIN)
            .env_remove("CONFIG_PATH")
            .env_remove("LOG_FORMAT")
            .env("LOG_LEVEL", "warn")
            .arg("--config")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("cannot start the anycastd binary");
        Daemon {
            child,
            log,
            metrics,
            _dir: dir,
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn scrape(&mut self) -> String {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("anycastd exited with {status}; log:\n{}", self.log_text());
        }
        http_get(self.metrics, "/metrics").unwrap_or_default()
    }

    /// The daemon's resident memory in KiB (`VmRSS` of /proc/PID/status).
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("read /proc/PID/status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/PID/status")
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A blocking HTTP/1.0 GET.
fn http_get(addr: SocketAddr, path: &str) -> Option<String> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response.split_once("\r\n\r\n")?.1.to_string())
}

/// A listener whose connections get a receive buffer as small as the kernel allows, so that a
/// neighbour that does not read stops our output after a few hundred bytes.
fn tiny_listener() -> TcpListener {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("socket");
    socket.set_recv_buffer_size(1).expect("SO_RCVBUF");
    socket.set_reuse_address(true).expect("SO_REUSEADDR");
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
    socket.bind(&addr.into()).expect("bind");
    socket.listen(8).expect("listen");
    socket.into()
}

fn encode(message: &Message) -> Vec<u8> {
    let mut out = BytesMut::new();
    message.encode(
        &EncodeContext {
            four_octet_as: true,
        },
        &mut out,
    );
    out.to_vec()
}

/// The hostile neighbour: accepts the daemon's connection, reads its OPEN, answers with OPEN and
/// KEEPALIVE (proposing `hold` seconds), and from then on only writes.
fn handshake(listener: &TcpListener, hold: u16) -> TcpStream {
    listener.set_nonblocking(false).expect("blocking listener");
    let (mut stream, _) = listener.accept().expect("the daemon connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(15)))
        .expect("read timeout");
    stream
        .set_write_timeout(Some(Duration::from_secs(5)))
        .expect("write timeout");
    let mut buffer = Vec::new();
    let open = loop {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).expect("the daemon's OPEN");
        assert!(n > 0, "the daemon closed before its OPEN");
        buffer.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if let Some(len) = codec::frame_len(&buffer).expect("valid framing")
            && len <= buffer.len()
        {
            let frame = buffer.get(..len).unwrap_or_default();
            break Message::decode(frame, &DecodeContext::default()).expect("an OPEN");
        }
    };
    assert!(matches!(open, Message::Open(_)), "first message {open:?}");
    let ours = Message::Open(Open {
        version: 4,
        my_as: 65002,
        hold_time: hold,
        router_id: Ipv4Addr::new(192, 0, 2, 2),
        capabilities: vec![
            Capability::MultiProtocol(Afi::Ipv4, Safi::Unicast),
            Capability::RouteRefresh,
            Capability::FourOctetAs(65002),
        ],
    });
    stream.write_all(&encode(&ours)).expect("send OPEN");
    stream
        .write_all(&encode(&Message::Keepalive))
        .expect("send KEEPALIVE");
    stream
}

/// The checked service: a listener that accepts and drops every connection.
fn service() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("service");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for connection in listener.incoming() {
            drop(connection);
        }
    });
    addr
}

fn session_state(text: &str) -> Option<f64> {
    metric(text, "anycastd_bgp_session_state", &[("peer", PEER)])
}

/// Waits until the session is Established; returns when it was seen.
fn wait_established(daemon: &mut Daemon) -> Instant {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if session_state(&daemon.scrape()) == Some(6.0) {
            return Instant::now();
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no Established session; log:\n{}", daemon.log_text());
}

#[test]
fn a_neighbour_that_never_reads_is_reset_by_the_send_hold_timer() {
    let listener = tiny_listener();
    let service = service();
    let bgp = listener.local_addr().expect("addr");
    // 2000 prefixes: some 10 kB of UPDATEs, far more than the neighbour's window.
    let mut daemon = Daemon::start(bgp, service, 2000, 3);
    let mut stream = handshake(&listener, 3);
    let established = wait_established(&mut daemon);
    // Hold time 3 s: the Send Hold Timer is 6 s. The neighbour keeps the session alive with
    // KEEPALIVEs every 500 ms and never reads.
    let bound = Duration::from_secs(20);
    let down = loop {
        let text = daemon.scrape();
        let expired = metric(
            &text,
            "anycastd_bgp_session_down_total",
            &[("peer", PEER), ("reason", "send_hold_timer_expired")],
        );
        if expired == Some(1.0) {
            break established.elapsed();
        }
        assert!(
            established.elapsed() < bound,
            "no Send Hold Timer reset within {bound:?} of Established; /metrics:\n{text}\nlog:\n{}",
            daemon.log_text()
        );
        // A write error means the daemon dropped the connection: the counter tells why.
        let _ = stream.write_all(&encode(&Message::Keepalive));
        std::thread::sleep(Duration::from_millis(500));
    };
    assert!(
        down >= Duration::from_secs(5),
        "reset after {down:?}, before the 6 s Send Hold Timer could expire"
    );
    assert!(
        daemon.log_text().contains("Send Hold Timer Expired"),
        "the NOTIFICATION is logged; log:\n{}",
        daemon.log_text()
    );
    // The connection is gone (reset once the rest could not be handed over): writes fail.
    let gone = Instant::now() + Duration::from_secs(15);
    loop {
        if stream.write_all(&encode(&Message::Keepalive)).is_err() {
            break;
        }
        assert!(
            Instant::now() < gone,
            "the daemon still holds the connection; log:\n{}",
            daemon.log_text()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    println!("send hold timer reset after {down:?} (hold time 3 s, send hold time 6 s)");
}

#[test]
fn a_route_refresh_flood_from_a_neighbour_that_never_reads_leaves_memory_bounded() {
    let listener = tiny_listener();
    let service = service();
    let bgp = listener.local_addr().expect("addr");
    // 5000 prefixes (about 25 kB per copy of the table); hold time 90 s, so the Send Hold Timer
    // (180 s) does not end the flood: only coalescing or the output cap keep the memory bounded.
    let mut daemon = Daemon::start(bgp, service, 5000, 90);
    let mut stream = handshake(&listener, 90);
    wait_established(&mut daemon);
    std::thread::sleep(Duration::from_secs(1));
    let baseline = daemon.rss_kib();
    let refresh = encode(&Message::RouteRefresh(RouteRefresh {
        afi: Afi::Ipv4,
        safi: Safi::Unicast,
    }));
    let keepalive = encode(&Message::Keepalive);
    // 64 requests per write, for 20 s; KEEPALIVEs keep the session up. The bound leaves room for
    // the 16 MiB output cap and the socket buffers; coalesced requests need none of it.
    let burst: Vec<u8> = refresh.repeat(64);
    let limit_kib = baseline + 24 * 1024;
    let start = Instant::now();
    let mut requests = 0u64;
    let mut peak = baseline;
    let mut stalled = false;
    while start.elapsed() < Duration::from_secs(20) {
        for _ in 0..50 {
            if stream.write_all(&burst).is_err() {
                stalled = true;
                break;
            }
            requests += 64;
        }
        if stalled || stream.write_all(&keepalive).is_err() {
            // The daemon stopped reading (5 s write time-out) or reset the connection.
            stalled = true;
            break;
        }
        peak = peak.max(daemon.rss_kib());
        assert!(
            peak < limit_kib,
            "VmRSS {peak} KiB after {requests} ROUTE-REFRESH requests in {:?} (baseline {baseline} KiB, bound {limit_kib} KiB)",
            start.elapsed()
        );
    }
    std::thread::sleep(Duration::from_secs(1));
    peak = peak.max(daemon.rss_kib());
    assert!(peak < limit_kib, "VmRSS {peak} KiB (bound {limit_kib} KiB)");
    let text = daemon.scrape();
    let out_of_resources = metric(
        &text,
        "anycastd_bgp_session_down_total",
        &[("peer", PEER), ("reason", "sent_cease")],
    );
    assert!(
        session_state(&text) == Some(6.0) || out_of_resources.is_some(),
        "the refreshes were coalesced (session up) or the session was reset with Cease / Out of Resources; writes stalled or failed: {stalled}\n{text}"
    );
    println!(
        "{requests} ROUTE-REFRESH requests in {:?}: VmRSS baseline {baseline} KiB, peak {peak} KiB",
        start.elapsed()
    );
}
