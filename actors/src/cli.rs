//! Command line and environment (DESIGN §4): `anycastd [--config FILE] [--force] [--check-config
//! [FILE]] [--diff FILE] [--version]`, with `CONFIG_PATH` (default `/config.yaml`) when `--config` is
//! absent; `anycastd ctl ...` is the control client ([`crate::ctl`]).

use std::ffi::OsString;
use std::path::PathBuf;

/// The default configuration file.
pub const DEFAULT_CONFIG: &str = "/config.yaml";

/// Usage text for `--help` and for command line errors.
pub const USAGE: &str = "usage: anycastd [--config FILE] [--force] [--check-config [FILE]] \
                         [--diff FILE] [--print-config-schema] [--version]\n       \
                         anycastd ctl [--socket PATH] [--json] COMMAND (anycastd ctl help)";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Run the daemon with this configuration file; `force` lets reloads past the blast-radius guard.
    Run {
        /// The configuration file.
        path: PathBuf,
        /// `--force`.
        force: bool,
    },
    /// Print what a reload to `new` would change against the configuration file `running`.
    Diff {
        /// The file the daemon runs with (`--config` / `CONFIG_PATH`).
        running: PathBuf,
        /// The candidate file.
        new: PathBuf,
    },
    /// Validate this file and exit.
    CheckConfig(PathBuf),
    /// Print the configuration's JSON Schema and exit.
    PrintConfigSchema,
    /// Print the version and exit.
    Version,
    /// Print usage and exit.
    Help,
    /// `anycastd ctl ...`: the control client, with the arguments after `ctl`.
    Ctl(Vec<OsString>),
}

/// Parses the arguments (without the program name); `config_path` is `CONFIG_PATH` from the
/// environment. Errors are one line, ready to print.
pub fn parse<I>(args: I, config_path: Option<OsString>) -> Result<Command, String>
where
    I: IntoIterator<Item = OsString>,
{
    let mut config: Option<PathBuf> = None;
    let mut check: Option<Option<PathBuf>> = None;
    let mut version = false;
    let mut force = false;
    let mut diff: Option<PathBuf> = None;
    let mut args = args.into_iter().peekable();
    if args.peek().is_some_and(|first| first == "ctl") {
        return Ok(Command::Ctl(args.skip(1).collect()));
    }
    while let Some(arg) = args.next() {
        let text = arg.to_string_lossy();
        match text.as_ref() {
            "--version" | "-V" => version = true,
            "--print-config-schema" => return Ok(Command::PrintConfigSchema),
            "--help" | "-h" => return Ok(Command::Help),
            "--force" => force = true,
            "--diff" => match args.next() {
                Some(file) => diff = Some(PathBuf::from(file)),
                None => return Err(format!("{text} needs a FILE argument")),
            },
            "--config" | "-c" => match args.next() {
                Some(file) => config = Some(PathBuf::from(file)),
                None => return Err(format!("{text} needs a FILE argument")),
            },
            "--check-config" | "-t" => {
                let takes_value = args
                    .peek()
                    .is_some_and(|next| !next.to_string_lossy().starts_with('-'));
                check = Some(if takes_value {
                    args.next().map(PathBuf::from)
                } else {
                    None
                });
            }
            other => {
                if let Some(file) = other.strip_prefix("--config=") {
                    config = Some(PathBuf::from(file));
                } else if let Some(file) = other.strip_prefix("--diff=") {
                    diff = Some(PathBuf::from(file));
                } else if let Some(file) = other.strip_prefix("--check-config=") {
                    check = Some(Some(PathBuf::from(file)));
                } else {
                    return Err(format!("unexpected argument {other:?}"));
                }
            }
        }
    }
    if version {
        return Ok(Command::Version);
    }
    let configured = config
        .or_else(|| config_path.filter(|p| !p.is_empty()).map(PathBuf::from))
        .unwrap_or_else(|| DEFAULT_CONFIG.into());
    Ok(match (check, diff) {
        (Some(file), _) => Command::CheckConfig(file.unwrap_or(configured)),
        (None, Some(new)) => Command::Diff {
            running: configured,
            new,
        },
        (None, None) => Command::Run {
            path: configured,
            force,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn config_flag_wins_over_the_environment() {
        let got = parse(args(&["--config", "/a.yaml"]), Some("/b.yaml".into()));
        assert_eq!(
            got,
            Ok(Command::Run {
                path: "/a.yaml".into(),
                force: false
            })
        );
        assert_eq!(
            parse(args(&[]), Some("/b.yaml".into())),
            Ok(Command::Run {
                path: "/b.yaml".into(),
                force: false
            })
        );
        assert_eq!(
            parse(args(&[]), None),
            Ok(Command::Run {
                path: DEFAULT_CONFIG.into(),
                force: false
            })
        );
        assert_eq!(
            parse(args(&["--config=/c.json"]), None),
            Ok(Command::Run {
                path: "/c.json".into(),
                force: false
            })
        );
    }

    #[test]
    fn check_config_takes_an_optional_file() {
        assert_eq!(
            parse(args(&["--check-config"]), None),
            Ok(Command::CheckConfig(DEFAULT_CONFIG.into()))
        );
        assert_eq!(
            parse(args(&["--check-config", "x.yml"]), None),
            Ok(Command::CheckConfig("x.yml".into()))
        );
        assert_eq!(
            parse(args(&["--check-config", "--config", "y.yml"]), None),
            Ok(Command::CheckConfig("y.yml".into()))
        );
        assert_eq!(
            parse(args(&["--check-config=z.json"]), None),
            Ok(Command::CheckConfig("z.json".into()))
        );
    }

    #[test]
    fn ctl_takes_the_rest_of_the_line() {
        assert_eq!(
            parse(args(&["ctl", "drain", "--reason", "x"]), None),
            Ok(Command::Ctl(args(&["drain", "--reason", "x"])))
        );
    }

    #[test]
    fn force_and_diff() {
        assert_eq!(
            parse(args(&["--force", "--config", "/a.yaml"]), None),
            Ok(Command::Run {
                path: "/a.yaml".into(),
                force: true
            })
        );
        assert_eq!(
            parse(args(&["--diff", "/new.yaml"]), Some("/run.yaml".into())),
            Ok(Command::Diff {
                running: "/run.yaml".into(),
                new: "/new.yaml".into()
            })
        );
        assert!(parse(args(&["--diff"]), None).is_err());
    }

    #[test]
    fn bad_arguments_are_one_line_errors() {
        assert!(parse(args(&["--config"]), None).is_err());
        assert!(parse(args(&["--frobnicate"]), None).is_err());
        assert_eq!(parse(args(&["--version"]), None), Ok(Command::Version));
        assert_eq!(
            parse(args(&["--print-config-schema"]), None),
            Ok(Command::PrintConfigSchema)
        );
    }
}
