//! `anycastd ctl` through the real binary, without a daemon: usage errors exit 2 and an absent
//! daemon exits 3, each with one line on stderr; `--help` documents every command.

use std::process::{Command, Output, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_anycastd");

fn ctl(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("ctl")
        .args(args)
        .env_remove("ANYCASTD_SOCKET")
        .stdin(Stdio::null())
        .output()
        .expect("run anycastd ctl")
}

fn one_line(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.lines().count(), 1, "stderr is not one line: {err:?}");
    assert!(err.starts_with("anycastd ctl: "), "{err:?}");
    err
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    for args in [
        &["frobnicate"][..],
        &["status", "extra"],
        &["status", "--force"],
        &[],
    ] {
        let out = ctl(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        one_line(&out);
        assert!(out.stdout.is_empty(), "{args:?}: {out:?}");
    }
}

#[test]
fn no_daemon_exits_3_with_one_line_naming_the_socket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("control.sock");
    let socket = socket.to_string_lossy();
    for args in [
        &["--socket", &socket, "status"][..],
        &["--socket", &socket, "drain", "web", "--reason", "x"],
        &["--socket", &socket, "reload", "--force"],
    ] {
        let out = ctl(args);
        assert_eq!(out.status.code(), Some(3), "{args:?}: {out:?}");
        assert!(one_line(&out).contains(socket.as_ref()), "{out:?}");
    }
    // The environment names the socket when --socket is absent.
    let out = Command::new(BIN)
        .args(["ctl", "peers"])
        .env("ANYCASTD_SOCKET", socket.as_ref())
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    assert!(one_line(&out).contains(socket.as_ref()), "{out:?}");
}

#[test]
fn help_documents_every_command() {
    let out = ctl(&["--help"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    for command in [
        "status",
        "services",
        "peers",
        "routes",
        "drain",
        "undrain",
        "reload",
        "check-config",
        "--socket",
        "--json",
    ] {
        assert!(text.contains(command), "{command} missing from:\n{text}");
    }
}
