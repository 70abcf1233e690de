use clap::error::ErrorKind;

use super::*;

fn args(list: &[&str]) -> Vec<OsString> {
    list.iter().map(OsString::from).collect()
}

/// The parsed command, as its `Debug` text (commands carry subcommand arguments that need not
/// compare), or `None` for an error.
fn ok(list: &[&str], env: Option<&str>) -> Option<String> {
    parse(args(list), env.map(OsString::from))
        .ok()
        .map(|c| format!("{c:?}"))
}

fn some(command: Command) -> Option<String> {
    Some(format!("{command:?}"))
}

fn run(path: &str, force: bool) -> Option<String> {
    some(Command::Run {
        path: path.into(),
        force,
    })
}

#[test]
fn the_definition_is_consistent() {
    Cli::command().debug_assert();
}

#[test]
fn config_flag_wins_over_the_environment() {
    assert_eq!(
        ok(&["--config", "/a.yaml"], Some("/b.yaml")),
        run("/a.yaml", false)
    );
    assert_eq!(ok(&["-c", "/a.yaml"], None), run("/a.yaml", false));
    assert_eq!(ok(&[], Some("/b.yaml")), run("/b.yaml", false));
    assert_eq!(ok(&[], Some("")), run(DEFAULT_CONFIG, false));
    assert_eq!(ok(&[], None), run(DEFAULT_CONFIG, false));
    assert_eq!(ok(&["--config=/c.json"], None), run("/c.json", false));
}

#[test]
fn check_config_takes_an_optional_file() {
    let check = |path: &str| some(Command::CheckConfig(path.into()));
    assert_eq!(ok(&["--check-config"], None), check(DEFAULT_CONFIG));
    assert_eq!(ok(&["-t"], Some("/e.yaml")), check("/e.yaml"));
    assert_eq!(ok(&["--check-config", "x.yml"], None), check("x.yml"));
    assert_eq!(
        ok(&["--check-config", "--config", "y.yml"], None),
        check("y.yml")
    );
    assert_eq!(ok(&["--check-config=z.json"], None), check("z.json"));
}

#[test]
fn force_and_diff() {
    assert_eq!(
        ok(&["--force", "--config", "/a.yaml"], None),
        run("/a.yaml", true)
    );
    assert_eq!(
        ok(&["--diff", "/new.yaml"], Some("/run.yaml")),
        some(Command::Diff {
            running: "/run.yaml".into(),
            new: "/new.yaml".into()
        })
    );
    assert!(ok(&["--diff"], None).is_none());
}

#[test]
fn subcommands() {
    assert_eq!(
        ok(&["completions", "zsh"], None),
        some(Command::Tool(Tool::Completions {
            shell: clap_complete::Shell::Zsh
        }))
    );
    assert_eq!(ok(&["manpage"], None), some(Command::Tool(Tool::Manpage)));
    assert!(ok(&["completions", "tcsh"], None).is_none());
    // Daemon flags do not mix with a subcommand.
    assert!(ok(&["--force", "manpage"], None).is_none());
}

#[test]
fn bad_arguments_help_and_version_are_errors_of_their_kind() {
    let kind = |list: &[&str]| parse(args(list), None).err().map(|e| e.kind());
    assert_eq!(kind(&["--config"]), Some(ErrorKind::InvalidValue));
    assert_eq!(kind(&["--frobnicate"]), Some(ErrorKind::UnknownArgument));
    assert_eq!(kind(&["--version"]), Some(ErrorKind::DisplayVersion));
    assert_eq!(kind(&["-V"]), Some(ErrorKind::DisplayVersion));
    assert_eq!(kind(&["--help"]), Some(ErrorKind::DisplayHelp));
    assert_eq!(kind(&["-h"]), Some(ErrorKind::DisplayHelp));
    assert_eq!(
        ok(&["--print-config-schema"], None),
        some(Command::PrintConfigSchema)
    );
}

#[test]
fn help_names_every_flag_subcommand_and_environment_variable() {
    let help = Cli::command().render_long_help().to_string();
    for arg in Cli::command().get_arguments() {
        if let Some(long) = arg.get_long() {
            assert!(
                help.contains(&format!("--{long}")),
                "--{long} missing:\n{help}"
            );
        }
    }
    for sub in Cli::command().get_subcommands() {
        assert!(
            help.contains(sub.get_name()),
            "{} missing:\n{help}",
            sub.get_name()
        );
    }
    for var in ENVIRONMENT {
        assert!(help.contains(var.name), "{} missing:\n{help}", var.name);
    }
}
