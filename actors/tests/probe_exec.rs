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

/// The children of this test process, from every thread's `children` file.
fn own_children() -> Vec<i32> {
    std::fs::read_dir("/proc/self/task")
        .expect("tasks")
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|l| {
            l.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<i32>>()
        })
        .collect()
}

/// What a plugin starts with, seen from outside while it runs: only its three standard streams
/// open (stdin and stderr on /dev/null, stdout a pipe), no signal blocked, ignored or caught, and
/// a process group of its own.
#[tokio::test]
async fn a_plugin_starts_clean_with_three_streams_and_default_signals() {
    let (_registry, cx) = common::context("exec");
    let sleeper = spec(
        vec!["sleep".to_owned(), "30".to_owned()],
        Duration::from_secs(30),
    );
    tokio::select! {
        outcome = probe::run(&sleeper, &cx) => panic!("the plugin ended: {outcome:?}"),
        () = inspect_the_sleeping_plugin() => {}
    }
}

async fn inspect_the_sleeping_plugin() {
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let pid = loop {
        let found = own_children().into_iter().find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "sleep")
        });
        if let Some(pid) = found {
            break pid;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the plugin never started"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let mut fds: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("fds")
        .flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse().ok()))
        .collect();
    fds.sort();
    assert_eq!(fds, vec![0, 1, 2]);
    let target = |fd: i32| {
        std::fs::read_link(format!("/proc/{pid}/fd/{fd}"))
            .expect("readlink")
            .display()
            .to_string()
    };
    assert_eq!(target(0), "/dev/null");
    assert!(target(1).starts_with("pipe:"), "{}", target(1));
    assert_eq!(target(2), "/dev/null");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let mask = |field: &str| {
        let value = status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .expect("field")
            .trim();
        u64::from_str_radix(value, 16).expect("hex mask")
    };
    assert_eq!(mask("SigBlk:"), 0, "no signal blocked");
    assert_eq!(mask("SigCgt:"), 0, "no handler survives");
    // SIGPIPE (13), which the Rust runtime ignores, is back at its default; a signal ignored by
    // whoever started the test binary stays ignored, as execve keeps it.
    assert_eq!(mask("SigIgn:") & (1 << 12), 0, "SIGPIPE is not ignored");
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let after = stat.rsplit_once(')').expect("comm").1;
    let pgid: i32 = after
        .split_whitespace()
        .nth(2)
        .expect("pgrp")
        .parse()
        .expect("pgid");
    assert_eq!(pgid, pid, "the plugin leads its own process group");
}

/// The program is found on `PATH`: the check's own `PATH` when its `env` sets one.
#[tokio::test]
async fn the_program_is_found_on_the_check_s_own_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    script(dir.path(), "acd-path-check", "echo found; exit 1");
    let (_registry, cx) = common::context("exec");
    let env = BTreeMap::from([(
        "PATH".to_owned(),
        format!("/nonexistent:{}:/usr/bin:/bin", dir.path().display()),
    )]);
    let spec = CheckSpec::Exec(ExecSpec {
        command: vec!["acd-path-check".to_owned()],
        env,
        timeout: Duration::from_secs(5),
    });
    assert_eq!(
        probe::run(&spec, &cx).await,
        Outcome::Degraded("exit 1: found".into())
    );
}

/// A file without `#!` cannot be run (as with the Go daemon, no shell is tried); a name not on
/// `PATH` is not found; both say so.
#[tokio::test]
async fn a_program_that_cannot_run_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = dir.path().join("no-shebang");
    std::fs::write(&plain, "exit 0\n").expect("write");
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let (_registry, cx) = common::context("exec");
    let run = |command: String| {
        let cx = cx.clone();
        async move { probe::run(&spec(vec![command], Duration::from_secs(2)), &cx).await }
    };
    let outcome = run(plain.display().to_string()).await;
    assert!(
        matches!(outcome, Outcome::Inconclusive(ref r) if r.contains("cannot start") && r.contains("Exec format error")),
        "{outcome:?}"
    );
    let outcome = run("acd-no-such-plugin".to_owned()).await;
    assert!(
        matches!(outcome, Outcome::Inconclusive(ref r) if r.contains("cannot start acd-no-such-plugin") && r.contains("No such file")),
        "{outcome:?}"
    );
}

/// Many short runs leave no zombie and no open descriptor behind.
#[tokio::test]
async fn a_thousand_runs_leave_no_zombie_and_no_descriptor() {
    let (_registry, cx) = common::context("exec");
    let fds = || std::fs::read_dir("/proc/self/fd").expect("fds").count();
    let true_spec = spec(vec!["true".to_owned()], Duration::from_secs(5));
    // The first run starts the exec thread and its queue.
    assert_eq!(probe::run(&true_spec, &cx).await, Outcome::Pass);
    let before = fds();
    let runs = (0..1000).map(|_| probe::run(&true_spec, &cx));
    for outcome in futures_util::future::join_all(runs).await {
        assert_eq!(outcome, Outcome::Pass);
    }
    let me = std::process::id().to_string();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let zombies = own_children();
        if zombies.is_empty() && fds() <= before {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "process {me} still has children {zombies:?} or {} descriptors (was {before})",
            fds()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// When every start slot is taken, a run waits for one before it starts (its deadline is not
/// running yet) and then passes: under load runs start late instead of failing in a queue.
#[tokio::test]
async fn a_run_waits_for_a_start_slot_and_then_passes() {
    let (_registry, cx) = common::context("exec");
    let true_spec = spec(vec!["true".to_owned()], Duration::from_secs(5));
    let mut held = Vec::new();
    loop {
        match tokio::time::timeout(Duration::from_millis(50), probe::admit(&true_spec)).await {
            Ok(admission) => held.push(admission),
            Err(_) => break,
        }
        assert!(held.len() <= 1024, "admission never waits");
    }
    assert!(!held.is_empty(), "no slot at all");
    let waiting = probe::run(&true_spec, &cx);
    tokio::pin!(waiting);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), &mut waiting)
            .await
            .is_err(),
        "a run started with every slot taken"
    );
    // Other kinds never wait.
    let file = CheckSpec::File(anycastd::config::model::FileSpec {
        path: "/".into(),
        present_means: anycastd::config::model::FilePresence::Up,
    });
    tokio::time::timeout(Duration::from_millis(300), probe::admit(&file))
        .await
        .expect("a file check is admitted at once");
    held.pop();
    let outcome = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("the run started once a slot was free");
    assert_eq!(outcome, Outcome::Pass);
}
