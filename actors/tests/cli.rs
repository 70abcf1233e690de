//! The command line through the real binary: `--help` documents every flag, subcommand and
//! environment variable; `completions` prints scripts that bash, zsh and fish load and that
//! complete the flags; `manpage` prints a page that man renders without a warning. Needs bash,
//! zsh, fish and man-db (scripts/install-test-deps).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use anycastd_actors::cli::{Cli, ENVIRONMENT};
use clap::CommandFactory;

const BIN: &str = env!("CARGO_BIN_EXE_anycastd");

fn anycastd(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_remove("CONFIG_PATH")
        .stdin(Stdio::null())
        .output()
        .expect("run anycastd")
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every long flag and subcommand name of the definition, `--`-prefixed for flags.
fn names() -> Vec<String> {
    let mut command = Cli::command();
    command.build();
    let mut names: Vec<String> = command
        .get_arguments()
        .filter_map(|a| a.get_long())
        .map(|l| format!("--{l}"))
        .collect();
    names.extend(
        command
            .get_subcommands()
            .map(|s| s.get_name().to_string())
            .filter(|name| name != "help"),
    );
    assert!(names.len() >= 8, "{names:?}");
    names
}

#[test]
fn help_documents_every_flag_subcommand_and_environment_variable() {
    for flag in ["--help", "-h"] {
        let help = stdout(&anycastd(&[flag]));
        for name in names() {
            assert!(help.contains(&name), "{flag}: {name} missing:\n{help}");
        }
        for var in ENVIRONMENT {
            assert!(
                help.contains(var.name),
                "{flag}: {} missing:\n{help}",
                var.name
            );
        }
    }
    let help = stdout(&anycastd(&["completions", "--help"]));
    for shell in ["bash", "zsh", "fish"] {
        assert!(help.contains(shell), "{help}");
    }
}

#[test]
fn a_usage_error_exits_2_and_help_exits_0() {
    let out = anycastd(&["--frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'--frobnicate'") && err.contains("Usage: anycastd"),
        "{err}"
    );
    assert_eq!(anycastd(&["completions"]).status.code(), Some(2));
    assert_eq!(anycastd(&["completions", "tcsh"]).status.code(), Some(2));
    assert_eq!(anycastd(&["--help"]).status.code(), Some(0));
}

fn script(shell: &str, dir: &Path) -> std::path::PathBuf {
    let text = stdout(&anycastd(&["completions", shell]));
    let path = dir.join(format!("anycastd.{shell}"));
    std::fs::write(&path, text).expect("write the completion script");
    path
}

fn shell(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (scripts/install-test-deps): {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: exit {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn bash_completes_flags_subcommands_and_shells() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = script("bash", dir.path());
    let complete = |line: &str| {
        let words: Vec<&str> = line.split(' ').collect();
        let program = format!(
            "source {file}; COMP_WORDS=({words}); COMP_CWORD={cword}; COMP_LINE='{line}'; \
             COMP_POINT={point}; _anycastd anycastd '{cur}' '{prev}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            file = file.display(),
            words = words
                .iter()
                .map(|w| format!("'{w}'"))
                .collect::<Vec<_>>()
                .join(" "),
            cword = words.len() - 1,
            point = line.len(),
            cur = words.last().copied().unwrap_or_default(),
            prev = words.iter().rev().nth(1).copied().unwrap_or_default(),
        );
        shell("bash", &["-c", &program])
    };
    let flags = complete("anycastd --ch");
    assert!(flags.lines().any(|l| l == "--check-config"), "{flags}");
    let all = complete("anycastd ");
    for name in names() {
        assert!(all.lines().any(|l| l == name), "{name} not offered:\n{all}");
    }
    let shells = complete("anycastd completions ");
    for want in ["bash", "zsh", "fish"] {
        assert!(shells.lines().any(|l| l == want), "{shells}");
    }
}

#[test]
fn fish_completes_flags_and_zsh_loads_its_script() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fish = script("fish", dir.path());
    let got = shell(
        "fish",
        &[
            "--no-config",
            "-c",
            &format!("source {}; complete -C 'anycastd --check-'", fish.display()),
        ],
    );
    assert!(
        got.lines().any(|l| l.starts_with("--check-config")),
        "{got}"
    );
    let got = shell(
        "fish",
        &[
            "--no-config",
            "-c",
            &format!("source {}; complete -C 'anycastd '", fish.display()),
        ],
    );
    assert!(got.lines().any(|l| l.starts_with("completions")), "{got}");
    let zsh = script("zsh", dir.path());
    shell("zsh", &["-n", &zsh.display().to_string()]);
    // Loaded by compinit from a directory on fpath, the function is defined.
    std::fs::rename(&zsh, dir.path().join("_anycastd")).expect("rename");
    let got = shell(
        "zsh",
        &[
            "-f",
            "-c",
            &format!(
                "fpath=({} $fpath); autoload -Uz compinit; compinit -u -D; autoload +X _anycastd && \
                 whence -w _anycastd",
                dir.path().display()
            ),
        ],
    );
    assert!(got.contains("_anycastd: function"), "{got}");
}

#[test]
fn the_man_page_renders_without_warnings_and_names_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = dir.path().join("anycastd.8");
    std::fs::write(&page, stdout(&anycastd(&["manpage"]))).expect("write");
    let out = Command::new("man")
        .arg("-l")
        .arg(&page)
        .env("MANWIDTH", "200")
        .env("MAN_KEEP_STDERR", "1")
        .env("MANROFFOPT", "-ww")
        .stdin(Stdio::null())
        .output()
        .expect("run man -l (man-db, scripts/install-test-deps)");
    let text = String::from_utf8_lossy(&out.stdout);
    let warnings = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && warnings.trim().is_empty(),
        "{warnings}"
    );
    for name in names() {
        assert!(
            text.contains(&name),
            "{name} missing from the page:\n{text}"
        );
    }
    for var in ENVIRONMENT {
        assert!(text.contains(var.name), "{} missing:\n{text}", var.name);
    }
    for section in ["DESCRIPTION", "SIGNALS", "EXIT STATUS", "FILES", "SEE ALSO"] {
        assert!(text.contains(section), "{section} missing:\n{text}");
    }
}
