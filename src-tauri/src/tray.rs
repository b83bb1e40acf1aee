//! The tray: Start bot / Stop bot / Show console / Quit, with an icon and tooltip that follow
//! the bot's state. The menu calls the same `AppState` methods as the console's commands.

use postgate::runtime::BotState;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

use crate::state::AppState;

/// The tray icon's id.
pub const TRAY_ID: &str = "postgate";
/// Menu item ids.
pub const MENU_START: &str = "bot-start";
pub const MENU_STOP: &str = "bot-stop";
pub const MENU_SHOW: &str = "console-show";
pub const MENU_QUIT: &str = "quit";

const ICON_RUNNING: Image<'static> = tauri::include_image!("../icons/tray-running.png");
const ICON_STOPPED: Image<'static> = tauri::include_image!("../icons/tray-stopped.png");

/// The Start/Stop items, kept to enable only the one that makes sense.
struct Items<R: Runtime> {
    start: MenuItem<R>,
    stop: MenuItem<R>,
}

/// Builds the tray with its menu.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let start = MenuItem::with_id(app, MENU_START, "Start bot", true, None::<&str>)?;
    let stop = MenuItem::with_id(app, MENU_STOP, "Stop bot", false, None::<&str>)?;
    let show = MenuItem::with_id(app, MENU_SHOW, "Show console", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, MENU_QUIT, "Quit", true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&start, &stop, &separator, &show, &separator, &quit])?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(ICON_STOPPED)
        .tooltip("PostGate: bot stopped")
        .menu(&menu)
        .on_menu_event(|app, event| on_menu(app, event.id.as_ref()))
        .build(app)?;
    app.manage(Items { start, stop });
    Ok(())
}

fn on_menu<R: Runtime>(app: &AppHandle<R>, id: &str) {
    let state = app.state::<AppState>().inner().clone();
    match id {
        MENU_START => {
            tauri::async_runtime::spawn(async move {
                if let Err(e) = state.start_bot().await {
                    tracing::error!(error = %e.message, "tray: the bot did not start");
                }
            });
        }
        MENU_STOP => {
            tauri::async_runtime::spawn(async move {
                state.stop_bot().await;
            });
        }
        MENU_SHOW => crate::show_console(app),
        MENU_QUIT => crate::quit(app),
        other => tracing::debug!(id = other, "tray: unknown menu item"),
    }
}

/// The tooltip for a state.
pub fn tooltip(state: &BotState) -> String {
    match state {
        BotState::Stopped => "PostGate: bot stopped".to_owned(),
        BotState::Starting => "PostGate: bot starting…".to_owned(),
        BotState::Running { since } => format!("PostGate: bot running since {}", since.format("%Y-%m-%d %H:%M UTC")),
        BotState::HeldElsewhere { holder } => format!("PostGate: another instance polls this bot ({holder})"),
        BotState::Error { message, .. } => format!("PostGate: bot error: {message}"),
    }
}

/// Shows `state` in the tray (no-op without a tray, e.g. in tests).
pub fn update<R: Runtime>(app: &AppHandle<R>, state: &BotState) {
    let running = matches!(state, BotState::Running { .. } | BotState::Starting);
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let icon = if running { ICON_RUNNING } else { ICON_STOPPED };
        if let Err(e) = tray.set_icon(Some(icon)).and_then(|()| tray.set_tooltip(Some(tooltip(state)))) {
            tracing::warn!(error = %e, "tray: cannot update the icon");
        }
    }
    if let Some(items) = app.try_state::<Items<R>>() {
        let _ = items.start.set_enabled(!running);
        let _ = items.stop.set_enabled(running);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tooltips_name_the_state() {
        assert!(tooltip(&BotState::Stopped).contains("stopped"));
        assert!(tooltip(&BotState::HeldElsewhere { holder: "host-b".into() }).contains("host-b"));
        let error = BotState::Error { message: "token refused".into(), at: chrono::Utc::now() };
        assert!(tooltip(&error).contains("token refused"));
    }
}
