//! Reading a publishing plan from settings (`PUBLISH_*`), each fault naming its variable: a
//! slot list that is empty, unsorted, repeated or out of range, an unknown time zone.

use chrono::{Duration, NaiveTime};
use chrono_tz::Tz;

use super::plan::{Missed, Mode, Plan, WeekSlots};
use crate::config::ConfigError;

const SLOTS_EXPECTED: &str =
    "times HH:MM in order, e.g. 09:00,13:00,18:30, or per weekday: mon-fri 09:00,13:00; sat,sun 12:00";
const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The plan's settings as written (`None` = not set); what the console's form and the
/// settings file hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PlanSettings {
    pub mode: Option<String>,
    pub slots: Option<String>,
    pub interval_minutes: Option<String>,
    pub quiet_hours: Option<String>,
    pub timezone: Option<String>,
    pub missed: Option<String>,
    pub catch_up_minutes: Option<String>,
}

impl PlanSettings {
    /// The settings from a variable lookup (empty values count as missing).
    pub fn from_lookup(get: &dyn Fn(&str) -> Option<String>) -> Self {
        let var = |name: &str| get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        Self {
            mode: var("PUBLISH_MODE"),
            slots: var("PUBLISH_SLOTS"),
            interval_minutes: var("PUBLISH_INTERVAL_MINUTES"),
            quiet_hours: var("PUBLISH_QUIET_HOURS"),
            timezone: var("PUBLISH_TIMEZONE"),
            missed: var("PUBLISH_MISSED"),
            catch_up_minutes: var("PUBLISH_CATCH_UP_MINUTES"),
        }
    }
}

fn invalid(var: &'static str, expected: &'static str, got: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { var, expected, got: got.into() }
}

/// The plan the settings describe. Without a mode, slots make a slot plan, an interval an
/// interval plan, and nothing publishes at once; the zone defaults to the machine's.
pub fn parse_plan(s: &PlanSettings) -> Result<Plan, ConfigError> {
    let zone = match &s.timezone {
        Some(name) => name
            .parse::<Tz>()
            .map_err(|_| invalid("PUBLISH_TIMEZONE", "an IANA time zone name such as Europe/Moscow", name.clone()))?,
        None => machine_zone(),
    };
    let missed = match s.missed.as_deref() {
        None | Some("catch_up") => Missed::CatchUp,
        Some("next_slots") => Missed::NextSlots,
        Some(other) => return Err(invalid("PUBLISH_MISSED", "catch_up or next_slots", other)),
    };
    let catch_up_gap = Duration::minutes(minutes(s.catch_up_minutes.as_deref(), "PUBLISH_CATCH_UP_MINUTES", 10)?);
    let mode_name = s.mode.as_deref().unwrap_or(if s.slots.is_some() {
        "slots"
    } else if s.interval_minutes.is_some() {
        "interval"
    } else {
        "immediate"
    });
    let mode = match mode_name {
        "immediate" => Mode::Immediate,
        "slots" => Mode::Slots { slots: parse_slots(s.slots.as_deref().unwrap_or_default())? },
        "interval" => {
            let raw = s.interval_minutes.as_deref();
            let every = minutes(raw, "PUBLISH_INTERVAL_MINUTES", 0)?;
            if every == 0 {
                return Err(ConfigError::Missing {
                    var: "PUBLISH_INTERVAL_MINUTES",
                    expected: "minutes between posts, from 1 to 10080",
                });
            }
            let quiet = s.quiet_hours.as_deref().map(parse_quiet).transpose()?;
            Mode::Interval { every: Duration::minutes(every), quiet }
        }
        other => return Err(invalid("PUBLISH_MODE", "immediate, slots or interval", other)),
    };
    Ok(Plan { mode, zone, missed, catch_up_gap, settings: s.clone() })
}

/// The machine's time zone, UTC when it cannot be told.
pub fn machine_zone() -> Tz {
    iana_time_zone::get_timezone().ok().and_then(|name| name.parse().ok()).unwrap_or(Tz::UTC)
}

fn minutes(raw: Option<&str>, var: &'static str, default: i64) -> Result<i64, ConfigError> {
    let Some(raw) = raw else { return Ok(default) };
    match raw.parse::<i64>() {
        Ok(m) if (1..=10_080).contains(&m) => Ok(m),
        _ => Err(invalid(var, "minutes from 1 to 10080", raw)),
    }
}

/// `09:00,13:00` (every day) or `mon-fri 09:00,13:00; sat,sun 12:00`.
fn parse_slots(raw: &str) -> Result<WeekSlots, ConfigError> {
    let bad = |why: String| invalid("PUBLISH_SLOTS", SLOTS_EXPECTED, why);
    if raw.trim().is_empty() {
        return Err(ConfigError::Missing { var: "PUBLISH_SLOTS", expected: SLOTS_EXPECTED });
    }
    let mut week = WeekSlots::default();
    let mut set = [false; 7];
    for group in raw.split(';').map(str::trim).filter(|g| !g.is_empty()) {
        let (days, times) = match group.split_once(char::is_whitespace) {
            Some((days, times)) if days.chars().next().is_some_and(char::is_alphabetic) => {
                (parse_days(days).map_err(|e| bad(format!("{group:?}: {e}")))?, times)
            }
            _ => ([true; 7], group),
        };
        let times = parse_times(times).map_err(|e| bad(format!("{group:?}: {e}")))?;
        for (d, on) in days.iter().enumerate() {
            if *on {
                if set[d] {
                    return Err(bad(format!("{} is listed twice", DAYS[d])));
                }
                set[d] = true;
                week.0[d].clone_from(&times);
            }
        }
    }
    if week.count() == 0 {
        return Err(bad(format!("{raw:?}: no slot in the week")));
    }
    Ok(week)
}

fn parse_days(raw: &str) -> Result<[bool; 7], String> {
    let index = |name: &str| {
        DAYS.iter().position(|d| d.eq_ignore_ascii_case(name.trim())).ok_or_else(|| format!("unknown day {name:?}"))
    };
    let mut days = [false; 7];
    for part in raw.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (index(a)?, index(b)?);
                if a > b {
                    return Err(format!("{part:?} runs backwards"));
                }
                days[a..=b].iter_mut().for_each(|d| *d = true);
            }
            None => days[index(part)?] = true,
        }
    }
    Ok(days)
}

fn parse_times(raw: &str) -> Result<Vec<NaiveTime>, String> {
    let mut times: Vec<NaiveTime> = Vec::new();
    for part in raw.split(',').map(str::trim) {
        let time = parse_time(part)?;
        if let Some(last) = times.last() {
            if *last == time {
                return Err(format!("{part} is listed twice"));
            }
            if *last > time {
                return Err(format!("{part} comes after {}; list the times in order", last.format("%H:%M")));
            }
        }
        times.push(time);
    }
    Ok(times)
}

fn parse_time(raw: &str) -> Result<NaiveTime, String> {
    let out_of_range = || format!("{raw:?} is not a time from 00:00 to 23:59");
    let (h, m) = raw.split_once(':').ok_or_else(|| format!("{raw:?} is not HH:MM"))?;
    let digits =
        |s: &str, len: std::ops::RangeInclusive<usize>| len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(h, 1..=2) || !digits(m, 2..=2) {
        return Err(out_of_range());
    }
    let (h, m): (u32, u32) = (h.parse().map_err(|_| out_of_range())?, m.parse().map_err(|_| out_of_range())?);
    NaiveTime::from_hms_opt(h, m, 0).ok_or_else(out_of_range)
}

fn parse_quiet(raw: &str) -> Result<(NaiveTime, NaiveTime), ConfigError> {
    const EXPECTED: &str = "HH:MM-HH:MM, e.g. 23:00-08:00";
    let (a, b) = raw.split_once('-').ok_or_else(|| invalid("PUBLISH_QUIET_HOURS", EXPECTED, raw))?;
    let (a, b) = (parse_time(a.trim()), parse_time(b.trim()));
    match (a, b) {
        (Ok(a), Ok(b)) if a != b => Ok((a, b)),
        _ => Err(invalid("PUBLISH_QUIET_HOURS", EXPECTED, raw)),
    }
}
