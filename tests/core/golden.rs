//! Golden files: a rendered table compared with its reviewed copy in `tests/golden/`;
//! `UPDATE_GOLDEN=1` rewrites the copy instead.

use std::path::PathBuf;

/// Fails with the first differing line unless `actual` is the content of `tests/golden/<name>`.
pub fn assert_golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with UPDATE_GOLDEN=1 to create it",
            path.display()
        )
    });
    if actual != expected {
        let line = actual
            .lines()
            .zip(expected.lines())
            .position(|(a, e)| a != e)
            .map_or(0, |i| i + 1);
        panic!(
            "{} differs (first difference at line {line}); review and rerun with UPDATE_GOLDEN=1\n\
             actual:   {:?}\nexpected: {:?}",
            path.display(),
            actual.lines().nth(line.saturating_sub(1)),
            expected.lines().nth(line.saturating_sub(1)),
        );
    }
}

/// Starts a section of a state table: `## title` and the table header.
pub fn section(out: &mut String, title: &str) {
    out.push_str(&format!(
        "\n## {title}\n\n| Event | Actions, in order | Next |\n|---|---|---|\n"
    ));
}

/// One row of a state table: the event, its actions joined by `<br>` (or `(none)`), the next state.
pub fn row(out: &mut String, event: &str, actions: &[String], next: impl std::fmt::Display) {
    let cell = if actions.is_empty() {
        "(none)".to_owned()
    } else {
        actions.join("<br>")
    };
    out.push_str(&format!("| {event} | {cell} | {next} |\n"));
}
