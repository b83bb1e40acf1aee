//! Plans and slot assignment with an injected clock: a zone without daylight saving
//! (Europe/Moscow), one with it (Europe/Berlin) across both changes, interval plans with quiet
//! hours, catch-up after downtime, and every refused setting naming its variable.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::*;
use crate::config::ConfigError;

fn plan(vars: &[(&str, &str)]) -> Result<Plan, ConfigError> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    parse_plan(&PlanSettings::from_lookup(&|k| map.get(k).cloned()))
}

fn at(zone: Tz, y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    zone.with_ymd_and_hms(y, m, d, h, min, 0).earliest().unwrap().with_timezone(&Utc)
}

fn local(plan: &Plan, t: DateTime<Utc>) -> String {
    plan.local(t).format("%d %H:%M").to_string()
}

/// Takes `n` slots one after another, as `n` approvals would.
fn fill(plan: &Plan, now: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
    let mut taken = Vec::new();
    for _ in 0..n {
        taken.push(plan.next_free(now, &taken).unwrap());
    }
    taken
}

#[test]
fn ten_approvals_fill_the_next_slots_of_a_three_slot_day_in_moscow() {
    let p = plan(&[("PUBLISH_SLOTS", "09:00,13:00,18:30"), ("PUBLISH_TIMEZONE", "Europe/Moscow")]).unwrap();
    let now = at(chrono_tz::Europe::Moscow, 2026, 12, 3, 10, 0);
    let got: Vec<String> = fill(&p, now, 10).iter().map(|t| local(&p, *t)).collect();
    let want = [
        "03 13:00", "03 18:30", "04 09:00", "04 13:00", "04 18:30", "05 09:00", "05 13:00", "05 18:30", "06 09:00",
        "06 13:00",
    ];
    assert_eq!(got, want);
    // Moscow is UTC+3 all year.
    assert_eq!(fill(&p, now, 1)[0], Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap());
}

#[test]
fn weekday_groups_give_each_day_its_own_slots() {
    let p = plan(&[("PUBLISH_SLOTS", "mon-fri 09:00,18:00; sat,sun 12:00"), ("PUBLISH_TIMEZONE", "Europe/Moscow")])
        .unwrap();
    // Friday 4 December 2026, 19:00: the weekend's single slots come next.
    let now = at(chrono_tz::Europe::Moscow, 2026, 12, 4, 19, 0);
    let got: Vec<String> = fill(&p, now, 4).iter().map(|t| local(&p, *t)).collect();
    assert_eq!(got, ["05 12:00", "06 12:00", "07 09:00", "07 18:00"]);
}

#[test]
fn berlin_spring_forward_neither_skips_nor_doubles_a_slot() {
    // 29 March 2026: 02:00 → 03:00. The 02:30 slot does not exist that day: it goes out just after.
    let p = plan(&[("PUBLISH_SLOTS", "02:30"), ("PUBLISH_TIMEZONE", "Europe/Berlin")]).unwrap();
    let now = at(chrono_tz::Europe::Berlin, 2026, 3, 28, 12, 0);
    let got = fill(&p, now, 3);
    assert_eq!(got.iter().map(|t| local(&p, *t)).collect::<Vec<_>>(), ["29 03:30", "30 02:30", "31 02:30"]);
    assert_eq!(got[0], Utc.with_ymd_and_hms(2026, 3, 29, 1, 30, 0).unwrap());
}

#[test]
fn berlin_fall_back_publishes_a_repeated_hour_slot_once() {
    // 25 October 2026: 03:00 → 02:00, so 02:30 happens twice; the slot is the first of them.
    let p = plan(&[("PUBLISH_SLOTS", "02:30,12:00"), ("PUBLISH_TIMEZONE", "Europe/Berlin")]).unwrap();
    let now = at(chrono_tz::Europe::Berlin, 2026, 10, 24, 13, 0);
    let got = fill(&p, now, 4);
    assert_eq!(got.iter().map(|t| local(&p, *t)).collect::<Vec<_>>(), ["25 02:30", "25 12:00", "26 02:30", "26 12:00"]);
    assert_eq!(got[0], Utc.with_ymd_and_hms(2026, 10, 25, 0, 30, 0).unwrap(), "the first 02:30 (summer time)");
    assert_eq!(got[1] - got[0], Duration::minutes(10 * 60 + 30), "the repeated hour lies between them");
}

#[test]
fn an_interval_plan_keeps_posts_apart_and_skips_quiet_hours() {
    let p = plan(&[
        ("PUBLISH_INTERVAL_MINUTES", "90"),
        ("PUBLISH_QUIET_HOURS", "23:00-08:00"),
        ("PUBLISH_TIMEZONE", "Europe/Moscow"),
    ])
    .unwrap();
    let now = at(chrono_tz::Europe::Moscow, 2026, 12, 3, 21, 10) + Duration::seconds(7);
    let got: Vec<String> = fill(&p, now, 4).iter().map(|t| local(&p, *t)).collect();
    assert_eq!(got, ["03 21:11", "03 22:41", "04 08:00", "04 09:30"]);
}

#[test]
fn a_time_a_moderator_chose_is_refused_in_the_past_or_in_a_taken_slot() {
    let now = Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap();
    let later = now + Duration::hours(2);
    assert_eq!(
        check_chosen(now - Duration::minutes(1), now, &[]),
        Err(ScheduleError::InThePast { at: now - Duration::minutes(1) })
    );
    assert_eq!(check_chosen(later, now, &[later]), Err(ScheduleError::SlotTaken { at: later }));
    assert_eq!(check_chosen(later, now, &[later + Duration::minutes(1)]), Ok(()));
    assert!(ScheduleError::InThePast { at: now }.to_string().contains("in the past"));
}

#[test]
fn posts_missed_while_off_catch_up_spaced_or_move_to_the_next_slots() {
    let base = [("PUBLISH_SLOTS", "09:00,13:00,18:30"), ("PUBLISH_TIMEZONE", "Europe/Moscow")];
    let now = at(chrono_tz::Europe::Moscow, 2026, 12, 3, 14, 0);
    let upcoming = [at(chrono_tz::Europe::Moscow, 2026, 12, 3, 14, 15)];

    let catch_up = plan(&[base[0], base[1], ("PUBLISH_CATCH_UP_MINUTES", "10")]).unwrap();
    let got = replan_overdue(&catch_up, now, 3, &upcoming).unwrap();
    let minutes: Vec<i64> = got.iter().map(|t| (*t - now).num_minutes()).collect();
    assert_eq!(minutes, [0, 25, 35], "10 minutes apart and clear of the post at 14:15");

    let next = plan(&[base[0], base[1], ("PUBLISH_MISSED", "next_slots")]).unwrap();
    let got: Vec<String> = replan_overdue(&next, now, 3, &[]).unwrap().iter().map(|t| local(&next, *t)).collect();
    assert_eq!(got, ["03 18:30", "04 09:00", "04 13:00"]);
}

#[test]
fn without_settings_posts_publish_at_once_as_before() {
    let p = plan(&[("PUBLISH_TIMEZONE", "UTC")]).unwrap();
    assert!(p.is_immediate());
    let now = Utc.with_ymd_and_hms(2026, 12, 3, 10, 0, 0).unwrap();
    assert_eq!(p.next_free(now, &[now]).unwrap(), now);
}

fn refused(vars: &[(&str, &str)]) -> (String, String) {
    let e = plan(vars).unwrap_err();
    (e.var().to_owned(), e.to_string())
}

#[test]
fn bad_plans_are_refused_naming_the_setting() {
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, &'a str);
    let cases: &[Case] = &[
        (&[("PUBLISH_MODE", "slots")], "PUBLISH_SLOTS", "missing"),
        (&[("PUBLISH_SLOTS", "13:00,09:00")], "PUBLISH_SLOTS", "in order"),
        (&[("PUBLISH_SLOTS", "09:00,09:00")], "PUBLISH_SLOTS", "twice"),
        (&[("PUBLISH_SLOTS", "24:00")], "PUBLISH_SLOTS", "00:00 to 23:59"),
        (&[("PUBLISH_SLOTS", "9:60")], "PUBLISH_SLOTS", "00:00 to 23:59"),
        (&[("PUBLISH_SLOTS", "noon")], "PUBLISH_SLOTS", "HH:MM"),
        (&[("PUBLISH_SLOTS", "mon 09:00; mon-fri 10:00")], "PUBLISH_SLOTS", "mon is listed twice"),
        (&[("PUBLISH_SLOTS", "fri-mon 09:00")], "PUBLISH_SLOTS", "backwards"),
        (&[("PUBLISH_SLOTS", "mon 09:00"), ("PUBLISH_TIMEZONE", "Mars/Olympus")], "PUBLISH_TIMEZONE", "Mars/Olympus"),
        (&[("PUBLISH_MODE", "interval")], "PUBLISH_INTERVAL_MINUTES", "missing"),
        (&[("PUBLISH_INTERVAL_MINUTES", "0")], "PUBLISH_INTERVAL_MINUTES", "1 to 10080"),
        (&[("PUBLISH_INTERVAL_MINUTES", "60"), ("PUBLISH_QUIET_HOURS", "23-8")], "PUBLISH_QUIET_HOURS", "HH:MM-HH:MM"),
        (&[("PUBLISH_MODE", "sometimes")], "PUBLISH_MODE", "immediate, slots or interval"),
        (&[("PUBLISH_MISSED", "drop")], "PUBLISH_MISSED", "catch_up or next_slots"),
    ];
    for (vars, var, says) in cases {
        let (got_var, message) = refused(vars);
        assert_eq!(&got_var, var, "{vars:?}: {message}");
        assert!(message.contains(says), "{vars:?}: {message:?} should say {says:?}");
    }
}

#[test]
fn slot_instants_are_unique_and_ordered_over_a_year_in_berlin() {
    let p = plan(&[("PUBLISH_SLOTS", "02:30,03:30,12:00"), ("PUBLISH_TIMEZONE", "Europe/Berlin")]).unwrap();
    let Mode::Slots { slots } = &p.mode else { panic!("a slot plan") };
    let from = at(chrono_tz::Europe::Berlin, 2026, 1, 1, 0, 0);
    let year: Vec<_> = p.slots_from(slots, from).take_while(|t| *t < from + Duration::days(365)).collect();
    assert!(year.windows(2).all(|w| w[0] < w[1]), "strictly increasing");
    // 365 days × 3 slots, less the one spring day where 02:30 becomes 03:30 (one slot, not two).
    assert_eq!(year.len(), 365 * 3 - 1);
    let spring = NaiveDate::from_ymd_opt(2026, 3, 29).unwrap();
    assert_eq!(year.iter().filter(|t| p.local(**t).date() == spring).count(), 2);
}
