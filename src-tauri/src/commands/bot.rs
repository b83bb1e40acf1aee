//! The bot's switch: status, start, stop — the same `AppState` methods the tray menu calls.

use postgate::runtime::BotState;
use serde::Serialize;
use tauri::State;

use crate::error::CommandError;
use crate::state::AppState;

/// The bot's state and how much outbox work waits.
#[derive(Debug, Serialize)]
pub struct BotStatus {
    pub state: BotState,
    pub outbox_backlog: i64,
}

#[tauri::command]
pub async fn bot_status(state: State<'_, AppState>) -> Result<BotStatus, CommandError> {
    let outbox_backlog = state.services.store.outbox_backlog().await?;
    Ok(BotStatus { state: state.runtime.status(), outbox_backlog })
}

#[tauri::command]
pub async fn bot_start(state: State<'_, AppState>) -> Result<BotState, CommandError> {
    state.start_bot().await
}

#[tauri::command]
pub async fn bot_stop(state: State<'_, AppState>) -> Result<BotState, CommandError> {
    Ok(state.stop_bot().await)
}
