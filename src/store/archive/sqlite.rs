//! SQLite backups: `VACUUM INTO` from a read-only connection (a consistent snapshot, taken
//! beside a running console without its process lock), checked by reading the file back; and
//! restores into an empty SQLite database, all rows in one transaction.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::Utc;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteJournalMode};
use sqlx::{AssertSqlSafe, Connection};

use super::{ArchiveError, BackupReport, TableCounts};
use crate::config::DatabaseConfig;
use crate::store::StoreError;
use crate::store::migrate_data::tables::{SQLITE_ONLY, TABLES};
use crate::store::sqlite::MIGRATOR;

/// The database file a `sqlite://PATH` URL names.
pub(super) fn file_of(config: &DatabaseConfig) -> Result<PathBuf, ArchiveError> {
    let options = SqliteConnectOptions::from_str(config.url.expose())
        .map_err(|e| StoreError::Unavailable(format!("not a SQLite URL: {e}")))?;
    Ok(options.get_filename().to_path_buf())
}

/// A read-only connection to the configured file, which must exist. It takes no process lock:
/// SQLite's WAL lets it read a snapshot while a console writes.
pub(super) async fn open_live(config: &DatabaseConfig) -> Result<SqliteConnection, ArchiveError> {
    let path = file_of(config)?;
    if !path.exists() {
        return Err(ArchiveError::NoDatabase(path.display().to_string()));
    }
    let options = SqliteConnectOptions::new().filename(&path).read_only(true);
    Ok(SqliteConnection::connect_with(&options).await.map_err(StoreError::from)?)
}

async fn counts(conn: &mut SqliteConnection) -> Result<TableCounts, sqlx::Error> {
    let mut counts = TableCounts::default();
    for table in &TABLES {
        let sql = format!("SELECT count(*) FROM {}", table.name);
        let n: i64 = sqlx::query_scalar(AssertSqlSafe(sql)).fetch_one(&mut *conn).await?;
        counts.tables.push((table.name.to_owned(), n.unsigned_abs()));
    }
    Ok(counts)
}

fn utf8(path: &Path) -> Result<&str, ArchiveError> {
    path.to_str().ok_or_else(|| ArchiveError::Write {
        path: path.to_owned(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path is not valid UTF-8"),
    })
}

/// `VACUUM INTO temp`, then the file read back: intact, `PostGate`'s, and each table's count
/// between the live counts just before and just after (rows are only added, except bans,
/// which can be lifted; on a quiet database before = after, so the counts must be exact).
pub(super) async fn backup(config: &DatabaseConfig, temp: &Path) -> Result<BackupReport, ArchiveError> {
    let mut conn = open_live(config).await?;
    let before = counts(&mut conn).await.map_err(StoreError::from)?;
    let taken_at = Utc::now();
    sqlx::query("VACUUM INTO ?1").bind(utf8(temp)?).execute(&mut conn).await.map_err(StoreError::from)?;
    let after = counts(&mut conn).await.map_err(StoreError::from)?;
    let _ = conn.close().await;
    let written = inspect(temp).await.map_err(|e| ArchiveError::Verify(e.to_string()))?;
    for ((table, low), (_, high)) in before.tables.iter().zip(&after.tables) {
        let got = written.rows(table).unwrap_or(0);
        if table != "bans" && !(*low..=*high).contains(&got) {
            return Err(ArchiveError::Verify(format!("{table}: {got} rows written, {low}..{high} in the database")));
        }
    }
    let bytes = std::fs::metadata(temp).map_err(|source| ArchiveError::Read { path: temp.to_owned(), source })?.len();
    Ok(BackupReport { path: temp.to_owned(), bytes, format: "sqlite", counts: written, taken_at })
}

/// Checks that the file's header promises no more pages than the file holds (a copy cut short).
fn check_length(path: &Path) -> Result<(), ArchiveError> {
    use std::io::Read as _;
    let read_err = |source| ArchiveError::Read { path: path.to_owned(), source };
    let mut header = [0u8; 100];
    let mut file = std::fs::File::open(path).map_err(read_err)?;
    let len = file.metadata().map_err(read_err)?.len();
    if file.read_exact(&mut header).is_err() {
        return Err(ArchiveError::Truncated { path: path.to_owned(), why: format!("{len} bytes, no whole header") });
    }
    let page = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => u64::from(n),
    };
    let pages = u64::from(u32::from_be_bytes([header[28], header[29], header[30], header[31]]));
    if len < page * pages {
        let why = format!("{len} bytes of the {} its header counts", page * pages);
        return Err(ArchiveError::Truncated { path: path.to_owned(), why });
    }
    Ok(())
}

/// Opens a SQLite backup read-only (immutable: nothing is created beside it) and checks it
/// whole: its length, `quick_check`, migrations this `PostGate` knows, and every table's count.
pub(super) async fn inspect(path: &Path) -> Result<TableCounts, ArchiveError> {
    check_length(path)?;
    let options = SqliteConnectOptions::new().filename(path).read_only(true).immutable(true);
    let mut conn = SqliteConnection::connect_with(&options).await.map_err(StoreError::from)?;
    let result = inspect_open(path, &mut conn).await;
    let _ = conn.close().await;
    result
}

async fn inspect_open(path: &Path, conn: &mut SqliteConnection) -> Result<TableCounts, ArchiveError> {
    let damaged = |why: String| ArchiveError::Damaged { path: path.to_owned(), why };
    let check: Vec<String> =
        sqlx::query_scalar("PRAGMA quick_check").fetch_all(&mut *conn).await.map_err(|e| damaged(e.to_string()))?;
    if check.first().map(String::as_str) != Some("ok") {
        return Err(damaged(check.join("; ")));
    }
    let applied: Vec<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT version, checksum FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&mut *conn)
            .await
            .map_err(|_| ArchiveError::NotABackup {
                path: path.to_owned(),
                why: "a SQLite file without PostGate's migrations".into(),
            })?;
    let ours = MIGRATOR.iter().filter(|m| m.migration_type.is_up_migration()).collect::<Vec<_>>();
    let latest = ours.last().map_or(0, |m| m.version);
    for (version, checksum) in &applied {
        match ours.iter().find(|m| m.version == *version) {
            Some(m) if m.checksum.as_ref() == checksum.as_slice() => {}
            Some(_) => return Err(damaged(format!("migration {version} differs from this PostGate's"))),
            None => {
                return Err(ArchiveError::OtherVersion {
                    path: path.to_owned(),
                    found: applied.last().map_or(0, |(v, _)| *v).to_string(),
                    ours: latest.to_string(),
                });
            }
        }
    }
    counts(conn).await.map_err(|e| ArchiveError::NotABackup { path: path.to_owned(), why: e.to_string() })
}

/// Restores a checked SQLite backup into the configured file: a copy of the backup is brought
/// to this version's schema beside the target, the target (created when missing) is locked
/// against other processes and must be empty, then every table is copied in one transaction
/// whose counts must equal `expected` before it commits.
pub(super) async fn restore(
    config: &DatabaseConfig,
    path: &Path,
    expected: &TableCounts,
) -> Result<TableCounts, ArchiveError> {
    let target = file_of(config)?;
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_owned();
    let write_err = |source| ArchiveError::Write { path: dir.clone(), source };
    std::fs::create_dir_all(&dir).map_err(write_err)?;
    let work = tempfile::Builder::new().prefix(".postgate-restore-").tempdir_in(&dir).map_err(write_err)?;
    let copy = work.path().join("backup.db");
    tokio::fs::copy(path, &copy).await.map_err(|source| ArchiveError::Read { path: path.to_owned(), source })?;
    {
        let mut c = SqliteConnection::connect_with(&SqliteConnectOptions::new().filename(&copy))
            .await
            .map_err(StoreError::from)?;
        MIGRATOR.run(&mut c).await.map_err(StoreError::from)?;
        let _ = c.close().await;
    }
    let _lock = crate::store::sqlite::lock::FileLock::take(&target)?;
    let options = SqliteConnectOptions::new()
        .filename(&target)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(std::time::Duration::from_secs(10));
    let mut conn = SqliteConnection::connect_with(&options).await.map_err(StoreError::from)?;
    let result = fill(&mut conn, &copy, expected).await;
    let _ = conn.close().await;
    result
}

async fn fill(conn: &mut SqliteConnection, copy: &Path, expected: &TableCounts) -> Result<TableCounts, ArchiveError> {
    MIGRATOR.run(&mut *conn).await.map_err(StoreError::from)?;
    let held: Vec<String> = counts(conn)
        .await
        .map_err(StoreError::from)?
        .tables
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(t, _)| t)
        .collect();
    if !held.is_empty() {
        return Err(ArchiveError::NotEmpty(held.join(", ")));
    }
    sqlx::query("ATTACH DATABASE ?1 AS backup")
        .bind(utf8(copy)?)
        .execute(&mut *conn)
        .await
        .map_err(StoreError::from)?;
    let copied = copy_tables(conn, expected).await;
    let _ = sqlx::query("DETACH DATABASE backup").execute(&mut *conn).await;
    copied
}

async fn copy_tables(conn: &mut SqliteConnection, expected: &TableCounts) -> Result<TableCounts, ArchiveError> {
    let mut tx = conn.begin().await.map_err(StoreError::from)?;
    sqlx::query("PRAGMA defer_foreign_keys = ON").execute(&mut *tx).await.map_err(StoreError::from)?;
    let mut restored = TableCounts::default();
    for table in &TABLES {
        let mut columns: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
        columns.extend(SQLITE_ONLY.iter().filter(|(t, _)| *t == table.name).map(|(_, c)| *c));
        let columns = columns.join(", ");
        let sql = format!(
            "INSERT INTO main.{name} ({columns}) SELECT {columns} FROM backup.{name} ORDER BY {key}",
            name = table.name,
            key = table.key
        );
        let n = sqlx::query(AssertSqlSafe(sql)).execute(&mut *tx).await.map_err(StoreError::from)?.rows_affected();
        if Some(n) != expected.rows(table.name) {
            return Err(ArchiveError::Verify(format!(
                "{}: {n} rows copied, the backup holds {:?} (nothing was restored)",
                table.name,
                expected.rows(table.name)
            )));
        }
        restored.tables.push((table.name.to_owned(), n));
    }
    // Ids of rows deleted before the backup are never given again either.
    sqlx::query(
        "UPDATE main.sqlite_sequence SET seq = max(seq, coalesce((SELECT b.seq FROM backup.sqlite_sequence b \
         WHERE b.name = main.sqlite_sequence.name), 0))",
    )
    .execute(&mut *tx)
    .await
    .map_err(StoreError::from)?;
    tx.commit().await.map_err(StoreError::from)?;
    Ok(restored)
}
