//! Intake on `SQLite`: authors and their locale, submissions (admission, albums and the group
//! commit are in `intake_batch.rs`, its fast path in `intake_bulk.rs`), author edits, media
//! fingerprints.

#[path = "intake_batch.rs"]
mod batch;
#[cfg(test)]
#[path = "intake_tests.rs"]
mod tests;

use std::sync::LazyLock;
use std::time::Duration;

use sqlx::Sqlite;
use sqlx::sqlite::SqliteArguments;
use tracing::instrument;

use super::Db;
use super::rows::{NOW, fold, status};
use crate::domain::{PostId, UserId};
use crate::store::{
    Admission, AuthorEdit, AuthorEditOutcome, AuthorProfile, AuthorRecord, IntakeFlags, NewPost, StoreError,
    SubmitOutcome,
};

pub use batch::IntakeBatcher;

/// A profile is written only when it changed, so `updated_at` says when it last did.
static UPSERT_AUTHOR: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO authors (id, username, first_name, last_name, language_code) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (id) DO UPDATE SET username = excluded.username, first_name = excluded.first_name, \
         last_name = excluded.last_name, language_code = excluded.language_code, updated_at = {NOW} \
         WHERE authors.username IS NOT excluded.username OR authors.first_name IS NOT excluded.first_name \
         OR authors.last_name IS NOT excluded.last_name OR authors.language_code IS NOT excluded.language_code"
    )
});

fn upsert_author_query(a: &AuthorProfile) -> sqlx::query::Query<'static, Sqlite, SqliteArguments> {
    sqlx::query(UPSERT_AUTHOR.as_str())
        .bind(a.id.0)
        .bind(a.username.as_deref())
        .bind(a.first_name.as_str())
        .bind(a.last_name.as_deref())
        .bind(a.language_code.as_deref())
}

#[instrument(skip_all, fields(user_id = author.id.0), err)]
pub async fn upsert_author(db: &Db, author: &AuthorProfile) -> Result<(), StoreError> {
    upsert_author_query(author).execute(&db.writer).await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct AuthorRow {
    id: i64,
    username: Option<String>,
    first_name: String,
    last_name: Option<String>,
    language_code: Option<String>,
    locale_override: Option<String>,
    approved: i64,
    rejected: i64,
    pending: i64,
    banned: bool,
    created_at: chrono::DateTime<chrono::Utc>,
}

impl From<AuthorRow> for AuthorRecord {
    fn from(r: AuthorRow) -> Self {
        Self {
            profile: AuthorProfile {
                id: UserId(r.id),
                username: r.username,
                first_name: r.first_name,
                last_name: r.last_name,
                language_code: r.language_code,
            },
            locale_override: r.locale_override,
            approved: r.approved,
            rejected: r.rejected,
            pending: r.pending,
            banned: r.banned,
            created_at: r.created_at,
        }
    }
}

#[instrument(skip_all, fields(user_id = id.0), err)]
pub async fn author(db: &Db, id: UserId) -> Result<Option<AuthorRecord>, StoreError> {
    Ok(authors(db, &[id]).await?.pop())
}

/// Several authors' profiles and counts in one query; each count is a subquery on the
/// author's posts by index (`posts_author_arrived`).
#[instrument(skip_all, fields(count = ids.len()), err)]
pub async fn authors(db: &Db, ids: &[UserId]) -> Result<Vec<AuthorRecord>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = serde_json::Value::from(ids.iter().map(|id| id.0).collect::<Vec<_>>()).to_string();
    let rows = sqlx::query_as::<_, AuthorRow>(
        "SELECT a.id, a.username, a.first_name, a.last_name, a.language_code, a.locale_override, a.created_at, \
         (SELECT count(*) FROM posts p WHERE p.author_id = a.id \
            AND p.status IN ('approved', 'published', 'publish_failed')) AS approved, \
         (SELECT count(*) FROM posts p WHERE p.author_id = a.id AND p.status = 'rejected') AS rejected, \
         (SELECT count(*) FROM posts p WHERE p.author_id = a.id AND p.status = 'pending') AS pending, \
         EXISTS (SELECT 1 FROM bans b WHERE b.user_id = a.id) AS banned \
         FROM authors a WHERE a.id IN (SELECT value FROM json_each(?1))",
    )
    .bind(ids)
    .fetch_all(&db.reader)
    .await?;
    Ok(rows.into_iter().map(AuthorRecord::from).collect())
}

/// The locale an author chose with /language (`None` when they did not, or are unknown).
#[instrument(skip_all, fields(user_id = id.0), err)]
pub async fn locale_override(db: &Db, id: UserId) -> Result<Option<String>, StoreError> {
    let found: Option<Option<String>> = sqlx::query_scalar("SELECT locale_override FROM authors WHERE id = ?1")
        .bind(id.0)
        .fetch_optional(&db.reader)
        .await?;
    Ok(found.flatten())
}

static SET_LOCALE: LazyLock<String> =
    LazyLock::new(|| format!("UPDATE authors SET locale_override = ?2, updated_at = {NOW} WHERE id = ?1"));

#[instrument(skip_all, fields(user_id = id.0), err)]
pub async fn set_locale_override(db: &Db, id: UserId, locale: Option<&str>) -> Result<(), StoreError> {
    sqlx::query(SET_LOCALE.as_str()).bind(id.0).bind(locale).execute(&db.writer).await?;
    Ok(())
}

/// Admission and storage through the group commit (albums too: every write is on the one
/// writer connection anyway, and batching keeps arrival order across texts and albums).
#[instrument(skip_all, fields(user_id = post.author.id.0, chat_id = post.source_chat_id, message_id = post.source_message_id, post_id), err)]
pub async fn submit(
    db: &Db,
    batcher: &IntakeBatcher,
    post: &NewPost,
    admission: Admission,
    flags: Option<&IntakeFlags>,
    album_debounce: Duration,
) -> Result<SubmitOutcome, StoreError> {
    let outcome = batcher.write(db, post.clone(), admission, flags.cloned(), album_debounce).await?;
    if let Some(id) = outcome.post_id() {
        tracing::Span::current().record("post_id", id.0);
    }
    Ok(outcome)
}

/// The post a message belongs to: the message that created it, or (the caption of an album
/// may sit on any part) any part of an album.
const EDITED_POST: &str = "SELECT id, status FROM posts WHERE source_chat_id = ?1 AND source_message_id = ?2 \
     UNION ALL \
     SELECT p.id, p.status FROM posts p WHERE p.source_chat_id = ?1 AND p.media_group_id IS NOT NULL \
       AND EXISTS (SELECT 1 FROM media m WHERE m.post_id = p.id AND m.source_message_id = ?2) \
     LIMIT 1";

static APPLY_EDIT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "UPDATE posts SET body = ?2, search_text = ?3, entities = ?4, edited_by_author = 1, updated_at = {NOW} \
         WHERE id = ?1"
    )
});

#[instrument(skip_all, fields(chat_id = edit.source_chat_id, message_id = edit.source_message_id, post_id), err)]
pub async fn author_edit(db: &Db, edit: &AuthorEdit) -> Result<AuthorEditOutcome, StoreError> {
    // On the writer: the status read and the update cannot be split by a decision.
    let mut tx = db.writer.begin().await?;
    let found: Option<(i64, String)> = sqlx::query_as(EDITED_POST)
        .bind(edit.source_chat_id)
        .bind(edit.source_message_id)
        .fetch_optional(&mut *tx)
        .await?;
    let Some((id, raw_status)) = found else { return Ok(AuthorEditOutcome::Unknown) };
    tracing::Span::current().record("post_id", id);
    if !status(&raw_status)?.accepts_author_edits() {
        return Ok(AuthorEditOutcome::TooLate(PostId(id)));
    }
    sqlx::query(APPLY_EDIT.as_str())
        .bind(id)
        .bind(&edit.body)
        .bind(fold(&edit.body))
        .bind(edit.entities.to_string())
        .execute(&mut *tx)
        .await?;
    super::thread::edit_answers_request(&mut tx, PostId(id), edit).await?;
    super::outbox::enqueue_card_update(&mut tx, PostId(id)).await?;
    tx.commit().await?;
    db.emit("post_edited", Some(PostId(id)));
    Ok(AuthorEditOutcome::Updated(PostId(id)))
}

#[instrument(skip_all, fields(user_id = author.0), err)]
pub async fn pending_count_of(db: &Db, author: UserId) -> Result<i64, StoreError> {
    // 'pending' literally, so that the partial index `posts_author_pending` serves it.
    Ok(sqlx::query_scalar("SELECT count(*) FROM posts WHERE author_id = ?1 AND status = 'pending'")
        .bind(author.0)
        .fetch_one(&db.reader)
        .await?)
}

static FLAG_REPOST: LazyLock<String> = LazyLock::new(|| {
    format!("UPDATE posts SET duplicate_of = ?2, updated_at = {NOW} WHERE id = ?1 AND duplicate_of IS NULL")
});

/// Records the SHA-256 of a media item; when an earlier post holds the same file, the post is
/// flagged as its re-post (the earliest one) and its card refreshed.
#[instrument(skip_all, fields(post_id = id.0, position = position), err)]
pub async fn set_media_hash(db: &Db, id: PostId, position: i16, sha256: &str) -> Result<Option<PostId>, StoreError> {
    let mut tx = db.writer.begin().await?;
    sqlx::query("UPDATE media SET sha256 = ?3 WHERE post_id = ?1 AND position = ?2")
        .bind(id.0)
        .bind(position)
        .bind(sha256)
        .execute(&mut *tx)
        .await?;
    let earlier: Option<i64> =
        sqlx::query_scalar("SELECT post_id FROM media WHERE sha256 = ?2 AND post_id < ?1 ORDER BY post_id LIMIT 1")
            .bind(id.0)
            .bind(sha256)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(original) = earlier {
        sqlx::query(FLAG_REPOST.as_str()).bind(id.0).bind(original).execute(&mut *tx).await?;
        super::outbox::enqueue_card_update(&mut tx, id).await?;
    }
    tx.commit().await?;
    if earlier.is_some() {
        db.emit("post_updated", Some(id));
    }
    Ok(earlier.map(PostId))
}
