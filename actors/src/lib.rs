//! The imperative shell of anycastd: actors, sockets, timers, signals.

pub mod probe;
pub mod routes;
