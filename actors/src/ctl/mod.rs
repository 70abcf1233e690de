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
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{Value, json};

use client::{Answer, ClientError};

/// The default socket (`control.socket`'s default).
pub const DEFAULT_SOCKET: &str = anycastd::config::model::Control::DEFAULT_SOCKET;

/// The environment variable that names the socket when `--socket` is absent.
pub const SOCKET_ENV: &str = "ANYCASTD_SOCKET";

/// One line of usage.
pub const USAGE: &str = "usage: anycastd ctl [--socket PATH] [--json] status | services | peers | routes [PEER] | drain [SERVICE] [--reason TEXT] | undrain [SERVICE] | reload [--force] | check-config";

/// Exit code: done.
pub const EXIT_DONE: u8 = 0;
/// Exit code: the daemon refused (its reason on stderr).
pub const EXIT_REFUSED: u8 = 1;
/// Exit code: bad command line.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: the daemon cannot be reached.
pub const EXIT_UNREACHABLE: u8 = 3;

/// What `anycastd ctl` is asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CtlCommand {
    /// Services, checks, peers, routes and drains.
    Status,
    /// Services and their checks.
    Services,
    /// Neighbours.
    Peers,
    /// Routes sent, to every neighbour or one.
    Routes(Option<String>),
    /// Drain one service, or the whole node.
    Drain {
        /// The service, `None` for every service.
        service: Option<String>,
        /// Why (shown in status and logs).
        reason: Option<String>,
    },
    /// Undrain one service, or the whole node.
    Undrain(Option<String>),
    /// Reload the configuration file; `force` passes the blast-radius guard once.
    Reload {
        /// `--force`.
        force: bool,
    },
    /// Validate the daemon's configuration file without applying it.
    CheckConfig,
}

/// The parsed command line of `anycastd ctl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ctl {
    /// The control socket.
    pub socket: PathBuf,
    /// Print the daemon's JSON instead of tables.
    pub json: bool,
    /// What to do.
    pub command: CtlCommand,
}

/// Parses the arguments after `ctl`; `socket_env` is `ANYCASTD_SOCKET`. Errors are one line.
pub fn parse<I>(args: I, socket_env: Option<OsString>) -> Result<Ctl, String>
where
    I: IntoIterator<Item = OsString>,
{
    let mut socket = socket_env.filter(|s| !s.is_empty()).map(PathBuf::from);
    let mut json = false;
    let mut reason: Option<String> = None;
    let mut force = false;
    let mut words: Vec<String> = Vec::new();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|a| format!("argument {a:?} is not UTF-8"))?;
        match arg.as_str() {
            "--socket" | "-s" => match args.next() {
                Some(path) => socket = Some(PathBuf::from(path)),
                None => return Err(format!("{arg} needs a PATH")),
            },
            "--reason" | "-r" => match args.next() {
                Some(text) => {
                    reason = Some(
                        text.into_string()
                            .map_err(|t| format!("reason {t:?} is not UTF-8"))?,
                    )
                }
                None => return Err(format!("{arg} needs a TEXT")),
            },
            "--json" | "-j" => json = true,
            "--force" | "-f" => force = true,
            other => {
                if let Some(path) = other.strip_prefix("--socket=") {
                    socket = Some(PathBuf::from(path));
                } else if let Some(text) = other.strip_prefix("--reason=") {
                    reason = Some(text.to_string());
                } else if other.starts_with('-') && other.len() > 1 {
                    return Err(format!("unknown option {other:?}"));
                } else {
                    words.push(other.to_string());
                }
            }
        }
    }
    let mut words = words.into_iter();
    let verb = words.next().ok_or("no command given")?;
    let operand = words.next();
    if let Some(extra) = words.next() {
        return Err(format!("unexpected argument {extra:?}"));
    }
    let no_operand = |command: CtlCommand| match &operand {
        Some(extra) => Err(format!("{verb} takes no argument, got {extra:?}")),
        None => Ok(command),
    };
    let command = match verb.as_str() {
        "status" => no_operand(CtlCommand::Status)?,
        "services" => no_operand(CtlCommand::Services)?,
        "peers" => no_operand(CtlCommand::Peers)?,
        "routes" => CtlCommand::Routes(operand),
        "drain" => CtlCommand::Drain {
            service: operand,
            reason: reason.take(),
        },
        "undrain" => CtlCommand::Undrain(operand),
        "reload" => no_operand(CtlCommand::Reload { force })?,
        "check-config" => no_operand(CtlCommand::CheckConfig)?,
        other => return Err(format!("unknown command {other:?}")),
    };
    if reason.is_some() {
        return Err("--reason goes with drain".to_string());
    }
    if force && !matches!(command, CtlCommand::Reload { .. }) {
        return Err("--force goes with reload".to_string());
    }
    Ok(Ctl {
        socket: socket.unwrap_or_else(|| PathBuf::from(DEFAULT_SOCKET)),
        json,
        command,
    })
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

/// Runs `ctl` against the daemon.
pub fn run(ctl: &Ctl) -> Outcome {
    let (method, path, body) = match &ctl.command {
        CtlCommand::Status | CtlCommand::Services | CtlCommand::Peers | CtlCommand::Routes(_) => {
            ("GET", "/status", None)
        }
        CtlCommand::Drain { service, reason } => (
            "POST",
            "/drain",
            Some(json!({"service": service, "reason": reason})),
        ),
        CtlCommand::Undrain(service) => ("POST", "/undrain", Some(json!({"service": service}))),
        CtlCommand::Reload { force } => ("POST", "/reload", Some(json!({"force": force}))),
        CtlCommand::CheckConfig => ("POST", "/check-config", None),
    };
    let answer = match client::request(&ctl.socket, method, path, body.as_ref()) {
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
            CtlCommand::Routes(only) => {
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
        CtlCommand::Routes(only) => match render::routes(body, only.as_deref()) {
            Some(text) => text,
            None => return no_peer(only.as_deref().unwrap_or_default()),
        },
        CtlCommand::Drain { .. } | CtlCommand::Undrain(_) => {
            format!("{}\n", body["message"].as_str().unwrap_or("done"))
        }
        CtlCommand::Reload { .. } => {
            let changes: Vec<&str> = body["changes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
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
            let changes: Vec<&str> = body["changes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
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

/// `anycastd ctl ARGS`: parses, runs, prints, and returns the exit code.
pub fn main<I>(args: I) -> ExitCode
where
    I: IntoIterator<Item = OsString>,
{
    let args: Vec<OsString> = args.into_iter().collect();
    if args
        .first()
        .is_some_and(|a| a == "help" || a == "--help" || a == "-h")
    {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let ctl = match parse(args, std::env::var_os(SOCKET_ENV)) {
        Ok(ctl) => ctl,
        Err(e) => {
            eprintln!("anycastd ctl: {e} ({USAGE})");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let outcome = run(&ctl);
    print!("{}", outcome.stdout);
    if let Some(line) = outcome.stderr {
        eprintln!("anycastd ctl: {line}");
    }
    ExitCode::from(outcome.code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(list: &[&str]) -> Result<Ctl, String> {
        parse(list.iter().map(OsString::from), None)
    }

    #[test]
    fn commands_and_their_options() {
        let got = parsed(&["--socket", "/tmp/s", "drain", "dns", "--reason", "upgrade"]);
        assert_eq!(
            got,
            Ok(Ctl {
                socket: "/tmp/s".into(),
                json: false,
                command: CtlCommand::Drain {
                    service: Some("dns".into()),
                    reason: Some("upgrade".into())
                }
            })
        );
        let got = parsed(&["reload", "--force", "--json"]).map(|c| (c.command, c.json));
        assert_eq!(got, Ok((CtlCommand::Reload { force: true }, true)));
        let got = parsed(&["routes"]).map(|c| (c.command, c.socket));
        assert_eq!(got, Ok((CtlCommand::Routes(None), DEFAULT_SOCKET.into())));
        let got = parse(
            ["undrain"].iter().map(OsString::from),
            Some("/env.sock".into()),
        );
        assert_eq!(got.map(|c| c.socket), Ok("/env.sock".into()));
    }

    #[test]
    fn usage_errors_are_one_line() {
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
            let e = parsed(bad).expect_err("usage error");
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn a_missing_socket_is_exit_3() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ctl = Ctl {
            socket: dir.path().join("none.sock"),
            json: false,
            command: CtlCommand::Status,
        };
        let outcome = run(&ctl);
        assert_eq!(outcome.code, EXIT_UNREACHABLE);
        assert!(outcome.stderr.is_some_and(|line| !line.contains('\n')));
    }

    #[test]
    fn a_refusal_is_exit_1_with_the_reason_and_every_error() {
        let ctl = Ctl {
            socket: "/x".into(),
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
