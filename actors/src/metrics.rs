//! The daemon's own metric families (DESIGN §7), registered once in the one [`Registry`] that
//! `/metrics` serves. Names follow the Go daemon where it had them, so dashboards keep working.

use std::sync::Arc;

use prometheus::{Gauge, GaugeVec, IntCounterVec, Opts, Registry};

use crate::probe::ProbeMetrics;

/// Every metric family of the daemon except the BGP ones, which peers register themselves.
#[derive(Debug)]
pub struct Metrics {
    /// The registry `/metrics` renders.
    pub registry: Registry,
    /// `anycastd_service_up{service}`: 1 while the service is up (or degraded), 0 otherwise; present
    /// from start.
    pub service_up: GaugeVec,
    /// `anycastd_check_duration_seconds{service,check}`: duration of the check's last run.
    pub check_duration: GaugeVec,
    /// `anycastd_check_runs_total{service,check,result}`: finished runs by outcome label.
    pub check_runs: IntCounterVec,
    /// `anycastd_route_announced{prefix}`: 1 while the prefix is in the desired route set.
    pub route_announced: GaugeVec,
    /// `anycastd_config_reload_total{result}`: reloads by `success` / `failure`.
    pub config_reload: IntCounterVec,
    /// `anycastd_config_last_reload_success`: 1 when the last reload (or the start) loaded the file.
    pub config_last_reload_success: Gauge,
    /// Kind-specific probe families.
    pub probe: Arc<ProbeMetrics>,
}

impl Metrics {
    /// Creates every family in a fresh registry; `anycastd_up{version}` is set to 1.
    pub fn new() -> Result<Arc<Metrics>, prometheus::Error> {
        let registry = Registry::new();
        let up = GaugeVec::new(
            Opts::new("anycastd_up", "1 while the daemon runs."),
            &["version"],
        )?;
        up.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1.0);
        registry.register(Box::new(up))?;
        let service_up = GaugeVec::new(
            Opts::new(
                "anycastd_service_up",
                "1 while the service is healthy, 0 otherwise.",
            ),
            &["service"],
        )?;
        let check_duration = GaugeVec::new(
            Opts::new(
                "anycastd_check_duration_seconds",
                "Duration of the check's last run.",
            ),
            &["service", "check"],
        )?;
        let check_runs = IntCounterVec::new(
            Opts::new(
                "anycastd_check_runs_total",
                "Finished check runs by result.",
            ),
            &["service", "check", "result"],
        )?;
        let route_announced = GaugeVec::new(
            Opts::new(
                "anycastd_route_announced",
                "1 while the prefix should be announced.",
            ),
            &["prefix"],
        )?;
        let config_reload = IntCounterVec::new(
            Opts::new(
                "anycastd_config_reload_total",
                "Configuration reloads by result.",
            ),
            &["result"],
        )?;
        for result in ["success", "failure"] {
            config_reload.with_label_values(&[result]).reset();
        }
        let config_last_reload_success = Gauge::new(
            "anycastd_config_last_reload_success",
            "1 when the last configuration load succeeded.",
        )?;
        config_last_reload_success.set(1.0);
        registry.register(Box::new(service_up.clone()))?;
        registry.register(Box::new(check_duration.clone()))?;
        registry.register(Box::new(check_runs.clone()))?;
        registry.register(Box::new(route_announced.clone()))?;
        registry.register(Box::new(config_reload.clone()))?;
        registry.register(Box::new(config_last_reload_success.clone()))?;
        let probe = ProbeMetrics::register(&registry)?;
        Ok(Arc::new(Metrics {
            registry,
            service_up,
            check_duration,
            check_runs,
            route_announced,
            config_reload,
            config_last_reload_success,
            probe,
        }))
    }

    /// The registry in the Prometheus text format.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        use prometheus::Encoder as _;
        let mut out = Vec::new();
        prometheus::TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }

    /// Removes every series of a service (after a reload dropped or rebuilt it).
    pub fn forget_service(&self, service: &str, checks: &[String]) {
        let _ = self.service_up.remove_label_values(&[service]);
        for check in checks {
            let _ = self.check_duration.remove_label_values(&[service, check]);
            for result in ["pass", "degraded", "fail", "inconclusive"] {
                let _ = self
                    .check_runs
                    .remove_label_values(&[service, check, result]);
            }
        }
    }
}
