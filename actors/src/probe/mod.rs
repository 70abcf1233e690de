//! Probes: one async function per check kind. A probe runs one check once (with its own tries) and
//! returns an [`Outcome`]; the check actor bounds it with the check's deadline, so a probe must be
//! cancel-safe (dropping its future leaves nothing behind: no stray process, socket or task).

pub mod http;

use std::sync::Arc;

use anycastd::config::model::CheckSpec;
use anycastd::health::Outcome;

/// Who is probing, for metric labels and log lines.
#[derive(Debug, Clone)]
pub struct ProbeContext {
    /// The service's name.
    pub service: String,
    /// The check's name (unique within its service).
    pub check: String,
    /// Kind-specific metric families, shared by every probe of the daemon.
    pub metrics: Arc<ProbeMetrics>,
}

/// Kind-specific metric families (icmp, ntpq, certificate), registered once.
#[derive(Debug)]
pub struct ProbeMetrics {}

impl ProbeMetrics {
    /// Creates the families and registers them in `registry`.
    pub fn register(
        registry: &prometheus::Registry,
    ) -> Result<Arc<ProbeMetrics>, prometheus::Error> {
        let _ = registry;
        Ok(Arc::new(ProbeMetrics {}))
    }
}

/// Runs one probe of `spec`.
pub async fn run(spec: &CheckSpec, cx: &ProbeContext) -> Outcome {
    match spec {
        CheckSpec::Http2xx(spec) => http::run(spec, cx).await,
        other => Outcome::Inconclusive(format!("check kind {} is not implemented", other.kind())),
    }
}
