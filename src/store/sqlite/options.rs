//! Author options on `SQLite`: a post's signed/anonymous choice changed in one transaction on
//! the one writer (checked, logged, announced), never once its publication is being sent.

use sqlx::AssertSqlSafe;
use tracing::instrument;

use super::Db;
use super::rows::{NOW, status};
use super::writes::log_action;
use crate::domain::{ActionSource, ModerationAction, PostStatus, UserId};
use crate::store::{SignedBy, SignedChange, SignedOutcome, StoreError};

#[instrument(skip_all, fields(post_id = c.post_id.0, signed = c.signed), err)]
pub async fn set_signed(db: &Db, c: &SignedChange) -> Result<SignedOutcome, StoreError> {
    let mut tx = db.writer.begin().await?;
    let row: Option<(String, i64)> = sqlx::query_as("SELECT status, author_id FROM posts WHERE id = ?1")
        .bind(c.post_id.0)
        .fetch_optional(&mut *tx)
        .await?;
    let Some((raw_status, author)) = row else { return Ok(SignedOutcome::NotFound) };
    let (moderator, source) = match c.by {
        SignedBy::Author(user) if user.0 != author => return Ok(SignedOutcome::NotAuthor),
        SignedBy::Author(_) => (None, ActionSource::Telegram),
        SignedBy::Moderator(m, source) => (Some(m), source),
    };
    let current = status(&raw_status)?;
    let leased: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE post_id = ?1 AND kind = 'publish' AND done_at IS NULL \
         AND leased_at IS NOT NULL)",
    )
    .bind(c.post_id.0)
    .fetch_one(&mut *tx)
    .await?;
    if !SignedOutcome::open(current) || leased {
        let status = if leased { PostStatus::Approved } else { current };
        return Ok(SignedOutcome::TooLate { status });
    }
    let sql = format!("UPDATE posts SET signed = ?2, updated_at = {NOW} WHERE id = ?1");
    sqlx::query(AssertSqlSafe(sql)).bind(c.post_id.0).bind(c.signed).execute(&mut *tx).await?;
    let details = serde_json::json!({ "signed": c.signed });
    let action = ModerationAction::SetSigned;
    log_action(&mut tx, Some(c.post_id), Some(UserId(author)), moderator, action, source, None, &details).await?;
    // The group card says signed or anonymous.
    super::outbox::enqueue_card_update(&mut tx, c.post_id).await?;
    tx.commit().await?;
    db.emit("post_updated", Some(c.post_id));
    Ok(SignedOutcome::Changed { signed: c.signed })
}
