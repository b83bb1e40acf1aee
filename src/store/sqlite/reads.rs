//! Reads on SQLite: posts, the queue (filters, search, a page and its total), counts by
//! status, the moderation log, moderators. Reads go to the reader pool (WAL: they never wait
//! for the writer); the moderator upsert is the one write here.

use chrono::{DateTime, Utc};
use sqlx::{QueryBuilder, Sqlite};
use tracing::instrument;

use super::Db;
use super::rows::{NOW, POST_COLUMNS, PostRow, SummaryRow, fold, json};
use crate::domain::{PostId, PostStatus, UserId};
use crate::store::{LogEntry, ModeratorProfile, PostPage, PostQuery, PostRecord, PostSummary, QueueStats, StoreError};

/// Search patterns shorter than a trigram cannot use the index; they scan `search_text`.
const TRIGRAM: usize = 3;

#[instrument(skip_all, fields(post_id = id.0), err)]
pub async fn post(db: &Db, id: PostId) -> Result<Option<PostRecord>, StoreError> {
    let mut conn = db.reader.acquire().await?;
    super::rows::load_record(&mut conn, id).await
}

#[derive(sqlx::FromRow)]
struct PostMediaRow {
    post_id: i64,
    #[sqlx(flatten)]
    media: super::rows::MediaRow,
}

#[instrument(skip_all, fields(count = ids.len()), err)]
pub async fn posts(db: &Db, ids: &[PostId]) -> Result<Vec<PostRecord>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let ids = serde_json::Value::from(ids.iter().map(|id| id.0).collect::<Vec<_>>()).to_string();
    let sql = format!(
        "SELECT {POST_COLUMNS} FROM posts p JOIN authors a ON a.id = p.author_id \
         WHERE p.id IN (SELECT value FROM json_each(?1))"
    );
    let rows = sqlx::query_as::<_, PostRow>(sqlx::AssertSqlSafe(sql)).bind(&ids).fetch_all(&db.reader).await?;
    let media = sqlx::query_as::<_, PostMediaRow>(
        "SELECT post_id, position, kind, file_id, file_unique_id, file_name, mime_type, file_size, sha256 \
         FROM media WHERE post_id IN (SELECT value FROM json_each(?1)) ORDER BY post_id, source_message_id, position",
    )
    .bind(&ids)
    .fetch_all(&db.reader)
    .await?;
    let mut by_post: std::collections::HashMap<i64, Vec<_>> = std::collections::HashMap::new();
    for row in media {
        by_post.entry(row.post_id).or_default().push(row.media.into_record()?);
    }
    rows.into_iter()
        .map(|row| {
            let own = by_post.remove(&row.id()).unwrap_or_default();
            row.into_record(own)
        })
        .collect()
}

/// The columns of a list line (posts `p`, authors `a`), without its `FROM`.
const SUMMARY_COLUMNS: &str = "SELECT p.id, p.author_id, \
     trim(a.first_name || ' ' || coalesce(a.last_name, '')) AS author_name, \
     CASE WHEN p.status = 'pending' AND p.changes_requested_at IS NOT NULL THEN 'changes_requested' ELSE p.status END AS status, \
     substr(p.body, 1, 160) AS excerpt, \
     (SELECT count(*) FROM media m WHERE m.post_id = p.id) AS media_count, \
     (SELECT m.kind FROM media m WHERE m.post_id = p.id ORDER BY m.position LIMIT 1) AS first_media_kind, \
     p.edited_by_author, p.claimed_by, p.claim_expires_at, p.created_at, p.decided_at, p.flag_mask";

const POSTS_AND_AUTHORS: &str = " FROM posts p JOIN authors a ON a.id = p.author_id";

/// The posts of a queue query: a page (`walk` says how it meets a media-kind filter) or, with
/// `None`, its total, which starts from that kind's media (a `DISTINCT` of the media index)
/// rather than probing every post. A media kind alone is counted from the media index only
/// ([`list_posts`]).
fn push_from(qb: &mut QueryBuilder<Sqlite>, q: &PostQuery, walk: Option<Walk>) {
    let total = walk.is_none();
    match q.media_kind.filter(|_| total) {
        Some(kind) => {
            qb.push(" FROM (SELECT DISTINCT post_id FROM media WHERE kind = ")
                .push_bind(kind.as_str())
                .push(") mk JOIN posts p ON p.id = mk.post_id");
        }
        None => {
            qb.push(" FROM posts p");
        }
    }
    if let Some(walk) = walk {
        qb.push(" JOIN authors a ON a.id = p.author_id");
        if let Some(kind) = q.media_kind {
            match walk {
                Walk::Probe => qb.push(" AND EXISTS (SELECT 1 FROM media m WHERE m.post_id = p.id AND m.kind = "),
                Walk::FromMedia => qb.push(" AND p.id IN (SELECT m.post_id FROM media m WHERE m.kind = "),
            };
            qb.push_bind(kind.as_str()).push(")");
        }
    }
}

/// An FTS5 phrase matching `text` literally (quotes doubled), so no user input is read as
/// query syntax.
fn phrase(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The `WHERE` of a queue query (the media-kind filter is in its `FROM`: [`push_from`]).
fn push_filters(qb: &mut QueryBuilder<Sqlite>, q: &PostQuery) {
    qb.push(" WHERE 1");
    if let Some(s) = q.status {
        // A post asked for changes is stored pending with an open request (see the
        // conversation migration): each of the two is its own filter.
        match s {
            PostStatus::Pending => qb.push(" AND p.status = 'pending' AND p.changes_requested_at IS NULL"),
            PostStatus::ChangesRequested => qb.push(" AND p.status = 'pending' AND p.changes_requested_at IS NOT NULL"),
            other => qb.push(" AND p.status = ").push_bind(other.as_str()),
        };
    }
    if let Some(author) = q.author {
        qb.push(" AND p.author_id = ").push_bind(author.0);
    }
    if let Some(edited) = q.edited {
        qb.push(" AND p.edited_by_author = ").push_bind(edited);
    }
    if let Some(mask) = q.flags {
        qb.push(" AND p.flag_mask <> 0 AND (p.flag_mask & ").push_bind(mask).push(") <> 0");
    }
    if let Some(search) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let folded = fold(search);
        if folded.chars().count() >= TRIGRAM {
            qb.push(" AND p.id IN (SELECT rowid FROM posts_search WHERE posts_search MATCH ")
                .push_bind(phrase(&folded))
                .push(")");
        } else {
            qb.push(" AND instr(p.search_text, ").push_bind(folded).push(") > 0");
        }
    }
}

/// A media kind held by at least one post in this many is walked to by probing posts in date
/// order (a page of 50 is found within a few thousand probes); a rarer one from its media.
const PROBE_WHEN_ONE_IN: i64 = 50;

#[instrument(skip_all, fields(status = ?query.status), err)]
pub async fn list_posts(db: &Db, query: &PostQuery) -> Result<PostPage, StoreError> {
    let only_kind = query.status.is_none()
        && query.author.is_none()
        && query.edited.is_none()
        && query.flags.is_none()
        && query.search.as_deref().is_none_or(|s| s.trim().is_empty());
    if let (Some(kind), true) = (query.media_kind, only_kind) {
        // The total straight from the media index (no post read), and how common the kind
        // is (against the newest post id, an index lookup) picks the page's walk.
        let (total, newest): (i64, Option<i64>) = sqlx::query_as(
            "SELECT (SELECT count(DISTINCT post_id) FROM media WHERE kind = ?1), (SELECT max(id) FROM posts)",
        )
        .bind(kind.as_str())
        .fetch_one(&db.reader)
        .await?;
        let walk =
            if total.saturating_mul(PROBE_WHEN_ONE_IN) >= newest.unwrap_or(0) { Walk::Probe } else { Walk::FromMedia };
        let posts = page(db, query, walk).await?;
        return Ok(PostPage { posts, total });
    }
    let mut count = QueryBuilder::<Sqlite>::new("SELECT count(*)");
    push_from(&mut count, query, None);
    push_filters(&mut count, query);
    // Independent reads on two reader connections: a search costs the slower, not the sum.
    let (posts, total) = tokio::try_join!(page(db, query, Walk::FromMedia), async {
        Ok(count.build_query_scalar::<i64>().fetch_one(&db.reader).await?)
    })?;
    Ok(PostPage { posts, total })
}

/// How a page filtered by media kind finds its posts.
#[derive(Clone, Copy)]
enum Walk {
    /// Posts in date order, each probed for the kind: stops at the page's end.
    Probe,
    /// Every post with that kind (`IN`), then sorted: best when they are few.
    FromMedia,
}

/// One page of the queue, in arrival order.
async fn page(db: &Db, query: &PostQuery, walk: Walk) -> Result<Vec<PostSummary>, StoreError> {
    let limit = if query.limit <= 0 { 50 } else { query.limit.min(200) };
    let mut qb = QueryBuilder::<Sqlite>::new(SUMMARY_COLUMNS);
    push_from(&mut qb, query, Some(walk));
    push_filters(&mut qb, query);
    qb.push(if query.newest_first { " ORDER BY p.arrived_at DESC, p.id DESC" } else { " ORDER BY p.arrived_at, p.id" });
    qb.push(" LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(query.offset.max(0));
    let rows = qb.build_query_as::<SummaryRow>().fetch_all(&db.reader).await?;
    rows.into_iter().map(SummaryRow::into_summary).collect()
}

#[instrument(skip_all, fields(user_id = author.0), err)]
pub async fn recent_posts_of(db: &Db, author: UserId, limit: i64) -> Result<Vec<PostSummary>, StoreError> {
    let sql = format!(
        "{SUMMARY_COLUMNS}{POSTS_AND_AUTHORS} WHERE p.author_id = ?1 ORDER BY p.arrived_at DESC, p.id DESC LIMIT ?2"
    );
    let rows = sqlx::query_as::<_, SummaryRow>(sqlx::AssertSqlSafe(sql))
        .bind(author.0)
        .bind(limit.clamp(1, 100))
        .fetch_all(&db.reader)
        .await?;
    rows.into_iter().map(SummaryRow::into_summary).collect()
}

#[instrument(skip_all, err)]
pub async fn stats(db: &Db) -> Result<QueueStats, StoreError> {
    let row: (i64, i64, i64, i64, i64, i64, i64, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE status = 'pending' AND changes_requested_at IS NULL), count(*) FILTER (WHERE status = 'approved'), \
         count(*) FILTER (WHERE status = 'published'), count(*) FILTER (WHERE status = 'publish_failed'), \
         count(*) FILTER (WHERE status = 'rejected'), \
         count(*) FILTER (WHERE status = 'pending' AND changes_requested_at IS NULL AND edited_by_author), \
         count(*) FILTER (WHERE status = 'pending' AND changes_requested_at IS NOT NULL), \
         (SELECT min(created_at) FROM posts WHERE status = 'pending' AND changes_requested_at IS NULL) FROM posts",
    )
    .fetch_one(&db.reader)
    .await?;
    Ok(QueueStats {
        pending: row.0,
        approved: row.1,
        published: row.2,
        publish_failed: row.3,
        rejected: row.4,
        edited_pending: row.5,
        changes_requested: row.6,
        oldest_pending_at: row.7,
    })
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
    details: String,
    created_at: DateTime<Utc>,
}

#[instrument(skip_all, fields(post_id = post.map(|p| p.0)), err)]
pub async fn moderation_log(db: &Db, post: Option<PostId>, limit: i64) -> Result<Vec<LogEntry>, StoreError> {
    let rows = sqlx::query_as::<_, LogRow>(
        "SELECT id, post_id, target_user_id, moderator_id, action, source, reason, details, created_at \
         FROM moderation_log WHERE (?1 IS NULL OR post_id = ?1) ORDER BY created_at DESC, id DESC LIMIT ?2",
    )
    .bind(post.map(|p| p.0))
    .bind(limit.clamp(1, 1000))
    .fetch_all(&db.reader)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(LogEntry {
                id: r.id,
                post_id: r.post_id.map(PostId),
                target_user_id: r.target_user_id.map(UserId),
                moderator_id: r.moderator_id.map(UserId),
                action: r.action,
                source: r.source,
                reason: r.reason,
                details: json(&r.details)?,
                created_at: r.created_at,
            })
        })
        .collect()
}

#[instrument(skip_all, fields(moderator_id = m.id.0), err)]
pub async fn upsert_moderator(db: &Db, m: &ModeratorProfile) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO moderators (user_id, display_name, username, source) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name, username = excluded.username, \
         updated_at = {NOW} WHERE moderators.display_name IS NOT excluded.display_name \
         OR moderators.username IS NOT excluded.username"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(m.id.0)
        .bind(&m.display_name)
        .bind(m.username.as_deref())
        .bind(m.source)
        .execute(&db.writer)
        .await?;
    Ok(())
}

#[instrument(skip_all, fields(moderator_id = id.0), err)]
pub async fn moderator_name(db: &Db, id: UserId) -> Result<Option<String>, StoreError> {
    Ok(sqlx::query_scalar("SELECT display_name FROM moderators WHERE user_id = ?1")
        .bind(id.0)
        .fetch_optional(&db.reader)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::phrase;

    #[test]
    fn a_search_is_one_literal_phrase() {
        assert_eq!(phrase("привет мир"), "\"привет мир\"");
        assert_eq!(phrase("say \"hi\" OR x"), "\"say \"\"hi\"\" OR x\"");
    }
}
