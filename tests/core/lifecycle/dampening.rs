//! Flap dampening: penalty, decay, suppression and reuse as sequences over time.

use std::time::Duration;

use anycastd::config::model::{Dampening as Settings, DampeningError};
use anycastd::health::dampening::Dampening;

use super::s;

/// The penalty rounded to a thousandth, for exact comparisons.
fn rounded(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

fn flapped_at(times: &[u64]) -> Dampening {
    let mut dampening = Dampening::new(Settings::default());
    for &t in times {
        dampening.record_flap(s(t));
    }
    dampening
}

#[test]
fn defaults_are_documented_values() {
    assert_eq!(
        Settings::default(),
        Settings {
            penalty: 1000,
            half_life: s(60),
            suppress: 2000,
            reuse: 750,
            max_penalty: 12000,
        }
    );
    assert_eq!(Settings::default().validate(), []);
}

#[test]
fn penalty_halves_every_half_life() {
    let dampening = flapped_at(&[0]);
    let table = [
        (0, 1000.0),
        (30, 707.107),
        (60, 500.0),
        (120, 250.0),
        (600, 0.977),
    ];
    for (t, penalty) in table {
        assert_eq!(rounded(dampening.penalty(s(t))), penalty, "at {t}s");
        assert!(!dampening.state(s(t)).suppressed, "at {t}s");
    }
}

#[test]
fn flap_sequences_give_exact_penalties_and_suppression() {
    // (flap times, observed at, penalty, suppressed)
    let table: [(&[u64], u64, f64, bool); 9] = [
        (&[], 0, 0.0, false),
        (&[0], 0, 1000.0, false),
        (&[0, 0], 0, 2000.0, false), // at the threshold, not above it
        (&[0, 10], 10, 1890.899, false),
        (&[0, 10, 20], 20, 2684.599, true), // the third flap within a minute
        (&[0, 60, 120], 120, 1750.0, false),
        (&[0, 0, 0], 60, 1500.0, true), // below suppress, above reuse: still suppressed
        (&[0, 0, 0], 119, 758.715, true),
        (&[0, 0, 0], 121, 741.386, false), // below reuse: released
    ];
    for (flaps, at, penalty, suppressed) in table {
        let state = flapped_at(flaps).state(s(at));
        assert_eq!(
            (rounded(state.penalty), state.suppressed),
            (penalty, suppressed),
            "flaps at {flaps:?}, observed at {at}s"
        );
    }
}

#[test]
fn penalty_never_exceeds_the_ceiling() {
    let dampening = flapped_at(&[0; 20]);
    assert_eq!(dampening.penalty(s(0)), 12000.0);
    // 12000 -> 750 takes four half-lives.
    assert_eq!(
        dampening.reuse_at(),
        Some(s(240) + Duration::from_micros(1))
    );
    assert!(dampening.state(s(240)).suppressed);
    assert!(
        !dampening
            .state(s(240) + Duration::from_micros(1))
            .suppressed
    );
}

#[test]
fn reuse_time_is_when_the_penalty_decays_below_reuse() {
    // 3000 -> 750 is two half-lives.
    let dampening = flapped_at(&[0, 0, 0]);
    assert_eq!(dampening.penalty(s(0)), 3000.0);
    assert_eq!(
        dampening.reuse_at(),
        Some(s(120) + Duration::from_micros(1))
    );
    assert!(dampening.state(s(120)).suppressed, "exactly at reuse");
    assert!(
        !dampening
            .state(s(120) + Duration::from_micros(1))
            .suppressed
    );
    assert_eq!(flapped_at(&[0, 0]).reuse_at(), None, "never suppressed");
}

#[test]
fn a_flap_after_release_starts_from_the_decayed_penalty() {
    // Suppressed at 0 with 3000, released after 120 s; a flap at 180 s: 375 + 1000 = 1375.
    let dampening = flapped_at(&[0, 0, 0, 180]);
    let state = dampening.state(s(180));
    assert_eq!((state.penalty, state.suppressed), (1375.0, false));
    assert_eq!(dampening.reuse_at(), None);
}

#[test]
fn a_flap_while_suppressed_extends_the_suppression() {
    // 3000 at 0, 1500 at 60 (still suppressed), + 1000 = 2500: reuse after log2(2500/750) half-lives.
    let dampening = flapped_at(&[0, 0, 0, 60]);
    assert!(dampening.state(s(60)).suppressed);
    let reuse_at = dampening.reuse_at().expect("suppressed");
    assert_eq!(reuse_at.as_millis(), 60_000 + 104_217);
}

#[test]
fn time_going_backwards_does_not_raise_the_penalty() {
    let dampening = flapped_at(&[100]);
    assert_eq!(dampening.penalty(s(50)), 1000.0);
}

#[test]
fn invalid_settings_list_every_error() {
    let table = [
        (
            Settings {
                half_life: Duration::ZERO,
                ..Settings::default()
            },
            vec![DampeningError::ZeroHalfLife],
        ),
        (
            Settings {
                penalty: 0,
                reuse: 0,
                ..Settings::default()
            },
            vec![DampeningError::ZeroPenalty, DampeningError::ZeroReuse],
        ),
        (
            Settings {
                reuse: 2000,
                max_penalty: 2000,
                ..Settings::default()
            },
            vec![
                DampeningError::ReuseNotBelowSuppress {
                    reuse: 2000,
                    suppress: 2000,
                },
                DampeningError::CeilingNotAboveSuppress {
                    max_penalty: 2000,
                    suppress: 2000,
                },
            ],
        ),
    ];
    for (settings, errors) in table {
        assert_eq!(settings.validate(), errors, "{settings:?}");
    }
    assert_eq!(
        DampeningError::ReuseNotBelowSuppress {
            reuse: 2000,
            suppress: 1000
        }
        .to_string(),
        "reuse (2000) must be below suppress (1000)"
    );
}
