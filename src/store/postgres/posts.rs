//! Authors and posts: profiles, author edits, reads and listing (intake is in `submit.rs`).

use sqlx::{PgPool, Postgres, QueryBuilder};
use tracing::instrument;

use super::rows::{SummaryRow, load_media, load_media_of, load_post, load_posts, notify, status};
use crate::domain::{PostId, PostStatus, UserId};
use crate::store::{
    AuthorEdit, AuthorEditOutcome, AuthorProfile, AuthorRecord, PostPage, PostQuery, PostRecord, PostSummary,
    StoreError,
};

const UPSERT_AUTHOR: &str = "INSERT INTO authors (id, username, first_name, last_name, language_code) \
     VALUES ($1, $2, $3, $4, $5) \
     ON CONFLICT (id) DO UPDATE SET username = EXCLUDED.username, first_name = EXCLUDED.first_name, \
     last_name = EXCLUDED.last_name, language_code = EXCLUDED.language_code, updated_at = now() \
     WHERE (authors.username, authors.first_name, authors.last_name, authors.language_code) \
     IS DISTINCT FROM (EXCLUDED.username, EXCLUDED.first_name, EXCLUDED.last_name, EXCLUDED.language_code)";

fn upsert_author_query(a: &AuthorProfile) -> sqlx::query::Query<'_, Postgres, sqlx::postgres::PgArguments> {
    sqlx::query(UPSERT_AUTHOR)
        .bind(a.id.0)
        .bind(a.username.as_deref())
        .bind(&a.first_name)
        .bind(a.last_name.as_deref())
        .bind(a.language_code.as_deref())
}

#[instrument(skip_all, fields(user_id = author.id.0), err)]
pub async fn upsert_author(pool: &PgPool, author: &AuthorProfile) -> Result<(), StoreError> {
    upsert_author_query(author).execute(pool).await?;
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

#[instrument(skip_all, fields(user_id = id.0), err)]
pub async fn author(pool: &PgPool, id: UserId) -> Result<Option<AuthorRecord>, StoreError> {
    Ok(authors(pool, &[id]).await?.pop())
}

/// Several authors' profiles and counts in one query (the outbox renders a batch of cards). The
/// counts are a lateral subquery per author, so they always read that author's posts by index.
#[instrument(skip_all, fields(count = ids.len()), err)]
pub async fn authors(pool: &PgPool, ids: &[UserId]) -> Result<Vec<AuthorRecord>, StoreError> {
    let rows = sqlx::query_as::<_, AuthorRow>(
        "SELECT a.id, a.username, a.first_name, a.last_name, a.language_code, a.locale_override, a.created_at, \
         s.approved, s.rejected, s.pending, \
         coalesce((SELECT true FROM bans b WHERE b.user_id = a.id LIMIT 1), false) AS banned \
         FROM authors a CROSS JOIN LATERAL ( \
           SELECT count(*) FILTER (WHERE p.status IN ('approved', 'published', 'publish_failed')) AS approved, \
                  count(*) FILTER (WHERE p.status = 'rejected') AS rejected, \
                  count(*) FILTER (WHERE p.status = 'pending') AS pending \
           FROM posts p WHERE p.author_id = a.id) s \
         WHERE a.id = ANY($1)",
    )
    .bind(ids.iter().map(|id| id.0).collect::<Vec<_>>())
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AuthorRecord {
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
        })
        .collect())
}

/// The locale an author chose with /language (`None` when they did not, or are unknown).
#[instrument(skip_all, fields(user_id = id.0), err)]
pub async fn locale_override(pool: &PgPool, id: UserId) -> Result<Option<String>, StoreError> {
    let found: Option<Option<String>> =
        sqlx::query_scalar("SELECT locale_override FROM authors WHERE id = $1").bind(id.0).fetch_optional(pool).await?;
    Ok(found.flatten())
}

#[instrument(skip_all, fields(user_id = id.0), err)]
pub async fn set_locale_override(pool: &PgPool, id: UserId, locale: Option<&str>) -> Result<(), StoreError> {
    sqlx::query("UPDATE authors SET locale_override = $2, updated_at = now() WHERE id = $1")
        .bind(id.0)
        .bind(locale)
        .execute(pool)
        .await?;
    Ok(())
}

#[instrument(skip_all, fields(chat_id = edit.source_chat_id, message_id = edit.source_message_id, post_id), err)]
pub async fn author_edit(pool: &PgPool, edit: &AuthorEdit) -> Result<AuthorEditOutcome, StoreError> {
    let mut tx = pool.begin().await?;
    let found: Option<(i64, String)> = sqlx::query_as(
        "SELECT p.id, p.status FROM posts p WHERE p.source_chat_id = $1 AND (p.source_message_id = $2 \
         OR EXISTS (SELECT 1 FROM media m WHERE m.post_id = p.id AND m.source_message_id = $2)) FOR UPDATE",
    )
    .bind(edit.source_chat_id)
    .bind(edit.source_message_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((id, raw_status)) = found else { return Ok(AuthorEditOutcome::Unknown) };
    tracing::Span::current().record("post_id", id);
    if !status(&raw_status)?.accepts_author_edits() {
        return Ok(AuthorEditOutcome::TooLate(PostId(id)));
    }
    sqlx::query("UPDATE posts SET body = $2, entities = $3, edited_by_author = true, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(&edit.body)
        .bind(&edit.entities)
        .execute(&mut *tx)
        .await?;
    super::thread::edit_answers_request(&mut tx, PostId(id), edit).await?;
    super::outbox::enqueue_card_update(&mut tx, PostId(id)).await?;
    notify(&mut *tx, "post_edited", Some(PostId(id))).await?;
    tx.commit().await?;
    Ok(AuthorEditOutcome::Updated(PostId(id)))
}

#[instrument(skip_all, fields(post_id = id.0), err)]
pub async fn post(pool: &PgPool, id: PostId) -> Result<Option<PostRecord>, StoreError> {
    let Some(row) = load_post(pool, id, false).await? else { return Ok(None) };
    let media = load_media(pool, id).await?;
    row.into_record(media).map(Some)
}

/// Several posts with their media in two queries (the outbox works in batches); posts that no
/// longer exist are left out.
#[instrument(skip_all, fields(count = ids.len()), err)]
pub async fn posts(pool: &PgPool, ids: &[PostId]) -> Result<Vec<PostRecord>, StoreError> {
    let ids: Vec<i64> = ids.iter().map(|id| id.0).collect();
    let (rows, mut media) = tokio::try_join!(load_posts(pool, &ids), load_media_of(pool, &ids))?;
    rows.into_iter()
        .map(|row| {
            let own = media.remove(&row.id()).unwrap_or_default();
            row.into_record(own)
        })
        .collect()
}

const SUMMARY_SELECT: &str = "SELECT p.id, p.author_id, \
     trim(a.first_name || ' ' || coalesce(a.last_name, '')) AS author_name, \
     CASE WHEN p.status = 'pending' AND p.changes_requested_at IS NOT NULL THEN 'changes_requested' ELSE p.status END AS status, \
     left(p.body, 160) AS excerpt, \
     (SELECT count(*) FROM media m WHERE m.post_id = p.id) AS media_count, \
     (SELECT m.kind FROM media m WHERE m.post_id = p.id ORDER BY m.position LIMIT 1) AS first_media_kind, \
     p.edited_by_author, p.claimed_by, p.claim_expires_at, p.created_at, p.decided_at, p.flag_mask \
     FROM posts p JOIN authors a ON a.id = p.author_id";

fn push_filters(qb: &mut QueryBuilder<Postgres>, q: &PostQuery) {
    qb.push(" WHERE true");
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
    if let Some(kind) = q.media_kind {
        qb.push(" AND EXISTS (SELECT 1 FROM media m WHERE m.post_id = p.id AND m.kind = ")
            .push_bind(kind.as_str())
            .push(")");
    }
    if let Some(search) = q.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", search.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
        qb.push(" AND p.body ILIKE ").push_bind(pattern);
    }
}

#[instrument(skip_all, fields(status = ?query.status), err)]
pub async fn list_posts(pool: &PgPool, query: &PostQuery) -> Result<PostPage, StoreError> {
    let limit = if query.limit <= 0 { 50 } else { query.limit.min(200) };
    let mut qb = QueryBuilder::<Postgres>::new(SUMMARY_SELECT);
    push_filters(&mut qb, query);
    qb.push(if query.newest_first { " ORDER BY p.arrived_at DESC, p.id DESC" } else { " ORDER BY p.arrived_at, p.id" });
    qb.push(" LIMIT ").push_bind(limit).push(" OFFSET ").push_bind(query.offset.max(0));
    let mut count = QueryBuilder::<Postgres>::new("SELECT count(*) FROM posts p");
    push_filters(&mut count, query);
    // The page and the total are independent reads: run them at once on two connections, so
    // a search costs the slower of the two, not their sum.
    let (rows, total) = tokio::try_join!(
        qb.build_query_as::<SummaryRow>().fetch_all(pool),
        count.build_query_scalar::<i64>().fetch_one(pool)
    )?;
    let posts = rows.into_iter().map(SummaryRow::into_summary).collect::<Result<_, _>>()?;
    Ok(PostPage { posts, total })
}

#[instrument(skip_all, fields(user_id = author.0), err)]
pub async fn recent_posts_of(pool: &PgPool, author: UserId, limit: i64) -> Result<Vec<PostSummary>, StoreError> {
    let sql = format!("{SUMMARY_SELECT} WHERE p.author_id = $1 ORDER BY p.arrived_at DESC, p.id DESC LIMIT $2");
    let rows = sqlx::query_as::<_, SummaryRow>(sqlx::AssertSqlSafe(sql))
        .bind(author.0)
        .bind(limit.clamp(1, 100))
        .fetch_all(pool)
        .await?;
    rows.into_iter().map(SummaryRow::into_summary).collect()
}

#[instrument(skip_all, fields(user_id = author.0), err)]
pub async fn pending_count_of(pool: &PgPool, author: UserId) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM posts WHERE author_id = $1 AND status = $2")
        .bind(author.0)
        .bind(PostStatus::Pending.as_str())
        .fetch_one(pool)
        .await?)
}
