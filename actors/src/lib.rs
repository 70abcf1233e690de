//! The imperative shell of anycastd: actors, sockets, timers, signals.
//!
//! ```text
//!                 SIGHUP: Reload / SIGTERM, SIGINT: Shutdown
//!                              │
//!                         Supervisor ── DesiredRoutes ──> PeerActor* (registered with AddPeer)
//!                       (owns Config)
//!                  starts/stops │  ▲ ServiceHealth
//!                               ▼  │
//!                         ServiceActor*  (one per service: Debounce per check, Strategy)
//!                               ▲ CheckResult
//!                               │
//!                          CheckActor*   (one per check: probe under a deadline, every interval)
//!
//!   http (actix-web): /metrics renders the shared Registry; /healthz pings every actor.
//! ```
//! Handlers only move messages and perform actions; every decision is in the core crate.

pub mod check;
pub mod cli;
pub mod http;
pub mod logging;
pub mod metrics;
pub mod peer;
pub mod probe;
pub mod routes;
pub mod service;
pub mod signals;
pub mod supervisor;
