//! Writes several areas share, always inside the caller's transaction on the writer: a
//! moderation-log row, outbox jobs.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use crate::domain::{ActionSource, ModerationAction, PostId, UserId};
use crate::store::{OutboxKind, StoreError};

/// Appends one moderation-log row.
#[allow(clippy::too_many_arguments)]
pub async fn log_action(
    conn: &mut SqliteConnection,
    post: Option<PostId>,
    target: Option<UserId>,
    moderator: Option<UserId>,
    action: ModerationAction,
    source: ActionSource,
    reason: Option<&str>,
    details: &serde_json::Value,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO moderation_log (post_id, target_user_id, moderator_id, action, source, reason, details) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )
    .bind(post.map(|p| p.0))
    .bind(target.map(|u| u.0))
    .bind(moderator.map(|u| u.0))
    .bind(action.as_str())
    .bind(source.as_str())
    .bind(reason)
    .bind(details.to_string())
    .execute(conn)
    .await?;
    Ok(())
}

/// Queues one job for Telegram, due at `at`, with `payload`.
pub async fn enqueue_at(
    conn: &mut SqliteConnection,
    post: PostId,
    kind: OutboxKind,
    at: DateTime<Utc>,
    payload: &serde_json::Value,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO outbox (post_id, kind, next_attempt_at, payload) VALUES (?1, ?2, ?3, ?4)")
        .bind(post.0)
        .bind(kind.as_str())
        .bind(super::rows::stamp(at))
        .bind(payload.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Queues work for Telegram, due now, with an empty payload.
pub async fn enqueue(conn: &mut SqliteConnection, post: PostId, kinds: &[OutboxKind]) -> Result<(), StoreError> {
    for kind in kinds {
        sqlx::query("INSERT INTO outbox (post_id, kind) VALUES (?1, ?2)")
            .bind(post.0)
            .bind(kind.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
