//! Decisions, claims, bans and the moderation log. Each decision is one transaction:
//! lock the post, check state and claim, write status + log row + outbox rows, notify.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use tracing::instrument;

use super::rows::{load_media, load_post, notify, status};
use crate::domain::{ActionSource, ModerationAction, PostId, PostStatus, UserId};
use crate::store::{
    BanRecord, BanRequest, ClaimOutcome, DecideOutcome, Decision, DecisionKind, LogEntry, ModeratorProfile, OutboxKind,
    StoreError,
};

/// Appends one row to the moderation log.
pub(super) async fn log_action(
    conn: &mut PgConnection,
    post: Option<PostId>,
    target: Option<UserId>,
    moderator: Option<UserId>,
    action: ModerationAction,
    source: ActionSource,
    reason: Option<&str>,
    details: serde_json::Value,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO moderation_log (post_id, target_user_id, moderator_id, action, source, reason, details) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(post.map(|p| p.0))
    .bind(target.map(|u| u.0))
    .bind(moderator.map(|u| u.0))
    .bind(action.as_str())
    .bind(source.as_str())
    .bind(reason)
    .bind(details)
    .execute(conn)
    .await?;
    Ok(())
}

/// Queues work for Telegram in the caller's transaction.
pub(super) async fn enqueue(conn: &mut PgConnection, post: PostId, kinds: &[OutboxKind]) -> Result<(), StoreError> {
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    sqlx::query("INSERT INTO outbox (post_id, kind) SELECT $1, k FROM UNNEST($2::text[]) AS k")
        .bind(post.0)
        .bind(kinds)
        .execute(conn)
        .await?;
    Ok(())
}

/// Queues one job for Telegram, due at `at`, with `payload`, in the caller's transaction.
pub(super) async fn enqueue_at(
    conn: &mut PgConnection,
    post: PostId,
    kind: OutboxKind,
    at: DateTime<Utc>,
    payload: serde_json::Value,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO outbox (post_id, kind, next_attempt_at, payload) VALUES ($1, $2, $3, $4)")
        .bind(post.0)
        .bind(kind.as_str())
        .bind(at)
        .bind(payload)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn decide(
    pool: &PgPool,
    d: &Decision,
    publish_at: Option<DateTime<Utc>>,
) -> Result<DecideOutcome, StoreError> {
    decide_making_room(pool, d, publish_at, &[]).await
}

/// [`decide`], an approval first moving other approved posts to make room (`moves`: post, its
/// time now, its new time; applied last first, so each time is free when it is taken): "top of
/// the queue". All in the decision's transaction.
#[instrument(skip_all, fields(post_id = d.post_id.0, moderator_id = d.moderator.0, source = d.source.as_str()), err)]
pub async fn decide_making_room(
    pool: &PgPool,
    d: &Decision,
    publish_at: Option<DateTime<Utc>>,
    moves: &[(PostId, DateTime<Utc>, DateTime<Utc>)],
) -> Result<DecideOutcome, StoreError> {
    let mut tx = pool.begin().await?;
    let Some(row) = load_post(&mut *tx, d.post_id, true).await? else { return Ok(DecideOutcome::NotFound) };
    let current = row.into_record(load_media(&mut *tx, d.post_id).await?)?;
    let (target, action) = match crate::store::decidable(&current, d) {
        Ok(effect) => effect,
        Err(refused) => return Ok(refused),
    };
    if target == PostStatus::Approved {
        make_room(&mut tx, d, moves).await?;
    }

    let reason = match &d.kind {
        DecisionKind::Reject { reason, .. } => Some(reason.encode()),
        _ => None,
    };
    let edited_body = d.kind.edited_body().map(str::to_owned);
    let is_retry = matches!(d.kind, DecisionKind::RetryPublish);
    sqlx::query(
        "UPDATE posts SET status = $2, \
         decided_by = CASE WHEN $6 THEN decided_by ELSE $3 END, \
         decided_at = CASE WHEN $6 THEN decided_at ELSE now() END, \
         reject_reason = $4, body = coalesce($5, body), \
         entities = CASE WHEN $5 IS NULL THEN entities ELSE '[]'::jsonb END, edited_by_moderator = edited_by_moderator OR $5 IS NOT NULL, \
         scheduled_at = CASE WHEN $2 = 'approved' THEN $7 ELSE scheduled_at END, parked = FALSE, \
         publish_error = NULL, changes_requested_at = NULL, claimed_by = NULL, claim_expires_at = NULL, updated_at = now() WHERE id = $1",
    )
    .bind(d.post_id.0)
    .bind(target.as_str())
    .bind(d.moderator.0)
    .bind(reason.as_deref())
    .bind(edited_body.as_deref())
    .bind(is_retry)
    .bind(publish_at)
    .execute(&mut *tx)
    .await?;

    let mut details = match &edited_body {
        Some(body) => serde_json::json!({ "previous_body": current.body, "new_body": body }),
        None => serde_json::json!({}),
    };
    let notice_at = publish_at.filter(|_| target == PostStatus::Rejected);
    let publish_at = publish_at.filter(|_| target == PostStatus::Approved);
    if let Some(at) = publish_at {
        details["scheduled_at"] = serde_json::json!(at);
    }
    log_action(
        &mut tx,
        Some(d.post_id),
        Some(current.author.id),
        d.logged_moderator(),
        action,
        d.source,
        reason.as_deref(),
        details,
    )
    .await?;
    if let DecisionKind::Reject { ban_author: true, .. } = d.kind {
        insert_ban(&mut tx, current.author.id, Some(d.moderator), reason.as_deref().unwrap_or_default()).await?;
        log_action(
            &mut tx,
            Some(d.post_id),
            Some(current.author.id),
            Some(d.moderator),
            ModerationAction::Ban,
            d.source,
            reason.as_deref(),
            serde_json::json!({}),
        )
        .await?;
    }
    let jobs: &[OutboxKind] = match target {
        PostStatus::Approved if publish_at.is_some() => &[OutboxKind::UpdateCard, OutboxKind::NotifyAuthor],
        PostStatus::Approved => &[OutboxKind::Publish, OutboxKind::UpdateCard],
        // Held until its undo window is over: an undo withdraws it unsent.
        _ if notice_at.is_some() => &[OutboxKind::UpdateCard],
        _ => &[OutboxKind::NotifyAuthor, OutboxKind::UpdateCard],
    };
    if let Some(at) = notice_at {
        enqueue_at(&mut tx, d.post_id, OutboxKind::NotifyAuthor, at, serde_json::json!({})).await?;
    }
    enqueue(&mut tx, d.post_id, jobs).await?;
    notify(&mut *tx, "post_decided", Some(d.post_id)).await?;

    let Some(row) = load_post(&mut *tx, d.post_id, false).await? else { return Ok(DecideOutcome::NotFound) };
    let media = load_media(&mut *tx, d.post_id).await?;
    let post = row.into_record(media)?;
    tx.commit().await?;
    Ok(DecideOutcome::Decided { post: Box::new(post) })
}

/// Moves approved posts one slot later each (last first), a log row, a card update and a change
/// event per post; a post no longer at the time the caller saw refuses the whole as the slot
/// index would.
async fn make_room(
    tx: &mut PgConnection,
    d: &Decision,
    moves: &[(PostId, DateTime<Utc>, DateTime<Utc>)],
) -> Result<(), StoreError> {
    for (post, from, to) in moves.iter().rev() {
        let author: Option<i64> = sqlx::query_scalar(
            "UPDATE posts SET scheduled_at = $3, updated_at = now() \
             WHERE id = $1 AND status = 'approved' AND scheduled_at = $2 RETURNING author_id",
        )
        .bind(post.0)
        .bind(from)
        .bind(to)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(author) = author else {
            return Err(StoreError::Constraint {
                constraint: "posts_scheduled_slot".to_owned(),
                message: format!("post {} is no longer at {from} (scheduled_at changed meanwhile)", post.0),
            });
        };
        let details = serde_json::json!({ "from": from, "to": to, "top_of_queue": d.post_id.0 });
        let action = ModerationAction::Reschedule;
        log_action(tx, Some(*post), Some(UserId(author)), d.logged_moderator(), action, d.source, None, details)
            .await?;
        enqueue(tx, *post, &[OutboxKind::UpdateCard]).await?;
        notify(&mut *tx, "post_scheduled", Some(*post)).await?;
    }
    Ok(())
}

#[instrument(skip_all, fields(post_id = id.0, moderator_id = moderator.0), err)]
pub async fn claim(pool: &PgPool, id: PostId, moderator: UserId, ttl_secs: i64) -> Result<ClaimOutcome, StoreError> {
    let mut tx = pool.begin().await?;
    let row: Option<(String, Option<i64>, Option<DateTime<Utc>>)> =
        sqlx::query_as("SELECT status, claimed_by, claim_expires_at FROM posts WHERE id = $1 FOR UPDATE")
            .bind(id.0)
            .fetch_optional(&mut *tx)
            .await?;
    let Some((raw_status, claimed_by, expires)) = row else { return Ok(ClaimOutcome::NotFound) };
    if status(&raw_status)? != PostStatus::Pending {
        return Ok(ClaimOutcome::NotPending);
    }
    if let (Some(by), Some(until)) = (claimed_by, expires)
        && by != moderator.0
        && until > Utc::now()
    {
        return Ok(ClaimOutcome::HeldByOther { by: UserId(by), until });
    }
    let until: DateTime<Utc> = sqlx::query_scalar(
        "UPDATE posts SET claimed_by = $2, claim_expires_at = now() + make_interval(secs => $3::bigint) \
         WHERE id = $1 RETURNING claim_expires_at",
    )
    .bind(id.0)
    .bind(moderator.0)
    .bind(ttl_secs.clamp(1, 3600))
    .fetch_one(&mut *tx)
    .await?;
    notify(&mut *tx, "post_claimed", Some(id)).await?;
    tx.commit().await?;
    Ok(ClaimOutcome::Claimed { until })
}

#[instrument(skip_all, fields(post_id = id.0, moderator_id = moderator.0), err)]
pub async fn release(pool: &PgPool, id: PostId, moderator: UserId) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    let changed =
        sqlx::query("UPDATE posts SET claimed_by = NULL, claim_expires_at = NULL WHERE id = $1 AND claimed_by = $2")
            .bind(id.0)
            .bind(moderator.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if changed > 0 {
        notify(&mut *tx, "post_released", Some(id)).await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn insert_ban(conn: &mut PgConnection, user: UserId, by: Option<UserId>, reason: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO bans (user_id, reason, banned_by) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET reason = EXCLUDED.reason, banned_by = EXCLUDED.banned_by",
    )
    .bind(user.0)
    .bind(reason)
    .bind(by.map(|u| u.0))
    .execute(conn)
    .await?;
    Ok(())
}

#[instrument(skip_all, fields(user_id = b.user.0, moderator_id = b.moderator.0), err)]
pub async fn ban(pool: &PgPool, b: &BanRequest) -> Result<(), StoreError> {
    let mut tx = pool.begin().await?;
    insert_ban(&mut tx, b.user, Some(b.moderator), &b.reason).await?;
    log_action(
        &mut tx,
        b.post,
        Some(b.user),
        Some(b.moderator),
        ModerationAction::Ban,
        b.source,
        Some(&b.reason),
        serde_json::json!({}),
    )
    .await?;
    notify(&mut *tx, "author_banned", b.post).await?;
    tx.commit().await?;
    Ok(())
}

#[instrument(skip_all, fields(user_id = user.0, moderator_id = moderator.0), err)]
pub async fn unban(pool: &PgPool, user: UserId, moderator: UserId, source: ActionSource) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    let removed =
        sqlx::query("DELETE FROM bans WHERE user_id = $1").bind(user.0).execute(&mut *tx).await?.rows_affected();
    if removed > 0 {
        log_action(
            &mut tx,
            None,
            Some(user),
            Some(moderator),
            ModerationAction::Unban,
            source,
            None,
            serde_json::json!({}),
        )
        .await?;
        notify(&mut *tx, "author_unbanned", None).await?;
    }
    tx.commit().await?;
    Ok(removed > 0)
}

#[instrument(skip_all, fields(user_id = user.0), err)]
pub async fn ban_of(pool: &PgPool, user: UserId) -> Result<Option<BanRecord>, StoreError> {
    let row: Option<(i64, String, Option<i64>, DateTime<Utc>)> =
        sqlx::query_as("SELECT user_id, reason, banned_by, created_at FROM bans WHERE user_id = $1")
            .bind(user.0)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(user_id, reason, banned_by, created_at)| BanRecord {
        user_id: UserId(user_id),
        reason,
        banned_by: banned_by.map(UserId),
        created_at,
    }))
}

#[derive(sqlx::FromRow)]
struct LogRow {
    id: i64,
    post_id: Option<i64>,
    target_user_id: Option<i64>,
    moderator_id: Option<i64>,
    action: String,
    source: String,
    reason: Option<String>,
    details: serde_json::Value,
    created_at: DateTime<Utc>,
}

#[instrument(skip_all, fields(post_id = post.map(|p| p.0)), err)]
pub async fn moderation_log(pool: &PgPool, post: Option<PostId>, limit: i64) -> Result<Vec<LogEntry>, StoreError> {
    let rows = sqlx::query_as::<_, LogRow>(
        "SELECT id, post_id, target_user_id, moderator_id, action, source, reason, details, created_at \
         FROM moderation_log WHERE ($1::bigint IS NULL OR post_id = $1) ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(post.map(|p| p.0))
    .bind(limit.clamp(1, 1000))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| LogEntry {
            id: r.id,
            post_id: r.post_id.map(PostId),
            target_user_id: r.target_user_id.map(UserId),
            moderator_id: r.moderator_id.map(UserId),
            action: r.action,
            source: r.source,
            reason: r.reason,
            details: r.details,
            created_at: r.created_at,
        })
        .collect())
}

#[instrument(skip_all, fields(moderator_id = m.id.0), err)]
pub async fn upsert_moderator(pool: &PgPool, m: &ModeratorProfile) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO moderators (user_id, display_name, username, source) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET display_name = EXCLUDED.display_name, username = EXCLUDED.username, \
         updated_at = now() WHERE (moderators.display_name, moderators.username) \
         IS DISTINCT FROM (EXCLUDED.display_name, EXCLUDED.username)",
    )
    .bind(m.id.0)
    .bind(&m.display_name)
    .bind(m.username.as_deref())
    .bind(m.source)
    .execute(pool)
    .await?;
    Ok(())
}

#[instrument(skip_all, fields(moderator_id = id.0), err)]
pub async fn moderator_name(pool: &PgPool, id: UserId) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT display_name FROM moderators WHERE user_id = $1")
        .bind(id.0)
        .fetch_optional(pool)
        .await?)
}
