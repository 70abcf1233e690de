//! The daemon's own metric families (DESIGN §7), registered once in the one [`Registry`] that
//! `/metrics` serves. Names follow the Go daemon where it had them, so dashboards keep working.

use std::sync::Arc;

use prometheus::{Gauge, GaugeVec, IntCounterVec, Registry};

use crate::small_family::{Kind, SmallFamily};

use crate::probe::ProbeMetrics;
use crate::registry::{family, registered};

/// Every metric family of the daemon except the BGP ones, which peers register themselves.
#[derive(Debug)]
pub struct Metrics {
    /// The registry `/metrics` renders.
    pub registry: Registry,
    /// `anycastd_service_up{service}`: 1 while the service is up (or degraded), 0 otherwise; present
    /// from start.
    pub service_up: SmallFamily,
    /// `anycastd_check_duration_seconds{service,check}`: duration of the check's last run.
    pub check_duration: SmallFamily,
    /// `anycastd_check_runs_total{service,check,result}`: finished runs by outcome label.
    pub check_runs: SmallFamily,
    /// `anycastd_check_watch_events_total{service,check}`: watch events (a sentinel closed, a
    /// watched process exited, an inotify or rtnetlink notification) that asked for a run now.
    pub check_watch_events: SmallFamily,
    /// `anycastd_route_announced{prefix}`: 1 while the prefix is in the desired route set (offered to
    /// at least one peer; what a peer holds is `anycastd_bgp_prefixes_advertised`).
    pub route_announced: GaugeVec,
    /// `anycastd_config_reload_total{result}`: reloads by `success` / `failure` / `refused` (by the
    /// blast-radius guard).
    pub config_reload: IntCounterVec,
    /// `anycastd_config_last_reload_success`: 1 when the last reload (or the start) loaded the file.
    pub config_last_reload_success: Gauge,
    /// `anycastd_service_state{service,state}`: 1 for the service's effective ladder state.
    pub service_state: SmallFamily,
    /// `anycastd_service_dampening_penalty{service}`: the decayed flap penalty.
    pub dampening_penalty: SmallFamily,
    /// `anycastd_service_transitions_total{service}`: changes of the effective state.
    pub service_transitions: SmallFamily,
    /// `anycastd_service_last_change_timestamp_seconds{service}`: Unix time of the last change.
    pub service_last_change: SmallFamily,
    /// `anycastd_drained{reason}`: 1 while drained for this reason (`signal`, `file`, `service`,
    /// `check`).
    pub drained: GaugeVec,
    /// `anycastd_routes_announced`: prefixes offered to at least one peer.
    pub routes_announced: Gauge,
    /// Kind-specific probe families.
    pub probe: Arc<ProbeMetrics>,
}

impl Metrics {
    /// Creates every family in a fresh registry; `anycastd_up{version}` is set to 1.
    pub fn new() -> Result<Arc<Metrics>, prometheus::Error> {
        let registry = Registry::new();
        let r = &registry;
        let up: GaugeVec = family(r, "anycastd_up", "1 while the daemon runs.", &["version"])?;
        up.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1.0);
        let service_up = SmallFamily::new(
            "anycastd_service_up",
            "1 while the service's state announces its routes (up, degraded, draining), 0 otherwise.",
            Kind::Gauge,
            &["service"],
        );
        let check_duration = SmallFamily::new(
            "anycastd_check_duration_seconds",
            "Duration of the check's last run.",
            Kind::Gauge,
            &["service", "check"],
        );
        let check_runs = SmallFamily::new(
            "anycastd_check_runs_total",
            "Finished check runs by result.",
            Kind::Counter,
            &["service", "check", "result"],
        );
        let check_watch_events = SmallFamily::new(
            "anycastd_check_watch_events_total",
            "Watch events that asked for a check run off its schedule.",
            Kind::Counter,
            &["service", "check"],
        );
        let route_announced = family(
            r,
            "anycastd_route_announced",
            "1 while the prefix is offered to at least one peer (its services want it announced).",
            &["prefix"],
        )?;
        let config_reload: IntCounterVec = family(
            r,
            "anycastd_config_reload_total",
            "Configuration reloads by result.",
            &["result"],
        )?;
        for result in ["success", "failure", "refused"] {
            config_reload.with_label_values(&[result]).reset();
        }
        let config_last_reload_success = registered(
            r,
            Gauge::new(
                "anycastd_config_last_reload_success",
                "1 when the last configuration load succeeded.",
            )?,
        )?;
        config_last_reload_success.set(1.0);
        let service_state = SmallFamily::new(
            "anycastd_service_state",
            "1 for the service's effective state: up, degraded, draining, down.",
            Kind::Gauge,
            &["service", "state"],
        );
        let dampening_penalty = SmallFamily::new(
            "anycastd_service_dampening_penalty",
            "The service's decayed flap dampening penalty.",
            Kind::Gauge,
            &["service"],
        );
        let service_transitions = SmallFamily::new(
            "anycastd_service_transitions_total",
            "Changes of the service's effective state after its first evaluation.",
            Kind::Counter,
            &["service"],
        );
        let service_last_change = SmallFamily::new(
            "anycastd_service_last_change_timestamp_seconds",
            "Unix time of the last change of the service's effective state.",
            Kind::Gauge,
            &["service"],
        );
        let drained: GaugeVec = family(
            r,
            "anycastd_drained",
            "1 while drained for this reason: signal (every service: SIGUSR1, anycastd ctl drain, a stop), file (every service: the drain file), service (some service drained alone by anycastd ctl drain SERVICE), check (some service drained by a file check).",
            &["reason"],
        )?;
        for reason in ["signal", "file", "service", "check"] {
            drained.with_label_values(&[reason]).set(0.0);
        }
        let routes_announced = registered(
            r,
            Gauge::new(
                "anycastd_routes_announced",
                "Prefixes offered to at least one peer.",
            )?,
        )?;
        let probe = ProbeMetrics::register(&registry)?;
        Ok(Arc::new(Metrics {
            registry,
            service_up,
            check_duration,
            check_runs,
            check_watch_events,
            route_announced,
            config_reload,
            config_last_reload_success,
            service_state,
            dampening_penalty,
            service_transitions,
            service_last_change,
            drained,
            routes_announced,
            probe,
        }))
    }

    /// The registry in the Prometheus text format.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        use prometheus::Encoder as _;
        let mut out = Vec::new();
        prometheus::TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        let mut text = String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))?;
        for family in self.small_families() {
            family.render(&mut text);
        }
        Ok(text)
    }

    /// The families kept outside the registry ([`SmallFamily`]), by name.
    fn small_families(&self) -> [&SmallFamily; 8] {
        let mut families = [
            &self.check_duration,
            &self.check_runs,
            &self.check_watch_events,
            &self.dampening_penalty,
            &self.service_last_change,
            &self.service_state,
            &self.service_transitions,
            &self.service_up,
        ];
        families.sort_by_key(|f| f.name());
        families
    }

    /// Removes every series of a service (after a reload dropped or rebuilt it).
    pub fn forget_service(&self, service: &str, checks: &[String]) {
        for family in self.small_families() {
            family.forget(&[("service", service)]);
        }
        for check in checks {
            self.forget_check(service, check);
        }
        self.probe.forget(service, None);
    }

    /// Removes every series of one check (after a reload dropped it).
    pub fn forget_check(&self, service: &str, check: &str) {
        for family in [
            &self.check_duration,
            &self.check_runs,
            &self.check_watch_events,
        ] {
            family.forget(&[("service", service), ("check", check)]);
        }
        self.probe.forget(service, Some(check));
    }
}
