//! The daily backup's settings: `BACKUP_TIME` (HH:MM, local time; unset: no scheduled
//! backups), `BACKUP_KEEP` (how many to keep, 7) and `BACKUP_DIR` (the folder, by default
//! `$XDG_DATA_HOME/postgate/backups`).

use std::path::{Path, PathBuf};

use chrono::NaiveTime;
use serde::Serialize;

use super::{ConfigError, Reader, quote};

/// When and where the daily backup is taken, and how many are kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BackupSchedule {
    /// The time of day, on the machine's clock (local time).
    pub at: NaiveTime,
    /// The newest backups kept in `folder`; older ones are deleted after each new one.
    pub keep: u32,
    pub folder: PathBuf,
}

impl Reader<'_> {
    pub(super) fn backup(&self) -> Result<Option<BackupSchedule>, ConfigError> {
        const VAR: &str = "BACKUP_TIME";
        const EXPECTED: &str = "a time of day as HH:MM (24-hour, local time), or nothing for no scheduled backups";
        let Some(raw) = self.get(VAR) else { return Ok(None) };
        let at = NaiveTime::parse_from_str(&raw, "%H:%M").map_err(|_| ConfigError::Invalid {
            var: VAR,
            expected: EXPECTED,
            got: quote(&raw),
        })?;
        let keep = self.int("BACKUP_KEEP", 7, 1..=365, "an integer from 1 to 365")?;
        let folder = self.get("BACKUP_DIR").map_or_else(|| self.default_backup_dir(), PathBuf::from);
        Ok(Some(BackupSchedule { at, keep, folder }))
    }

    /// `$XDG_DATA_HOME/postgate/backups`, else `~/.local/share/postgate/backups`.
    fn default_backup_dir(&self) -> PathBuf {
        let var = |name: &str| self.get(name).or_else(|| std::env::var(name).ok()).filter(|v| !v.is_empty());
        var("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| var("HOME").map(|home| Path::new(&home).join(".local/share")))
            .unwrap_or_default()
            .join("postgate/backups")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::config::Config;

    fn config(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let base = [
            ("BOT_TOKEN", "123456:ABCdef_ghi-JKL"),
            ("MODERATION_GROUP_ID", "-1001234567890"),
            ("CHANNEL_ID", "@postgate_news"),
            ("XDG_DATA_HOME", "/data"),
        ];
        let map: HashMap<String, String> =
            base.iter().chain(extra).map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_map(&map)
    }

    #[test]
    fn backups_are_scheduled_only_with_a_time_and_validated() {
        assert_eq!(config(&[]).unwrap().backup, None);
        let on = config(&[("BACKUP_TIME", "03:30")]).unwrap().backup.unwrap();
        assert_eq!(
            on,
            BackupSchedule {
                at: NaiveTime::from_hms_opt(3, 30, 0).unwrap(),
                keep: 7,
                folder: PathBuf::from("/data/postgate/backups"),
            }
        );
        let set = config(&[("BACKUP_TIME", "23:05"), ("BACKUP_KEEP", "2"), ("BACKUP_DIR", "/b")]).unwrap();
        assert_eq!(set.backup.map(|b| (b.keep, b.folder)), Some((2, PathBuf::from("/b"))));
        for (var, bad) in [("BACKUP_TIME", "25:00"), ("BACKUP_TIME", "3pm"), ("BACKUP_KEEP", "0")] {
            let e = config(&[("BACKUP_TIME", "03:00"), (var, bad)]).unwrap_err();
            assert!(e.to_string().contains(var), "{e}");
        }
    }
}
