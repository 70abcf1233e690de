//! The imperative shell of anycastd: actors, sockets, timers, signals.
//!
//! ```text
//!      SIGHUP: Reload, SIGUSR1/SIGUSR2: Drain, SIGTERM/SIGINT: Shutdown; drain file polled
//!                              │
//!                         Supervisor ── DesiredRoutes (per peer) ──> PeerActor* (peer::set::Peers)
//!                   (core health::node::Node:                        (core bgp::speaker::Speaker)
//!                    lifecycle, route set, drain)                      │ Register ▲ BfdChanged
//!                              │                                       ▼          │
//!                              │                                     BfdActor (core bfd::Session;
//!                              │                                       UDP 3784/4784, all sessions)
//!                  starts/stops │  ▲ ServiceReport (effective ladder state)
//!        SetDrain, Reconfigure  ▼  │
//!                         ServiceActor*  (one per service: core health::service::Service)
//!                               ▲
//!                               │ CheckResult
//!                          CheckActor*   (one per check: probe under a deadline, every interval)
//!
//!   http (actix-web): /metrics renders the shared Registry; /healthz pings every actor; /status.
//! ```
//! Handlers only move messages and perform actions; every decision is in the core crate
//! (`docs/architecture.md` walks through it).

pub mod bfd;
pub mod check;
pub mod cli;
pub mod control;
pub mod ctl;
pub mod files;
pub mod http;
pub mod logging;
pub mod messages;
pub mod metrics;
pub mod page;
pub mod peer;
pub mod probe;
pub mod registry;
pub mod routes;
pub mod service;
pub mod signals;
pub mod small_family;
pub mod supervisor;
pub mod sys;
pub mod watch;
