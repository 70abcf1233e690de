//! Command line and environment (DESIGN §4), declared once with clap: `--help`, the shell
//! completions (`anycastd completions SHELL`) and the man page (`anycastd manpage`) are all
//! generated from [`Cli`], so they cannot drift from what the parser accepts.
//!
//! `anycastd [--config FILE] [--force] [--check-config [FILE]] [--diff FILE]
//! [--print-config-schema] [--version]`, with `CONFIG_PATH` (default `/config.yaml`) when
//! `--config` is absent, or one of the [`Tool`] subcommands.

mod env;
mod manpage;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

pub use env::{ENVIRONMENT, EnvVar};

/// The default configuration file.
pub const DEFAULT_CONFIG: &str = "/config.yaml";

/// The command line as clap sees it: the daemon's flags, or one subcommand.
#[derive(Debug, Parser)]
#[command(
    name = "anycastd",
    version,
    about = "Announce anycast prefixes over BGP while local health checks pass",
    long_about = "Runs health checks against a local service and keeps one BGP session to each \
                  configured router. While the service is healthy the node's prefixes are \
                  announced; when it fails they are withdrawn, and the routers send the traffic to \
                  other nodes. Reads the YAML and JSON configuration of the Go anycastd as it is.\n\n\
                  Without a subcommand, runs the daemon until SIGTERM or SIGINT (SIGHUP reloads \
                  the configuration).",
    after_help = env::help(false),
    after_long_help = env::help(true),
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// Configuration file (YAML by .yaml/.yml, JSON by .json) [default: $CONFIG_PATH, else
    /// /config.yaml]
    #[arg(short = 'c', long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Let reloads (SIGHUP) past the blast-radius guard, which otherwise refuses a change that
    /// would withdraw every route or take down most sessions at once
    #[arg(long)]
    pub force: bool,

    /// Validate FILE (default: the --config file) and exit: 0 when valid, 2 with every error,
    /// one per line, as FILE:LINE:COLUMN: field: message
    #[arg(short = 't', long, value_name = "FILE", num_args = 0..=1)]
    pub check_config: Option<Option<PathBuf>>,

    /// Print what a reload from the --config file to FILE would change, and whether the
    /// blast-radius guard would refuse it: exit 0 would apply, 1 refused, 2 a bad file
    #[arg(long, value_name = "FILE")]
    pub diff: Option<PathBuf>,

    /// Print the JSON Schema (draft 2020-12) of the configuration and exit
    #[arg(long)]
    pub print_config_schema: bool,

    #[command(subcommand)]
    pub tool: Option<Tool>,
}

/// The subcommands. A new one is one variant here (its arguments need only `clap::Args` and
/// `Debug`) and one arm in [`Tool::run`].
#[derive(Debug, Subcommand)]
pub enum Tool {
    /// Print the completion script for SHELL on standard output
    #[command(
        long_about = "Print the completion script for SHELL on standard output. The \
                            package installs them; by hand: `anycastd completions bash > \
                            /etc/bash_completion.d/anycastd`."
    )]
    Completions {
        /// The shell to complete for
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page, anycastd(8), in roff on standard output
    #[command(
        long_about = "Print the man page, anycastd(8), in roff on standard output: the \
                            options and subcommands of this binary plus the sections on \
                            signals, files and exit codes. Read it with `anycastd manpage | man \
                            -l -`."
    )]
    Manpage,
    /// Ask the running daemon over its control socket: status, services, peers, routes, drain,
    /// undrain, reload, check-config
    #[command(
        long_about = "Ask the running daemon over its control socket (control.socket): show \
                      services, checks, peers, routes and drains as tables (--json for scripts), \
                      drain or undrain one service or the node (kept across restarts in \
                      lifecycle.state_file), reload now (--force passes the blast-radius guard \
                      once), or validate the configuration file. Exit codes: 0 done, 1 refused \
                      by the daemon (its reason on stderr), 2 usage, 3 daemon unreachable."
    )]
    Ctl(crate::ctl::Ctl),
}

impl Tool {
    /// Runs the subcommand to completion; the daemon does not start.
    pub fn run(self) -> ExitCode {
        match self {
            Tool::Completions { shell } => {
                let mut command = Cli::command();
                clap_complete::generate(shell, &mut command, "anycastd", &mut std::io::stdout());
                ExitCode::SUCCESS
            }
            Tool::Ctl(ctl) => crate::ctl::main(&ctl),
            Tool::Manpage => match manpage::write(&mut std::io::stdout()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("anycastd: cannot write the man page: {e}");
                    ExitCode::from(1)
                }
            },
        }
    }
}

/// What the command line asks for.
#[derive(Debug)]
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
    /// A subcommand.
    Tool(Tool),
}

/// Parses the arguments (without the program name); `config_path` is `CONFIG_PATH` from the
/// environment. `--help` and `--version` come back as errors of their kind: `exit()` prints them
/// and exits 0, as it prints a usage error and exits 2.
pub fn parse<I>(args: I, config_path: Option<OsString>) -> Result<Command, clap::Error>
where
    I: IntoIterator<Item = OsString>,
{
    let argv = std::iter::once(OsString::from("anycastd")).chain(args);
    let cli = Cli::try_parse_from(argv)?;
    Ok(cli.into_command(config_path))
}

impl Cli {
    /// Resolves the flags against `CONFIG_PATH` (an empty value counts as unset).
    pub fn into_command(self, config_path: Option<OsString>) -> Command {
        if let Some(tool) = self.tool {
            return Command::Tool(tool);
        }
        if self.print_config_schema {
            return Command::PrintConfigSchema;
        }
        let configured = self
            .config
            .or_else(|| config_path.filter(|p| !p.is_empty()).map(PathBuf::from))
            .unwrap_or_else(|| DEFAULT_CONFIG.into());
        match (self.check_config, self.diff) {
            (Some(file), _) => Command::CheckConfig(file.unwrap_or(configured)),
            (None, Some(new)) => Command::Diff {
                running: configured,
                new,
            },
            (None, None) => Command::Run {
                path: configured,
                force: self.force,
            },
        }
    }
}

/// Reports a command line error: `--help` and `--version` print and exit 0; a usage error exits 2,
/// on one line of stderr for `anycastd ctl` (whose failures are all one line), else with clap's
/// usage text. `first` is the first argument.
pub fn usage_error(error: clap::Error, first: Option<OsString>) -> ExitCode {
    use clap::error::ErrorKind;
    let is_ctl = first.is_some_and(|first| first == "ctl");
    let informational = matches!(
        error.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    );
    if !is_ctl || informational {
        error.exit()
    }
    if error.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        eprintln!("anycastd ctl: a command is required (anycastd ctl --help)");
        return ExitCode::from(crate::ctl::EXIT_USAGE);
    }
    let text = error.render().to_string();
    let line = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("bad command line")
        .trim_start_matches("error: ");
    eprintln!("anycastd ctl: {line} (anycastd ctl --help)");
    ExitCode::from(crate::ctl::EXIT_USAGE)
}

#[cfg(test)]
mod tests;
