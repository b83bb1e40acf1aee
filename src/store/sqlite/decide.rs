//! Decisions, claims and bans on `SQLite`. Each runs as one transaction on the writer: the post
//! read there is as good as locked (there is one writer), so the state and claim checks and the
//! status + log row + outbox rows they allow are applied exactly once; consoles hear of the
//! change after the commit.

#[path = "import.rs"]
mod import;
#[cfg(test)]
#[path = "decide_tests.rs"]
mod tests;

use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, SqliteConnection};
use tracing::instrument;

pub use self::import::import_bans;
use super::Db;
use super::rows::{self, NOW, load_record, now_plus, status};
use super::writes::{enqueue, enqueue_at, log_action};
use crate::domain::{ActionSource, ModerationAction, PostId, PostStatus, UserId};
use crate::store::{
    BanRecord, BanRequest, ClaimOutcome, DecideOutcome, Decision, DecisionKind, OutboxKind, StoreError,
};

/// The longest claim a moderator can take, in seconds (as on `PostgreSQL`).
const MAX_CLAIM_SECS: i64 = 3600;

pub async fn decide(db: &Db, d: &Decision, publish_at: Option<DateTime<Utc>>) -> Result<DecideOutcome, StoreError> {
    decide_making_room(db, d, publish_at, &[]).await
}

/// [`decide`], an approval first moving other approved posts to make room (`moves`: post, its
/// time now, its new time; applied last first, so each time is free when it is taken): "top of
/// the queue". All in the decision's transaction.
#[instrument(skip_all, fields(post_id = d.post_id.0, moderator_id = d.moderator.0, source = d.source.as_str()), err)]
pub async fn decide_making_room(
    db: &Db,
    d: &Decision,
    publish_at: Option<DateTime<Utc>>,
    moves: &[(PostId, DateTime<Utc>, DateTime<Utc>)],
) -> Result<DecideOutcome, StoreError> {
    let mut tx = db.writer.begin().await?;
    let Some(current) = load_record(&mut tx, d.post_id).await? else { return Ok(DecideOutcome::NotFound) };
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
    let edited_body = d.kind.edited_body();
    let is_retry = matches!(d.kind, DecisionKind::RetryPublish);
    // A retry keeps who approved and when; an edited text drops the author's entities (their
    // offsets point into the old text) and is what search reads from now on.
    let sql = format!(
        "UPDATE posts SET status = ?2, \
         decided_by = CASE WHEN ?6 THEN decided_by ELSE ?3 END, \
         decided_at = CASE WHEN ?6 THEN decided_at ELSE {NOW} END, \
         reject_reason = ?4, body = coalesce(?5, body), search_text = coalesce(?7, search_text), \
         entities = CASE WHEN ?5 IS NULL THEN entities ELSE '[]' END, \
         edited_by_moderator = edited_by_moderator OR ?5 IS NOT NULL, \
         scheduled_at = CASE WHEN ?2 = 'approved' THEN ?8 ELSE scheduled_at END, parked = 0, \
         publish_error = NULL, changes_requested_at = NULL, claimed_by = NULL, claim_expires_at = NULL, updated_at = {NOW} WHERE id = ?1"
    );
    sqlx::query(AssertSqlSafe(sql))
        .bind(d.post_id.0)
        .bind(target.as_str())
        .bind(d.moderator.0)
        .bind(reason.as_deref())
        .bind(edited_body)
        .bind(is_retry)
        .bind(edited_body.map(rows::fold))
        .bind(publish_at.map(rows::stamp))
        .execute(&mut *tx)
        .await?;

    let mut details = match edited_body {
        Some(body) => serde_json::json!({ "previous_body": current.body, "new_body": body }),
        None => serde_json::json!({}),
    };
    let notice_at = publish_at.filter(|_| target == PostStatus::Rejected);
    let publish_at = publish_at.filter(|_| target == PostStatus::Approved);
    if let Some(at) = publish_at {
        details["scheduled_at"] = serde_json::json!(at);
    }
    let author = Some(current.author.id);
    let moderator = d.logged_moderator();
    log_action(&mut tx, Some(d.post_id), author, moderator, action, d.source, reason.as_deref(), &details).await?;
    if let DecisionKind::Reject { ban_author: true, .. } = d.kind {
        insert_ban(&mut tx, current.author.id, moderator, reason.as_deref().unwrap_or_default()).await?;
        let none = serde_json::json!({});
        let ban = ModerationAction::Ban;
        log_action(&mut tx, Some(d.post_id), author, moderator, ban, d.source, reason.as_deref(), &none).await?;
    }
    let jobs: &[OutboxKind] = match target {
        PostStatus::Approved if publish_at.is_some() => &[OutboxKind::UpdateCard, OutboxKind::NotifyAuthor],
        PostStatus::Approved => &[OutboxKind::Publish, OutboxKind::UpdateCard],
        // Held until its undo window is over: an undo withdraws it unsent.
        _ if notice_at.is_some() => &[OutboxKind::UpdateCard],
        _ => &[OutboxKind::NotifyAuthor, OutboxKind::UpdateCard],
    };
    if let Some(at) = notice_at {
        enqueue_at(&mut tx, d.post_id, OutboxKind::NotifyAuthor, at, &serde_json::json!({})).await?;
    }
    enqueue(&mut tx, d.post_id, jobs).await?;

    let Some(post) = load_record(&mut tx, d.post_id).await? else { return Ok(DecideOutcome::NotFound) };
    tx.commit().await?;
    db.emit("post_decided", Some(d.post_id));
    for (moved, ..) in moves.iter().filter(|_| target == PostStatus::Approved) {
        db.emit("post_scheduled", Some(*moved));
    }
    Ok(DecideOutcome::Decided { post: Box::new(post) })
}

/// Moves approved posts one slot later each (last first), a log row and a card update per post;
/// a post no longer at the time the caller saw refuses the whole as the slot index would.
async fn make_room(
    tx: &mut SqliteConnection,
    d: &Decision,
    moves: &[(PostId, DateTime<Utc>, DateTime<Utc>)],
) -> Result<(), StoreError> {
    for (post, from, to) in moves.iter().rev() {
        let sql = format!(
            "UPDATE posts SET scheduled_at = ?3, updated_at = {NOW} \
             WHERE id = ?1 AND status = 'approved' AND scheduled_at = ?2 RETURNING author_id"
        );
        let author: Option<i64> = sqlx::query_scalar(AssertSqlSafe(sql))
            .bind(post.0)
            .bind(rows::stamp(*from))
            .bind(rows::stamp(*to))
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
        log_action(tx, Some(*post), Some(UserId(author)), d.logged_moderator(), action, d.source, None, &details)
            .await?;
        enqueue(tx, *post, &[OutboxKind::UpdateCard]).await?;
    }
    Ok(())
}

#[instrument(skip_all, fields(post_id = id.0, moderator_id = moderator.0), err)]
pub async fn claim(db: &Db, id: PostId, moderator: UserId, ttl_secs: i64) -> Result<ClaimOutcome, StoreError> {
    let mut tx = db.writer.begin().await?;
    let row: Option<(String, Option<i64>, Option<DateTime<Utc>>)> =
        sqlx::query_as("SELECT status, claimed_by, claim_expires_at FROM posts WHERE id = ?1")
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
    let sql = format!(
        "UPDATE posts SET claimed_by = ?2, claim_expires_at = {} WHERE id = ?1 RETURNING claim_expires_at",
        now_plus("?3")
    );
    let until: DateTime<Utc> = sqlx::query_scalar(AssertSqlSafe(sql))
        .bind(id.0)
        .bind(moderator.0)
        .bind(ttl_secs.clamp(1, MAX_CLAIM_SECS))
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    db.emit("post_claimed", Some(id));
    Ok(ClaimOutcome::Claimed { until })
}

#[instrument(skip_all, fields(post_id = id.0, moderator_id = moderator.0), err)]
pub async fn release(db: &Db, id: PostId, moderator: UserId) -> Result<(), StoreError> {
    let changed =
        sqlx::query("UPDATE posts SET claimed_by = NULL, claim_expires_at = NULL WHERE id = ?1 AND claimed_by = ?2")
            .bind(id.0)
            .bind(moderator.0)
            .execute(&db.writer)
            .await?
            .rows_affected();
    if changed > 0 {
        db.emit("post_released", Some(id));
    }
    Ok(())
}

/// Records a ban, or refreshes its reason and moderator when the user is already banned.
async fn insert_ban(
    conn: &mut SqliteConnection,
    user: UserId,
    by: Option<UserId>,
    reason: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO bans (user_id, reason, banned_by) VALUES (?1, ?2, ?3) \
         ON CONFLICT (user_id) DO UPDATE SET reason = excluded.reason, banned_by = excluded.banned_by",
    )
    .bind(user.0)
    .bind(reason)
    .bind(by.map(|u| u.0))
    .execute(conn)
    .await?;
    Ok(())
}

#[instrument(skip_all, fields(user_id = b.user.0, moderator_id = b.moderator.0), err)]
pub async fn ban(db: &Db, b: &BanRequest) -> Result<(), StoreError> {
    let mut tx = db.writer.begin().await?;
    insert_ban(&mut tx, b.user, Some(b.moderator), &b.reason).await?;
    let action = ModerationAction::Ban;
    let details = serde_json::json!({});
    log_action(&mut tx, b.post, Some(b.user), Some(b.moderator), action, b.source, Some(&b.reason), &details).await?;
    tx.commit().await?;
    db.emit("author_banned", b.post);
    Ok(())
}

#[instrument(skip_all, fields(user_id = user.0, moderator_id = moderator.0), err)]
pub async fn unban(db: &Db, user: UserId, moderator: UserId, source: ActionSource) -> Result<bool, StoreError> {
    let mut tx = db.writer.begin().await?;
    let removed =
        sqlx::query("DELETE FROM bans WHERE user_id = ?1").bind(user.0).execute(&mut *tx).await?.rows_affected();
    if removed == 0 {
        return Ok(false);
    }
    let details = serde_json::json!({});
    log_action(&mut tx, None, Some(user), Some(moderator), ModerationAction::Unban, source, None, &details).await?;
    tx.commit().await?;
    db.emit("author_unbanned", None);
    Ok(true)
}

#[instrument(skip_all, fields(user_id = user.0), err)]
pub async fn ban_of(db: &Db, user: UserId) -> Result<Option<BanRecord>, StoreError> {
    let row: Option<(i64, String, Option<i64>, DateTime<Utc>)> =
        sqlx::query_as("SELECT user_id, reason, banned_by, created_at FROM bans WHERE user_id = ?1")
            .bind(user.0)
            .fetch_optional(&db.reader)
            .await?;
    Ok(row.map(|(user_id, reason, banned_by, created_at)| BanRecord {
        user_id: UserId(user_id),
        reason,
        banned_by: banned_by.map(UserId),
        created_at,
    }))
}
