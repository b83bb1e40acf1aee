//! `postgate backup [--out PATH]` and `postgate restore PATH`: a backup is written under a
//! temporary name beside its final one, read back and checked, made private (0600: it holds
//! every author's posts) and only then renamed into place.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::config::DatabaseConfig;
use crate::store::archive::{ArchiveError, BackupReport, TableCounts};

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("cannot write in {folder}: {source} (nothing was written)")]
    Folder { folder: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source} (nothing was written)")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Archive(#[from] ArchiveError),
}

impl BackupError {
    /// Whether the request was refused as asked (a folder, a file, a non-empty database)
    /// rather than failed while running.
    pub fn is_refusal(&self) -> bool {
        match self {
            Self::Folder { .. } => true,
            Self::Write { .. } => false,
            Self::Archive(e) => e.is_refusal(),
        }
    }
}

/// The file name a backup taken at `at` gets in a folder: `postgate-YYYYMMDD-HHMMSS.db` for
/// SQLite, `.pgbackup` for `PostgreSQL` (the app's own format).
pub fn file_name(config: &DatabaseConfig, at: DateTime<Utc>) -> String {
    let ext = if config.url.expose().starts_with("sqlite:") { "db" } else { "pgbackup" };
    format!("postgate-{}.{ext}", at.format("%Y%m%d-%H%M%S"))
}

/// Where `--out` puts the backup: a folder gets a [`file_name`] inside it; no `--out`, the
/// current folder.
pub fn target(config: &DatabaseConfig, out: Option<&Path>, at: DateTime<Utc>) -> PathBuf {
    match out {
        Some(out) if out.is_dir() => out.join(file_name(config, at)),
        Some(out) => out.to_owned(),
        None => PathBuf::from(file_name(config, at)),
    }
}

/// Takes a backup of the configured database into `out` (replaced only once the new one
/// checked out). The report's path is `out`.
pub async fn backup(config: &DatabaseConfig, out: &Path) -> Result<BackupReport, BackupError> {
    let temp = super::temp_beside(out, ".postgate-backup-")
        .map_err(|source| BackupError::Folder { folder: super::folder_of(out), source })?
        .into_temp_path();
    // The backends write a file of their own at this (free) name; dropping `temp` removes
    // whatever a failure left there.
    std::fs::remove_file(&temp).map_err(|source| BackupError::Write { path: temp.to_path_buf(), source })?;
    let mut report = crate::store::archive::backup(config, &temp).await?;
    set_private(&temp).map_err(|source| BackupError::Write { path: temp.to_path_buf(), source })?;
    temp.persist(out).map_err(|e| BackupError::Write { path: out.to_owned(), source: e.error })?;
    out.clone_into(&mut report.path);
    tracing::info!(path = %out.display(), bytes = report.bytes, rows = report.counts.total(), "backup written");
    Ok(report)
}

#[cfg(unix)]
fn set_private(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn set_private(_: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Restores the backup at `path` into the configured (empty) database; the rows per table.
pub async fn restore(config: &DatabaseConfig, path: &Path) -> Result<TableCounts, BackupError> {
    let counts = crate::store::archive::restore(config, path).await?;
    tracing::info!(path = %path.display(), rows = counts.total(), "backup restored");
    Ok(counts)
}
