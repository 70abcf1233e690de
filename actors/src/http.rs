//! The metrics and health endpoint (actix-web on `metrics.address`): `/metrics` renders the one
//! shared registry; `/healthz` answers 200 `ok` while every actor answers a ping in time, else 503
//! with the name of the first one that did not.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use actix_web::{App, HttpResponse, HttpServer, dev::Server, http::header::ContentType, web};

use crate::metrics::Metrics;
use crate::supervisor::{ListActors, Ping, Supervisor};

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
            .route("/metrics", web::get().to(render_metrics))
            .route("/healthz", web::get().to(healthz))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .bind(address)?;
    let bound = server.addrs();
    Ok((server.run(), bound))
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

async fn healthz(state: web::Data<State>) -> HttpResponse {
    let unavailable = |name: &str| {
        HttpResponse::ServiceUnavailable()
            .content_type(ContentType::plaintext())
            .body(format!("{name} does not answer\n"))
    };
    let actors = match tokio::time::timeout(PING_DEADLINE, state.supervisor.send(ListActors)).await
    {
        Ok(Ok(actors)) => actors,
        _ => return unavailable("supervisor"),
    };
    let pings = actors.into_iter().map(|(name, actor)| async move {
        match tokio::time::timeout(PING_DEADLINE, actor.send(Ping)).await {
            Ok(Ok(())) => None,
            _ => Some(name),
        }
    });
    match futures_util::future::join_all(pings)
        .await
        .into_iter()
        .flatten()
        .next()
    {
        Some(name) => unavailable(&name),
        None => HttpResponse::Ok()
            .content_type(ContentType::plaintext())
            .body("ok\n"),
    }
}
