//! Undoing a rejection: who asks, and what it did (the post back in the queue, its author's
//! notice withdrawn while it was still held, or a "back in review" notice when it was not).

use serde::Serialize;

use crate::domain::{ActionSource, PostId, UserId};

/// The `notice` an author-notice job's payload names when the post is back in review after
/// an undone rejection (the job of a pending post sends nothing otherwise).
pub const BACK_IN_REVIEW: &str = "back_in_review";

/// A moderator taking back a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UndoRejection {
    pub post_id: PostId,
    pub moderator: UserId,
    pub source: ActionSource,
}

/// What [`UndoRejection`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum UndoOutcome {
    /// The post is pending again. `author_told`: the rejection notice had gone out (or was
    /// going out), so the author is sent a "back in review" notice; otherwise it was withdrawn
    /// and the author never hears of the rejection. `ban_lifted`: the ban given with the
    /// rejection was lifted too.
    Undone {
        author_told: bool,
        ban_lifted: bool,
    },
    /// The post is not rejected (any more): nothing done.
    NotRejected,
    NotFound,
}
