//! The one managed state: the core's `Services` and `Runtime`, and who the console acts as.
//! The tray, the commands and the signal handler all go through these methods.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use postgate::domain::UserId;
use postgate::media_cache::MediaCache;
use postgate::runtime::{BotState, Runtime, RuntimeError};
use postgate::services::Services;
use tokio_util::sync::CancellationToken;

use crate::error::CommandError;

/// Disk the media preview cache may use.
const PREVIEW_CACHE_BYTES: u64 = 256 * 1024 * 1024;

/// Extra time beyond `SHUTDOWN_TIMEOUT_SECS` for closing the pool after the bot stopped.
const CLOSE_GRACE: Duration = Duration::from_secs(3);

/// Managed by Tauri; cheap to clone (everything inside is shared).
#[derive(Clone)]
pub struct AppState {
    pub services: Services,
    pub runtime: Runtime,
    /// The Telegram user id console decisions are recorded under, if configured.
    pub console_moderator: Option<UserId>,
    /// Where the Settings screen saves (see `settings_file`).
    pub settings_path: PathBuf,
    /// Stops the background tasks (change listener, state follower) before the pool closes.
    pub background: CancellationToken,
    /// Media previews on disk (bounded; least recently used evicted).
    pub media: MediaCache,
    quitting: Arc<AtomicBool>,
}

impl AppState {
    pub fn new(services: Services, runtime: Runtime, settings_path: PathBuf) -> Self {
        let console_moderator = services.config.console_moderator().map(UserId);
        let media_config = &services.config.media;
        let media =
            MediaCache::new(media_config.temp_dir.join("previews"), PREVIEW_CACHE_BYTES, media_config.max_bytes);
        Self {
            media,
            services,
            runtime,
            console_moderator,
            settings_path,
            background: CancellationToken::new(),
            quitting: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The console's moderator identity, or `forbidden` naming the variable to set.
    pub fn moderator(&self) -> Result<UserId, CommandError> {
        self.console_moderator.ok_or_else(CommandError::no_console_moderator)
    }

    /// Starts the bot (idempotent). Another instance holding the token is a state, not a failure.
    pub async fn start_bot(&self) -> Result<BotState, CommandError> {
        match self.runtime.start().await {
            Ok(()) | Err(RuntimeError::HeldElsewhere { .. }) => Ok(self.runtime.status()),
            Err(e) => Err(CommandError::unavailable(e.to_string())),
        }
    }

    /// Stops the bot gracefully (bounded); stopping a stopped bot is a no-op.
    pub async fn stop_bot(&self) -> BotState {
        self.runtime.stop().await;
        self.runtime.status()
    }

    /// Marks the app as quitting; returns false when a quit is already under way.
    pub fn begin_quit(&self) -> bool {
        !self.quitting.swap(true, Ordering::SeqCst)
    }

    /// Full shutdown: stop the bot, drain, close the pool — bounded, so Quit never hangs.
    pub async fn shutdown(&self) {
        // The change listener holds a pooled connection: it must let go before the pool closes.
        self.background.cancel();
        let bound = self.services.config.shutdown_timeout + CLOSE_GRACE;
        if tokio::time::timeout(bound, self.runtime.shutdown()).await.is_err() {
            tracing::warn!(bound_secs = bound.as_secs(), "shutdown did not finish in time; exiting anyway");
        }
    }
}
