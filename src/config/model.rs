//! The validated configuration: what the rest of anycastd consumes.
//!
//! Every value here has passed validation (`config::load`): ranges are checked, durations are positive,
//! names are unique, defaults are filled in. Later features add fields here; they never weaken a type.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::Duration;

use crate::bgp::types::{Asn, HoldTime, Prefix};

pub use super::model_health::*;

/// The whole configuration file, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The file this configuration was read from (used in messages and by `--diff`).
    pub source: PathBuf,
    /// BGP speaker settings and the neighbours to announce to.
    pub announcer: Announcer,
    /// The health-checked services, in file order.
    pub services: Vec<Service>,
    /// The Prometheus / health HTTP endpoint.
    pub metrics: Metrics,
    /// What happens on SIGTERM / SIGINT. Extension.
    pub shutdown: Shutdown,
    /// Reload guard and drain switch. Extension.
    pub lifecycle: Lifecycle,
    /// The control socket `anycastd ctl` talks to. Extension.
    pub control: Control,
}

/// `announcer`: the local BGP speaker.
#[derive(Debug, Clone, PartialEq)]
pub struct Announcer {
    /// BGP Identifier sent in OPEN.
    pub router_id: Ipv4Addr,
    /// Default TCP source address of every session and NEXT_HOP of every route of the same family.
    pub local_address: IpAddr,
    /// Our AS number (4-octet allowed).
    pub local_asn: Asn,
    /// Prefixes of services that have no `routes` of their own (DESIGN §5). May be empty when every
    /// service lists its own routes.
    pub routes: Vec<Prefix>,
    /// The BGP neighbours, in file order; `remote_address` is unique.
    pub peers: Vec<Peer>,
    /// Extension `next_hop_ipv6`: NEXT_HOP for IPv6 prefixes sent over IPv4 sessions (MP-BGP).
    /// When absent, IPv6 prefixes are only sent over IPv6 sessions (next hop = the session's source).
    pub next_hop_ipv6: Option<Ipv6Addr>,
    /// Extension `next_hop_ipv4`: NEXT_HOP for IPv4 prefixes sent over IPv6 sessions.
    pub next_hop_ipv4: Option<Ipv4Addr>,
    /// Extension `graceful_restart` (RFC 4724).
    pub graceful_restart: GracefulRestart,
}

/// `announcer.graceful_restart`. Extension; disabled by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GracefulRestart {
    /// Advertise the Graceful Restart capability.
    pub enabled: bool,
    /// Restart Time advertised (at most 4095 s).
    pub restart_time: Duration,
}

impl Default for GracefulRestart {
    fn default() -> Self {
        Self {
            enabled: false,
            restart_time: Duration::from_secs(120),
        }
    }
}

/// `announcer.peers[]`: one BGP neighbour.
#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    /// Configured name; the `peer` label of every metric and log line.
    pub name: String,
    /// Neighbour address (IPv4 or IPv6).
    pub remote_address: IpAddr,
    /// Neighbour AS; equal to `local_asn` means iBGP.
    pub remote_asn: Asn,
    /// Extension `remote_port` (default 179).
    pub remote_port: u16,
    /// Extension `local_address`: TCP source for this session; defaults to `announcer.local_address`
    /// when of the same family as `remote_address`.
    pub local_address: Option<IpAddr>,
    /// Outgoing IP TTL / hop limit: `Some(ttl)` from `enable_multihop` + `multihop_ttl`
    /// (`multihop_ttl` absent or 0 means 255, as the Go daemon's GoBGP did); `None` means directly
    /// connected (TTL 1 for eBGP, the OS default for iBGP).
    pub multihop_ttl: Option<u8>,
    /// Extension `passive`: wait for the neighbour to connect instead of connecting out.
    pub passive: bool,
    /// Extension `hold_time` (default 90 s; 0 or 3..=65535).
    pub hold_time: HoldTime,
    /// Extension `connect_retry`: first reconnect delay (default 5 s); doubles up to 120 s, with jitter.
    pub connect_retry: Duration,
    /// Extension `md5_password` / `md5_password_file` (RFC 2385 TCP MD5 signature).
    pub md5: Option<Md5Key>,
    /// Extension `ttl_security` (RFC 5082 GTSM): send TTL 255 and require at least 255 - hops + 1.
    pub ttl_security: bool,
    /// Extension `bfd` (RFC 5880/5881/5883), the peer's own or `announcer.bfd`; `None`: no BFD.
    pub bfd: Option<Bfd>,
    /// Extension `send_hold_time` (RFC 9687), the peer's own or `announcer.send_hold_time`: `None`
    /// is twice the negotiated hold time; zero turns the SendHoldTimer off.
    pub send_hold_time: Option<Duration>,
}

/// A peer's BFD session parameters (`bfd: true` gives FRR's defaults, 300 ms x 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bfd {
    /// `min_tx_interval`: Desired Min TX Interval once Up (10 ms to 60 s).
    pub min_tx: Duration,
    /// `min_rx_interval`: Required Min RX Interval (10 ms to 60 s).
    pub min_rx: Duration,
    /// `multiplier`: Detect Mult (1 to 255).
    pub multiplier: u8,
}

impl Default for Bfd {
    fn default() -> Bfd {
        Bfd {
            min_tx: Duration::from_millis(300),
            min_rx: Duration::from_millis(300),
            multiplier: 3,
        }
    }
}

/// Where the TCP MD5 key comes from. A file is read by the daemon at start and on reload.
#[derive(Clone, PartialEq, Eq)]
pub enum Md5Key {
    /// `md5_password`: the key itself (at most 80 bytes).
    Inline(String),
    /// `md5_password_file`: a file whose content (trailing newline removed) is the key.
    File(PathBuf),
}

impl std::fmt::Debug for Md5Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Inline(_) => f.write_str("Inline(<redacted>)"),
            Self::File(path) => f.debug_tuple("File").field(path).finish(),
        }
    }
}

/// `services[]`: one health-checked service.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// Unique name; the `service` label of metrics.
    pub name: String,
    /// Time between evaluations (default interval of its checks).
    pub check_interval: Duration,
    /// How check results combine into the service's health.
    pub strategy: Strategy,
    /// Extension `routes`: this service's own prefixes; `None` means `announcer.routes`.
    pub routes: Option<Vec<Prefix>>,
    /// The checks, in file order; names are unique within the service.
    pub checks: Vec<Check>,
    /// Extensions `hold_down`, `dampening`, `inconclusive_grace`, `states`.
    pub health: ServiceHealth,
}

impl Service {
    /// The prefixes this service owns (its own `routes`, else the global list).
    pub fn prefixes<'a>(&'a self, announcer: &'a Announcer) -> &'a [Prefix] {
        self.routes.as_deref().unwrap_or(&announcer.routes)
    }
}

/// `services[].strategy` (+ `strategy_options`), with the Go daemon's meaning: each names when the
/// service is **down**.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Strategy {
    /// `at_least_one` (default): down when at least one check fails.
    AtLeastOne,
    /// `all`: down only when every check fails.
    All,
    /// `all_in_group`: down when every check of some group fails (no group = group "").
    AllInGroup,
    /// `at_least_n_percentage` with `strategy_options: {n}`: down when failed/total > n, n in [0, 1].
    AtLeastNPercentage(f64),
}

/// `services[].checks[]`: one health check.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    /// Extension `name`; default `<kind>`, or `<kind>-<n>` (n from 1) when the service has several
    /// checks of that kind. Unique within its service; the `check` label of metrics.
    pub name: String,
    /// `group`, used by `all_in_group` ("" when absent).
    pub group: String,
    /// Extension `interval`: time between runs of this check (default: the service's `check_interval`).
    pub interval: Duration,
    /// Extension `timeout`: hard deadline of one run (default: derived from the spec, see
    /// [`CheckSpec::default_deadline`]).
    pub deadline: Duration,
    /// Extension `rise`: consecutive passes before the check counts as up (default 1).
    pub rise: u32,
    /// Extension `fall`: consecutive failures before the check counts as down (default 1).
    pub fall: u32,
    /// Extension `splay` (default true): after the first run at start, the runs keep a phase of
    /// their own within the interval ([`Check::phase`]), so checks with the same interval do not
    /// all start on the same tick.
    pub splay: bool,
    /// Extension `fast_interval`: time between runs while the check's debounced state is in
    /// transition or a watch event waits for its run (default: `interval`, i.e. no fast re-probe).
    pub fast_interval: Duration,
    /// Extension `watch` (default false): hold an idle sentinel TCP connection to the target and
    /// run at once when it closes. Only for kinds with a TCP target ([`CheckSpec::watch_target`]).
    pub watch: bool,
    /// What to probe.
    pub spec: CheckSpec,
}

impl Check {
    /// When the regular runs of this check of service `service` start, counted from the check's
    /// start; they then come every `interval`.
    ///
    /// With `splay`, a point in (0, interval] derived from the service's and the check's names
    /// (FNV-1a): stable across restarts and reloads, and spread evenly over many checks. Without,
    /// one interval (the first run is at start, see [`Check::first_run`]).
    pub fn phase(&self, service: &str) -> Duration {
        let interval = u64::try_from(self.interval.as_nanos()).unwrap_or(u64::MAX);
        if !self.splay || interval == 0 {
            return self.interval;
        }
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in service.bytes().chain([0]).chain(self.name.bytes()) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        Duration::from_nanos(hash % interval + 1)
    }

    /// When this check of service `service` first runs, counted from its start: at once without
    /// `splay`; with it, at the same point of `window` (capped at the interval) as
    /// [`Check::phase`] is of the interval, so that checks starting together do not all run at
    /// once. The window comes from [`Config::first_run_window`].
    pub fn first_run(&self, service: &str, window: Duration) -> Duration {
        if !self.splay || self.interval.is_zero() {
            return Duration::ZERO;
        }
        let window = self.interval.min(window);
        let phase = self.phase(service);
        let scaled = phase.as_nanos() * window.as_nanos() / self.interval.as_nanos();
        Duration::from_nanos(u64::try_from(scaled).unwrap_or(u64::MAX))
    }
}

impl Config {
    /// Over how long the first runs of the checks are spread at start: a millisecond per check,
    /// at most a second. A few checks start at once; a thousand are staggered over a second
    /// instead of all probing in the same instant.
    pub fn first_run_window(&self) -> Duration {
        let checks: usize = self.services.iter().map(|s| s.checks.len()).sum();
        let millis = u64::try_from(checks).unwrap_or(u64::MAX).min(1000);
        Duration::from_millis(millis)
    }
}

/// Retry settings shared by most probes (`tries`, `interval`, `timeout` of the Go daemon).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts per run, 1..=255.
    pub tries: u8,
    /// Pause between two attempts (not after the last one).
    pub interval: Duration,
    /// Deadline of one attempt.
    pub timeout: Duration,
}

impl Retry {
    /// Worst-case duration of a run: every attempt times out, with pauses between them.
    pub fn worst_case(&self) -> Duration {
        let tries = u32::from(self.tries.max(1));
        self.timeout
            .saturating_mul(tries)
            .saturating_add(self.interval.saturating_mul(tries - 1))
    }
}

/// The kind-specific part of a check (`kind` + `spec`).
#[derive(Debug, Clone, PartialEq)]
pub enum CheckSpec {
    /// `assigned_address`.
    AssignedAddress(AssignedAddressSpec),
    /// `dns_lookup`.
    DnsLookup(DnsLookupSpec),
    /// `http_2xx`.
    Http2xx(Http2xxSpec),
    /// `icmp_ping`.
    IcmpPing(IcmpPingSpec),
    /// `ntpq`.
    Ntpq(NtpqSpec),
    /// `tftp_rrq`.
    TftpRrq(TftpRrqSpec),
    /// `tls_certificate`.
    TlsCertificate(TlsCertificateSpec),
    /// `tcp_connect` (extension).
    TcpConnect(TcpConnectSpec),
    /// `exec` (extension).
    Exec(ExecSpec),
    /// `file` (extension).
    File(FileSpec),
    /// `process` (extension).
    Process(ProcessSpec),
}

impl CheckSpec {
    /// The `kind` string of the config file.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::AssignedAddress(_) => "assigned_address",
            Self::DnsLookup(_) => "dns_lookup",
            Self::Http2xx(_) => "http_2xx",
            Self::IcmpPing(_) => "icmp_ping",
            Self::Ntpq(_) => "ntpq",
            Self::TftpRrq(_) => "tftp_rrq",
            Self::TlsCertificate(_) => "tls_certificate",
            Self::TcpConnect(_) => "tcp_connect",
            Self::Exec(_) => "exec",
            Self::File(_) => "file",
            Self::Process(_) => "process",
        }
    }

    /// The TCP target (`host:port`) the sentinel of a watched check connects to; `Err` says why the
    /// kind has none. `http_2xx`: the URL's host and port; `dns_lookup`: the resolver's address
    /// (its TCP port, whatever the query's protocol); `tls_certificate`: the `remote` host;
    /// `tcp_connect`: its address.
    pub fn watch_target(&self) -> Result<String, &'static str> {
        match self {
            Self::Http2xx(s) => url_host_port(&s.url).ok_or("the url has no host"),
            Self::DnsLookup(s) => Ok(s.resolver.to_string()),
            Self::TcpConnect(s) => Ok(s.address.clone()),
            Self::TlsCertificate(TlsCertificateSpec {
                source: TlsSource::Remote { host, .. },
                ..
            }) => Ok(host.clone()),
            Self::TlsCertificate(_) => Err("tls_certificate with local reads a file"),
            Self::AssignedAddress(_) => Err("assigned_address has none"),
            Self::IcmpPing(_) => Err("icmp_ping has none"),
            Self::Ntpq(_) => Err("ntpq has none (NTP is UDP)"),
            Self::TftpRrq(_) => Err("tftp_rrq has none (TFTP is UDP)"),
            Self::Exec(_) => Err("exec has none"),
            Self::File(_) => Err("file has none"),
            Self::Process(_) => Err("process has none (it watches the process itself)"),
        }
    }

    /// The hard deadline of one run when the check sets no `timeout`: the worst case of its retries,
    /// capped at `cap` (the check's interval), and never below one second for kinds without retries.
    pub fn default_deadline(&self, cap: Duration) -> Duration {
        let natural = match self {
            Self::DnsLookup(s) => s.retry.worst_case(),
            Self::Http2xx(s) => s.retry.worst_case(),
            Self::Ntpq(s) => s.retry.worst_case(),
            Self::TftpRrq(s) => s.retry.worst_case(),
            Self::IcmpPing(s) => s.timeout,
            Self::TlsCertificate(s) => s.timeout,
            Self::TcpConnect(s) => s.timeout,
            Self::Exec(s) => s.timeout,
            Self::AssignedAddress(_) | Self::File(_) | Self::Process(_) => Duration::from_secs(1),
        };
        natural.min(cap.max(Duration::from_secs(1)))
    }
}

/// `host:port` of an `http://` or `https://` URL (default ports 80 and 443), brackets kept around
/// an IPv6 host so the result can be dialled.
fn url_host_port(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let default = if scheme.eq_ignore_ascii_case("https") {
        443
    } else {
        80
    };
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if authority.is_empty() {
        return None;
    }
    let has_port = match authority.rfind(']') {
        Some(bracket) => authority.get(bracket..)?.contains(':'),
        None => authority.contains(':'),
    };
    if has_port {
        Some(authority.to_string())
    } else {
        Some(format!("{authority}:{default}"))
    }
}

/// `assigned_address`: passes while the address is configured (on `interface`, if given, and up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignedAddressSpec {
    /// `ipv4` (Go daemon) or `ipv6` (extension); exactly one is set.
    pub address: IpAddr,
    /// `interface`: the address must be on this interface.
    pub interface: Option<String>,
}

/// `dns_lookup`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsLookupSpec {
    /// `query`: the name to resolve.
    pub query: String,
    /// `resolver`: `host:port` of the DNS server (IPv4 or `[IPv6]:port`).
    pub resolver: std::net::SocketAddr,
    /// Extension `record_type` (default A; the Go daemon accepted A or AAAA answers).
    pub record_type: DnsRecordType,
    /// Extension `expect`: answers (in presentation format) that must all be present.
    pub expect: Vec<String>,
    /// Extension `protocol`: udp (default) or tcp.
    pub protocol: DnsProtocol,
    /// `tries`, `interval`, `timeout` (timeout bounds the whole query).
    pub retry: Retry,
}

/// DNS record types a `dns_lookup` can ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum DnsRecordType {
    A,
    Aaaa,
    /// A or AAAA (the Go daemon's `LookupHost`); the default.
    Host,
    Cname,
    Mx,
    Ns,
    Txt,
    Srv,
    Soa,
    Ptr,
}

/// Transport of a DNS query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum DnsProtocol {
    Udp,
    Tcp,
}

/// `http_2xx`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Http2xxSpec {
    /// `url`: absolute http:// or https:// URL.
    pub url: String,
    /// `method`: an HTTP method token.
    pub method: String,
    /// `headers` (a `Host` header sets the request's host).
    pub headers: BTreeMap<String, String>,
    /// `payload`: request body.
    pub payload: Option<String>,
    /// Extension `expected_status`: inclusive ranges; default 200..=299.
    pub expected_status: Vec<(u16, u16)>,
    /// Extension `body_contains`: the response body must contain this text.
    pub body_contains: Option<String>,
    /// Extension `insecure`: skip TLS certificate verification (default false).
    pub insecure: bool,
    /// Extension `follow_redirects`: follow 301, 302, 303, 307 and 308 as Go's `net/http` does, up
    /// to 10 requests (default true, as the Go daemon did).
    pub follow_redirects: bool,
    /// `tries`, `interval`, `timeout`.
    pub retry: Retry,
}

/// `icmp_ping`.
#[derive(Debug, Clone, PartialEq)]
pub struct IcmpPingSpec {
    /// `static.host`: name or address.
    pub host: String,
    /// `tries`: echo requests per run.
    pub count: u8,
    /// `interval`: between two echo requests.
    pub interval: Duration,
    /// `timeout`: the whole run.
    pub timeout: Duration,
    /// Extension `max_loss`: tolerated loss in percent (default 0: any loss fails).
    pub max_loss_percent: f64,
}

/// `ntpq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NtpqSpec {
    /// `server`: host, with an optional `:port` (extension; default 123).
    pub server: String,
    /// Port of `server`.
    pub port: u16,
    /// `src_addr`: source address (optional here, IPv4 or IPv6).
    pub src_addr: Option<IpAddr>,
    /// `offset_threshold`: largest tolerated |offset|.
    pub offset_threshold: Duration,
    /// `tries`, `interval`, `timeout`.
    pub retry: Retry,
}

/// `tftp_rrq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TftpRrqSpec {
    /// Server host from the URL.
    pub host: String,
    /// Server port from the URL (69 when omitted).
    pub port: u16,
    /// File name from the URL, without the leading `/`.
    pub file: String,
    /// `expected_sha256`: lower-case hex, compared case-insensitively.
    pub expected_sha256: Option<String>,
    /// Extension `min_size`: the file must have at least this many bytes.
    pub min_size: Option<u64>,
    /// `tries`, `interval`, `timeout`.
    pub retry: Retry,
}

/// `tls_certificate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsCertificateSpec {
    /// `local: {path}` or `remote: {host, insecure, server_name}`.
    pub source: TlsSource,
    /// `common_name`: expected subject CN of the leaf.
    pub common_name: Option<String>,
    /// `dns_names`: each must be among the leaf's SAN DNS names.
    pub dns_names: Vec<String>,
    /// `ip_addresses`: each must be among the leaf's SAN IP addresses.
    pub ip_addresses: Vec<IpAddr>,
    /// `issuer`: expected issuer CN of the leaf.
    pub issuer: Option<String>,
    /// Extension `expires_in_less_than`: fail when the leaf expires sooner than this.
    pub expires_in_less_than: Option<Duration>,
    /// Extension `ca_file`: verify the chain against this PEM bundle instead of the system roots.
    pub ca_file: Option<PathBuf>,
    /// Extension `timeout`: deadline of a remote handshake (default 5 s).
    pub timeout: Duration,
}

/// Where a `tls_certificate` check gets the certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsSource {
    /// `local.path`: a PEM file, possibly with a chain.
    Local {
        /// The PEM file.
        path: PathBuf,
    },
    /// `remote`: a TLS handshake with `host` (`host:port`).
    Remote {
        /// Dial string `host:port`.
        host: String,
        /// Skip chain verification.
        insecure: bool,
        /// Extension: SNI name (default: the host part of `host` when it is a name).
        server_name: Option<String>,
    },
}

/// `tcp_connect` (extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpConnectSpec {
    /// `address`: `host:port`.
    pub address: String,
    /// `timeout` of the connect (default 2 s).
    pub timeout: Duration,
}

/// `exec` (extension): Nagios plugin exit codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecSpec {
    /// `command`: argv, no shell; `command[0]` is the program.
    pub command: Vec<String>,
    /// `env`: extra environment variables.
    pub env: BTreeMap<String, String>,
    /// `timeout` (default 5 s): the process group is killed past it.
    pub timeout: Duration,
}

/// `file` (extension): an operator's maintenance switch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    /// `path` of the switch file.
    pub path: PathBuf,
    /// `present_means`: what the file's presence means.
    pub present_means: FilePresence,
}

/// `file.present_means`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilePresence {
    /// Present = the service should be drained.
    Drain,
    /// Present = the check fails.
    Down,
    /// Present = the check passes (absent fails).
    Up,
}

/// `process` (extension): a process is alive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessSpec {
    /// `pidfile` or `name`.
    pub target: ProcessTarget,
    /// `min_uptime`: the process must have run this long (default 0).
    pub min_uptime: Duration,
}

/// How a `process` check finds its process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessTarget {
    /// `pidfile`: the PID in this file (re-read on every run and when the file changes).
    Pidfile(PathBuf),
    /// `name`: every process whose `/proc/PID/comm` is this; passes while any lives.
    Name(String),
}

/// `metrics`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metrics {
    /// `enabled`: serve `/metrics`, `/healthz` (and `/status`).
    pub enabled: bool,
    /// `address`: `host:port` to listen on (IPv4 or `[IPv6]:port`); required when enabled, `None` only
    /// when disabled and absent.
    pub address: Option<std::net::SocketAddr>,
}

/// `control` (extension): the Unix socket `anycastd ctl` talks to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control {
    /// `enabled` (default true): serve the control socket.
    pub enabled: bool,
    /// `socket` (default [`Control::DEFAULT_SOCKET`]): the socket's absolute path.
    pub socket: PathBuf,
}

impl Control {
    /// The default socket, in the directory systemd's `RuntimeDirectory=anycastd` creates.
    pub const DEFAULT_SOCKET: &'static str = "/run/anycastd/control.sock";
}

impl Default for Control {
    fn default() -> Self {
        Control {
            enabled: true,
            socket: PathBuf::from(Control::DEFAULT_SOCKET),
        }
    }
}

/// `shutdown` (extension).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Shutdown {
    /// `drain_time`: time to keep routes de-preferred before withdrawing them (default 0).
    pub drain_time: Duration,
}
