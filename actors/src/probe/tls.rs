//! placeholder
use anycastd::health::Outcome;
pub(super) async fn probe(
    _: &anycastd::config::model::TlsCertificateSpec,
    _: &super::ProbeContext,
) -> Outcome {
    Outcome::Pass
}
