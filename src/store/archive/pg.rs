//! `PostgreSQL` restores: the app's own backup format streamed into COPY, or a SQLite backup
//! moved in by `migrate-data`; either way into an empty database, in one transaction whose
//! counts are checked before it commits.

use std::path::Path;

use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, Connection};
use tokio::sync::mpsc;

use super::dump::{self, Piece, Section};
use super::{ArchiveError, TableCounts};
use crate::config::DatabaseConfig;
use crate::store::StoreError;
use crate::store::migrate_data::tables::TABLES;
use crate::store::migrate_data::{MigrateDataError, target};
use crate::store::postgres::PgStore;

/// One connection to an existing database (exports and backups need no pool).
pub(super) async fn connect(config: &DatabaseConfig) -> Result<PgConnection, ArchiveError> {
    Ok(PgConnection::connect(config.url.expose()).await.map_err(StoreError::from)?)
}

/// Checks the database's tables hold exactly the columns a backup copies, so a column added by
/// a later migration fails loudly instead of being left out of every backup.
pub(super) async fn check_columns(conn: &mut PgConnection) -> Result<(), ArchiveError> {
    for table in &TABLES {
        let mut found: Vec<String> = sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1",
        )
        .bind(table.name)
        .fetch_all(&mut *conn)
        .await
        .map_err(StoreError::from)?;
        let mut copied: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
        found.sort();
        copied.sort_unstable();
        if found != copied {
            return Err(ArchiveError::Verify(format!(
                "{}: the database has columns {found:?}, a backup copies {copied:?}",
                table.name
            )));
        }
    }
    Ok(())
}

fn map_migrate(e: MigrateDataError) -> ArchiveError {
    match e {
        MigrateDataError::TargetNotEmpty(tables) => ArchiveError::NotEmpty(tables),
        MigrateDataError::Target(e) | MigrateDataError::Source(e) | MigrateDataError::Copy(e) => ArchiveError::Store(e),
        other => ArchiveError::Verify(other.to_string()),
    }
}

/// A SQLite backup into `PostgreSQL`: `migrate-data` from a copy of it (the copy is opened as
/// a console would open it, so the backup itself is never written).
pub(super) async fn restore_sqlite_file(config: &DatabaseConfig, path: &Path) -> Result<TableCounts, ArchiveError> {
    let work = tempfile::Builder::new()
        .prefix("postgate-restore-")
        .tempdir()
        .map_err(|source| ArchiveError::Write { path: std::env::temp_dir(), source })?;
    let copy = work.path().join("backup.db");
    tokio::fs::copy(path, &copy).await.map_err(|source| ArchiveError::Read { path: path.to_owned(), source })?;
    let from = DatabaseConfig::from_url(&format!("sqlite://{}", copy.display()))
        .map_err(|e| ArchiveError::Store(StoreError::Unavailable(e.to_string())))?;
    let counts = crate::store::migrate_data::migrate_data(&from, config, |_| {}).await.map_err(map_migrate)?;
    Ok(TableCounts { tables: counts.tables.into_iter().map(|(t, n)| (t.to_owned(), n)).collect() })
}

/// The app's own format into the configured `PostgreSQL` database (created and migrated when
/// missing), which must be empty: the file is read on a blocking thread and checked again as
/// it streams into COPY; the transaction commits only when the reader reached a verified end
/// and every table's count equals its section's.
pub(super) async fn restore_dump(
    config: &DatabaseConfig,
    path: &Path,
    expected: &TableCounts,
) -> Result<TableCounts, ArchiveError> {
    let to = DatabaseConfig { max_connections: 2, ..config.clone() };
    let store = PgStore::connect(&to).await?;
    let result = match store.migrate().await {
        Ok(()) => restore_into(&store, path, expected).await,
        Err(e) => Err(e.into()),
    };
    store.close().await;
    result
}

async fn restore_into(store: &PgStore, path: &Path, expected: &TableCounts) -> Result<TableCounts, ArchiveError> {
    let mut tx = store.pool().begin().await.map_err(StoreError::from)?;
    for statement in ["SET LOCAL DateStyle = 'ISO, YMD'", "SET LOCAL TimeZone = 'UTC'"] {
        sqlx::query(statement).execute(&mut *tx).await.map_err(StoreError::from)?;
    }
    target::lock_empty(&mut tx).await.map_err(map_migrate)?;
    let deferred = target::Deferred::take_off(&mut tx).await?;
    let (sink, mut pieces) = mpsc::channel::<Piece>(4);
    let owned = path.to_owned();
    let reader = tokio::task::spawn_blocking(move || dump::read(&owned, Some(&sink)));
    let mut restored = TableCounts::default();
    let mut next = pieces.recv().await;
    let mut ended = false;
    while let Some(piece) = next {
        match piece {
            // Its name and columns were checked equal to this PostGate's tables before it came.
            Piece::Table(section) => {
                let (rows, after) = copy_section(&mut tx, &section, &mut pieces).await?;
                if Some(rows) != expected.rows(&section.name) || rows != section.rows {
                    return Err(ArchiveError::Verify(format!(
                        "{}: {rows} rows copied of {}",
                        section.name, section.rows
                    )));
                }
                if let Some(last) = section.last_id {
                    sqlx::query("SELECT setval(pg_get_serial_sequence($1, 'id'), $2)")
                        .bind(&section.name)
                        .bind(last)
                        .execute(&mut *tx)
                        .await
                        .map_err(StoreError::from)?;
                }
                restored.tables.push((section.name, rows));
                next = after;
            }
            Piece::Rows(_) => return Err(ArchiveError::Verify("rows outside a table".into())),
            Piece::End => {
                ended = true;
                next = pieces.recv().await;
            }
        }
    }
    // The reader's verdict decides: a file that changed or broke meanwhile rolls everything back.
    reader.await.map_err(|e| ArchiveError::Verify(e.to_string()))??;
    if !ended {
        return Err(ArchiveError::Verify("the file did not read to its end".into()));
    }
    deferred.put_back(&mut tx).await?;
    for (table, rows) in &restored.tables {
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
            .fetch_one(&mut *tx)
            .await
            .map_err(StoreError::from)?;
        if n.unsigned_abs() != *rows {
            return Err(ArchiveError::Verify(format!("{table}: {n} rows after the copy, {rows} copied")));
        }
    }
    tx.commit().await.map_err(StoreError::from)?;
    Ok(restored)
}

/// One section into COPY; returns the rows `PostgreSQL` received and the piece after them.
async fn copy_section(
    conn: &mut PgConnection,
    section: &Section,
    pieces: &mut mpsc::Receiver<Piece>,
) -> Result<(u64, Option<Piece>), ArchiveError> {
    let statement = format!("COPY {} ({}) FROM STDIN", section.name, section.columns.join(", "));
    let mut copy = conn.copy_in_raw(&statement).await.map_err(StoreError::from)?;
    loop {
        match pieces.recv().await {
            Some(Piece::Rows(bytes)) => {
                if let Err(e) = copy.send(bytes.as_slice()).await {
                    let _ = copy.abort("restore failed").await;
                    return Err(StoreError::from(e).into());
                }
            }
            after => {
                let rows = copy.finish().await.map_err(StoreError::from)?;
                return Ok((rows, after));
            }
        }
    }
}
