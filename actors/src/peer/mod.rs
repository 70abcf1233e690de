//! BGP neighbours: the PeerActor and the sockets, listeners and timers it uses.

pub mod listener;
pub mod socket;
