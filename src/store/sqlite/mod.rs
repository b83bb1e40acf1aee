//! The SQLite [`Store`], the embedded default: one file, WAL, one writer connection (SQLite
//! takes one writer at a time anyway; every write transaction is serialized here instead of
//! failing busy) and a small pool of readers. One process per file, held by an OS lock on a
//! file beside it; changes reach consoles through an in-process broadcast.

mod charts;
mod decide;
mod flags;
mod intake;
pub(in crate::store) mod lock;
mod options;
mod outbox;
mod reads;
mod recovery;
mod rows;
mod schedule;
mod stale;
mod thread;
mod undo;
mod writes;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::broadcast;
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

/// Whether the writer can be handed out again: a COMMIT that failed on the disk ("database or
/// disk is full", an I/O error) can leave SQLite's transaction open while sqlx counts it
/// closed, and every later transaction would then be a savepoint inside it — reported
/// committed, never written. A `ROLLBACK` that succeeds means one was left open: it is undone
/// (the caller was told its commit failed) and the connection is closed, so the next write
/// starts on a fresh one.
async fn no_transaction_left(conn: &mut sqlx::SqliteConnection) -> bool {
    match sqlx::query("ROLLBACK").execute(&mut *conn).await {
        Ok(_) => {
            tracing::warn!("a transaction was left open on the writer (a failed commit); the connection is replaced");
            false
        }
        Err(_) => true, // "no transaction is active": the normal case
    }
}

/// Refuses a writer connection SQLite opened read-only: it falls back to read-only, silently,
/// when the file cannot be opened for writing (a folder made read-only, an immutable file), and
/// such a connection would keep failing after the file is writable again. Rewriting the header's
/// `user_version` with its own value is a write that changes nothing; refused, the connection
/// is not used and the next write opens a fresh one.
async fn writable(conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    let version: i64 = sqlx::query_scalar("PRAGMA user_version").fetch_one(&mut *conn).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA user_version = {version}"))).execute(&mut *conn).await?;
    Ok(())
}

/// The migrations in `migrations/sqlite/`, embedded at build time.
pub static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// How long a statement waits for a lock held by another connection before failing busy.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Change events kept for a slow console before it is told to resync.
const EVENTS_BUFFER: usize = 1024;
/// How long an album waits for more parts before it is announced, unless configured.
const DEFAULT_ALBUM_DEBOUNCE: Duration = Duration::from_millis(1500);

/// The connections and the change broadcast every area works with.
#[derive(Debug)]
pub(crate) struct Db {
    /// The one connection that writes (every write transaction runs here, one at a time).
    pub writer: SqlitePool,
    /// Connections that only read (WAL: they never wait for the writer).
    pub reader: SqlitePool,
    events: broadcast::Sender<ChangeEvent>,
    /// Flag writes waiting for the writer, committed together (`flags.rs`).
    pub flag_writes: flags::FlagWrites,
}

impl Db {
    /// Announces a change to this process's listeners; call after the write committed.
    pub fn emit(&self, event: &str, post: Option<PostId>) {
        // No listener is fine: nobody is watching.
        let _ = self.events.send(ChangeEvent { event: event.to_owned(), post_id: post.map(|p| p.0) });
    }
}

/// SQLite storage in one file.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    db: Arc<Db>,
    path: PathBuf,
    album_debounce: Duration,
    /// Held for the store's life: one process per database file.
    /// `None` once closed: the file is free for another process as soon as the store closes.
    file_lock: Arc<std::sync::Mutex<Option<lock::FileLock>>>,
    intake: intake::IntakeBatcher,
}

impl SqliteStore {
    /// Opens (creating when missing) the database file a `sqlite://PATH` URL names, after
    /// taking the file's process lock; a file held by another process is refused with the
    /// holder's name.
    #[instrument(skip_all, fields(db = %config.url), err)]
    pub async fn connect(config: &DatabaseConfig) -> Result<Self, StoreError> {
        let url = config.url.expose();
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("not a SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit survives a power cut, not only a killed process (intake commits in
            // batches, so the flush is paid once per batch).
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let path = options.get_filename().to_path_buf();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
        }
        let file_lock = Arc::new(std::sync::Mutex::new(Some(lock::FileLock::take(&path)?)));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(config.acquire_timeout)
            .idle_timeout(None)
            .after_connect(|conn, _| Box::pin(async move { writable(conn).await }))
            .after_release(|conn, _| Box::pin(async move { Ok(no_transaction_left(conn).await) }))
            .connect_with(options.clone())
            .await?;
        let readers = reader_count(config.max_connections);
        let reader = SqlitePoolOptions::new()
            .max_connections(readers)
            .acquire_timeout(config.acquire_timeout)
            .connect_with(options.read_only(true).pragma("cache_size", READER_CACHE))
            .await?;
        let (events, _) = broadcast::channel(EVENTS_BUFFER);
        Ok(Self {
            db: Arc::new(Db { writer, reader, events, flag_writes: flags::FlagWrites::default() }),
            path,
            album_debounce: DEFAULT_ALBUM_DEBOUNCE,
            file_lock,
            intake: intake::IntakeBatcher::default(),
        })
    }

    /// Sets how long an album waits for its next part before it is announced.
    #[must_use]
    pub fn with_album_debounce(mut self, debounce: Duration) -> Self {
        self.album_debounce = debounce;
        self
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The read-only connections (`migrate-data` streams every table through them).
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.db.reader
    }
}

/// Each reader's page cache (`PRAGMA cache_size`, negative: KiB), a quarter of SQLite's
/// default: the queue's reads scan more than 2 MB anyway (the file's pages stay in the OS
/// cache), and every reader keeps its own cache for the life of the process.
const READER_CACHE: &str = "-512";

/// Read connections for a pool setting of `max_connections`: at least 2, at most 8 and at
/// most one per core. A read runs on its connection's own thread inside this process, so
/// readers beyond the cores only wait for a core, each holding its own page cache (the
/// console on 2 cores: ≈ 3 MiB less with 2 readers than with 8, BENCHMARKS.md row 5).
fn reader_count(max_connections: u32) -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| u32::try_from(n.get()).unwrap_or(8));
    max_connections.clamp(2, 8).min(cores.max(2))
}

/// Reads an existing file read-only (it may be this console's own, locked, file), or checks a
/// new one could be created in its folder.
pub async fn probe(config: &DatabaseConfig) -> Result<String, StoreError> {
    use sqlx::Connection;
    let options = SqliteConnectOptions::from_str(config.url.expose())
        .map_err(|e| StoreError::Unavailable(format!("not a SQLite URL: {e}")))?;
    let path = options.get_filename().to_path_buf();
    if path.exists() {
        let mut conn = sqlx::SqliteConnection::connect_with(&options.read_only(true)).await?;
        let version: String = sqlx::query_scalar("SELECT sqlite_version()").fetch_one(&mut conn).await?;
        let posts: Option<i64> =
            sqlx::query_scalar("SELECT count(*) FROM posts").fetch_optional(&mut conn).await.ok().flatten();
        let _ = conn.close().await;
        let what = posts.map_or_else(|| "no PostGate data yet".to_owned(), |n| format!("{n} posts"));
        return Ok(format!("SQLite {version}, file {} ({what})", path.display()));
    }
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|e| StoreError::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
    tempfile::tempfile_in(dir)
        .map_err(|e| StoreError::Unavailable(format!("cannot write in {}: {e}", dir.display())))?;
    Ok(format!("SQLite, file {} (created on first start)", path.display()))
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> BackendKind {
        BackendKind::Sqlite
    }

    #[instrument(skip_all, err)]
    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR.run(&self.db.writer).await?;
        Ok(())
    }

    async fn close(&self) {
        self.db.writer.close().await;
        self.db.reader.close().await;
        // Closed: let another process (a console started next, `migrate-data`) have the file.
        drop(self.file_lock.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take());
    }

    async fn try_poll_lock(&self, _key: &str, _holder: &str) -> Result<PollLock, StoreError> {
        // The whole file is this process's (taken at connect): no other process can poll
        // through it, and this process's runtime runs one bot at a time.
        Ok(PollLock::Acquired(Box::new(lock::Unlocked)))
    }

    async fn changes(&self) -> Result<BoxStream<'static, ChangeEvent>, StoreError> {
        Ok(lock::broadcast_stream(self.db.events.subscribe()))
    }

    #[instrument(skip_all, err)]
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.db.reader).await?;
        Ok(())
    }

    async fn upsert_author(&self, author: &AuthorProfile) -> Result<(), StoreError> {
        intake::upsert_author(&self.db, author).await
    }

    async fn author(&self, id: UserId) -> Result<Option<AuthorRecord>, StoreError> {
        intake::author(&self.db, id).await
    }

    async fn authors(&self, ids: &[UserId]) -> Result<Vec<AuthorRecord>, StoreError> {
        intake::authors(&self.db, ids).await
    }

    async fn locale_override(&self, id: UserId) -> Result<Option<String>, StoreError> {
        intake::locale_override(&self.db, id).await
    }

    async fn set_locale_override(&self, id: UserId, locale: Option<&str>) -> Result<(), StoreError> {
        intake::set_locale_override(&self.db, id, locale).await
    }

    async fn submit_with(&self, post: &NewPost, admission: Admission) -> Result<SubmitOutcome, StoreError> {
        intake::submit(&self.db, &self.intake, post, admission, None, self.album_debounce).await
    }

    async fn submit_flagged(
        &self,
        post: &NewPost,
        admission: Admission,
        flags: &IntakeFlags,
    ) -> Result<SubmitOutcome, StoreError> {
        intake::submit(&self.db, &self.intake, post, admission, Some(flags), self.album_debounce).await
    }

    async fn author_edit(&self, edit: &AuthorEdit) -> Result<AuthorEditOutcome, StoreError> {
        intake::author_edit(&self.db, edit).await
    }

    async fn post(&self, id: PostId) -> Result<Option<PostRecord>, StoreError> {
        reads::post(&self.db, id).await
    }

    async fn posts(&self, ids: &[PostId]) -> Result<Vec<PostRecord>, StoreError> {
        reads::posts(&self.db, ids).await
    }

    async fn list_posts(&self, query: &PostQuery) -> Result<PostPage, StoreError> {
        reads::list_posts(&self.db, query).await
    }

    async fn recent_posts_of(&self, author: UserId, limit: i64) -> Result<Vec<PostSummary>, StoreError> {
        reads::recent_posts_of(&self.db, author, limit).await
    }

    async fn pending_count_of(&self, author: UserId) -> Result<i64, StoreError> {
        intake::pending_count_of(&self.db, author).await
    }

    async fn set_media_hash(&self, id: PostId, position: i16, sha256: &str) -> Result<Option<PostId>, StoreError> {
        intake::set_media_hash(&self.db, id, position, sha256).await
    }

    async fn stats(&self) -> Result<QueueStats, StoreError> {
        reads::stats(&self.db).await
    }

    async fn chart(
        &self,
        range: &crate::domain::StatsRange,
        chart: crate::store::charts::Chart,
    ) -> Result<crate::store::charts::ChartData, StoreError> {
        charts::chart(&self.db, range, chart).await
    }

    async fn decide_at(&self, decision: &Decision, at: Option<DateTime<Utc>>) -> Result<DecideOutcome, StoreError> {
        decide::decide(&self.db, decision, at).await
    }

    async fn undo_rejection(&self, undo: &UndoRejection) -> Result<UndoOutcome, StoreError> {
        undo::undo_rejection(&self.db, undo).await
    }

    async fn scheduled(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ScheduledPost>, StoreError> {
        schedule::scheduled(&self.db, from, to).await
    }

    async fn parked(&self, limit: i64) -> Result<Vec<ScheduledPost>, StoreError> {
        schedule::parked(&self.db, limit).await
    }

    async fn scheduled_times(&self, from: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>, StoreError> {
        schedule::scheduled_times(&self.db, from).await
    }

    async fn set_signed(&self, change: &super::SignedChange) -> Result<super::SignedOutcome, StoreError> {
        options::set_signed(&self.db, change).await
    }

    async fn reschedule(&self, change: &ScheduleChange) -> Result<ScheduleOutcome, StoreError> {
        schedule::reschedule(&self.db, change).await
    }

    async fn release_due(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<PostId>, StoreError> {
        schedule::release_due(&self.db, now, limit).await
    }

    async fn overdue(&self, before: DateTime<Utc>) -> Result<Vec<(PostId, DateTime<Utc>)>, StoreError> {
        schedule::overdue(&self.db, before).await
    }

    async fn claim(&self, id: PostId, moderator: UserId, ttl_secs: i64) -> Result<ClaimOutcome, StoreError> {
        decide::claim(&self.db, id, moderator, ttl_secs).await
    }

    async fn release(&self, id: PostId, moderator: UserId) -> Result<(), StoreError> {
        decide::release(&self.db, id, moderator).await
    }

    async fn ban(&self, ban: &BanRequest) -> Result<(), StoreError> {
        decide::ban(&self.db, ban).await
    }

    async fn unban(&self, user: UserId, moderator: UserId, source: ActionSource) -> Result<bool, StoreError> {
        decide::unban(&self.db, user, moderator, source).await
    }

    async fn ban_of(&self, user: UserId) -> Result<Option<BanRecord>, StoreError> {
        decide::ban_of(&self.db, user).await
    }

    async fn import_bans(&self, rows: BoxStream<'_, Vec<BanImportRow>>) -> Result<ImportCounts, StoreError> {
        decide::import_bans(&self.db, rows).await
    }

    async fn upsert_moderator(&self, moderator: &ModeratorProfile) -> Result<(), StoreError> {
        reads::upsert_moderator(&self.db, moderator).await
    }

    async fn moderator_name(&self, id: UserId) -> Result<Option<String>, StoreError> {
        reads::moderator_name(&self.db, id).await
    }

    async fn moderation_log(&self, post: Option<PostId>, limit: i64) -> Result<Vec<LogEntry>, StoreError> {
        reads::moderation_log(&self.db, post, limit).await
    }

    async fn lease_outbox(&self, limit: i64, lease_secs: i64) -> Result<Vec<OutboxJob>, StoreError> {
        outbox::lease(&self.db, limit, lease_secs).await
    }

    async fn complete_outbox(&self, job: &OutboxJob, result: &OutboxResult) -> Result<(), StoreError> {
        outbox::complete(&self.db, job, result).await
    }

    async fn record_outbox_progress(&self, job: &OutboxJob, sent: &[i32]) -> Result<(), StoreError> {
        outbox::record_progress(&self.db, job, sent).await
    }

    async fn retry_card(&self, id: PostId, moderator: UserId, source: ActionSource) -> Result<bool, StoreError> {
        outbox::retry_card(&self.db, id, moderator, source).await
    }

    async fn retry_outbox(
        &self,
        job: &OutboxJob,
        error: &str,
        delay_secs: i64,
        delivery: Delivery,
    ) -> Result<(), StoreError> {
        outbox::retry(&self.db, job, error, delay_secs, delivery).await
    }

    async fn begin_outbox_send(&self, job: &OutboxJob) -> Result<bool, StoreError> {
        recovery::begin_send(&self.db, job).await
    }

    async fn reclaim_outbox_leases(&self) -> Result<u64, StoreError> {
        recovery::reclaim_leases(&self.db).await
    }

    async fn record_receipts(&self, ids: &[PostId]) -> Result<(), StoreError> {
        recovery::record_receipts(&self.db, ids).await
    }

    async fn unreceipted(&self, before: DateTime<Utc>, limit: i64) -> Result<Vec<PostId>, StoreError> {
        recovery::unreceipted(&self.db, before, limit).await
    }

    async fn outbox_backlog(&self) -> Result<i64, StoreError> {
        outbox::backlog(&self.db).await
    }

    // Conversation with the author (issue #17 part 1): sqlite/thread.rs.
    async fn send_to_author(&self, send: &super::ToAuthor) -> Result<super::ToAuthorOutcome, StoreError> {
        thread::send_to_author(&self.db, send).await
    }
    async fn author_message(&self, message: &super::FromAuthor) -> Result<super::FromAuthorOutcome, StoreError> {
        thread::author_message(&self.db, message).await
    }
    async fn withdraw(&self, post: PostId, author: UserId) -> Result<super::WithdrawOutcome, StoreError> {
        thread::withdraw(&self.db, post, author).await
    }
    async fn expire_change_requests(&self, before: DateTime<Utc>, limit: i64) -> Result<Vec<PostId>, StoreError> {
        thread::expire_change_requests(&self.db, before, limit).await
    }
    async fn thread(&self, post: PostId) -> Result<Vec<super::ThreadMessage>, StoreError> {
        thread::thread(&self.db, post).await
    }
    async fn thread_delivered(&self, message: i64, result: &super::DeliveryResult) -> Result<(), StoreError> {
        thread::thread_delivered(&self.db, message, result).await
    }
    async fn thread_target(
        &self,
        chat: i64,
        reply_to: Option<i32>,
        since: DateTime<Utc>,
    ) -> Result<Option<PostId>, StoreError> {
        thread::thread_target(&self.db, chat, reply_to, since).await
    }

    async fn pending_before(&self, before: DateTime<Utc>, limit: i64) -> Result<super::PendingBefore, StoreError> {
        stale::pending_before(&self.db, before, limit).await
    }

    async fn bot_state(&self, key: &str) -> Result<Option<String>, StoreError> {
        stale::bot_state(&self.db, key).await
    }

    async fn set_bot_state(&self, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        stale::set_bot_state(&self.db, key, value).await
    }

    async fn decide_top(
        &self,
        decision: &Decision,
        at: DateTime<Utc>,
        moves: &[(PostId, DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<DecideOutcome, StoreError> {
        decide::decide_making_room(&self.db, decision, Some(at), moves).await
    }

    async fn set_flags(
        &self,
        id: PostId,
        flags: &crate::flags::PostFlags,
        bands: &[crate::flags::minhash::Band],
    ) -> Result<bool, StoreError> {
        flags::set_flags(&self.db, id, flags, bands).await
    }

    async fn duplicate_candidates(
        &self,
        bands: &[crate::flags::minhash::Band],
        since: DateTime<Utc>,
        except: PostId,
        limit: i64,
    ) -> Result<Vec<(PostId, String)>, StoreError> {
        flags::duplicate_candidates(&self.db, bands, since, except, limit).await
    }

    async fn fingerprint_and_find_earlier(
        &self,
        posts: &[(PostId, Vec<crate::flags::minhash::Band>)],
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Vec<(PostId, String)>>, StoreError> {
        flags::fingerprint_and_find_earlier(&self.db, posts, since, limit).await
    }

    async fn set_duplicates(&self, found: &[(PostId, crate::flags::DuplicateCheck)]) -> Result<u64, StoreError> {
        flags::set_duplicates(&self.db, found).await
    }

    async fn duplicate_rechecks(&self, since: DateTime<Utc>, limit: i64) -> Result<Vec<(PostId, String)>, StoreError> {
        flags::duplicate_rechecks(&self.db, since, limit).await
    }
}
