//! The route set: which prefixes should be announced, as a pure function of every service's health
//! (DESIGN §5). Level-triggered, so the order in which services change never matters.

use std::collections::{BTreeMap, BTreeSet};

use super::Health;
use crate::bgp::types::Prefix;

/// Prefixes to announce given each service's health (`None` before its first evaluation) and the
/// prefixes it owns.
///
/// A prefix is announced only while **every** service that owns it is up (or degraded); a prefix is
/// held back until every owning service has had its first evaluation (startup gate). So one failing
/// service withdraws a shared prefix, and a healthy one can never re-announce it behind its back
/// (the Go daemon's "last transition wins").
pub fn desired<'a, I>(services: I) -> BTreeSet<Prefix>
where
    I: IntoIterator<Item = (Option<Health>, &'a [Prefix])>,
{
    let mut verdict: BTreeMap<Prefix, bool> = BTreeMap::new();
    for (health, prefixes) in services {
        let up = health.is_some_and(Health::is_up);
        for prefix in prefixes {
            let entry = verdict.entry(*prefix).or_insert(true);
            *entry &= up;
        }
    }
    verdict
        .into_iter()
        .filter_map(|(prefix, up)| up.then_some(prefix))
        .collect()
}

/// True once every service has had its first evaluation (the `complete` flag sent to peers).
pub fn all_evaluated<I>(healths: I) -> bool
where
    I: IntoIterator<Item = Option<Health>>,
{
    healths.into_iter().all(|health| health.is_some())
}
