//! Flags for a second look on `PostgreSQL`: a post's flags and its text's LSH bands
//! (`post_fingerprints`), and the near-duplicate candidates found through `(band, hash)`.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, Postgres, QueryBuilder};
use tracing::instrument;

use super::rows::notify;
use crate::domain::PostId;
use crate::flags::PostFlags;
use crate::flags::minhash::Band;
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
    let rows: Vec<(i64, String)> = qb.build_query_as().fetch_all(pool).await?;
    Ok(rows.into_iter().map(|(id, body)| (PostId(id), body)).collect())
}

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
