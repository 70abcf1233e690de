//! BGP metrics (Prometheus), registered once per registry and labelled with the configured peer name.
//!
//! | family | type | meaning |
//! |---|---|---|
//! | `anycastd_bgp_session_state{peer}` | gauge | 1 idle, 2 connect, 3 active, 4 opensent, 5 openconfirm, 6 established |
//! | `anycastd_bgp_messages_sent_total{peer,type}` | counter | messages written, by type |
//! | `anycastd_bgp_messages_received_total{peer,type}` | counter | messages read, by type |
//! | `anycastd_bgp_session_flaps_total{peer}` | counter | Established sessions that went down |
//! | `anycastd_bgp_session_down_total{peer,reason}` | counter | ended attempts, by reason |
//! | `anycastd_bgp_prefixes_advertised{peer}` | gauge | prefixes the peer has from us |
//! | `anycastd_bgp_last_error{peer,reason}` | gauge | 1 for the reason of the last session end, else 0 |
//! | `anycastd_bgp_session_established_timestamp_seconds{peer}` | gauge | Unix time of the last Established, 0 when down |

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use anycastd::bgp::codec::MessageKind;
use anycastd::bgp::fsm::{DownReason, State};
use prometheus::{IntCounterVec, IntGaugeVec, Registry};

use crate::registry::{family, forget};

/// The metric families of every peer.
#[derive(Debug, Clone)]
pub struct BgpMetrics {
    state: IntGaugeVec,
    sent: IntCounterVec,
    received: IntCounterVec,
    flaps: IntCounterVec,
    down: IntCounterVec,
    advertised: IntGaugeVec,
    last_error: IntGaugeVec,
    established_at: IntGaugeVec,
}

impl BgpMetrics {
    /// Creates the families and registers them in `registry`.
    pub fn register(registry: &Registry) -> Result<Arc<BgpMetrics>, prometheus::Error> {
        Ok(Arc::new(BgpMetrics {
            state: family(
                registry,
                "anycastd_bgp_session_state",
                "BGP session state: 1 idle, 2 connect, 3 active, 4 opensent, 5 openconfirm, 6 established.",
                &["peer"],
            )?,
            sent: family(
                registry,
                "anycastd_bgp_messages_sent_total",
                "BGP messages sent.",
                &["peer", "type"],
            )?,
            received: family(
                registry,
                "anycastd_bgp_messages_received_total",
                "BGP messages received.",
                &["peer", "type"],
            )?,
            flaps: family(
                registry,
                "anycastd_bgp_session_flaps_total",
                "Established BGP sessions that went down.",
                &["peer"],
            )?,
            down: family(
                registry,
                "anycastd_bgp_session_down_total",
                "BGP session attempts that ended, by reason.",
                &["peer", "reason"],
            )?,
            advertised: family(
                registry,
                "anycastd_bgp_prefixes_advertised",
                "Prefixes the peer currently has from us.",
                &["peer"],
            )?,
            last_error: family(
                registry,
                "anycastd_bgp_last_error",
                "1 for the reason the BGP session last ended, 0 for earlier reasons.",
                &["peer", "reason"],
            )?,
            established_at: family(
                registry,
                "anycastd_bgp_session_established_timestamp_seconds",
                "Unix time the BGP session last reached Established; 0 while it is not established.",
                &["peer"],
            )?,
        }))
    }

    /// Removes every series of the peer `name` (a reload removed it).
    pub fn forget(&self, name: &str) {
        let peer = [("peer", name)];
        forget(&self.state, &peer);
        forget(&self.sent, &peer);
        forget(&self.received, &peer);
        forget(&self.flaps, &peer);
        forget(&self.down, &peer);
        forget(&self.advertised, &peer);
        forget(&self.last_error, &peer);
        forget(&self.established_at, &peer);
    }

    /// The handles of one peer; its state gauge starts at Idle.
    pub fn peer(self: &Arc<Self>, name: &str) -> PeerMetrics {
        let metrics = PeerMetrics {
            families: Arc::clone(self),
            name: name.to_string(),
            last_reason: None,
        };
        metrics
            .families
            .state
            .with_label_values(&[name])
            .set(i64::from(State::Idle.mib_value()));
        metrics
            .families
            .advertised
            .with_label_values(&[name])
            .set(0);
        metrics
            .families
            .established_at
            .with_label_values(&[name])
            .set(0);
        metrics.families.flaps.with_label_values(&[name]);
        metrics
    }
}

/// One peer's view of the families.
#[derive(Debug, Clone)]
pub struct PeerMetrics {
    families: Arc<BgpMetrics>,
    name: String,
    last_reason: Option<&'static str>,
}

impl PeerMetrics {
    /// A state change.
    pub fn transition(&self, from: State, to: State) {
        self.families
            .state
            .with_label_values(&[&self.name])
            .set(i64::from(to.mib_value()));
        if to == State::Established {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            self.families
                .established_at
                .with_label_values(&[&self.name])
                .set(i64::try_from(now).unwrap_or(0));
        } else if from == State::Established {
            self.families
                .established_at
                .with_label_values(&[&self.name])
                .set(0);
            self.families.flaps.with_label_values(&[&self.name]).inc();
        }
    }

    /// A session attempt ended.
    pub fn down(&mut self, reason: &DownReason) {
        let label = reason.as_label();
        self.families
            .down
            .with_label_values(&[&self.name, label])
            .inc();
        if let Some(previous) = self.last_reason.replace(label) {
            self.families
                .last_error
                .with_label_values(&[&self.name, previous])
                .set(0);
        }
        self.families
            .last_error
            .with_label_values(&[&self.name, label])
            .set(1);
    }

    /// A message was written.
    pub fn sent(&self, kind: MessageKind) {
        self.families
            .sent
            .with_label_values(&[&self.name, kind.label()])
            .inc();
    }

    /// A message was read.
    pub fn received(&self, kind: MessageKind) {
        self.families
            .received
            .with_label_values(&[&self.name, kind.label()])
            .inc();
    }

    /// How many prefixes the peer has from us.
    pub fn advertised(&self, count: usize) {
        self.families
            .advertised
            .with_label_values(&[&self.name])
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }
}
