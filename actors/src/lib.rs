//! The imperative shell of anycastd: actors, sockets, timers, signals.
//!
//! ```text
//!      SIGHUP: Reload, SIGUSR1/SIGUSR2: Drain, SIGTERM/SIGINT: Shutdown; drain file polled
//!                              │
//!                         Supervisor ── DesiredRoutes (per peer) ──> PeerActor* (peer::set::Peers)
//!                    (owns Config, the ladder's
//!                     route sets, the drain switch)
//!                  starts/stops │  ▲ ServiceReport (effective ladder state)
//!                  Reconfigure  ▼  │
//!                         ServiceActor*  (one per service: grace + Debounce per check, Strategy,
//!                               ▲         drain, hold-down and dampening in ServiceTracker)
//!                               │ CheckResult
//!                          CheckActor*   (one per check: probe under a deadline, every interval)
//!
//!   http (actix-web): /metrics renders the shared Registry; /healthz pings every actor; /status.
//! ```
//! Handlers only move messages and perform actions; every decision is in the core crate.

pub mod check;
pub mod cli;
pub mod http;
pub mod logging;
pub mod messages;
pub mod metrics;
pub mod peer;
pub mod probe;
pub mod registry;
pub mod routes;
pub mod service;
pub mod signals;
pub mod supervisor;
