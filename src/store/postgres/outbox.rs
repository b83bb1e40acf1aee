//! The outbox: Telegram work written with the decision that caused it, leased by workers with
//! `FOR UPDATE SKIP LOCKED`, completed together with its effect on the post.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tracing::instrument;

use super::decide::{enqueue, log_action};
use super::rows::notify;
use crate::domain::{ActionSource, ModerationAction, PostId};
use crate::store::{OutboxJob, OutboxKind, OutboxResult, StoreError};

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    post_id: Option<i64>,
    kind: String,
    payload: serde_json::Value,
    attempts: i32,
    created_at: DateTime<Utc>,
}

fn kind(raw: &str) -> Result<OutboxKind, StoreError> {
    match raw {
        "announce" => Ok(OutboxKind::Announce),
        "fingerprint" => Ok(OutboxKind::Fingerprint),
        "publish" => Ok(OutboxKind::Publish),
        "notify_author" => Ok(OutboxKind::NotifyAuthor),
        "update_card" => Ok(OutboxKind::UpdateCard),
        other => Err(StoreError::Corrupt(format!("unknown outbox kind {other:?}"))),
    }
}

#[instrument(skip_all, err)]
pub async fn lease(pool: &PgPool, limit: i64, lease_secs: i64) -> Result<Vec<OutboxJob>, StoreError> {
    // The lease pushes next_attempt_at forward: a worker that dies mid-job leaves it to be
    // picked up again after the lease, so nothing is dropped.
    let rows = sqlx::query_as::<_, JobRow>(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2::bigint) \
         WHERE id IN (SELECT id FROM outbox WHERE done_at IS NULL AND next_attempt_at <= now() \
                      ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) \
         RETURNING id, post_id, kind, payload, attempts, created_at",
    )
    .bind(limit.clamp(1, 1000))
    .bind(lease_secs.clamp(1, 3600))
    .fetch_all(pool)
    .await?;
    let mut jobs = rows
        .into_iter()
        .map(|r| {
            Ok(OutboxJob {
                id: r.id,
                post_id: r.post_id.map(PostId),
                kind: kind(&r.kind)?,
                payload: r.payload,
                attempts: r.attempts,
                created_at: r.created_at,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

#[instrument(skip_all, fields(job_id = job.id, post_id = job.post_id.map(|p| p.0), kind = job.kind.as_str()), err)]
pub async fn complete(pool: &PgPool, job: &OutboxJob, result: &OutboxResult) -> Result<(), StoreError> {
    let card = match result {
        OutboxResult::Done => None,
        OutboxResult::Announced { card_message_id } => Some(*card_message_id),
        OutboxResult::Published { .. } | OutboxResult::PublishFailed { .. } => {
            return complete_publication(pool, job, result).await;
        }
    };
    // The common case (cards, notices, fingerprints): one statement, one round trip.
    sqlx::query(
        "WITH done AS (UPDATE outbox SET done_at = now(), last_error = NULL WHERE id = $1 AND done_at IS NULL \
                       RETURNING post_id) \
         UPDATE posts SET moderation_message_id = $2, updated_at = now() \
         WHERE $2::int IS NOT NULL AND id = (SELECT post_id FROM done)",
    )
    .bind(job.id)
    .bind(card)
    .execute(pool)
    .await?;
    Ok(())
}

/// A publication's result: the post's status, the moderation log and the follow-up jobs in
/// one transaction.
async fn complete_publication(pool: &PgPool, job: &OutboxJob, result: &OutboxResult) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE outbox SET done_at = now(), last_error = NULL WHERE id = $1 AND done_at IS NULL")
        .bind(job.id)
        .execute(&mut *tx)
        .await?;
    if let Some(post) = job.post_id {
        match result {
            OutboxResult::Published { channel_message_id } => {
                let changed = sqlx::query(
                    "UPDATE posts SET status = 'published', published_at = now(), channel_message_id = $2, \
                     publish_error = NULL, updated_at = now() WHERE id = $1 AND status IN ('approved', 'publish_failed')",
                )
                .bind(post.0)
                .bind(channel_message_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed > 0 {
                    let details = serde_json::json!({ "channel_message_id": channel_message_id });
                    log_action(
                        &mut tx,
                        Some(post),
                        None,
                        None,
                        ModerationAction::Published,
                        ActionSource::System,
                        None,
                        details,
                    )
                    .await?;
                    enqueue(&mut tx, post, &[OutboxKind::NotifyAuthor]).await?;
                }
            }
            OutboxResult::PublishFailed { error } => {
                sqlx::query(
                    "UPDATE posts SET status = 'publish_failed', publish_error = $2, updated_at = now() \
                     WHERE id = $1 AND status = 'approved'",
                )
                .bind(post.0)
                .bind(error)
                .execute(&mut *tx)
                .await?;
                log_action(
                    &mut tx,
                    Some(post),
                    None,
                    None,
                    ModerationAction::PublishFailed,
                    ActionSource::System,
                    Some(error),
                    serde_json::json!({}),
                )
                .await?;
                enqueue(&mut tx, post, &[OutboxKind::UpdateCard]).await?;
            }
            OutboxResult::Announced { .. } | OutboxResult::Done => {}
        }
        notify(&mut *tx, "post_published_state", Some(post)).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[instrument(skip_all, fields(job_id = job.id, post_id = job.post_id.map(|p| p.0)), err)]
pub async fn retry(pool: &PgPool, job: &OutboxJob, error: &str, delay_secs: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE outbox SET last_error = $2, next_attempt_at = now() + make_interval(secs => $3::bigint) \
         WHERE id = $1 AND done_at IS NULL",
    )
    .bind(job.id)
    .bind(error)
    .bind(delay_secs.clamp(0, 86_400))
    .execute(pool)
    .await?;
    Ok(())
}

#[instrument(skip_all, err)]
pub async fn backlog(pool: &PgPool) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM outbox WHERE done_at IS NULL").fetch_one(pool).await?)
}
