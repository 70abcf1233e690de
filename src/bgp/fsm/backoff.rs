//! Reconnect back-off with jitter: the ConnectRetry and IdleHold durations (RFC 4271 §8.1.1
//! DampPeerOscillations, §10 jitter).
//!
//! Deterministic: a small PRNG seeded by the session, never a clock or the OS.

use std::time::Duration;

use super::negotiate::MAX_CONNECT_RETRY;

/// Doubling delays from `base` up to a ceiling, each scaled by a random factor in [0.75, 1.25].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Backoff {
    base: Duration,
    failures: u32,
    rng: SplitMix64,
}

impl Backoff {
    pub(crate) fn new(base: Duration, seed: u64) -> Backoff {
        Backoff {
            base,
            failures: 0,
            rng: SplitMix64(seed),
        }
    }

    /// Forgets past failures (manual start, or the session reached Established).
    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }

    /// The delay for the current attempt, jittered, without counting a failure.
    pub(crate) fn current(&mut self) -> Duration {
        let nominal = self.nominal();
        self.jitter(nominal)
    }

    /// Counts a failure and returns the wait before the next attempt: `base`, `2 * base`, ...
    pub(crate) fn failure(&mut self) -> Duration {
        let delay = self.current();
        self.failures = self.failures.saturating_add(1).min(32);
        delay
    }

    fn nominal(&self) -> Duration {
        let ceiling = self.base.max(MAX_CONNECT_RETRY);
        let factor = 1u32 << self.failures.min(16);
        self.base.saturating_mul(factor).min(ceiling)
    }

    fn jitter(&mut self, nominal: Duration) -> Duration {
        // ±25%: per-mille factor 750..=1250.
        let per_mille = 750 + self.rng.next() % 501;
        let millis = u64::try_from(nominal.as_millis()).unwrap_or(u64::MAX / 2000);
        Duration::from_millis(millis.saturating_mul(per_mille) / 1000)
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast, good enough for jitter.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}
