//! The bot runtime: owns the dispatcher, the outbox worker and the scheduled backups, starts
//! and stops them (from the tray, a command or a signal), and makes sure only one process polls
//! a bot token by holding the store's polling lock while running.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use serde::Serialize;
use teloxide::dispatching::{Dispatcher, ShutdownToken};
use teloxide::error_handlers::ErrorHandler;
use tokio::sync::{Mutex, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::archive::schedule::{self, BackupStatus};
use crate::bot::{self, BotError};

mod handled;
mod listener;
mod polling;
use crate::services::Services;
use crate::store::{PollLock, PollLockGuard, holder_name};
use crate::telegram;
pub use handled::{Handled, HandledGuard};

/// What the bot is doing, for the tray, the console and logs. Times are RFC 3339 UTC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum BotState {
    Stopped,
    Starting,
    Running {
        since: DateTime<Utc>,
    },
    /// Another process holds the polling lock for this bot token.
    HeldElsewhere {
        holder: String,
    },
    Error {
        message: String,
        at: DateTime<Utc>,
    },
}

/// Runtime failures.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("another PostGate instance is polling this bot: {holder}")]
    HeldElsewhere { holder: String },
    #[error("cannot take the polling lock: {0}")]
    Lock(#[from] crate::store::StoreError),
    #[error(transparent)]
    Client(#[from] telegram::ClientError),
}

/// How long the dispatcher gets to notice a stop request before its update stream is ended.
const MISSED_SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

struct Running {
    shutdown: ShutdownToken,
    /// Ends the update stream if teloxide misses the shutdown request (see `listener`).
    stop_polling: CancellationToken,
    cancel: CancellationToken,
    dispatcher: JoinHandle<()>,
    worker: JoinHandle<()>,
    receipts: JoinHandle<()>,
    /// The scheduled backups, when `BACKUP_TIME` is set.
    backups: Option<JoinHandle<()>>,
    lock: Box<dyn PollLockGuard>,
}

struct Inner {
    services: Services,
    http: reqwest::Client,
    slot: Mutex<Option<Running>>,
    state: watch::Sender<BotState>,
    /// Kept across stops and starts: the last backup stays known while the bot is stopped.
    backups: watch::Sender<BackupStatus>,
}

/// Cheap to clone; all clones drive the same bot.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<Inner>,
}

struct TracingErrors;

impl ErrorHandler<BotError> for TracingErrors {
    fn handle_error(self: Arc<Self>, error: BotError) -> BoxFuture<'static, ()> {
        tracing::error!(error = %error, "update handler failed");
        Box::pin(async {})
    }
}

impl Runtime {
    /// Builds the runtime and its one shared HTTP client; nothing runs until [`Runtime::start`].
    pub fn new(services: Services) -> Result<Self, RuntimeError> {
        let http = telegram::http_client(&services.config.telegram)?;
        let (state, _) = watch::channel(BotState::Stopped);
        let backups = watch::Sender::new(BackupStatus::default());
        Ok(Self { inner: Arc::new(Inner { services, http, slot: Mutex::new(None), state, backups }) })
    }

    /// A bot on the shared HTTP client, for calls outside polling (media previews), whether or
    /// not the bot is running.
    pub fn bot(&self) -> teloxide::Bot {
        telegram::bot(&self.inner.services.config.telegram, self.inner.http.clone())
    }

    pub fn status(&self) -> BotState {
        self.inner.state.borrow().clone()
    }

    /// Follows state changes (tray icon, console panel).
    pub fn subscribe(&self) -> watch::Receiver<BotState> {
        self.inner.state.subscribe()
    }

    /// Follows the scheduled backups (the last one, a failure, the next one).
    pub fn backups(&self) -> watch::Receiver<BackupStatus> {
        self.inner.backups.subscribe()
    }

    fn bot_key(&self) -> String {
        let token = self.inner.services.config.telegram.bot_token.expose();
        token.split(':').next().unwrap_or_default().to_owned()
    }

    /// Starts polling and the outbox worker. Idempotent: starting a running bot is a no-op.
    pub async fn start(&self) -> Result<(), RuntimeError> {
        let mut slot = self.inner.slot.lock().await;
        if slot.as_ref().is_some_and(|r| !r.dispatcher.is_finished()) {
            return Ok(());
        }
        if let Some(stale) = slot.take() {
            Self::finish(&self.inner.services, stale, Duration::from_secs(1)).await;
        }
        self.inner.state.send_replace(BotState::Starting);
        match self.launch().await {
            Ok(running) => {
                *slot = Some(running);
                self.inner.state.send_replace(BotState::Running { since: Utc::now() });
                tracing::info!("bot started");
                Ok(())
            }
            Err(RuntimeError::HeldElsewhere { holder }) => {
                self.inner.state.send_replace(BotState::HeldElsewhere { holder: holder.clone() });
                tracing::warn!(holder = %holder, "bot not started: another instance polls this token");
                Err(RuntimeError::HeldElsewhere { holder })
            }
            Err(e) => {
                self.inner.state.send_replace(BotState::Error { message: e.to_string(), at: Utc::now() });
                tracing::error!(error = %e, "bot not started");
                Err(e)
            }
        }
    }

    async fn take_lock(&self) -> Result<Box<dyn PollLockGuard>, RuntimeError> {
        let store = &self.inner.services.store;
        match store.try_poll_lock(&self.bot_key(), &holder_name()).await? {
            PollLock::Acquired(guard) => Ok(guard),
            PollLock::HeldBy(holder) => Err(RuntimeError::HeldElsewhere { holder }),
        }
    }

    async fn launch(&self) -> Result<Running, RuntimeError> {
        let lock = self.take_lock().await?;
        let services = self.inner.services.clone();
        let config = &services.config.telegram;
        let bot = telegram::bot(config, self.inner.http.clone());
        let stop_polling = CancellationToken::new();
        let listener = listener::Stoppable {
            inner: polling::RawPolling::new(bot.clone(), &services),
            fallback: stop_polling.clone(),
        };
        let mut dispatcher = Dispatcher::builder(bot.clone(), bot::schema())
            .dependencies(teloxide::dptree::deps![services.clone()])
            .distribution_function(bot::dispatch_key)
            .default_handler(|update| async move { tracing::debug!(update_id = update.id.0, "update ignored") })
            .error_handler(Arc::new(TracingErrors))
            .build();
        let shutdown = dispatcher.shutdown_token();
        let state = self.inner.state.clone();
        let dispatcher = tokio::spawn(async move {
            let errors = Arc::new(|e: teloxide::RequestError| async move {
                tracing::warn!(error = %e, "getUpdates failed; polling backs off and retries");
            });
            if let Err(e) = dispatcher.try_dispatch_with_listener(listener, errors).await {
                tracing::error!(error = %e, "bot could not start polling");
                state.send_replace(BotState::Error { message: e.to_string(), at: Utc::now() });
            }
        });
        let cancel = CancellationToken::new();
        let receipts = tokio::spawn(crate::receipts::run(bot.clone(), services.clone(), cancel.clone()));
        let backups = services.config.backup.clone().map(|schedule| {
            let (db, status) = (services.config.database.clone(), self.inner.backups.clone());
            tokio::spawn(schedule::run(db, schedule, services.clock.clone(), chrono::Local, status, cancel.clone()))
        });
        // Lookups a crash left undone run again, behind intake like the others.
        crate::moderation::duplicates::resume(&services).await;
        let worker = tokio::spawn(crate::publisher::run(bot, services, cancel.clone()));
        Ok(Running { shutdown, stop_polling, cancel, dispatcher, worker, receipts, backups, lock })
    }

    /// Stops taking updates, lets in-flight handlers and the outbox worker finish (bounded by
    /// `SHUTDOWN_TIMEOUT_SECS`), confirms the update offset, and releases the polling lock.
    pub async fn stop(&self) {
        let running = self.inner.slot.lock().await.take();
        if let Some(running) = running {
            Self::finish(&self.inner.services, running, self.inner.services.config.shutdown_timeout).await;
            self.inner.services.metrics.log_summary("bot stopped");
        }
        self.inner.state.send_replace(BotState::Stopped);
    }

    async fn finish(services: &Services, running: Running, bound: Duration) {
        let deadline = tokio::time::Instant::now() + bound;
        let Running { shutdown, stop_polling, cancel, mut dispatcher, mut worker, mut receipts, mut backups, lock } =
            running;
        let mut dispatcher_done = false;
        // Right after start the dispatcher may still be initialising: retry until it listens.
        loop {
            match shutdown.shutdown() {
                Ok(done) => {
                    // teloxide's future only notices the end if it was polled before it: also
                    // watch the task itself, or a fast stop would wait out the whole bound.
                    // If the dispatcher missed the request (it keeps polling), end its update
                    // stream after a grace: it then drains in-flight updates and stops; updates
                    // not yet confirmed are redelivered on restart and are idempotent.
                    let grace = tokio::time::sleep(MISSED_SHUTDOWN_GRACE);
                    tokio::pin!(done, grace);
                    loop {
                        tokio::select! {
                            () = &mut done => break,
                            _ = &mut dispatcher => {
                                dispatcher_done = true;
                                break;
                            }
                            () = &mut grace, if !stop_polling.is_cancelled() => {
                                tracing::debug!("dispatcher still polling after the stop request; ending its stream");
                                stop_polling.cancel();
                            }
                            () = tokio::time::sleep_until(deadline) => {
                                tracing::warn!("in-flight updates did not finish in time");
                                break;
                            }
                        }
                    }
                    break;
                }
                Err(_idle) if !dispatcher.is_finished() && tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(_) => break,
            }
        }
        // Replies the handlers queued go out before the receipts' last record; what is left
        // when time runs out is dropped (a receipt among it is sent by the next start's sweep).
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if !services.replies.flush(left).await {
            tracing::warn!(waiting = services.replies.waiting(), "replies not sent in time; dropped");
        }
        // The near-duplicate lookups of the last submissions are written before the outbox
        // worker stops, so their cards are refreshed by it now rather than at the next start.
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if !services.duplicates.settle(left).await {
            tracing::warn!(waiting = services.duplicates.waiting(), "near-duplicate lookups not done in time");
        }
        cancel.cancel();
        let mut tasks = vec![("outbox worker", &mut worker), ("receipts", &mut receipts)];
        if !dispatcher_done {
            tasks.push(("dispatcher", &mut dispatcher));
        }
        if let Some(backups) = backups.as_mut() {
            tasks.push(("scheduled backups", backups));
        }
        for (name, handle) in tasks {
            if tokio::time::timeout_at(deadline, &mut *handle).await.is_err() {
                tracing::warn!(task = name, "did not stop in time; aborted (leased jobs are retried later)");
                handle.abort();
            }
        }
        lock.release().await;
    }

    /// Full shutdown: stop the bot, then close the pool.
    pub async fn shutdown(&self) {
        self.stop().await;
        self.inner.services.close().await;
    }
}
