//! Aggregates and fingerprints: counts of posts by status, media hashes and re-post detection.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tracing::instrument;

use super::rows::notify;
use crate::domain::PostId;
use crate::store::{QueueStats, StoreError};

#[instrument(skip_all, err)]
pub async fn stats(pool: &PgPool) -> Result<QueueStats, StoreError> {
    let row: (i64, i64, i64, i64, i64, i64, i64, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'pending' AND changes_requested_at IS NULL), count(*) FILTER (WHERE status = 'approved'), \
         count(*) FILTER (WHERE status = 'published'), count(*) FILTER (WHERE status = 'publish_failed'), \
         count(*) FILTER (WHERE status = 'rejected'), \
         count(*) FILTER (WHERE status = 'pending' AND changes_requested_at IS NULL AND edited_by_author), \
         count(*) FILTER (WHERE status = 'pending' AND changes_requested_at IS NOT NULL), \
         (SELECT min(created_at) FROM posts WHERE status = 'pending' AND changes_requested_at IS NULL) FROM posts",
    )
    .fetch_one(pool)
    .await?;
    Ok(QueueStats {
        pending: row.0,
        approved: row.1,
        published: row.2,
        publish_failed: row.3,
        rejected: row.4,
        edited_pending: row.5,
        changes_requested: row.6,
        oldest_pending_at: row.7,
    })
}

#[instrument(skip_all, fields(post_id = id.0, position), err)]
pub async fn set_media_hash(
    pool: &PgPool,
    id: PostId,
    position: i16,
    sha256: &str,
) -> Result<Option<PostId>, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE media SET sha256 = $3 WHERE post_id = $1 AND position = $2")
        .bind(id.0)
        .bind(position)
        .bind(sha256)
        .execute(&mut *tx)
        .await?;
    let earlier: Option<i64> =
        sqlx::query_scalar("SELECT post_id FROM media WHERE sha256 = $2 AND post_id < $1 ORDER BY post_id LIMIT 1")
            .bind(id.0)
            .bind(sha256)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(original) = earlier {
        sqlx::query("UPDATE posts SET duplicate_of = $2, updated_at = now() WHERE id = $1 AND duplicate_of IS NULL")
            .bind(id.0)
            .bind(original)
            .execute(&mut *tx)
            .await?;
        super::outbox::enqueue_card_update(&mut tx, id).await?;
        notify(&mut *tx, "post_updated", Some(id)).await?;
    }
    tx.commit().await?;
    Ok(earlier.map(PostId))
}
