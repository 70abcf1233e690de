//! Bidirectional Forwarding Detection (RFC 5880), asynchronous mode: the Control packet codec and
//! the session state machine.
//!
//! Pure: bytes and events in, bytes, timers and state changes out. The actor in `anycastd-actors`
//! owns the UDP sockets (RFC 5881 single hop, RFC 5883 multihop), demultiplexes packets by
//! discriminator and runs the timers this module asks for.

pub mod packet;
pub mod session;

pub use packet::{Authentication, DecodeError, Diagnostic, KeyedKind, Packet, State};
pub use session::{
    Action, Discard, Event, SLOW_TX_INTERVAL, Session, SessionConfig, Timer, path_failed,
};
