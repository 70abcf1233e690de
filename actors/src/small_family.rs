//! Metric families with a series per service or per check, kept small.
//!
//! The `prometheus` crate keeps, in every series, its own copy of the family's description (name,
//! help text, label names) and its labels as protobuf pairs: about 560 bytes a series. A thousand
//! services with three checks each have some 17,000 such series, close to 10 MB of the daemon's
//! heap. Here a series is its label values and an atomic value, about 150 bytes; the family renders
//! itself in the text format beside the registry (the [`Metrics::render`](crate::metrics::Metrics)
//! output is one exposition, families sorted by name).
//!
//! A handle ([`Series`]) is looked up once and kept by the actor that sets it; a series removed
//! from its family ([`SmallFamily::forget`]) stays out of the exposition even if a stale handle is
//! still set.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// What a family's series count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A value that goes up and down.
    Gauge,
    /// A value that only goes up (its name ends in `_total`).
    Counter,
}

/// One series: an `f64` kept as its bits.
#[derive(Debug, Clone)]
pub struct Series(Arc<AtomicU64>);

impl Series {
    /// Sets the value.
    pub fn set(&self, value: f64) {
        self.0.store(value.to_bits(), Ordering::Relaxed);
    }

    /// Adds `by` (a counter's step).
    pub fn inc_by(&self, by: f64) {
        let _ = self
            .0
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + by).to_bits())
            });
    }

    /// Adds one.
    pub fn inc(&self) {
        self.inc_by(1.0);
    }

    /// The value now.
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
}

/// A family of gauges or counters with the same label names.
#[derive(Debug)]
pub struct SmallFamily {
    name: &'static str,
    help: &'static str,
    kind: Kind,
    labels: &'static [&'static str],
    series: Mutex<BTreeMap<Box<[Box<str>]>, Series>>,
}

impl SmallFamily {
    /// An empty family.
    pub fn new(
        name: &'static str,
        help: &'static str,
        kind: Kind,
        labels: &'static [&'static str],
    ) -> SmallFamily {
        SmallFamily {
            name,
            help,
            kind,
            labels,
            series: Mutex::new(BTreeMap::new()),
        }
    }

    /// The family's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The series with these label values (one per label name, in order), created at 0 when it is
    /// new. Values beyond the label names are ignored; missing ones are empty.
    pub fn with_label_values(&self, values: &[&str]) -> Series {
        let key: Box<[Box<str>]> = (0..self.labels.len())
            .map(|i| Box::from(values.get(i).copied().unwrap_or("")))
            .collect();
        self.series
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_insert_with(|| Series(Arc::new(AtomicU64::new(0f64.to_bits()))))
            .clone()
    }

    /// Removes every series whose labels include each `(name, value)` of `labels`, whatever its
    /// other labels.
    pub fn forget(&self, labels: &[(&str, &str)]) {
        let positions: Vec<(usize, &str)> = labels
            .iter()
            .filter_map(|(name, value)| {
                let at = self.labels.iter().position(|l| l == name)?;
                Some((at, *value))
            })
            .collect();
        if positions.len() != labels.len() {
            return; // a label this family does not have: nothing of it matches
        }
        self.series
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain(|key, _| {
                !positions
                    .iter()
                    .all(|(at, value)| key.get(*at).is_some_and(|v| &**v == *value))
            });
    }

    /// Appends the family in the Prometheus text format (nothing when it has no series).
    pub fn render(&self, out: &mut String) {
        let series = self.series.lock().unwrap_or_else(PoisonError::into_inner);
        if series.is_empty() {
            return;
        }
        let kind = match self.kind {
            Kind::Gauge => "gauge",
            Kind::Counter => "counter",
        };
        let _ = writeln!(out, "# HELP {} {}", self.name, escape_help(self.help));
        let _ = writeln!(out, "# TYPE {} {kind}", self.name);
        for (values, value) in series.iter() {
            out.push_str(self.name);
            out.push('{');
            for (i, (name, value)) in self.labels.iter().zip(values.iter()).enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let _ = write!(out, "{name}=\"{}\"", escape_label(value));
            }
            out.push_str("} ");
            out.push_str(&number(value.get()));
            out.push('\n');
        }
    }
}

/// A value as the text format writes it: `+Inf`, `-Inf`, `NaN`, or the shortest decimal.
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value == f64::INFINITY {
        "+Inf".to_owned()
    } else if value == f64::NEG_INFINITY {
        "-Inf".to_owned()
    } else {
        value.to_string()
    }
}

/// HELP text: backslash and newline escaped.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A label value: backslash, double quote and newline escaped.
fn escape_label(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
#[allow(clippy::expect_used, clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn series_render_in_the_text_format_sorted_and_escaped() {
        let family = SmallFamily::new(
            "anycastd_check_runs_total",
            "Finished check runs by result.",
            Kind::Counter,
            &["service", "check", "result"],
        );
        family.with_label_values(&["b", "http", "pass"]).inc();
        let odd = family.with_label_values(&["a\"x\\y\nz", "tcp", "fail"]);
        odd.inc_by(2.0);
        odd.inc();
        let mut out = String::new();
        family.render(&mut out);
        assert_eq!(
            out,
            "# HELP anycastd_check_runs_total Finished check runs by result.\n\
             # TYPE anycastd_check_runs_total counter\n\
             anycastd_check_runs_total{service=\"a\\\"x\\\\y\\nz\",check=\"tcp\",result=\"fail\"} 3\n\
             anycastd_check_runs_total{service=\"b\",check=\"http\",result=\"pass\"} 1\n"
        );
    }

    #[test]
    fn values_keep_their_precision_and_special_values_their_names() {
        assert_eq!(number(0.25), "0.25");
        assert_eq!(number(1_700_000_000.123456), "1700000000.123456");
        assert_eq!(number(f64::INFINITY), "+Inf");
        assert_eq!(number(f64::NEG_INFINITY), "-Inf");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(0.0), "0");
    }

    #[test]
    fn forgetting_removes_matching_series_and_stale_handles_stay_out() {
        let family = SmallFamily::new("g", "h", Kind::Gauge, &["service", "check"]);
        let kept = family.with_label_values(&["s1", "a"]);
        let gone = family.with_label_values(&["s2", "a"]);
        family.with_label_values(&["s2", "b"]).set(1.0);
        family.forget(&[("service", "s2")]);
        gone.set(5.0);
        kept.set(2.0);
        let mut out = String::new();
        family.render(&mut out);
        assert!(out.contains("g{service=\"s1\",check=\"a\"} 2\n"), "{out}");
        assert!(!out.contains("s2"), "{out}");
        // A label the family does not have matches nothing.
        family.forget(&[("peer", "s1")]);
        let mut again = String::new();
        family.render(&mut again);
        assert_eq!(out, again);
        // An empty family renders nothing at all.
        let empty = SmallFamily::new("e", "h", Kind::Gauge, &["service"]);
        let mut none = String::new();
        empty.render(&mut none);
        assert!(none.is_empty());
    }
}
