//! Exports and backups for people: `postgate export posts|log` (CSV for spreadsheets),
//! `postgate backup` and `postgate restore`. Files are written beside their final name under a
//! temporary one and renamed into place only when whole and checked, so a failure never leaves
//! half a file (or replaces a good one). The rows come from [`crate::store::archive`].

pub mod backup;
pub mod cli;
pub mod csv;
pub mod export;
pub mod schedule;

use std::path::{Path, PathBuf};

/// The folder a file named `out` is written in (`.` for a bare name).
fn folder_of(out: &Path) -> PathBuf {
    out.parent().filter(|d| !d.as_os_str().is_empty()).map_or_else(|| PathBuf::from("."), Path::to_owned)
}

/// A temporary file in `out`'s folder (0600, removed when dropped): the first write, so a
/// folder that does not exist or cannot be written is refused before any work.
fn temp_beside(out: &Path, prefix: &str) -> Result<tempfile::NamedTempFile, std::io::Error> {
    tempfile::Builder::new().prefix(prefix).suffix(".tmp").tempfile_in(folder_of(out))
}
