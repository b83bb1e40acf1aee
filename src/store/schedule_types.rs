//! What the publishing schedule reads and writes: a scheduled post as the calendar shows it,
//! a change a moderator (or the start-up catch-up) makes to a post's time, and its outcome.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::{ActionSource, MediaKind, PostId, UserId};

/// An approved post waiting for its time (or, parked, for one), as the calendar shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScheduledPost {
    pub id: PostId,
    /// `None` for a parked post.
    pub scheduled_at: Option<DateTime<Utc>>,
    pub author_id: UserId,
    pub author_name: String,
    pub excerpt: String,
    pub media_count: i64,
    pub first_media_kind: Option<MediaKind>,
}

/// Where a scheduled (or approved) post goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Reschedule {
    /// To this time; a post already there swaps with it when `swap`, else the move is refused.
    At { at: DateTime<Utc>, swap: bool },
    /// Approved, without a time: waits until a moderator gives it one.
    Park,
    /// Published at once.
    Now,
    /// Back to the queue: pending again, undecided.
    ToQueue,
}

/// A change to a post's publication time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleChange {
    pub post_id: PostId,
    /// `None` for the system (the catch-up after downtime).
    pub moderator: Option<UserId>,
    pub source: ActionSource,
    /// The time the requester saw (`None`: unscheduled): if the post's time changed since,
    /// nothing is done and [`ScheduleOutcome::Stale`] says what it is now.
    pub seen: Option<DateTime<Utc>>,
    pub to: Reschedule,
}

/// What a [`ScheduleChange`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ScheduleOutcome {
    /// Done; the post's time now (`None`: none). `swapped` is the post that took its old time.
    Changed {
        scheduled_at: Option<DateTime<Utc>>,
        swapped: Option<PostId>,
    },
    /// Another change came first; the post's time now.
    Stale {
        scheduled_at: Option<DateTime<Utc>>,
    },
    /// Another post holds that time (and no swap was asked for).
    SlotTaken {
        by: PostId,
    },
    /// The post is not waiting for publication (published, rejected, or being sent now).
    NotWaiting,
    NotFound,
}
