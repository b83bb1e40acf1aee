//! `postgate migrate-data`: moves a whole SQLite installation into an empty `PostgreSQL`
//! database — every table, ids kept, sequences set past them — streamed in chunks with COPY,
//! in one `PostgreSQL` transaction, so a failure leaves the target as empty as it was.

pub(in crate::store) mod tables;
pub(in crate::store) mod target;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use serde::Serialize;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteRow};
use sqlx::{AssertSqlSafe, Connection, Row};
use tracing::instrument;

use self::tables::{Kind, SQLITE_ONLY, TABLES, Table};
use super::postgres::PgStore;
use super::sqlite::SqliteStore;
use super::{Store, StoreError};
use crate::config::DatabaseConfig;

/// Rows per COPY message (a few MB of posts): memory stays flat whatever a table's size.
const CHUNK: u64 = 5_000;

/// Rows copied per table, in copy order; each equals the source's count (checked).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MigrationCounts {
    pub tables: Vec<(&'static str, u64)>,
}

impl MigrationCounts {
    /// Rows copied into `table`; `None` for a table that is not copied.
    pub fn rows(&self, table: &str) -> Option<u64> {
        self.tables.iter().find(|(name, _)| *name == table).map(|(_, n)| *n)
    }

    /// Rows copied in all.
    pub fn total(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

/// Where a migration is: the table being copied and the rows copied so far out of all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub table: &'static str,
    pub copied: u64,
    pub total: u64,
}

/// Why a migration did not happen (nothing was written to the target) or failed (the target
/// was left as it was: the copy is one transaction).
#[derive(Debug, thiserror::Error)]
pub enum MigrateDataError {
    #[error("the source must be a SQLite database (sqlite://PATH), not {0}")]
    SourceNotSqlite(String),
    #[error("the target must be a PostgreSQL database (postgres://…), not {0}")]
    TargetNotPostgres(String),
    #[error("{0} does not exist: name the SQLite file of the installation to move")]
    SourceMissing(String),
    /// The source cannot be opened: in use by a running console (the error names it), unreadable.
    #[error("{0}")]
    Source(StoreError),
    /// The target cannot be reached, created or migrated.
    #[error("{0}")]
    Target(StoreError),
    #[error(
        "the target database is not empty ({0} already hold rows): migrate-data copies into an empty \
         database only — name a new database (it is created) or empty this one"
    )]
    TargetNotEmpty(String),
    /// A schema has columns this copy does not know (or lacks some it copies): a bug to fix here.
    #[error("schema mismatch: {0}")]
    Schema(String),
    /// The copy failed; the target was rolled back.
    #[error("{0} (nothing was written to the target)")]
    Copy(#[from] StoreError),
}

impl MigrateDataError {
    /// Whether what was asked cannot be done as asked (a wrong or unreachable database, a
    /// source in use, a target not empty) rather than a failure of the copy itself.
    pub fn is_setup(&self) -> bool {
        !matches!(self, Self::Schema(_) | Self::Copy(_))
    }
}

/// Copies the SQLite installation `from` names into the empty `PostgreSQL` database `to` names
/// (created and migrated when missing). The source is opened the way a console opens it, taking
/// its process lock, so no console can write to it meanwhile. `progress` hears after each chunk.
#[instrument(skip_all, fields(from = %from.url, to = %to.url), err)]
pub async fn migrate_data(
    from: &DatabaseConfig,
    to: &DatabaseConfig,
    progress: impl Fn(Progress),
) -> Result<MigrationCounts, MigrateDataError> {
    let (source_url, target_url) = (from.url.expose(), to.url.expose());
    if !source_url.starts_with("sqlite:") {
        return Err(MigrateDataError::SourceNotSqlite(from.url.masked()));
    }
    if !(target_url.starts_with("postgres:") || target_url.starts_with("postgresql:")) {
        return Err(MigrateDataError::TargetNotPostgres(to.url.masked()));
    }
    let options = SqliteConnectOptions::from_str(source_url)
        .map_err(|e| MigrateDataError::SourceNotSqlite(format!("{} ({e})", from.url.masked())))?;
    if !options.get_filename().exists() {
        return Err(MigrateDataError::SourceMissing(options.get_filename().display().to_string()));
    }
    let source = SqliteStore::connect(from).await.map_err(MigrateDataError::Source)?;
    // The copy reads the newest schema; an older file is brought up to it as a console would.
    Store::migrate(&source).await.map_err(MigrateDataError::Source)?;
    // The copy is one transaction on one connection: no need for a console's warm pool.
    let to = DatabaseConfig { max_connections: 2, ..to.clone() };
    let target = match PgStore::connect(&to).await {
        Ok(target) => target,
        Err(e) => {
            Store::close(&source).await;
            return Err(MigrateDataError::Target(e));
        }
    };
    let result = match target.migrate().await {
        Ok(()) => copy_all(&source, &target, &progress).await,
        Err(e) => Err(MigrateDataError::Target(e)),
    };
    target.close().await;
    Store::close(&source).await;
    result
}

async fn copy_all(
    source: &SqliteStore,
    target: &PgStore,
    progress: &impl Fn(Progress),
) -> Result<MigrationCounts, MigrateDataError> {
    let mut reader = source.pool().acquire().await.map_err(|e| MigrateDataError::Source(e.into()))?;
    // One read transaction: every table from the same snapshot.
    let mut read = reader.begin().await.map_err(StoreError::from)?;
    let mut write = target.pool().begin().await.map_err(StoreError::from)?;
    check_schemas(&mut read, &mut write).await?;
    target::lock_empty(&mut write).await?;
    let deferred = target::Deferred::take_off(&mut write).await?;
    let mut totals = Vec::with_capacity(TABLES.len());
    for table in &TABLES {
        let sql = format!("SELECT count(*) FROM {}", table.name);
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(&mut *read).await.map_err(StoreError::from)?;
        totals.push(n.unsigned_abs());
    }
    let total = totals.iter().sum();
    let mut counts = MigrationCounts::default();
    let mut done = 0;
    for (table, expected) in TABLES.iter().zip(totals) {
        let written = copy_table(&mut read, &mut write, table, |n| {
            progress(Progress { table: table.name, copied: done + n, total });
        })
        .await?;
        if written != expected {
            return Err(StoreError::CountMismatch { sent: expected, received: written }.into());
        }
        tracing::info!(table = table.name, rows = written, "table copied");
        done += written;
        counts.tables.push((table.name, written));
        if table.serial {
            set_sequence(&mut read, &mut write, table.name).await?;
        }
    }
    deferred.put_back(&mut write).await?;
    write.commit().await.map_err(StoreError::from)?;
    read.rollback().await.map_err(StoreError::from)?;
    Ok(counts)
}

/// Checks both schemas hold exactly the columns copied (besides [`SQLITE_ONLY`]), so a column
/// added by a later migration fails here, loudly, instead of being left behind.
async fn check_schemas(read: &mut SqliteConnection, write: &mut PgConnection) -> Result<(), MigrateDataError> {
    let mut problems = Vec::new();
    for table in &TABLES {
        let copied: BTreeSet<&str> = table.columns.iter().map(|(name, _)| *name).collect();
        let sqlite: BTreeSet<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?1)")
            .bind(table.name)
            .fetch_all(&mut *read)
            .await
            .map_err(StoreError::from)?
            .into_iter()
            .collect();
        let sqlite = sqlite.iter().map(String::as_str).filter(|c| !SQLITE_ONLY.contains(&(table.name, c))).collect();
        let pg: BTreeSet<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1",
        )
        .bind(table.name)
        .fetch_all(&mut *write)
        .await
        .map_err(StoreError::from)?
        .into_iter()
        .collect();
        let pg = pg.iter().map(String::as_str).collect();
        for (side, found) in [("SQLite", sqlite), ("PostgreSQL", pg)] {
            let found: BTreeSet<&str> = found;
            let unknown: Vec<&str> = found.difference(&copied).copied().collect();
            let missing: Vec<&str> = copied.difference(&found).copied().collect();
            if !unknown.is_empty() || !missing.is_empty() {
                problems.push(format!("{side} {}: not copied {unknown:?}, absent {missing:?}", table.name));
            }
        }
    }
    if problems.is_empty() { Ok(()) } else { Err(MigrateDataError::Schema(problems.join("; "))) }
}

/// Streams one table from SQLite into a COPY; returns the rows `PostgreSQL` says it received.
async fn copy_table(
    read: &mut SqliteConnection,
    write: &mut PgConnection,
    table: &Table,
    progress: impl Fn(u64),
) -> Result<u64, StoreError> {
    let columns: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
    let columns = columns.join(", ");
    let select = format!("SELECT {columns} FROM {} ORDER BY {}", table.name, table.key);
    let mut copy = write.copy_in_raw(&format!("COPY {} ({columns}) FROM STDIN", table.name)).await?;
    let mut rows = sqlx::query(AssertSqlSafe(select)).fetch(&mut *read);
    let mut buf = Vec::with_capacity(1 << 20);
    let mut sent = 0;
    loop {
        let row = match rows.try_next().await {
            Ok(row) => row,
            Err(e) => {
                let _ = copy.abort("migrate-data: reading the source failed").await;
                return Err(e.into());
            }
        };
        let end = row.is_none();
        if let Some(row) = row {
            if let Err(e) = push_row(&mut buf, &row, table.columns) {
                let _ = copy.abort("migrate-data: a source row could not be read").await;
                return Err(StoreError::Corrupt(format!("{} row {}: {e}", table.name, sent + 1)));
            }
            sent += 1;
        }
        if !buf.is_empty() && (end || sent % CHUNK == 0) {
            if let Err(e) = copy.send(buf.as_slice()).await {
                let _ = copy.abort("migrate-data failed").await;
                return Err(e.into());
            }
            buf.clear();
            progress(sent);
        }
        if end {
            break;
        }
    }
    drop(rows);
    Ok(copy.finish().await?)
}

/// Sets `table`'s id sequence so the next id follows the highest ever given in SQLite
/// (`sqlite_sequence` remembers ids of rows since deleted, which are never reused either).
async fn set_sequence(read: &mut SqliteConnection, write: &mut PgConnection, table: &str) -> Result<(), StoreError> {
    let sql = format!(
        "SELECT max(coalesce((SELECT max(id) FROM {table}), 0), \
                    coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?1), 0))"
    );
    let last: i64 = sqlx::query_scalar(AssertSqlSafe(sql)).bind(table).fetch_one(&mut *read).await?;
    if last > 0 {
        sqlx::query("SELECT setval(pg_get_serial_sequence($1, 'id'), $2)")
            .bind(table)
            .bind(last)
            .execute(&mut *write)
            .await?;
    }
    Ok(())
}

/// Appends one row in COPY's text format: tab-separated, `\N` for NULL, backslash escapes.
fn push_row(buf: &mut Vec<u8>, row: &SqliteRow, columns: &[(&str, Kind)]) -> Result<(), sqlx::Error> {
    for (i, (_, kind)) in columns.iter().enumerate() {
        if i > 0 {
            buf.push(b'\t');
        }
        let written = match kind {
            Kind::Int => row.try_get::<Option<i64>, _>(i)?.map(|v| write!(buf, "{v}")),
            Kind::Bool => row.try_get::<Option<bool>, _>(i)?.map(|v| buf.write_all(if v { b"t" } else { b"f" })),
            Kind::Time => row
                .try_get::<Option<DateTime<Utc>>, _>(i)?
                .map(|t| write!(buf, "{}", t.format("%Y-%m-%dT%H:%M:%S%.6fZ"))),
            Kind::Text => row.try_get::<Option<&str>, _>(i)?.map(|s| {
                push_text(buf, s);
                Ok(())
            }),
        };
        match written {
            None => buf.extend_from_slice(b"\\N"),
            Some(r) => r.map_err(|e| sqlx::Error::Protocol(e.to_string()))?,
        }
    }
    buf.push(b'\n');
    Ok(())
}

/// Escapes a value for COPY's text format (byte-wise: UTF-8's multi-byte sequences never
/// contain these ASCII bytes).
fn push_text(buf: &mut Vec<u8>, value: &str) {
    for b in value.bytes() {
        match b {
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            _ => buf.push(b),
        }
    }
}
