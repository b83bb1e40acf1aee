//! The first-run setup behind the window's setup screen: the core's setup steps
//! (`postgate::setup`), the session they share, and what finishing does — save the bot's
//! variables to the settings file, then build the services and start the bot in this process
//! (first run) or restart the app with them (“Run setup again”).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use postgate::config::Endpoint;
use postgate::i18n::I18n;
use postgate::setup::{SetupError, SetupSession};
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::Mutex;

use crate::error::{CommandError, ErrorCode};
use crate::settings_file::{self, Overlay};
use crate::state::AppState;

/// The setup's progress (`postgate::setup::Progress`) whenever it changes.
pub const EVENT_SETUP: &str = "postgate://setup";

/// Managed in both modes; `required` while the app runs without a bot configuration.
#[derive(Clone)]
pub struct SetupState {
    pub endpoint: Endpoint,
    pub i18n: I18n,
    pub settings_path: PathBuf,
    /// How the app was started (tray or not, …): what finishing the setup brings up.
    pub options: crate::Options,
    required: Arc<AtomicBool>,
    session: Arc<Mutex<Option<SetupSession>>>,
}

impl SetupState {
    pub fn new(
        endpoint: Endpoint,
        i18n: I18n,
        settings_path: PathBuf,
        options: crate::Options,
        required: bool,
    ) -> Self {
        Self {
            endpoint,
            i18n,
            settings_path,
            options,
            required: Arc::new(AtomicBool::new(required)),
            session: Arc::new(Mutex::new(None)),
        }
    }

    /// For a configured app: “Run setup again” from Settings.
    pub fn for_configured(state: &AppState, options: crate::Options) -> Self {
        let endpoint = state.services.config.telegram.endpoint();
        Self::new(endpoint, state.services.i18n.clone(), state.settings_path.clone(), options, false)
    }

    /// Whether the app runs without a bot configuration (the window shows the setup).
    pub fn required(&self) -> bool {
        self.required.load(Ordering::SeqCst)
    }

    /// The running session, if a token was accepted.
    pub async fn session(&self) -> Option<SetupSession> {
        self.session.lock().await.clone()
    }

    /// Replaces the session (the old one stops first: one poller per token).
    pub async fn replace_session(&self, next: Option<SetupSession>) {
        let mut slot = self.session.lock().await;
        if let Some(old) = slot.take() {
            old.stop().await;
        }
        *slot = next;
    }

    pub(crate) fn mark_done(&self) {
        self.required.store(false, Ordering::SeqCst);
    }
}

/// A setup error as a command error, with its `reason` for the UI's text.
pub fn command_error(field: &str, error: &SetupError) -> CommandError {
    let code = match error {
        SetupError::Unreachable { .. } | SetupError::Telegram(_) | SetupError::Client(_) => ErrorCode::Unavailable,
        _ => ErrorCode::Invalid,
    };
    let mut e = CommandError::new(code, error.to_string());
    e.field = Some(field.to_owned());
    e.reason = Some(error.code());
    e
}

/// Pushes the session's progress to the window on every change, until the session stops.
pub fn forward_progress<R: Runtime>(app: &AppHandle<R>, session: &SetupSession) {
    let app = app.clone();
    let session = session.clone();
    let mut changes = session.subscribe();
    tauri::async_runtime::spawn(async move {
        while changes.changed().await.is_ok() {
            if let Err(e) = app.emit(EVENT_SETUP, session.progress()) {
                tracing::warn!(error = %e, "cannot push the setup's progress to the window");
            }
        }
    });
}

/// Saves the variables over the settings file's others.
pub fn save(path: &std::path::Path, variables: &[(&'static str, String)]) -> Result<Overlay, CommandError> {
    let mut overlay = settings_file::load(path)
        .map_err(|e| CommandError::internal(format!("cannot read {}: {e}", path.display())))?;
    for (key, value) in variables {
        overlay.insert((*key).to_owned(), value.clone());
    }
    settings_file::save(path, &overlay)
        .map_err(|e| CommandError::internal(format!("cannot save {}: {e}", path.display())))?;
    Ok(overlay)
}

/// After the first run's setup: builds the services from the saved settings, manages them and
/// brings up everything a configured start has (tray, live events, the bot).
pub async fn activate<R: Runtime>(app: &AppHandle<R>, overlay: &Overlay) -> Result<(), CommandError> {
    let config = settings_file::config(overlay).map_err(|e| CommandError::invalid(e.to_string()))?;
    let setup = app.state::<SetupState>().inner().clone();
    let settings_path = setup.settings_path.clone();
    let state = crate::build_state(config, settings_path).await.map_err(CommandError::unavailable)?;
    if !app.manage(state) {
        return Err(CommandError::internal("the console already runs with a configuration; restart it"));
    }
    setup.mark_done();
    let options = crate::Options { autostart: settings_file::autostart(overlay), ..setup.options };
    crate::activate(app, options).map_err(|e| CommandError::internal(format!("cannot start the console: {e}")))
}
