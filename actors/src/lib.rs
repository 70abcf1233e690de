//! The imperative shell of anycastd: actors, sockets, timers, signals.

pub mod peer;
pub mod probe;
pub mod routes;
