//! Intake's group commit on `SQLite`: the submissions that queued up while the previous batch was
//! being written are written together, one transaction on the writer connection (one fsync
//! for the lot under `synchronous=FULL`). Each is stored exactly as it would be alone, in
//! arrival order — the statements run one after the other on the one connection, so each sees
//! what the ones before it wrote (a repeat is a duplicate, the pending cap counts the posts
//! admitted just before). Runs of plain submissions take a fast path (`intake_bulk.rs`: a few
//! statements for the whole run). A submission that fails is left out of the batch, which is
//! written again without it, so only its caller gets the error; a batch that cannot commit is
//! written again one submission per transaction.

use std::sync::{Arc, LazyLock, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{broadcast, mpsc, oneshot};

#[path = "intake_bulk.rs"]
mod bulk;

use super::super::Db;
use super::super::flags::write_flags;
use super::super::rows::{NOW, fold, now_plus};
use super::upsert_author_query;
use crate::domain::PostId;
use crate::store::charts::{media_kind_of, media_kind_sql};
use crate::store::{Admission, ChangeEvent, IntakeFlags, NewMedia, NewPost, Refusal, StoreError, SubmitOutcome};

/// Submissions written in one transaction at most: a 10 000-message burst is ~40 commits.
const MAX_BATCH: usize = 256;
/// Submissions waiting for the writer; callers wait (backpressure) beyond this.
const QUEUE: usize = 4096;

/// Everything admission needs to know about a submission, in one round trip. The pending
/// count names `'pending'` literally so that `SQLite` uses the partial index `posts_author_pending`.
const CHECKS: &str = "SELECT \
     (SELECT id FROM posts WHERE source_chat_id = ?1 AND source_message_id = ?2) AS existing, \
     (SELECT id FROM posts WHERE source_chat_id = ?1 AND media_group_id = ?3) AS album, \
     EXISTS (SELECT 1 FROM bans WHERE user_id = ?4) AS banned, \
     (SELECT count(*) FROM posts WHERE author_id = ?4 AND status = 'pending') AS pending, \
     (SELECT count(*) FROM posts WHERE author_id = ?4 \
       AND status IN ('approved', 'published', 'publish_failed', 'rejected', 'pending')) AS earlier, \
     (SELECT count(*) FROM posts WHERE author_id = ?4 AND status = 'rejected') AS rejected, \
     EXISTS (SELECT 1 FROM authors WHERE id = ?4 AND username IS ?5 AND first_name = ?6 AND last_name IS ?7 \
       AND language_code IS ?8) AS profile_stored";

static INSERT_ANNOUNCE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO outbox (post_id, kind, payload, next_attempt_at) VALUES (?1, 'announce', ?2, {})",
        now_plus("?3")
    )
});

static FILL_ALBUM_BODY: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE posts SET body = CASE WHEN body = '' THEN ?2 ELSE body END, \
         entities = CASE WHEN body = '' THEN ?3 ELSE entities END, \
         search_text = CASE WHEN body = '' THEN ?4 ELSE search_text END, media_kind = {kind}, updated_at = {NOW} \
         WHERE id = ?1",
        kind = media_kind_sql("?1")
    )
});

static DELAY_ANNOUNCE: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE outbox SET next_attempt_at = {} \
         WHERE post_id = ?1 AND kind = 'announce' AND done_at IS NULL AND attempts = 0",
        now_plus("?2")
    )
});

#[derive(sqlx::FromRow)]
struct Checks {
    existing: Option<i64>,
    album: Option<i64>,
    banned: bool,
    pending: i64,
    earlier: i64,
    rejected: i64,
    profile_stored: bool,
}

/// One submission waiting to be written.
struct Request {
    post: NewPost,
    admission: Admission,
    /// When it was handed to the store: the queue's order ([`crate::store::arrival`]).
    arrived: DateTime<Utc>,
    album_debounce: Duration,
    /// Flags and bands to store with a new post.
    flags: Option<IntakeFlags>,
    reply: oneshot::Sender<Result<SubmitOutcome, StoreError>>,
}

/// What a submission did, and the change to announce once it is committed.
struct Stored {
    outcome: SubmitOutcome,
    event: Option<&'static str>,
}

/// Hands submissions to the intake writer task, started on first use on the caller's runtime;
/// the task ends when the last clone is dropped.
#[derive(Clone, Debug, Default)]
pub struct IntakeBatcher {
    queue: Arc<OnceLock<mpsc::Sender<Request>>>,
}

impl IntakeBatcher {
    /// Writes `post` with the next batch and returns its own outcome (after the commit).
    pub async fn write(
        &self,
        db: &Db,
        post: NewPost,
        admission: Admission,
        flags: Option<IntakeFlags>,
        album_debounce: Duration,
    ) -> Result<SubmitOutcome, StoreError> {
        let queue = self.queue.get_or_init(|| {
            let (send, receive) = mpsc::channel(QUEUE);
            tokio::spawn(write_batches(db.writer.clone(), db.events.clone(), receive));
            send
        });
        let stopped = || StoreError::Unavailable("the intake writer stopped".into());
        let (reply, answer) = oneshot::channel();
        // Stamped before anything waits: the queue lists posts in the order they were handed over.
        let arrived = crate::store::arrival::stamp();
        queue.send(Request { post, admission, arrived, album_debounce, flags, reply }).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// Takes whatever has queued up (waiting only for the first submission), writes it, repeats.
async fn write_batches(
    writer: SqlitePool,
    events: broadcast::Sender<ChangeEvent>,
    mut receive: mpsc::Receiver<Request>,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while receive.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let results = write(&writer, &batch).await;
        for (request, result) in batch.drain(..).zip(results) {
            let outcome = result.map(|stored| {
                if let Some(event) = stored.event {
                    // No listener is fine: nobody is watching.
                    let _ = events
                        .send(ChangeEvent { event: event.to_owned(), post_id: stored.outcome.post_id().map(|p| p.0) });
                }
                stored.outcome
            });
            // A caller that gave up does not stop the others.
            let _ = request.reply.send(outcome);
        }
    }
}

/// One result per request, in order.
async fn write(writer: &SqlitePool, batch: &[Request]) -> Vec<Result<Stored, StoreError>> {
    match write_together(writer, batch).await {
        Ok(results) => results,
        Err(e) if batch.len() == 1 => vec![Err(e)],
        Err(e) => {
            tracing::warn!(error = %e, size = batch.len(), "intake batch failed; writing its submissions one by one");
            let mut results = Vec::with_capacity(batch.len());
            for request in batch {
                results.push(write_alone(writer, request).await);
            }
            results
        }
    }
}

/// The batch in one transaction, by the fast path where it can (`write_runs`); when that
/// fails, submission by submission (`one_at_a_time`), which finds the one at fault.
async fn write_together(writer: &SqlitePool, batch: &[Request]) -> Result<Vec<Result<Stored, StoreError>>, StoreError> {
    if batch.len() > 1 {
        match write_runs(writer, batch).await {
            Ok(stored) => return Ok(stored.into_iter().map(Ok).collect()),
            Err(e) if e.is_transient() => return Err(e),
            Err(e) => {
                tracing::debug!(error = %e, size = batch.len(), "intake batch failed; finding the submission at fault");
            }
        }
    }
    one_at_a_time(writer, batch).await
}

/// Runs of plain submissions through the fast path (`intake_bulk.rs`), album parts one by one,
/// in arrival order, in one transaction.
async fn write_runs(writer: &SqlitePool, batch: &[Request]) -> Result<Vec<Stored>, StoreError> {
    let plain = |r: &Request| r.post.media_group_id.is_none();
    let mut tx = writer.begin().await?;
    let mut stored = Vec::with_capacity(batch.len());
    for run in batch.chunk_by(|a, b| plain(a) && plain(b)) {
        if run.len() > 1 {
            stored.extend(bulk::store_run(&mut tx, run).await?);
        } else {
            for request in run {
                stored.push(store(&mut tx, request).await?);
            }
        }
    }
    tx.commit().await?;
    Ok(stored)
}

/// The batch in one transaction, submission by submission. One that fails (an 11-item album)
/// is left out and the transaction written again without it: it fails alone, and the others
/// keep the verdicts they would get one by one. (A savepoint per submission would cost a round
/// trip to the database thread each, a quarter of a submission's time; a failure costs a rerun
/// instead.) An outage fails the whole batch.
async fn one_at_a_time(writer: &SqlitePool, batch: &[Request]) -> Result<Vec<Result<Stored, StoreError>>, StoreError> {
    let mut failed: Vec<Option<StoreError>> = batch.iter().map(|_| None).collect();
    'attempt: loop {
        let mut tx = writer.begin().await?;
        let mut stored = Vec::with_capacity(batch.len());
        for (i, request) in batch.iter().enumerate() {
            if failed[i].is_some() {
                continue;
            }
            match store(&mut tx, request).await {
                Ok(s) => stored.push(s),
                Err(e) if e.is_transient() => return Err(e),
                Err(e) => {
                    tx.rollback().await?;
                    failed[i] = Some(e);
                    continue 'attempt;
                }
            }
        }
        tx.commit().await?;
        let mut stored = stored.into_iter();
        return failed
            .into_iter()
            .map(|failure| match failure {
                Some(e) => Ok(Err(e)),
                None => stored.next().map(Ok).ok_or_else(|| StoreError::Corrupt("intake batch lost a result".into())),
            })
            .collect();
    }
}

async fn write_alone(writer: &SqlitePool, request: &Request) -> Result<Stored, StoreError> {
    let mut tx = writer.begin().await?;
    let stored = store(&mut tx, request).await?;
    tx.commit().await?;
    Ok(stored)
}

/// Admits and stores one submission, or joins an album part to its post. The writer is the
/// only connection that writes, so nothing changes between the checks and the writes.
async fn store(conn: &mut SqliteConnection, request: &Request) -> Result<Stored, StoreError> {
    let (post, admission) = (&request.post, request.admission);
    let checks: Checks = sqlx::query_as(CHECKS)
        .bind(post.source_chat_id)
        .bind(post.source_message_id)
        .bind(post.media_group_id.as_deref())
        .bind(post.author.id.0)
        .bind(post.author.username.as_deref())
        .bind(&post.author.first_name)
        .bind(post.author.last_name.as_deref())
        .bind(post.author.language_code.as_deref())
        .fetch_one(&mut *conn)
        .await?;
    // Albums arrive as one update per part: later parts join the first part's post, unchecked.
    if let Some(id) = checks.album {
        return join_album(conn, id, post, request.album_debounce).await;
    }
    // A redelivery first, so that it is never refused.
    let refused = if let Some(id) = checks.existing {
        Some(SubmitOutcome::Duplicate(PostId(id)))
    } else if checks.banned {
        Some(SubmitOutcome::Refused(Refusal::Banned))
    } else if admission.rate_limited {
        Some(SubmitOutcome::Refused(Refusal::RateLimited))
    } else if admission.max_pending.is_some_and(|max| checks.pending >= max) {
        Some(SubmitOutcome::Refused(Refusal::TooManyPending(checks.pending)))
    } else {
        None
    };
    if let Some(outcome) = refused {
        return Ok(Stored { outcome, event: None });
    }
    // An album waits for its other parts before it is announced; anything else is due now.
    let delay = if post.media_group_id.is_some() { request.album_debounce } else { Duration::ZERO };
    let id = create(conn, post, request.arrived, delay, !checks.profile_stored).await?;
    if let Some(flags) = &request.flags {
        write_flags(conn, id, &flags.with_history(checks.earlier, checks.rejected)).await?;
    }
    Ok(Stored { outcome: SubmitOutcome::Created(id), event: Some("post_created") })
}

/// The author, the post, its media and its jobs (fingerprint when it has media, announce).
async fn create(
    conn: &mut SqliteConnection,
    post: &NewPost,
    arrived: DateTime<Utc>,
    delay: Duration,
    new_profile: bool,
) -> Result<PostId, StoreError> {
    if new_profile {
        upsert_author_query(&post.author).execute(&mut *conn).await?;
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO posts (author_id, source_chat_id, source_message_id, media_group_id, body, search_text, entities, \
         arrived_at, media_kind) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id",
    )
    .bind(post.author.id.0)
    .bind(post.source_chat_id)
    .bind(post.source_message_id)
    .bind(post.media_group_id.as_deref())
    .bind(&post.body)
    .bind(fold(&post.body))
    .bind(post.entities.to_string())
    .bind(arrival_text(arrived))
    .bind(media_kind_of(&post.media))
    .fetch_one(&mut *conn)
    .await?;
    insert_media(conn, id, 0, &post.media).await?;
    if !post.media.is_empty() {
        sqlx::query("INSERT INTO outbox (post_id, kind) VALUES (?1, 'fingerprint')")
            .bind(id)
            .execute(&mut *conn)
            .await?;
    }
    // The first part of an album asks for a receipt once the album is announced whole.
    let payload = serde_json::json!({ "receipt": post.media_group_id.is_some() });
    sqlx::query(INSERT_ANNOUNCE.as_str())
        .bind(id)
        .bind(payload.to_string())
        .bind(delay.as_secs_f64())
        .execute(&mut *conn)
        .await?;
    Ok(PostId(id))
}

/// An arrival time as stored: RFC 3339 UTC with microseconds, always the same width, so that
/// the text order of the column is its time order.
fn arrival_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// A later album part: its media after the post's, its caption if the post has none yet, and
/// the announcement pushed back so the album is announced once, whole. A redelivered part
/// adds nothing and changes nothing.
async fn join_album(
    conn: &mut SqliteConnection,
    id: i64,
    post: &NewPost,
    debounce: Duration,
) -> Result<Stored, StoreError> {
    let next: i64 = sqlx::query_scalar("SELECT coalesce(max(position) + 1, 0) FROM media WHERE post_id = ?1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    if insert_media(conn, id, next, &post.media).await? == 0 {
        return Ok(Stored { outcome: SubmitOutcome::Duplicate(PostId(id)), event: None });
    }
    sqlx::query(FILL_ALBUM_BODY.as_str())
        .bind(id)
        .bind(&post.body)
        .bind(post.entities.to_string())
        .bind(fold(&post.body))
        .execute(&mut *conn)
        .await?;
    sqlx::query(DELAY_ANNOUNCE.as_str()).bind(id).bind(debounce.as_secs_f64()).execute(&mut *conn).await?;
    Ok(Stored { outcome: SubmitOutcome::AlbumPart(PostId(id)), event: Some("post_updated") })
}

/// Adds `media` from position `first` on, skipping items whose message is already stored (a
/// redelivered part); returns how many were added. Only the uniqueness constraints are skipped
/// (`ON CONFLICT`, not `OR IGNORE`): an 11th item still fails the position check.
async fn insert_media(conn: &mut SqliteConnection, id: i64, first: i64, media: &[NewMedia]) -> Result<i64, StoreError> {
    let mut added = 0;
    for m in media {
        let done = sqlx::query(
            "INSERT INTO media (post_id, position, kind, file_id, file_unique_id, source_message_id, file_name, \
             mime_type, file_size) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(first + added)
        .bind(m.kind.as_str())
        .bind(&m.file_id)
        .bind(&m.file_unique_id)
        .bind(m.source_message_id)
        .bind(m.file_name.as_deref())
        .bind(m.mime_type.as_deref())
        .bind(m.file_size)
        .execute(&mut *conn)
        .await?;
        added += i64::try_from(done.rows_affected()).unwrap_or(0);
    }
    Ok(added)
}
