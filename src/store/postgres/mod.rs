//! The `PostgreSQL` [`Store`]: one shared, bounded pool; embedded forward-only migrations.

mod batch;
mod charts;
mod decide;
mod events;
mod flags;
mod import;
mod intake;
mod lock;
mod options;
mod outbox;
mod posts;
mod recovery;
mod rows;
mod schedule;
mod stale;
mod stats;
mod thread;
mod undo;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use sqlx::migrate::{MigrateDatabase, Migrator};
use sqlx::postgres::{PgPool, PgPoolOptions};
use tracing::instrument;

use super::{
    Admission, AuthorEdit, AuthorEditOutcome, AuthorProfile, AuthorRecord, BackendKind, BanImportRow, BanRecord,
    BanRequest, ChangeEvent, ClaimOutcome, DecideOutcome, Decision, Delivery, ImportCounts, IntakeFlags, LogEntry,
    ModeratorProfile, NewPost, OutboxJob, OutboxResult, PollLock, PostPage, PostQuery, PostRecord, PostSummary,
    QueueStats, ScheduleChange, ScheduleOutcome, ScheduledPost, Store, StoreError, SubmitOutcome, UndoOutcome,
    UndoRejection,
};
use crate::config::DatabaseConfig;
use crate::domain::{ActionSource, PostId, UserId};

/// The migrations in `migrations/postgres/`, embedded at build time.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The channel every change is announced on (`LISTEN postgate_events`).
pub const EVENTS_CHANNEL: &str = "postgate_events";

/// `PostgreSQL` storage around one shared pool.
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    album_debounce: Duration,
    batcher: intake::IntakeBatcher,
    completer: outbox::Completer,
    send_marker: recovery::SendMarker,
}

/// How long an album waits for more parts before it is announced, unless configured.
const DEFAULT_ALBUM_DEBOUNCE: Duration = Duration::from_millis(1500);

impl PgStore {
    /// Wraps an existing pool (tests, `#[sqlx::test]`).
    pub fn from_pool(pool: PgPool) -> Self {
        Self {
            pool,
            album_debounce: DEFAULT_ALBUM_DEBOUNCE,
            batcher: intake::IntakeBatcher::default(),
            completer: outbox::Completer::default(),
            send_marker: recovery::SendMarker::default(),
        }
    }

    /// Sets how long an album waits for its next part before it is announced.
    #[must_use]
    pub fn with_album_debounce(mut self, debounce: Duration) -> Self {
        self.album_debounce = debounce;
        self
    }

    /// Creates the database when it does not exist, connects the bounded pool and checks
    /// that the server answers.
    #[instrument(skip_all, fields(db = %config.url), err)]
    pub async fn connect(config: &DatabaseConfig) -> Result<Self, StoreError> {
        let url = config.url.expose();
        let exists = tokio::time::timeout(config.acquire_timeout, sqlx::Postgres::database_exists(url))
            .await
            .map_err(|_| StoreError::Unavailable(format!("no answer within {:?}", config.acquire_timeout)))??;
        if !exists {
            tracing::info!("database does not exist yet; creating it");
            sqlx::Postgres::create_database(url).await?;
        }
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections)
            // A warm pool: every connection is opened (and its backend forked) before the
            // first update, not by the first burst, whose handlers would each wait for one.
            // No idle timeout: with the pool kept full, it would only close idle connections
            // and reopen them at once (cold backends) every few minutes of quiet; sqlx's
            // 30-minute lifetime still renews them.
            .min_connections(config.max_connections)
            .acquire_timeout(config.acquire_timeout)
            .idle_timeout(None)
            .connect(url)
            .await?;
        Ok(Self::from_pool(pool))
    }

    /// Applies pending migrations. An edited, already-applied migration fails with a
    /// checksum error that names its version.
    #[instrument(skip_all, err)]
    pub async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    /// The shared pool (for `LISTEN` and for the pieces that need a raw connection).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes the pool, waiting for checked-out connections to come back.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Connects once (no pool) and reads the server's version.
pub async fn probe(config: &DatabaseConfig) -> Result<String, StoreError> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(config.url.expose()).await?;
    let version: String = sqlx::query_scalar("SHOW server_version").fetch_one(&mut conn).await?;
    let _ = conn.close().await;
    Ok(format!("PostgreSQL {version} at {}", config.url.masked()))
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> BackendKind {
        BackendKind::Postgres
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        PgStore::migrate(self).await
    }

    async fn close(&self) {
        PgStore::close(self).await;
    }

    async fn try_poll_lock(&self, key: &str, holder: &str) -> Result<PollLock, StoreError> {
        lock::try_poll_lock(&self.pool, key, holder).await
    }

    async fn changes(&self) -> Result<BoxStream<'static, ChangeEvent>, StoreError> {
        events::changes(&self.pool).await
    }

    #[instrument(skip_all, err)]
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn upsert_author(&self, author: &AuthorProfile) -> Result<(), StoreError> {
        posts::upsert_author(&self.pool, author).await
    }

    async fn author(&self, id: UserId) -> Result<Option<AuthorRecord>, StoreError> {
        posts::author(&self.pool, id).await
    }

    async fn authors(&self, ids: &[UserId]) -> Result<Vec<AuthorRecord>, StoreError> {
        posts::authors(&self.pool, ids).await
    }

    async fn locale_override(&self, id: UserId) -> Result<Option<String>, StoreError> {
        posts::locale_override(&self.pool, id).await
    }

    async fn set_locale_override(&self, id: UserId, locale: Option<&str>) -> Result<(), StoreError> {
        posts::set_locale_override(&self.pool, id, locale).await
    }

    async fn submit_with(&self, post: &NewPost, admission: Admission) -> Result<SubmitOutcome, StoreError> {
        intake::submit(&self.pool, &self.batcher, post, admission, None, self.album_debounce).await
    }

    async fn submit_flagged(
        &self,
        post: &NewPost,
        admission: Admission,
        flags: &IntakeFlags,
    ) -> Result<SubmitOutcome, StoreError> {
        intake::submit(&self.pool, &self.batcher, post, admission, Some(flags), self.album_debounce).await
    }

    async fn author_edit(&self, edit: &AuthorEdit) -> Result<AuthorEditOutcome, StoreError> {
        posts::author_edit(&self.pool, edit).await
    }

    async fn post(&self, id: PostId) -> Result<Option<PostRecord>, StoreError> {
        posts::post(&self.pool, id).await
    }

    async fn posts(&self, ids: &[PostId]) -> Result<Vec<PostRecord>, StoreError> {
        posts::posts(&self.pool, ids).await
    }

    async fn list_posts(&self, query: &PostQuery) -> Result<PostPage, StoreError> {
        posts::list_posts(&self.pool, query).await
    }

    async fn recent_posts_of(&self, author: UserId, limit: i64) -> Result<Vec<PostSummary>, StoreError> {
        posts::recent_posts_of(&self.pool, author, limit).await
    }

    async fn pending_count_of(&self, author: UserId) -> Result<i64, StoreError> {
        posts::pending_count_of(&self.pool, author).await
    }

    async fn set_media_hash(&self, id: PostId, position: i16, sha256: &str) -> Result<Option<PostId>, StoreError> {
        stats::set_media_hash(&self.pool, id, position, sha256).await
    }

    async fn stats(&self) -> Result<QueueStats, StoreError> {
        stats::stats(&self.pool).await
    }

    async fn chart(
        &self,
        range: &crate::domain::StatsRange,
        chart: crate::store::charts::Chart,
    ) -> Result<crate::store::charts::ChartData, StoreError> {
        charts::chart(&self.pool, range, chart).await
    }

    async fn decide_at(&self, decision: &Decision, at: Option<DateTime<Utc>>) -> Result<DecideOutcome, StoreError> {
        decide::decide(&self.pool, decision, at).await
    }

    async fn undo_rejection(&self, undo: &UndoRejection) -> Result<UndoOutcome, StoreError> {
        undo::undo_rejection(&self.pool, undo).await
    }

    async fn scheduled(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ScheduledPost>, StoreError> {
        schedule::scheduled(&self.pool, from, to).await
    }

    async fn parked(&self, limit: i64) -> Result<Vec<ScheduledPost>, StoreError> {
        schedule::parked(&self.pool, limit).await
    }

    async fn scheduled_times(&self, from: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>, StoreError> {
        schedule::scheduled_times(&self.pool, from).await
    }

    async fn set_signed(&self, change: &super::SignedChange) -> Result<super::SignedOutcome, StoreError> {
        options::set_signed(&self.pool, change).await
    }

    async fn reschedule(&self, change: &ScheduleChange) -> Result<ScheduleOutcome, StoreError> {
        schedule::reschedule(&self.pool, change).await
    }

    async fn release_due(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<PostId>, StoreError> {
        schedule::release_due(&self.pool, now, limit).await
    }

    async fn overdue(&self, before: DateTime<Utc>) -> Result<Vec<(PostId, DateTime<Utc>)>, StoreError> {
        schedule::overdue(&self.pool, before).await
    }

    async fn claim(&self, id: PostId, moderator: UserId, ttl_secs: i64) -> Result<ClaimOutcome, StoreError> {
        decide::claim(&self.pool, id, moderator, ttl_secs).await
    }

    async fn release(&self, id: PostId, moderator: UserId) -> Result<(), StoreError> {
        decide::release(&self.pool, id, moderator).await
    }

    async fn ban(&self, ban: &BanRequest) -> Result<(), StoreError> {
        decide::ban(&self.pool, ban).await
    }

    async fn unban(&self, user: UserId, moderator: UserId, source: ActionSource) -> Result<bool, StoreError> {
        decide::unban(&self.pool, user, moderator, source).await
    }

    async fn ban_of(&self, user: UserId) -> Result<Option<BanRecord>, StoreError> {
        decide::ban_of(&self.pool, user).await
    }

    async fn import_bans(&self, rows: BoxStream<'_, Vec<BanImportRow>>) -> Result<ImportCounts, StoreError> {
        import::import_bans(&self.pool, rows).await
    }

    async fn upsert_moderator(&self, moderator: &ModeratorProfile) -> Result<(), StoreError> {
        decide::upsert_moderator(&self.pool, moderator).await
    }

    async fn moderator_name(&self, id: UserId) -> Result<Option<String>, StoreError> {
        decide::moderator_name(&self.pool, id).await
    }

    async fn moderation_log(&self, post: Option<PostId>, limit: i64) -> Result<Vec<LogEntry>, StoreError> {
        decide::moderation_log(&self.pool, post, limit).await
    }

    async fn lease_outbox(&self, limit: i64, lease_secs: i64) -> Result<Vec<OutboxJob>, StoreError> {
        outbox::lease(&self.pool, limit, lease_secs).await
    }

    async fn complete_outbox(&self, job: &OutboxJob, result: &OutboxResult) -> Result<(), StoreError> {
        outbox::complete(&self.pool, &self.completer, job, result).await
    }

    async fn record_outbox_progress(&self, job: &OutboxJob, sent: &[i32]) -> Result<(), StoreError> {
        outbox::record_progress(&self.pool, job, sent).await
    }

    async fn retry_card(&self, id: PostId, moderator: UserId, source: ActionSource) -> Result<bool, StoreError> {
        outbox::retry_card(&self.pool, id, moderator, source).await
    }

    async fn retry_outbox(
        &self,
        job: &OutboxJob,
        error: &str,
        delay_secs: i64,
        delivery: Delivery,
    ) -> Result<(), StoreError> {
        outbox::retry(&self.pool, job, error, delay_secs, delivery).await
    }

    async fn begin_outbox_send(&self, job: &OutboxJob) -> Result<bool, StoreError> {
        recovery::begin_send(&self.pool, &self.send_marker, job).await
    }

    async fn reclaim_outbox_leases(&self) -> Result<u64, StoreError> {
        recovery::reclaim_leases(&self.pool).await
    }

    async fn record_receipts(&self, ids: &[PostId]) -> Result<(), StoreError> {
        recovery::record_receipts(&self.pool, ids).await
    }

    async fn unreceipted(&self, before: DateTime<Utc>, limit: i64) -> Result<Vec<PostId>, StoreError> {
        recovery::unreceipted(&self.pool, before, limit).await
    }

    async fn outbox_backlog(&self) -> Result<i64, StoreError> {
        outbox::backlog(&self.pool).await
    }

    // Conversation with the author (issue #17 part 1): postgres/thread.rs.
    async fn send_to_author(&self, send: &super::ToAuthor) -> Result<super::ToAuthorOutcome, StoreError> {
        thread::send_to_author(&self.pool, send).await
    }
    async fn author_message(&self, message: &super::FromAuthor) -> Result<super::FromAuthorOutcome, StoreError> {
        thread::author_message(&self.pool, message).await
    }
    async fn withdraw(&self, post: PostId, author: UserId) -> Result<super::WithdrawOutcome, StoreError> {
        thread::withdraw(&self.pool, post, author).await
    }
    async fn expire_change_requests(&self, before: DateTime<Utc>, limit: i64) -> Result<Vec<PostId>, StoreError> {
        thread::expire_change_requests(&self.pool, before, limit).await
    }
    async fn thread(&self, post: PostId) -> Result<Vec<super::ThreadMessage>, StoreError> {
        thread::thread(&self.pool, post).await
    }
    async fn thread_delivered(&self, message: i64, result: &super::DeliveryResult) -> Result<(), StoreError> {
        thread::thread_delivered(&self.pool, message, result).await
    }
    async fn thread_target(
        &self,
        chat: i64,
        reply_to: Option<i32>,
        since: DateTime<Utc>,
    ) -> Result<Option<PostId>, StoreError> {
        thread::thread_target(&self.pool, chat, reply_to, since).await
    }

    async fn pending_before(&self, before: DateTime<Utc>, limit: i64) -> Result<super::PendingBefore, StoreError> {
        stale::pending_before(&self.pool, before, limit).await
    }

    async fn bot_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        stale::bot_state(&self.pool, key).await
    }

    async fn set_bot_state(&self, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        stale::set_bot_state(&self.pool, key, value).await
    }

    async fn decide_top(
        &self,
        decision: &Decision,
        at: DateTime<Utc>,
        moves: &[(PostId, DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<DecideOutcome, StoreError> {
        decide::decide_making_room(&self.pool, decision, Some(at), moves).await
    }

    async fn set_flags(
        &self,
        id: PostId,
        flags: &crate::flags::PostFlags,
        bands: &[crate::flags::minhash::Band],
    ) -> Result<bool, StoreError> {
        flags::set_flags(&self.pool, id, flags, bands).await
    }

    async fn duplicate_candidates(
        &self,
        bands: &[crate::flags::minhash::Band],
        since: DateTime<Utc>,
        except: PostId,
        limit: i64,
    ) -> Result<Vec<(PostId, String)>, StoreError> {
        flags::duplicate_candidates(&self.pool, bands, since, except, limit).await
    }

    async fn fingerprint_and_find_earlier(
        &self,
        posts: &[(PostId, Vec<crate::flags::minhash::Band>)],
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Vec<(PostId, String)>>, StoreError> {
        flags::fingerprint_and_find_earlier(&self.pool, posts, since, limit).await
    }

    async fn set_duplicates(&self, found: &[(PostId, crate::flags::DuplicateCheck)]) -> Result<u64, StoreError> {
        flags::set_duplicates(&self.pool, found).await
    }

    async fn duplicate_rechecks(&self, since: DateTime<Utc>, limit: i64) -> Result<Vec<(PostId, String)>, StoreError> {
        flags::duplicate_rechecks(&self.pool, since, limit).await
    }
}
