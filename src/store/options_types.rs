//! Author options in storage: a change of a post's signed/anonymous choice, who asks for it,
//! and what came of it.

use serde::Serialize;

use crate::domain::{ActionSource, PostId, PostStatus, UserId};

/// Who changes a post's choice: its author (from the receipt's button) or a moderator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignedBy {
    /// Only the post's own author may; anyone else is refused ([`SignedOutcome::NotAuthor`]).
    Author(UserId),
    Moderator(UserId, ActionSource),
}

/// Publish post `post_id` signed (`true`) or anonymous.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedChange {
    pub post_id: PostId,
    pub signed: bool,
    pub by: SignedBy,
}

/// What a [`SignedChange`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SignedOutcome {
    /// The choice is now `signed` (logged; a change event went out).
    Changed {
        signed: bool,
    },
    NotFound,
    /// The one pressing is not the post's author.
    NotAuthor,
    /// Published, rejected, or its publication is being sent: too late to change.
    TooLate {
        status: PostStatus,
    },
}

impl SignedOutcome {
    /// Whether a post in `status` may still change its choice (not while it is being sent,
    /// which the store checks too).
    pub fn open(status: PostStatus) -> bool {
        matches!(status, PostStatus::Pending | PostStatus::Approved | PostStatus::PublishFailed)
    }
}
