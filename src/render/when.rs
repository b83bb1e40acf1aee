//! A publication time as people read it — "3 December at 13:00", «3 декабря в 13:00» — in
//! the reader's language and the channel's time zone.

use chrono::{DateTime, Datelike, Utc};

use crate::i18n::{I18n, num, text};
use crate::schedule::Plan;

/// `at` in `plan`'s zone, worded in `locale`.
pub fn when_text(i18n: &I18n, locale: &str, plan: &Plan, at: DateTime<Utc>) -> String {
    let local = plan.local(at);
    let month = i18n.t(locale, &format!("month-{}", local.month()));
    let time = local.format("%H:%M").to_string();
    i18n.t_args(locale, "when", &[("day", num(i64::from(local.day()))), ("month", text(month)), ("time", text(time))])
}
