//! The control socket (`control.socket`): HTTP/JSON over a Unix socket, the server side of
//! `anycastd ctl`. Mode 0660, group of the daemon's user, so that an operator in that group needs no
//! root. A stale socket file (no daemon behind it) is replaced; a socket another daemon answers on,
//! a path that is not a socket or a directory that cannot be used gives one warning and the daemon
//! runs on without it.
//!
//! | Request | Answer |
//! |---|---|
//! | `GET /status` | the status model of `/status` |
//! | `POST /drain` `{"service": null or NAME, "reason": TEXT}` | `{"message"}` |
//! | `POST /undrain` `{"service": null or NAME}` | `{"message"}` |
//! | `POST /reload` `{"force": BOOL}` | `{"changes": [...]}` |
//! | `POST /check-config` | `{"file", "errors", "warnings", "changes", "refused"}` |
//!
//! A request the daemon refuses answers 409 `{"error": TEXT, "errors": [...]}`.

use std::io;
use std::os::unix::fs::{FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use actix::Addr;
use actix_web::{App, HttpResponse, HttpServer, dev::Server, web};
use serde::Deserialize;

use crate::supervisor::{CheckConfig, GetStatus, ReloadNow, SetOperatorDrain, Supervisor};

/// How long the supervisor may take to answer a request (a reload reads the file first).
const ANSWER_DEADLINE: Duration = Duration::from_secs(10);

/// Why the control socket is not served.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// The socket's directory does not exist.
    #[error("directory {0} does not exist")]
    NoDirectory(PathBuf),
    /// A daemon answers on the socket already.
    #[error("another process answers on {0}")]
    InUse(PathBuf),
    /// Something other than a socket is at the path.
    #[error("{0} exists and is not a socket")]
    NotASocket(PathBuf),
    /// The stale socket cannot be removed, or the new one not bound or not given its mode.
    #[error("{0}: {1}")]
    Io(PathBuf, #[source] io::Error),
}

/// A bound control socket: the server to spawn and the path to remove at the end.
pub struct Bound {
    /// The server (spawn it; stop it through its handle).
    pub server: Server,
    /// The socket's path.
    pub path: PathBuf,
}

/// Prepares `path` (replacing a stale socket) and binds the control server on it.
pub fn bind(path: &Path, supervisor: Addr<Supervisor>) -> Result<Bound, ControlError> {
    let dir = path
        .parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(ControlError::NoDirectory(dir.to_path_buf()));
    }
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            if UnixStream::connect(path).is_ok() {
                return Err(ControlError::InUse(path.to_path_buf()));
            }
            std::fs::remove_file(path).map_err(|e| ControlError::Io(path.to_path_buf(), e))?;
            log::info!(socket = path.display().to_string().as_str(); "replaced a stale control socket");
        }
        Ok(_) => return Err(ControlError::NotASocket(path.to_path_buf())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(ControlError::Io(path.to_path_buf(), e)),
    }
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(supervisor.clone()))
            .app_data(web::JsonConfig::default().limit(64 * 1024))
            .route("/status", web::get().to(status))
            .route("/drain", web::post().to(drain))
            .route("/undrain", web::post().to(undrain))
            .route("/reload", web::post().to(reload))
            .route("/check-config", web::post().to(check_config))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .bind_uds(path)
    .map_err(|e| ControlError::Io(path.to_path_buf(), e))?;
    let owned = (|| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o660))?;
        let gid = rustix::process::getgid().as_raw();
        std::os::unix::fs::chown(path, None, Some(gid))
    })();
    if let Err(e) = owned {
        let _ = std::fs::remove_file(path);
        return Err(ControlError::Io(path.to_path_buf(), e));
    }
    Ok(Bound {
        server: server.run(),
        path: path.to_path_buf(),
    })
}

/// Removes the socket file at the end (only if it is still a socket).
pub fn remove(path: &Path) {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket()) {
        let _ = std::fs::remove_file(path);
    }
}

fn refused(error: impl Into<String>, errors: Vec<String>) -> HttpResponse {
    HttpResponse::Conflict().json(serde_json::json!({"error": error.into(), "errors": errors}))
}

fn unavailable() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .json(serde_json::json!({"error": "the supervisor does not answer"}))
}

async fn status(supervisor: web::Data<Addr<Supervisor>>) -> HttpResponse {
    match tokio::time::timeout(ANSWER_DEADLINE, supervisor.send(GetStatus)).await {
        Ok(Ok(status)) => HttpResponse::Ok().json(status),
        _ => unavailable(),
    }
}

/// The body of `/drain` and `/undrain`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DrainBody {
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    reason: Option<String>,
}

async fn set_drain(
    supervisor: &Addr<Supervisor>,
    service: Option<String>,
    reason: Option<String>,
) -> HttpResponse {
    let request = SetOperatorDrain { service, reason };
    match tokio::time::timeout(ANSWER_DEADLINE, supervisor.send(request)).await {
        Ok(Ok(Ok(message))) => HttpResponse::Ok().json(serde_json::json!({"message": message})),
        Ok(Ok(Err(e))) => refused(e.to_string(), Vec::new()),
        _ => unavailable(),
    }
}

async fn drain(
    supervisor: web::Data<Addr<Supervisor>>,
    body: web::Json<DrainBody>,
) -> HttpResponse {
    let DrainBody { service, reason } = body.into_inner();
    let reason = reason
        .filter(|r| !r.trim().is_empty())
        .unwrap_or_else(|| "anycastd ctl drain".to_string());
    set_drain(&supervisor, service, Some(reason)).await
}

async fn undrain(
    supervisor: web::Data<Addr<Supervisor>>,
    body: web::Json<DrainBody>,
) -> HttpResponse {
    set_drain(&supervisor, body.into_inner().service, None).await
}

/// The body of `/reload`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReloadBody {
    #[serde(default)]
    force: bool,
}

async fn reload(
    supervisor: web::Data<Addr<Supervisor>>,
    body: web::Json<ReloadBody>,
) -> HttpResponse {
    let request = ReloadNow { force: body.force };
    match tokio::time::timeout(ANSWER_DEADLINE, supervisor.send(request)).await {
        Ok(Ok(Ok(changes))) => HttpResponse::Ok().json(serde_json::json!({"changes": changes})),
        Ok(Ok(Err(errors))) => {
            let lines: Vec<String> = errors.0.iter().map(ToString::to_string).collect();
            refused("configuration reload failed", lines)
        }
        _ => unavailable(),
    }
}

async fn check_config(supervisor: web::Data<Addr<Supervisor>>) -> HttpResponse {
    match tokio::time::timeout(ANSWER_DEADLINE, supervisor.send(CheckConfig)).await {
        Ok(Ok(check)) if check.errors.is_empty() => HttpResponse::Ok().json(check),
        Ok(Ok(check)) => HttpResponse::Conflict().json(serde_json::json!({
            "error": format!("{}: invalid", check.file),
            "errors": check.errors,
        })),
        _ => unavailable(),
    }
}
