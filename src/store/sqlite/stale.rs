//! The stale-queue reads and the bot's own state on `SQLite`: pending posts older than an age
//! (on the `posts_status_created` index) and the `bot_state` key/value rows.

use chrono::{DateTime, Utc};
use tracing::instrument;

use super::Db;
use super::rows::{NOW, stamp};
use crate::domain::PostId;
use crate::store::{PendingBefore, StoreError};

#[instrument(skip_all, err)]
pub async fn pending_before(db: &Db, before: DateTime<Utc>, limit: i64) -> Result<PendingBefore, StoreError> {
    let before = stamp(before);
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM posts WHERE status = 'pending' AND changes_requested_at IS NULL AND created_at < ?1",
    )
    .bind(&before)
    .fetch_one(&db.reader)
    .await?;
    let oldest: Vec<(i64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, created_at FROM posts WHERE status = 'pending' AND changes_requested_at IS NULL AND created_at < ?1 \
         ORDER BY created_at, id LIMIT ?2",
    )
    .bind(&before)
    .bind(limit.max(0))
    .fetch_all(&db.reader)
    .await?;
    Ok(PendingBefore { count, oldest: oldest.into_iter().map(|(id, at)| (PostId(id), at)).collect() })
}

#[instrument(skip_all, fields(key), err)]
pub async fn bot_state(db: &Db, key: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT value FROM bot_state WHERE key = ?1").bind(key).fetch_optional(&db.reader).await?)
}

#[instrument(skip_all, fields(key), err)]
pub async fn set_bot_state(db: &Db, key: &str, value: Option<&str>) -> Result<(), StoreError> {
    match value {
        Some(value) => {
            let sql = format!(
                "INSERT INTO bot_state (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = {NOW}"
            );
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(key).bind(value).execute(&db.writer).await?;
        }
        None => {
            sqlx::query("DELETE FROM bot_state WHERE key = ?1").bind(key).execute(&db.writer).await?;
        }
    }
    Ok(())
}
