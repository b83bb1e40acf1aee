//! What the stale-queue round reads (issue #17 part 3): the pending posts older than an age,
//! counted, with the oldest of them; and the key under which the group reminder is kept.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::domain::PostId;

/// The `bot_state` key of the reminder message in the moderation group.
pub const REMINDER_STATE_KEY: &str = "stale_reminder";

/// Pending posts that arrived before a time.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PendingBefore {
    /// How many there are in all.
    pub count: i64,
    /// The oldest of them (up to the limit asked for), oldest first, with their arrival.
    pub oldest: Vec<(PostId, DateTime<Utc>)>,
}
