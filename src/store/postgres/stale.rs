//! The stale-queue reads and the bot's own state on `PostgreSQL`: pending posts older than an
//! age (on the `posts_status_created` index) and the `bot_state` key/value rows.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tracing::instrument;

use crate::domain::PostId;
use crate::store::{PendingBefore, StoreError};

#[instrument(skip_all, err)]
pub async fn pending_before(pool: &PgPool, before: DateTime<Utc>, limit: i64) -> Result<PendingBefore, StoreError> {
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM posts WHERE status = 'pending' AND changes_requested_at IS NULL AND created_at < $1",
    )
    .bind(before)
    .fetch_one(pool)
    .await?;
    let oldest: Vec<(i64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, created_at FROM posts WHERE status = 'pending' AND changes_requested_at IS NULL AND created_at < $1 \
         ORDER BY created_at, id LIMIT $2",
    )
    .bind(before)
    .bind(limit.max(0))
    .fetch_all(pool)
    .await?;
    Ok(PendingBefore { count, oldest: oldest.into_iter().map(|(id, at)| (PostId(id), at)).collect() })
}

#[instrument(skip_all, fields(key), err)]
pub async fn bot_state(pool: &PgPool, key: &str) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT value FROM bot_state WHERE key = $1").bind(key).fetch_optional(pool).await?)
}

#[instrument(skip_all, fields(key), err)]
pub async fn set_bot_state(pool: &PgPool, key: &str, value: Option<&str>) -> Result<(), StoreError> {
    match value {
        Some(value) => {
            sqlx::query(
                "INSERT INTO bot_state (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()",
            )
            .bind(key)
            .bind(value)
            .execute(pool)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM bot_state WHERE key = $1").bind(key).execute(pool).await?;
        }
    }
    Ok(())
}
