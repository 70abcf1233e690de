//! `file`: the maintenance switch, on temporary files.

mod common;

use anycastd::config::model::{CheckSpec, FilePresence, FileSpec};
use anycastd::health::Outcome;
use anycastd_actors::probe;

async fn run(path: &std::path::Path, present_means: FilePresence) -> Outcome {
    let (_registry, cx) = common::context("file");
    probe::run(
        &CheckSpec::File(FileSpec {
            path: path.to_owned(),
            present_means,
        }),
        &cx,
    )
    .await
}

#[tokio::test]
async fn each_meaning_with_the_file_present_and_absent() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("maintenance");
    assert_eq!(run(&path, FilePresence::Drain).await, Outcome::Pass);
    assert_eq!(run(&path, FilePresence::Down).await, Outcome::Pass);
    assert!(matches!(run(&path, FilePresence::Up).await, Outcome::Fail(r) if r.contains("absent")));

    std::fs::write(&path, b"").expect("create switch");
    let drain = run(&path, FilePresence::Drain).await;
    assert_eq!(
        drain,
        Outcome::Degraded(format!("drain requested by {}", path.display()))
    );
    assert!(
        matches!(run(&path, FilePresence::Down).await, Outcome::Fail(r) if r.contains("present"))
    );
    assert_eq!(run(&path, FilePresence::Up).await, Outcome::Pass);
}

#[tokio::test]
async fn an_unreadable_parent_is_inconclusive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let not_a_dir = dir.path().join("plain");
    std::fs::write(&not_a_dir, b"x").expect("create file");
    // `plain/maintenance`: the parent is a file, so the lookup fails with ENOTDIR, not ENOENT.
    let outcome = run(&not_a_dir.join("maintenance"), FilePresence::Down).await;
    assert!(matches!(outcome, Outcome::Inconclusive(_)), "{outcome:?}");
}
