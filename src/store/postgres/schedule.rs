//! The publishing schedule on `PostgreSQL`: scheduled posts for the calendar, the times taken,
//! moving a post's time (one transaction, the post's row locked, so two consoles' moves are
//! applied one after the other), and queuing the publications that fell due.

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, FromRow, PgConnection, PgPool};
use tracing::instrument;

use super::decide::{enqueue, log_action};
use super::rows::{kind, notify, status};
use crate::domain::{ModerationAction, PostId, PostStatus, UserId};
use crate::store::{OutboxKind, Reschedule, ScheduleChange, ScheduleOutcome, ScheduledPost, StoreError};

/// Approved posts with a time whose publication is not queued (the rest of the condition).
const WAITING: &str = "p.status = 'approved' AND p.scheduled_at IS NOT NULL AND NOT EXISTS \
     (SELECT 1 FROM outbox o WHERE o.post_id = p.id AND o.kind = 'publish' AND o.done_at IS NULL)";

#[derive(FromRow)]
struct ScheduledRow {
    id: i64,
    scheduled_at: Option<DateTime<Utc>>,
    author_id: i64,
    author_name: String,
    excerpt: String,
    media_count: i64,
    first_media_kind: Option<String>,
}

/// The calendar's columns (posts `p` joined with authors `a`).
const CALENDAR_COLUMNS: &str = "SELECT p.id, p.scheduled_at, p.author_id, \
     trim(a.first_name || ' ' || coalesce(a.last_name, '')) AS author_name, left(p.body, 160) AS excerpt, \
     (SELECT count(*)::bigint FROM media m WHERE m.post_id = p.id) AS media_count, \
     (SELECT m.kind FROM media m WHERE m.post_id = p.id ORDER BY m.position LIMIT 1) AS first_media_kind \
     FROM posts p JOIN authors a ON a.id = p.author_id";

#[instrument(skip_all, err)]
pub async fn scheduled(
    pool: &PgPool,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ScheduledPost>, StoreError> {
    let sql = format!(
        "{CALENDAR_COLUMNS} WHERE p.status = 'approved' AND p.scheduled_at >= $1 AND p.scheduled_at < $2 \
         ORDER BY p.scheduled_at LIMIT 2000"
    );
    let rows: Vec<ScheduledRow> = sqlx::query_as(AssertSqlSafe(sql)).bind(from).bind(to).fetch_all(pool).await?;
    rows.into_iter().map(ScheduledRow::into_post).collect()
}

#[instrument(skip_all, err)]
pub async fn parked(pool: &PgPool, limit: i64) -> Result<Vec<ScheduledPost>, StoreError> {
    let sql =
        format!("{CALENDAR_COLUMNS} WHERE p.status = 'approved' AND p.parked ORDER BY p.decided_at, p.id LIMIT $1");
    let rows: Vec<ScheduledRow> = sqlx::query_as(AssertSqlSafe(sql)).bind(limit).fetch_all(pool).await?;
    rows.into_iter().map(ScheduledRow::into_post).collect()
}

impl ScheduledRow {
    fn into_post(self) -> Result<ScheduledPost, StoreError> {
        Ok(ScheduledPost {
            id: PostId(self.id),
            scheduled_at: self.scheduled_at,
            author_id: UserId(self.author_id),
            author_name: self.author_name,
            excerpt: self.excerpt,
            media_count: self.media_count,
            first_media_kind: self.first_media_kind.as_deref().map(kind).transpose()?,
        })
    }
}

#[instrument(skip_all, err)]
pub async fn scheduled_times(pool: &PgPool, from: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT scheduled_at FROM posts WHERE status = 'approved' AND scheduled_at >= $1 ORDER BY scheduled_at",
    )
    .bind(from)
    .fetch_all(pool)
    .await?)
}

#[instrument(skip_all, err)]
pub async fn release_due(pool: &PgPool, now: DateTime<Utc>, limit: i64) -> Result<Vec<PostId>, StoreError> {
    // Checked every second: one read on the slot index, a transaction only when something is due.
    let due: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM posts WHERE status = 'approved' AND scheduled_at IS NOT NULL \
         AND scheduled_at <= $1)",
    )
    .bind(now)
    .fetch_one(pool)
    .await?;
    if !due {
        return Ok(Vec::new());
    }
    let mut tx = pool.begin().await?;
    let sql = format!(
        "SELECT p.id FROM posts p WHERE {WAITING} AND p.scheduled_at <= $1 \
         AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'publish' AND o.done_at IS NULL) \
         ORDER BY p.scheduled_at LIMIT $2 FOR UPDATE OF p SKIP LOCKED"
    );
    let ids: Vec<i64> = sqlx::query_scalar(AssertSqlSafe(sql)).bind(now).bind(limit).fetch_all(&mut *tx).await?;
    for id in &ids {
        enqueue(&mut tx, PostId(*id), &[OutboxKind::Publish]).await?;
    }
    tx.commit().await?;
    Ok(ids.into_iter().map(PostId).collect())
}

#[instrument(skip_all, err)]
pub async fn overdue(pool: &PgPool, before: DateTime<Utc>) -> Result<Vec<(PostId, DateTime<Utc>)>, StoreError> {
    let sql = format!(
        "SELECT p.id, p.scheduled_at FROM posts p WHERE {WAITING} AND p.scheduled_at < $1 ORDER BY p.scheduled_at"
    );
    let rows: Vec<(i64, DateTime<Utc>)> = sqlx::query_as(AssertSqlSafe(sql)).bind(before).fetch_all(pool).await?;
    Ok(rows.into_iter().map(|(id, at)| (PostId(id), at)).collect())
}

#[instrument(skip_all, fields(post_id = c.post_id.0, to = ?c.to), err)]
pub async fn reschedule(pool: &PgPool, c: &ScheduleChange) -> Result<ScheduleOutcome, StoreError> {
    let mut tx = pool.begin().await?;
    let row: Option<(String, Option<DateTime<Utc>>, i64)> =
        sqlx::query_as("SELECT status, scheduled_at, author_id FROM posts WHERE id = $1 FOR UPDATE")
            .bind(c.post_id.0)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((raw_status, current, author)) = row else { return Ok(ScheduleOutcome::NotFound) };
    if status(&raw_status)? != PostStatus::Approved || being_sent(&mut tx, c.post_id).await? {
        return Ok(ScheduleOutcome::NotWaiting);
    }
    if current != c.seen {
        return Ok(ScheduleOutcome::Stale { scheduled_at: current });
    }
    let author = Some(UserId(author));
    let log = |action, details| (action, details);
    let (now_at, swapped, (action, details)) = match c.to {
        Reschedule::At { at, swap } => {
            let holder: Option<i64> =
                sqlx::query_scalar("SELECT id FROM posts WHERE status = 'approved' AND scheduled_at = $1 AND id <> $2")
                    .bind(at)
                    .bind(c.post_id.0)
                    .fetch_optional(&mut *tx)
                    .await?;
            let swapped = match (holder, current) {
                (Some(other), Some(old)) if swap => {
                    set_time(&mut tx, c.post_id, None, false).await?;
                    set_time(&mut tx, PostId(other), Some(old), false).await?;
                    let details = serde_json::json!({ "from": at, "to": old, "swapped_with": c.post_id.0 });
                    let other_author = author_of(&mut tx, PostId(other)).await?;
                    let (m, s) = (c.moderator, c.source);
                    let action = ModerationAction::Reschedule;
                    log_action(&mut tx, Some(PostId(other)), other_author, m, action, s, None, details).await?;
                    enqueue(&mut tx, PostId(other), &[OutboxKind::UpdateCard]).await?;
                    Some(PostId(other))
                }
                (Some(other), _) => return Ok(ScheduleOutcome::SlotTaken { by: PostId(other) }),
                (None, _) => None,
            };
            set_time(&mut tx, c.post_id, Some(at), false).await?;
            let details = serde_json::json!({ "from": current, "to": at, "swapped_with": swapped.map(|p| p.0) });
            (Some(at), swapped, log(ModerationAction::Reschedule, details))
        }
        Reschedule::Park => {
            set_time(&mut tx, c.post_id, None, true).await?;
            (None, None, log(ModerationAction::Unschedule, serde_json::json!({ "from": current })))
        }
        Reschedule::Now => {
            set_time(&mut tx, c.post_id, None, false).await?;
            enqueue(&mut tx, c.post_id, &[OutboxKind::Publish]).await?;
            (None, None, log(ModerationAction::PublishNow, serde_json::json!({ "from": current })))
        }
        Reschedule::ToQueue => {
            sqlx::query(
                "UPDATE posts SET status = 'pending', decided_by = NULL, decided_at = NULL, scheduled_at = NULL, parked = FALSE, \
                 updated_at = now() WHERE id = $1",
            )
            .bind(c.post_id.0)
            .execute(&mut *tx)
            .await?;
            (None, None, log(ModerationAction::ReturnToQueue, serde_json::json!({ "from": current })))
        }
    };
    log_action(&mut tx, Some(c.post_id), author, c.moderator, action, c.source, None, details).await?;
    enqueue(&mut tx, c.post_id, &[OutboxKind::UpdateCard]).await?;
    notify(&mut *tx, "post_scheduled", Some(c.post_id)).await?;
    if let Some(other) = swapped {
        notify(&mut *tx, "post_scheduled", Some(other)).await?;
    }
    tx.commit().await?;
    Ok(ScheduleOutcome::Changed { scheduled_at: now_at, swapped })
}

/// Whether the post's publication is queued and leased (being sent): too late to move it. A
/// queued one not yet leased is withdrawn, since its time is being changed.
async fn being_sent(tx: &mut PgConnection, post: PostId) -> Result<bool, StoreError> {
    let leased: Option<bool> = sqlx::query_scalar(
        "SELECT leased_at IS NOT NULL FROM outbox WHERE post_id = $1 AND kind = 'publish' AND done_at IS NULL \
         ORDER BY leased_at IS NOT NULL DESC LIMIT 1",
    )
    .bind(post.0)
    .fetch_optional(&mut *tx)
    .await?;
    if leased == Some(true) {
        return Ok(true);
    }
    sqlx::query(
        "UPDATE outbox SET done_at = now(), last_error = 'withdrawn: its time changed' \
         WHERE post_id = $1 AND kind = 'publish' AND done_at IS NULL AND leased_at IS NULL",
    )
    .bind(post.0)
    .execute(&mut *tx)
    .await?;
    Ok(false)
}

/// Sets a post's time (`None` with `parked`: it waits for one).
async fn set_time(
    tx: &mut PgConnection,
    post: PostId,
    at: Option<DateTime<Utc>>,
    parked: bool,
) -> Result<(), StoreError> {
    sqlx::query("UPDATE posts SET scheduled_at = $2, parked = $3, updated_at = now() WHERE id = $1")
        .bind(post.0)
        .bind(at)
        .bind(parked)
        .execute(&mut *tx)
        .await?;
    Ok(())
}

async fn author_of(tx: &mut PgConnection, post: PostId) -> Result<Option<UserId>, StoreError> {
    let id: Option<i64> =
        sqlx::query_scalar("SELECT author_id FROM posts WHERE id = $1").bind(post.0).fetch_optional(&mut *tx).await?;
    Ok(id.map(UserId))
}
