//! Flags for a second look on SQLite: a post's flags and its text's LSH bands
//! (`post_fingerprints`), the near-duplicate candidates found through `(band, hash)` (one post's,
//! or a batch of stored posts' on one connection), the duplicates found added to stored flags,
//! and the flags and bands of new posts written by intake's own transaction.

use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite, SqliteConnection};
use tokio::sync::oneshot;
use tracing::instrument;

use super::Db;
use super::rows::stamp;
use crate::domain::PostId;
use crate::flags::minhash::Band;
use crate::flags::{DuplicateCheck, FlagKind, PostFlags};
use crate::store::StoreError;

/// Whether a post's card is out, or its announcement is being sent (its flags may have come
/// too late for it): then the card is refreshed to show them.
const CARD_OUT: &str = "SELECT EXISTS (SELECT 1 FROM posts WHERE id = ?1 AND moderation_message_id IS NOT NULL) \
     OR EXISTS (SELECT 1 FROM outbox WHERE post_id = ?1 AND kind = 'announce' AND leased_at IS NOT NULL \
     AND done_at IS NULL)";

/// One post's flags and bands, waiting to be written.
struct FlagWrite {
    id: PostId,
    json: String,
    mask: i64,
    bands: Vec<Band>,
    done: oneshot::Sender<Result<bool, String>>,
}

/// Flag writes committed together: each one's own transaction would wait for its own fsync on
/// the one writer (about 650 a second here), which intake would then wait for. Whoever finds
/// the writer free writes everything queued so far in one transaction (group commit); the rest
/// wait for their answer.
#[derive(Debug, Default)]
pub struct FlagWrites {
    queue: std::sync::Mutex<Vec<FlagWriteSlot>>,
    gate: tokio::sync::Mutex<()>,
}

/// [`FlagWrite`] behind a `Debug` the queue can derive.
struct FlagWriteSlot(FlagWrite);

impl std::fmt::Debug for FlagWriteSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FlagWrite({})", self.0.id.0)
    }
}

#[instrument(skip_all, fields(post_id = id.0), err)]
pub async fn set_flags(db: &Db, id: PostId, flags: &PostFlags, bands: &[Band]) -> Result<bool, StoreError> {
    let json = serde_json::to_string(flags).map_err(|e| StoreError::Corrupt(format!("post flags: {e}")))?;
    let (done, answer) = oneshot::channel();
    let write = FlagWrite { id, json, mask: flags.mask(), bands: bands.to_vec(), done };
    queued(db).push(FlagWriteSlot(write));
    let mut answer = answer;
    tokio::select! {
        biased;
        // Written by the batch in progress when this one was queued.
        done = &mut answer => return answered(done),
        _writer = db.flag_writes.gate.lock() => {
            let batch = std::mem::take(&mut *queued(db));
            if !batch.is_empty() {
                write_batch(db, batch).await;
            }
        }
    }
    answered(answer.await)
}

fn queued(db: &Db) -> std::sync::MutexGuard<'_, Vec<FlagWriteSlot>> {
    db.flag_writes.queue.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn answered(done: Result<Result<bool, String>, oneshot::error::RecvError>) -> Result<bool, StoreError> {
    match done {
        Ok(Ok(found)) => Ok(found),
        Ok(Err(e)) => Err(StoreError::Unavailable(e)),
        Err(_) => Err(StoreError::Unavailable("the flag write was dropped".into())),
    }
}

/// Writes a batch in one transaction and answers each write.
async fn write_batch(db: &Db, batch: Vec<FlagWriteSlot>) {
    let items: Vec<&FlagWrite> = batch.iter().map(|s| &s.0).collect();
    match write_all(db, &items).await {
        Ok(found) => {
            for (slot, found) in batch.into_iter().zip(found) {
                if found {
                    db.emit("post_flagged", Some(slot.0.id));
                }
                let _ = slot.0.done.send(Ok(found));
            }
        }
        Err(e) => {
            tracing::error!(posts = items.len(), error = %e, "flags not written");
            let message = e.to_string();
            for slot in batch {
                let _ = slot.0.done.send(Err(message.clone()));
            }
        }
    }
}

async fn write_all(db: &Db, items: &[&FlagWrite]) -> Result<Vec<bool>, StoreError> {
    let mut tx = db.writer.begin().await?;
    let mut found = Vec::with_capacity(items.len());
    for w in items {
        let updated = sqlx::query("UPDATE posts SET flags = ?2, flag_mask = ?3 WHERE id = ?1")
            .bind(w.id.0)
            .bind(&w.json)
            .bind(w.mask)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        found.push(updated > 0);
        if updated == 0 {
            continue;
        }
        sqlx::query("DELETE FROM post_fingerprints WHERE post_id = ?1").bind(w.id.0).execute(&mut *tx).await?;
        if !w.bands.is_empty() {
            let mut qb = QueryBuilder::<Sqlite>::new("INSERT INTO post_fingerprints (post_id, band, hash) ");
            qb.push_values(&w.bands, |mut row, b| {
                row.push_bind(w.id.0).push_bind(b.band).push_bind(b.hash);
            });
            qb.build().execute(&mut *tx).await?;
        }
        let card_out: bool = sqlx::query_scalar(CARD_OUT).bind(w.id.0).fetch_one(&mut *tx).await?;
        if card_out {
            super::outbox::enqueue_card_update(&mut tx, w.id).await?;
        }
    }
    tx.commit().await?;
    Ok(found)
}

/// The most posts taken from one band (the newest).
const PER_BAND: i64 = 32;

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
    let mut qb = candidates_query(bands, since, except, None, limit);
    let rows: Vec<(i64, String)> = qb.build_query_as().fetch_all(&db.reader).await?;
    Ok(rows.into_iter().map(|(id, body)| (PostId(id), body)).collect())
}

/// The query of [`duplicate_candidates`], among the posts below `before` when it is given.
fn candidates_query(
    bands: &[Band],
    since: DateTime<Utc>,
    except: PostId,
    before: Option<PostId>,
    limit: i64,
) -> QueryBuilder<Sqlite> {
    let mut qb = QueryBuilder::<Sqlite>::new("SELECT p.id, p.body FROM (SELECT post_id, count(*) AS shared FROM (");
    push_bands(&mut qb, bands, before);
    // CROSS JOIN fixes the order (SQLite's rule): the few posts sharing a band first, then
    // each post by its id. Left to itself, without statistics, SQLite walked every post of the
    // statuses through `posts_status_arrived` and probed the bands for each (the bench's row
    // 10: 100 ms at 100 000 posts instead of a few).
    qb.push(") u GROUP BY post_id) f CROSS JOIN posts p WHERE p.id = f.post_id AND p.id <> ")
        .push_bind(except.0)
        .push(" AND p.created_at >= ")
        .push_bind(stamp(since))
        .push(" AND p.status IN ('pending', 'approved', 'published') ORDER BY f.shared DESC, p.id DESC LIMIT ")
        .push_bind(limit.clamp(1, 100));
    qb
}

/// Stores the posts' bands (those its author has not edited meanwhile: an edit stored the new
/// text's), in one transaction of the writer; then each post's candidates among the posts
/// before it, one query each on one reader connection (SQLite's round trips are in-process: a
/// statement for the batch would save little).
#[instrument(skip_all, fields(posts = posts.len()), err)]
pub async fn fingerprint_and_find_earlier(
    db: &Db,
    posts: &[(PostId, Vec<Band>)],
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<Vec<(PostId, String)>>, StoreError> {
    store_bands(db, posts).await?;
    let mut conn = db.reader.acquire().await?;
    let mut found = Vec::with_capacity(posts.len());
    for (id, bands) in posts {
        if bands.is_empty() {
            found.push(Vec::new());
            continue;
        }
        let mut qb = candidates_query(bands, since, *id, Some(*id), limit);
        let rows: Vec<(i64, String)> = qb.build_query_as().fetch_all(&mut *conn).await?;
        found.push(rows.into_iter().map(|(id, body)| (PostId(id), body)).collect());
    }
    Ok(found)
}

/// Adds the duplicates found, and the failed lookups as "not checked", to the posts' stored
/// flags in one transaction; refreshes the cards already out or being sent. A post its author
/// edited meanwhile is left alone: its flags were computed again from the new text.
#[instrument(skip_all, fields(posts = found.len()), err)]
pub async fn set_duplicates(db: &Db, found: &[(PostId, DuplicateCheck)]) -> Result<u64, StoreError> {
    if found.is_empty() {
        return Ok(0);
    }
    let mut tx = db.writer.begin().await?;
    let mut changed = Vec::new();
    for (id, check) in found {
        let (path, value, bit) = match check {
            DuplicateCheck::Found(d) => (
                "$.duplicate",
                serde_json::json!({ "post_id": d.post_id.0, "percent": d.percent }).to_string(),
                FlagKind::Duplicate.bit(),
            ),
            DuplicateCheck::Failed => ("$.checked", "false".to_owned(), FlagKind::NotChecked.bit()),
        };
        let updated = sqlx::query(
            "UPDATE posts SET flags = json_set(flags, ?2, json(?3)), flag_mask = flag_mask | ?4 \
             WHERE id = ?1 AND flags IS NOT NULL AND NOT edited_by_author",
        )
        .bind(id.0)
        .bind(path)
        .bind(value)
        .bind(bit)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            continue;
        }
        let card_out: bool = sqlx::query_scalar(CARD_OUT).bind(id.0).fetch_one(&mut *tx).await?;
        if card_out {
            super::outbox::enqueue_card_update(&mut tx, *id).await?;
        }
        changed.push(*id);
    }
    tx.commit().await?;
    for id in &changed {
        db.emit("post_flagged", Some(*id));
    }
    Ok(u64::try_from(changed.len()).unwrap_or(u64::MAX))
}

/// The newest posts of each band (below `before` when given), [`PER_BAND`] at most: one
/// backward range of the `(band, hash, post_id)` index each, so a band a flood of one text
/// shares with thousands of posts costs no more than any other (the intake bench sends 10 000
/// near-identical texts).
fn push_bands(qb: &mut QueryBuilder<Sqlite>, bands: &[Band], before: Option<PostId>) {
    for (i, b) in bands.iter().enumerate() {
        if i > 0 {
            qb.push(" UNION ALL ");
        }
        qb.push("SELECT post_id FROM (SELECT post_id FROM post_fingerprints WHERE band = ")
            .push_bind(b.band)
            .push(" AND hash = ")
            .push_bind(b.hash);
        if let Some(before) = before {
            qb.push(" AND post_id < ").push_bind(before.0);
        }
        // The lookups of stored posts take fewer: see `EARLIER_PER_BAND` on PostgreSQL.
        let per_band = if before.is_some() { PER_BAND / 4 } else { PER_BAND };
        qb.push(" ORDER BY post_id DESC LIMIT ").push(per_band).push(format!(") b{i}"));
    }
}

/// A new post's flags (as stored: JSON), written by the transaction that stores it (its bands
/// come with its near-duplicate lookup: [`fingerprint_and_find_earlier`]).
pub(super) async fn write_flags(conn: &mut SqliteConnection, id: PostId, flags: &PostFlags) -> Result<(), StoreError> {
    sqlx::query("UPDATE posts SET flags = ?2, flag_mask = ?3 WHERE id = ?1")
        .bind(id.0)
        .bind(flags_json(flags)?)
        .bind(flags.mask())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A post's flags as stored.
pub(super) fn flags_json(flags: &PostFlags) -> Result<String, StoreError> {
    serde_json::to_string(flags).map_err(|e| StoreError::Corrupt(format!("post flags: {e}")))
}

/// New posts' bands, in as few statements as SQLite's parameter limit allows.
async fn write_bands(conn: &mut SqliteConnection, bands: Vec<(PostId, Band)>) -> Result<(), StoreError> {
    // 3 parameters a row, far below SQLite's 32 766.
    for chunk in bands.chunks(BAND_CHUNK) {
        let mut qb = QueryBuilder::<Sqlite>::new("INSERT INTO post_fingerprints (post_id, band, hash) ");
        qb.push_values(chunk, |mut b, (id, band)| {
            b.push_bind(id.0).push_bind(band.band).push_bind(band.hash);
        });
        qb.build().persistent(false).execute(&mut *conn).await?;
    }
    Ok(())
}

/// The bands of `posts` not edited by their authors, unless stored already.
async fn store_bands(db: &Db, posts: &[(PostId, Vec<Band>)]) -> Result<(), StoreError> {
    let ids: Vec<i64> = posts.iter().filter(|(_, b)| !b.is_empty()).map(|(id, _)| id.0).collect();
    if ids.is_empty() {
        return Ok(());
    }
    let mut tx = db.writer.begin().await?;
    let mut qb = QueryBuilder::<Sqlite>::new(
        "SELECT id FROM posts p WHERE NOT edited_by_author \
         AND NOT EXISTS (SELECT 1 FROM post_fingerprints f WHERE f.post_id = p.id) AND id IN (",
    );
    let mut list = qb.separated(", ");
    for id in &ids {
        list.push_bind(*id);
    }
    qb.push(")");
    let open: std::collections::HashSet<i64> = qb.build_query_scalar().fetch_all(&mut *tx).await?.into_iter().collect();
    let bands = posts
        .iter()
        .filter(|(id, _)| open.contains(&id.0))
        .flat_map(|(id, bands)| bands.iter().map(move |b| (*id, *b)))
        .collect();
    write_bands(&mut tx, bands).await?;
    tx.commit().await?;
    Ok(())
}

/// Band rows per statement of [`write_bands`].
const BAND_CHUNK: usize = 4096;

#[instrument(skip_all, err)]
pub async fn duplicate_rechecks(
    db: &Db,
    since: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<(PostId, String)>, StoreError> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, body FROM posts p WHERE status IN ('pending', 'approved', 'published') AND arrived_at >= ?1 \
           AND NOT edited_by_author AND json_extract(flags, '$.checked') = 1 \
           AND ((status = 'pending' AND json_type(flags, '$.duplicate') IS NOT 'object') \
             OR NOT EXISTS (SELECT 1 FROM post_fingerprints f WHERE f.post_id = p.id)) \
         ORDER BY id DESC LIMIT ?2",
    )
    .bind(stamp(since))
    .bind(limit)
    .fetch_all(&db.reader)
    .await?;
    Ok(rows.into_iter().map(|(id, body)| (PostId(id), body)).collect())
}
