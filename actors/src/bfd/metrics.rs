//! BFD metrics (Prometheus), labelled with the configured peer name.
//!
//! | family | type | meaning |
//! |---|---|---|
//! | `anycastd_bfd_session_state{peer}` | gauge | 0 admin_down, 1 down, 2 init, 3 up (RFC 5880 state codes) |
//! | `anycastd_bfd_session_transitions_total{peer}` | counter | state changes |
//! | `anycastd_bfd_detection_time_seconds{peer}` | gauge | the negotiated detection time, 0 until the peer is heard |
//! | `anycastd_bfd_packets_dropped_total{reason}` | counter | received datagrams dropped: malformed, unknown discriminator, ... |

use std::sync::Arc;
use std::time::Duration;

use anycastd::bfd::State;
use prometheus::{GaugeVec, IntCounterVec, IntGaugeVec, Registry};

use crate::registry::family;

/// The BFD metric families.
#[derive(Debug, Clone)]
pub struct BfdMetrics {
    state: IntGaugeVec,
    transitions: IntCounterVec,
    detection_time: GaugeVec,
    dropped: IntCounterVec,
}

impl BfdMetrics {
    /// Creates the families and registers them in `registry`.
    pub fn register(registry: &Registry) -> Result<Arc<BfdMetrics>, prometheus::Error> {
        Ok(Arc::new(BfdMetrics {
            state: family(
                registry,
                "anycastd_bfd_session_state",
                "BFD session state: 0 admin_down, 1 down, 2 init, 3 up.",
                &["peer"],
            )?,
            transitions: family(
                registry,
                "anycastd_bfd_session_transitions_total",
                "BFD session state changes.",
                &["peer"],
            )?,
            detection_time: family(
                registry,
                "anycastd_bfd_detection_time_seconds",
                "Negotiated BFD detection time; 0 until the neighbour is heard.",
                &["peer"],
            )?,
            dropped: family(
                registry,
                "anycastd_bfd_packets_dropped_total",
                "Received BFD datagrams dropped, by reason.",
                &["reason"],
            )?,
        }))
    }

    /// A session appeared, in `state`.
    pub fn added(&self, peer: &str, state: State) {
        self.state
            .with_label_values(&[peer])
            .set(i64::from(state.code()));
        self.transitions.with_label_values(&[peer]).reset();
        self.detection_time.with_label_values(&[peer]).set(0.0);
    }

    /// The session changed state.
    pub fn transition(&self, peer: &str, to: State) {
        self.state
            .with_label_values(&[peer])
            .set(i64::from(to.code()));
        self.transitions.with_label_values(&[peer]).inc();
    }

    /// The current detection time.
    pub fn detection_time(&self, peer: &str, time: Duration) {
        self.detection_time
            .with_label_values(&[peer])
            .set(time.as_secs_f64());
    }

    /// A datagram was dropped.
    pub fn dropped(&self, reason: &str) {
        self.dropped.with_label_values(&[reason]).inc();
    }

    /// The session is gone: its series go too.
    pub fn forget(&self, peer: &str) {
        let _ = self.state.remove_label_values(&[peer]);
        let _ = self.transitions.remove_label_values(&[peer]);
        let _ = self.detection_time.remove_label_values(&[peer]);
    }
}
