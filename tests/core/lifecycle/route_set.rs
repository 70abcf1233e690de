//! The node's route set and where two route sets differ: which prefixes a peer holding the previous
//! set has to look at.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use anycastd::bgp::rib_out::{RouteAttributes, Routes};
use anycastd::health::route_set::{RouteChange, RouteSet};

use super::p;

fn med(value: u32) -> RouteAttributes {
    RouteAttributes {
        med: Some(value),
        ..RouteAttributes::default()
    }
}

fn table(entries: &[(&str, Option<u32>)]) -> Arc<Routes> {
    Arc::new(
        entries
            .iter()
            .map(|(prefix, med_value)| (p(prefix), med_value.map(med).unwrap_or_default()))
            .collect(),
    )
}

fn set(routes: Arc<Routes>, per_peer: &[(&str, Arc<Routes>)]) -> RouteSet {
    RouteSet {
        routes,
        per_peer: Arc::new(
            per_peer
                .iter()
                .map(|(name, routes)| (name.to_string(), Arc::clone(routes)))
                .collect::<BTreeMap<_, _>>(),
        ),
        complete: true,
    }
}

fn prefixes(items: &[&str]) -> BTreeSet<anycastd::bgp::types::Prefix> {
    items.iter().map(|item| p(item)).collect()
}

#[test]
fn a_change_names_every_prefix_added_removed_or_with_other_attributes() {
    let shared = table(&[("192.0.2.9/32", None)]);
    let cases: [(&str, RouteSet, RouteSet, &[&str]); 6] = [
        ("nothing", set(table(&[]), &[]), set(table(&[]), &[]), &[]),
        (
            "same table",
            set(Arc::clone(&shared), &[]),
            set(Arc::clone(&shared), &[]),
            &[],
        ),
        (
            "added and removed",
            set(
                table(&[("192.0.2.1/32", None), ("192.0.2.2/32", None)]),
                &[],
            ),
            set(
                table(&[("192.0.2.2/32", None), ("192.0.2.3/32", None)]),
                &[],
            ),
            &["192.0.2.1/32", "192.0.2.3/32"],
        ),
        (
            "attributes",
            set(
                table(&[("192.0.2.1/32", None), ("192.0.2.2/32", None)]),
                &[],
            ),
            set(
                table(&[("192.0.2.1/32", Some(50)), ("192.0.2.2/32", None)]),
                &[],
            ),
            &["192.0.2.1/32"],
        ),
        (
            "a peer of its own appears",
            set(Arc::clone(&shared), &[]),
            set(
                Arc::clone(&shared),
                &[("r1", table(&[("192.0.2.9/32", Some(7))]))],
            ),
            &["192.0.2.9/32"],
        ),
        (
            "a peer of its own goes back to the default",
            set(
                Arc::clone(&shared),
                &[("r1", table(&[("2001:db8::1/128", None)]))],
            ),
            set(Arc::clone(&shared), &[]),
            &["192.0.2.9/32", "2001:db8::1/128"],
        ),
    ];
    for (name, from, to, want) in cases {
        let change = RouteChange::between(&from, &to);
        assert_eq!(change.prefixes, prefixes(want), "{name}");
        assert_eq!(change.from, from, "{name}");
    }
}

#[test]
fn a_prefix_moved_only_when_it_went_in_or_out_for_every_peer() {
    let from = set(
        table(&[("192.0.2.1/32", None), ("192.0.2.2/32", None)]),
        &[],
    );
    let to = set(
        table(&[("192.0.2.1/32", Some(50))]),
        &[(
            "r1",
            table(&[("192.0.2.2/32", None), ("192.0.2.3/32", None)]),
        )],
    );
    let change = RouteChange::between(&from, &to);
    let table = [
        ("192.0.2.1/32", false), // new attributes only
        ("192.0.2.2/32", false), // still announced to r1
        ("192.0.2.3/32", true),  // new, to r1
    ];
    for (prefix, moved) in table {
        assert_eq!(change.moved(&to, &p(prefix)), moved, "{prefix}");
    }
    assert_eq!(to.announced_count(), 3);
    assert_eq!(to.for_peer("r2"), &to.routes);
}
