//! Watches: what tells a check to run now instead of at its next scheduled run. Each watch is a
//! future that ends when its event comes (a sentinel connection closed, a process exited, a file
//! or an address changed); the CheckActor feeds the event to its core schedule
//! ([`anycastd::health::schedule`]), which decides whether a run starts. A watch never decides
//! health on its own.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

pub mod inotify;
pub mod netlink;
pub mod pidfd;
pub mod sentinel;
