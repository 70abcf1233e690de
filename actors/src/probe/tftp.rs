//! placeholder
use anycastd::health::Outcome;
pub(super) async fn probe(_: &anycastd::config::model::TftpRrqSpec) -> Outcome {
    Outcome::Pass
}
