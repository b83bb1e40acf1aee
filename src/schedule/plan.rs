//! A publishing plan — publish at once, fixed slots per weekday, or a minimum interval with
//! quiet hours — in a time zone, and the next free slot it offers. Local times are turned
//! into instants so that daylight saving neither skips nor doubles a slot: a slot in the
//! spring gap goes out just after it, a slot the autumn repeats goes out once.

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::{HORIZON_DAYS, SLOT_WIDTH, ScheduleError, first_clear, is_free};

/// Times of day per weekday, Monday first; each day's list sorted, without repeats.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct WeekSlots(pub [Vec<NaiveTime>; 7]);

impl WeekSlots {
    /// The slots of the weekday `date` falls on.
    pub fn of(&self, date: NaiveDate) -> &[NaiveTime] {
        &self.0[date.weekday().num_days_from_monday() as usize]
    }

    /// How many slots the week has.
    pub fn count(&self) -> usize {
        self.0.iter().map(Vec::len).sum()
    }
}

/// How approved posts are timed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "mode")]
pub enum Mode {
    /// Published as soon as approved (the behaviour without a plan).
    Immediate,
    /// At fixed local times per weekday.
    Slots { slots: WeekSlots },
    /// At least `every` apart, never between `quiet.0` and `quiet.1` local time.
    Interval {
        #[serde(with = "minutes")]
        every: Duration,
        quiet: Option<(NaiveTime, NaiveTime)>,
    },
}

/// What happens to posts whose time passed while the bot was off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Missed {
    /// Published on start, in order, spaced by the plan's interval.
    CatchUp,
    /// Moved to the plan's next free slots.
    NextSlots,
}

/// The channel's publishing plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub mode: Mode,
    /// IANA name (`Europe/Moscow`).
    #[serde(serialize_with = "zone_name")]
    pub zone: Tz,
    pub missed: Missed,
    /// Spacing of caught-up posts in slot mode (the interval's own in interval mode).
    #[serde(with = "minutes")]
    pub catch_up_gap: Duration,
    /// The settings as written (what the console's form shows again).
    #[serde(skip)]
    pub settings: super::PlanSettings,
}

impl Plan {
    /// Today's behaviour: every approval published at once.
    pub fn immediate(zone: Tz) -> Self {
        Self {
            mode: Mode::Immediate,
            zone,
            missed: Missed::CatchUp,
            catch_up_gap: Duration::minutes(10),
            settings: super::PlanSettings::default(),
        }
    }

    pub fn is_immediate(&self) -> bool {
        self.mode == Mode::Immediate
    }

    /// How far apart caught-up posts go out.
    pub fn gap(&self) -> Duration {
        match self.mode {
            Mode::Interval { every, .. } => every,
            _ => self.catch_up_gap,
        }
    }

    /// The first slot at or after `from` that no post in `taken` holds; `from` itself in
    /// immediate mode.
    pub fn next_free(&self, from: DateTime<Utc>, taken: &[DateTime<Utc>]) -> Result<DateTime<Utc>, ScheduleError> {
        match &self.mode {
            Mode::Immediate => Ok(from),
            Mode::Slots { slots } => self.next_free_slot(slots, from, taken),
            Mode::Interval { every, quiet } => self.next_free_interval(*every, *quiet, from, taken),
        }
    }

    /// The local date and time `at` is in the plan's zone (for "3 December at 13:00").
    pub fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.zone).naive_local()
    }

    /// The instant a local time names: the earlier of a repeated hour, the first instant after
    /// a skipped one.
    pub fn instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        match self.zone.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.with_timezone(&Utc),
            LocalResult::None => {
                // In a gap: the same wall-clock distance past it (02:30 → 03:30 in Berlin).
                let later = local + Duration::hours(1);
                self.zone.from_local_datetime(&later).earliest().map_or_else(
                    || Utc.from_utc_datetime(&local), // no zone has a two-hour gap; keep a time
                    |t| t.with_timezone(&Utc),
                )
            }
        }
    }

    /// Every slot instant from `from` on, day by day, up to the horizon (deduplicated: two
    /// local times the gap maps to one instant are one slot).
    pub fn slots_from(&self, slots: &WeekSlots, from: DateTime<Utc>) -> impl Iterator<Item = DateTime<Utc>> + '_ {
        let first_day = self.local(from).date() - Duration::days(1);
        let week = slots.clone();
        let mut last: Option<DateTime<Utc>> = None;
        (0..=HORIZON_DAYS + 1)
            .flat_map(move |d| {
                let date = first_day + Duration::days(d);
                week.of(date).iter().map(move |t| date.and_time(*t)).collect::<Vec<_>>()
            })
            .map(|local| self.instant(local))
            .filter(move |at| *at >= from)
            .filter(move |at| {
                let fresh = last.is_none_or(|l| *at > l);
                if fresh {
                    last = Some(*at);
                }
                fresh
            })
    }

    fn next_free_slot(
        &self,
        slots: &WeekSlots,
        from: DateTime<Utc>,
        taken: &[DateTime<Utc>],
    ) -> Result<DateTime<Utc>, ScheduleError> {
        self.slots_from(slots, from).find(|at| is_free(*at, taken, SLOT_WIDTH)).ok_or(ScheduleError::Full)
    }

    fn next_free_interval(
        &self,
        every: Duration,
        quiet: Option<(NaiveTime, NaiveTime)>,
        from: DateTime<Utc>,
        taken: &[DateTime<Utc>],
    ) -> Result<DateTime<Utc>, ScheduleError> {
        let horizon = from + Duration::days(HORIZON_DAYS);
        let mut at = whole_minute_at_or_after(from);
        while at < horizon {
            if let Some(end) = quiet.and_then(|q| self.quiet_end(q, at)) {
                at = end;
                continue;
            }
            let clear = first_clear(at, taken, every)?;
            if clear == at {
                return Ok(at);
            }
            at = clear;
        }
        Err(ScheduleError::Full)
    }

    /// When the quiet hours `at` falls in end, if it falls in them.
    fn quiet_end(&self, (start, end): (NaiveTime, NaiveTime), at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let local = self.local(at);
        let (date, time) = (local.date(), local.time());
        let inside = if start <= end { time >= start && time < end } else { time >= start || time < end };
        if !inside {
            return None;
        }
        let end_date = if start > end && time >= start { date + Duration::days(1) } else { date };
        Some(self.instant(end_date.and_time(end)).max(at + SLOT_WIDTH))
    }
}

/// `at` rounded up to a whole minute.
fn whole_minute_at_or_after(at: DateTime<Utc>) -> DateTime<Utc> {
    let secs = at.timestamp();
    let rounded = if at.timestamp_subsec_nanos() == 0 && secs % 60 == 0 { secs } else { (secs / 60 + 1) * 60 };
    DateTime::from_timestamp(rounded, 0).unwrap_or(at)
}

#[allow(clippy::trivially_copy_pass_by_ref, reason = "serde's serialize_with passes a reference")]
fn zone_name<S: serde::Serializer>(zone: &Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(zone.name())
}

mod minutes {
    pub fn serialize<S: serde::Serializer>(d: &chrono::Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.num_minutes())
    }
}
