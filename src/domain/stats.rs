//! The range statistics cover: whole local days, first to last, in an IANA time zone, valid by
//! construction (not empty, at most a year), and where those days begin and end in UTC —
//! 23 or 25 hours long on the days the clocks change.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

/// A range statistics refuse, with what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatsRangeError {
    #[error("the range is empty: it ends on {to} before it starts on {from}")]
    Empty { from: NaiveDate, to: NaiveDate },
    #[error("the range covers {days} days; statistics cover at most {max} days (a year): choose a shorter range")]
    TooLong { days: i64, max: i64 },
    #[error("unknown time zone {0:?}: expected an IANA name such as Europe/Berlin")]
    UnknownTimeZone(String),
    #[error("{0:?} is not a date: expected YYYY-MM-DD")]
    BadDate(String),
}

/// Local days `from..=to` in `tz`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatsRange {
    from: NaiveDate,
    to: NaiveDate,
    tz: Tz,
}

/// One local day (or hour) and the UTC instants it runs between, `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

/// One hour of the week in local time: weekday 0 = Monday … 6 = Sunday, hour 0–23.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekHour {
    pub weekday: u8,
    pub hour: u8,
    pub span: Span,
}

impl StatsRange {
    /// The longest range, in days: a year, leap day included.
    pub const MAX_DAYS: i64 = 366;

    /// Days `from..=to` (both included) in the IANA zone `tz`.
    pub fn new(from: NaiveDate, to: NaiveDate, tz: &str) -> Result<Self, StatsRangeError> {
        let tz: Tz = tz.parse().map_err(|_| StatsRangeError::UnknownTimeZone(tz.to_owned()))?;
        if to < from {
            return Err(StatsRangeError::Empty { from, to });
        }
        let days = (to - from).num_days() + 1;
        if days > Self::MAX_DAYS {
            return Err(StatsRangeError::TooLong { days, max: Self::MAX_DAYS });
        }
        Ok(Self { from, to, tz })
    }

    /// [`StatsRange::new`] from `YYYY-MM-DD` texts (what the console sends).
    pub fn parse(from: &str, to: &str, tz: &str) -> Result<Self, StatsRangeError> {
        let date = |s: &str| s.trim().parse::<NaiveDate>().map_err(|_| StatsRangeError::BadDate(s.to_owned()));
        Self::new(date(from)?, date(to)?, tz)
    }

    /// The last `days` local days up to and including the day `now` falls on in `tz`.
    pub fn last_days(now: DateTime<Utc>, days: u32, tz: &str) -> Result<Self, StatsRangeError> {
        let zone: Tz = tz.parse().map_err(|_| StatsRangeError::UnknownTimeZone(tz.to_owned()))?;
        let today = now.with_timezone(&zone).date_naive();
        let from = today.checked_sub_days(Days::new(u64::from(days.max(1)) - 1)).unwrap_or(today);
        Self::new(from, today, tz)
    }

    pub fn from(&self) -> NaiveDate {
        self.from
    }

    pub fn to(&self) -> NaiveDate {
        self.to
    }

    /// The zone's IANA name.
    pub fn tz_name(&self) -> &'static str {
        self.tz.name()
    }

    /// Every day of the range, first first.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        self.from.iter_days().take_while({
            let to = self.to;
            move |d| *d <= to
        })
    }

    /// Number of days in the range.
    pub fn len_days(&self) -> usize {
        usize::try_from((self.to - self.from).num_days() + 1).unwrap_or(0)
    }

    /// Where the whole range begins and ends in UTC.
    pub fn span(&self) -> Span {
        Span { start: self.starts(self.from, 0), end: self.starts(next(self.to), 0) }
    }

    /// Each day with its UTC span.
    pub fn day_spans(&self) -> Vec<(NaiveDate, Span)> {
        self.days().map(|d| (d, Span { start: self.starts(d, 0), end: self.starts(next(d), 0) })).collect()
    }

    /// Each local hour of the range with its weekday and UTC span; an hour the clocks skip is
    /// empty (start = end), an hour they repeat is two hours long.
    pub fn hour_spans(&self) -> Vec<WeekHour> {
        let mut out = Vec::with_capacity(self.len_days() * 24);
        for day in self.days() {
            let weekday = u8::try_from(day.weekday().num_days_from_monday()).unwrap_or(0);
            for hour in 0..24u32 {
                let start = self.starts(day, hour);
                let end = if hour == 23 { self.starts(next(day), 0) } else { self.starts(day, hour + 1) };
                out.push(WeekHour { weekday, hour: u8::try_from(hour).unwrap_or(0), span: Span { start, end } });
            }
        }
        out
    }

    /// The first instant whose local time is `day` at `hour`:00 or later (the end of the gap
    /// when the clocks skip that time, the first of the two when they repeat it).
    fn starts(&self, day: NaiveDate, hour: u32) -> DateTime<Utc> {
        let mut local = NaiveDateTime::new(day, NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or(NaiveTime::MIN));
        // Gaps are at most a few hours; a minute at a time finds their end.
        for _ in 0..(24 * 60) {
            if let Some(t) = self.tz.from_local_datetime(&local).earliest() {
                return t.with_timezone(&Utc);
            }
            local += TimeDelta::minutes(1);
        }
        Utc.from_utc_datetime(&local)
    }
}

fn next(day: NaiveDate) -> NaiveDate {
    day.succ_opt().unwrap_or(day)
}

/// How a range is shown back to the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RangeLabel {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub tz: String,
}

impl From<&StatsRange> for RangeLabel {
    fn from(r: &StatsRange) -> Self {
        Self { from: r.from, to: r.to, tz: r.tz_name().to_owned() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn an_empty_a_too_long_and_an_unknown_zone_are_refused_with_a_message() {
        let e = StatsRange::new(date("2026-03-02"), date("2026-03-01"), "Europe/Berlin").unwrap_err();
        assert_eq!(e.to_string(), "the range is empty: it ends on 2026-03-01 before it starts on 2026-03-02");
        let e = StatsRange::new(date("2024-01-01"), date("2026-01-01"), "UTC").unwrap_err();
        assert!(e.to_string().contains("covers 732 days; statistics cover at most 366 days"), "{e}");
        let e = StatsRange::new(date("2026-01-01"), date("2026-01-01"), "Mars/Olympus").unwrap_err();
        assert!(e.to_string().contains("unknown time zone \"Mars/Olympus\""), "{e}");
        assert!(StatsRange::new(date("2024-01-01"), date("2024-12-31"), "UTC").is_ok(), "a leap year fits");
        assert!(StatsRange::new(date("2026-01-01"), date("2026-01-01"), "UTC").is_ok(), "one day");
        let e = StatsRange::parse("2026-13-01", "2026-01-01", "UTC").unwrap_err();
        assert_eq!(e.to_string(), "\"2026-13-01\" is not a date: expected YYYY-MM-DD");
    }

    #[test]
    fn days_on_which_the_clocks_change_are_23_and_25_hours_long() {
        let r = StatsRange::new(date("2026-03-28"), date("2026-03-30"), "Europe/Berlin").unwrap();
        let spans = r.day_spans();
        assert_eq!(spans.len(), 3);
        assert_eq!(spans[1].1.start, utc("2026-03-28T23:00:00Z"));
        assert_eq!(spans[1].1.end, utc("2026-03-29T22:00:00Z"), "29 March: 23 hours");
        let r = StatsRange::new(date("2026-10-25"), date("2026-10-25"), "Europe/Berlin").unwrap();
        let day = r.day_spans()[0].1;
        assert_eq!((day.end - day.start).num_hours(), 25, "25 October: 25 hours");
    }

    #[test]
    fn a_skipped_hour_is_empty_and_a_repeated_hour_is_two_hours_long() {
        let spring = StatsRange::new(date("2026-03-29"), date("2026-03-29"), "Europe/Berlin").unwrap();
        let hours = spring.hour_spans();
        assert_eq!(hours.len(), 24);
        assert_eq!(hours[2].span.start, hours[2].span.end, "02:00 does not happen");
        assert_eq!(hours[0].weekday, 6, "a Sunday");
        let autumn = StatsRange::new(date("2026-10-25"), date("2026-10-25"), "Europe/Berlin").unwrap();
        let two = autumn.hour_spans()[2].span;
        assert_eq!((two.start, two.end), (utc("2026-10-25T00:00:00Z"), utc("2026-10-25T02:00:00Z")));
        let total: i64 = autumn.hour_spans().iter().map(|h| (h.span.end - h.span.start).num_hours()).sum();
        assert_eq!(total, 25);
    }

    #[test]
    fn the_last_days_end_today_in_the_zone() {
        // 23:30 UTC on 1 March is already 2 March in Berlin.
        let r = StatsRange::last_days(utc("2026-03-01T23:30:00Z"), 7, "Europe/Berlin").unwrap();
        assert_eq!((r.from(), r.to()), (date("2026-02-24"), date("2026-03-02")));
        assert_eq!(r.len_days(), 7);
        assert_eq!(r.days().count(), 7);
    }
}
