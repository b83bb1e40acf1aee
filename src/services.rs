//! `Services`: everything built once at start (config, store, cache, i18n) and injected into
//! the bot, the console and the CLI. Cloning is cheap; there are no globals.

use std::sync::Arc;
use std::time::Duration;

use crate::cache::{Cache, MemoryCache, RedisCache};
use crate::config::Config;
use crate::i18n::I18n;
use crate::limiter::Limiter;
use crate::media::MediaFetcher;
pub use crate::metrics::Metrics;
use crate::store::{Store, StoreError};

/// Start-up failures, each naming what to fix.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("DATABASE_URL ({url}): cannot use the database: {source}")]
    Database { url: String, source: StoreError },
    #[error("REDIS_URL: {0}")]
    Cache(String),
    #[error("locales: {0}")]
    I18n(#[from] crate::i18n::I18nError),
}

/// The shared dependencies.
#[derive(Clone)]
pub struct Services {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub cache: Arc<dyn Cache>,
    pub i18n: I18n,
    /// Wakes the outbox worker when new work was written in this process.
    pub outbox_wake: Arc<tokio::sync::Notify>,
    /// Downloads media to temporary files (fingerprints, previews).
    pub media: MediaFetcher,
    pub metrics: Arc<Metrics>,
    /// Slots for outgoing messages under Telegram's sending limits.
    pub limiter: Limiter,
    /// Private messages handled at once (and moderators' presses being decided). A burst queues in front of the handlers instead of
    /// inside them: memory stays bounded, and commands, album parts and edits (which use the
    /// pool directly) leave connections for the outbox worker and the console.
    pub intake_slots: Arc<tokio::sync::Semaphore>,
    /// Receipts on their way and waiting to be recorded.
    pub receipts: crate::receipts::Receipts,
    /// Replies to private chats waiting for their chat's sending limit, outside the handlers.
    pub replies: crate::replies::Replies,
    /// Updates handed to the handlers and not yet handled: their offset is not confirmed.
    pub handled: crate::runtime::Handled,
    /// Raw entities of incoming private messages, from the polling listener to extraction.
    pub raw_entities: crate::telegram::entities::UpdateEntities,
    /// Whether the database answers: set by writes that meet an outage, read by the console.
    pub health: crate::health::Health,
    /// The time schedules, expiries and backups go by (the machine's clock outside tests).
    pub clock: Arc<dyn crate::clock::Clock>,
    /// New submissions' near-duplicate lookups, off intake's path.
    pub duplicates: crate::moderation::duplicates::DuplicateChecks,
}

/// Handlers allowed at once (their cache and database work) for a pool of `connections`.
/// Submissions are written in batches by two connections whatever their number. Measured on
/// 2 cores (BENCHMARKS.md, row 3): 1× the pool starves the batches (1 400/s), 2× gives the
/// best rate and latency (2 100–2 800/s, p99 29–37 ms), 3×–4× only lengthen the queue in
/// front of the writers (p99 45–65 ms at the same rate).
pub(crate) fn intake_slots(connections: u32) -> usize {
    usize::try_from(connections.saturating_mul(2).clamp(8, 64)).unwrap_or(40)
}

/// Whether more than half of `slots` (made by [`intake_slots`] for `connections`) are taken.
pub(crate) fn intake_busy(slots: &tokio::sync::Semaphore, connections: u32) -> bool {
    slots.available_permits() * 2 < intake_slots(connections)
}

impl Services {
    /// Connects the pool (creating the database if needed), applies migrations, prepares the
    /// cache client (Redis is optional at run time) and loads the locales.
    pub async fn build(config: Config) -> Result<Self, StartupError> {
        let db_error = |source| StartupError::Database { url: config.database.url.masked(), source };
        let store = crate::store::open(&config.database, config.limits.album_debounce).await.map_err(db_error)?;
        let cache: Arc<dyn Cache> = match &config.cache.url {
            Some(url) => {
                let redis = RedisCache::new(url.expose(), &config.cache.key_prefix, Duration::from_secs(2))
                    .map_err(|e| StartupError::Cache(e.to_string()))?;
                if let Err(e) = redis.ping().await {
                    tracing::warn!(error = %e, redis = %url, "Redis is not reachable; running on the database alone until it is");
                }
                Arc::new(redis)
            }
            None => Arc::new(MemoryCache::default()),
        };
        let i18n = I18n::new(&config.default_locale)?;
        let media = MediaFetcher::new(config.media.temp_dir.clone(), config.media.max_bytes);
        let slots = intake_slots(config.database.max_connections);
        let limiter = Limiter::from_config(config.telegram.send_limits);
        Ok(Self {
            config: Arc::new(config),
            store,
            cache,
            i18n,
            outbox_wake: Arc::new(tokio::sync::Notify::new()),
            media,
            metrics: Arc::default(),
            limiter,
            intake_slots: Arc::new(tokio::sync::Semaphore::new(slots)),
            receipts: crate::receipts::Receipts::default(),
            replies: crate::replies::Replies::default(),
            handled: crate::runtime::Handled::default(),
            raw_entities: crate::telegram::entities::UpdateEntities::default(),
            health: crate::health::Health::default(),
            clock: crate::clock::from_env(),
            duplicates: crate::moderation::duplicates::DuplicateChecks::default(),
        })
    }

    /// Whether more than half of the intake slots are taken: a burst is being stored, and
    /// background work (the outbox) should give it the CPU and the database first.
    pub fn intake_busy(&self) -> bool {
        intake_busy(&self.intake_slots, self.config.database.max_connections)
    }

    /// Closes the pool (waits for connections in use to come back).
    pub async fn close(&self) {
        self.store.close().await;
    }
}
