//! The metrics and health endpoint (actix-web on `metrics.address`): `/metrics` renders the one
//! shared registry; `/healthz` answers 200 `ok` while every actor answers a ping in time, else 503
//! with the name of the first one that did not; `/status` describes services, peers and the drain
//! switch as JSON; `/` is the same status as one HTML page for people ([`crate::page`]). Any other
//! method on these paths gets 405 with `Allow: GET`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use actix_web::{App, HttpResponse, HttpServer, dev::Server, http::header::ContentType, web};

use crate::messages::Ping;
use crate::metrics::Metrics;
use crate::supervisor::{GetStatus, ListActors, Supervisor};

/// How long an actor may take to answer a `/healthz` ping.
pub const PING_DEADLINE: Duration = Duration::from_secs(1);

#[derive(Clone)]
struct State {
    metrics: Arc<Metrics>,
    supervisor: Addr<Supervisor>,
}

/// Binds the endpoint on `address`; returns the server (to be spawned or awaited) and the bound
/// addresses (the real port when `address` has port 0).
pub fn bind(
    address: SocketAddr,
    metrics: Arc<Metrics>,
    supervisor: Addr<Supervisor>,
) -> std::io::Result<(Server, Vec<SocketAddr>)> {
    let state = State {
        metrics,
        supervisor,
    };
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(state.clone()))
            .service(get_only("/metrics").route(web::get().to(render_metrics)))
            .service(get_only("/healthz").route(web::get().to(healthz)))
            .service(get_only("/status").route(web::get().to(status)))
            .service(get_only("/").route(web::get().to(page)))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .bind(address)?;
    let bound = server.addrs();
    Ok((server.run(), bound))
}

/// A resource that answers every method but GET with 405 and `Allow: GET`, at once (without a
/// route of its own a method fell through to the 404 of an unknown path).
fn get_only(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(|| async {
        HttpResponse::MethodNotAllowed()
            .insert_header((actix_web::http::header::ALLOW, "GET"))
            .content_type(ContentType::plaintext())
            .body("only GET is served here\n")
    }))
}

async fn render_metrics(state: web::Data<State>) -> HttpResponse {
    match state.metrics.render() {
        Ok(text) => HttpResponse::Ok()
            .content_type("text/plain; version=0.0.4; charset=utf-8")
            .body(text),
        Err(e) => {
            log::error!(error = e.to_string().as_str(); "cannot render metrics");
            HttpResponse::InternalServerError()
                .content_type(ContentType::plaintext())
                .body(e.to_string())
        }
    }
}

/// `/status`: services with their state and last results, peers with their FSM state and
/// advertised prefixes, and the drain reason, as JSON.
async fn status(state: web::Data<State>) -> HttpResponse {
    match tokio::time::timeout(PING_DEADLINE * 3, state.supervisor.send(GetStatus)).await {
        Ok(Ok(status)) => HttpResponse::Ok().json(status),
        _ => HttpResponse::ServiceUnavailable()
            .content_type(ContentType::plaintext())
            .body("supervisor does not answer\n"),
    }
}

/// `/`: the status page.
async fn page(state: web::Data<State>) -> HttpResponse {
    match tokio::time::timeout(PING_DEADLINE * 3, state.supervisor.send(GetStatus)).await {
        Ok(Ok(status)) => HttpResponse::Ok()
            .content_type(ContentType::html())
            .insert_header(("Cache-Control", "no-store"))
            .body(crate::page::render(&status)),
        _ => HttpResponse::ServiceUnavailable()
            .content_type(ContentType::plaintext())
            .body("supervisor does not answer\n"),
    }
}

async fn healthz(state: web::Data<State>) -> HttpResponse {
    match unresponsive(&state.supervisor).await {
        Some(name) => HttpResponse::ServiceUnavailable()
            .content_type(ContentType::plaintext())
            .body(format!("{name} does not answer\n")),
        None => HttpResponse::Ok()
            .content_type(ContentType::plaintext())
            .body("ok\n"),
    }
}

/// Pings every actor (each within [`PING_DEADLINE`], all at once); returns the name of the first
/// one that did not answer, `None` when all did.
pub async fn unresponsive(supervisor: &Addr<Supervisor>) -> Option<String> {
    let actors = match tokio::time::timeout(PING_DEADLINE, supervisor.send(ListActors)).await {
        Ok(Ok(actors)) => actors,
        _ => return Some("supervisor".to_string()),
    };
    let pings = actors.into_iter().map(|(name, actor)| async move {
        match tokio::time::timeout(PING_DEADLINE, actor.send(Ping)).await {
            Ok(Ok(())) => None,
            _ => Some(name),
        }
    });
    futures_util::future::join_all(pings)
        .await
        .into_iter()
        .flatten()
        .next()
}

/// systemd watchdog (`WatchdogSec=`): sends `WATCHDOG=1` at half the period, only while every actor
/// answers, so a stuck daemon is restarted. Returns at once when the watchdog is not enabled.
pub async fn watchdog(supervisor: Addr<Supervisor>) {
    let Some(period) = sd_notify::watchdog_enabled() else {
        return;
    };
    let mut ticks = tokio::time::interval(period / 2);
    loop {
        ticks.tick().await;
        match unresponsive(&supervisor).await {
            None => {
                if let Err(e) = sd_notify::notify(&[sd_notify::NotifyState::Watchdog]) {
                    log::warn!(error = e.to_string().as_str(); "cannot notify the systemd watchdog");
                }
            }
            Some(name) => {
                log::error!(actor = name.as_str(); "actor does not answer: withholding the watchdog ping")
            }
        }
        if !supervisor.connected() {
            return;
        }
    }
}

/// How long a stopping server may take to confirm it has stopped: its workers get one second
/// (`shutdown_timeout`) to finish their requests, the rest is margin.
const STOP_CONFIRM_DEADLINE: Duration = Duration::from_secs(3);

/// Stops an HTTP server (the metrics endpoint or the control socket) gracefully and waits, bounded,
/// for it to confirm. actix-server now and then stops its threads without ever answering the stop
/// it was asked for; an unbounded wait then kept the daemon from exiting after its routes were
/// withdrawn and its sessions ended.
pub async fn stop_server(server: actix_web::dev::ServerHandle) {
    if tokio::time::timeout(STOP_CONFIRM_DEADLINE, server.stop(true))
        .await
        .is_err()
    {
        log::debug!("an HTTP server did not confirm its stop within {STOP_CONFIRM_DEADLINE:?}");
    }
}
