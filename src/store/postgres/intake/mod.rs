//! Intake on PostgreSQL: submissions that arrive together are admitted and stored by one
//! statement in a group commit (`batch.rs`), each by the same rules as one alone (`one.rs`);
//! album parts join their post inside a short transaction of their own (here).

mod batch;
mod one;

use std::time::Duration;

use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use tracing::instrument;

pub(in crate::store::postgres) use batch::IntakeBatcher;
use one::{ALBUM_LOCKS, admit_and_store, lock_authors};

use super::rows::notify;
use crate::domain::PostId;
use crate::store::charts::media_kind_sql;
use crate::store::{Admission, IntakeFlags, NewPost, StoreError, SubmitOutcome};

#[instrument(skip_all, fields(user_id = post.author.id.0, chat_id = post.source_chat_id, message_id = post.source_message_id, post_id), err)]
pub async fn submit(
    pool: &PgPool,
    batcher: &IntakeBatcher,
    post: &NewPost,
    admission: Admission,
    flags: Option<&IntakeFlags>,
    album_debounce: Duration,
) -> Result<SubmitOutcome, StoreError> {
    // Stamped before anything waits: the queue lists posts in the order they were handed over.
    let arrived = crate::store::arrival::stamp();
    let Some(group) = post.media_group_id.as_deref() else {
        let outcome = batcher.write(pool, (post.clone(), admission, arrived, flags.cloned())).await?;
        if let SubmitOutcome::Created(id) | SubmitOutcome::Duplicate(id) = outcome {
            tracing::Span::current().record("post_id", id.0);
        }
        return Ok(outcome);
    };
    // Albums arrive as one update per part: later parts join the first part's post and push
    // its announcement back, so the moderators see the album once, whole.
    let mut tx = pool.begin().await?;
    // Parts of one album arrive together: the first to take the lock creates the post, the
    // others then find it and join it (without the lock each would try to create it).
    sqlx::query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind(ALBUM_LOCKS)
        .bind(format!("{}:{group}", post.source_chat_id))
        .execute(&mut *tx)
        .await?;
    let existing: Option<i64> =
        sqlx::query_scalar("SELECT id FROM posts WHERE source_chat_id = $1 AND media_group_id = $2 FOR UPDATE")
            .bind(post.source_chat_id)
            .bind(group)
            .fetch_optional(&mut *tx)
            .await?;
    let Some(id) = existing else {
        lock_authors(&mut tx, &[post.author.id.0]).await?;
        let outcome = admit_and_store(&mut tx, post, admission, arrived, flags, album_debounce).await?;
        tx.commit().await?;
        return Ok(outcome);
    };
    tracing::Span::current().record("post_id", id);
    let added = insert_media(&mut tx, id, post).await?;
    if added == 0 {
        tx.rollback().await?;
        return Ok(SubmitOutcome::Duplicate(PostId(id)));
    }
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE posts SET body = CASE WHEN body = '' THEN $2 ELSE body END, \
         entities = CASE WHEN body = '' THEN $3 ELSE entities END, media_kind = {}, updated_at = now() WHERE id = $1",
        media_kind_sql("$1")
    )))
    .bind(id)
    .bind(&post.body)
    .bind(&post.entities)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE outbox SET next_attempt_at = now() + make_interval(secs => $2::bigint / 1000.0) \
         WHERE post_id = $1 AND kind = 'announce' AND done_at IS NULL AND attempts = 0",
    )
    .bind(id)
    .bind(i64::try_from(album_debounce.as_millis()).unwrap_or(i64::MAX))
    .execute(&mut *tx)
    .await?;
    notify(&mut *tx, "post_updated", Some(PostId(id))).await?;
    tx.commit().await?;
    Ok(SubmitOutcome::AlbumPart(PostId(id)))
}

/// Adds the media of `post` after the media already stored; a redelivered part adds nothing.
async fn insert_media(conn: &mut PgConnection, id: i64, post: &NewPost) -> Result<u64, StoreError> {
    if post.media.is_empty() {
        return Ok(0);
    }
    let start: i64 =
        sqlx::query_scalar("SELECT count(*) FROM media WHERE post_id = $1").bind(id).fetch_one(&mut *conn).await?;
    let mut qb = QueryBuilder::<Postgres>::new(
        "INSERT INTO media (post_id, position, kind, file_id, file_unique_id, source_message_id, file_name, mime_type, file_size) ",
    );
    // At most 10 items per album, so 90 parameters: far below PostgreSQL's limit.
    qb.push_values(post.media.iter().enumerate(), |mut b, (i, m)| {
        b.push_bind(id)
            .push_bind(i16::try_from(start + i64::try_from(i).unwrap_or(0)).unwrap_or(i16::MAX))
            .push_bind(m.kind.as_str())
            .push_bind(&m.file_id)
            .push_bind(&m.file_unique_id)
            .push_bind(m.source_message_id)
            .push_bind(m.file_name.as_deref())
            .push_bind(m.mime_type.as_deref())
            .push_bind(m.file_size);
    });
    qb.push(" ON CONFLICT DO NOTHING");
    Ok(qb.build().execute(&mut *conn).await?.rows_affected())
}
