//! The tray: the pending count (opens the queue), Start bot / Stop bot / Show console / Quit,
//! with an icon and tooltip that follow the bot's state and the pending count. The menu calls
//! the same `AppState` methods as the console's commands.

use std::sync::{Mutex, PoisonError};

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
pub const MENU_PENDING: &str = "queue-pending";
pub const MENU_START: &str = "bot-start";
pub const MENU_STOP: &str = "bot-stop";
pub const MENU_SHOW: &str = "console-show";
pub const MENU_QUIT: &str = "quit";

const ICON_RUNNING: Image<'static> = tauri::include_image!("../icons/tray-running.png");
const ICON_STOPPED: Image<'static> = tauri::include_image!("../icons/tray-stopped.png");

/// The items that change: Start/Stop (only the one that makes sense is enabled) and the
/// pending count; and what the tray shows, redrawn when either part changes.
struct Items<R: Runtime> {
    pending: MenuItem<R>,
    start: MenuItem<R>,
    stop: MenuItem<R>,
    shown: Mutex<(BotState, Option<i64>)>,
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
    let pending = MenuItem::with_id(app, MENU_PENDING, pending_text(&i18n, None), true, None::<&str>)?;
    let start = item(MENU_START, "tray-start-bot", "Start bot", true)?;
    let stop = item(MENU_STOP, "tray-stop-bot", "Stop bot", false)?;
    let show = item(MENU_SHOW, "tray-show-console", "Show console", true)?;
    let quit = item(MENU_QUIT, "tray-quit", "Quit", true)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(app, &[&pending, &separator, &start, &stop, &separator, &show, &separator, &quit])?;
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(ICON_STOPPED)
        .tooltip(tooltip(&i18n, &BotState::Stopped, None))
        .menu(&menu)
        .on_menu_event(|app, event| on_menu(app, event.id.as_ref()))
        .build(app)?;
    app.manage(Items { pending, start, stop, shown: Mutex::new((BotState::Stopped, None)) });
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
        MENU_PENDING => crate::notifier::open_queue(app),
        MENU_SHOW => crate::show_console(app),
        MENU_QUIT => crate::quit(app),
        other => tracing::debug!(id = other, "tray: unknown menu item"),
    }
}

/// The pending count as the menu and the tooltip show it (`tray-pending`).
fn pending_text(i18n: &I18n, pending: Option<i64>) -> String {
    let locale = i18n.default_locale();
    match pending {
        Some(count) if i18n.has_message(locale, "tray-pending") => {
            i18n.t_args(locale, "tray-pending", &[("count", postgate::i18n::num(count))])
        }
        Some(count) => format!("Pending: {count}"),
        None => text(i18n, "tray-pending-unknown", "Pending: …"),
    }
}

/// The tooltip: `PostGate: <state>` with the state's label from the console's texts
/// (`ui-bot-*`) and its detail (since when, who holds the bot, the error), then the pending
/// count once it is known.
pub fn tooltip(i18n: &I18n, state: &BotState, pending: Option<i64>) -> String {
    let bot = bot_text(i18n, state);
    match pending {
        Some(_) => format!("{bot} · {}", pending_text(i18n, pending)),
        None => bot,
    }
}

fn bot_text(i18n: &I18n, state: &BotState) -> String {
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

/// Shows the bot's `state` in the tray (no-op without a tray, e.g. in tests).
pub fn update<R: Runtime>(app: &AppHandle<R>, state: &BotState) {
    redraw(app, |shown| shown.0 = state.clone());
}

/// Shows the number of pending submissions in the tray's tooltip and menu.
pub fn set_pending<R: Runtime>(app: &AppHandle<R>, pending: i64) {
    redraw(app, |shown| shown.1 = Some(pending));
}

fn redraw<R: Runtime>(app: &AppHandle<R>, change: impl FnOnce(&mut (BotState, Option<i64>))) {
    let Some(items) = app.try_state::<Items<R>>() else { return };
    // Held while drawing: two changes at once are drawn in the order they were made.
    let mut shown = items.shown.lock().unwrap_or_else(PoisonError::into_inner);
    change(&mut shown);
    let (state, pending) = &*shown;
    let running = matches!(state, BotState::Running { .. } | BotState::Starting);
    let i18n = &app.state::<AppState>().services.i18n;
    if let Some(tray) = app.tray_by_id(TRAY_ID) {
        let icon = if running { ICON_RUNNING } else { ICON_STOPPED };
        if let Err(e) = tray.set_icon(Some(icon)).and_then(|()| tray.set_tooltip(Some(tooltip(i18n, state, *pending))))
        {
            tracing::warn!(error = %e, "tray: cannot update the icon");
        }
    }
    let _ = items.start.set_enabled(!running);
    let _ = items.stop.set_enabled(running);
    let _ = items.pending.set_text(pending_text(i18n, *pending));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tooltips_name_the_state_in_the_default_locale() {
        let en = I18n::new("en").unwrap();
        assert_eq!(tooltip(&en, &BotState::Stopped, None), format!("PostGate: {}", en.t("en", "ui-bot-stopped")));
        assert!(tooltip(&en, &BotState::HeldElsewhere { holder: "host-b".into() }, None).contains("host-b"));
        let error = BotState::Error { message: "token refused".into(), at: chrono::Utc::now() };
        assert!(tooltip(&en, &error, None).contains("token refused"));
        let ru = I18n::new("ru").unwrap();
        assert!(tooltip(&ru, &BotState::Stopped, None).contains(&ru.t("ru", "ui-bot-stopped")));
        assert_eq!(text(&ru, "tray-no-such-key", "Quit"), "Quit");
    }

    #[test]
    fn the_tooltip_and_menu_show_the_pending_count_in_the_default_locale() {
        let en = I18n::new("en").unwrap();
        assert_eq!(tooltip(&en, &BotState::Stopped, Some(5)), "PostGate: stopped · Pending: 5");
        assert_eq!(pending_text(&en, Some(1)), "Pending: 1");
        let ru = I18n::new("ru").unwrap();
        assert_eq!(pending_text(&ru, Some(5)), "На модерации: 5");
        assert!(tooltip(&ru, &BotState::Stopped, Some(0)).ends_with(" · На модерации: 0"));
        assert_eq!(pending_text(&ru, None), "На модерации: …");
    }
}
