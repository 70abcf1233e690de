//! Our side in-process: PeerActors on an actix system running on a thread that entered the daemon
//! namespace (`setns`), so their sockets live there. Stopped and joined on drop.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use actix::prelude::*;
use anycastd::bgp::types::{Asn, HoldTime, Prefix};
use anycastd::config::model::{self, Announcer, GracefulRestart};
use anycastd_actors::peer::set::Peers;
use anycastd_actors::peer::{EndSession, PeerActor};
use anycastd_actors::routes::DesiredRoutes;

/// Enters the network namespace `name` on the calling thread only.
#[allow(unsafe_code)]
fn enter_namespace(name: &str) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    let file = std::fs::File::open(format!("/run/netns/{name}"))?;
    // SAFETY: `file` is an open namespace file for the whole call; setns only changes the calling
    // thread's network namespace and reads nothing from our memory.
    let rc = unsafe { libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// One neighbour for [`OurSpeaker`].
#[derive(Debug, Clone)]
pub struct Neighbour {
    /// Name (metrics label).
    pub name: String,
    /// The router's address.
    pub remote: IpAddr,
    /// Our source address.
    pub local: IpAddr,
    /// The router's AS.
    pub remote_asn: u32,
    /// TCP MD5 key.
    pub md5: Option<String>,
    /// GTSM.
    pub ttl_security: bool,
    /// Wait for the router to connect (to our address, port 179).
    pub passive: bool,
}

impl Neighbour {
    /// An eBGP neighbour in AS 65000.
    pub fn new(name: &str, local: &str, remote: &str) -> Neighbour {
        Neighbour {
            name: name.into(),
            remote: remote.parse().unwrap_or_else(|e| panic!("{remote}: {e}")),
            local: local.parse().unwrap_or_else(|e| panic!("{local}: {e}")),
            remote_asn: 65000,
            md5: None,
            ttl_security: false,
            passive: false,
        }
    }
}

/// Our PeerActors (AS 65001) running in the daemon namespace.
pub struct OurSpeaker {
    system: Option<actix_rt::System>,
    peers: Vec<Addr<PeerActor>>,
    thread: Option<JoinHandle<()>>,
    /// The metrics registry of these peers.
    pub registry: prometheus::Registry,
}

impl OurSpeaker {
    /// Starts one PeerActor per neighbour inside `namespace` and gives each the desired `routes`
    /// (complete). `next_hop_ipv6` is the IPv6 next hop over IPv4 sessions.
    pub fn start(
        namespace: &str,
        neighbours: &[Neighbour],
        routes: &[&str],
        next_hop_ipv6: Option<Ipv6Addr>,
    ) -> OurSpeaker {
        let registry = prometheus::Registry::new();
        let registry_inside = registry.clone();
        let announce: Arc<std::collections::BTreeSet<Prefix>> = Arc::new(
            routes
                .iter()
                .map(|r| r.parse().unwrap_or_else(|e| panic!("{r}: {e:?}")))
                .collect(),
        );
        let (ready_tx, ready_rx) = mpsc::channel();
        let (namespace, neighbours) = (namespace.to_string(), neighbours.to_vec());
        let thread = std::thread::spawn(move || {
            if let Err(error) = enter_namespace(&namespace) {
                let _ = ready_tx.send(Err(format!("setns into {namespace}: {error}")));
                return;
            }
            let system = actix_rt::System::new();
            let started = system.block_on(async move {
                let announcer = announcer_of(&neighbours, next_hop_ipv6);
                let started = match Peers::start(&announcer, &registry_inside) {
                    Ok(started) => started,
                    Err(error) => {
                        let _ = ready_tx.send(Err(format!("Peers::start: {error}")));
                        return None;
                    }
                };
                let peers: Vec<Addr<PeerActor>> =
                    started.actors().iter().map(|(_, a)| a.clone()).collect();
                for peer in &peers {
                    peer.do_send(DesiredRoutes::plain(announce.iter().copied(), true));
                }
                let _ = ready_tx.send(Ok((actix_rt::System::current(), peers)));
                Some(started)
            });
            // Keep the listeners as long as the system runs.
            let _started = started;
            let _ = system.run();
        });
        match ready_rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Ok((system, peers))) => OurSpeaker {
                system: Some(system),
                peers,
                thread: Some(thread),
                registry,
            },
            Ok(Err(error)) => panic!("{error}"),
            Err(error) => panic!("our PeerActors did not start: {error}"),
        }
    }

    /// Replaces the desired routes of every peer.
    pub fn announce(&self, routes: &[&str]) {
        let announce: Arc<std::collections::BTreeSet<Prefix>> = Arc::new(
            routes
                .iter()
                .map(|r| r.parse().unwrap_or_else(|e| panic!("{r}: {e:?}")))
                .collect(),
        );
        for peer in &self.peers {
            peer.do_send(DesiredRoutes::plain(announce.iter().copied(), true));
        }
    }

    /// Asks every peer to stop gracefully (withdraw, Cease with `text`).
    pub fn shutdown(&self, text: &str) {
        for peer in &self.peers {
            peer.do_send(EndSession::shutdown(Some(text.into())));
        }
    }

    /// The Prometheus text of our metrics.
    pub fn metrics(&self) -> String {
        prometheus::TextEncoder::new()
            .encode_to_string(&self.registry.gather())
            .unwrap_or_default()
    }
}

impl Drop for OurSpeaker {
    fn drop(&mut self) {
        if let Some(system) = self.system.take() {
            system.stop();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn announcer_of(neighbours: &[Neighbour], next_hop_ipv6: Option<Ipv6Addr>) -> Announcer {
    let peers = neighbours
        .iter()
        .map(|neighbour| model::Peer {
            name: neighbour.name.clone(),
            remote_address: neighbour.remote,
            remote_asn: Asn::new(neighbour.remote_asn).unwrap_or(Asn::TRANS),
            remote_port: 179,
            local_address: Some(neighbour.local),
            multihop_ttl: None,
            passive: neighbour.passive,
            hold_time: HoldTime::new(9).unwrap_or_default(),
            connect_retry: Duration::from_secs(1),
            md5: neighbour.md5.clone().map(model::Md5Key::Inline),
            ttl_security: neighbour.ttl_security,
            bfd: None,
            send_hold_time: None,
        })
        .collect();
    Announcer {
        router_id: Ipv4Addr::new(198, 18, 0, 2),
        local_address: IpAddr::V4(Ipv4Addr::new(198, 18, 0, 2)),
        local_asn: Asn::new(65001).unwrap_or(Asn::TRANS),
        routes: Vec::new(),
        peers,
        next_hop_ipv6,
        next_hop_ipv4: None,
        graceful_restart: GracefulRestart::default(),
    }
}
