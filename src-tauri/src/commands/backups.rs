//! The scheduled backups, for the header's warning and the Settings screen: whether they are
//! scheduled (`BACKUP_TIME`), the last one's time and size, a failure, the next one.

use postgate::archive::schedule::BackupView;
use tauri::State;

use crate::error::CommandError;
use crate::state::AppState;

#[tauri::command]
pub async fn backup_status(state: State<'_, AppState>) -> Result<BackupView, CommandError> {
    let status = state.runtime.backups().borrow().clone();
    Ok(BackupView::at(state.services.clock.now(), state.services.config.backup.as_ref(), status))
}
