//! The channel's publishing plan and the arithmetic of its slots: when an approved post goes
//! out. Pure — every function takes `now` — so plans are tested with an injected clock; the
//! store keeps the times and the [`crate::publisher`] releases posts as they fall due.

pub mod calendar;
mod parse;
mod plan;
#[cfg(test)]
mod tests;

pub use parse::{PlanSettings, parse_plan};
pub use plan::{Missed, Mode, Plan, WeekSlots};

use chrono::{DateTime, Duration, Utc};

/// Two scheduled posts closer than this are in one slot (slots are whole minutes).
pub const SLOT_WIDTH: Duration = Duration::minutes(1);

/// How far ahead a free slot is looked for before the plan is called full.
pub const HORIZON_DAYS: i64 = 366;

/// A time a moderator asked for that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    /// Scheduling into the past.
    #[error("{at} is in the past; choose a later time")]
    InThePast { at: DateTime<Utc> },
    /// Another post already goes out at that time.
    #[error("another post is already scheduled at {at}")]
    SlotTaken { at: DateTime<Utc> },
    /// No free slot within [`HORIZON_DAYS`].
    #[error("no free slot in the next {HORIZON_DAYS} days")]
    Full,
}

/// Whether `at` is free among `taken`, for posts that must be `gap` apart.
pub fn is_free(at: DateTime<Utc>, taken: &[DateTime<Utc>], gap: Duration) -> bool {
    taken.iter().all(|t| (*t - at).abs() >= gap)
}

/// A time a moderator chose: not in the past, and not in a slot another post holds.
pub fn check_chosen(at: DateTime<Utc>, now: DateTime<Utc>, taken: &[DateTime<Utc>]) -> Result<(), ScheduleError> {
    if at < now {
        return Err(ScheduleError::InThePast { at });
    }
    if !is_free(at, taken, SLOT_WIDTH) {
        return Err(ScheduleError::SlotTaken { at });
    }
    Ok(())
}

/// New times for posts whose time passed while nothing published them (`overdue`, oldest
/// first), one per post in the same order: from `now`, `gap` apart and clear of `taken`
/// ([`Missed::CatchUp`]); or the plan's next free slots ([`Missed::NextSlots`]).
pub fn replan_overdue(
    plan: &Plan,
    now: DateTime<Utc>,
    overdue: usize,
    taken: &[DateTime<Utc>],
) -> Result<Vec<DateTime<Utc>>, ScheduleError> {
    let mut taken = taken.to_vec();
    let mut times = Vec::with_capacity(overdue);
    let mut from = now;
    for _ in 0..overdue {
        let at = match plan.missed {
            Missed::CatchUp => first_clear(from, &taken, plan.gap())?,
            Missed::NextSlots => plan.next_free(from, &taken)?,
        };
        taken.push(at);
        times.push(at);
        from = at;
    }
    Ok(times)
}

/// The first time from `from` that is `gap` clear of every taken time.
fn first_clear(from: DateTime<Utc>, taken: &[DateTime<Utc>], gap: Duration) -> Result<DateTime<Utc>, ScheduleError> {
    let mut at = from;
    // Each step passes one taken time for good: bounded by their number.
    for _ in 0..=taken.len() {
        match taken.iter().filter(|t| (**t - at).abs() < gap).max() {
            None => return Ok(at),
            Some(t) => at = *t + gap,
        }
    }
    Err(ScheduleError::Full)
}
