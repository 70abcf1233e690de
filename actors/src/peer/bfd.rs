//! What a BGP neighbour does with its BFD session (RFC 5882, as BIRD does it): a path failure
//! (Up -> Down, not the neighbour's AdminDown) resets the BGP session with Cease / BFD Down
//! (RFC 9384); BGP may come up before BFD, and a neighbour that never answers BFD keeps its BGP
//! session (the BFD actor logs that once). A planned stop takes BFD AdminDown after the
//! withdrawal and the Cease, so the router does not count it as a failure.

use std::net::SocketAddr;
use std::time::Duration;

use actix::prelude::*;
use anycastd::bfd::{SessionConfig, State};
use anycastd::bgp::speaker::Input;

use super::PeerActor;
use crate::bfd::{AdminDown, BfdActor, BfdChanged, Register};

/// How long a planned stop waits for the BFD actor to send AdminDown.
const ADMIN_DOWN_TIMEOUT: Duration = Duration::from_secs(1);

/// A neighbour's BFD session: where it runs and with what.
#[derive(Debug, Clone)]
pub struct PeerBfd {
    /// The daemon's BFD actor.
    pub actor: Addr<BfdActor>,
    /// The neighbour's BFD address and port (3784, or 4784 multihop).
    pub remote: SocketAddr,
    /// RFC 5883 multihop (the peer has `enable_multihop`).
    pub multihop: bool,
    /// Intervals and multiplier.
    pub config: SessionConfig,
}

/// The PeerActor's view of its BFD session.
#[derive(Debug, Default)]
pub(super) struct Link {
    /// The last state reported, `None` before the first report (or without BFD).
    pub(super) state: Option<State>,
    /// Set by a planned stop: BFD failures no longer restart BGP.
    pub(super) stopping: bool,
}

impl PeerActor {
    /// Starts the neighbour's BFD session, when it has one.
    pub(super) fn register_bfd(&mut self, ctx: &mut Context<Self>) {
        let Some(bfd) = self.setup.bfd.clone() else {
            return;
        };
        let register = Register {
            name: self.setup.name.clone(),
            remote: bfd.remote,
            multihop: bfd.multihop,
            config: bfd.config,
            subscriber: ctx.address().recipient(),
        };
        let name = self.setup.name.clone();
        ctx.spawn(
            bfd.actor
                .send(register)
                .into_actor(self)
                .map(move |result, _, _| {
                    let error = match result {
                        Ok(Ok(())) => return,
                        Ok(Err(error)) => error,
                        Err(error) => error.to_string(),
                    };
                    log::error!(peer = name.as_str(); "BGP session {name}: no BFD: {error}");
                }),
        );
    }

    /// The message that takes the neighbour's BFD session AdminDown (a planned stop), with the
    /// actor to send it to.
    pub(super) fn bfd_admin_down(&mut self) -> Option<(Addr<BfdActor>, AdminDown)> {
        self.bfd_link.stopping = true;
        let bfd = self.setup.bfd.as_ref()?;
        let down = AdminDown {
            name: self.setup.name.clone(),
            remove: self.retired,
        };
        Some((bfd.actor.clone(), down))
    }
}

/// Sends a planned stop's AdminDown and waits (boundedly) until the BFD actor has sent it.
pub(super) async fn admin_down(message: Option<(Addr<BfdActor>, AdminDown)>) {
    if let Some((actor, down)) = message {
        let _ = tokio::time::timeout(ADMIN_DOWN_TIMEOUT, actor.send(down)).await;
    }
}

impl Handler<BfdChanged> for PeerActor {
    type Result = ();

    fn handle(&mut self, changed: BfdChanged, ctx: &mut Self::Context) {
        self.bfd_link.state = Some(changed.to);
        if !changed.failure || self.bfd_link.stopping || self.retired {
            return;
        }
        log::warn!(
            peer = self.setup.name.as_str();
            "BGP session {}: BFD went down ({}); resetting BGP with Cease / BFD Down",
            self.setup.name,
            changed.diagnostic.as_str()
        );
        self.feed(Input::PathFailed, ctx);
    }
}
