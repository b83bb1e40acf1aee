//! Undoing a decision, for the moderator who made it: an approval goes back to the queue while
//! nothing was published (the schedule's move back, which frees its slot); a rejection goes
//! back at any time, its author's notice withdrawn while the undo window holds it, else
//! followed by a "back in review" notice.

use serde::Serialize;
use tracing::instrument;

use super::ModerationError;
use super::schedule::{ScheduleRefused, reschedule};
use crate::domain::{ActionSource, PostId, PostStatus, UserId};
use crate::services::Services;
use crate::store::{Reschedule, ScheduleChange, ScheduleOutcome, UndoOutcome, UndoRejection};

/// What an undo did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Undone {
    /// The post is pending again; `author_told`: its author had heard of the decision and is
    /// told it is back in review.
    Undone {
        author_told: bool,
    },
    /// Someone else decided it: only they may undo.
    NotYours,
    /// Published (or being published), or decided again since: nothing changed.
    TooLate,
    NotFound,
}

/// Undoes `moderator`'s decision on post `id` (see the module's doc) and wakes the outbox.
#[instrument(skip_all, fields(post_id = id.0, moderator_id = moderator.0, source = source.as_str()))]
pub async fn undo(
    services: &Services,
    id: PostId,
    moderator: UserId,
    source: ActionSource,
) -> Result<Undone, ModerationError> {
    let Some(post) = services.store.post(id).await? else { return Ok(Undone::NotFound) };
    if !matches!(post.status, PostStatus::Approved | PostStatus::Rejected) {
        return Ok(Undone::TooLate);
    }
    if post.decided_by != Some(moderator) {
        return Ok(Undone::NotYours);
    }
    let undone = match post.status {
        PostStatus::Approved => {
            let change = ScheduleChange {
                post_id: id,
                moderator: Some(moderator),
                source,
                seen: post.scheduled_at,
                to: Reschedule::ToQueue,
            };
            match reschedule(services, &change, services.clock.now()).await {
                Ok(ScheduleOutcome::Changed { .. }) => Undone::Undone { author_told: false },
                Ok(_) => Undone::TooLate,
                Err(ScheduleRefused::Store(e)) => return Err(e.into()),
                Err(ScheduleRefused::Time(e)) => return Err(e.into()),
            }
        }
        PostStatus::Rejected => {
            match services.store.undo_rejection(&UndoRejection { post_id: id, moderator, source }).await? {
                UndoOutcome::Undone { author_told, ban_lifted } => {
                    tracing::info!(author_told, ban_lifted, "rejection undone");
                    services.outbox_wake.notify_one();
                    Undone::Undone { author_told }
                }
                UndoOutcome::NotRejected => Undone::TooLate,
                UndoOutcome::NotFound => Undone::NotFound,
            }
        }
        _ => Undone::TooLate,
    };
    Ok(undone)
}
