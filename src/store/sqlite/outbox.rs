//! The outbox on `SQLite`: leases, completions with their effect on the post, retries, progress
//! of multi-part sends, resent cards. Every write is one transaction on the writer, so a lease
//! is a plain `UPDATE … RETURNING` (nobody else can lease between its read and its write) and a
//! job completed twice is applied once.

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, SqliteConnection};
use tracing::instrument;

use super::Db;
use super::rows::{NOW, json, now_plus};
use super::writes::{enqueue, log_action};
use crate::domain::{ActionSource, ModerationAction, PostId, UserId};
use crate::store::{Delivery, OutboxJob, OutboxKind, OutboxResult, SENT_PARTS, StoreError};

/// The most jobs one lease hands out, and the longest lease, in seconds (as on `PostgreSQL`).
const MAX_LEASE_JOBS: i64 = 1000;
const MAX_LEASE_SECS: i64 = 3600;
/// The longest retry delay: a day.
const MAX_RETRY_SECS: i64 = 86_400;

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    post_id: Option<i64>,
    kind: String,
    payload: String,
    attempts: i32,
    created_at: DateTime<Utc>,
}

impl JobRow {
    fn into_job(self) -> Result<OutboxJob, StoreError> {
        Ok(OutboxJob {
            id: self.id,
            post_id: self.post_id.map(PostId),
            kind: OutboxKind::parse(&self.kind)?,
            payload: json(&self.payload)?,
            attempts: self.attempts,
            created_at: self.created_at,
        })
    }
}

#[instrument(skip_all, err)]
pub async fn lease(db: &Db, limit: i64, lease_secs: i64) -> Result<Vec<OutboxJob>, StoreError> {
    // The lease pushes next_attempt_at forward: a worker that dies mid-job leaves it to be
    // picked up again after the lease, so nothing is dropped. One statement on the one writer:
    // two leases never see the same due job.
    let sql = format!(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = {}, leased_at = {NOW} \
         WHERE id IN (SELECT id FROM outbox WHERE done_at IS NULL AND next_attempt_at <= {NOW} \
                      ORDER BY next_attempt_at, id LIMIT ?1) \
         RETURNING id, post_id, kind, payload, attempts, created_at",
        now_plus("?2")
    );
    let rows = sqlx::query_as::<_, JobRow>(AssertSqlSafe(sql))
        .bind(limit.clamp(1, MAX_LEASE_JOBS))
        .bind(lease_secs.clamp(1, MAX_LEASE_SECS))
        .fetch_all(&db.writer)
        .await?;
    let mut jobs = rows.into_iter().map(JobRow::into_job).collect::<Result<Vec<_>, _>>()?;
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

#[instrument(skip_all, fields(job_id = job.id, post_id = job.post_id.map(|p| p.0), kind = job.kind.as_str()), err)]
pub async fn complete(db: &Db, job: &OutboxJob, result: &OutboxResult) -> Result<(), StoreError> {
    let card = match result {
        OutboxResult::Done => None,
        OutboxResult::Announced { card_message_id } => Some(*card_message_id),
        OutboxResult::Published { .. } | OutboxResult::PublishFailed { .. } => {
            return complete_publication(db, job, result).await;
        }
        OutboxResult::CardFailed { error } => return complete_card_failure(db, job, error).await,
    };
    let mut tx = db.writer.begin().await?;
    // A job completed again (a retry after a lost answer) changes nothing: its card stays.
    if finish(&mut tx, job.id, None).await?
        && let (Some(post), Some(card)) = (job.post_id, card)
    {
        let sql =
            format!("UPDATE posts SET moderation_message_id = ?2, card_error = NULL, updated_at = {NOW} WHERE id = ?1");
        sqlx::query(AssertSqlSafe(sql)).bind(post.0).bind(card).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Marks a job done (keeping `error` as its last one); `false` when it already was.
async fn finish(conn: &mut SqliteConnection, job: i64, error: Option<&str>) -> Result<bool, StoreError> {
    let sql = format!("UPDATE outbox SET done_at = {NOW}, last_error = ?2 WHERE id = ?1 AND done_at IS NULL");
    let finished = sqlx::query(AssertSqlSafe(sql)).bind(job).bind(error).execute(conn).await?.rows_affected();
    Ok(finished > 0)
}

/// A publication's result: the post's status, the moderation log and the follow-up jobs in
/// one transaction.
async fn complete_publication(db: &Db, job: &OutboxJob, result: &OutboxResult) -> Result<(), StoreError> {
    let mut tx = db.writer.begin().await?;
    // A job completed twice (a lease that ran out while its worker was still at it) is applied once.
    if !finish(&mut tx, job.id, None).await? {
        tx.rollback().await?;
        return Ok(());
    }
    if let Some(post) = job.post_id {
        match result {
            OutboxResult::Published { channel_message_id } => {
                let sql = format!(
                    "UPDATE posts SET status = 'published', published_at = {NOW}, channel_message_id = ?2, \
                     publish_error = NULL, updated_at = {NOW} WHERE id = ?1 AND status IN ('approved', 'publish_failed')"
                );
                let changed = sqlx::query(AssertSqlSafe(sql))
                    .bind(post.0)
                    .bind(channel_message_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if changed > 0 {
                    let details = serde_json::json!({ "channel_message_id": channel_message_id });
                    let action = ModerationAction::Published;
                    log_action(&mut tx, Some(post), None, None, action, ActionSource::System, None, &details).await?;
                    enqueue(&mut tx, post, &[OutboxKind::NotifyAuthor]).await?;
                }
            }
            OutboxResult::PublishFailed { error } => {
                let sql = format!(
                    "UPDATE posts SET status = 'publish_failed', publish_error = ?2, updated_at = {NOW} \
                     WHERE id = ?1 AND status = 'approved'"
                );
                let changed =
                    sqlx::query(AssertSqlSafe(sql)).bind(post.0).bind(error).execute(&mut *tx).await?.rows_affected();
                // Only a post still waiting for its publication fails (never a published one);
                // the job is finished all the same, so it is not handed out again.
                if changed == 0 {
                    tx.commit().await?;
                    return Ok(());
                }
                let (action, details) = (ModerationAction::PublishFailed, serde_json::json!({}));
                log_action(&mut tx, Some(post), None, None, action, ActionSource::System, Some(error), &details)
                    .await?;
                enqueue(&mut tx, post, &[OutboxKind::UpdateCard]).await?;
            }
            OutboxResult::Announced { .. } | OutboxResult::CardFailed { .. } | OutboxResult::Done => {}
        }
    }
    tx.commit().await?;
    if let Some(post) = job.post_id {
        db.emit("post_published_state", Some(post));
    }
    Ok(())
}

/// A card refused for good: the job is done, the post keeps the error (with a log row), and
/// consoles hear of it.
async fn complete_card_failure(db: &Db, job: &OutboxJob, error: &str) -> Result<(), StoreError> {
    let mut tx = db.writer.begin().await?;
    finish(&mut tx, job.id, Some(error)).await?;
    if let Some(post) = job.post_id {
        let sql = format!("UPDATE posts SET card_error = ?2, updated_at = {NOW} WHERE id = ?1");
        sqlx::query(AssertSqlSafe(sql)).bind(post.0).bind(error).execute(&mut *tx).await?;
        let (action, details) = (ModerationAction::CardFailed, serde_json::json!({}));
        log_action(&mut tx, Some(post), None, None, action, ActionSource::System, Some(error), &details).await?;
    }
    tx.commit().await?;
    if let Some(post) = job.post_id {
        db.emit("card_failed", Some(post));
    }
    Ok(())
}

/// Committed at once (synchronous = FULL): progress a crash forgot would send its parts twice.
#[instrument(skip_all, fields(job_id = job.id, post_id = job.post_id.map(|p| p.0), parts = sent.len()), err)]
pub async fn record_progress(db: &Db, job: &OutboxJob, sent: &[i32]) -> Result<(), StoreError> {
    let parts = serde_json::Value::from(sent).to_string();
    sqlx::query("UPDATE outbox SET payload = json_set(payload, ?2, json(?3)) WHERE id = ?1")
        .bind(job.id)
        .bind(format!("$.{SENT_PARTS}"))
        .bind(parts)
        .execute(&db.writer)
        .await?;
    Ok(())
}

#[instrument(skip_all, fields(post_id = id.0, moderator_id = moderator.0), err)]
pub async fn retry_card(db: &Db, id: PostId, moderator: UserId, source: ActionSource) -> Result<bool, StoreError> {
    let mut tx = db.writer.begin().await?;
    let sql =
        format!("UPDATE posts SET card_error = NULL, updated_at = {NOW} WHERE id = ?1 AND card_error IS NOT NULL");
    let cleared = sqlx::query(AssertSqlSafe(sql)).bind(id.0).execute(&mut *tx).await?.rows_affected();
    if cleared == 0 {
        return Ok(false);
    }
    enqueue(&mut tx, id, &[OutboxKind::Announce]).await?;
    let (action, details) = (ModerationAction::RetryCard, serde_json::json!({}));
    log_action(&mut tx, Some(id), None, Some(moderator), action, source, None, &details).await?;
    tx.commit().await?;
    db.emit("card_retry", Some(id));
    Ok(true)
}

#[instrument(skip_all, fields(job_id = job.id, post_id = job.post_id.map(|p| p.0)), err)]
pub async fn retry(
    db: &Db,
    job: &OutboxJob,
    error: &str,
    delay_secs: i64,
    delivery: Delivery,
) -> Result<(), StoreError> {
    // The attempt's end is known: its lease is over, and unless the message may have gone out
    // all the same, so is its send intent.
    let sql = format!(
        "UPDATE outbox SET last_error = ?2, next_attempt_at = {}, leased_at = NULL, \
                sending_at = CASE WHEN ?4 THEN sending_at END \
         WHERE id = ?1 AND done_at IS NULL",
        now_plus("?3")
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(job.id)
        .bind(error)
        .bind(delay_secs.clamp(0, MAX_RETRY_SECS))
        .bind(delivery == Delivery::MaybeSent)
        .execute(&db.writer)
        .await?;
    Ok(())
}

/// Queues a refresh of `post`'s card unless one is already waiting (not leased): however many
/// edits an author makes before the worker gets to it, the group sees one card edit, showing
/// the latest. A refresh already being sent may show an older version, so one more is queued.
pub(super) async fn enqueue_card_update(conn: &mut SqliteConnection, post: PostId) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO outbox (post_id, kind) SELECT ?1, 'update_card' WHERE NOT EXISTS (SELECT 1 FROM outbox \
         WHERE post_id = ?1 AND kind = 'update_card' AND done_at IS NULL AND leased_at IS NULL)",
    )
    .bind(post.0)
    .execute(conn)
    .await?;
    Ok(())
}

#[instrument(skip_all, err)]
pub async fn backlog(db: &Db) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM outbox WHERE done_at IS NULL").fetch_one(&db.reader).await?)
}
