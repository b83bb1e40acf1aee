//! The queue does not go stale (issue #17 part 3), its write: pending posts older than
//! `PENDING_EXPIRE_DAYS` are rejected with the reason "expired" by the system — the same
//! decision a moderator's rejection is (status, log row by `system`, the author's notice and the
//! card's update queued, one transaction), so a post a moderator decided meanwhile is left as
//! it is (the store decides only a pending post) and one under a moderator's live claim waits.
//! The clock is the caller's.

use chrono::{DateTime, Utc};
use tracing::instrument;

use crate::domain::{ActionSource, PostId, RejectReason, UserId};
use crate::services::Services;
use crate::store::{DecideOutcome, Decision, DecisionKind, StoreError};

/// Posts expired per round at most, so that a large backlog (expiry switched on over months of
/// queue) is worked off a hundred at a time between the worker's other jobs.
pub const EXPIRE_BATCH: i64 = 100;

/// Rejects as expired up to [`EXPIRE_BATCH`] of the pending posts older than the configured
/// age at `now`, oldest first; their ids. Nothing when expiry is off. Idempotent: a post
/// already decided is not changed again.
#[instrument(skip_all)]
pub async fn expire(services: &Services, now: DateTime<Utc>) -> Result<Vec<PostId>, StoreError> {
    let Some(age) = services.config.stale.expire_after() else { return Ok(Vec::new()) };
    let Some(cutoff) = chrono::Duration::from_std(age).ok().and_then(|age| now.checked_sub_signed(age)) else {
        return Ok(Vec::new());
    };
    let due = services.store.pending_before(cutoff, EXPIRE_BATCH).await?;
    let mut expired = Vec::new();
    for (post, arrived) in due.oldest {
        let decision = Decision {
            post_id: post,
            moderator: UserId::SYSTEM,
            source: ActionSource::System,
            kind: DecisionKind::Reject { reason: RejectReason::expired(), ban_author: false },
        };
        match services.store.decide(&decision).await? {
            DecideOutcome::Decided { .. } => expired.push(post),
            other => tracing::info!(post_id = post.0, %arrived, outcome = ?other, "old pending post not expired"),
        }
    }
    if !expired.is_empty() {
        tracing::info!(posts = ?expired.iter().map(|p| p.0).collect::<Vec<_>>(), "old pending posts expired");
        services.outbox_wake.notify_one();
    }
    Ok(expired)
}
