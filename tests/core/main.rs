//! Tests of the pure core crate: one test binary, one module per area.

mod bfd;
mod codec;
mod config;
mod config_corpus;
mod fsm;
mod golden;
mod health;
mod lifecycle;
mod module_graph;
mod purity;
mod redirect;
mod schema;
