//! The stale-queue settings (issue #17 part 3): `STALE_REMINDER_HOURS` — remind the moderation
//! group of pending posts older than this many hours (unset or 0: no reminder) — and
//! `PENDING_EXPIRE_DAYS` — reject pending posts older than this many days as "expired", the
//! author told (unset or 0: never).

use std::time::Duration;

use serde::Serialize;

use super::{ConfigError, Reader};

/// When pending posts count as stale, and when they expire.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StaleConfig {
    /// Pending posts older than this are reminded of in the group; `None`: no reminder.
    pub reminder_hours: Option<u32>,
    /// Pending posts older than this are rejected as expired; `None`: never.
    pub expire_days: Option<u32>,
}

impl StaleConfig {
    /// The age past which a pending post is reminded of.
    pub fn reminder_after(&self) -> Option<Duration> {
        self.reminder_hours.map(|h| Duration::from_secs(u64::from(h) * 3600))
    }

    /// The age past which a pending post expires.
    pub fn expire_after(&self) -> Option<Duration> {
        self.expire_days.map(|d| Duration::from_secs(u64::from(d) * 86_400))
    }
}

impl Reader<'_> {
    pub(super) fn stale(&self) -> Result<StaleConfig, ConfigError> {
        // A year at most: a longer age is a typing mistake, not a policy.
        let hours = self.int("STALE_REMINDER_HOURS", 0, 0..=8760, "a whole number of hours from 0 (off) to 8760")?;
        let days = self.int("PENDING_EXPIRE_DAYS", 0, 0..=365, "a whole number of days from 0 (off) to 365")?;
        Ok(StaleConfig { reminder_hours: (hours > 0).then_some(hours), expire_days: (days > 0).then_some(days) })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use crate::config::{Config, ConfigError};

    fn config(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let base = [
            ("BOT_TOKEN", "123456:ABCdef_ghi-JKL"),
            ("MODERATION_GROUP_ID", "-1001234567890"),
            ("CHANNEL_ID", "@postgate_news"),
        ];
        let map: HashMap<String, String> =
            base.iter().chain(extra).map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_map(&map)
    }

    #[test]
    fn off_by_default_and_zero_is_off() {
        let c = config(&[]).unwrap().stale;
        assert_eq!((c.reminder_hours, c.expire_days), (None, None));
        let c = config(&[("STALE_REMINDER_HOURS", "0"), ("PENDING_EXPIRE_DAYS", "0")]).unwrap().stale;
        assert_eq!((c.reminder_after(), c.expire_after()), (None, None));
    }

    #[test]
    fn ages_are_read_and_bad_ones_name_their_variable() {
        let c = config(&[("STALE_REMINDER_HOURS", "24"), ("PENDING_EXPIRE_DAYS", "14")]).unwrap().stale;
        assert_eq!(c.reminder_after(), Some(std::time::Duration::from_hours(24)));
        assert_eq!(c.expire_after(), Some(std::time::Duration::from_hours(14 * 24)));
        for (var, bad) in
            [("STALE_REMINDER_HOURS", "a day"), ("STALE_REMINDER_HOURS", "9000"), ("PENDING_EXPIRE_DAYS", "-1")]
        {
            assert_eq!(config(&[(var, bad)]).unwrap_err().var(), var, "{var}={bad}");
        }
    }
}
