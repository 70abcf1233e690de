//! `file`: an operator's maintenance switch. The presence of `path` means, by `present_means`:
//! `down` = Fail, `up` = Pass (absence fails), `drain` = `Degraded("drain requested by <path>")`.
#![deny(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use anycastd::config::model::{FilePresence, FileSpec};
use anycastd::health::Outcome;

/// Runs one `file` probe.
pub(super) async fn probe(spec: &FileSpec) -> Outcome {
    let path = spec.path.display();
    let present = match tokio::fs::symlink_metadata(&spec.path).await {
        Ok(_) => true,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
        Err(e) => return Outcome::Inconclusive(format!("cannot inspect {path}: {e}")),
    };
    match (spec.present_means, present) {
        (FilePresence::Drain, true) => Outcome::Degraded(format!("drain requested by {path}")),
        (FilePresence::Down, true) => Outcome::Fail(format!("{path} is present")),
        (FilePresence::Up, false) => Outcome::Fail(format!("{path} is absent")),
        (FilePresence::Drain | FilePresence::Down, false) | (FilePresence::Up, true) => {
            Outcome::Pass
        }
    }
}
