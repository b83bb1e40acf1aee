//! Exports and backups at the storage level, for `postgate export | backup | restore` and the
//! scheduled backups: rows streamed out of one consistent snapshot, backups taken while the bot
//! runs and restored into an empty database with exact counts. Each opens its own connection
//! (on SQLite a read-only one that needs no process lock, so it runs beside a console); the
//! backend is picked by the URL's scheme and stays invisible above `store/`.
//!
//! SQLite backups are SQLite files (`VACUUM INTO`); `PostgreSQL` backups are the app's own
//! versioned format ([`dump`]): each table in COPY's text format, read in one `REPEATABLE READ`
//! transaction, closed by a SHA-256 over everything before it.

mod dump;
mod export;
mod pg;
mod sqlite;

use std::io::Read as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use export::{Cell, ExportKind, ExportMsg};

use super::StoreError;
use crate::config::DatabaseConfig;

/// Why an export, a backup or a restore did not happen. Each leaves everything as it was.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("no database at {0}: nothing to export or back up")]
    NoDatabase(String),
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a PostGate backup ({why})")]
    NotABackup { path: PathBuf, why: String },
    #[error("{path} ends early ({why}): the file was not written to its end; take the backup again")]
    Truncated { path: PathBuf, why: String },
    #[error("{path} is damaged: {why}")]
    Damaged { path: PathBuf, why: String },
    #[error(
        "{path} was taken by a different PostGate (database schema {found}, this one has {ours}): restore it \
         with the version that took it"
    )]
    OtherVersion { path: PathBuf, found: String, ours: String },
    #[error(
        "a PostgreSQL backup restores into PostgreSQL only: set DATABASE_URL to an empty postgres:// database \
         (then `postgate migrate-data` cannot bring it back to SQLite either)"
    )]
    WrongBackend,
    #[error(
        "the database is not empty ({0} already hold rows): restore fills an empty database only — set \
         DATABASE_URL to a new file or database (it is created) and run restore again"
    )]
    NotEmpty(String),
    /// What was written does not read back as what was read: the file is removed.
    #[error("the backup did not verify: {0}")]
    Verify(String),
}

impl ArchiveError {
    /// Whether the request itself cannot be done as asked (bad file, non-empty target, a
    /// database another process holds) rather than a failure along the way.
    pub fn is_refusal(&self) -> bool {
        match self {
            Self::Store(e) => matches!(e, StoreError::InUse { .. }),
            Self::Verify(_) => false,
            _ => true,
        }
    }
}

/// Rows per table, in the order tables are copied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TableCounts {
    pub tables: Vec<(String, u64)>,
}

impl TableCounts {
    pub fn rows(&self, table: &str) -> Option<u64> {
        self.tables.iter().find(|(name, _)| name == table).map(|(_, n)| *n)
    }

    pub fn total(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

/// A backup written and read back.
#[derive(Debug, Clone, Serialize)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    /// `sqlite` (a SQLite file) or `postgres` (the app's own format).
    pub format: &'static str,
    /// Rows per table in the written file, as read back from it.
    pub counts: TableCounts,
    pub taken_at: DateTime<Utc>,
}

fn is_sqlite(config: &DatabaseConfig) -> bool {
    config.url.expose().starts_with("sqlite:")
}

/// Streams `kind`'s rows in `[from, to)` into `sink` from one snapshot: first
/// [`ExportMsg::Total`], then chunks of rows. Returns the rows sent.
pub async fn export(
    config: &DatabaseConfig,
    kind: ExportKind,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    sink: &tokio::sync::mpsc::Sender<ExportMsg>,
) -> Result<u64, ArchiveError> {
    if is_sqlite(config) {
        export::sqlite(config, kind, from, to, sink).await
    } else {
        export::postgres(config, kind, from, to, sink).await
    }
}

/// Writes a consistent backup of the configured database to `temp` (a path that does not
/// exist yet, in the folder of its final name), then reads it back and checks it. The caller
/// renames it into place; on error whatever was written at `temp` is the caller's to remove.
pub async fn backup(config: &DatabaseConfig, temp: &Path) -> Result<BackupReport, ArchiveError> {
    if is_sqlite(config) { sqlite::backup(config, temp).await } else { dump::backup(config, temp).await }
}

/// What a backup file is, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BackupKind {
    Sqlite,
    Dump,
}

fn backup_kind(path: &Path) -> Result<BackupKind, ArchiveError> {
    let read_err = |source| ArchiveError::Read { path: path.to_owned(), source };
    let mut head = Vec::with_capacity(16);
    std::fs::File::open(path).map_err(read_err)?.take(16).read_to_end(&mut head).map_err(read_err)?;
    if head.is_empty() {
        return Err(ArchiveError::Truncated { path: path.to_owned(), why: "it is empty".into() });
    }
    if head.starts_with(b"SQLite format 3\0") {
        Ok(BackupKind::Sqlite)
    } else if dump::MAGIC.as_bytes().starts_with(&head[..head.len().min(dump::MAGIC.len())]) {
        // A prefix of the magic line: ours, perhaps cut short (the reader says so).
        Ok(BackupKind::Dump)
    } else {
        Err(ArchiveError::NotABackup { path: path.to_owned(), why: "it starts with neither header".into() })
    }
}

/// Checks a backup file whole without touching any database: its kind, its integrity and its
/// rows per table.
pub async fn inspect(path: &Path) -> Result<TableCounts, ArchiveError> {
    match backup_kind(path)? {
        BackupKind::Sqlite => sqlite::inspect(path).await,
        BackupKind::Dump => {
            let owned = path.to_owned();
            let header = tokio::task::spawn_blocking(move || dump::read(&owned, None))
                .await
                .map_err(|e| ArchiveError::Verify(e.to_string()))??;
            Ok(header.counts())
        }
    }
}

/// Restores the backup at `path` into the configured database, which must be empty (it is
/// created and migrated when missing). The file is checked whole first; the copy is one
/// transaction whose counts must equal the file's. Returns the rows restored per table.
pub async fn restore(config: &DatabaseConfig, path: &Path) -> Result<TableCounts, ArchiveError> {
    let kind = backup_kind(path)?;
    let expected = inspect(path).await?;
    let restored = match (kind, is_sqlite(config)) {
        (BackupKind::Sqlite, true) => sqlite::restore(config, path, &expected).await?,
        (BackupKind::Sqlite, false) => pg::restore_sqlite_file(config, path).await?,
        (BackupKind::Dump, false) => pg::restore_dump(config, path, &expected).await?,
        (BackupKind::Dump, true) => return Err(ArchiveError::WrongBackend),
    };
    if restored != expected {
        return Err(ArchiveError::Verify(format!("restored {restored:?}, the file holds {expected:?}")));
    }
    Ok(restored)
}
