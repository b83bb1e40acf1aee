//! The stale-queue reminder's text in the moderation group (issue #17 part 3): how many pending
//! posts wait longer than the reminder age and the oldest one's age ("2 д 4 ч"), or that none
//! does any more. Pure: the caller gives the numbers and the clock's reading.

use chrono::{DateTime, Utc};

use crate::domain::PostId;
use crate::i18n::{I18n, num, text};

/// What the reminder says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Staleness {
    /// `count` pending posts wait longer than `hours`; the oldest is `oldest`, arrived at `since`.
    Stale { count: i64, hours: u32, oldest: PostId, since: DateTime<Utc> },
    /// None waits longer than `hours` (any more).
    Fresh { hours: u32 },
}

/// A waiting time in whole hours as the group reads it: "4 ч", or "2 д 4 ч" from a day on.
pub fn age_text(i18n: &I18n, locale: &str, since: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let hours = (now - since).num_hours().max(0);
    let (days, hours) = (hours / 24, hours % 24);
    if days > 0 {
        i18n.t_args(locale, "stale-age-days", &[("days", num(days)), ("hours", num(hours))])
    } else {
        i18n.t_args(locale, "stale-age-hours", &[("hours", num(hours))])
    }
}

/// The reminder's text at `now`.
pub fn reminder_text(i18n: &I18n, locale: &str, staleness: Staleness, now: DateTime<Utc>) -> String {
    match staleness {
        Staleness::Stale { count, hours, oldest, since } => i18n.t_args(
            locale,
            "stale-reminder",
            &[
                ("count", num(count)),
                ("hours", num(i64::from(hours))),
                ("id", num(oldest.0)),
                ("age", text(age_text(i18n, locale, since, now))),
            ],
        ),
        Staleness::Fresh { hours } => i18n.t_args(locale, "stale-fresh", &[("hours", num(i64::from(hours)))]),
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    #[test]
    fn the_reminder_says_how_many_and_the_oldest_in_both_languages() {
        let i18n = I18n::new("ru").unwrap();
        let now = Utc::now();
        let stale = Staleness::Stale { count: 3, hours: 24, oldest: PostId(12), since: now - Duration::hours(52) };
        assert_eq!(
            reminder_text(&i18n, "ru", stale, now),
            "⏳ 3 заявки ждут решения дольше 24 ч; самая старая, №12, ждёт 2 д 4 ч."
        );
        assert_eq!(
            reminder_text(&i18n, "en", stale, now),
            "⏳ 3 submissions have waited longer than 24 h; the oldest, #12, for 2 d 4 h."
        );
        let one = Staleness::Stale { count: 1, hours: 5, oldest: PostId(7), since: now - Duration::minutes(330) };
        assert_eq!(
            reminder_text(&i18n, "en", one, now),
            "⏳ 1 submission has waited longer than 5 h; the oldest, #7, for 5 h."
        );
        assert_eq!(
            reminder_text(&i18n, "ru", Staleness::Fresh { hours: 24 }, now),
            "✅ Очередь в порядке: ни одна заявка не ждёт дольше 24 ч."
        );
        assert_eq!(
            reminder_text(&i18n, "en", Staleness::Fresh { hours: 24 }, now),
            "✅ The queue is fresh: no submission has waited longer than 24 h."
        );
    }
}
