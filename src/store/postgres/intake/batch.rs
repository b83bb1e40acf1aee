//! Intake's group commit: the submissions that queued up together are admitted and stored by
//! one statement (one round trip, one commit), with the same verdicts the one-by-one statement
//! in `one.rs` would give them in arrival order. A batch that repeats a source message
//! (a redelivered update) is written one statement at a time inside one transaction instead.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::one::{VerdictRow, admit_and_store, lock_authors, raced};
use crate::flags::FlagKind;
use crate::store::charts::media_kind_of;
use crate::store::postgres::batch::{GroupCommit, GroupWrite};
use crate::store::{Admission, IntakeFlags, NewPost, StoreError, SubmitOutcome};

/// Admission and storage of many submissions (never album parts). Each CTE sees the same
/// snapshot, so what one submission does to the next is computed here:
/// - the pending cap: the n-th submission of an author that passes the other checks is
///   admitted while `pending + n - 1 < cap` (those refused by the cap do not count);
/// - the author's profile: the last admitted submission's profile is the one stored.
///
/// Media arrive flattened, each with its submission's position in the batch (1-based).
///
/// Every lookup is a correlated subquery on a unique or partial index, so the plan cannot
/// become a scan of all posts or a hash of all bans, whatever the statistics were when the
/// connection first planned it (on a fresh database they say the tables are tiny).
const ADMIT_AND_STORE_MANY: &str = "\
WITH input AS ( \
  SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::int[], \
                       $8::text[], $9::jsonb[], $10::bool[], $11::bigint[], $21::timestamptz[], $22::jsonb[], \
                       $23::bigint[], $26::text[]) \
    WITH ORDINALITY AS i(author_id, username, first_name, last_name, language_code, chat, msg, body, entities, \
                         rate_limited, max_pending, arrived_at, flags, flag_mask, media_kind, idx) \
), checked AS ( \
  SELECT i.*, \
         (SELECT e.id FROM posts e WHERE e.source_chat_id = i.chat AND e.source_message_id = i.msg) AS existing, \
         coalesce((SELECT true FROM bans b WHERE b.user_id = i.author_id LIMIT 1), false) AS banned, \
         (SELECT count(*) FROM posts p WHERE p.author_id = i.author_id AND p.status = 'pending') AS pending, \
         CASE WHEN i.flags IS NOT NULL THEN (SELECT count(*) FROM posts p WHERE p.author_id = i.author_id \
           AND p.status IN ('approved', 'published', 'publish_failed', 'rejected', 'pending')) END AS earlier, \
         CASE WHEN i.flags IS NOT NULL THEN (SELECT count(*) FROM posts p WHERE p.author_id = i.author_id \
           AND p.status = 'rejected') END AS rejected \
  FROM input i \
), ranked AS ( \
  SELECT c.*, row_number() OVER (PARTITION BY c.author_id, (c.existing IS NULL AND NOT c.banned AND NOT c.rate_limited) \
                                 ORDER BY c.idx) AS nth \
  FROM checked c \
), verdicts AS ( \
  SELECT r.*, CASE WHEN r.existing IS NOT NULL THEN 'duplicate' \
                   WHEN r.banned THEN 'banned' \
                   WHEN r.rate_limited THEN 'rate_limited' \
                   WHEN r.pending + r.nth - 1 >= r.max_pending THEN 'too_many_pending' \
                   ELSE 'ok' END AS verdict, \
              r.pending + LEAST(r.nth - 1, GREATEST(r.max_pending - r.pending, 0)) AS pending_now \
  FROM ranked r \
), author AS ( \
  INSERT INTO authors (id, username, first_name, last_name, language_code) \
  SELECT DISTINCT ON (author_id) author_id, username, first_name, last_name, language_code \
  FROM verdicts WHERE verdict = 'ok' ORDER BY author_id, idx DESC \
  ON CONFLICT (id) DO UPDATE SET username = EXCLUDED.username, first_name = EXCLUDED.first_name, \
     last_name = EXCLUDED.last_name, language_code = EXCLUDED.language_code, updated_at = now() \
  WHERE (authors.username, authors.first_name, authors.last_name, authors.language_code) \
     IS DISTINCT FROM (EXCLUDED.username, EXCLUDED.first_name, EXCLUDED.last_name, EXCLUDED.language_code) \
), post AS ( \
  INSERT INTO posts (author_id, source_chat_id, source_message_id, body, entities, arrived_at, flags, flag_mask, \
                     media_kind) \
  SELECT author_id, chat, msg, body, entities, arrived_at, \
         flags || jsonb_build_object('new_author', earlier = 0 AND nth = 1, 'rejections', rejected), \
         coalesce(flag_mask | CASE WHEN earlier = 0 AND nth = 1 THEN $24::bigint ELSE 0 END \
                            | CASE WHEN rejected > 0 THEN $25::bigint ELSE 0 END, 0), \
         media_kind \
  FROM verdicts WHERE verdict = 'ok' ORDER BY idx \
  ON CONFLICT DO NOTHING RETURNING id, source_chat_id, source_message_id \
), created AS ( \
  SELECT v.idx, p.id FROM post p JOIN verdicts v ON v.chat = p.source_chat_id AND v.msg = p.source_message_id \
), media_in AS ( \
  SELECT * FROM unnest($12::bigint[], $13::text[], $14::text[], $15::text[], $16::int[], $17::text[], $18::text[], \
                       $19::bigint[]) \
    WITH ORDINALITY AS m(idx, kind, file_id, file_unique_id, source_message_id, file_name, mime_type, file_size, ord) \
), media AS ( \
  INSERT INTO media (post_id, position, kind, file_id, file_unique_id, source_message_id, file_name, mime_type, file_size) \
  SELECT c.id, (row_number() OVER (PARTITION BY m.idx ORDER BY m.ord) - 1)::smallint, m.kind, m.file_id, \
         m.file_unique_id, m.source_message_id, m.file_name, m.mime_type, m.file_size \
  FROM media_in m JOIN created c ON c.idx = m.idx \
), jobs AS ( \
  INSERT INTO outbox (post_id, kind, payload) \
  SELECT c.id, k.kind, CASE WHEN k.kind = 'announce' THEN '{\"receipt\": false}'::jsonb ELSE '{}'::jsonb END \
  FROM created c CROSS JOIN LATERAL unnest( \
         CASE WHEN EXISTS (SELECT 1 FROM media_in m WHERE m.idx = c.idx) THEN ARRAY['fingerprint', 'announce'] \
              ELSE ARRAY['announce'] END) WITH ORDINALITY AS k(kind, ord) \
  ORDER BY c.id, k.ord \
) \
SELECT v.verdict, v.pending_now AS pending, c.id AS created, v.existing, \
       CASE WHEN c.id IS NOT NULL THEN \
         pg_notify($20, json_build_object('event', 'post_created', 'post_id', c.id)::text)::text END AS notified \
FROM verdicts v LEFT JOIN created c ON c.idx = v.idx ORDER BY v.idx";

/// Intake's kind of group write.
pub(in crate::store::postgres) struct Intake;

/// One submission for the batch: the post, its admission, when it arrived, its flags if any.
pub(in crate::store::postgres) type Submission = (NewPost, Admission, DateTime<Utc>, Option<IntakeFlags>);

/// The intake writer the store holds.
pub(in crate::store::postgres) type IntakeBatcher = GroupCommit<Intake>;

impl GroupWrite for Intake {
    type Item = Submission;
    type Output = SubmitOutcome;
    const MAX_BATCH: usize = 128;

    async fn write_together(pool: &PgPool, items: &[Self::Item]) -> Result<Vec<SubmitOutcome>, StoreError> {
        let mut seen = HashSet::with_capacity(items.len());
        let repeats = items.iter().any(|(p, ..)| !seen.insert((p.source_chat_id, p.source_message_id)));
        if repeats || items.iter().any(|(p, ..)| p.media_group_id.is_some()) {
            return one_by_one(pool, items).await;
        }
        let mut conn = pool.begin().await?;
        lock_authors(&mut conn, &authors(items)).await?;
        let rows = bind_many(items).fetch_all(&mut *conn).await?;
        if rows.len() != items.len() {
            return Err(StoreError::Corrupt(format!(
                "intake: {} verdicts for {} submissions",
                rows.len(),
                items.len()
            )));
        }
        let mut outcomes = Vec::with_capacity(items.len());
        for (row, (post, ..)) in rows.iter().zip(items) {
            outcomes.push(match row.outcome()? {
                Some(outcome) => outcome,
                None => raced(&mut conn, post).await?,
            });
        }
        conn.commit().await?;
        Ok(outcomes)
    }

    async fn write_one(
        pool: &PgPool,
        (post, admission, arrived, flags): &Self::Item,
    ) -> Result<SubmitOutcome, StoreError> {
        let mut tx = pool.begin().await?;
        lock_authors(&mut tx, &[post.author.id.0]).await?;
        let outcome = admit_and_store(&mut tx, post, *admission, *arrived, flags.as_ref(), Duration::ZERO).await?;
        tx.commit().await?;
        Ok(outcome)
    }
}

fn authors(items: &[Submission]) -> Vec<i64> {
    items.iter().map(|(p, ..)| p.author.id.0).collect()
}

/// The batch as one statement per submission in one transaction (the exact sequential order).
async fn one_by_one(pool: &PgPool, items: &[Submission]) -> Result<Vec<SubmitOutcome>, StoreError> {
    let mut tx = pool.begin().await?;
    lock_authors(&mut tx, &authors(items)).await?;
    let mut outcomes = Vec::with_capacity(items.len());
    for (post, admission, arrived, flags) in items {
        outcomes.push(admit_and_store(&mut tx, post, *admission, *arrived, flags.as_ref(), Duration::ZERO).await?);
    }
    tx.commit().await?;
    Ok(outcomes)
}

fn bind_many(
    items: &[Submission],
) -> sqlx::query::QueryAs<'_, sqlx::Postgres, VerdictRow, sqlx::postgres::PgArguments> {
    let posts = || items.iter().map(|(p, ..)| p);
    let flags = || items.iter().map(|(.., f)| f.as_ref());
    let media = || items.iter().zip(1_i64..).flat_map(|((p, ..), idx)| p.media.iter().map(move |m| (idx, m)));
    sqlx::query_as::<_, VerdictRow>(ADMIT_AND_STORE_MANY)
        .bind(posts().map(|p| p.author.id.0).collect::<Vec<_>>())
        .bind(posts().map(|p| p.author.username.as_deref()).collect::<Vec<_>>())
        .bind(posts().map(|p| p.author.first_name.as_str()).collect::<Vec<_>>())
        .bind(posts().map(|p| p.author.last_name.as_deref()).collect::<Vec<_>>())
        .bind(posts().map(|p| p.author.language_code.as_deref()).collect::<Vec<_>>())
        .bind(posts().map(|p| p.source_chat_id).collect::<Vec<_>>())
        .bind(posts().map(|p| p.source_message_id).collect::<Vec<_>>())
        .bind(posts().map(|p| p.body.as_str()).collect::<Vec<_>>())
        .bind(posts().map(|p| &p.entities).collect::<Vec<_>>())
        .bind(items.iter().map(|(_, a, ..)| a.rate_limited).collect::<Vec<_>>())
        .bind(items.iter().map(|(_, a, ..)| a.max_pending.unwrap_or(i64::MAX)).collect::<Vec<_>>())
        .bind(media().map(|(idx, _)| idx).collect::<Vec<_>>())
        .bind(media().map(|(_, m)| m.kind.as_str()).collect::<Vec<_>>())
        .bind(media().map(|(_, m)| m.file_id.as_str()).collect::<Vec<_>>())
        .bind(media().map(|(_, m)| m.file_unique_id.as_str()).collect::<Vec<_>>())
        .bind(media().map(|(_, m)| m.source_message_id).collect::<Vec<_>>())
        .bind(media().map(|(_, m)| m.file_name.as_deref()).collect::<Vec<_>>())
        .bind(media().map(|(_, m)| m.mime_type.as_deref()).collect::<Vec<_>>())
        .bind(media().map(|(_, m)| m.file_size).collect::<Vec<_>>())
        .bind(crate::store::postgres::EVENTS_CHANNEL)
        .bind(items.iter().map(|(_, _, arrived, _)| *arrived).collect::<Vec<_>>())
        .bind(flags().map(|f| f.map(|f| sqlx::types::Json(&f.flags))).collect::<Vec<_>>())
        .bind(flags().map(|f| f.map(|f| f.flags.mask())).collect::<Vec<_>>())
        .bind(FlagKind::NewAuthor.bit())
        .bind(FlagKind::Rejections.bit())
        .bind(posts().map(|p| media_kind_of(&p.media)).collect::<Vec<_>>())
}
