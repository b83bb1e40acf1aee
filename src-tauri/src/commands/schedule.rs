//! The calendar's commands: the coming days' slots with the posts scheduled in them (and the
//! parked ones), and moving a post — through `postgate::moderation::schedule`, under the
//! console moderator's id with source `console`, like a button in the group.

use chrono::{DateTime, NaiveDate, Utc};
use postgate::domain::{ActionSource, PostId};
use postgate::moderation::schedule::{ScheduleRefused, reschedule};
use postgate::schedule::calendar::{self, Day};
use postgate::schedule::{Mode, ScheduleError};
use postgate::store::{Reschedule, ScheduleChange, ScheduleOutcome, ScheduledPost};
use serde::Serialize;
use tauri::State;

use crate::error::{CommandError, ErrorCode};
use crate::state::AppState;

/// Parked posts the calendar lists at most.
const PARKED_MAX: i64 = 200;

/// What the calendar view shows.
#[derive(Debug, Serialize)]
pub struct Calendar {
    /// The plan's zone (IANA name); every `time` is local to it.
    pub zone: String,
    /// `immediate`, `slots` or `interval`.
    pub mode: &'static str,
    pub days: Vec<Day>,
    pub parked: Vec<ScheduledPost>,
}

impl From<ScheduleRefused> for CommandError {
    fn from(e: ScheduleRefused) -> Self {
        match e {
            ScheduleRefused::Store(e) => e.into(),
            ScheduleRefused::Time(e @ ScheduleError::SlotTaken { .. }) => Self::new(ErrorCode::Conflict, e.to_string()),
            ScheduleRefused::Time(e) => Self::invalid(e.to_string()),
        }
    }
}

/// `days` days (1–31, default 7) from `start` (`YYYY-MM-DD` in the plan's zone, default today).
#[tauri::command]
pub async fn schedule_calendar(
    state: State<'_, AppState>,
    start: Option<String>,
    days: Option<i64>,
) -> Result<Calendar, CommandError> {
    let services = &state.services;
    let plan = &services.config.schedule;
    let now = services.clock.now();
    let first = match start.as_deref() {
        Some(raw) => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
            .map_err(|_| CommandError::invalid(format!("start: {raw:?} is not a date YYYY-MM-DD")))?,
        None => plan.local(now).date(),
    };
    let days = days.unwrap_or(7).clamp(1, calendar::MAX_DAYS);
    let (from, to) = calendar::span(plan, first, days);
    let posts = services.store.scheduled(from, to).await?;
    let parked = services.store.parked(PARKED_MAX).await?;
    let mode = match plan.mode {
        Mode::Immediate => "immediate",
        Mode::Slots { .. } => "slots",
        Mode::Interval { .. } => "interval",
    };
    Ok(Calendar {
        zone: plan.zone.name().to_owned(),
        mode,
        days: calendar::build(plan, first, days, posts, now),
        parked,
    })
}

/// Moves post `id`: `to` is `{ "to": "at", "at": RFC 3339, "swap": bool }`, `{ "to": "park" }`,
/// `{ "to": "now" }` or `{ "to": "to_queue" }`; `seen` is the time the console showed (none:
/// parked). A time in the past is `invalid`, a taken one (without `swap`) `conflict`.
#[tauri::command]
pub async fn schedule_move(
    state: State<'_, AppState>,
    id: i64,
    seen: Option<DateTime<Utc>>,
    to: Reschedule,
) -> Result<ScheduleOutcome, CommandError> {
    let change = ScheduleChange {
        post_id: PostId(id),
        moderator: Some(state.moderator()?),
        source: ActionSource::Console,
        seen,
        to,
    };
    Ok(reschedule(&state.services, &change, state.services.clock.now()).await?)
}
