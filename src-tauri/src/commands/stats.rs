//! The Statistics view: every chart over a range of local days, in one call (one query per
//! chart, run one after another on the shared pool).

use postgate::domain::StatsRange;
use postgate::store::charts::{Statistics, statistics};
use tauri::State;

use crate::error::CommandError;
use crate::state::AppState;

/// Every chart for the days `from..=to` (`YYYY-MM-DD`, both included) in the IANA zone `tz`;
/// an empty range, one over a year, a bad date or an unknown zone is `invalid` with the reason.
#[tauri::command]
pub async fn stats_view(
    state: State<'_, AppState>,
    from: String,
    to: String,
    tz: String,
) -> Result<Statistics, CommandError> {
    let range = StatsRange::parse(&from, &to, &tz).map_err(|e| CommandError::invalid(e.to_string()))?;
    Ok(statistics(&*state.services.store, &range).await?)
}
