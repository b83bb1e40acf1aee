//! Flags for a second look on SQLite: a post's flags and its text's LSH bands
//! (`post_fingerprints`), and the near-duplicate candidates found through `(band, hash)`.

use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite};
use tracing::instrument;

use super::Db;
use super::rows::stamp;
use crate::domain::PostId;
use crate::flags::PostFlags;
use crate::flags::minhash::Band;
use crate::store::StoreError;

/// Whether a post's card is out, or its announcement is being sent (its flags may have come
/// too late for it): then the card is refreshed to show them.
const CARD_OUT: &str = "SELECT EXISTS (SELECT 1 FROM posts WHERE id = ?1 AND moderation_message_id IS NOT NULL) \
     OR EXISTS (SELECT 1 FROM outbox WHERE post_id = ?1 AND kind = 'announce' AND leased_at IS NOT NULL \
     AND done_at IS NULL)";

#[instrument(skip_all, fields(post_id = id.0), err)]
pub async fn set_flags(db: &Db, id: PostId, flags: &PostFlags, bands: &[Band]) -> Result<bool, StoreError> {
    let json = serde_json::to_string(flags).map_err(|e| StoreError::Corrupt(format!("post flags: {e}")))?;
    let mut tx = db.writer.begin().await?;
    let updated = sqlx::query("UPDATE posts SET flags = ?2, flag_mask = ?3 WHERE id = ?1")
        .bind(id.0)
        .bind(json)
        .bind(flags.mask())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if updated == 0 {
        return Ok(false);
    }
    sqlx::query("DELETE FROM post_fingerprints WHERE post_id = ?1").bind(id.0).execute(&mut *tx).await?;
    if !bands.is_empty() {
        let mut qb = QueryBuilder::<Sqlite>::new("INSERT INTO post_fingerprints (post_id, band, hash) ");
        qb.push_values(bands, |mut row, b| {
            row.push_bind(id.0).push_bind(b.band).push_bind(b.hash);
        });
        qb.build().execute(&mut *tx).await?;
    }
    let card_out: bool = sqlx::query_scalar(CARD_OUT).bind(id.0).fetch_one(&mut *tx).await?;
    if card_out {
        super::outbox::enqueue_card_update(&mut tx, id).await?;
    }
    tx.commit().await?;
    db.emit("post_flagged", Some(id));
    Ok(true)
}

#[instrument(skip_all, fields(post_id = except.0, bands = bands.len()), err)]
pub async fn duplicate_candidates(
    db: &Db,
    bands: &[Band],
    since: DateTime<Utc>,
    except: PostId,
    limit: i64,
) -> Result<Vec<(PostId, String)>, StoreError> {
    if bands.is_empty() {
        return Ok(Vec::new());
    }
    let mut qb = QueryBuilder::<Sqlite>::new(
        "SELECT p.id, p.body FROM (SELECT post_id, count(*) AS shared FROM post_fingerprints WHERE ",
    );
    push_bands(&mut qb, bands);
    // CROSS JOIN fixes the order (SQLite's rule): the few posts sharing a band first, then
    // each post by its id. Left to itself, without statistics, SQLite walked every post of the
    // statuses through `posts_status_arrived` and probed the bands for each (the bench's row
    // 10: 100 ms at 100 000 posts instead of a few).
    qb.push(" GROUP BY post_id) f CROSS JOIN posts p WHERE p.id = f.post_id AND p.id <> ")
        .push_bind(except.0)
        .push(" AND p.created_at >= ")
        .push_bind(stamp(since))
        .push(" AND p.status IN ('pending', 'approved', 'published') ORDER BY f.shared DESC, p.id DESC LIMIT ")
        .push_bind(limit.clamp(1, 100));
    let rows: Vec<(i64, String)> = qb.build_query_as().fetch_all(&db.reader).await?;
    Ok(rows.into_iter().map(|(id, body)| (PostId(id), body)).collect())
}

/// `(band = ? AND hash = ?) OR …`: each term one lookup of the `(band, hash)` index.
fn push_bands(qb: &mut QueryBuilder<Sqlite>, bands: &[Band]) {
    for (i, b) in bands.iter().enumerate() {
        qb.push(if i == 0 { "(band = " } else { " OR (band = " });
        qb.push_bind(b.band).push(" AND hash = ").push_bind(b.hash).push(")");
    }
}
