//! The tray: Start bot / Stop bot / Show console / Quit, with an icon and tooltip that follow
//! the bot's state. The menu calls the same `AppState` methods as the console's commands.

use postgate::i18n::I18n;
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

/// A text from the locale files (`tray-*` in `ui.ftl`), English until the key exists.
fn text(i18n: &I18n, key: &str, fallback: &str) -> String {
    let locale = i18n.default_locale();
    if i18n.has_message(locale, key) { i18n.t(locale, key) } else { fallback.to_owned() }
}

/// Builds the tray with its menu, labelled in the configured default locale.
pub fn create<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let i18n = app.state::<AppState>().services.i18n.clone();
    let item = |id: &str, key: &str, fallback: &str, enabled: bool| {
        MenuItem::with_id(app, id, text(&i18n, key, fallback), enabled, None::<&str>)
    };
    let start = item(MENU_START, "tray-start-bot", "Start bot", true)?;
    let stop = item(MENU_STOP, "tray-stop-bot", "Stop bot", false)?;
    let show = item(MENU_SHOW, "tray-show-console", "Show console", true)?;
    let quit = item(MENU_QUIT, "tray-quit", "Quit", true)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&start, &stop, &separator, &show, &separator, &quit])?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(ICON_STOPPED)
        .tooltip(tooltip(&i18n, &BotState::Stopped))
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

/// The tooltip for a state: `PostGate: <state>` with the state's label from the console's
/// texts (`ui-bot-*`) and its detail (since when, who holds the bot, the error).
pub fn tooltip(i18n: &I18n, state: &BotState) -> String {
    let label = |key: &str, fallback: &str| text(i18n, key, fallback);
    match state {
        BotState::Stopped => format!("PostGate: {}", label("ui-bot-stopped", "stopped")),
        BotState::Starting => format!("PostGate: {}", label("ui-bot-starting", "starting")),
        BotState::Running { since } => {
            format!("PostGate: {} ({})", label("ui-bot-running", "running"), since.format("%Y-%m-%d %H:%M UTC"))
        }
        BotState::HeldElsewhere { holder } => {
            format!("PostGate: {} ({holder})", label("ui-bot-held-elsewhere", "held by another instance"))
        }
        BotState::Error { message, .. } => format!("PostGate: {}: {message}", label("ui-bot-error", "error")),
    }
}

/// Shows `state` in the tray (no-op without a tray, e.g. in tests).
pub fn update<R: Runtime>(app: &AppHandle<R>, state: &BotState) {
    let running = matches!(state, BotState::Running { .. } | BotState::Starting);
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let icon = if running { ICON_RUNNING } else { ICON_STOPPED };
        let i18n = &app.state::<AppState>().services.i18n;
        if let Err(e) = tray.set_icon(Some(icon)).and_then(|()| tray.set_tooltip(Some(tooltip(i18n, state)))) {
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
    fn tooltips_name_the_state_in_the_default_locale() {
        let en = I18n::new("en").unwrap();
        assert_eq!(tooltip(&en, &BotState::Stopped), format!("PostGate: {}", en.t("en", "ui-bot-stopped")));
        assert!(tooltip(&en, &BotState::HeldElsewhere { holder: "host-b".into() }).contains("host-b"));
        let error = BotState::Error { message: "token refused".into(), at: chrono::Utc::now() };
        assert!(tooltip(&en, &error).contains("token refused"));
        let ru = I18n::new("ru").unwrap();
        assert!(tooltip(&ru, &BotState::Stopped).contains(&ru.t("ru", "ui-bot-stopped")));
        assert_eq!(text(&ru, "tray-no-such-key", "Quit"), "Quit");
    }
}
