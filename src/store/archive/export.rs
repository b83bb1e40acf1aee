//! Export reads: posts or the decision log of a time range, counted and then streamed in
//! chunks from one snapshot (SQLite: one read transaction on a read-only connection; `PostgreSQL`:
//! one `REPEATABLE READ` transaction), so the count and the rows agree and memory stays flat.

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use sqlx::{Connection, Row};
use tokio::sync::mpsc::Sender;

use super::ArchiveError;
use crate::config::DatabaseConfig;
use crate::store::StoreError;

/// Rows handed over at a time.
const CHUNK: usize = 1_000;

/// What to export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportKind {
    /// Submissions, by the time they arrived.
    Posts,
    /// The moderation log, by the time of the action.
    Log,
}

impl ExportKind {
    /// The column names, in the order of every row's cells.
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            Self::Posts => &[
                "id",
                "submitted_at",
                "author_id",
                "author_username",
                "author_name",
                "status",
                "media",
                "text",
                "reject_reason",
                "decided_by",
                "decided_at",
                "published_at",
                "channel_message_id",
            ],
            Self::Log => &[
                "id",
                "at",
                "action",
                "source",
                "post_id",
                "moderator_id",
                "moderator_name",
                "target_user_id",
                "reason",
            ],
        }
    }

    fn kinds(self) -> &'static [K] {
        use K::{Int, Text, Time};
        match self {
            Self::Posts => &[Int, Time, Int, Text, Text, Text, Text, Text, Text, Int, Time, Time, Int],
            Self::Log => &[Int, Time, Text, Text, Int, Int, Text, Int, Text],
        }
    }
}

#[derive(Clone, Copy)]
enum K {
    Int,
    Text,
    Time,
}

/// One value of an exported row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Int(Option<i64>),
    Text(Option<String>),
    Time(Option<DateTime<Utc>>),
}

/// What an export hands over: the row count first, then the rows in chunks.
#[derive(Debug)]
pub enum ExportMsg {
    Total(u64),
    Rows(Vec<Vec<Cell>>),
}

const SQLITE_POSTS: &str = "SELECT p.id, p.arrived_at, p.author_id, a.username, \
       trim(a.first_name || ' ' || coalesce(a.last_name, '')), p.status, \
       (SELECT group_concat(kind, ' ') FROM (SELECT kind FROM media m WHERE m.post_id = p.id ORDER BY m.position)), \
       p.body, p.reject_reason, p.decided_by, p.decided_at, p.published_at, p.channel_message_id \
     FROM posts p JOIN authors a ON a.id = p.author_id \
     WHERE p.arrived_at >= ?1 AND p.arrived_at < ?2 ORDER BY p.arrived_at, p.id";
const SQLITE_LOG: &str = "SELECT l.id, l.created_at, l.action, l.source, l.post_id, l.moderator_id, m.display_name, \
       l.target_user_id, l.reason \
     FROM moderation_log l LEFT JOIN moderators m ON m.user_id = l.moderator_id \
     WHERE l.created_at >= ?1 AND l.created_at < ?2 ORDER BY l.created_at, l.id";
const PG_POSTS: &str = "SELECT p.id, p.arrived_at, p.author_id, a.username, \
       trim(a.first_name || ' ' || coalesce(a.last_name, '')), p.status, \
       (SELECT string_agg(kind, ' ' ORDER BY position) FROM media m WHERE m.post_id = p.id), \
       p.body, p.reject_reason, p.decided_by, p.decided_at, p.published_at, p.channel_message_id::bigint \
     FROM posts p JOIN authors a ON a.id = p.author_id \
     WHERE p.arrived_at >= $1 AND p.arrived_at < $2 ORDER BY p.arrived_at, p.id";
const PG_LOG: &str = "SELECT l.id, l.created_at, l.action, l.source, l.post_id, l.moderator_id, m.display_name, \
       l.target_user_id, l.reason \
     FROM moderation_log l LEFT JOIN moderators m ON m.user_id = l.moderator_id \
     WHERE l.created_at >= $1 AND l.created_at < $2 ORDER BY l.created_at, l.id";

/// The count's statement: the rows' statement's table and filter.
fn count_sql(select: &str) -> String {
    let from = select.find(" FROM posts p").or_else(|| select.find(" FROM moderation_log l")).unwrap_or(0);
    let body = &select[from..];
    let body = body.split(" ORDER BY").next().unwrap_or(body);
    format!("SELECT count(*){body}")
}

fn cells<R>(row: &R, kinds: &[K]) -> Result<Vec<Cell>, sqlx::Error>
where
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            Ok(match kind {
                K::Int => Cell::Int(row.try_get(i)?),
                K::Text => Cell::Text(row.try_get(i)?),
                K::Time => Cell::Time(row.try_get(i)?),
            })
        })
        .collect()
}

/// Sends rows from `rows` in chunks; returns how many.
async fn pump<R, S>(mut rows: S, kinds: &[K], sink: &Sender<ExportMsg>) -> Result<u64, ArchiveError>
where
    S: futures::Stream<Item = Result<R, sqlx::Error>> + Unpin,
    R: Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> DateTime<Utc>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut sent = 0u64;
    while let Some(row) = rows.try_next().await.map_err(StoreError::from)? {
        chunk.push(cells(&row, kinds).map_err(|e| StoreError::Corrupt(format!("row {}: {e}", sent + 1)))?);
        sent += 1;
        if chunk.len() == CHUNK && sink.send(ExportMsg::Rows(std::mem::take(&mut chunk))).await.is_err() {
            return Ok(sent); // the writer stopped; its error is reported instead
        }
    }
    if !chunk.is_empty() {
        let _ = sink.send(ExportMsg::Rows(chunk)).await;
    }
    Ok(sent)
}

pub(super) async fn sqlite(
    config: &DatabaseConfig,
    kind: ExportKind,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    sink: &Sender<ExportMsg>,
) -> Result<u64, ArchiveError> {
    let mut conn = super::sqlite::open_live(config).await?;
    // The stored formats: arrival times with microseconds, the log's with milliseconds (fixed
    // widths, so text order is time order).
    let format = if kind == ExportKind::Posts { "%Y-%m-%dT%H:%M:%S%.6fZ" } else { "%Y-%m-%dT%H:%M:%S%.3fZ" };
    let (from, to) = (from.format(format).to_string(), to.format(format).to_string());
    let select = if kind == ExportKind::Posts { SQLITE_POSTS } else { SQLITE_LOG };
    let mut tx = conn.begin().await.map_err(StoreError::from)?;
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql(select)))
        .bind(&from)
        .bind(&to)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from)?;
    if sink.send(ExportMsg::Total(total.unsigned_abs())).await.is_err() {
        return Ok(0);
    }
    let rows = sqlx::query(select).bind(&from).bind(&to).fetch(&mut *tx);
    let sent = pump(rows, kind.kinds(), sink).await?;
    tx.rollback().await.map_err(StoreError::from)?;
    let _ = conn.close().await;
    Ok(sent)
}

pub(super) async fn postgres(
    config: &DatabaseConfig,
    kind: ExportKind,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    sink: &Sender<ExportMsg>,
) -> Result<u64, ArchiveError> {
    let mut conn = super::pg::connect(config).await?;
    let select = if kind == ExportKind::Posts { PG_POSTS } else { PG_LOG };
    let mut tx = conn.begin().await.map_err(StoreError::from)?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from)?;
    let total: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql(select)))
        .bind(from)
        .bind(to)
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::from)?;
    if sink.send(ExportMsg::Total(total.unsigned_abs())).await.is_err() {
        return Ok(0);
    }
    let rows = sqlx::query(select).bind(from).bind(to).fetch(&mut *tx);
    let sent = pump(rows, kind.kinds(), sink).await?;
    tx.rollback().await.map_err(StoreError::from)?;
    let _ = conn.close().await;
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_use_the_rows_filter() {
        assert_eq!(
            count_sql(SQLITE_LOG),
            "SELECT count(*) FROM moderation_log l LEFT JOIN moderators m ON m.user_id = l.moderator_id \
             WHERE l.created_at >= ?1 AND l.created_at < ?2"
        );
        assert!(count_sql(PG_POSTS).starts_with("SELECT count(*) FROM posts p JOIN authors a"));
        for kind in [ExportKind::Posts, ExportKind::Log] {
            assert_eq!(kind.columns().len(), kind.kinds().len());
        }
    }
}
