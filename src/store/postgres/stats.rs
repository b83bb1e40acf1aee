//! Aggregates for the console: counts of posts by status.

use sqlx::PgPool;
use tracing::instrument;

use crate::store::{QueueStats, StoreError};

#[instrument(skip_all, err)]
pub async fn stats(pool: &PgPool) -> Result<QueueStats, StoreError> {
    let row: (i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'pending'), count(*) FILTER (WHERE status = 'approved'), \
         count(*) FILTER (WHERE status = 'published'), count(*) FILTER (WHERE status = 'publish_failed'), \
         count(*) FILTER (WHERE status = 'rejected'), count(*) FILTER (WHERE status = 'pending' AND edited_by_author) \
         FROM posts",
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
    })
}
