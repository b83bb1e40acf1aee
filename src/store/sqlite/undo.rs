//! Undoing a rejection on `SQLite`, in one transaction on the one writer: the post back to
//! pending, the held notice withdrawn (or a "back in review" one queued), a ban given with the
//! rejection lifted.

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, SqliteConnection};
use tracing::instrument;

use super::Db;
use super::outbox::enqueue_card_update;
use super::rows::{NOW, status};
use super::writes::{enqueue_at, log_action};
use crate::domain::{ModerationAction, PostId, PostStatus, UserId};
use crate::store::{OutboxKind, StoreError, UndoOutcome, UndoRejection};

/// The decision being taken back.
#[derive(sqlx::FromRow)]
struct Row {
    status: String,
    author_id: i64,
    decided_at: Option<DateTime<Utc>>,
    reject_reason: Option<String>,
}

#[instrument(skip_all, fields(post_id = u.post_id.0, moderator_id = u.moderator.0, source = u.source.as_str()), err)]
pub async fn undo_rejection(db: &Db, u: &UndoRejection) -> Result<UndoOutcome, StoreError> {
    let mut tx = db.writer.begin().await?;
    let row: Option<Row> =
        sqlx::query_as("SELECT status, author_id, decided_at, reject_reason FROM posts WHERE id = ?1")
            .bind(u.post_id.0)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(Row { status: raw_status, author_id: author, decided_at, reject_reason: reason }) = row else {
        return Ok(UndoOutcome::NotFound);
    };
    if status(&raw_status)? != PostStatus::Rejected {
        return Ok(UndoOutcome::NotRejected);
    }
    let author = UserId(author);
    let author_told = !withdraw_notice(&mut tx, u.post_id).await?;
    let ban_lifted = lift_ban(&mut tx, u, author, decided_at).await?;
    let sql = format!(
        "UPDATE posts SET status = 'pending', decided_by = NULL, decided_at = NULL, reject_reason = NULL, \
         updated_at = {NOW} WHERE id = ?1"
    );
    sqlx::query(AssertSqlSafe(sql)).bind(u.post_id.0).execute(&mut *tx).await?;
    let details = serde_json::json!({ "from": "rejected", "reason": reason, "author_told": author_told });
    let (post, moderator) = (Some(u.post_id), Some(u.moderator));
    log_action(&mut tx, post, Some(author), moderator, ModerationAction::ReturnToQueue, u.source, None, &details)
        .await?;
    // One refresh waiting at most: the rejection's own may not have gone out yet.
    enqueue_card_update(&mut tx, u.post_id).await?;
    if author_told {
        let payload = serde_json::json!({ "notice": crate::store::BACK_IN_REVIEW });
        enqueue_at(&mut tx, u.post_id, OutboxKind::NotifyAuthor, Utc::now(), &payload).await?;
    }
    tx.commit().await?;
    db.emit("post_decided", Some(u.post_id));
    if ban_lifted {
        db.emit("author_unbanned", None);
    }
    Ok(UndoOutcome::Undone { author_told, ban_lifted })
}

/// Withdraws the post's author notice while no attempt to send it has started; whether one was.
async fn withdraw_notice(tx: &mut SqliteConnection, post: PostId) -> Result<bool, StoreError> {
    let sql = format!(
        "UPDATE outbox SET done_at = {NOW}, last_error = 'withdrawn: the rejection was undone' \
         WHERE post_id = ?1 AND kind = 'notify_author' AND done_at IS NULL AND leased_at IS NULL \
         AND sending_at IS NULL AND attempts = 0"
    );
    let withdrawn = sqlx::query(AssertSqlSafe(sql)).bind(post.0).execute(&mut *tx).await?.rows_affected();
    Ok(withdrawn > 0)
}

/// Lifts the author's ban when it was given with this rejection (by the moderator who
/// rejected, not before the decision); whether it was.
async fn lift_ban(
    tx: &mut SqliteConnection,
    u: &UndoRejection,
    author: UserId,
    decided_at: Option<DateTime<Utc>>,
) -> Result<bool, StoreError> {
    let Some(decided_at) = decided_at else { return Ok(false) };
    let lifted = sqlx::query(
        "DELETE FROM bans WHERE user_id = ?1 AND created_at >= ?2 AND banned_by = \
         (SELECT decided_by FROM posts WHERE id = ?3)",
    )
    .bind(author.0)
    .bind(super::rows::stamp(decided_at))
    .bind(u.post_id.0)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if lifted > 0 {
        let details = serde_json::json!({ "undo_of_post": u.post_id.0 });
        let moderator = Some(u.moderator);
        log_action(tx, Some(u.post_id), Some(author), moderator, ModerationAction::Unban, u.source, None, &details)
            .await?;
    }
    Ok(lifted > 0)
}
