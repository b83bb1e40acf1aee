//! `postgate-desktop`: the console window and tray around the `PostGate` core. Glue only: the
//! core's `Services` and `Runtime` do the work; this crate exposes them to the window.
//!
//! - [`commands`]: the IPC commands of `docs/console-commands.md`, one file per area
//! - [`error`]: `CommandError`, the `{code, message}` every command rejects with
//! - [`state`]: `AppState`, the one managed state (services, runtime, console moderator)
//! - [`tray`]: the pending count, Start / Stop / Show / Quit, icon and tooltip following the bot
//! - [`settings_file`]: the settings the console saves, overlaying `.env`
//! - [`setup`]: the first-run setup screen's state; finishing it starts the console in place
//! - `forward`: database changes, bot states and the database's health pushed to the window
//! - [`media`]: the `postgate-media:` protocol serving image previews from a bounded cache
//! - [`links`]: links open in the system browser (opener plugin); the window never navigates away
//! - `webkit_env`: the `WebKitGTK` switches the window runs with (set by re-executing once)
//! - [`desktop`]: tray-app habits from the official plugins (one instance, notifications,
//!   start at login with `--hidden`, window state); [`notifier`] and [`notify_policy`]: desktop
//!   notifications of new submissions and the tray's pending count

pub mod commands;
pub mod desktop;
pub mod error;
mod forward;
pub mod links;
pub mod media;
pub mod notifier;
pub mod notify_policy;
pub mod settings_file;
pub mod setup;
pub mod state;
pub mod tray;
mod webkit_env;

use std::path::PathBuf;
use std::process::ExitCode;

use postgate::config::Config;
use postgate::runtime::Runtime as BotRuntime;
use postgate::services::Services;
use tauri::{AppHandle, Manager, RunEvent, Runtime, WindowEvent};

use crate::setup::SetupState;
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
    // Without the bot's variables the window opens on the setup screen instead of exiting.
    let config = match settings_file::config(&overlay) {
        Ok(c) => Some(c),
        Err(e) if postgate::setup::needed(&e) => None,
        Err(e) => return fail(&e),
    };
    let log = match &config {
        Some(c) => c.log.clone(),
        None => setup_log_config(&overlay),
    };
    let guard = match postgate::telemetry::init(&log) {
        Ok(g) => g,
        Err(e) => return fail(&e),
    };
    let options = Options { tray: true, autostart: settings_file::autostart(&overlay), signals: true };
    let mut context = tauri::generate_context!();
    if config.is_some() && desktop::hidden_requested() {
        desktop::start_hidden(&mut context);
    }
    // Single-instance first: a second launch hands over to the first console while the app is
    // built, before it would open the database the first one holds.
    let builder = desktop::plugins(tauri::Builder::default(), &settings_path);
    let app = match build_app(builder, context, config, &overlay, settings_path, options) {
        Ok(app) => app,
        Err(e) => return fail(&e),
    };
    let code = app.run_return(on_run_event);
    drop(guard); // flushes the file log last
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Logging before a configuration exists: the same variables, their defaults where unset.
fn setup_log_config(overlay: &settings_file::Overlay) -> postgate::config::LogConfig {
    let var = |name: &str, default: &str| settings_file::lookup(overlay, name).unwrap_or_else(|| default.to_owned());
    let format = if var("LOG_FORMAT", "json").eq_ignore_ascii_case("pretty") {
        postgate::config::LogFormat::Pretty
    } else {
        postgate::config::LogFormat::Json
    };
    postgate::config::LogConfig { dir: PathBuf::from(var("LOG_DIR", "logs")), format, filter: var("LOG_LEVEL", "info") }
}

/// The setup's state when the app starts unconfigured: the Telegram endpoint and the texts.
pub fn setup_state(
    overlay: &settings_file::Overlay,
    settings_path: PathBuf,
    options: Options,
) -> Result<SetupState, String> {
    let endpoint = postgate::config::Endpoint::from_lookup(|var| settings_file::lookup(overlay, var))
        .map_err(|e| e.to_string())?;
    let locale = settings_file::lookup(overlay, "DEFAULT_LOCALE")
        .filter(|l| postgate::i18n::AVAILABLE.contains(&l.as_str()))
        .unwrap_or_else(|| postgate::i18n::FALLBACK.to_owned());
    let i18n = postgate::i18n::I18n::new(&locale).map_err(|e| e.to_string())?;
    Ok(SetupState::new(endpoint, i18n, settings_path, options, true))
}

/// The app: on the setup screen without a configuration; else built first (a second instance
/// stops there), then the services, which [`configure`] would have managed before the build.
fn build_app(
    builder: tauri::Builder<tauri::Wry>,
    context: tauri::Context<tauri::Wry>,
    config: Option<Config>,
    overlay: &settings_file::Overlay,
    settings_path: PathBuf,
    options: Options,
) -> Result<tauri::App<tauri::Wry>, String> {
    let window_error = |e: tauri::Error| format!("cannot open the console window: {e}");
    let Some(config) = config else {
        tracing::info!(settings = %settings_path.display(), "no bot configured yet: opening the setup screen");
        let setup = setup_state(overlay, settings_path, options)?;
        return configure_for_setup(builder, setup, options).build(context).map_err(window_error);
    };
    let app = shell(builder, options).build(context).map_err(window_error)?;
    let state = tauri::async_runtime::block_on(build_state(config, settings_path))?;
    app.manage(SetupState::for_configured(&state, options));
    app.manage(state);
    Ok(app)
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

/// Everything but the context for a configured app: state, commands, window and tray
/// behaviour. Generic over the Tauri runtime so tests drive it with `tauri::test::mock_builder()`.
pub fn configure<R: Runtime>(builder: tauri::Builder<R>, state: AppState, options: Options) -> tauri::Builder<R> {
    let setup = SetupState::for_configured(&state, options);
    base(builder.manage(state), setup, options)
}

/// The app before the bot is configured: the window opens on the setup screen; finishing it
/// manages the services and brings up the rest ([`activate`]).
pub fn configure_for_setup<R: Runtime>(
    builder: tauri::Builder<R>,
    setup: SetupState,
    options: Options,
) -> tauri::Builder<R> {
    base(builder, setup, options)
}

fn base<R: Runtime>(builder: tauri::Builder<R>, setup: SetupState, options: Options) -> tauri::Builder<R> {
    shell(builder.manage(setup), options)
}

/// Everything of [`base`] but the managed setup state.
fn shell<R: Runtime>(builder: tauri::Builder<R>, options: Options) -> tauri::Builder<R> {
    builder
        .plugin(links::opener())
        .plugin(links::navigation_guard())
        .invoke_handler(commands::handler())
        .register_asynchronous_uri_scheme_protocol(media::SCHEME, media::handle)
        .on_window_event(|window, event| {
            // Closing the window hides it to the tray; the bot keeps running. Quit is in the tray.
            // Before the setup there is no tray (and no bot): closing the window quits.
            if let WindowEvent::CloseRequested { api, .. } = event
                && window.label() == MAIN_WINDOW
            {
                api.prevent_close();
                if window.try_state::<AppState>().is_none() {
                    quit(window.app_handle());
                } else if let Err(e) = window.hide() {
                    tracing::warn!(error = %e, "cannot hide the console window");
                }
            }
        })
        .setup(move |app| {
            let handle = app.handle().clone();
            if options.signals {
                let handle = handle.clone();
                tauri::async_runtime::spawn(async move {
                    if let Ok(signal) = postgate::shutdown_signal().await {
                        tracing::info!(signal, "shutting down");
                        quit(&handle);
                    }
                });
            }
            if app.try_state::<AppState>().is_some() {
                activate(&handle, options)?;
            }
            Ok(())
        })
}

/// Brings up what a configured console runs beside the window: live events, the tray, and the
/// bot (when `options.autostart`). At start, or once the first-run setup has saved.
pub fn activate<R: Runtime>(handle: &AppHandle<R>, options: Options) -> tauri::Result<()> {
    let state = handle.state::<AppState>().inner().clone();
    forward::spawn(handle, &state);
    if options.tray {
        tray::create(handle)?;
    }
    if options.autostart {
        tauri::async_runtime::spawn(async move {
            if let Err(e) = state.start_bot().await {
                tracing::error!(error = %e.message, "the bot did not start; start it from the tray or the console");
            }
        });
    }
    Ok(())
}

/// Keeps the app alive in the tray when the last window goes; shuts down on a real exit.
pub fn on_run_event<R: Runtime>(app: &AppHandle<R>, event: RunEvent) {
    match event {
        RunEvent::ExitRequested { code: None, api, .. } => api.prevent_exit(),
        RunEvent::Exit => {
            // Normally `quit` already shut down; an exit from elsewhere still gets a bounded one.
            if let Some(state) = app.try_state::<AppState>().map(|s| s.inner().clone())
                && state.begin_quit()
            {
                tauri::async_runtime::block_on(state.shutdown());
            }
            let setup = app.state::<SetupState>().inner().clone();
            tauri::async_runtime::block_on(setup.replace_session(None));
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
    let state = app.try_state::<AppState>().map(|s| s.inner().clone());
    if state.as_ref().is_some_and(|s| !s.begin_quit()) {
        return;
    }
    let setup = app.state::<SetupState>().inner().clone();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        setup.replace_session(None).await;
        if let Some(state) = state {
            state.shutdown().await;
        }
        app.exit(0);
    });
}
