//! The Prometheus alerting rules the package ships (`packaging/prometheus/anycastd.rules.yml`):
//! `promtool check rules` accepts them, `promtool test rules` runs their unit tests (each rule fires
//! on its failure after its `for`, and a healthy node fires nothing), and every `anycastd_*` metric
//! they name is one the daemon defines. Needs promtool (Debian package prometheus,
//! scripts/install-test-deps).

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use support::{metric_names, repo};

fn promtool(args: &[&str]) {
    let out = Command::new("promtool")
        .args(args)
        .current_dir(repo("packaging/prometheus"))
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run promtool (apt-get install prometheus; scripts/install-test-deps): {e}"
            )
        });
    assert!(
        out.status.success(),
        "promtool {args:?}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn promtool_checks_the_rules() {
    promtool(&["check", "rules", "anycastd.rules.yml"]);
}

#[test]
fn promtool_unit_tests_pass() {
    promtool(&["test", "rules", "anycastd.rules.test.yml"]);
}

/// The `"anycastd_..."` string literals of the daemon's sources: the metric families it defines.
fn defined(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).expect("read the sources").flatten() {
        let path = entry.path();
        if path.is_dir() {
            defined(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("read a source file");
            for piece in text.split('"').skip(1).step_by(2) {
                if piece.starts_with("anycastd_") && !piece.contains(' ') {
                    out.insert(piece.to_string());
                }
            }
        }
    }
}

#[test]
fn the_rules_use_only_metrics_the_daemon_defines() {
    let rules =
        std::fs::read_to_string(repo("packaging/prometheus/anycastd.rules.yml")).expect("rules");
    // Expressions and annotations alike: a name in a description must exist too.
    let used = metric_names(&rules);
    assert!(used.len() >= 8, "{used:?}");
    let mut known = BTreeSet::new();
    defined(&repo("actors/src"), &mut known);
    let unknown: Vec<&String> = used.difference(&known).collect();
    assert!(unknown.is_empty(), "not defined by the daemon: {unknown:?}");
}

/// The daemon's exposition, the families kept outside the registry included, parses and lints
/// clean with `promtool check metrics`, label values that need escaping too.
#[test]
fn promtool_accepts_the_exposition() {
    use std::io::Write as _;
    let metrics = anycastd_actors::metrics::Metrics::new().expect("metrics");
    let service = "odd \"name\" \\ here";
    metrics.service_up.with_label_values(&[service]).set(1.0);
    metrics
        .check_runs
        .with_label_values(&[service, "http_2xx", "pass"])
        .inc();
    metrics
        .check_duration
        .with_label_values(&[service, "http_2xx"])
        .set(0.0125);
    metrics
        .service_last_change
        .with_label_values(&[service])
        .set(1_765_000_000.5);
    let text = metrics.render().expect("render");
    assert!(text.contains("anycastd_service_up{service=\"odd \\\"name\\\" \\\\ here\"} 1\n"));
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool (scripts/install-test-deps)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("promtool");
    assert!(
        out.status.success(),
        "{}\n{}{}",
        text,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
