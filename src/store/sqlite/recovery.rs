//! What a crash can leave behind, on `SQLite`: receipts recorded and found missing, the send
//! intent of cards and publications (a repeat after a crash is flagged on the post), and the
//! leases of a worker that is gone.

use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use tracing::instrument;

use super::Db;
use super::rows::NOW;
use crate::domain::PostId;
use crate::store::{OutboxJob, OutboxKind, StoreError};

#[instrument(skip_all, fields(job_id = job.id, post_id = job.post_id.map(|p| p.0), kind = job.kind.as_str()), err)]
pub async fn begin_send(db: &Db, job: &OutboxJob) -> Result<bool, StoreError> {
    let card = job.kind == OutboxKind::Announce;
    let mut tx = db.writer.begin().await?;
    let again: Option<bool> = sqlx::query_scalar("SELECT sending_at IS NOT NULL FROM outbox WHERE id = ?1")
        .bind(job.id)
        .fetch_optional(&mut *tx)
        .await?;
    sqlx::query(AssertSqlSafe(format!("UPDATE outbox SET sending_at = {NOW} WHERE id = ?1")))
        .bind(job.id)
        .execute(&mut *tx)
        .await?;
    let again = again.unwrap_or(false);
    if again && let Some(post) = job.post_id {
        let column = if card { "card_maybe_twice" } else { "published_maybe_twice" };
        let sql = format!("UPDATE posts SET {column} = 1, updated_at = {NOW} WHERE id = ?1");
        sqlx::query(AssertSqlSafe(sql)).bind(post.0).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    if again {
        db.emit(if card { "card_maybe_twice" } else { "published_maybe_twice" }, job.post_id);
    }
    Ok(again)
}

#[instrument(skip_all, err)]
pub async fn reclaim_leases(db: &Db) -> Result<u64, StoreError> {
    let sql = format!(
        "UPDATE outbox SET next_attempt_at = {NOW}, leased_at = NULL WHERE done_at IS NULL AND leased_at IS NOT NULL"
    );
    Ok(sqlx::query(AssertSqlSafe(sql)).execute(&db.writer).await?.rows_affected())
}

/// One statement for all (the ids go in as a JSON array), written without waiting for the
/// disk (`synchronous = NORMAL` for it alone, on the one writer, so intake's commits keep the
/// disk to themselves): a record a power cut forgets only lets a receipt repeat.
#[instrument(skip_all, fields(posts = ids.len()), err)]
pub async fn record_receipts(db: &Db, ids: &[PostId]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let ids = serde_json::Value::from(ids.iter().map(|p| p.0).collect::<Vec<_>>()).to_string();
    let sql = format!(
        "UPDATE posts SET receipt_sent_at = {NOW} \
         WHERE id IN (SELECT value FROM json_each(?1)) AND receipt_sent_at IS NULL"
    );
    let mut conn = db.writer.acquire().await?;
    sqlx::query("PRAGMA synchronous = NORMAL").execute(&mut *conn).await?;
    let written = sqlx::query(AssertSqlSafe(sql)).bind(ids).execute(&mut *conn).await;
    if let Err(e) = sqlx::query("PRAGMA synchronous = FULL").execute(&mut *conn).await {
        // Never hand a writer that does not wait for the disk back to the pool.
        drop(conn.detach());
        return Err(e.into());
    }
    written?;
    Ok(())
}

#[instrument(skip_all, err)]
pub async fn unreceipted(db: &Db, before: DateTime<Utc>, limit: i64) -> Result<Vec<PostId>, StoreError> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM posts WHERE receipt_sent_at IS NULL AND status = 'pending' AND created_at < ?1 \
           AND (media_group_id IS NULL OR moderation_message_id IS NOT NULL OR card_error IS NOT NULL) \
         ORDER BY id LIMIT ?2",
    )
    .bind(before.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
    .bind(limit.clamp(1, 1000))
    .fetch_all(&db.reader)
    .await?;
    Ok(ids.into_iter().map(PostId).collect())
}
