//! Flags for a second look on `PostgreSQL`: a post's flags and its text's LSH bands
//! (`post_fingerprints`), the near-duplicate candidates found through `(band, hash)` (one post's,
//! or a batch of stored posts' in one statement), and the duplicates found added to stored flags.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder, Transaction};
use tracing::instrument;

use super::rows::notify;
use crate::domain::PostId;
use crate::flags::minhash::Band;
use crate::flags::{DuplicateCheck, FlagKind, PostFlags};
use crate::store::StoreError;

/// Whether a post's card is out, or its announcement is being sent (its flags may have come
/// too late for it): then the card is refreshed to show them.
const CARD_OUT: &str = "SELECT EXISTS (SELECT 1 FROM posts WHERE id = $1 AND moderation_message_id IS NOT NULL) \
     OR EXISTS (SELECT 1 FROM outbox WHERE post_id = $1 AND kind = 'announce' AND leased_at IS NOT NULL \
     AND done_at IS NULL)";

#[instrument(skip_all, fields(post_id = id.0), err)]
pub async fn set_flags(pool: &PgPool, id: PostId, flags: &PostFlags, bands: &[Band]) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    let updated = sqlx::query("UPDATE posts SET flags = $2, flag_mask = $3 WHERE id = $1")
        .bind(id.0)
        .bind(sqlx::types::Json(flags))
        .bind(flags.mask())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if updated == 0 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM post_fingerprints WHERE post_id = $1").bind(id.0).execute(&mut *tx).await?;
    if !bands.is_empty() {
        let mut qb = QueryBuilder::<Postgres>::new("INSERT INTO post_fingerprints (post_id, band, hash) ");
        qb.push_values(bands, |mut row, b| {
            row.push_bind(id.0).push_bind(b.band).push_bind(b.hash);
        });
        qb.build().execute(&mut *tx).await?;
    }
    let card_out: bool = sqlx::query_scalar(CARD_OUT).bind(id.0).fetch_one(&mut *tx).await?;
    if card_out {
        super::outbox::enqueue_card_update(&mut tx, id).await?;
    }
    notify(&mut *tx, "post_flagged", Some(id)).await?;
    tx.commit().await?;
    Ok(true)
}

/// The most posts taken from one band (the newest).
const PER_BAND: i64 = 32;

#[instrument(skip_all, fields(post_id = except.0, bands = bands.len()), err)]
pub async fn duplicate_candidates(
    pool: &PgPool,
    bands: &[Band],
    since: DateTime<Utc>,
    except: PostId,
    limit: i64,
) -> Result<Vec<(PostId, String)>, StoreError> {
    if bands.is_empty() {
        return Ok(Vec::new());
    }
    let mut qb = QueryBuilder::<Postgres>::new("SELECT p.id, p.body FROM (SELECT post_id, count(*) AS shared FROM (");
    push_bands(&mut qb, bands);
    qb.push(") u GROUP BY post_id) f JOIN posts p ON p.id = f.post_id WHERE p.id <> ")
        .push_bind(except.0)
        .push(" AND p.created_at >= ")
        .push_bind(since)
        .push(" AND p.status IN ('pending', 'approved', 'published') ORDER BY f.shared DESC, p.id DESC LIMIT ")
        .push_bind(limit.clamp(1, 100));
    let mut tx = band_ranges_only(pool).await?;
    let rows: Vec<(i64, String)> = qb.build_query_as().fetch_all(&mut *tx).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|(id, body)| (PostId(id), body)).collect())
}

/// A read-only transaction in which the band lookups stay ranges of the index. Without it the
/// planner, told by the statistics that a `(band, hash)` holds a row or two, reads each band
/// with a bitmap scan: every post of the band from the table, then sorted for the newest. In
/// the intake bench's flood (every band shared by hundreds of posts) that was 475 rows read a
/// band instead of 8, 130–200 ms a batch of 64 posts, and the largest statement of the burst
/// (`auto_explain`, BENCHMARKS.md). A backward index scan with its `LIMIT` costs the same as a
/// bitmap scan for a band of one post, so the setting is right whatever the texts.
async fn band_ranges_only(pool: &PgPool) -> Result<Transaction<'static, Postgres>, StoreError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION READ ONLY").execute(&mut *tx).await?;
    sqlx::query(BAND_RANGES_ONLY).execute(&mut *tx).await?;
    Ok(tx)
}

/// See [`band_ranges_only`].
const BAND_RANGES_ONLY: &str = "SET LOCAL enable_bitmapscan = off";

/// The newest posts of each band, [`PER_BAND`] at most: one backward range of the
/// `(band, hash, post_id)` index each, so a band a flood of one text shares with thousands of
/// posts costs no more than any other (the intake bench sends 10 000 near-identical texts).
fn push_bands(qb: &mut QueryBuilder<Postgres>, bands: &[Band]) {
    for (i, b) in bands.iter().enumerate() {
        if i > 0 {
            qb.push(" UNION ALL ");
        }
        qb.push("SELECT post_id FROM (SELECT post_id FROM post_fingerprints WHERE band = ")
            .push_bind(b.band)
            .push(" AND hash = ")
            .push_bind(b.hash)
            .push(" ORDER BY post_id DESC LIMIT ")
            .push(PER_BAND)
            .push(format!(") b{i}"));
    }
}

/// Posts taken from one band by the lookups of stored posts: the newest before each. A quarter
/// of [`PER_BAND`]: in the intake bench's flood every band of every post is shared with
/// thousands, and the lookup was still the largest statement at 16 (1.4 ms of PostgreSQL time
/// per submission); a near-duplicate shares several bands, so it is still among them.
pub(super) const EARLIER_PER_BAND: i64 = 8;

/// Each post's candidates among the posts before it: the newest [`EARLIER_PER_BAND`] of each
/// of its bands below its id (one backward range of `(band, hash, post_id)` each), counted;
/// the `2 × limit` sharing the most (newest of equals) are read, and of those the first
/// `limit` recent and not rejected are kept. Both lookups are laterals with a `LIMIT`, which
/// the planner cannot flatten into a join: each stays an index probe per row whatever the
/// statistics say (on a fresh database they say the tables are tiny, and a hash join would
/// read all of `posts` for every batch).
const EARLIER_CANDIDATES: &str = "\
WITH q AS (SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::bigint[]) AS q(id, band, hash)), \
shared AS ( \
  SELECT q.id AS post, b.post_id, count(*) AS n FROM q CROSS JOIN LATERAL ( \
    SELECT f.post_id FROM post_fingerprints f WHERE f.band = q.band AND f.hash = q.hash AND f.post_id < q.id \
    ORDER BY f.post_id DESC LIMIT $6) b \
  GROUP BY q.id, b.post_id \
), top AS ( \
  SELECT s.post, s.post_id, row_number() OVER (PARTITION BY s.post ORDER BY s.n DESC, s.post_id DESC) AS r \
  FROM shared s \
), ranked AS ( \
  SELECT t.post, p.id, p.body, row_number() OVER (PARTITION BY t.post ORDER BY t.r) AS k \
  FROM top t CROSS JOIN LATERAL ( \
    SELECT p.id, p.body FROM posts p WHERE p.id = t.post_id AND p.created_at >= $4 \
    AND p.status IN ('pending', 'approved', 'published') LIMIT 1) p \
  WHERE t.r <= 2 * $5 \
) \
SELECT post, id, body FROM ranked WHERE k <= $5";

/// The bands of stored posts, unless their author edited the post meanwhile (the edit stored
/// the new text's) or they are stored already (a lookup made again after a restart).
const STORE_BANDS: &str = "\
INSERT INTO post_fingerprints (post_id, band, hash) \
SELECT f.post_id, f.band, f.hash FROM unnest($1::bigint[], $2::smallint[], $3::bigint[]) AS f(post_id, band, hash) \
JOIN posts p ON p.id = f.post_id AND NOT p.edited_by_author \
ON CONFLICT DO NOTHING";

/// Stores the posts' bands ([`STORE_BANDS`]), then finds each post's candidates
/// ([`EARLIER_CANDIDATES`]), in one transaction: the posts of the batch see each other's bands.
#[instrument(skip_all, fields(posts = posts.len()), err)]
pub async fn fingerprint_and_find_earlier(
    pool: &PgPool,
    posts: &[(PostId, Vec<Band>)],
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Vec<(PostId, String)>>, StoreError> {
    if posts.is_empty() {
        return Ok(Vec::new());
    }
    let bands = || posts.iter().flat_map(|(id, bands)| bands.iter().map(move |b| (id.0, b)));
    let mut tx = pool.begin().await?;
    sqlx::query(STORE_BANDS)
        .bind(bands().map(|(id, _)| id).collect::<Vec<_>>())
        .bind(bands().map(|(_, b)| b.band).collect::<Vec<_>>())
        .bind(bands().map(|(_, b)| b.hash).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
    sqlx::query(BAND_RANGES_ONLY).execute(&mut *tx).await?;
    let rows: Vec<(i64, i64, String)> = sqlx::query_as(EARLIER_CANDIDATES)
        .bind(bands().map(|(id, _)| id).collect::<Vec<_>>())
        .bind(bands().map(|(_, b)| b.band).collect::<Vec<_>>())
        .bind(bands().map(|(_, b)| b.hash).collect::<Vec<_>>())
        .bind(since)
        .bind(limit.clamp(1, 100))
        .bind(EARLIER_PER_BAND)
        .fetch_all(&mut *tx)
        .await?;
    tx.commit().await?;
    let mut found: std::collections::HashMap<i64, Vec<(PostId, String)>> = std::collections::HashMap::new();
    for (post, id, body) in rows {
        found.entry(post).or_default().push((PostId(id), body));
    }
    Ok(posts.iter().map(|(id, _)| found.remove(&id.0).unwrap_or_default()).collect())
}

/// The duplicates found (`dup` set) and the failed lookups (`dup` NULL) added to the posts'
/// stored flags; a card update queued for each changed post whose card is out or being sent.
/// The rows are locked in id order first, as other writers of many posts take them (recording
/// receipts): in the order of the join they deadlocked with it in the intake bench.
const SET_DUPLICATES: &str = "\
WITH f AS (SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::smallint[]) AS f(id, dup, percent)), \
locked AS (SELECT p.id FROM posts p WHERE p.id = ANY($1) AND p.flags IS NOT NULL AND NOT p.edited_by_author \
  ORDER BY p.id FOR UPDATE), \
changed AS ( \
  UPDATE posts p SET \
    flags = p.flags || CASE WHEN f.dup IS NULL THEN jsonb_build_object('checked', false) \
                       ELSE jsonb_build_object('duplicate', jsonb_build_object('post_id', f.dup, 'percent', f.percent)) END, \
    flag_mask = p.flag_mask | CASE WHEN f.dup IS NULL THEN $4::bigint ELSE $5::bigint END \
  FROM f JOIN locked l ON l.id = f.id WHERE p.id = f.id \
  RETURNING p.id, p.moderation_message_id \
), cards AS ( \
  INSERT INTO outbox (post_id, kind) \
  SELECT c.id, 'update_card' FROM changed c \
  WHERE (c.moderation_message_id IS NOT NULL OR EXISTS (SELECT 1 FROM outbox o WHERE o.post_id = c.id \
           AND o.kind = 'announce' AND o.leased_at IS NOT NULL AND o.done_at IS NULL)) \
    AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.post_id = c.id AND o.kind = 'update_card' \
           AND o.done_at IS NULL AND o.leased_at IS NULL) \
  RETURNING post_id \
) \
SELECT c.id, pg_notify($6, json_build_object('event', 'post_flagged', 'post_id', c.id)::text)::text, \
       EXISTS (SELECT 1 FROM cards k WHERE k.post_id = c.id) AS card \
FROM changed c";

#[instrument(skip_all, fields(posts = found.len()), err)]
pub async fn set_duplicates(pool: &PgPool, found: &[(PostId, DuplicateCheck)]) -> Result<u64, StoreError> {
    if found.is_empty() {
        return Ok(0);
    }
    let dup = |c: &DuplicateCheck| match c {
        DuplicateCheck::Found(d) => Some(*d),
        DuplicateCheck::Failed => None,
    };
    let rows: Vec<(i64, Option<String>, bool)> = sqlx::query_as(SET_DUPLICATES)
        .bind(found.iter().map(|(id, _)| id.0).collect::<Vec<_>>())
        .bind(found.iter().map(|(_, c)| dup(c).map(|d| d.post_id.0)).collect::<Vec<_>>())
        .bind(found.iter().map(|(_, c)| dup(c).map(|d| i16::from(d.percent))).collect::<Vec<_>>())
        .bind(FlagKind::NotChecked.bit())
        .bind(FlagKind::Duplicate.bit())
        .bind(super::EVENTS_CHANNEL)
        .fetch_all(pool)
        .await?;
    Ok(u64::try_from(rows.len()).unwrap_or(u64::MAX))
}

#[instrument(skip_all, err)]
pub async fn duplicate_rechecks(
    pool: &PgPool,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(PostId, String)>, StoreError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, body FROM posts p WHERE status IN ('pending', 'approved', 'published') AND arrived_at >= $1 \
           AND NOT edited_by_author AND (flags->>'checked')::boolean \
           AND ((status = 'pending' AND jsonb_typeof(flags->'duplicate') IS DISTINCT FROM 'object') \
             OR NOT EXISTS (SELECT 1 FROM post_fingerprints f WHERE f.post_id = p.id)) \
         ORDER BY id DESC LIMIT $2",
    )
    .bind(since)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id, body)| (PostId(id), body)).collect())
}
