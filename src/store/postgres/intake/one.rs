//! One submission's admission and storage by one statement (ban, rate limit and pending cap
//! checked, author upserted, post, media and outbox jobs written, NOTIFY sent), the per-author
//! and per-album locks, and the answer for a delivery that raced another — the pieces the
//! batch (`batch.rs`) and the album path (`mod.rs`) share.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use crate::domain::PostId;
use crate::flags::FlagKind;
use crate::store::charts::media_kind_of;
use crate::store::{Admission, IntakeFlags, NewPost, Refusal, StoreError, SubmitOutcome};

/// Admission and storage in one round trip and one commit. Every CTE sees the same snapshot;
/// the data-modifying ones run only when the verdict is `ok`, and the foreign keys between the
/// new author, post, media and jobs are checked at the end of the statement.
const ADMIT_AND_STORE: &str = "\
WITH existing AS ( \
  SELECT id FROM posts WHERE source_chat_id = $6 AND source_message_id = $7 \
), verdict AS ( \
  SELECT CASE WHEN EXISTS (SELECT 1 FROM existing) THEN 'duplicate' \
              WHEN EXISTS (SELECT 1 FROM bans WHERE user_id = $1) THEN 'banned' \
              WHEN $11 THEN 'rate_limited' \
              WHEN pending.n >= $12 THEN 'too_many_pending' \
              ELSE 'ok' END AS verdict, pending.n AS pending \
  FROM (SELECT count(*) AS n FROM posts WHERE author_id = $1 AND status = 'pending') pending \
), history AS ( \
  SELECT CASE WHEN $24::jsonb IS NOT NULL THEN (SELECT count(*) FROM posts WHERE author_id = $1 \
           AND status IN ('approved', 'published', 'publish_failed', 'rejected', 'pending')) END AS earlier, \
         CASE WHEN $24::jsonb IS NOT NULL THEN (SELECT count(*) FROM posts WHERE author_id = $1 \
           AND status = 'rejected') END AS rejected \
), author AS ( \
  INSERT INTO authors (id, username, first_name, last_name, language_code) \
  SELECT $1, $2, $3, $4, $5 FROM verdict WHERE verdict = 'ok' \
  ON CONFLICT (id) DO UPDATE SET username = EXCLUDED.username, first_name = EXCLUDED.first_name, \
     last_name = EXCLUDED.last_name, language_code = EXCLUDED.language_code, updated_at = now() \
  WHERE (authors.username, authors.first_name, authors.last_name, authors.language_code) \
     IS DISTINCT FROM (EXCLUDED.username, EXCLUDED.first_name, EXCLUDED.last_name, EXCLUDED.language_code) \
), post AS ( \
  INSERT INTO posts (author_id, source_chat_id, source_message_id, media_group_id, body, entities, arrived_at, \
                     flags, flag_mask, media_kind) \
  SELECT $1, $6, $7, $8, $9, $10, $23, \
         $24::jsonb || jsonb_build_object('new_author', h.earlier = 0, 'rejections', h.rejected), \
         coalesce($25::bigint | CASE WHEN h.earlier = 0 THEN $26::bigint ELSE 0 END \
                              | CASE WHEN h.rejected > 0 THEN $27::bigint ELSE 0 END, 0), $28 \
  FROM verdict, history h WHERE verdict = 'ok' \
  ON CONFLICT DO NOTHING RETURNING id \
), media AS ( \
  INSERT INTO media (post_id, position, kind, file_id, file_unique_id, source_message_id, file_name, mime_type, file_size) \
  SELECT post.id, (m.ord - 1)::smallint, m.kind, m.file_id, m.file_unique_id, m.source_message_id, \
         m.file_name, m.mime_type, m.file_size \
  FROM post, unnest($13::text[], $14::text[], $15::text[], $16::int[], $17::text[], $18::text[], $19::bigint[]) \
       WITH ORDINALITY AS m(kind, file_id, file_unique_id, source_message_id, file_name, mime_type, file_size, ord) \
), jobs AS ( \
  INSERT INTO outbox (post_id, kind, payload, next_attempt_at) \
  SELECT post.id, k.kind, CASE WHEN k.kind = 'announce' THEN $20::jsonb ELSE '{}'::jsonb END, \
         CASE WHEN k.kind = 'announce' THEN now() + make_interval(secs => $21::bigint / 1000.0) ELSE now() END \
  FROM post, unnest(CASE WHEN cardinality($13::text[]) > 0 THEN ARRAY['fingerprint', 'announce'] \
                         ELSE ARRAY['announce'] END) WITH ORDINALITY AS k(kind, ord) \
) \
SELECT v.verdict, v.pending, p.id AS created, e.id AS existing, \
       CASE WHEN p.id IS NOT NULL THEN \
         pg_notify($22, json_build_object('event', 'post_created', 'post_id', p.id)::text)::text END AS notified \
FROM verdict v LEFT JOIN post p ON true LEFT JOIN existing e ON true";

#[derive(sqlx::FromRow)]
pub(super) struct VerdictRow {
    pub verdict: String,
    pub pending: i64,
    pub created: Option<i64>,
    pub existing: Option<i64>,
}

impl VerdictRow {
    /// The outcome this row reports; `None` when the submission was admitted but nothing was
    /// inserted: a concurrent delivery of the same message committed between the statement's
    /// snapshot and its insert (see [`raced`]).
    pub fn outcome(&self) -> Result<Option<SubmitOutcome>, StoreError> {
        Ok(Some(match (self.verdict.as_str(), self.created, self.existing) {
            ("ok", Some(id), _) => SubmitOutcome::Created(PostId(id)),
            ("ok", None, _) => return Ok(None),
            ("duplicate", _, Some(id)) => SubmitOutcome::Duplicate(PostId(id)),
            ("banned", _, _) => SubmitOutcome::Refused(Refusal::Banned),
            ("rate_limited", _, _) => SubmitOutcome::Refused(Refusal::RateLimited),
            ("too_many_pending", _, _) => SubmitOutcome::Refused(Refusal::TooManyPending(self.pending)),
            (other, ..) => return Err(StoreError::Corrupt(format!("unexpected intake verdict {other:?}"))),
        }))
    }
}

/// Advisory-lock namespaces (the two-key form, apart from the poll lock's one-key form).
const AUTHOR_LOCKS: i32 = 0x5047_4131; // "PGA1"
pub(super) const ALBUM_LOCKS: i32 = 0x5047_4132; // "PGA2"

/// Takes the intake lock of each author, in the order of the lock keys (so two transactions
/// never wait on each other in a circle), until the transaction ends. Admission counts an
/// author's pending posts in the statement's snapshot: without the lock, two writers admitting
/// the same author at once would each miss the other's posts and let the pending cap be passed.
/// The admission statement runs after this one, so its snapshot sees whatever the previous
/// holder committed.
pub(super) async fn lock_authors(conn: &mut PgConnection, authors: &[i64]) -> Result<(), StoreError> {
    sqlx::query(
        "SELECT count(pg_advisory_xact_lock($1, k)) FROM \
         (SELECT DISTINCT hashint8(a) AS k FROM unnest($2::bigint[]) AS a ORDER BY k) AS keys",
    )
    .bind(AUTHOR_LOCKS)
    .bind(authors)
    .execute(conn)
    .await?;
    Ok(())
}

/// The post a concurrent delivery of the same message stored first.
pub(super) async fn raced(conn: &mut PgConnection, post: &NewPost) -> Result<SubmitOutcome, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "SELECT id FROM posts WHERE source_chat_id = $1 AND (source_message_id = $2 OR media_group_id = $3)",
    )
    .bind(post.source_chat_id)
    .bind(post.source_message_id)
    .bind(post.media_group_id.as_deref())
    .fetch_one(&mut *conn)
    .await?;
    Ok(SubmitOutcome::Duplicate(PostId(id)))
}

/// Admits and stores `post`, which arrived at `arrived` (the queue's order, [`crate::store::arrival`]).
pub(super) async fn admit_and_store(
    conn: &mut PgConnection,
    post: &NewPost,
    admission: Admission,
    arrived: DateTime<Utc>,
    flags: Option<&IntakeFlags>,
    announce_delay: Duration,
) -> Result<SubmitOutcome, StoreError> {
    let m = &post.media;
    let row = sqlx::query_as::<_, VerdictRow>(ADMIT_AND_STORE)
        .bind(post.author.id.0)
        .bind(post.author.username.as_deref())
        .bind(&post.author.first_name)
        .bind(post.author.last_name.as_deref())
        .bind(post.author.language_code.as_deref())
        .bind(post.source_chat_id)
        .bind(post.source_message_id)
        .bind(post.media_group_id.as_deref())
        .bind(&post.body)
        .bind(&post.entities)
        .bind(admission.rate_limited)
        .bind(admission.max_pending.unwrap_or(i64::MAX))
        .bind(m.iter().map(|m| m.kind.as_str()).collect::<Vec<_>>())
        .bind(m.iter().map(|m| m.file_id.as_str()).collect::<Vec<_>>())
        .bind(m.iter().map(|m| m.file_unique_id.as_str()).collect::<Vec<_>>())
        .bind(m.iter().map(|m| m.source_message_id).collect::<Vec<_>>())
        .bind(m.iter().map(|m| m.file_name.as_deref()).collect::<Vec<_>>())
        .bind(m.iter().map(|m| m.mime_type.as_deref()).collect::<Vec<_>>())
        .bind(m.iter().map(|m| m.file_size).collect::<Vec<_>>())
        .bind(serde_json::json!({ "receipt": post.media_group_id.is_some() }))
        .bind(i64::try_from(announce_delay.as_millis()).unwrap_or(i64::MAX))
        .bind(crate::store::postgres::EVENTS_CHANNEL)
        .bind(arrived)
        .bind(flags.map(|f| sqlx::types::Json(&f.flags)))
        .bind(flags.map(|f| f.flags.mask()))
        .bind(FlagKind::NewAuthor.bit())
        .bind(FlagKind::Rejections.bit())
        .bind(media_kind_of(m))
        .fetch_one(&mut *conn)
        .await?;
    let outcome = match row.outcome()? {
        Some(outcome) => outcome,
        None => raced(conn, post).await?,
    };
    if let SubmitOutcome::Created(id) | SubmitOutcome::Duplicate(id) = outcome {
        tracing::Span::current().record("post_id", id.0);
    }
    Ok(outcome)
}
