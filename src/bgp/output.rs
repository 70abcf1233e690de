//! One connection's output as bytes, for the speaker: what was handed to the connection, what the
//! peer has taken (as the transport reports it), the advertised counts waiting for their UPDATEs
//! to be taken, and the ROUTE-REFRESH requests held back while output still waits.
//!
//! The shell measures; this only counts. Three decisions rest on it (in [`super::speaker`]): the
//! SendHoldTimer (RFC 9687) runs while output waits without progress, a ROUTE-REFRESH is answered
//! at once only when nothing waits (otherwise at most one re-send per family is held, whatever
//! the number of requests), and a neighbour whose waiting output passes [`OUTPUT_LIMIT`] is reset
//! with Cease / Out of Resources.
//!
//! Pure: no I/O, no clock.

use std::collections::{BTreeSet, VecDeque};

use super::codec::{Afi, Safi};

/// The most output that may wait for one neighbour (bytes handed to the connection that the peer
/// has not taken): 16 MiB, many times a full table. Past it the session is reset with Cease / Out
/// of Resources (RFC 4486), so a neighbour that stops reading cannot grow the daemon's memory.
pub const OUTPUT_LIMIT: u64 = 16 * 1024 * 1024;

/// The output of the connection in use; [`Output::reset`] when it ends or a new one starts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Output {
    /// Bytes of the messages handed to this connection.
    queued: u64,
    /// Bytes the peer has taken, as last reported.
    acked: u64,
    /// Bytes waiting for the peer, as last reported.
    unsent: u64,
    /// Bytes handed to the connection since the last report.
    since_report: u64,
    /// Advertised counts and the offset their UPDATEs end at, oldest first.
    advertised: VecDeque<(u64, usize)>,
    /// Families whose ROUTE-REFRESH waits until the output has drained.
    refresh: BTreeSet<(Afi, Safi)>,
}

/// What a transport report means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Report {
    /// Output still waits for the peer.
    pub(crate) pending: bool,
    /// The peer took bytes since the previous report.
    pub(crate) progressed: bool,
    /// The newest advertised count whose UPDATEs the peer has now taken.
    pub(crate) advertised: Option<usize>,
}

impl Output {
    /// Forgets the connection: nothing is queued, held or waiting.
    pub(crate) fn reset(&mut self) {
        *self = Output::default();
    }

    /// `bytes` more were handed to the connection.
    pub(crate) fn sent(&mut self, bytes: u64) {
        self.queued = self.queued.saturating_add(bytes);
        self.since_report = self.since_report.saturating_add(bytes);
    }

    /// Bytes of the messages handed to this connection, in all.
    pub(crate) fn queued(&self) -> u64 {
        self.queued
    }

    /// Bytes waiting for the peer: the last report's, plus what was handed over since.
    pub(crate) fn waiting(&self) -> u64 {
        self.unsent.saturating_add(self.since_report)
    }

    /// True when bytes handed to the connection have not all been taken by the peer.
    pub(crate) fn in_flight(&self) -> bool {
        self.queued > self.acked
    }

    /// Holds `count` until the peer has taken everything handed over so far.
    pub(crate) fn defer_advertised(&mut self, count: usize) {
        match self.advertised.back_mut() {
            // Nothing handed over since: the newer count replaces the older.
            Some((offset, held)) if *offset == self.queued => *held = count,
            _ => self.advertised.push_back((self.queued, count)),
        }
    }

    /// Holds a ROUTE-REFRESH of `family` until the output has drained; a second request for the
    /// same family while one is held changes nothing.
    pub(crate) fn hold_refresh(&mut self, family: (Afi, Safi)) {
        self.refresh.insert(family);
    }

    /// The held ROUTE-REFRESH requests, emptied.
    pub(crate) fn take_refresh(&mut self) -> BTreeSet<(Afi, Safi)> {
        std::mem::take(&mut self.refresh)
    }

    /// The transport's report: the peer has taken `acked` bytes of this connection in all, and
    /// `unsent` bytes handed over wait for it.
    pub(crate) fn report(&mut self, acked: u64, unsent: u64) -> Report {
        let progressed = acked > self.acked;
        self.acked = self.acked.max(acked);
        self.unsent = unsent;
        self.since_report = 0;
        let mut advertised = None;
        while let Some(&(offset, count)) = self.advertised.front() {
            // Nothing waits: whatever was handed over has been taken, whatever our count says.
            if offset > self.acked && unsent > 0 {
                break;
            }
            advertised = Some(count);
            self.advertised.pop_front();
        }
        Report {
            pending: unsent > 0,
            progressed,
            advertised,
        }
    }
}
