//! placeholder
use anycastd::health::Outcome;
pub(super) async fn probe(
    _: &anycastd::config::model::NtpqSpec,
    _: &super::ProbeContext,
) -> Outcome {
    Outcome::Pass
}
