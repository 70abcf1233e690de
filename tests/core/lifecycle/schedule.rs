//! The schedule of one check: the grid of runs, never two at once, fast re-probe while in
//! transition, watch events and the sentinel's back-off. Each case is a table of
//! (milliseconds since the start, input, the exact actions expected).

use std::time::Duration;

use anycastd::config::model::Check;
use anycastd::health::Outcome;
use anycastd::health::schedule::{Action, Input, Schedule};

use super::check;

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

fn pass() -> Input {
    Input::Finished(Outcome::Pass)
}

fn fail() -> Input {
    Input::Finished(Outcome::Fail("refused".into()))
}

fn wake(millis: u64) -> Action {
    Action::Wake(ms(millis))
}

/// A check every second without splay (first run at once), fast re-probe every 100 ms.
fn every_second(rise: u32, fall: u32, watch: bool) -> Check {
    let mut c = check("tcp", "127.0.0.1:80");
    c.interval = ms(1000);
    c.fast_interval = ms(100);
    c.rise = rise;
    c.fall = fall;
    c.watch = watch;
    c
}

fn play(check: &Check, steps: &[(u64, Input, &[Action])]) {
    let mut schedule = Schedule::new(check, "svc", Duration::ZERO);
    for (at, input, want) in steps {
        let got = schedule.handle(input.clone(), ms(*at));
        assert_eq!(&got, want, "at {at} ms after {input:?}");
    }
}

#[test]
fn runs_at_once_then_on_the_grid() {
    play(
        &every_second(1, 1, false),
        &[
            (0, Input::Start, &[Action::Run, wake(1000)]),
            (20, pass(), &[wake(980)]),
            (1000, Input::Wake, &[Action::Run, wake(1000)]),
            (1010, pass(), &[wake(990)]),
            // A wake-up that comes early asks again for the rest.
            (1990, Input::Wake, &[wake(10)]),
            (2000, Input::Wake, &[Action::Run, wake(1000)]),
        ],
    );
}

#[test]
fn a_late_run_does_not_move_the_grid() {
    play(
        &every_second(1, 1, false),
        &[
            (0, Input::Start, &[Action::Run, wake(1000)]),
            // The first run is slow (its first TLS set-up, a busy thread).
            (300, pass(), &[wake(700)]),
            // The timer fires late: the run starts now, the next stays on the grid.
            (1250, Input::Wake, &[Action::Run, wake(750)]),
            (1260, pass(), &[wake(740)]),
            (2000, Input::Wake, &[Action::Run, wake(1000)]),
        ],
    );
}

#[test]
fn the_grid_keeps_the_splay_phase() {
    let mut c = every_second(1, 1, false);
    c.splay = true;
    let (first, phase) = (c.first_run("svc", ms(10)), c.phase("svc"));
    let mut schedule = Schedule::new(&c, "svc", ms(10));
    let to_first = first.min(phase);
    assert_eq!(
        schedule.handle(Input::Start, Duration::ZERO),
        if to_first.is_zero() {
            vec![Action::Run, Action::Wake(phase)]
        } else {
            vec![Action::Wake(to_first)]
        }
    );
    // However late the runs end, the regular ones stay at phase + k * interval.
    let mut now = to_first;
    if !to_first.is_zero() {
        assert_eq!(schedule.handle(Input::Wake, now)[0], Action::Run);
        now += ms(400);
        schedule.handle(Input::Finished(Outcome::Pass), now);
    }
    for k in 0..3u32 {
        let at = phase + ms(1000) * k + ms(30);
        if now < at {
            let got = schedule.handle(Input::Wake, at);
            assert_eq!(got, [Action::Run, Action::Wake(ms(970))], "run {k}");
            now = at + ms(500);
            let got = schedule.handle(Input::Finished(Outcome::Pass), now);
            assert_eq!(got, [Action::Wake(phase + ms(1000) * (k + 1) - now)]);
        }
    }
}

#[test]
fn a_run_due_during_a_run_starts_when_it_ends() {
    play(
        &every_second(1, 1, false),
        &[
            (0, Input::Start, &[Action::Run, wake(1000)]),
            (20, pass(), &[wake(980)]),
            (1000, Input::Wake, &[Action::Run, wake(1000)]),
            // Still running at the next grid point: one run is owed, not two.
            (2000, Input::Wake, &[wake(1000)]),
            (2500, pass(), &[Action::Run, wake(500)]),
            (2510, pass(), &[wake(490)]),
        ],
    );
}

#[test]
fn runs_every_fast_interval_while_failures_count_towards_fall() {
    play(
        &every_second(1, 3, false),
        &[
            (0, Input::Start, &[Action::Run, wake(1000)]),
            (10, pass(), &[wake(990)]),
            (1000, Input::Wake, &[Action::Run, wake(1000)]),
            // 1 of 3: in transition, the next run 100 ms after this one's start.
            (1010, fail(), &[wake(90)]),
            (1100, Input::Wake, &[Action::Run, wake(900)]),
            (1110, fail(), &[wake(90)]),
            (1200, Input::Wake, &[Action::Run, wake(800)]),
            // 3 of 3: down, no longer in transition, back to the grid.
            (1210, fail(), &[wake(790)]),
            (2000, Input::Wake, &[Action::Run, wake(1000)]),
        ],
    );
}

#[test]
fn a_pass_during_the_fall_count_ends_the_transition() {
    play(
        &every_second(1, 3, false),
        &[
            (0, Input::Start, &[Action::Run, wake(1000)]),
            (10, pass(), &[wake(990)]),
            (1000, Input::Wake, &[Action::Run, wake(1000)]),
            (1010, fail(), &[wake(90)]),
            (1100, Input::Wake, &[Action::Run, wake(900)]),
            (1110, pass(), &[wake(890)]),
        ],
    );
}

#[test]
fn runs_every_fast_interval_while_passes_count_towards_rise() {
    play(
        &every_second(3, 1, false),
        &[
            (0, Input::Start, &[Action::Run, wake(1000)]),
            (10, fail(), &[wake(990)]),
            (1000, Input::Wake, &[Action::Run, wake(1000)]),
            (1010, pass(), &[wake(90)]),
            (1100, Input::Wake, &[Action::Run, wake(900)]),
            (1110, pass(), &[wake(90)]),
            (1200, Input::Wake, &[Action::Run, wake(800)]),
            (1210, pass(), &[wake(790)]),
        ],
    );
}

#[test]
fn a_slow_run_in_transition_is_followed_at_once() {
    play(
        &every_second(1, 3, false),
        &[
            (0, Input::Start, &[Action::Run, wake(1000)]),
            (10, pass(), &[wake(990)]),
            (1000, Input::Wake, &[Action::Run, wake(1000)]),
            (1300, fail(), &[wake(0)]),
            (1300, Input::Wake, &[Action::Run, wake(700)]),
        ],
    );
}

#[test]
fn without_fast_interval_the_transition_keeps_the_grid() {
    let mut c = every_second(1, 3, false);
    c.fast_interval = c.interval;
    play(
        &c,
        &[
            (0, Input::Start, &[Action::Run, wake(1000)]),
            (10, pass(), &[wake(990)]),
            (1000, Input::Wake, &[Action::Run, wake(1000)]),
            (1010, fail(), &[wake(990)]),
            (2000, Input::Wake, &[Action::Run, wake(1000)]),
        ],
    );
}

#[test]
fn a_watch_event_runs_at_once_and_starts_a_transition() {
    play(
        &every_second(1, 2, false),
        &[
            (0, Input::Start, &[Action::Run, wake(1000)]),
            (10, pass(), &[wake(990)]),
            (400, Input::Watch, &[Action::Run, wake(600)]),
            // 1 of 2 failures: the confirming run comes a fast interval later.
            (405, fail(), &[wake(95)]),
            (500, Input::Wake, &[Action::Run, wake(500)]),
            (505, fail(), &[wake(495)]),
        ],
    );
}

#[test]
fn a_watch_event_answered_by_a_pass_changes_nothing() {
    play(
        &every_second(1, 1, false),
        &[
            (0, Input::Start, &[Action::Run, wake(1000)]),
            (10, pass(), &[wake(990)]),
            (400, Input::Watch, &[Action::Run, wake(600)]),
            (405, pass(), &[wake(595)]),
        ],
    );
}

#[test]
fn a_watch_event_during_a_run_asks_for_one_more_run() {
    play(
        &every_second(1, 1, false),
        &[
            (0, Input::Start, &[Action::Run, wake(1000)]),
            (5, Input::Watch, &[wake(995)]),
            (6, Input::Watch, &[wake(994)]),
            // The run in flight may have started before the failure: one more, at once.
            (10, pass(), &[Action::Run, wake(990)]),
            (15, fail(), &[wake(985)]),
        ],
    );
}

#[test]
fn a_watch_event_during_a_run_stays_in_transition_until_its_run() {
    play(
        &every_second(1, 1, false),
        &[
            (0, Input::Start, &[Action::Run, wake(1000)]),
            (10, pass(), &[wake(990)]),
            (1000, Input::Wake, &[Action::Run, wake(1000)]),
            (1005, Input::Watch, &[wake(995)]),
            (1010, pass(), &[Action::Run, wake(990)]),
            // The owed run is the answer; its pass ends the transition.
            (1020, pass(), &[wake(980)]),
        ],
    );
}

#[test]
fn the_sentinel_opens_after_a_pass_and_its_end_runs_the_check() {
    play(
        &every_second(1, 1, true),
        &[
            (0, Input::Start, &[Action::Run, wake(1000)]),
            (10, pass(), &[Action::OpenSentinel, wake(990)]),
            (12, Input::SentinelUp, &[wake(988)]),
            // Up for 688 ms, then closed: run now; after the pass, reopen at once.
            (
                700,
                Input::SentinelDown { was_up: true },
                &[Action::Run, wake(300)],
            ),
            (710, pass(), &[Action::OpenSentinel, wake(290)]),
            (711, Input::SentinelUp, &[wake(289)]),
            // A regular pass does not open a second one.
            (1000, Input::Wake, &[Action::Run, wake(1000)]),
            (1010, pass(), &[wake(990)]),
        ],
    );
}

#[test]
fn a_sentinel_closed_by_a_dead_server_leads_to_a_failing_run_and_stays_closed() {
    play(
        &every_second(1, 1, true),
        &[
            (0, Input::Start, &[Action::Run, wake(1000)]),
            (10, pass(), &[Action::OpenSentinel, wake(990)]),
            (12, Input::SentinelUp, &[wake(988)]),
            (
                600,
                Input::SentinelDown { was_up: true },
                &[Action::Run, wake(400)],
            ),
            (601, fail(), &[wake(399)]),
            (1000, Input::Wake, &[Action::Run, wake(1000)]),
            (1010, fail(), &[wake(990)]),
            // The server is back: the pass reopens the sentinel.
            (2000, Input::Wake, &[Action::Run, wake(1000)]),
            (2010, pass(), &[Action::OpenSentinel, wake(990)]),
        ],
    );
}

#[test]
fn a_sentinel_that_lives_short_backs_off() {
    play(
        &every_second(1, 1, true),
        &[
            (0, Input::Start, &[Action::Run, wake(1000)]),
            (10, pass(), &[Action::OpenSentinel, wake(990)]),
            (12, Input::SentinelUp, &[wake(988)]),
            // Closed 48 ms after it opened: the run happens, the reopen waits 100 ms.
            (
                60,
                Input::SentinelDown { was_up: true },
                &[Action::Run, wake(940)],
            ),
            (70, pass(), &[wake(930)]),
            (1000, Input::Wake, &[Action::Run, wake(1000)]),
            (1010, pass(), &[Action::OpenSentinel, wake(990)]),
            (1011, Input::SentinelUp, &[wake(989)]),
            // Short again: 200 ms now.
            (
                1020,
                Input::SentinelDown { was_up: true },
                &[Action::Run, wake(980)],
            ),
            (1200, pass(), &[wake(800)]),
            (1221, Input::Watch, &[Action::Run, wake(779)]),
            (1225, pass(), &[Action::OpenSentinel, wake(775)]),
            (1226, Input::SentinelUp, &[wake(774)]),
            // A long life resets the back-off.
            (
                1900,
                Input::SentinelDown { was_up: true },
                &[Action::Run, wake(100)],
            ),
            (1901, pass(), &[Action::OpenSentinel, wake(99)]),
        ],
    );
}

#[test]
fn a_sentinel_that_cannot_connect_backs_off_without_a_run() {
    play(
        &every_second(1, 1, true),
        &[
            (0, Input::Start, &[Action::Run, wake(1000)]),
            (10, pass(), &[Action::OpenSentinel, wake(990)]),
            (15, Input::SentinelDown { was_up: false }, &[wake(985)]),
            (1000, Input::Wake, &[Action::Run, wake(1000)]),
            (1010, pass(), &[Action::OpenSentinel, wake(990)]),
        ],
    );
}

#[test]
fn the_back_off_is_capped_at_the_interval() {
    let c = every_second(1, 1, true);
    let mut schedule = Schedule::new(&c, "svc", Duration::ZERO);
    schedule.handle(Input::Start, Duration::ZERO);
    let mut now = ms(10);
    for _ in 0..20 {
        schedule.handle(Input::Finished(Outcome::Pass), now);
        schedule.handle(Input::SentinelDown { was_up: false }, now);
        now += ms(1000);
        assert_eq!(
            schedule.handle(Input::Wake, now).first(),
            Some(&Action::Run)
        );
        now += ms(1);
    }
    // After many failures, a pass one interval later still reopens it.
    assert!(
        schedule
            .handle(Input::Finished(Outcome::Pass), now)
            .contains(&Action::OpenSentinel)
    );
}

#[test]
fn an_unwatched_check_never_opens_a_sentinel() {
    play(
        &every_second(1, 1, false),
        &[
            (0, Input::Start, &[Action::Run, wake(1000)]),
            (10, pass(), &[wake(990)]),
            (20, Input::SentinelDown { was_up: true }, &[wake(980)]),
        ],
    );
}
