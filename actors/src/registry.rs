//! How every part of the daemon (services, probes, peers) creates its metric families: built from
//! name, help and label names, and registered in the one [`Registry`] that `/metrics` serves.

use std::collections::HashMap;

use prometheus::core::{
    Atomic, Collector, GenericCounterVec, GenericGaugeVec, MetricVec, MetricVecBuilder,
};
use prometheus::{Opts, Registry};

/// A labelled metric family that can be built from its name, help and label names.
pub trait Family: Collector + Clone + Sized + 'static {
    /// Builds the family (not yet registered).
    fn build(opts: Opts, labels: &[&str]) -> Result<Self, prometheus::Error>;
}

impl<P: Atomic + 'static> Family for GenericGaugeVec<P> {
    fn build(opts: Opts, labels: &[&str]) -> Result<Self, prometheus::Error> {
        GenericGaugeVec::new(opts, labels)
    }
}

impl<P: Atomic + 'static> Family for GenericCounterVec<P> {
    fn build(opts: Opts, labels: &[&str]) -> Result<Self, prometheus::Error> {
        GenericCounterVec::new(opts, labels)
    }
}

/// Builds a labelled family and registers it in `registry`: the one way every part of the daemon
/// (services, probes, peers) creates its metrics.
pub fn family<F: Family>(
    registry: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
) -> Result<F, prometheus::Error> {
    registered(registry, F::build(Opts::new(name, help), labels)?)
}

/// Registers `collector` in `registry` and hands it back.
pub fn registered<C: Collector + Clone + 'static>(
    registry: &Registry,
    collector: C,
) -> Result<C, prometheus::Error> {
    registry.register(Box::new(collector.clone()))?;
    Ok(collector)
}

/// Removes every series of `family` whose labels include each `(name, value)` of `labels`, whatever
/// its other labels: what a removed peer or check leaves behind (message types, reasons, hosts).
pub fn forget<T: MetricVecBuilder>(family: &MetricVec<T>, labels: &[(&str, &str)]) {
    for collected in family.collect() {
        for metric in collected.get_metric() {
            let pairs = metric.get_label();
            let matches = labels.iter().all(|(name, value)| {
                pairs
                    .iter()
                    .any(|p| p.name() == *name && p.value() == *value)
            });
            if matches {
                let all: HashMap<&str, &str> =
                    pairs.iter().map(|p| (p.name(), p.value())).collect();
                let _ = family.remove(&all);
            }
        }
    }
}
