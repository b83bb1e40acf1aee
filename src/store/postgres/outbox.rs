//! The outbox: Telegram work written with the decision that caused it, leased by workers with
//! `FOR UPDATE SKIP LOCKED`, completed together with its effect on the post.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tracing::instrument;

use super::batch::{GroupCommit, GroupWrite};
use super::decide::{enqueue, log_action};
use super::rows::notify;
use crate::domain::{ActionSource, ModerationAction, PostId, UserId};
use crate::store::{Delivery, OutboxJob, OutboxKind, OutboxResult, SENT_PARTS, StoreError};

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    post_id: Option<i64>,
    kind: String,
    payload: serde_json::Value,
    attempts: i32,
    created_at: DateTime<Utc>,
}

#[instrument(skip_all, err)]
pub async fn lease(pool: &PgPool, limit: i64, lease_secs: i64) -> Result<Vec<OutboxJob>, StoreError> {
    // The lease pushes next_attempt_at forward: a worker that dies mid-job leaves it to be
    // picked up again after the lease, so nothing is dropped.
    // Committed asynchronously: a lease a database crash forgets only makes its jobs due again.
    let rows = sqlx::query_as::<_, JobRow>(
        "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = now() + make_interval(secs => $2::bigint), \
                leased_at = now() \
         WHERE id IN (SELECT id FROM outbox WHERE done_at IS NULL AND next_attempt_at <= now() \
                      ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED) \
           AND set_config('synchronous_commit', 'off', true) IS NOT NULL \
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
                kind: OutboxKind::parse(&r.kind)?,
                payload: r.payload,
                attempts: r.attempts,
                created_at: r.created_at,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

/// Completes cards, notices and fingerprints: one statement for every job completed at about
/// the same time (group commit), each job's card id saved on its post in the same statement.
pub(super) struct Completions;

/// The completion writer the store holds.
pub(super) type Completer = GroupCommit<Completions>;

/// Committed asynchronously (`synchronous_commit` off for this transaction only, set as each
/// input row is read, so before anything is written): a database crash may forget the last
/// fraction of a second of completions, and those jobs run again after their lease — a card
/// sent twice, never one lost. Publications, whose repeat would post twice to the channel,
/// commit synchronously (`complete_publication`).
const COMPLETE_JOBS: &str = "\
WITH input AS (SELECT * FROM unnest($1::bigint[], $2::int[]) AS i(job_id, card) \
               WHERE set_config('synchronous_commit', 'off', true) IS NOT NULL), \
done AS (UPDATE outbox o SET done_at = now(), last_error = NULL FROM input i \
         WHERE o.id = i.job_id AND o.done_at IS NULL RETURNING o.post_id, i.card) \
UPDATE posts p SET moderation_message_id = d.card, card_error = NULL, updated_at = now() \
FROM done d WHERE d.card IS NOT NULL AND p.id = d.post_id";

impl GroupWrite for Completions {
    /// The job's id and the card it announced, if any.
    type Item = (i64, Option<i32>);
    type Output = ();
    const MAX_BATCH: usize = 256;

    async fn write_together(pool: &PgPool, items: &[Self::Item]) -> Result<Vec<()>, StoreError> {
        let (jobs, cards): (Vec<i64>, Vec<Option<i32>>) = items.iter().copied().unzip();
        sqlx::query(COMPLETE_JOBS).bind(jobs).bind(cards).execute(pool).await?;
        Ok(vec![(); items.len()])
    }

    async fn write_one(pool: &PgPool, item: &Self::Item) -> Result<(), StoreError> {
        Self::write_together(pool, std::slice::from_ref(item)).await.map(drop)
    }
}

#[instrument(skip_all, fields(job_id = job.id, post_id = job.post_id.map(|p| p.0), kind = job.kind.as_str()), err)]
pub async fn complete(
    pool: &PgPool,
    completer: &Completer,
    job: &OutboxJob,
    result: &OutboxResult,
) -> Result<(), StoreError> {
    let card = match result {
        OutboxResult::Done => None,
        OutboxResult::Announced { card_message_id } => Some(*card_message_id),
        OutboxResult::Published { .. } | OutboxResult::PublishFailed { .. } => {
            return complete_publication(pool, job, result).await;
        }
        OutboxResult::CardFailed { error } => return complete_card_failure(pool, job, error).await,
    };
    completer.write(pool, (job.id, card)).await
}

/// A publication's result: the post's status, the moderation log and the follow-up jobs in
/// one transaction.
async fn complete_publication(pool: &PgPool, job: &OutboxJob, result: &OutboxResult) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    let finished =
        sqlx::query("UPDATE outbox SET done_at = now(), last_error = NULL WHERE id = $1 AND done_at IS NULL")
            .bind(job.id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    // A job completed twice (a lease that ran out while its worker was still at it) is applied once.
    if finished == 0 {
        tx.rollback().await?;
        return Ok(());
    }
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
                let changed = sqlx::query(
                    "UPDATE posts SET status = 'publish_failed', publish_error = $2, updated_at = now() \
                     WHERE id = $1 AND status = 'approved'",
                )
                .bind(post.0)
                .bind(error)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                // Only a post still waiting for its publication fails (never a published one);
                // the job is finished all the same, so it is not handed out again.
                if changed == 0 {
                    tx.commit().await?;
                    return Ok(());
                }
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
            OutboxResult::Announced { .. } | OutboxResult::CardFailed { .. } | OutboxResult::Done => {}
        }
        notify(&mut *tx, "post_published_state", Some(post)).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A card refused for good: the job is done, the post keeps the error (with a log row), and
/// consoles hear of it.
async fn complete_card_failure(pool: &PgPool, job: &OutboxJob, error: &str) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("UPDATE outbox SET done_at = now(), last_error = $2 WHERE id = $1 AND done_at IS NULL")
        .bind(job.id)
        .bind(error)
        .execute(&mut *tx)
        .await?;
    if let Some(post) = job.post_id {
        sqlx::query("UPDATE posts SET card_error = $2, updated_at = now() WHERE id = $1")
            .bind(post.0)
            .bind(error)
            .execute(&mut *tx)
            .await?;
        let action = ModerationAction::CardFailed;
        log_action(&mut tx, Some(post), None, None, action, ActionSource::System, Some(error), serde_json::json!({}))
            .await?;
        notify(&mut *tx, "card_failed", Some(post)).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Committed synchronously: progress a crash forgot would send its parts twice.
#[instrument(skip_all, fields(job_id = job.id, post_id = job.post_id.map(|p| p.0), parts = sent.len()), err)]
pub async fn record_progress(pool: &PgPool, job: &OutboxJob, sent: &[i32]) -> Result<(), StoreError> {
    sqlx::query("UPDATE outbox SET payload = payload || jsonb_build_object($2::text, $3::int[]) WHERE id = $1")
        .bind(job.id)
        .bind(SENT_PARTS)
        .bind(sent)
        .execute(pool)
        .await?;
    Ok(())
}

#[instrument(skip_all, fields(post_id = id.0, moderator_id = moderator.0), err)]
pub async fn retry_card(
    pool: &PgPool,
    id: PostId,
    moderator: UserId,
    source: ActionSource,
) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    let cleared =
        sqlx::query("UPDATE posts SET card_error = NULL, updated_at = now() WHERE id = $1 AND card_error IS NOT NULL")
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if cleared == 0 {
        return Ok(false);
    }
    enqueue(&mut tx, id, &[OutboxKind::Announce]).await?;
    let action = ModerationAction::RetryCard;
    log_action(&mut tx, Some(id), None, Some(moderator), action, source, None, serde_json::json!({})).await?;
    notify(&mut *tx, "card_retry", Some(id)).await?;
    tx.commit().await?;
    Ok(true)
}

#[instrument(skip_all, fields(job_id = job.id, post_id = job.post_id.map(|p| p.0)), err)]
pub async fn retry(
    pool: &PgPool,
    job: &OutboxJob,
    error: &str,
    delay_secs: i64,
    delivery: Delivery,
) -> Result<(), StoreError> {
    // The attempt's end is known: its lease is over, and unless the message may have gone out
    // all the same, so is its send intent.
    sqlx::query(
        "UPDATE outbox SET last_error = $2, next_attempt_at = now() + make_interval(secs => $3::bigint), \
                leased_at = NULL, sending_at = CASE WHEN $4 THEN sending_at END \
         WHERE id = $1 AND done_at IS NULL",
    )
    .bind(job.id)
    .bind(error)
    .bind(delay_secs.clamp(0, 86_400))
    .bind(delivery == Delivery::MaybeSent)
    .execute(pool)
    .await?;
    Ok(())
}

/// Queues a refresh of `post`'s card unless one is already waiting (not leased): however many
/// edits an author makes before the worker gets to it, the group sees one card edit, showing
/// the latest. A refresh already being sent may show an older version, so one more is queued.
pub(super) async fn enqueue_card_update(conn: &mut sqlx::PgConnection, post: PostId) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO outbox (post_id, kind) SELECT $1, 'update_card' WHERE NOT EXISTS (SELECT 1 FROM outbox \
         WHERE post_id = $1 AND kind = 'update_card' AND done_at IS NULL AND leased_at IS NULL)",
    )
    .bind(post.0)
    .execute(conn)
    .await?;
    Ok(())
}

#[instrument(skip_all, err)]
pub async fn backlog(pool: &PgPool) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM outbox WHERE done_at IS NULL").fetch_one(pool).await?)
}
