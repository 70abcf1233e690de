//! `exec`: real scripts for every exit code, a hanging one, and cancellation.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anycastd::config::model::{CheckSpec, ExecSpec};
use anycastd::health::Outcome;
use anycastd_actors::probe;

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

fn spec(command: Vec<String>, timeout: Duration) -> CheckSpec {
    let env = BTreeMap::from([("ACD_PROBE_WORD".to_owned(), "from-env".to_owned())]);
    CheckSpec::Exec(ExecSpec {
        command,
        env,
        timeout,
    })
}

async fn run_script(dir: &Path, body: &str) -> Outcome {
    let path = script(dir, "check", body);
    let (_registry, cx) = common::context("exec");
    probe::run(
        &spec(vec![path.display().to_string()], Duration::from_secs(5)),
        &cx,
    )
    .await
}

#[tokio::test]
async fn exit_codes_map_to_outcomes_with_the_first_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    assert_eq!(run_script(d, "echo fine; exit 0").await, Outcome::Pass);
    assert_eq!(
        run_script(d, "echo \"$ACD_PROBE_WORD\"; echo second; exit 1").await,
        Outcome::Degraded("exit 1: from-env".into())
    );
    assert_eq!(
        run_script(d, "echo 'CRITICAL: down'; exit 2").await,
        Outcome::Fail("exit 2: CRITICAL: down".into())
    );
    assert_eq!(
        run_script(d, "exit 3").await,
        Outcome::Inconclusive("exit 3".into())
    );
    assert_eq!(
        run_script(d, "echo x; exit 42").await,
        Outcome::Inconclusive("exit 42: x".into())
    );
    assert_eq!(
        run_script(d, "kill -TERM $$").await,
        Outcome::Inconclusive("killed by signal 15".into())
    );
}

#[tokio::test]
async fn arguments_are_passed_without_a_shell() {
    let (_registry, cx) = common::context("exec");
    let command = vec![
        "/bin/sh".to_owned(),
        "-c".to_owned(),
        "test \"$1\" = '$HOME *'".to_owned(),
        "sh".to_owned(),
        "$HOME *".to_owned(),
    ];
    assert_eq!(
        probe::run(&spec(command, Duration::from_secs(5)), &cx).await,
        Outcome::Pass
    );
}

#[tokio::test]
async fn stdout_is_bounded() {
    let dir = tempfile::tempdir().expect("tempdir");
    // 1 MiB on one line, then exit 2: the probe must not block on the pipe nor keep it all.
    let outcome = run_script(dir.path(), "head -c 1048576 /dev/zero | tr '\\0' a; exit 2").await;
    match outcome {
        Outcome::Fail(reason) => assert!(
            reason.len() <= 4096 + 16,
            "reason is {} bytes",
            reason.len()
        ),
        other => panic!("expected Fail, got {other:?}"),
    }
}

#[tokio::test]
async fn a_missing_program_is_inconclusive() {
    let (_registry, cx) = common::context("exec");
    let outcome = probe::run(
        &spec(
            vec!["/nonexistent/acd-check".to_owned()],
            Duration::from_secs(1),
        ),
        &cx,
    )
    .await;
    assert!(
        matches!(outcome, Outcome::Inconclusive(ref r) if r.contains("cannot start")),
        "{outcome:?}"
    );
}

fn group_alive(pgid: i32) -> bool {
    rustix::process::Pid::from_raw(pgid)
        .map(|pid| rustix::process::test_kill_process_group(pid).is_ok())
        .unwrap_or(false)
}

fn read_pid(path: &Path) -> i32 {
    common::wait_until("the script's pid file", Duration::from_secs(5), || {
        std::fs::read_to_string(path)
            .map(|s| s.trim().parse::<i32>().is_ok())
            .unwrap_or(false)
    });
    std::fs::read_to_string(path)
        .expect("pid file")
        .trim()
        .parse()
        .expect("pid")
}

#[tokio::test]
async fn a_hanging_plugin_is_killed_with_its_whole_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("pid");
    // The script leaves a background child in its group, then hangs.
    let body = format!("echo $$ > {}; sleep 600 & sleep 600", pid_file.display());
    let path = script(dir.path(), "hang", &body);
    let (_registry, cx) = common::context("exec");
    let started = std::time::Instant::now();
    let outcome = probe::run(
        &spec(vec![path.display().to_string()], Duration::from_millis(500)),
        &cx,
    )
    .await;
    assert!(
        matches!(outcome, Outcome::Fail(ref r) if r.contains("timed out")),
        "{outcome:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    let pgid = read_pid(&pid_file);
    common::wait_until(
        "the process group to disappear",
        Duration::from_secs(5),
        || !group_alive(pgid),
    );
}

#[tokio::test]
async fn dropping_the_probe_kills_the_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("pid");
    let body = format!("echo $$ > {}; sleep 600 & sleep 600", pid_file.display());
    let path = script(dir.path(), "hang", &body);
    let (_registry, cx) = common::context("exec");
    let long = spec(vec![path.display().to_string()], Duration::from_secs(600));
    // The check loop's deadline: the probe's future is dropped after 500 ms.
    let dropped = tokio::time::timeout(Duration::from_millis(500), probe::run(&long, &cx)).await;
    assert!(
        dropped.is_err(),
        "the probe should still be running: {dropped:?}"
    );
    let pgid = read_pid(&pid_file);
    common::wait_until(
        "the process group to disappear",
        Duration::from_secs(5),
        || !group_alive(pgid),
    );
}

/// Alive: present in /proc and not a zombie.
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next());
            !matches!(state, Some("Z" | "X") | None)
        }
        Err(_) => false,
    }
}

/// A plugin that starts a grandchild in a session of its own (`setsid`, then its parent exits, as
/// a daemonising program does) and writes the grandchild's PID to `pid_file`, then runs `rest`.
fn escaping(dir: &Path, pid_file: &Path, rest: &str) -> PathBuf {
    let body = format!(
        "setsid sh -c 'sleep 600 & echo $! > {}.tmp; mv {0}.tmp {0}'\n{rest}",
        pid_file.display()
    );
    script(dir, "escape", &body)
}

fn wait_pid_file(path: &Path) -> i32 {
    common::wait_until("the grandchild's PID", Duration::from_secs(5), || {
        path.exists()
    });
    read_pid(path)
}

#[tokio::test]
async fn a_setsid_grandchild_dies_with_a_timed_out_plugin() {
    let dir = tempfile::tempdir().expect("tempdir");
    for run in 0..5 {
        let pid_file = dir.path().join(format!("grandchild-{run}"));
        let path = escaping(dir.path(), &pid_file, "sleep 600");
        let (_registry, cx) = common::context("exec");
        let outcome = probe::run(
            &spec(vec![path.display().to_string()], Duration::from_millis(700)),
            &cx,
        )
        .await;
        assert!(
            matches!(outcome, Outcome::Fail(ref r) if r.contains("timed out after 700ms")),
            "{outcome:?}"
        );
        let grandchild = wait_pid_file(&pid_file);
        common::wait_until(
            &format!("run {run}: the setsid grandchild {grandchild} to die"),
            Duration::from_secs(5),
            || !alive(grandchild),
        );
    }
}

#[tokio::test]
async fn a_setsid_grandchild_dies_when_the_probe_is_dropped_or_the_plugin_exits() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_registry, cx) = common::context("exec");
    // Dropped by the check's deadline while the plugin runs.
    let pid_file = dir.path().join("dropped");
    let path = escaping(dir.path(), &pid_file, "sleep 600");
    let long = spec(vec![path.display().to_string()], Duration::from_secs(600));
    let dropped = tokio::time::timeout(Duration::from_millis(700), probe::run(&long, &cx)).await;
    assert!(dropped.is_err(), "{dropped:?}");
    let grandchild = wait_pid_file(&pid_file);
    common::wait_until(
        "the grandchild of a dropped probe to die",
        Duration::from_secs(5),
        || !alive(grandchild),
    );
    // A plugin that exits 0 and leaves a daemon behind: it passes, and its daemon is ended.
    let pid_file = dir.path().join("exited");
    let path = escaping(dir.path(), &pid_file, "exit 0");
    let outcome = probe::run(
        &spec(vec![path.display().to_string()], Duration::from_secs(5)),
        &cx,
    )
    .await;
    assert_eq!(outcome, Outcome::Pass);
    let grandchild = wait_pid_file(&pid_file);
    common::wait_until(
        "the grandchild of a finished plugin to die",
        Duration::from_secs(5),
        || !alive(grandchild),
    );
}
