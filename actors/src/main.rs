//! The `anycastd` binary: command line, environment, logging, then the actor system until
//! SIGTERM/SIGINT. Exit codes: 0 ok, 2 bad command line, environment or config, 1 start failure.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;

use actix::prelude::*;
use anycastd::config::{self, model::Config};
use anycastd_actors::cli::{self, Command};
use anycastd_actors::logging;
use anycastd_actors::metrics::Metrics;
use anycastd_actors::peer::set::Peers;
use anycastd_actors::signals::Signals;
use anycastd_actors::supervisor::Supervisor;

const EXIT_RUNTIME: u8 = 1;
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let command = match cli::parse(std::env::args_os().skip(1), std::env::var_os("CONFIG_PATH")) {
        Ok(command) => command,
        Err(e) => {
            eprintln!("anycastd: {e}\n{}", cli::USAGE);
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let path = match command {
        Command::Version => {
            println!("anycastd {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Command::PrintConfigSchema => {
            print!("{}", config::schema::json_schema_text());
            return ExitCode::SUCCESS;
        }
        Command::Help => {
            println!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Command::CheckConfig(path) => {
            return match read_config(&path, false) {
                Ok(_) => {
                    println!("{}: ok", path.display());
                    ExitCode::SUCCESS
                }
                Err(code) => code,
            };
        }
        Command::Diff { running, new } => return diff(&running, &new),
        Command::Ctl(args) => return anycastd_actors::ctl::main(args),
        Command::Run { path, force } => (path, force),
    };
    let (path, force) = path;
    let level = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "WARN".to_string());
    let level = match logging::parse_level(&level) {
        Ok(level) => level,
        Err(e) => {
            eprintln!("anycastd: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let format = match std::env::var_os("LOG_FORMAT") {
        Some(f) if f.eq_ignore_ascii_case(OsString::from("json")) => logging::Format::Json,
        _ => logging::Format::Human,
    };
    logging::init(level, format);
    let config = match read_config(&path, true) {
        Ok(config) => config,
        Err(code) => return code,
    };
    actix_rt::System::new().block_on(run(config, path, force))
}

/// Reads and validates `path`; on error prints every line on stderr and returns exit code 2.
/// Warnings go to the log when `logged` (the daemon), else to stderr (`--check-config`).
fn read_config(path: &Path, logged: bool) -> Result<Config, ExitCode> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("{}: cannot read: {e}", path.display());
            return Err(ExitCode::from(EXIT_CONFIG));
        }
    };
    match config::load_with_warnings(path, &text) {
        Ok((config, warnings)) => {
            for warning in warnings {
                if logged {
                    log::warn!("{warning}");
                } else {
                    eprintln!("warning: {warning}");
                }
            }
            Ok(config)
        }
        Err(errors) => {
            eprint!("{errors}");
            Err(ExitCode::from(EXIT_CONFIG))
        }
    }
}

/// Binds the endpoint, starts the actors and serves signals until a clean stop.
async fn run(config: Config, path: std::path::PathBuf, force: bool) -> ExitCode {
    let metrics = match Metrics::new() {
        Ok(metrics) => metrics,
        Err(e) => {
            eprintln!("anycastd: cannot create metrics: {e}");
            return ExitCode::from(EXIT_RUNTIME);
        }
    };
    let signals = match Signals::install() {
        Ok(signals) => signals,
        Err(e) => {
            eprintln!("anycastd: cannot install signal handlers: {e}");
            return ExitCode::from(EXIT_RUNTIME);
        }
    };
    // The supervisor's address exists before it runs, so the endpoint can be bound first.
    let context: Context<Supervisor> = Context::new();
    let supervisor = context.address();
    let mut server = None;
    if let (true, Some(address)) = (config.metrics.enabled, config.metrics.address) {
        match anycastd_actors::http::bind(address, metrics.clone(), supervisor.clone()) {
            Ok((bound, _)) => {
                server = Some(bound.handle());
                actix_rt::spawn(bound);
                log::info!(address = address.to_string().as_str(); "serving /metrics and /healthz");
            }
            Err(e) => {
                eprintln!("anycastd: cannot listen on {address} for metrics: {e}");
                return ExitCode::from(EXIT_RUNTIME);
            }
        }
    }
    // The operator's drains, read before anything is announced.
    let state_file = config.lifecycle.state_file.clone();
    let drains = match anycastd_actors::supervisor::state::read(&state_file) {
        Ok(drains) => drains,
        Err(e) => {
            log::error!("{e}: starting without the drains it may hold");
            Default::default()
        }
    };
    // The BGP side: one PeerActor per neighbour, fed by the supervisor's route set.
    let peers = match Peers::start(&config.announcer, &metrics.registry) {
        Ok(peers) => peers,
        Err(e) => {
            eprintln!("anycastd: {e}");
            return ExitCode::from(EXIT_RUNTIME);
        }
    };
    // The control socket: `anycastd ctl`. Not usable: one warning, the daemon runs on.
    let mut control = None;
    if config.control.enabled {
        let path = &config.control.socket;
        match anycastd_actors::control::bind(path, supervisor.clone()) {
            Ok(bound) => {
                control = Some((bound.server.handle(), bound.path));
                actix_rt::spawn(bound.server);
                log::info!(socket = path.display().to_string().as_str(); "serving the control socket");
            }
            Err(e) => {
                log::warn!(socket = path.display().to_string().as_str(); "control socket not served, `anycastd ctl` will not reach this daemon: {e}");
            }
        }
    }
    context.run(
        Supervisor::new(config, path, metrics)
            .with_peers(peers)
            .with_force(force)
            .with_state_file(state_file, drains),
    );
    actix_rt::spawn(anycastd_actors::http::watchdog(supervisor.clone()));
    // On SIGTERM the supervisor drains, withdraws and ends each session with a Cease (RFC 8203).
    signals.run(supervisor).await;
    if let Some(server) = server {
        server.stop(true).await;
    }
    if let Some((server, path)) = control {
        server.stop(true).await;
        anycastd_actors::control::remove(&path);
    }
    log::warn!("stopped");
    ExitCode::SUCCESS
}

/// `--diff FILE`: prints, one line each, what a reload from `running` to `new` would change, and
/// whether the blast-radius guard would refuse it (states unknown here: every service counted up).
/// Exit 0 when it would apply, 2 when either file is bad, 1 when the guard would refuse it.
fn diff(running: &Path, new: &Path) -> ExitCode {
    let (Ok(old), Ok(candidate)) = (read_config(running, false), read_config(new, false)) else {
        return ExitCode::from(EXIT_CONFIG);
    };
    let changes = anycastd::config::diff::diff(&old, &candidate);
    if changes.is_empty() {
        println!("no changes");
    }
    for change in &changes {
        println!("{}", anycastd::config::diff::describe(change));
    }
    let up = |_: &str| Some(anycastd::health::ladder::ServiceState::Up);
    match anycastd::health::guard::check_reload(&old, &candidate, up, false) {
        Ok(_) => ExitCode::SUCCESS,
        Err(refused) => {
            println!("refused: {refused}");
            ExitCode::from(EXIT_RUNTIME)
        }
    }
}
