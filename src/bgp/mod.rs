//! BGP-4: wire format, session state machine and per-peer Adj-RIB-Out.
//!
//! Pure: bytes and values in, bytes, values and decisions out.

pub mod codec;
pub mod fsm;
pub mod output;
pub mod rib_out;
pub mod speaker;
pub mod types;
