//! Undoing a rejection on `PostgreSQL`, in one transaction with the post's row locked: the post
//! back to pending, the held notice withdrawn (or a "back in review" one queued), a ban given
//! with the rejection lifted.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use tracing::instrument;

use super::decide::{enqueue_at, log_action};
use super::outbox::enqueue_card_update;
use super::rows::{notify, status};
use crate::domain::{ModerationAction, PostId, PostStatus, UserId};
use crate::store::{OutboxKind, StoreError, UndoOutcome, UndoRejection};

/// The decision being taken back.
#[derive(sqlx::FromRow)]
struct Row {
    status: String,
    author_id: i64,
    decided_at: Option<DateTime<Utc>>,
    decided_by: Option<i64>,
    reject_reason: Option<String>,
}

#[instrument(skip_all, fields(post_id = u.post_id.0, moderator_id = u.moderator.0, source = u.source.as_str()), err)]
pub async fn undo_rejection(pool: &PgPool, u: &UndoRejection) -> Result<UndoOutcome, StoreError> {
    let mut tx = pool.begin().await?;
    let row: Option<Row> = sqlx::query_as(
        "SELECT status, author_id, decided_at, decided_by, reject_reason FROM posts WHERE id = $1 FOR UPDATE",
    )
    .bind(u.post_id.0)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(Row { status: raw_status, author_id: author, decided_at, decided_by, reject_reason: reason }) = row else {
        return Ok(UndoOutcome::NotFound);
    };
    if status(&raw_status)? != PostStatus::Rejected {
        return Ok(UndoOutcome::NotRejected);
    }
    let author = UserId(author);
    let author_told = !withdraw_notice(&mut tx, u.post_id).await?;
    let ban_lifted = lift_ban(&mut tx, u, author, decided_at, decided_by).await?;
    sqlx::query(
        "UPDATE posts SET status = 'pending', decided_by = NULL, decided_at = NULL, reject_reason = NULL, \
         updated_at = now() WHERE id = $1",
    )
    .bind(u.post_id.0)
    .execute(&mut *tx)
    .await?;
    let details = serde_json::json!({ "from": "rejected", "reason": reason, "author_told": author_told });
    let (post, moderator) = (Some(u.post_id), Some(u.moderator));
    log_action(&mut tx, post, Some(author), moderator, ModerationAction::ReturnToQueue, u.source, None, details)
        .await?;
    // One refresh waiting at most: the rejection's own may not have gone out yet.
    enqueue_card_update(&mut tx, u.post_id).await?;
    if author_told {
        let payload = serde_json::json!({ "notice": crate::store::BACK_IN_REVIEW });
        enqueue_at(&mut tx, u.post_id, OutboxKind::NotifyAuthor, Utc::now(), payload).await?;
    }
    notify(&mut *tx, "post_decided", Some(u.post_id)).await?;
    if ban_lifted {
        notify(&mut *tx, "author_unbanned", None).await?;
    }
    tx.commit().await?;
    Ok(UndoOutcome::Undone { author_told, ban_lifted })
}

/// Withdraws the post's author notice while no attempt to send it has started; whether one was.
async fn withdraw_notice(tx: &mut PgConnection, post: PostId) -> Result<bool, StoreError> {
    let withdrawn = sqlx::query(
        "UPDATE outbox SET done_at = now(), last_error = 'withdrawn: the rejection was undone' \
         WHERE post_id = $1 AND kind = 'notify_author' AND done_at IS NULL AND leased_at IS NULL \
         AND sending_at IS NULL AND attempts = 0",
    )
    .bind(post.0)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(withdrawn > 0)
}

/// Lifts the author's ban when it was given with this rejection (by the moderator who
/// rejected, not before the decision); whether it was.
async fn lift_ban(
    tx: &mut PgConnection,
    u: &UndoRejection,
    author: UserId,
    decided_at: Option<DateTime<Utc>>,
    decided_by: Option<i64>,
) -> Result<bool, StoreError> {
    let (Some(decided_at), Some(decided_by)) = (decided_at, decided_by) else { return Ok(false) };
    let lifted = sqlx::query("DELETE FROM bans WHERE user_id = $1 AND created_at >= $2 AND banned_by = $3")
        .bind(author.0)
        .bind(decided_at)
        .bind(decided_by)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if lifted > 0 {
        let details = serde_json::json!({ "undo_of_post": u.post_id.0 });
        let moderator = Some(u.moderator);
        log_action(tx, Some(u.post_id), Some(author), moderator, ModerationAction::Unban, u.source, None, details)
            .await?;
    }
    Ok(lifted > 0)
}
