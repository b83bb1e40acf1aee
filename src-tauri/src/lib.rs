//! `postgate-desktop`: the console window and tray around the `PostGate` core. Glue only: the
//! core's `Services` and `Runtime` do the work; this crate exposes them to the window.
//!
//! - [`commands`]: the IPC commands of `docs/console-commands.md`, one file per area
//! - [`error`]: `CommandError`, the `{code, message}` every command rejects with
//! - [`state`]: `AppState`, the one managed state (services, runtime, console moderator)
//! - [`tray`]: Start / Stop / Show / Quit, icon and tooltip following the bot
//! - [`settings_file`]: the settings the console saves, overlaying `.env`
//! - `forward`: database changes, bot states and the database's health pushed to the window
//! - [`media`]: the `postgate-media:` protocol serving image previews from a bounded cache
//! - [`links`]: links open in the system browser (opener plugin); the window never navigates away
//! - `webkit_env`: the `WebKitGTK` switches the window runs with (set by re-executing once)

pub mod commands;
pub mod error;
mod forward;
pub mod links;
pub mod media;
pub mod settings_file;
pub mod state;
pub mod tray;
mod webkit_env;

use std::path::PathBuf;
use std::process::ExitCode;

use postgate::config::Config;
use postgate::runtime::Runtime as BotRuntime;
use postgate::services::Services;
use tauri::{AppHandle, Manager, RunEvent, Runtime, WindowEvent};

use crate::state::AppState;

/// Database changes (`{ event, post_id }`), from `PostgreSQL` `NOTIFY`.
pub const EVENT_CHANGED: &str = "postgate://changed";
/// The bot's state whenever it changes.
pub const EVENT_BOT: &str = "postgate://bot";
/// The database's health (`DbHealth`) whenever it changes.
pub const EVENT_DATABASE: &str = "postgate://database";
/// The console window's label (see `tauri.conf.json` and the capability).
pub const MAIN_WINDOW: &str = "main";

/// What the app does around the window; tests turn the desktop-only parts off.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Build the tray icon (needs a desktop session).
    pub tray: bool,
    /// Start the bot as soon as the app is up (`AUTOSTART_BOT`).
    pub autostart: bool,
    /// Quit gracefully on SIGTERM / SIGINT.
    pub signals: bool,
}

/// Whether a graphical session is available; without one the Tauri builder would panic.
pub fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|var| std::env::var_os(var).is_some_and(|v| !v.is_empty()))
}

/// The desktop app: decides headless vs window first, builds everything once, runs the window.
pub fn run() -> ExitCode {
    if !has_display() {
        eprintln!(
            "postgate-desktop: no display (neither DISPLAY nor WAYLAND_DISPLAY is set), so the console \
             window cannot open. On a server, run the bot headless with `postgate serve` \
             (or `make run`, which falls back to it)."
        );
        return ExitCode::from(2);
    }
    if let Err(e) = webkit_env::apply() {
        eprintln!("postgate-desktop: {e}; continuing without them");
    }
    dotenvy::dotenv().ok();
    let Some(settings_path) = settings_file::default_path() else {
        return fail(&"cannot locate the settings file: set HOME or POSTGATE_SETTINGS_FILE");
    };
    let mut overlay = match settings_file::load(&settings_path) {
        Ok(o) => o,
        Err(e) => return fail(&format!("{}: {e}", settings_path.display())),
    };
    if settings_file::lookup(&overlay, "LOG_DIR").is_none()
        && let Some(dir) = settings_file::default_log_dir()
    {
        overlay.insert("LOG_DIR".to_owned(), dir.display().to_string());
    }
    let config = match settings_file::config(&overlay) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let guard = match postgate::telemetry::init(&config.log) {
        Ok(g) => g,
        Err(e) => return fail(&e),
    };
    let options = Options { tray: true, autostart: settings_file::autostart(&overlay), signals: true };
    let state = match tauri::async_runtime::block_on(build_state(config, settings_path)) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let app = match configure(tauri::Builder::default(), state, options).build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(e) => return fail(&format!("cannot open the console window: {e}")),
    };
    let code = app.run_return(on_run_event);
    drop(guard); // flushes the file log last
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn fail(error: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("postgate-desktop: {error}");
    tracing::error!(error = %error, "postgate-desktop stopped");
    ExitCode::from(2)
}

/// Builds `Services` once (pool, migrations, cache, locales) and the bot runtime.
pub async fn build_state(config: Config, settings_path: PathBuf) -> Result<AppState, String> {
    let services = Services::build(config).await.map_err(|e| e.to_string())?;
    let runtime = match BotRuntime::new(services.clone()) {
        Ok(r) => r,
        Err(e) => {
            services.close().await;
            return Err(e.to_string());
        }
    };
    Ok(AppState::new(services, runtime, settings_path))
}

/// Everything but the context: state, commands, window and tray behaviour. Generic over the
/// Tauri runtime so tests drive it with `tauri::test::mock_builder()`.
pub fn configure<R: Runtime>(builder: tauri::Builder<R>, state: AppState, options: Options) -> tauri::Builder<R> {
    builder
        .manage(state)
        .plugin(links::opener())
        .plugin(links::navigation_guard())
        .invoke_handler(commands::handler())
        .register_asynchronous_uri_scheme_protocol(media::SCHEME, media::handle)
        .on_window_event(|window, event| {
            // Closing the window hides it to the tray; the bot keeps running. Quit is in the tray.
            if let WindowEvent::CloseRequested { api, .. } = event
                && window.label() == MAIN_WINDOW
            {
                api.prevent_close();
                if let Err(e) = window.hide() {
                    tracing::warn!(error = %e, "cannot hide the console window");
                }
            }
        })
        .setup(move |app| {
            let handle = app.handle().clone();
            let state = app.state::<AppState>().inner().clone();
            forward::spawn(&handle, &state);
            if options.tray {
                tray::create(&handle)?;
            }
            if options.signals {
                let handle = handle.clone();
                tauri::async_runtime::spawn(async move {
                    if let Ok(signal) = postgate::shutdown_signal().await {
                        tracing::info!(signal, "shutting down");
                        quit(&handle);
                    }
                });
            }
            if options.autostart {
                tauri::async_runtime::spawn(async move {
                    if let Err(e) = state.start_bot().await {
                        tracing::error!(error = %e.message, "the bot did not start; start it from the tray or the console");
                    }
                });
            }
            Ok(())
        })
}

/// Keeps the app alive in the tray when the last window goes; shuts down on a real exit.
pub fn on_run_event<R: Runtime>(app: &AppHandle<R>, event: RunEvent) {
    match event {
        RunEvent::ExitRequested { code: None, api, .. } => api.prevent_exit(),
        RunEvent::Exit => {
            // Normally `quit` already shut down; an exit from elsewhere still gets a bounded one.
            let state = app.state::<AppState>().inner().clone();
            if state.begin_quit() {
                tauri::async_runtime::block_on(state.shutdown());
            }
        }
        _ => {}
    }
}

/// Brings the console window back from the tray.
pub fn show_console<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window(MAIN_WINDOW) {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

/// Tray Quit and SIGTERM: stop the bot, drain, close the pool (bounded), then exit 0.
pub fn quit<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>().inner().clone();
    if !state.begin_quit() {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        state.shutdown().await;
        app.exit(0);
    });
}
