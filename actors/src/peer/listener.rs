//! Passive sessions: one shared listener per local `address:port`, which hands each accepted
//! connection to the PeerActor registered for the connection's source address. A connection from an
//! address nobody registered is closed at once and logged.
//!
//! TCP MD5 keys are installed on the listening socket per neighbour address (the kernel checks the
//! SYN against them); the listener-wide GTSM floor is the lowest of its neighbours' floors, and each
//! accepted socket then gets its own neighbour's TTL and floor.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use actix::prelude::*;
use tokio::net::{TcpListener, TcpStream};

use super::socket::{self, SessionSocketOptions, SocketError};

/// An accepted connection for the PeerActor whose neighbour connected.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Accepted {
    /// The connection, with the session's socket options applied.
    pub stream: TcpStream,
    /// The neighbour's address and port.
    pub remote: SocketAddr,
}

/// Asks the listener to accept connections from `remote` and hand them to `recipient`.
#[derive(Message)]
#[rtype(result = "Result<(), SocketError>")]
pub struct Register {
    /// The neighbour's address.
    pub remote: IpAddr,
    /// Its session socket options (MD5 key, TTL, GTSM floor).
    pub options: SessionSocketOptions,
    /// Where accepted connections go.
    pub recipient: Recipient<Accepted>,
}

/// Stops accepting connections from `remote` and removes its MD5 key from the listener.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Unregister {
    /// The neighbour's address.
    pub remote: IpAddr,
}

struct Registration {
    options: SessionSocketOptions,
    recipient: Recipient<Accepted>,
}

/// One listening socket shared by every passive neighbour reached through the same local address
/// and port.
pub struct Listener {
    address: SocketAddr,
    socket: Arc<TcpListener>,
    peers: HashMap<IpAddr, Registration>,
}

impl Listener {
    /// Binds `address` (port 0 picks a free port; see [`Listener::local_addr`]) and starts accepting.
    /// Must be called inside a running actix system.
    pub fn start(address: SocketAddr) -> Result<(Addr<Listener>, SocketAddr), SocketError> {
        let socket = socket::listen(address, None)?;
        let std_listener = std::net::TcpListener::from(socket);
        let bound = std_listener
            .local_addr()
            .map_err(|source| SocketError::Bind { address, source })?;
        let listener = TcpListener::from_std(std_listener)
            .map_err(|source| SocketError::Bind { address, source })?;
        let actor = Listener {
            address: bound,
            socket: Arc::new(listener),
            peers: HashMap::new(),
        };
        Ok((actor.start(), bound))
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Sets the listener-wide GTSM floor to the lowest floor among the registered neighbours.
    fn update_min_ttl(&self) -> Result<(), SocketError> {
        let floor = self
            .peers
            .values()
            .map(|p| p.options.min_ttl.unwrap_or(0))
            .min()
            .unwrap_or(0);
        let socket = socket2::SockRef::from(self.socket.as_ref());
        socket::set_min_ttl(&socket, self.address.is_ipv6(), floor)
    }
}

impl Actor for Listener {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        let socket = Arc::clone(&self.socket);
        let accepts = futures_util::stream::unfold(socket, |socket| async move {
            let next = socket.accept().await;
            Some((next, socket))
        });
        ctx.add_stream(accepts);
        log::info!("BGP listener on {} started", self.address);
    }
}

impl StreamHandler<io::Result<(TcpStream, SocketAddr)>> for Listener {
    fn handle(&mut self, item: io::Result<(TcpStream, SocketAddr)>, _ctx: &mut Self::Context) {
        let (stream, remote) = match item {
            Ok(accepted) => accepted,
            Err(error) => {
                // EMFILE, ECONNABORTED...: the listener itself stays usable.
                log::warn!("BGP listener on {}: accept failed: {error}", self.address);
                return;
            }
        };
        let Some(peer) = self.peers.get(&remote.ip()) else {
            log::warn!(
                "BGP listener on {}: closing connection from unknown address {remote}",
                self.address
            );
            drop(stream);
            return;
        };
        if let Err(error) = socket::configure_accepted(&stream, &peer.options) {
            log::warn!(
                "BGP listener on {}: connection from {remote}: {error}; closing it",
                self.address
            );
            return;
        }
        if let Err(error) = peer.recipient.try_send(Accepted { stream, remote }) {
            log::warn!(
                "BGP listener on {}: connection from {remote} not handed over: {error}",
                self.address
            );
        }
    }

    fn finished(&mut self, _ctx: &mut Self::Context) {
        // The unfold stream never ends; nothing to do.
    }
}

impl Handler<Register> for Listener {
    type Result = Result<(), SocketError>;

    fn handle(&mut self, message: Register, _ctx: &mut Self::Context) -> Self::Result {
        let socket = socket2::SockRef::from(self.socket.as_ref());
        socket::set_md5_key(&socket, message.remote, message.options.md5_key.as_deref())?;
        self.peers.insert(
            message.remote,
            Registration {
                options: message.options,
                recipient: message.recipient,
            },
        );
        self.update_min_ttl()
    }
}

impl Handler<Unregister> for Listener {
    type Result = ();

    fn handle(&mut self, message: Unregister, _ctx: &mut Self::Context) {
        if let Some(peer) = self.peers.remove(&message.remote) {
            if peer.options.md5_key.is_some() {
                let socket = socket2::SockRef::from(self.socket.as_ref());
                if let Err(error) = socket::set_md5_key(&socket, message.remote, None) {
                    log::warn!(
                        "BGP listener on {}: removing the MD5 key of {}: {error}",
                        self.address,
                        message.remote
                    );
                }
            }
            if let Err(error) = self.update_min_ttl() {
                log::warn!("BGP listener on {}: {error}", self.address);
            }
        }
    }
}

/// The listeners of one daemon, by local `address:port`: passive neighbours on the same address share
/// one socket.
#[derive(Default)]
pub struct Listeners {
    by_address: HashMap<SocketAddr, Addr<Listener>>,
}

impl Listeners {
    /// The listener for `address`, binding it on first use.
    pub fn get_or_start(&mut self, address: SocketAddr) -> Result<Addr<Listener>, SocketError> {
        if let Some(listener) = self.by_address.get(&address).filter(|l| l.connected()) {
            return Ok(listener.clone());
        }
        let (listener, _) = Listener::start(address)?;
        self.by_address.insert(address, listener.clone());
        Ok(listener)
    }
}
