//! `postgate export posts|log --from --to --out`: a range of days (UTC, both ends included)
//! written as CSV ([`super::csv`]), streamed: rows come from the database in chunks and are
//! written on a blocking thread, so memory stays flat whatever the range holds.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use tokio::sync::mpsc;

use super::csv;
use crate::config::DatabaseConfig;
use crate::store::archive::{ArchiveError, ExportKind, ExportMsg};

/// The longest range one export takes (a year, leap or not).
pub const MAX_DAYS: i64 = 366;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("--{flag}: {got:?} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-01")]
    BadDate { flag: &'static str, got: String },
    #[error("--from {from} is after --to {to}")]
    Reversed { from: NaiveDate, to: NaiveDate },
    #[error("{from}..{to} spans {days} days; an export takes at most {MAX_DAYS}: export year by year")]
    TooLong { from: NaiveDate, to: NaiveDate, days: i64 },
    #[error("no {what} from {from} to {to} ({zone}): nothing was written")]
    Empty { what: &'static str, from: NaiveDate, to: NaiveDate, zone: &'static str },
    #[error("cannot write in {folder}: {source} (nothing was written)")]
    Folder { folder: PathBuf, source: std::io::Error },
    #[error("cannot write {path}: {source} (nothing was written)")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{0}")]
    Store(#[from] ArchiveError),
}

impl ExportError {
    /// Whether the request was refused (bad input, nothing to export, no place to write)
    /// rather than failed while running.
    pub fn is_refusal(&self) -> bool {
        !matches!(self, Self::Write { .. } | Self::Store(_))
    }
}

/// Days from `from` to `to`, both included, valid by construction: in order and at most
/// [`MAX_DAYS`] long. Days in UTC (`postgate export`) unless given a zone ([`Self::in_zone`]:
/// the console's Statistics view counts its days in the computer's zone, and exports the same).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    from: NaiveDate,
    to: NaiveDate,
    zone: Tz,
}

impl DayRange {
    pub fn parse(from: &str, to: &str) -> Result<Self, ExportError> {
        let date = |flag, s: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| ExportError::BadDate { flag, got: s.to_owned() })
        };
        Self::new(date("from", from)?, date("to", to)?)
    }

    pub fn new(from: NaiveDate, to: NaiveDate) -> Result<Self, ExportError> {
        if from > to {
            return Err(ExportError::Reversed { from, to });
        }
        let days = (to - from).num_days() + 1;
        if days > MAX_DAYS {
            return Err(ExportError::TooLong { from, to, days });
        }
        Ok(Self { from, to, zone: Tz::UTC })
    }

    /// The same days, counted in `zone`.
    #[must_use]
    pub fn in_zone(self, zone: Tz) -> Self {
        Self { zone, ..self }
    }

    /// The first instant of the range.
    pub fn start(self) -> DateTime<Utc> {
        midnight(self.from, self.zone)
    }

    /// The first instant after the range.
    pub fn end(self) -> DateTime<Utc> {
        midnight(self.to + chrono::Duration::days(1), self.zone)
    }
}

/// The first instant of `day` in `zone` (where the clocks skip midnight, the hour after).
fn midnight(day: NaiveDate, zone: Tz) -> DateTime<Utc> {
    let local = day.and_time(NaiveTime::MIN);
    zone.from_local_datetime(&local)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(local + chrono::Duration::hours(1))).earliest())
        .map_or_else(|| local.and_utc(), |t| t.with_timezone(&Utc))
}

/// What an export wrote.
#[derive(Debug, Clone, Serialize)]
pub struct ExportReport {
    pub path: PathBuf,
    pub rows: u64,
    pub bytes: u64,
}

/// Called with (rows written, rows in all) as chunks are written.
pub type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Exports `kind` over `range` into `out` (replaced when it exists, only once the new file is
/// whole). A range without rows, a folder that cannot be written or a failure leaves nothing.
pub async fn export(
    config: &DatabaseConfig,
    kind: ExportKind,
    range: DayRange,
    out: &Path,
    progress: Progress,
) -> Result<ExportReport, ExportError> {
    let temp = super::temp_beside(out, ".postgate-export-")
        .map_err(|source| ExportError::Folder { folder: super::folder_of(out), source })?;
    let file = temp.reopen().map_err(|source| ExportError::Write { path: temp.path().to_owned(), source })?;
    let (sink, rows) = mpsc::channel::<ExportMsg>(4);
    let temp_path = temp.path().to_owned();
    let writer = tokio::task::spawn_blocking(move || write_csv(file, &temp_path, kind, rows, &*progress));
    let read = crate::store::archive::export(config, kind, range.start(), range.end(), &sink).await;
    drop(sink);
    let written = writer.await.map_err(|e| ExportError::Write {
        path: temp.path().to_owned(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let sent = read?;
    let (rows, bytes) = written?;
    if sent == 0 {
        let what = if kind == ExportKind::Posts { "posts" } else { "log entries" };
        return Err(ExportError::Empty { what, from: range.from, to: range.to, zone: range.zone.name() });
    }
    if rows != sent {
        let source = std::io::Error::other(format!("{sent} rows read, {rows} written"));
        return Err(ExportError::Write { path: out.to_owned(), source });
    }
    temp.persist(out).map_err(|e| ExportError::Write { path: out.to_owned(), source: e.error })?;
    Ok(ExportReport { path: out.to_owned(), rows, bytes })
}

/// Writes the rows as they arrive; returns (rows, bytes). Runs on a blocking thread.
fn write_csv(
    file: std::fs::File,
    path: &Path,
    kind: ExportKind,
    mut rows: mpsc::Receiver<ExportMsg>,
    progress: &(dyn Fn(u64, u64) + Send + Sync),
) -> Result<(u64, u64), ExportError> {
    let write_err = |source| ExportError::Write { path: path.to_owned(), source };
    let mut out = std::io::BufWriter::with_capacity(1 << 16, file);
    csv::write_header(&mut out, kind.columns()).map_err(write_err)?;
    let (mut written, mut total) = (0u64, 0u64);
    let mut line = String::with_capacity(1 << 12);
    while let Some(msg) = rows.blocking_recv() {
        match msg {
            ExportMsg::Total(n) => total = n,
            ExportMsg::Rows(chunk) => {
                for cells in &chunk {
                    line.clear();
                    csv::push_record(&mut line, cells);
                    out.write_all(line.as_bytes()).map_err(write_err)?;
                }
                written += chunk.len() as u64;
                progress(written, total);
            }
        }
    }
    let file = out.into_inner().map_err(|e| write_err(e.into_error()))?;
    file.sync_all().map_err(write_err)?;
    let bytes = file.metadata().map_err(write_err)?.len();
    Ok((written, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_whole_days_in_order_and_at_most_a_year() {
        let r = DayRange::parse("2026-03-01", "2026-03-01").unwrap();
        assert_eq!(r.start().to_rfc3339(), "2026-03-01T00:00:00+00:00");
        assert_eq!(r.end().to_rfc3339(), "2026-03-02T00:00:00+00:00");
        assert!(DayRange::parse("2024-01-01", "2024-12-31").is_ok(), "a leap year is 366 days");
        assert!(matches!(DayRange::parse("2026-03-02", "2026-03-01"), Err(ExportError::Reversed { .. })));
        assert!(matches!(DayRange::parse("2024-01-01", "2025-01-01"), Err(ExportError::TooLong { days: 367, .. })));
        let bad = DayRange::parse("01.03.2026", "2026-03-01").unwrap_err();
        assert!(bad.to_string().contains("--from") && bad.to_string().contains("YYYY-MM-DD"), "{bad}");
    }

    #[test]
    fn a_range_in_a_zone_runs_from_its_local_midnight_across_a_clock_change() {
        // Berlin moves its clocks forward on 29 March 2026: that day is 23 hours long.
        let r = DayRange::parse("2026-03-29", "2026-03-29").unwrap().in_zone(chrono_tz::Europe::Berlin);
        assert_eq!(r.start().to_rfc3339(), "2026-03-28T23:00:00+00:00");
        assert_eq!(r.end().to_rfc3339(), "2026-03-29T22:00:00+00:00");
    }
}
