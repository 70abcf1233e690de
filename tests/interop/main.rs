//! End-to-end tests: our daemon against real routers (BIRD 2, gobgpd, FRR) in network namespaces.
//!
//! Needs root and the Debian packages `iproute2`, `bird2`, `gobgpd`, `frr`, `nftables`, `python3`
//! and `curl`; the daemon tests also need the `anycastd` binary built (`cargo build -p anycastd-actors --bin anycastd`).
//! Every test builds its own pair of namespaces (`acd-peer-<pid>-<n>-{r,d}`) and removes them.

mod bfd;
mod control;
mod daemon;
mod harness;
mod lab;
mod lifecycle;
mod peer;
mod rogue;
