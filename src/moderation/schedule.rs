//! The schedule's writes, for both faces and the outbox worker: the time an approval takes
//! from the channel's plan, a moderator's change to a post's time (checked against the clock),
//! the start-up catch-up of posts whose time passed while nothing published them, and queuing
//! the publications that fell due. Every function takes `now`: the clock is the caller's.

use chrono::{DateTime, Duration, Utc};
use tracing::instrument;

use crate::domain::{ActionSource, PostId};
use crate::schedule::{ScheduleError, check_chosen, replan_overdue};
use crate::services::Services;
use crate::store::{Reschedule, ScheduleChange, ScheduleOutcome, StoreError};

/// Times are looked up from a little before `now`, so a slot being published is still taken.
const LOOKBACK: Duration = Duration::minutes(1);
/// Publications queued per round: one, so that the channel gets scheduled posts one at a
/// time, in time order (the outbox works on several posts at once).
const RELEASE_BATCH: i64 = 1;

/// Why a change to a post's time was refused.
#[derive(Debug, thiserror::Error)]
pub enum ScheduleRefused {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Time(#[from] ScheduleError),
}

/// Whether a store error is another approved post holding the same time (a race the caller
/// retries with a fresh slot).
pub fn is_slot_taken(e: &StoreError) -> bool {
    matches!(e, StoreError::Constraint { constraint, message }
        if constraint.contains("posts_scheduled_slot") || message.contains("scheduled_at"))
}

/// The time an approval made at `now` publishes at under the plan: `None` for at once (no
/// plan), else the plan's next free slot.
pub async fn slot_for_approval(
    services: &Services,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, ScheduleRefused> {
    let plan = &services.config.schedule;
    if plan.is_immediate() {
        return Ok(None);
    }
    let taken = services.store.scheduled_times(now - LOOKBACK).await?;
    Ok(Some(plan.next_free(now, &taken)?))
}

/// "Top of the queue" at `now`: the plan's earliest upcoming slot, and the moves that make room
/// in it — the post holding it to the plan's next slot, the one holding that to the next, and
/// so on up to the first free slot (each post one slot later; posts at times of their own stay).
pub async fn room_at_top(
    services: &Services,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, Vec<Move>), ScheduleRefused> {
    let plan = &services.config.schedule;
    let top = plan.next_free(now, &[])?;
    let held: std::collections::HashMap<DateTime<Utc>, PostId> = services
        .store
        .scheduled(top, top + Duration::days(TOP_HORIZON_DAYS))
        .await?
        .into_iter()
        .filter_map(|p| p.scheduled_at.map(|at| (at, p.id)))
        .collect();
    let mut moves = Vec::new();
    let mut at = top;
    while let Some(post) = held.get(&at) {
        let next = plan.next_free(at, &[at])?;
        if next <= at || moves.len() > held.len() {
            return Err(ScheduleError::Full.into());
        }
        moves.push((*post, at, next));
        at = next;
    }
    Ok((top, moves))
}

/// A post moved to make room at the top: the post, its time, its new time.
pub type Move = (PostId, DateTime<Utc>, DateTime<Utc>);

/// How far ahead the posts that may have to move are read (a year of the calendar and more).
const TOP_HORIZON_DAYS: i64 = 400;

/// A moderator's (or the system's) change to a post's time: a chosen time in the past or in
/// another post's slot is refused before the store is asked (the store refuses the races).
#[instrument(skip_all, fields(post_id = change.post_id.0, to = ?change.to, source = change.source.as_str()))]
pub async fn reschedule(
    services: &Services,
    change: &ScheduleChange,
    now: DateTime<Utc>,
) -> Result<ScheduleOutcome, ScheduleRefused> {
    if let Reschedule::At { at, swap } = change.to {
        let taken = services.store.scheduled_times(now - LOOKBACK).await?;
        let others: Vec<_> = taken.into_iter().filter(|t| Some(*t) != change.seen).collect();
        match check_chosen(at, now, &others) {
            Err(ScheduleError::SlotTaken { .. }) if swap => {}
            other => other?,
        }
    }
    let outcome = match services.store.reschedule(change).await {
        Err(e) if is_slot_taken(&e) => {
            return Err(ScheduleError::SlotTaken { at: target(change).unwrap_or(now) }.into());
        }
        other => other?,
    };
    tracing::info!(outcome = ?outcome, "schedule change");
    if matches!(outcome, ScheduleOutcome::Changed { .. }) {
        services.outbox_wake.notify_one();
    }
    Ok(outcome)
}

fn target(change: &ScheduleChange) -> Option<DateTime<Utc>> {
    match change.to {
        Reschedule::At { at, .. } => Some(at),
        _ => None,
    }
}

/// Gives posts whose time passed before `now` without being queued (the bot was off) new
/// times by the plan's rule for missed posts: from now on, spaced; or the next free slots.
/// The count of posts moved.
#[instrument(skip_all)]
pub async fn catch_up(services: &Services, now: DateTime<Utc>) -> Result<usize, ScheduleRefused> {
    let overdue = services.store.overdue(now).await?;
    if overdue.is_empty() {
        return Ok(0);
    }
    // From the next whole second: times are stored to the millisecond (PostgreSQL: the
    // microsecond), and a time read back must equal the one given.
    let now = DateTime::from_timestamp(now.timestamp() + i64::from(now.timestamp_subsec_nanos() > 0), 0).unwrap_or(now);
    let taken = services.store.scheduled_times(now).await?;
    let times = replan_overdue(&services.config.schedule, now, overdue.len(), &taken)?;
    let mut moved = 0;
    for ((post, was), at) in overdue.into_iter().zip(times) {
        let change = ScheduleChange {
            post_id: post,
            moderator: None,
            source: ActionSource::System,
            seen: Some(was),
            to: Reschedule::At { at, swap: false },
        };
        match services.store.reschedule(&change).await? {
            ScheduleOutcome::Changed { .. } => moved += 1,
            other => tracing::info!(post_id = post.0, outcome = ?other, "missed post not moved"),
        }
    }
    tracing::info!(moved, "posts missed while the bot was off given new times");
    Ok(moved)
}

/// Queues the publication of the earliest post whose time has come by `now`, once no other
/// publication is queued; its id (none while one is).
pub async fn release_due(services: &Services, now: DateTime<Utc>) -> Result<Vec<PostId>, StoreError> {
    let released = services.store.release_due(now, RELEASE_BATCH).await?;
    if !released.is_empty() {
        tracing::info!(posts = ?released.iter().map(|p| p.0).collect::<Vec<_>>(), "scheduled posts due: publishing");
        services.outbox_wake.notify_one();
    }
    Ok(released)
}
