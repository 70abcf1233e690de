//! `anycastd ctl`: the operator's client of the control socket (`control.socket`).
//!
//! ```text
//! anycastd ctl [--socket PATH] [--json] status | services | peers | routes [PEER]
//!            | drain [SERVICE] [--reason TEXT] | undrain [SERVICE] | reload [--force] | check-config
//! ```
//!
//! Human tables as birdc prints them, the daemon's JSON with `--json`. Exit codes: 0 done, 1
//! refused by the daemon (its reason on stderr), 2 usage, 3 daemon unreachable; a failure is one
//! line on stderr.

pub mod client;
pub mod render;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde_json::{Value, json};

use client::{Answer, ClientError};

/// The default socket (`control.socket`'s default).
pub const DEFAULT_SOCKET: &str = anycastd::config::model::Control::DEFAULT_SOCKET;

/// The environment variable that names the socket when `--socket` is absent.
pub const SOCKET_ENV: &str = "ANYCASTD_SOCKET";

/// Exit code: done.
pub const EXIT_DONE: u8 = 0;
/// Exit code: the daemon refused (its reason on stderr).
pub const EXIT_REFUSED: u8 = 1;
/// Exit code: bad command line (clap's).
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the daemon cannot be reached.
pub const EXIT_UNREACHABLE: u8 = 3;

/// What `anycastd ctl` is asked to do.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum CtlCommand {
    /// Show services (state, reason, since when, each check's last result), peers (address,
    /// state, uptime, last error, hold time, capabilities), the routes sent to each peer with
    /// their attributes, and every drain
    Status,
    /// Show the services and their checks' last results
    Services,
    /// Show the BGP neighbours
    Peers,
    /// Show the routes sent to every neighbour, or to PEER, with MED, communities and AS path
    Routes {
        /// Only this neighbour (its configured name)
        peer: Option<String>,
    },
    /// Drain SERVICE, or every service: routes stay announced with GRACEFUL_SHUTDOWN and the
    /// draining state's attributes; kept in the state file across restarts
    Drain {
        /// The service to drain (default: every service)
        service: Option<String>,
        /// Why, shown by status and in the logs
        #[arg(short, long, value_name = "TEXT")]
        reason: Option<String>,
    },
    /// Undrain SERVICE, or the node-wide drain
    Undrain {
        /// The service to undrain (default: the node-wide drain)
        service: Option<String>,
    },
    /// Reload the configuration file now and print the changes applied, or every error
    Reload {
        /// Apply this one reload even when the blast-radius guard would refuse it
        #[arg(short, long)]
        force: bool,
    },
    /// Validate the daemon's configuration file and print what a reload would change
    CheckConfig,
}

/// `anycastd ctl`: the options and the command.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct Ctl {
    /// The daemon's control socket [default: $ANYCASTD_SOCKET, else /run/anycastd/control.sock]
    #[arg(short, long, value_name = "PATH", global = true)]
    pub socket: Option<PathBuf>,
    /// Print the daemon's JSON instead of tables
    #[arg(short, long, global = true)]
    pub json: bool,
    /// What to do
    #[command(subcommand)]
    pub command: CtlCommand,
}

impl Ctl {
    /// The socket to use: `--socket`, else `socket_env` (`ANYCASTD_SOCKET`), else the default.
    pub fn socket_path(&self, socket_env: Option<OsString>) -> PathBuf {
        self.socket
            .clone()
            .or_else(|| socket_env.filter(|s| !s.is_empty()).map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_SOCKET))
    }
}

/// What one run printed and its exit code (the caller prints; tests look).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// For stdout.
    pub stdout: String,
    /// One line for stderr, if any.
    pub stderr: Option<String>,
    /// The exit code.
    pub code: u8,
}

impl Outcome {
    fn done(stdout: String) -> Outcome {
        Outcome {
            stdout,
            stderr: None,
            code: EXIT_DONE,
        }
    }

    fn refused(stdout: String, line: String) -> Outcome {
        Outcome {
            stdout,
            stderr: Some(line),
            code: EXIT_REFUSED,
        }
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

/// Runs `ctl` against the daemon at `socket`.
pub fn run(ctl: &Ctl, socket: &Path) -> Outcome {
    let (method, path, body) = match &ctl.command {
        CtlCommand::Status
        | CtlCommand::Services
        | CtlCommand::Peers
        | CtlCommand::Routes { .. } => ("GET", "/status", None),
        CtlCommand::Drain { service, reason } => (
            "POST",
            "/drain",
            Some(json!({"service": service, "reason": reason})),
        ),
        CtlCommand::Undrain { service } => ("POST", "/undrain", Some(json!({"service": service}))),
        CtlCommand::Reload { force } => ("POST", "/reload", Some(json!({"force": force}))),
        CtlCommand::CheckConfig => ("POST", "/check-config", None),
    };
    let answer = match client::request(socket, method, path, body.as_ref()) {
        Ok(answer) => answer,
        Err(e @ ClientError::Unreachable { .. }) => {
            return Outcome {
                stdout: String::new(),
                stderr: Some(e.to_string()),
                code: EXIT_UNREACHABLE,
            };
        }
        Err(e) => return Outcome::refused(String::new(), e.to_string()),
    };
    render_answer(ctl, &answer)
}

/// Turns the daemon's answer into output and an exit code.
pub fn render_answer(ctl: &Ctl, answer: &Answer) -> Outcome {
    let body = &answer.body;
    if answer.status != 200 {
        let reason = body["error"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("HTTP status {}", answer.status));
        let errors: String = body["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(|line| format!("{line}\n"))
            .collect();
        let stdout = if ctl.json { pretty(body) } else { errors };
        return Outcome::refused(stdout, format!("refused: {reason}"));
    }
    if ctl.json {
        let shown = match &ctl.command {
            CtlCommand::Services => body["services"].clone(),
            CtlCommand::Peers => body["peers"].clone(),
            CtlCommand::Routes { peer: only } => {
                let peers = body["peers"].as_array().cloned().unwrap_or_default();
                let picked: Vec<Value> = peers
                    .into_iter()
                    .filter(|p| only.as_deref().is_none_or(|only| p["name"] == only))
                    .map(|p| json!({"peer": p["name"], "routes": p["routes"]}))
                    .collect();
                if picked.is_empty() && only.is_some() {
                    return no_peer(only.as_deref().unwrap_or_default());
                }
                Value::Array(picked)
            }
            _ => body.clone(),
        };
        return Outcome::done(pretty(&shown));
    }
    let text = match &ctl.command {
        CtlCommand::Status => render::status(body),
        CtlCommand::Services => render::services(body),
        CtlCommand::Peers => render::peers(body),
        CtlCommand::Routes { peer: only } => match render::routes(body, only.as_deref()) {
            Some(text) => text,
            None => return no_peer(only.as_deref().unwrap_or_default()),
        },
        CtlCommand::Drain { .. } | CtlCommand::Undrain { .. } => {
            format!("{}\n", body["message"].as_str().unwrap_or("done"))
        }
        CtlCommand::Reload { .. } => {
            let changes = strings(&body["changes"]);
            if changes.is_empty() {
                "reloaded: no changes\n".to_string()
            } else {
                let mut out = "reloaded, applied:\n".to_string();
                for change in changes {
                    out.push_str(&format!("  {change}\n"));
                }
                out
            }
        }
        CtlCommand::CheckConfig => {
            let mut out = format!("{}: ok\n", body["file"].as_str().unwrap_or("configuration"));
            for warning in body["warnings"].as_array().into_iter().flatten() {
                out.push_str(&format!(
                    "warning: {}\n",
                    warning.as_str().unwrap_or_default()
                ));
            }
            let changes = strings(&body["changes"]);
            if changes.is_empty() {
                out.push_str("a reload would change nothing\n");
            } else {
                out.push_str("a reload would apply:\n");
                for change in changes {
                    out.push_str(&format!("  {change}\n"));
                }
            }
            if let Some(refused) = body["refused"].as_str() {
                out.push_str(&format!(
                    "the blast-radius guard would refuse it: {refused} (reload --force applies it once)\n"
                ));
            }
            out
        }
    };
    Outcome::done(text)
}

fn no_peer(name: &str) -> Outcome {
    Outcome::refused(String::new(), format!("refused: no peer named {name:?}"))
}

/// `anycastd ctl ...`: runs, prints, and returns the exit code.
pub fn main(ctl: &Ctl) -> ExitCode {
    let socket = ctl.socket_path(std::env::var_os(SOCKET_ENV));
    let outcome = run(ctl, &socket);
    print!("{}", outcome.stdout);
    if let Some(line) = outcome.stderr {
        eprintln!("anycastd ctl: {line}");
    }
    ExitCode::from(outcome.code)
}

/// The strings of a JSON array (none when it is not one).
fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, clap::Parser)]
    struct Line {
        #[command(flatten)]
        ctl: Ctl,
    }

    fn parsed(list: &[&str]) -> Result<Ctl, String> {
        use clap::Parser;
        let argv = std::iter::once("ctl").chain(list.iter().copied());
        Line::try_parse_from(argv)
            .map(|line| line.ctl)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn commands_and_their_options() {
        let got = parsed(&["--socket", "/tmp/s", "drain", "dns", "--reason", "upgrade"]);
        assert_eq!(
            got,
            Ok(Ctl {
                socket: Some("/tmp/s".into()),
                json: false,
                command: CtlCommand::Drain {
                    service: Some("dns".into()),
                    reason: Some("upgrade".into())
                }
            })
        );
        let got = parsed(&["reload", "--force", "--json"]).map(|c| (c.command, c.json));
        assert_eq!(got, Ok((CtlCommand::Reload { force: true }, true)));
        let got = parsed(&["routes"]).map(|c| (c.command.clone(), c.socket_path(None)));
        assert_eq!(
            got,
            Ok((CtlCommand::Routes { peer: None }, DEFAULT_SOCKET.into()))
        );
        let got = parsed(&["undrain"]).map(|c| c.socket_path(Some("/env.sock".into())));
        assert_eq!(got, Ok("/env.sock".into()));
        let got = parsed(&["undrain", "-s", "/flag.sock"])
            .map(|c| c.socket_path(Some("/env.sock".into())));
        assert_eq!(got, Ok("/flag.sock".into()));
    }

    #[test]
    fn usage_errors_are_refused() {
        for bad in [
            &[][..],
            &["frobnicate"],
            &["status", "extra"],
            &["undrain", "a", "b"],
            &["status", "--force"],
            &["status", "--reason", "x"],
            &["--socket"],
            &["--bogus", "status"],
        ] {
            assert!(parsed(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_missing_socket_is_exit_3() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ctl = Ctl {
            socket: None,
            json: false,
            command: CtlCommand::Status,
        };
        let outcome = run(&ctl, &dir.path().join("none.sock"));
        assert_eq!(outcome.code, EXIT_UNREACHABLE);
        assert!(outcome.stderr.is_some_and(|line| !line.contains('\n')));
    }

    #[test]
    fn a_refusal_is_exit_1_with_the_reason_and_every_error() {
        let ctl = Ctl {
            socket: None,
            json: false,
            command: CtlCommand::Reload { force: false },
        };
        let answer = Answer {
            status: 409,
            body: json!({"error": "configuration reload failed", "errors": ["a.yaml:1:1: x", "a.yaml:2:1: y"]}),
        };
        let outcome = render_answer(&ctl, &answer);
        assert_eq!(outcome.code, EXIT_REFUSED);
        assert_eq!(outcome.stdout, "a.yaml:1:1: x\na.yaml:2:1: y\n");
        assert_eq!(
            outcome.stderr.as_deref(),
            Some("refused: configuration reload failed")
        );
    }
}
