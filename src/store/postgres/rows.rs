//! Row types as `PostgreSQL` returns them, and their checked conversion to domain records.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use crate::domain::{MediaKind, PostId, PostStatus, RejectReason, UserId};
use crate::store::{AuthorProfile, MaybeTwice, MediaRecord, PostRecord, PostSummary, StoreError};

/// The columns every post query selects (posts `p` joined with authors `a`).
pub const POST_COLUMNS: &str = "p.id, p.author_id, a.username, a.first_name, a.last_name, a.language_code, \
     p.source_chat_id, p.source_message_id, p.media_group_id, p.body, p.entities, \
     CASE WHEN p.status = 'pending' AND p.changes_requested_at IS NOT NULL THEN 'changes_requested' ELSE p.status END AS status, \
     p.edited_by_author, p.edited_by_moderator, p.reject_reason, p.decided_by, p.decided_at, \
     p.publish_error, p.published_at, p.channel_message_id, p.moderation_message_id, \
     p.claimed_by, p.claim_expires_at, p.created_at, p.updated_at, p.duplicate_of, p.card_error, \
     p.receipt_sent_at, p.card_maybe_twice, p.published_maybe_twice, p.scheduled_at, p.parked, p.signed, \
     p.changes_requested_at, p.flags";

#[derive(FromRow)]
#[allow(clippy::struct_excessive_bools, reason = "one field per column")]
pub struct PostRow {
    id: i64,
    author_id: i64,
    username: Option<String>,
    first_name: String,
    last_name: Option<String>,
    language_code: Option<String>,
    source_chat_id: i64,
    source_message_id: i32,
    media_group_id: Option<String>,
    body: String,
    entities: serde_json::Value,
    status: String,
    edited_by_author: bool,
    edited_by_moderator: bool,
    reject_reason: Option<String>,
    decided_by: Option<i64>,
    decided_at: Option<DateTime<Utc>>,
    publish_error: Option<String>,
    published_at: Option<DateTime<Utc>>,
    channel_message_id: Option<i32>,
    moderation_message_id: Option<i32>,
    claimed_by: Option<i64>,
    claim_expires_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    duplicate_of: Option<i64>,
    card_error: Option<String>,
    receipt_sent_at: Option<DateTime<Utc>>,
    card_maybe_twice: bool,
    published_maybe_twice: bool,
    scheduled_at: Option<DateTime<Utc>>,
    parked: bool,
    signed: Option<bool>,
    changes_requested_at: Option<DateTime<Utc>>,
    flags: Option<sqlx::types::Json<crate::flags::PostFlags>>,
}

#[derive(FromRow)]
pub struct MediaRow {
    position: i16,
    kind: String,
    file_id: String,
    file_unique_id: String,
    file_name: Option<String>,
    mime_type: Option<String>,
    file_size: Option<i64>,
    sha256: Option<String>,
}

#[derive(FromRow)]
pub struct SummaryRow {
    id: i64,
    author_id: i64,
    author_name: String,
    status: String,
    excerpt: String,
    media_count: i64,
    first_media_kind: Option<String>,
    edited_by_author: bool,
    claimed_by: Option<i64>,
    claim_expires_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    decided_at: Option<DateTime<Utc>>,
    flag_mask: i64,
}

pub fn status(raw: &str) -> Result<PostStatus, StoreError> {
    raw.parse().map_err(StoreError::Corrupt)
}

pub fn kind(raw: &str) -> Result<MediaKind, StoreError> {
    raw.parse().map_err(|e: crate::domain::MediaKindError| StoreError::Corrupt(e.to_string()))
}

impl MediaRow {
    pub fn into_record(self) -> Result<MediaRecord, StoreError> {
        Ok(MediaRecord {
            position: self.position,
            kind: kind(&self.kind)?,
            file_id: self.file_id,
            file_unique_id: self.file_unique_id,
            file_name: self.file_name,
            mime_type: self.mime_type,
            file_size: self.file_size,
            sha256: self.sha256,
        })
    }
}

impl PostRow {
    pub fn id(&self) -> i64 {
        self.id
    }

    pub fn into_record(self, media: Vec<MediaRecord>) -> Result<PostRecord, StoreError> {
        Ok(PostRecord {
            id: PostId(self.id),
            author: AuthorProfile {
                id: UserId(self.author_id),
                username: self.username,
                first_name: self.first_name,
                last_name: self.last_name,
                language_code: self.language_code,
            },
            source_chat_id: self.source_chat_id,
            source_message_id: self.source_message_id,
            media_group_id: self.media_group_id,
            body: self.body,
            entities: self.entities,
            status: status(&self.status)?,
            edited_by_author: self.edited_by_author,
            edited_by_moderator: self.edited_by_moderator,
            reject_reason: self.reject_reason.as_deref().map(RejectReason::decode),
            decided_by: self.decided_by.map(UserId),
            decided_at: self.decided_at,
            publish_error: self.publish_error,
            published_at: self.published_at,
            channel_message_id: self.channel_message_id,
            moderation_message_id: self.moderation_message_id,
            claimed_by: self.claimed_by.map(UserId),
            claim_expires_at: self.claim_expires_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            duplicate_of: self.duplicate_of.map(PostId),
            card_error: self.card_error,
            receipt_sent_at: self.receipt_sent_at,
            maybe_twice: MaybeTwice { card: self.card_maybe_twice, publication: self.published_maybe_twice },
            scheduled_at: self.scheduled_at,
            parked: self.parked,
            signed: self.signed,
            changes_requested_at: self.changes_requested_at,
            flags: self.flags.map(|f| f.0),
            media,
        })
    }
}

impl SummaryRow {
    pub fn into_summary(self) -> Result<PostSummary, StoreError> {
        Ok(PostSummary {
            id: PostId(self.id),
            author_id: UserId(self.author_id),
            author_name: self.author_name,
            status: status(&self.status)?,
            excerpt: self.excerpt,
            media_count: self.media_count,
            first_media_kind: self.first_media_kind.as_deref().map(kind).transpose()?,
            edited_by_author: self.edited_by_author,
            claimed_by: self.claimed_by.map(UserId),
            claim_expires_at: self.claim_expires_at,
            created_at: self.created_at,
            decided_at: self.decided_at,
            flag_mask: self.flag_mask,
        })
    }
}

/// Loads one post with its media through any executor (pool or open transaction).
pub async fn load_post<'c, E>(exec: E, id: PostId, lock: bool) -> Result<Option<PostRow>, StoreError>
where
    E: sqlx::PgExecutor<'c>,
{
    let lock = if lock { " FOR UPDATE OF p" } else { "" };
    let sql = format!("SELECT {POST_COLUMNS} FROM posts p JOIN authors a ON a.id = p.author_id WHERE p.id = $1{lock}");
    Ok(sqlx::query_as::<_, PostRow>(sqlx::AssertSqlSafe(sql)).bind(id.0).fetch_optional(exec).await?)
}

/// The media of a post, in album order.
pub async fn load_media<'c, E>(exec: E, id: PostId) -> Result<Vec<MediaRecord>, StoreError>
where
    E: sqlx::PgExecutor<'c>,
{
    let rows = sqlx::query_as::<_, MediaRow>(
        "SELECT position, kind, file_id, file_unique_id, file_name, mime_type, file_size, sha256 \
         FROM media WHERE post_id = $1 ORDER BY source_message_id, position",
    )
    .bind(id.0)
    .fetch_all(exec)
    .await?;
    rows.into_iter().map(MediaRow::into_record).collect()
}

/// Several posts (with their authors' profiles), in no particular order.
pub async fn load_posts(pool: &sqlx::PgPool, ids: &[i64]) -> Result<Vec<PostRow>, StoreError> {
    let sql = format!("SELECT {POST_COLUMNS} FROM posts p JOIN authors a ON a.id = p.author_id WHERE p.id = ANY($1)");
    Ok(sqlx::query_as::<_, PostRow>(sqlx::AssertSqlSafe(sql)).bind(ids).fetch_all(pool).await?)
}

#[derive(FromRow)]
struct PostMediaRow {
    post_id: i64,
    #[sqlx(flatten)]
    media: MediaRow,
}

/// The media of several posts, by post, each in album order.
pub async fn load_media_of(
    pool: &sqlx::PgPool,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<MediaRecord>>, StoreError> {
    let rows = sqlx::query_as::<_, PostMediaRow>(
        "SELECT post_id, position, kind, file_id, file_unique_id, file_name, mime_type, file_size, sha256 \
         FROM media WHERE post_id = ANY($1) ORDER BY post_id, source_message_id, position",
    )
    .bind(ids)
    .fetch_all(pool)
    .await?;
    let mut by_post: std::collections::HashMap<i64, Vec<MediaRecord>> = std::collections::HashMap::new();
    for row in rows {
        by_post.entry(row.post_id).or_default().push(row.media.into_record()?);
    }
    Ok(by_post)
}

/// Announces a change to every listener (delivered when the transaction commits).
pub async fn notify<'c, E>(exec: E, event: &str, post: Option<PostId>) -> Result<(), StoreError>
where
    E: sqlx::PgExecutor<'c>,
{
    let payload = serde_json::json!({ "event": event, "post_id": post.map(|p| p.0) }).to_string();
    sqlx::query("SELECT pg_notify($1, $2)").bind(super::EVENTS_CHANNEL).bind(payload).execute(exec).await?;
    Ok(())
}
