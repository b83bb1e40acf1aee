//! The calendar the console shows: a run of days in the plan's zone, each a column of cells —
//! the plan's slots (or, in interval mode, times one interval apart outside quiet hours), and
//! the time of any post scheduled off them — with the post each cell holds. Pure: the posts
//! and `now` are given.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::Serialize;

use super::plan::{Mode, Plan};
use crate::store::ScheduledPost;

/// Days a calendar shows at most.
pub const MAX_DAYS: i64 = 31;

/// One time on one day: free, or holding a post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub at: DateTime<Utc>,
    /// The local time of day, `HH:MM`.
    pub time: String,
    /// Whether the plan offers this time (else a post was put there by hand).
    pub slot: bool,
    pub post: Option<ScheduledPost>,
}

/// One local day's cells, earliest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Day {
    pub date: NaiveDate,
    pub cells: Vec<Cell>,
}

/// The instants `[from, to)` the days from `first` for `days` days cover, for the store's read.
pub fn span(plan: &Plan, first: NaiveDate, days: i64) -> (DateTime<Utc>, DateTime<Utc>) {
    let days = days.clamp(1, MAX_DAYS);
    let start = plan.instant(first.and_time(NaiveTime::MIN));
    let end = plan.instant((first + Duration::days(days)).and_time(NaiveTime::MIN));
    (start, end)
}

/// The days from `first` for `days` days with `posts` (scheduled ones; others are ignored) in
/// their cells. Free cells before `now` are left out: nothing can be moved into the past.
pub fn build(plan: &Plan, first: NaiveDate, days: i64, posts: Vec<ScheduledPost>, now: DateTime<Utc>) -> Vec<Day> {
    let days = days.clamp(1, MAX_DAYS);
    let mut result: Vec<Day> = (0..days)
        .map(|d| {
            let date = first + Duration::days(d);
            let cells = offered(plan, date)
                .into_iter()
                .filter(|at| *at >= now)
                .map(|at| Cell { at, time: local_time(plan, at), slot: true, post: None })
                .collect();
            Day { date, cells }
        })
        .collect();
    for post in posts {
        let Some(at) = post.scheduled_at else { continue };
        let date = plan.local(at).date();
        let Some(day) = result.iter_mut().find(|d| d.date == date) else { continue };
        match day.cells.iter_mut().find(|c| c.at == at && c.post.is_none()) {
            Some(cell) => cell.post = Some(post),
            None => day.cells.push(Cell { at, time: local_time(plan, at), slot: false, post: Some(post) }),
        }
    }
    for day in &mut result {
        day.cells.sort_by_key(|c| c.at);
    }
    result
}

/// The times the plan offers on a local date.
fn offered(plan: &Plan, date: NaiveDate) -> Vec<DateTime<Utc>> {
    let times: Vec<NaiveTime> = match &plan.mode {
        Mode::Immediate => Vec::new(),
        Mode::Slots { slots } => slots.of(date).to_vec(),
        Mode::Interval { every, quiet } => {
            let step = every.num_minutes().max(1);
            (0..(24 * 60) / step)
                .filter_map(|i| NaiveTime::from_num_seconds_from_midnight_opt(u32::try_from(i * step * 60).ok()?, 0))
                .filter(|t| quiet.is_none_or(|(start, end)| !in_quiet(*t, start, end)))
                .collect()
        }
    };
    let mut instants: Vec<DateTime<Utc>> = times.into_iter().map(|t| plan.instant(date.and_time(t))).collect();
    instants.dedup();
    instants
}

fn in_quiet(t: NaiveTime, start: NaiveTime, end: NaiveTime) -> bool {
    if start <= end { t >= start && t < end } else { t >= start || t < end }
}

fn local_time(plan: &Plan, at: DateTime<Utc>) -> String {
    plan.local(at).format("%H:%M").to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use chrono::TimeZone;

    use super::*;
    use crate::domain::{PostId, UserId};
    use crate::schedule::{PlanSettings, parse_plan};

    fn plan(slots: &str) -> Plan {
        let vars = [("PUBLISH_SLOTS", slots), ("PUBLISH_TIMEZONE", "Europe/Moscow")];
        parse_plan(&PlanSettings::from_lookup(&|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())))
            .unwrap()
    }

    fn post(id: i64, at: DateTime<Utc>) -> ScheduledPost {
        ScheduledPost {
            id: PostId(id),
            scheduled_at: Some(at),
            author_id: UserId(1),
            author_name: "A".into(),
            excerpt: "x".into(),
            media_count: 0,
            first_media_kind: None,
        }
    }

    #[test]
    fn a_week_of_slots_holds_its_posts_and_an_off_plan_time_gets_its_own_cell() {
        let p = plan("09:00,13:00,18:30");
        let first = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let now = Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap(); // 11:00 in Moscow
        let at_13 = Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap();
        let off_plan = Utc.with_ymd_and_hms(2026, 12, 8, 12, 15, 0).unwrap(); // 15:15
        let days = build(&p, first, 7, vec![post(1, at_13), post(2, off_plan)], now);
        assert_eq!(days.len(), 7);
        let today: Vec<_> = days[0].cells.iter().map(|c| (c.time.as_str(), c.post.as_ref().map(|p| p.id.0))).collect();
        assert_eq!(today, [("13:00", Some(1)), ("18:30", None)], "09:00 has passed");
        let tomorrow: Vec<_> = days[1].cells.iter().map(|c| (c.time.as_str(), c.slot)).collect();
        assert_eq!(tomorrow, [("09:00", true), ("13:00", true), ("15:15", false), ("18:30", true)]);
        assert_eq!(days[6].cells.len(), 3);
        let (from, to) = span(&p, first, 7);
        assert_eq!((to - from).num_days(), 7);
    }
}
