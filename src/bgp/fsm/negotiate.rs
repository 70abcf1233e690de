//! What the session is configured with, the OPEN we send, and the checks and negotiation applied
//! to the peer's OPEN (RFC 4271 §4.2 and §6.2, RFC 5492, RFC 6793, RFC 4760, RFC 4724, RFC 8538).
//!
//! Pure functions from values to values: an invalid OPEN becomes the NOTIFICATION to send.

use std::net::Ipv4Addr;
use std::time::Duration;

use crate::bgp::codec::{
    Afi, BGP_VERSION, Capability, FsmSubcode, GracefulRestartCapability, Notification, Open,
    OpenSubcode, Safi,
};
use crate::bgp::types::{Asn, HoldTime};

use super::event::CeaseSubcode;

/// IPv4 unicast, the family a peer supports when it sends no Multiprotocol capability (RFC 4760 §8).
pub const IPV4_UNICAST: (Afi, Safi) = (Afi::Ipv4, Safi::Unicast);
/// IPv6 unicast.
pub const IPV6_UNICAST: (Afi, Safi) = (Afi::Ipv6, Safi::Unicast);

/// The largest value of the 12-bit Restart Time (RFC 4724 §3).
const MAX_RESTART_TIME: u16 = 4095;

/// Everything the FSM needs to know about one neighbor; the configuration builds it
/// (`config::model::Peer::session_config`), the FSM never reads the configuration itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionConfig {
    /// Our AS (4-octet allowed).
    pub local_asn: Asn,
    /// The AS the peer must present in its OPEN.
    pub remote_asn: Asn,
    /// Our BGP Identifier.
    pub router_id: Ipv4Addr,
    /// Hold time we propose (RFC 4271 §4.2).
    pub hold_time: HoldTime,
    /// Base ConnectRetry time; retries back off from it up to [`MAX_CONNECT_RETRY`] (or itself, if larger).
    pub connect_retry: Duration,
    /// Wait for the peer to connect (Events 4/5) instead of connecting out.
    pub passive: bool,
    /// Families we offer with the Multiprotocol capability (RFC 4760); empty means IPv4 unicast only,
    /// without the capability.
    pub families: Vec<(Afi, Safi)>,
    /// Restart Time to advertise in the Graceful Restart capability (RFC 4724), when enabled.
    pub graceful_restart: Option<Duration>,
    /// SendHoldTime (RFC 9687): `None` is twice the negotiated hold time, as BIRD does (off when
    /// the hold time is 0; twice [`super::OPEN_HOLD_TIME`] before the OPENs are exchanged);
    /// `Some(Duration::ZERO)` turns the timer off.
    pub send_hold_time: Option<Duration>,
}

/// The ceiling of the connect back-off when `connect_retry` is below it.
pub const MAX_CONNECT_RETRY: Duration = Duration::from_secs(120);

impl SessionConfig {
    /// True when the peer is in our AS.
    pub fn is_ibgp(&self) -> bool {
        self.local_asn == self.remote_asn
    }

    /// The families we support: the configured ones, or IPv4 unicast when none are configured.
    pub fn effective_families(&self) -> Vec<(Afi, Safi)> {
        if self.families.is_empty() {
            vec![IPV4_UNICAST]
        } else {
            self.families.clone()
        }
    }

    /// Our OPEN (RFC 4271 §4.2): version 4, `my_as` (AS_TRANS when 4 octets are needed, RFC 6793 §4.1),
    /// our hold time and identifier, then Multiprotocol per family, Route Refresh, 4-octet AS and,
    /// when configured, Graceful Restart with the N bit (RFC 8538) and F bit 0 for our families.
    pub fn open(&self) -> Open {
        let mut capabilities: Vec<Capability> = self
            .families
            .iter()
            .map(|&(afi, safi)| Capability::MultiProtocol(afi, safi))
            .collect();
        capabilities.push(Capability::RouteRefresh);
        capabilities.push(Capability::FourOctetAs(self.local_asn.get()));
        if let Some(restart) = self.graceful_restart {
            let seconds = u16::try_from(restart.as_secs()).unwrap_or(MAX_RESTART_TIME);
            capabilities.push(Capability::GracefulRestart(GracefulRestartCapability {
                restarting: false,
                notification: true,
                restart_time: seconds.min(MAX_RESTART_TIME),
                families: self
                    .effective_families()
                    .into_iter()
                    .map(|(afi, safi)| (afi, safi, false))
                    .collect(),
            }));
        }
        Open {
            version: BGP_VERSION,
            my_as: self.local_asn.as_u16_or_trans(),
            hold_time: self.hold_time.seconds(),
            router_id: self.router_id,
            capabilities,
        }
    }
}

/// What both sides agreed on in their OPENs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The smaller of both hold times; 0 means no KEEPALIVEs and no HoldTimer (RFC 4271 §4.2).
    pub hold_time: HoldTime,
    /// One third of the hold time, `None` when it is 0.
    pub keepalive: Option<Duration>,
    /// Both sides sent the 4-octet AS capability (RFC 6793).
    pub four_octet_as: bool,
    /// Families both sides support, in our order.
    pub families: Vec<(Afi, Safi)>,
    /// Both sides sent the Route Refresh capability (RFC 2918).
    pub route_refresh: bool,
    /// The peer's Graceful Restart capability (RFC 4724), if it sent one.
    pub peer_graceful_restart: Option<GracefulRestartCapability>,
    /// Both sides set the N bit (RFC 8538): a NOTIFICATION other than Hard Reset keeps routes stale.
    pub graceful_notification: bool,
    /// The peer's BGP Identifier.
    pub peer_router_id: Ipv4Addr,
    /// The peer's AS.
    pub peer_asn: Asn,
}

impl Negotiated {
    /// The negotiated capabilities, one short name each: the families (`ipv4-unicast`), then
    /// `4-octet-as`, `route-refresh`, `graceful-restart` (the peer's), `graceful-notification`.
    pub fn capability_names(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .families
            .iter()
            .map(|(afi, safi)| {
                let afi = match afi {
                    Afi::Ipv4 => "ipv4".to_string(),
                    Afi::Ipv6 => "ipv6".to_string(),
                    Afi::Other(n) => format!("afi{n}"),
                };
                let safi = match safi {
                    Safi::Unicast => "unicast".to_string(),
                    Safi::Other(n) => format!("safi{n}"),
                };
                format!("{afi}-{safi}")
            })
            .collect();
        for (on, name) in [
            (self.four_octet_as, "4-octet-as"),
            (self.route_refresh, "route-refresh"),
            (self.peer_graceful_restart.is_some(), "graceful-restart"),
            (self.graceful_notification, "graceful-notification"),
        ] {
            if on {
                out.push(name.to_string());
            }
        }
        out
    }
}

/// Checks the peer's OPEN (RFC 4271 §6.2, in its order) and negotiates the session, or returns the
/// NOTIFICATION to send.
pub fn negotiate(config: &SessionConfig, open: &Open) -> Result<Negotiated, Notification> {
    // §6.2: Unsupported Version Number; Data = the largest version we support (2 octets).
    if open.version != BGP_VERSION {
        return Err(open_error(
            OpenSubcode::UnsupportedVersionNumber,
            vec![0, 4],
        ));
    }
    // §6.2 Bad Peer AS; RFC 6793 §4.2: AS_TRANS is only meaningful with the 4-octet capability.
    let four_octet_capability = open
        .capabilities
        .iter()
        .any(|c| matches!(c, Capability::FourOctetAs(_)));
    if open.my_as == Asn::TRANS.as_u16_or_trans() && !four_octet_capability {
        return Err(open_error(OpenSubcode::BadPeerAs, Vec::new()));
    }
    let peer_asn = Asn::new(open.asn())
        .filter(|&asn| asn == config.remote_asn)
        .ok_or_else(|| open_error(OpenSubcode::BadPeerAs, Vec::new()))?;
    // §6.2: a Hold Time of 1 or 2 seconds is unacceptable.
    let peer_hold = HoldTime::new(open.hold_time)
        .ok_or_else(|| open_error(OpenSubcode::UnacceptableHoldTime, Vec::new()))?;
    // §6.2 as updated by RFC 6286 §2.2: zero, or our own identifier from an internal peer.
    if open.router_id.is_unspecified() || (config.is_ibgp() && open.router_id == config.router_id) {
        return Err(open_error(OpenSubcode::BadBgpIdentifier, Vec::new()));
    }
    // RFC 4760 §8: no Multiprotocol capability means IPv4 unicast only.
    let mut peer_families: Vec<(Afi, Safi)> = open
        .capabilities
        .iter()
        .filter_map(|c| match c {
            Capability::MultiProtocol(afi, safi) => Some((*afi, *safi)),
            _ => None,
        })
        .collect();
    if peer_families.is_empty() {
        peer_families.push(IPV4_UNICAST);
    }
    let families: Vec<(Afi, Safi)> = config
        .effective_families()
        .into_iter()
        .filter(|f| peer_families.contains(f))
        .collect();
    if families.is_empty() {
        // RFC 5492 §3: list the capabilities we need, encoded as in OPEN.
        return Err(open_error(
            OpenSubcode::UnsupportedCapability,
            multiprotocol_tlvs(config),
        ));
    }
    // §4.2: the smaller hold time; 0 on either side disables keepalives.
    let hold_time = config.hold_time.min(peer_hold);
    let keepalive = match hold_time.seconds() {
        0 => None,
        seconds => Some(Duration::from_secs(u64::from(seconds) / 3)),
    };
    let peer_graceful_restart = open.capabilities.iter().find_map(|c| match c {
        Capability::GracefulRestart(gr) => Some(gr.clone()),
        _ => None,
    });
    let graceful_notification = config.graceful_restart.is_some()
        && peer_graceful_restart
            .as_ref()
            .is_some_and(|gr| gr.notification);
    Ok(Negotiated {
        hold_time,
        keepalive,
        four_octet_as: four_octet_capability,
        families,
        route_refresh: open
            .capabilities
            .iter()
            .any(|c| matches!(c, Capability::RouteRefresh)),
        peer_graceful_restart,
        graceful_notification,
        peer_router_id: open.router_id,
        peer_asn,
    })
}

fn open_error(subcode: OpenSubcode, data: Vec<u8>) -> Notification {
    Notification::from_subcode(subcode, data)
}

/// Our Multiprotocol capabilities as OPEN encodes them (RFC 4760 §8): code 1, length 4, AFI,
/// reserved, SAFI.
fn multiprotocol_tlvs(config: &SessionConfig) -> Vec<u8> {
    let mut data = Vec::new();
    for (afi, safi) in config.effective_families() {
        let afi = afi_code(afi).to_be_bytes();
        data.extend_from_slice(&[1, 4, afi[0], afi[1], 0, safi_code(safi)]);
    }
    data
}

/// IANA AFI number.
pub(crate) fn afi_code(afi: Afi) -> u16 {
    match afi {
        Afi::Ipv4 => 1,
        Afi::Ipv6 => 2,
        Afi::Other(code) => code,
    }
}

/// IANA SAFI number.
pub(crate) fn safi_code(safi: Safi) -> u8 {
    match safi {
        Safi::Unicast => 1,
        Safi::Other(code) => code,
    }
}

/// NOTIFICATION Hold Timer Expired (RFC 4271 §6.5).
pub(crate) fn hold_timer_expired() -> Notification {
    Notification::hold_timer_expired()
}

/// NOTIFICATION Send Hold Timer Expired (RFC 9687 §3).
pub(crate) fn send_hold_timer_expired() -> Notification {
    Notification::send_hold_timer_expired()
}

/// NOTIFICATION Finite State Machine Error (RFC 4271 §6.6) with an RFC 6608 subcode.
pub(crate) fn fsm_error(subcode: FsmSubcode) -> Notification {
    Notification::fsm_error(subcode)
}

/// NOTIFICATION Cease (RFC 4486), with a Shutdown Communication for Administrative Shutdown and
/// Reset (RFC 9003: length octet then UTF-8, at most 255 octets, cut on a character boundary).
pub(crate) fn cease(subcode: CeaseSubcode, text: Option<&str>) -> Notification {
    Notification::cease(subcode, text)
}

/// Cease/Hard Reset (RFC 8538 §3.1) wrapping another Cease: Data = its subcode's code and subcode,
/// then its data. Sent when Graceful Notification was negotiated, so the peer drops our routes.
pub(crate) fn hard_reset(inner: Notification) -> Notification {
    let mut data = vec![inner.code, inner.subcode];
    data.extend_from_slice(&inner.data);
    Notification {
        code: 6,
        subcode: CeaseSubcode::HardReset.code(),
        data,
    }
}

/// The Shutdown Communication of a received Cease Administrative Shutdown/Reset (RFC 9003), also
/// inside a Hard Reset (RFC 8538 §3.1); `None` when absent, truncated or not UTF-8.
pub(crate) fn shutdown_text(notification: &Notification) -> Option<String> {
    let hard_reset = CeaseSubcode::HardReset.code();
    match (
        notification.code,
        notification.subcode,
        notification.data.as_slice(),
    ) {
        (6, subcode, [code, inner, data @ ..]) if subcode == hard_reset => Notification {
            code: *code,
            subcode: *inner,
            data: data.to_vec(),
        }
        .shutdown_text(),
        _ => notification.shutdown_text(),
    }
}
