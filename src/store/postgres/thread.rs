//! The conversation with a post's author on `PostgreSQL`: the thread's messages, requests for
//! changes, the author's answers and revisions, withdrawals and expired requests. Each write
//! is one transaction that locks the post's row first; the change is announced with the
//! commit (`NOTIFY`).

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, PgConnection, PgPool};
use tracing::instrument;

use super::decide::{enqueue, log_action};
use super::outbox::enqueue_card_update;
use super::rows::{load_media, load_post, notify, status};
use crate::domain::{ActionSource, ModerationAction, PostId, PostStatus, RejectReason, UserId};
use crate::store::charts::media_kind_sql;
use crate::store::thread_types::{THREAD_COLUMNS, ThreadRow};
use crate::store::{
    AuthorEdit, DeliveryResult, FromAuthor, FromAuthorOutcome, OutboxKind, PostRecord, Revision, StoreError,
    ThreadKind, ThreadMessage, ToAuthor, ToAuthorOutcome, WithdrawOutcome,
};

/// The post's author, raw status and open request, its row locked for the transaction.
async fn post_state(
    conn: &mut PgConnection,
    id: PostId,
) -> Result<Option<(i64, String, Option<DateTime<Utc>>)>, StoreError> {
    Ok(sqlx::query_as("SELECT author_id, status, changes_requested_at FROM posts WHERE id = $1 FOR UPDATE")
        .bind(id.0)
        .fetch_optional(conn)
        .await?)
}

/// The status a post shows (pending with an open request reads as `changes_requested`).
fn shown(raw: &str, open: Option<DateTime<Utc>>) -> Result<PostStatus, StoreError> {
    let stored = status(raw)?;
    Ok(if stored == PostStatus::Pending && open.is_some() { PostStatus::ChangesRequested } else { stored })
}

async fn load_record(conn: &mut PgConnection, id: PostId) -> Result<Option<PostRecord>, StoreError> {
    let Some(row) = load_post(&mut *conn, id, false).await? else { return Ok(None) };
    let media = load_media(&mut *conn, id).await?;
    Ok(Some(row.into_record(media)?))
}

#[instrument(skip_all, fields(post_id = s.post_id.0, moderator_id = s.moderator.0, request = s.request), err)]
pub async fn send_to_author(pool: &PgPool, s: &ToAuthor) -> Result<ToAuthorOutcome, StoreError> {
    let mut tx = pool.begin().await?;
    let Some((author, raw, open)) = post_state(&mut tx, s.post_id).await? else { return Ok(ToAuthorOutcome::NotFound) };
    let current = shown(&raw, open)?;
    if s.request && !current.is_decidable() {
        return Ok(ToAuthorOutcome::NotOpen { status: current });
    }
    let (kind, action) = if s.request {
        sqlx::query(
            "UPDATE posts SET changes_requested_at = now(), claimed_by = NULL, claim_expires_at = NULL, \
             updated_at = now() WHERE id = $1",
        )
        .bind(s.post_id.0)
        .execute(&mut *tx)
        .await?;
        (ThreadKind::Request, ModerationAction::RequestChanges)
    } else {
        (ThreadKind::Message, ModerationAction::MessageAuthor)
    };
    let message: i64 = sqlx::query_scalar(
        "INSERT INTO post_messages (post_id, direction, kind, moderator_id, body, delivery) \
         VALUES ($1, 'to_author', $2, $3, $4, 'queued') RETURNING id",
    )
    .bind(s.post_id.0)
    .bind(kind.as_str())
    .bind(s.moderator.0)
    .bind(&s.body)
    .fetch_one(&mut *tx)
    .await?;
    let details = serde_json::json!({ "thread_message": message, "text": s.body });
    let (target, moderator) = (Some(UserId(author)), Some(s.moderator));
    log_action(&mut tx, Some(s.post_id), target, moderator, action, s.source, None, details).await?;
    sqlx::query("INSERT INTO outbox (post_id, kind, payload) VALUES ($1, 'notify_author', $2::jsonb)")
        .bind(s.post_id.0)
        .bind(serde_json::json!({ "thread_message": message }).to_string())
        .execute(&mut *tx)
        .await?;
    if s.request {
        enqueue_card_update(&mut tx, s.post_id).await?;
    }
    let event = if s.request { "changes_requested" } else { "thread_message" };
    notify(&mut *tx, event, Some(s.post_id)).await?;
    let Some(post) = load_record(&mut tx, s.post_id).await? else { return Ok(ToAuthorOutcome::NotFound) };
    tx.commit().await?;
    Ok(ToAuthorOutcome::Queued { message_id: message, post: Box::new(post) })
}

/// Replaces a post's content with the author's revision (its media too, when it has some).
async fn revise(conn: &mut PgConnection, id: PostId, r: &Revision) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE posts SET body = $2, entities = $3::jsonb, edited_by_author = TRUE, updated_at = now() WHERE id = $1",
    )
    .bind(id.0)
    .bind(&r.body)
    .bind(r.entities.to_string())
    .execute(&mut *conn)
    .await?;
    if r.media.is_empty() {
        return Ok(());
    }
    enqueue(&mut *conn, id, &[OutboxKind::Fingerprint]).await?;
    sqlx::query("DELETE FROM media WHERE post_id = $1").bind(id.0).execute(&mut *conn).await?;
    for (position, m) in r.media.iter().enumerate() {
        sqlx::query(
            "INSERT INTO media (post_id, position, kind, file_id, file_unique_id, source_message_id, file_name, \
             mime_type, file_size) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.0)
        .bind(i16::try_from(position).unwrap_or(i16::MAX))
        .bind(m.kind.as_str())
        .bind(&m.file_id)
        .bind(&m.file_unique_id)
        .bind(m.source_message_id)
        .bind(m.file_name.as_deref())
        .bind(m.mime_type.as_deref())
        .bind(m.file_size)
        .execute(&mut *conn)
        .await?;
    }
    // New media: the re-post flag was about the old ones (the new ones are fingerprinted), and
    // the media mix counts the new kind.
    let sql = format!("UPDATE posts SET duplicate_of = NULL, media_kind = {} WHERE id = $1", media_kind_sql("$1"));
    sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id.0).execute(&mut *conn).await?;
    Ok(())
}

#[instrument(skip_all, fields(post_id = m.post_id.0, user_id = m.author.0, revision = m.revision.is_some()), err)]
pub async fn author_message(pool: &PgPool, m: &FromAuthor) -> Result<FromAuthorOutcome, StoreError> {
    let mut tx = pool.begin().await?;
    let Some((author, raw, open)) = post_state(&mut tx, m.post_id).await? else {
        return Ok(FromAuthorOutcome::NotFound);
    };
    if author != m.author.0 {
        return Ok(FromAuthorOutcome::NotFound);
    }
    let banned: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM bans WHERE user_id = $1)")
        .bind(author)
        .fetch_one(&mut *tx)
        .await?;
    if banned {
        return Ok(FromAuthorOutcome::Banned);
    }
    let current = shown(&raw, open)?;
    // A decided post keeps its content: only an answer (to a message about it) joins its thread.
    let waiting = current.accepts_author_edits();
    if !waiting && m.revision.is_some() {
        return Ok(FromAuthorOutcome::Closed { status: current });
    }
    let kind = if m.revision.is_some() { ThreadKind::Revision } else { ThreadKind::Answer };
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO post_messages (post_id, direction, kind, body, telegram_message_id, delivery) \
         VALUES ($1, 'from_author', $2, $3, $4, 'received') ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(m.post_id.0)
    .bind(kind.as_str())
    .bind(&m.body)
    .bind(m.telegram_message_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(message) = inserted else { return Ok(FromAuthorOutcome::Duplicate) };
    if let Some(revision) = &m.revision {
        revise(&mut tx, m.post_id, revision).await?;
    }
    if waiting {
        sqlx::query("UPDATE posts SET changes_requested_at = NULL, updated_at = now() WHERE id = $1")
            .bind(m.post_id.0)
            .execute(&mut *tx)
            .await?;
        enqueue_card_update(&mut tx, m.post_id).await?;
    }
    let action = if m.revision.is_some() { ModerationAction::Revised } else { ModerationAction::AuthorReply };
    let details = serde_json::json!({ "thread_message": message, "text": m.body });
    let who = Some(m.author);
    log_action(&mut tx, Some(m.post_id), who, None, action, ActionSource::Telegram, None, details).await?;
    let event = if m.revision.is_some() { "post_edited" } else { "thread_message" };
    notify(&mut *tx, event, Some(m.post_id)).await?;
    let Some(post) = load_record(&mut tx, m.post_id).await? else { return Ok(FromAuthorOutcome::NotFound) };
    tx.commit().await?;
    Ok(FromAuthorOutcome::Attached { post: Box::new(post), reopened: open.is_some() })
}

/// An author's edit of a post asked for changes is its new version (in the edit's
/// transaction, after the content was replaced): the request is closed — the post is pending
/// again — and the thread and the log say so. Nothing for a post without an open request.
pub(super) async fn edit_answers_request(
    conn: &mut PgConnection,
    id: PostId,
    edit: &AuthorEdit,
) -> Result<(), StoreError> {
    let author: Option<i64> = sqlx::query_scalar(
        "UPDATE posts SET changes_requested_at = NULL WHERE id = $1 AND changes_requested_at IS NOT NULL \
         RETURNING author_id",
    )
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(author) = author else { return Ok(()) };
    // No message id: the edited message may already be in the thread, and may be edited again.
    let message: i64 = sqlx::query_scalar(
        "INSERT INTO post_messages (post_id, direction, kind, body, delivery) \
         VALUES ($1, 'from_author', 'revision', $2, 'received') RETURNING id",
    )
    .bind(id.0)
    .bind(&edit.body)
    .fetch_one(&mut *conn)
    .await?;
    let details =
        serde_json::json!({ "thread_message": message, "text": edit.body, "edited_message": edit.source_message_id });
    let (action, source) = (ModerationAction::Revised, ActionSource::Telegram);
    log_action(conn, Some(id), Some(UserId(author)), None, action, source, None, details).await
}

/// Rejects a post waiting for a decision with a system reason (the caller checked it waits).
async fn close(conn: &mut PgConnection, id: PostId, decided_by: i64, reason: &RejectReason) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE posts SET status = 'rejected', decided_by = $2, decided_at = now(), reject_reason = $3, \
         changes_requested_at = NULL, claimed_by = NULL, claim_expires_at = NULL, updated_at = now() WHERE id = $1",
    )
    .bind(id.0)
    .bind(decided_by)
    .bind(reason.encode())
    .execute(conn)
    .await?;
    Ok(())
}

#[instrument(skip_all, fields(post_id = id.0, user_id = author.0), err)]
pub async fn withdraw(pool: &PgPool, id: PostId, author: UserId) -> Result<WithdrawOutcome, StoreError> {
    let mut tx = pool.begin().await?;
    let Some((owner, raw, open)) = post_state(&mut tx, id).await? else { return Ok(WithdrawOutcome::NotFound) };
    if owner != author.0 {
        return Ok(WithdrawOutcome::NotFound);
    }
    let current = shown(&raw, open)?;
    if !current.is_decidable() {
        return Ok(WithdrawOutcome::Closed { status: current });
    }
    let reason = RejectReason::withdrawn();
    // The author decided: the post names them as its decider.
    close(&mut tx, id, author.0, &reason).await?;
    let encoded = reason.encode();
    let (action, source) = (ModerationAction::Withdraw, ActionSource::Telegram);
    log_action(&mut tx, Some(id), Some(author), None, action, source, Some(&encoded), serde_json::json!({})).await?;
    enqueue_card_update(&mut tx, id).await?;
    notify(&mut *tx, "post_decided", Some(id)).await?;
    let Some(post) = load_record(&mut tx, id).await? else { return Ok(WithdrawOutcome::NotFound) };
    tx.commit().await?;
    Ok(WithdrawOutcome::Withdrawn { post: Box::new(post) })
}

#[instrument(skip_all, fields(before = %requested_before), err)]
pub async fn expire_change_requests(
    pool: &PgPool,
    requested_before: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<PostId>, StoreError> {
    // Checked every second: a read on the partial index, a transaction only when something is due.
    let any: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM posts WHERE status = 'pending' AND changes_requested_at IS NOT NULL \
           AND changes_requested_at < $1)",
    )
    .bind(requested_before)
    .fetch_one(pool)
    .await?;
    if !any {
        return Ok(Vec::new());
    }
    let mut tx = pool.begin().await?;
    // The moderator who asked decides the expiry (a decided post names who decided it).
    let due: Vec<(i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT p.id, p.author_id, (SELECT m.moderator_id FROM post_messages m WHERE m.post_id = p.id \
           AND m.kind = 'request' ORDER BY m.id DESC LIMIT 1) \
         FROM posts p WHERE p.status = 'pending' AND p.changes_requested_at IS NOT NULL \
           AND p.changes_requested_at < $1 ORDER BY p.changes_requested_at, p.id LIMIT $2 FOR UPDATE OF p SKIP LOCKED",
    )
    .bind(requested_before)
    .bind(limit.max(1))
    .fetch_all(&mut *tx)
    .await?;
    let reason = RejectReason::no_answer();
    let encoded = reason.encode();
    for (id, author, asked_by) in &due {
        let (post, author) = (PostId(*id), UserId(*author));
        close(&mut tx, post, asked_by.unwrap_or(author.0), &reason).await?;
        let (action, source) = (ModerationAction::ChangesExpired, ActionSource::System);
        log_action(&mut tx, Some(post), Some(author), None, action, source, Some(&encoded), serde_json::json!({}))
            .await?;
        enqueue(&mut tx, post, &[OutboxKind::NotifyAuthor, OutboxKind::UpdateCard]).await?;
        notify(&mut *tx, "post_decided", Some(post)).await?;
    }
    tx.commit().await?;
    Ok(due.iter().map(|(id, ..)| PostId(*id)).collect())
}

#[instrument(skip_all, fields(post_id = id.0), err)]
pub async fn thread(pool: &PgPool, id: PostId) -> Result<Vec<ThreadMessage>, StoreError> {
    let sql = format!("SELECT {THREAD_COLUMNS} WHERE m.post_id = $1 ORDER BY m.id");
    let rows: Vec<ThreadRow> = sqlx::query_as(AssertSqlSafe(sql)).bind(id.0).fetch_all(pool).await?;
    rows.into_iter().map(ThreadRow::into_message).collect()
}

#[instrument(skip_all, fields(thread_message = message), err)]
pub async fn thread_delivered(pool: &PgPool, message: i64, result: &DeliveryResult) -> Result<(), StoreError> {
    let (delivery, telegram, error) = match result {
        DeliveryResult::Sent { telegram_message_id } => ("sent", Some(*telegram_message_id), None),
        DeliveryResult::Undelivered { error } => ("undelivered", None, Some(error.as_str())),
    };
    let mut tx = pool.begin().await?;
    let post: Option<i64> = sqlx::query_scalar(
        "UPDATE post_messages SET delivery = $2, telegram_message_id = coalesce($3, telegram_message_id), \
         error = $4, delivered_at = now() WHERE id = $1 AND direction = 'to_author' RETURNING post_id",
    )
    .bind(message)
    .bind(delivery)
    .bind(telegram)
    .bind(error)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(post) = post {
        notify(&mut *tx, "thread_message", Some(PostId(post))).await?;
    }
    tx.commit().await?;
    Ok(())
}

#[instrument(skip_all, fields(chat_id = chat, reply_to = ?reply_to), err)]
pub async fn thread_target(
    pool: &PgPool,
    chat: i64,
    reply_to: Option<i32>,
    requested_since: DateTime<Utc>,
) -> Result<Option<PostId>, StoreError> {
    if let Some(reply_to) = reply_to {
        let found: Option<i64> = sqlx::query_scalar(
            "SELECT m.post_id FROM post_messages m JOIN posts p ON p.id = m.post_id \
             WHERE m.direction = 'to_author' AND m.telegram_message_id = $1 AND p.source_chat_id = $2 \
             ORDER BY m.id DESC LIMIT 1",
        )
        .bind(reply_to)
        .bind(chat)
        .fetch_optional(pool)
        .await?;
        if let Some(post) = found {
            return Ok(Some(PostId(post)));
        }
    }
    let open: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM posts WHERE status = 'pending' AND changes_requested_at IS NOT NULL \
           AND changes_requested_at >= $1 AND source_chat_id = $2 ORDER BY changes_requested_at DESC, id DESC LIMIT 1",
    )
    .bind(requested_since)
    .bind(chat)
    .fetch_optional(pool)
    .await?;
    Ok(open.map(PostId))
}
