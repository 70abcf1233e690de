//! The node's lifecycle as a pure state machine, the twin of the Supervisor: the services' ladder
//! states, the drain switches and the shutdown go in as [`Input`]s; the route set to publish, the
//! readiness notice, the drain to apply and the shutdown steps come out as [`Action`]s.
//!
//! The phases, in order ([`Phase`]): `Starting` until every service has had its first evaluation
//! (startup gate; then `READY=1`), `Running`, `Draining` once a shutdown was asked for (every
//! service drained for `shutdown.drain_time`, no more reloads), `Stopping` once the drain time is
//! over (services stopped, their reports ignored, every route withdrawn, every session ended).
//!
//! Pure: the configuration and the states are values; the shell owns timers and files.
#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::drain::{Drain, Drains};
use super::guard::{self, Refused};
use super::ladder::{self, ServiceState};
use super::route_set::{RouteChange, RouteSet};
use crate::bgp::types::Prefix;
use crate::config::diff::Change;
use crate::config::model::Config;

/// Where the node is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Not every service has had its first evaluation: no End-of-RIB, no `READY=1`.
    Starting,
    /// Ready: the route set follows the services.
    Running,
    /// A shutdown was asked for: services drained for `shutdown.drain_time`; no reloads.
    Draining,
    /// Past the drain time: services stopped, every route withdrawn, every session ended.
    Stopping,
}

/// What happens to the node.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// A service's effective state changed (or was evaluated for the first time).
    Reported {
        /// The service's name.
        service: String,
        /// Its new effective state.
        state: ServiceState,
    },
    /// Recompute the route set now (after reports, whose recomputation is coalesced).
    Publish,
    /// Whether the drain file exists now.
    DrainFile(bool),
    /// Stop (SIGTERM / SIGINT); a second one during the drain time ends the drain at once.
    Shutdown,
    /// The drain time of the shutdown is over.
    Drained,
}

/// What the shell does, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send [`Input::Publish`] after the reports already queued (one recomputation for them all).
    SchedulePublish,
    /// Send the route set to every peer.
    Publish {
        /// The new route set.
        set: RouteSet,
        /// How it differs from the set sent before, `None` for the first one.
        change: Option<RouteChange>,
        /// The prefixes that moved in (`true`) or out (`false`) of the announced prefixes.
        moved: Vec<(Prefix, bool)>,
    },
    /// Every service has had its first evaluation: tell systemd `READY=1`.
    Ready,
    /// Tell each service its drain switch, and export which switches are on.
    Drain {
        /// Every configured service with why it is drained, `None` when it is not.
        services: Vec<(String, Option<String>)>,
        /// The node-wide drain is on: the operator's (SIGUSR1, `anycastd ctl drain`) or a stop's.
        node: bool,
        /// The drain file exists.
        file: bool,
        /// How many services the operator drained one by one.
        per_service: usize,
    },
    /// The operator's drains changed: write them to the state file.
    SaveDrains(Drains),
    /// The drain file appeared (`true`) or went away (`false`): a log line.
    DrainFileChanged(bool),
    /// Send [`Input::Drained`] after this long.
    WaitDrain(Duration),
    /// Stop every service and check, withdraw every route and end every session, then exit.
    StopAll,
}

/// Why the operator's drain or undrain was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrainRefused {
    /// No configured service has this name.
    #[error("no service named {0:?}")]
    UnknownService(String),
    /// The daemon is stopping.
    #[error("the daemon is stopping")]
    Stopping,
}

/// The node: configuration, the services' states, the drain switches and the phase.
#[derive(Debug, Clone)]
pub struct Node {
    config: Config,
    phase: Phase,
    /// The effective state of every configured service (`None` before its first evaluation).
    states: BTreeMap<String, Option<ServiceState>>,
    drains: Drains,
    shutting_down: bool,
    drain_file: bool,
    /// The route set sent last.
    sent: Option<RouteSet>,
    publish_pending: bool,
}

impl Node {
    /// A node starting with `config`: no service evaluated yet, not drained.
    pub fn new(config: Config) -> Node {
        let states = config
            .services
            .iter()
            .map(|s| (s.name.clone(), None))
            .collect();
        Node {
            config,
            phase: Phase::Starting,
            states,
            drains: Drains::default(),
            shutting_down: false,
            drain_file: false,
            sent: None,
            publish_pending: false,
        }
    }

    /// The running configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The route set sent last.
    pub fn sent(&self) -> Option<&RouteSet> {
        self.sent.as_ref()
    }

    /// A service's effective state; `None` before its first evaluation or when not configured.
    pub fn state_of(&self, service: &str) -> Option<ServiceState> {
        self.states.get(service).copied().flatten()
    }

    /// Whether a reload may run: not once a shutdown was asked for.
    pub fn accepts_reload(&self) -> bool {
        self.phase < Phase::Draining
    }

    /// Why the whole node is drained, `None` when it is not: a shutdown first, then the operator's
    /// node-wide drain, then the drain file.
    pub fn drain_reason(&self) -> Option<String> {
        if self.shutting_down {
            return Some("shutting down".to_string());
        }
        match (&self.drains.node, self.drain_file) {
            (Some(drain), _) => Some(drain.reason.clone()),
            (None, true) => self
                .config
                .lifecycle
                .drain_file
                .as_ref()
                .map(|path| format!("drain file {} exists", path.display())),
            (None, false) => None,
        }
    }

    /// Why `service` is drained, `None` when it is not: the node-wide reasons first, then the
    /// operator's drain of that service.
    pub fn drain_of(&self, service: &str) -> Option<String> {
        self.drain_reason().or_else(|| {
            self.drains
                .services
                .get(service)
                .map(|drain| drain.reason.clone())
        })
    }

    /// The operator's drains (what the state file keeps).
    pub fn drains(&self) -> &Drains {
        &self.drains
    }

    /// Whether the drain file exists (as last polled).
    pub fn drain_file_present(&self) -> bool {
        self.drain_file
    }

    /// Takes the drains read from the state file at start, before the first announcement; drains
    /// of services the configuration does not have are dropped and returned by name.
    pub fn restore(&mut self, mut drains: Drains) -> Vec<String> {
        let unknown: Vec<String> = drains
            .services
            .keys()
            .filter(|name| !self.states.contains_key(name.as_str()))
            .cloned()
            .collect();
        for name in &unknown {
            drains.services.remove(name);
        }
        self.drains = drains;
        unknown
    }

    /// The operator drains (`Some`) or undrains (`None`) one service, or the whole node when
    /// `service` is `None`. Refused for a service the configuration does not have, and once the
    /// node is stopping. Setting what is already set changes nothing (no save).
    pub fn set_drain(
        &mut self,
        service: Option<&str>,
        drain: Option<Drain>,
    ) -> Result<Vec<Action>, DrainRefused> {
        if self.phase >= Phase::Draining {
            return Err(DrainRefused::Stopping);
        }
        let slot_changed = match service {
            None => {
                let changed = self.drains.node.as_ref().map(|d| &d.reason)
                    != drain.as_ref().map(|d| &d.reason);
                if changed {
                    self.drains.node = drain;
                }
                changed
            }
            Some(name) => {
                if !self.states.contains_key(name) {
                    return Err(DrainRefused::UnknownService(name.to_string()));
                }
                let held = self.drains.services.get(name).map(|d| &d.reason);
                let changed = held != drain.as_ref().map(|d| &d.reason);
                if changed {
                    match drain {
                        Some(drain) => {
                            self.drains.services.insert(name.to_string(), drain);
                        }
                        None => {
                            self.drains.services.remove(name);
                        }
                    }
                }
                changed
            }
        };
        if !slot_changed {
            return Ok(Vec::new());
        }
        Ok(vec![Action::SaveDrains(self.drains.clone()), self.drain()])
    }

    /// Every prefix some service of the configuration owns (announced or not).
    pub fn configured_prefixes(&self) -> BTreeSet<Prefix> {
        self.config
            .services
            .iter()
            .flat_map(|s| s.prefixes(&self.config.announcer).iter().copied())
            .collect()
    }

    /// Decides a reload to `new` ([`guard::check_reload`]): refused, or taken, with the changes the
    /// shell carries out (the services the new configuration adds start unevaluated) and the
    /// configuration it replaces.
    pub fn reload(
        &mut self,
        new: Config,
        force: bool,
    ) -> Result<(BTreeSet<Change>, Config), Refused> {
        let changes = guard::check_reload(&self.config, &new, |name| self.state_of(name), force)?;
        let old = std::mem::replace(&mut self.config, new);
        let names: BTreeSet<&str> = self
            .config
            .services
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        self.states.retain(|name, _| names.contains(name.as_str()));
        self.drains
            .services
            .retain(|name, _| names.contains(name.as_str()));
        for name in names {
            self.states.entry(name.to_string()).or_insert(None);
        }
        Ok((changes, old))
    }

    /// Applies `input`; returns what the shell does, in order.
    pub fn handle(&mut self, input: Input) -> Vec<Action> {
        let mut out = Vec::new();
        match input {
            Input::Reported { service, state } => {
                if self.phase == Phase::Stopping {
                    return out;
                }
                if let Some(known) = self.states.get_mut(&service) {
                    *known = Some(state);
                    if !self.publish_pending {
                        self.publish_pending = true;
                        out.push(Action::SchedulePublish);
                    }
                }
            }
            Input::Publish => {
                if self.publish_pending && self.phase != Phase::Stopping {
                    self.publish(&mut out);
                }
            }
            Input::DrainFile(present) => {
                if present != self.drain_file {
                    self.drain_file = present;
                    out.push(Action::DrainFileChanged(present));
                    out.push(self.drain());
                }
            }
            Input::Shutdown => {
                // A second stop during the drain time ends it now (the operator's SIGTERM again,
                // as BIRD and most daemons do); once stopping there is nothing left to hurry.
                if self.phase == Phase::Draining {
                    self.phase = Phase::Stopping;
                    out.push(Action::StopAll);
                    return out;
                }
                if self.phase >= Phase::Draining {
                    return out;
                }
                self.phase = Phase::Draining;
                let drain_time = self.config.shutdown.drain_time;
                if !drain_time.is_zero() {
                    self.shutting_down = true;
                    out.push(self.drain());
                }
                out.push(Action::WaitDrain(drain_time));
            }
            Input::Drained => {
                if self.phase == Phase::Draining {
                    self.phase = Phase::Stopping;
                    out.push(Action::StopAll);
                }
            }
        }
        out
    }

    /// Recomputes the route set now, whether or not a report asked for it (start, reload).
    pub fn publish_now(&mut self) -> Vec<Action> {
        let mut out = Vec::new();
        self.publish(&mut out);
        out
    }

    /// The drain switches as they are now, to apply (at start, to the services just started).
    pub fn drain(&self) -> Action {
        Action::Drain {
            services: self
                .config
                .services
                .iter()
                .map(|s| (s.name.clone(), self.drain_of(&s.name)))
                .collect(),
            node: self.drains.node.is_some() || self.shutting_down,
            file: self.drain_file,
            per_service: self.drains.services.len(),
        }
    }

    fn publish(&mut self, out: &mut Vec<Action>) {
        self.publish_pending = false;
        let services = ladder::services(&self.config, |name| self.state_of(name));
        let peers = self.config.announcer.peers.iter();
        let set = RouteSet::of(&services, peers.map(|peer| peer.name.as_str()));
        if self.sent.as_ref() == Some(&set) {
            return;
        }
        let before = match &self.sent {
            Some(sent) => sent.clone(),
            None => RouteSet::plain([], false),
        };
        let change = RouteChange::between(&before, &set);
        // Only the prefixes that changed can have moved in or out.
        let moved = change
            .prefixes
            .iter()
            .filter(|prefix| change.moved(&set, prefix))
            .map(|prefix| (*prefix, set.announces(prefix)))
            .collect();
        let complete = set.complete;
        out.push(Action::Publish {
            set: set.clone(),
            change: self.sent.as_ref().map(|_| change),
            moved,
        });
        self.sent = Some(set);
        if complete && self.phase == Phase::Starting {
            self.phase = Phase::Running;
            out.push(Action::Ready);
        }
    }
}
