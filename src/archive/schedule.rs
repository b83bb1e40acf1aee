//! Scheduled backups: every day at `BACKUP_TIME` (local time) a backup into `BACKUP_DIR`, then
//! all but the newest `BACKUP_KEEP` of ours deleted (only files named as this module names them:
//! nothing else in the folder is touched). The task runs with the bot, owned by the
//! [`crate::runtime::Runtime`], on an injected [`Clock`] so tests move time instead of waiting.
//! Its [`BackupStatus`] tells the console the last backup's time and size, and whether to warn.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use serde::Serialize;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::{BackupSchedule, DatabaseConfig};

/// Past this age the last backup is reported stale (the console's header warns).
pub const STALE_AFTER: chrono::Duration = chrono::Duration::days(2);

/// A backup that was written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Done {
    pub at: DateTime<Utc>,
    pub path: PathBuf,
    pub bytes: u64,
}

/// A scheduled backup that failed (cleared by the next one that works).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failed {
    pub at: DateTime<Utc>,
    pub error: String,
}

/// What the console shows of the scheduled backups. Times are RFC 3339 UTC.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BackupStatus {
    pub last: Option<Done>,
    pub failed: Option<Failed>,
    pub next: Option<DateTime<Utc>>,
}

impl BackupStatus {
    /// Whether to warn: the last attempt failed, or no backup is younger than [`STALE_AFTER`].
    pub fn needs_attention(&self, now: DateTime<Utc>) -> bool {
        self.failed.is_some() || self.last.as_ref().is_none_or(|d| now - d.at > STALE_AFTER)
    }
}

/// What the console's `backup_status` answers. Times are RFC 3339 UTC.
#[derive(Debug, Serialize)]
pub struct BackupView {
    /// Whether `BACKUP_TIME` is set (nothing to warn about otherwise).
    pub scheduled: bool,
    /// The time of day (`HH:MM`, local) and the folder, when scheduled.
    pub at: Option<String>,
    pub folder: Option<String>,
    pub keep: Option<u32>,
    pub last: Option<Done>,
    pub failed: Option<Failed>,
    pub next: Option<DateTime<Utc>>,
    /// Warn in the header: scheduled, and the last attempt failed or the last backup is older
    /// than two days (or there is none yet).
    pub warn: bool,
}

impl BackupView {
    /// The view of `status` at `now`, under `schedule` (`None`: `BACKUP_TIME` unset).
    pub fn at(now: DateTime<Utc>, schedule: Option<&BackupSchedule>, status: BackupStatus) -> Self {
        Self {
            scheduled: schedule.is_some(),
            at: schedule.map(|s| s.at.format("%H:%M").to_string()),
            folder: schedule.map(|s| s.folder.display().to_string()),
            keep: schedule.map(|s| s.keep),
            warn: schedule.is_some() && status.needs_attention(now),
            last: status.last,
            failed: status.failed,
            next: status.next,
        }
    }
}

/// The first time after `after` at which the local clock (`tz`) shows `at`. On a day the clock
/// skips that time (daylight saving), an hour later.
pub fn next_run<Tz: TimeZone>(after: DateTime<Utc>, at: NaiveTime, tz: &Tz) -> DateTime<Utc> {
    let mut day = after.with_timezone(tz).date_naive();
    for _ in 0..3 {
        let local = day.and_time(at);
        let instant = tz
            .from_local_datetime(&local)
            .earliest()
            .or_else(|| tz.from_local_datetime(&(local + chrono::Duration::hours(1))).earliest())
            .map(|t| t.with_timezone(&Utc));
        if let Some(t) = instant.filter(|t| *t > after) {
            return t;
        }
        day = day.succ_opt().unwrap_or(day);
    }
    after + chrono::Duration::days(1)
}

/// Whether `name` is one of ours: `postgate-YYYYMMDD-HHMMSS.db` or `.pgbackup`.
pub fn is_backup_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("postgate-") else { return false };
    let stem = rest.strip_suffix(".db").or_else(|| rest.strip_suffix(".pgbackup")).unwrap_or("");
    let bytes = stem.as_bytes();
    bytes.len() == 15 && bytes[8] == b'-' && bytes.iter().enumerate().all(|(i, b)| i == 8 || b.is_ascii_digit())
}

/// Our backups in `folder`, newest first (the names sort by the time they were taken).
fn ours(folder: &Path) -> std::io::Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        if let Some(name) = entry.file_name().to_str().filter(|n| is_backup_name(n))
            && entry.file_type()?.is_file()
        {
            found.push((name.to_owned(), entry.path()));
        }
    }
    found.sort_by(|a, b| b.0.cmp(&a.0));
    Ok(found)
}

/// Deletes all but the newest `keep` of our backups in `folder`; returns what it deleted.
pub fn rotate(folder: &Path, keep: u32) -> std::io::Result<Vec<PathBuf>> {
    let mut deleted = Vec::new();
    for (_, path) in ours(folder)?.into_iter().skip(keep as usize) {
        std::fs::remove_file(&path)?;
        deleted.push(path);
    }
    Ok(deleted)
}

/// The newest backup already in `folder` (after a restart: the console shows it at once).
pub fn latest(folder: &Path) -> Option<Done> {
    let (name, path) = ours(folder).ok()?.into_iter().next()?;
    let stamp = name.strip_prefix("postgate-")?.get(..15)?;
    let at = chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%d-%H%M%S").ok()?.and_utc();
    let bytes = std::fs::metadata(&path).ok()?.len();
    Some(Done { at, path, bytes })
}

/// Takes a backup at every scheduled time until `cancel`, reporting through `status`.
pub async fn run<Tz>(
    db: DatabaseConfig,
    schedule: BackupSchedule,
    clock: Arc<dyn Clock>,
    tz: Tz,
    status: watch::Sender<BackupStatus>,
    cancel: CancellationToken,
) where
    Tz: TimeZone + Send + Sync,
    Tz::Offset: Send + Sync,
{
    if status.borrow().last.is_none() {
        let found = latest(&schedule.folder);
        status.send_modify(|s| s.last = found);
    }
    loop {
        let due = next_run(clock.now(), schedule.at, &tz);
        status.send_modify(|s| s.next = Some(due));
        while clock.now() < due {
            tokio::select! {
                () = cancel.cancelled() => return,
                () = clock.sleep_until(due) => {}
            }
        }
        let at = clock.now();
        match take(&db, &schedule, at).await {
            Ok(done) => status.send_modify(|s| {
                s.last = Some(done);
                s.failed = None;
            }),
            Err(error) => {
                tracing::error!(error = %error, folder = %schedule.folder.display(), "scheduled backup failed");
                status.send_modify(|s| s.failed = Some(Failed { at, error }));
            }
        }
    }
}

async fn take(db: &DatabaseConfig, schedule: &BackupSchedule, at: DateTime<Utc>) -> Result<Done, String> {
    // The folder is the user's choice (perhaps shared with other files): created when missing,
    // never re-permissioned; each backup is 0600 itself.
    std::fs::create_dir_all(&schedule.folder).map_err(|e| format!("{}: {e}", schedule.folder.display()))?;
    let out = schedule.folder.join(super::backup::file_name(db, at));
    let report = super::backup::backup(db, &out).await.map_err(|e| e.to_string())?;
    match rotate(&schedule.folder, schedule.keep) {
        Ok(deleted) if !deleted.is_empty() => tracing::info!(deleted = deleted.len(), "older backups deleted"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "older backups could not be deleted"),
    }
    Ok(Done { at, path: out, bytes: report.bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_run_is_the_next_time_the_clock_shows() {
        let at = NaiveTime::from_hms_opt(3, 0, 0).unwrap();
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(next_run(t("2026-03-01T02:59:59Z"), at, &Utc), t("2026-03-01T03:00:00Z"));
        assert_eq!(next_run(t("2026-03-01T03:00:00Z"), at, &Utc), t("2026-03-02T03:00:00Z"));
        let moscow = chrono::FixedOffset::east_opt(3 * 3600).unwrap();
        assert_eq!(next_run(t("2026-03-01T12:00:00Z"), at, &moscow), t("2026-03-02T00:00:00Z"));
    }

    #[test]
    fn only_our_names_count() {
        assert!(is_backup_name("postgate-20260301-030000.db"));
        assert!(is_backup_name("postgate-20260301-030000.pgbackup"));
        for name in ["postgate-20260301-0300.db", "postgate-2026030a-030000.db", "notes.txt", "postgate.db"] {
            assert!(!is_backup_name(name), "{name}");
        }
    }

    #[test]
    fn attention_when_failed_stale_or_never() {
        let now = Utc.with_ymd_and_hms(2026, 3, 5, 12, 0, 0).unwrap();
        let done = |at| Done { at, path: PathBuf::new(), bytes: 1 };
        let fresh = BackupStatus { last: Some(done(now - chrono::Duration::hours(30))), ..BackupStatus::default() };
        assert!(!fresh.needs_attention(now));
        assert!(BackupStatus::default().needs_attention(now));
        let old = BackupStatus { last: Some(done(now - chrono::Duration::hours(49))), ..BackupStatus::default() };
        assert!(old.needs_attention(now));
        let failed = BackupStatus { failed: Some(Failed { at: now, error: "x".into() }), ..fresh };
        assert!(failed.needs_attention(now));
    }
}
