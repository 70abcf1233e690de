//! The blast-radius guard on reload and the grace for probes that could not run.

use std::collections::BTreeSet;

use anycastd::bgp::types::Prefix;
use anycastd::config::diff::Change;
use anycastd::health::Outcome;
use anycastd::health::guard::{
    InconclusiveGrace, Refused, announced, check_reload, check_withdraw,
};
use anycastd::health::ladder::ServiceState::{Down, Up};

use super::{config, p, ps, s};

/// `n` host routes 10.0.0.0/32, 10.0.0.1/32, ...
fn hosts(range: std::ops::Range<u8>) -> BTreeSet<Prefix> {
    range.map(|i| p(&format!("10.0.0.{i}/32"))).collect()
}

#[test]
fn withdrawing_more_than_the_limit_is_refused() {
    // (announced before, kept after, max percent, refused)
    let table = [
        (4, 4, 50, false),
        (4, 2, 50, false), // exactly 50%
        (4, 1, 50, true),  // 75%
        (4, 0, 50, true),
        (3, 1, 50, true), // 66.7%
        (3, 2, 50, false),
        (0, 0, 50, false), // nothing announced
        (4, 0, 100, false),
        (4, 3, 0, true),
        (4, 4, 0, false),
        (200, 199, 0, true),
        (200, 198, 1, false),
        (200, 197, 1, true),
    ];
    for (before, after, max, refused) in table {
        let result = check_withdraw(&hosts(0..before), &hosts(0..after), max);
        assert_eq!(result.is_err(), refused, "{before} -> {after} with {max}%");
        if let Err(error) = result {
            assert_eq!(error.withdrawn, hosts(after..before));
            assert_eq!(
                (error.announced, error.max_percent),
                (usize::from(before), max)
            );
        }
    }
}

#[test]
fn additions_never_count() {
    assert_eq!(check_withdraw(&hosts(0..2), &hosts(0..100), 0), Ok(()));
    assert_eq!(check_withdraw(&BTreeSet::new(), &hosts(0..1), 0), Ok(()));
}

#[test]
fn refusal_names_the_prefixes_and_the_way_out() {
    let refused = Refused {
        withdrawn: hosts(1..3),
        announced: 3,
        max_percent: 50,
    };
    assert_eq!(
        refused.to_string(),
        "the new configuration would withdraw 2 of 3 announced prefixes, more than \
         max_withdraw_percent 50% (`anycastd ctl reload --force` applies it once): 10.0.0.1/32 10.0.0.2/32"
    );
}

#[test]
fn emptying_the_global_routes_is_refused_and_a_new_service_is_neutral() {
    let old = config();
    let up = |_: &str| Some(Up);
    let before = announced(&old, up);
    let all = ps(&["198.51.100.53/32", "198.51.100.80/32", "2001:db8:53::/48"]);
    assert_eq!(before, all.iter().copied().collect());

    let mut new = config();
    new.announcer.routes.clear();
    let after = announced(&new, up);
    let error = check_withdraw(&before, &after, 50).expect_err("2 of 3 withdrawn");
    assert_eq!(
        error.withdrawn,
        ps(&["198.51.100.53/32", "2001:db8:53::/48"])
            .into_iter()
            .collect()
    );

    // A new service projected as up takes nothing away; a service that is down now withdraws
    // nothing more when it is removed.
    let mut new = config();
    new.services.push(super::service("ntp", Vec::new(), None));
    let known = |name: &str| match name {
        "dns" => Some(Up),
        "web" => Some(Down),
        _ => Some(Up),
    };
    let before = announced(&old, known);
    assert_eq!(announced(&new, known), before);
    new.services.retain(|service| service.name != "web");
    assert_eq!(check_withdraw(&before, &announced(&new, known), 0), Ok(()));
}

#[test]
fn a_reload_is_refused_by_the_running_limit_unless_forced() {
    let running = config();
    let up = |_: &str| Some(Up);
    // Dropping the IPv4 global route withdraws 1 of 3: allowed, with its changes.
    let mut new = config();
    new.announcer.routes.remove(0);
    assert_eq!(
        check_reload(&running, &new, up, false).map(|c| c.into_iter().collect::<Vec<_>>()),
        Ok(vec![
            Change::ServiceRoutesChanged("dns".to_string()),
            Change::GlobalRoutesChanged
        ])
    );
    // Removing `dns` withdraws 2 of 3, even with a new limit of 100 in the same file.
    let mut new = config();
    new.services.retain(|service| service.name != "dns");
    new.lifecycle.max_withdraw_percent = 100;
    let refused = check_reload(&running, &new, up, false).expect_err("66% > 50%");
    assert_eq!((refused.withdrawn.len(), refused.announced), (2, 3));
    assert_eq!(
        check_reload(&running, &new, up, true).map(|c| c.len()),
        Ok(2),
        "forced: ServiceRemoved and LifecycleChanged"
    );
    // Services not evaluated yet announce nothing, so removing them withdraws nothing.
    let unevaluated = |name: &str| (name == "web").then_some(Up);
    assert!(check_reload(&running, &new, unevaluated, false).is_ok());
}

#[test]
fn inconclusive_keeps_the_last_state_until_the_grace_ends() {
    let mut grace = InconclusiveGrace::new(Some(s(30)));
    let inconclusive = || Outcome::Inconclusive("permission denied".to_string());
    assert_eq!(grace.filter(Outcome::Pass, s(0)), Outcome::Pass);
    assert_eq!(grace.expires_at(), None);
    assert_eq!(grace.filter(inconclusive(), s(10)), inconclusive());
    assert_eq!(grace.expires_at(), Some(s(40)));
    assert_eq!(grace.filter(inconclusive(), s(39)), inconclusive());
    assert_eq!(
        grace.filter(inconclusive(), s(40)),
        Outcome::Fail(
            "probe could not run for 30s (inconclusive_grace 30s): permission denied".to_string()
        )
    );
    // A conclusive result ends the run; the next one starts afresh.
    let fail = Outcome::Fail("refused".to_string());
    assert_eq!(grace.filter(fail.clone(), s(41)), fail);
    assert_eq!(grace.filter(inconclusive(), s(50)), inconclusive());
    assert_eq!(grace.expires_at(), Some(s(80)));
    let degraded = Outcome::Degraded("slow".to_string());
    assert_eq!(grace.filter(degraded.clone(), s(60)), degraded);
    assert_eq!(grace.expires_at(), None);
}

#[test]
fn without_a_grace_limit_inconclusive_stays_inconclusive() {
    let mut grace = InconclusiveGrace::new(None);
    let inconclusive = Outcome::Inconclusive("no ping socket".to_string());
    for t in [0, 60, 86_400] {
        assert_eq!(grace.filter(inconclusive.clone(), s(t)), inconclusive);
    }
    assert_eq!(grace.expires_at(), None);
}

#[test]
fn zero_grace_fails_at_once() {
    let mut grace = InconclusiveGrace::new(Some(s(0)));
    assert_eq!(
        grace.filter(Outcome::Inconclusive("x".to_string()), s(5)),
        Outcome::Fail("probe could not run for 0ns (inconclusive_grace 0ns): x".to_string())
    );
}
