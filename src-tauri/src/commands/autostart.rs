//! "Start at login" in Settings: `autostart_get`, `autostart_set` (see
//! `docs/console-commands.md`), through the autostart plugin. On Linux it writes or removes
//! `~/.config/autostart/PostGate.desktop`, which starts the console with `--hidden`.

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_autostart::AutoLaunchManager;

use crate::error::CommandError;

/// Whether the console starts at login.
#[tauri::command]
pub async fn autostart_get<R: Runtime>(app: AppHandle<R>) -> Result<bool, CommandError> {
    let launcher = launcher(&app)?;
    launcher.is_enabled().map_err(|e| CommandError::internal(format!("cannot read the login entry: {e}")))
}

/// Turns starting at login on or off; returns the state it is in afterwards.
#[tauri::command]
pub async fn autostart_set<R: Runtime>(app: AppHandle<R>, enabled: bool) -> Result<bool, CommandError> {
    let launcher = launcher(&app)?;
    let changed = if enabled { launcher.enable() } else { launcher.disable() };
    changed.map_err(|e| CommandError::internal(format!("cannot change the login entry: {e}")))?;
    tracing::info!(enabled, "start at login changed");
    launcher.is_enabled().map_err(|e| CommandError::internal(format!("cannot read the login entry: {e}")))
}

/// The plugin's launcher; absent where the app runs without it (the mock runtime in tests).
fn launcher<R: Runtime>(app: &AppHandle<R>) -> Result<tauri::State<'_, AutoLaunchManager>, CommandError> {
    app.try_state::<AutoLaunchManager>()
        .ok_or_else(|| CommandError::unavailable("starting at login is not available in this build"))
}
