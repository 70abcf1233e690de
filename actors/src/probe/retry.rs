//! The retry loop shared by `http_2xx`, `dns_lookup`, `ntpq` and `tftp_rrq`: `tries` attempts, each bounded by
//! `timeout`, with `interval` paused between two attempts (never after the last one).
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::fmt;
use std::future::Future;

use anycastd::config::model::Retry;
use anycastd::health::Outcome;

/// Why one attempt did not pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AttemptError {
    /// The service answered wrongly or not at all.
    Fail(String),
    /// The probe could not run (bad local setup); says nothing about the service.
    Inconclusive(String),
}

impl fmt::Display for AttemptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Fail(reason) | Self::Inconclusive(reason) => f.write_str(reason),
        }
    }
}

/// Runs `attempt` up to `retry.tries` times and returns `Pass` at the first success. After the last
/// failure the reason is `N tries failed; last error: ...`, and the outcome is `Inconclusive` only
/// when that last error was.
pub(crate) async fn run<F, Fut>(retry: &Retry, attempt: F) -> Outcome
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), AttemptError>>,
{
    run_for(retry, "", attempt).await
}

/// [`run`] with `context` (e.g. `GET <url>`) put before every attempt's error, the time-out
/// included: `2 tries failed; last error: GET <url>: timed out after 2s`.
pub(crate) async fn run_for<F, Fut>(retry: &Retry, context: &str, mut attempt: F) -> Outcome
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), AttemptError>>,
{
    let tries = retry.tries.max(1);
    let mut last = AttemptError::Fail("no attempt made".to_owned());
    let with = |reason: String| {
        if context.is_empty() {
            reason
        } else {
            format!("{context}: {reason}")
        }
    };
    for n in 1..=tries {
        last = match tokio::time::timeout(retry.timeout, attempt()).await {
            Ok(Ok(())) => return Outcome::Pass,
            Ok(Err(AttemptError::Fail(reason))) => AttemptError::Fail(with(reason)),
            Ok(Err(AttemptError::Inconclusive(reason))) => AttemptError::Inconclusive(with(reason)),
            Err(_) => AttemptError::Fail(with(super::timed_out(retry.timeout))),
        };
        log::debug!(attempt = n, error:% = last; "probe attempt failed");
        if n < tries {
            tokio::time::sleep(retry.interval).await;
        }
    }
    let word = if tries == 1 { "try" } else { "tries" };
    match last {
        AttemptError::Fail(reason) => {
            Outcome::Fail(format!("{tries} {word} failed; last error: {reason}"))
        }
        AttemptError::Inconclusive(reason) => {
            Outcome::Inconclusive(format!("{tries} {word} failed; last error: {reason}"))
        }
    }
}
