//! The messages a PeerActor answers besides the route set.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use actix::prelude::*;
use anycastd::bgp::fsm::{State, StopReason};
use anycastd::bgp::speaker::SentRoute;
use anycastd::bgp::types::Prefix;

/// End the session with a Cease of `reason` after withdrawing every route (RFC 4486: e.g. Peer
/// De-configured, Other Configuration Change; RFC 8203 Administrative Shutdown at SIGTERM), flush,
/// close. With `retire`, the neighbour leaves its listener and never starts again: it was removed
/// from the configuration. Answers once the connection is closed (or there was none).
#[derive(Debug, Clone, Message)]
#[rtype(result = "()")]
pub struct EndSession {
    /// The Cease to send.
    pub reason: StopReason,
    /// Forget the neighbour for good.
    pub retire: bool,
}

impl EndSession {
    /// Cease / Administrative Shutdown with the Shutdown Communication `text` (RFC 8203); the
    /// neighbour stays configured.
    pub fn shutdown(text: Option<String>) -> EndSession {
        EndSession {
            reason: StopReason::shutdown(text),
            retire: false,
        }
    }
}

/// What the peer's session looks like right now (for `/status` and tests).
#[derive(Debug, Clone, PartialEq, MessageResponse)]
pub struct SessionStatus {
    /// The FSM state.
    pub state: State,
    /// Prefixes the neighbour has from us.
    pub advertised: Vec<Prefix>,
    /// The neighbour's address and port.
    pub remote: SocketAddr,
    /// When the session became Established (seconds since the Unix epoch), while it is.
    pub established_since: Option<f64>,
    /// Why the session last went down.
    pub last_error: Option<String>,
    /// The negotiated hold time in seconds, while a session is up.
    pub hold_time: Option<u16>,
    /// The negotiated capabilities, while a session is up.
    pub capabilities: Vec<String>,
    /// The routes the neighbour has from us, with their attributes.
    pub routes: Vec<SentRoute>,
}

/// Asks for a [`SessionStatus`].
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "SessionStatus")]
pub struct GetSessionStatus;

/// Asks only for the session's FSM state: what the systemd `STATUS=` line counts every second,
/// without copying the routes a [`SessionStatus`] carries (10,000 prefixes are about 2 MB per peer).
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "State")]
pub struct GetSessionState;

/// New cross-family next hops after a reload (`announcer.next_hop_ipv4` / `next_hop_ipv6`): the
/// session stays up; prefixes whose next hop changed are announced again with the new one.
#[derive(Debug, Clone, Copy, Message)]
#[rtype(result = "()")]
pub struct SetNextHops {
    /// NEXT_HOP of IPv4 prefixes over an IPv6 session.
    pub ipv4: Option<Ipv4Addr>,
    /// Next hop of IPv6 prefixes over an IPv4 session.
    pub ipv6: Option<Ipv6Addr>,
}
