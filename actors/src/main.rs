//! The `anycastd` binary: command line, environment, logging, then the actor system until
//! SIGTERM/SIGINT. Exit codes: 0 ok, 2 bad command line, environment or config, 1 start failure.

use std::path::Path;
use std::process::ExitCode;

use actix::prelude::*;
use anycastd::config::{self, model::Config};
use anycastd_actors::cli::{self, Command};
use anycastd_actors::files;
use anycastd_actors::logging;
use anycastd_actors::metrics::Metrics;
use anycastd_actors::peer::set::{self, Md5Keys, Peers};
use anycastd_actors::signals::Signals;
use anycastd_actors::supervisor::Supervisor;

const EXIT_RUNTIME: u8 = 1;
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    anycastd_actors::sys::tune_malloc();
    let command = match cli::parse(std::env::args_os().skip(1), std::env::var_os("CONFIG_PATH")) {
        Ok(command) => command,
        // Usage errors exit 2, `--help` and `--version` print and exit 0; a usage error of
        // `anycastd ctl` is one line, as its other failures are.
        Err(e) => return cli::usage_error(e, std::env::args_os().nth(1)),
    };
    let path = match command {
        Command::Tool(tool) => return tool.run(),
        Command::PrintConfigSchema => {
            print!("{}", config::schema::json_schema_text());
            return ExitCode::SUCCESS;
        }
        Command::CheckConfig(path) => {
            let config = match read_config(&path, false) {
                Ok(config) => config,
                Err(code) => return code,
            };
            // The daemon reads the key files when it starts a session: a missing or unreadable one
            // would stop it, so it is an error here too.
            let (_, errors) = set::read_md5_keys(&config.announcer);
            for error in &errors {
                eprintln!("{}: {error}", path.display());
            }
            if !errors.is_empty() {
                return ExitCode::from(EXIT_CONFIG);
            }
            println!("{}: ok", path.display());
            return ExitCode::SUCCESS;
        }
        Command::Diff { running, new } => return diff(&running, &new),
        Command::Run { path, force } => (path, force),
    };
    let (path, force) = path;
    // The logger comes first, so that every start-up error is a log line in the configured format
    // (and, under systemd, with its priority).
    let style = logging::Style::from_env();
    let level = std::env::var("LOG_LEVEL").unwrap_or_else(|_| "WARN".to_string());
    let level = match logging::parse_level(&level) {
        Ok(level) => level,
        Err(e) => {
            logging::init(log::LevelFilter::Error, style);
            log::error!("{e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    logging::init(level, style);
    let config = match read_config(&path, true) {
        Ok(config) => config,
        Err(code) => return code,
    };
    // Key files are read before any actor runs: a missing one is a start failure, one line, exit 1.
    let (keys, errors) = set::read_md5_keys(&config.announcer);
    if let Some(error) = errors.first() {
        log::error!("{error}");
        return ExitCode::from(EXIT_RUNTIME);
    }
    let system = actix_rt::System::new();
    match system.block_on(run(config, keys, path, force)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => {
            // A start failure after some actors were created: dropping the runtime would run their
            // first poll outside it. The error is printed; leave without unwinding the system.
            log::logger().flush();
            std::process::exit(i32::from(code))
        }
    }
}

/// Reads and validates `path`; on error reports every line and returns exit code 2. The daemon
/// (`logged`) reports errors and warnings through the logger; `--check-config` and `--diff` print
/// them on stderr.
fn read_config(path: &Path, logged: bool) -> Result<Config, ExitCode> {
    let file = path.display().to_string();
    let text = match files::read_text(path, files::CONFIG_LIMIT) {
        Ok(text) => text,
        Err(e) => {
            if logged {
                log::error!(file = file.as_str(); "{file}: {e}");
            } else {
                eprintln!("{file}: {e}");
            }
            return Err(ExitCode::from(EXIT_CONFIG));
        }
    };
    let loaded = config::load_with_warnings(path, &text);
    drop(text);
    files::release_memory();
    match loaded {
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
            if logged {
                for line in &errors.0 {
                    log::error!(file = file.as_str(); "{line}");
                }
            } else {
                eprint!("{errors}");
            }
            Err(ExitCode::from(EXIT_CONFIG))
        }
    }
}

/// Binds the endpoint, starts the actors and serves signals until a clean stop; a start failure
/// is printed as one line and returns the exit code.
async fn run(
    config: Config,
    keys: Md5Keys,
    path: std::path::PathBuf,
    force: bool,
) -> Result<(), u8> {
    let metrics = match Metrics::new() {
        Ok(metrics) => metrics,
        Err(e) => {
            log::error!("cannot create metrics: {e}");
            return Err(EXIT_RUNTIME);
        }
    };
    let signals = match Signals::install() {
        Ok(signals) => signals,
        Err(e) => {
            log::error!("cannot install signal handlers: {e}");
            return Err(EXIT_RUNTIME);
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
                log::error!(address = address.to_string().as_str(); "cannot listen on {address} for metrics: {e}");
                return Err(EXIT_RUNTIME);
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
    let peers = match Peers::start_keyed(&config.announcer, &metrics.registry, &keys) {
        Ok(peers) => peers,
        Err(e) => {
            log::error!("{e}");
            return Err(EXIT_RUNTIME);
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
            .with_keys(keys)
            .with_force(force)
            .with_state_file(state_file, drains),
    );
    actix_rt::spawn(anycastd_actors::http::watchdog(supervisor.clone()));
    // On SIGTERM the supervisor drains, withdraws and ends each session with a Cease (RFC 8203).
    signals.run(supervisor).await;
    if let Some(server) = server {
        anycastd_actors::http::stop_server(server).await;
    }
    if let Some((server, path)) = control {
        anycastd_actors::http::stop_server(server).await;
        anycastd_actors::control::remove(&path);
    }
    log::warn!("stopped");
    Ok(())
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
