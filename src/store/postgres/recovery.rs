//! What a crash can leave behind, on `PostgreSQL`: receipts recorded and found missing, the
//! send intent of cards and publications (a repeat after a crash is flagged on the post), and
//! the leases of a worker that is gone.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tracing::instrument;

use super::batch::{GroupCommit, GroupWrite};
use super::rows::notify;
use crate::domain::PostId;
use crate::store::{OutboxJob, OutboxKind, StoreError};

/// Marks the job as sending (committed before the request goes out) and, when an earlier
/// attempt had marked it and never recorded its end, flags the post in the same statement.
const BEGIN_SEND: &str = "\
WITH old AS (SELECT id, post_id, sending_at IS NOT NULL AS again FROM outbox WHERE id = $1 FOR UPDATE), \
mark AS (UPDATE outbox o SET sending_at = now() FROM old WHERE o.id = old.id RETURNING old.post_id, old.again), \
flag AS (UPDATE posts p SET card_maybe_twice = p.card_maybe_twice OR $2, \
                            published_maybe_twice = p.published_maybe_twice OR NOT $2, updated_at = now() \
         FROM mark WHERE mark.again AND p.id = mark.post_id RETURNING p.id) \
SELECT coalesce((SELECT again FROM mark), false)";

/// Send intents marked together: one statement and one synchronous commit for every job that
/// is about to send at about the same time (the intent of each is still on disk before its
/// send). Was one commit per card: 10 000 flushes for a burst of 10 000 submissions.
pub(super) struct BeginSends;

/// The send-intent writer the store holds.
pub(super) type SendMarker = GroupCommit<BeginSends>;

/// [`BEGIN_SEND`] for many jobs: a post is flagged once, with every kind whose send repeats.
const BEGIN_SENDS: &str = "\
WITH input AS (SELECT * FROM unnest($1::bigint[], $2::bool[]) WITH ORDINALITY AS i(job_id, card, ord)), \
old AS (SELECT o.id, o.post_id, o.sending_at IS NOT NULL AS again, i.card FROM outbox o JOIN input i ON i.job_id = o.id \
        ORDER BY o.id FOR UPDATE OF o), \
mark AS (UPDATE outbox o SET sending_at = now() FROM old WHERE o.id = old.id \
         RETURNING old.id, old.post_id, old.again, old.card), \
repeats AS (SELECT post_id, bool_or(card) AS card, bool_or(NOT card) AS publication FROM mark \
            WHERE again AND post_id IS NOT NULL GROUP BY post_id), \
flag AS (UPDATE posts p SET card_maybe_twice = p.card_maybe_twice OR r.card, \
                            published_maybe_twice = p.published_maybe_twice OR r.publication, updated_at = now() \
         FROM repeats r WHERE p.id = r.post_id RETURNING p.id) \
SELECT coalesce(m.again, false) FROM input i LEFT JOIN mark m ON m.id = i.job_id ORDER BY i.ord";

impl GroupWrite for BeginSends {
    /// The job's id and whether it sends a card (else a publication).
    type Item = (i64, bool);
    /// Whether an earlier attempt had begun and never ended.
    type Output = bool;
    const MAX_BATCH: usize = 64;

    async fn write_together(pool: &PgPool, items: &[Self::Item]) -> Result<Vec<bool>, StoreError> {
        let (jobs, cards): (Vec<i64>, Vec<bool>) = items.iter().copied().unzip();
        Ok(sqlx::query_scalar(BEGIN_SENDS).bind(jobs).bind(cards).fetch_all(pool).await?)
    }

    async fn write_one(pool: &PgPool, (job, card): &Self::Item) -> Result<bool, StoreError> {
        Ok(sqlx::query_scalar(BEGIN_SEND).bind(job).bind(card).fetch_one(pool).await?)
    }
}

#[instrument(skip_all, fields(job_id = job.id, post_id = job.post_id.map(|p| p.0), kind = job.kind.as_str()), err)]
pub async fn begin_send(pool: &PgPool, marker: &SendMarker, job: &OutboxJob) -> Result<bool, StoreError> {
    let card = job.kind == OutboxKind::Announce;
    // Committed synchronously (the intent must be on disk before the send), with the others
    // that begin at about the same time.
    let again = marker.write(pool, (job.id, card)).await?;
    if again {
        let event = if card { "card_maybe_twice" } else { "published_maybe_twice" };
        notify(pool, event, job.post_id).await?;
    }
    Ok(again)
}

#[instrument(skip_all, err)]
pub async fn reclaim_leases(pool: &PgPool) -> Result<u64, StoreError> {
    let reclaimed = sqlx::query(
        "UPDATE outbox SET next_attempt_at = now(), leased_at = NULL WHERE done_at IS NULL AND leased_at IS NOT NULL",
    )
    .execute(pool)
    .await?
    .rows_affected();
    Ok(reclaimed)
}

/// Committed asynchronously: a record a database crash forgets only lets the sweep or a
/// redelivery send that receipt again.
#[instrument(skip_all, fields(posts = ids.len()), err)]
pub async fn record_receipts(pool: &PgPool, ids: &[PostId]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = ids.iter().map(|p| p.0).collect();
    sqlx::query(
        "UPDATE posts SET receipt_sent_at = now() WHERE id = ANY($1) AND receipt_sent_at IS NULL \
           AND set_config('synchronous_commit', 'off', true) IS NOT NULL",
    )
    .bind(ids)
    .execute(pool)
    .await?;
    Ok(())
}

/// Reads the pending posts by `posts_status_arrived` (once a minute): `receipt_sent_at` is in
/// no index, so recording a receipt is a HOT update (migration `receipts_hot_update`).
#[instrument(skip_all, err)]
pub async fn unreceipted(pool: &PgPool, before: DateTime<Utc>, limit: i64) -> Result<Vec<PostId>, StoreError> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM posts WHERE receipt_sent_at IS NULL AND status = 'pending' AND created_at < $1 \
           AND (media_group_id IS NULL OR moderation_message_id IS NOT NULL OR card_error IS NOT NULL) \
         ORDER BY id LIMIT $2",
    )
    .bind(before)
    .bind(limit.clamp(1, 1000))
    .fetch_all(pool)
    .await?;
    Ok(ids.into_iter().map(PostId).collect())
}
