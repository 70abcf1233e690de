//! anycastd's pure core: the BGP wire format and session state machine, the BFD packet codec and
//! session machine, the health decisions and the configuration contract.
//!
//! Everything here is bytes, values and decisions. This crate never opens a socket, never reads a clock,
//! never spawns a task and never logs: time comes in as an argument, I/O happens in `anycastd-actors`.
//! A test (`tests/core/purity.rs`) keeps runtime crates out of its dependency graph.
#![warn(missing_docs)]

pub mod bfd;
pub mod bgp;
pub mod config;
pub mod health;
