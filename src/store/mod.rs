//! Storage behind the [`Store`] trait, on one of two backends picked by `DATABASE_URL`'s
//! scheme ([`open`]): [`sqlite`] (embedded, the default) or [`postgres`] (shared). Nothing
//! above this module names a backend.

pub mod archive;
mod arrival;
mod backend;
pub mod charts;
mod error;
pub mod migrate_data;
mod options_types;
pub mod postgres;
mod schedule_types;
pub mod sqlite;
mod stale_types;
mod thread_types;
mod types;
mod undo_types;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;

pub use backend::{BackendKind, ChangeEvent, PollLock, PollLockGuard, holder_name};
pub use error::StoreError;
pub use options_types::{SignedBy, SignedChange, SignedOutcome};
pub use schedule_types::{Reschedule, ScheduleChange, ScheduleOutcome, ScheduledPost};
pub use stale_types::{PendingBefore, REMINDER_STATE_KEY};
pub use thread_types::*;
pub use types::*;
pub use undo_types::{BACK_IN_REVIEW, UndoOutcome, UndoRejection};

use crate::domain::{PostId, UserId};

/// Opens the store `config.url` names by its scheme — `sqlite://PATH` (created on first start)
/// or `postgres://…` (the database created if missing) — and applies its migrations.
pub async fn open(
    config: &crate::config::DatabaseConfig,
    album_debounce: Duration,
) -> Result<Arc<dyn Store>, StoreError> {
    let store: Arc<dyn Store> = if config.url.expose().starts_with("sqlite:") {
        Arc::new(sqlite::SqliteStore::connect(config).await?.with_album_debounce(album_debounce))
    } else {
        Arc::new(postgres::PgStore::connect(config).await?.with_album_debounce(album_debounce))
    };
    store.migrate().await?;
    Ok(store)
}

/// Checks the database `config.url` names can be used, without opening a store on it (the
/// settings screen's test): what it is and where, or why not.
pub async fn probe(config: &crate::config::DatabaseConfig) -> Result<String, StoreError> {
    if config.url.expose().starts_with("sqlite:") { sqlite::probe(config).await } else { postgres::probe(config).await }
}

/// The domain's decision rule applied to a stored post (with its media, which its version
/// covers): the status and log action the decision leads to, or the outcome that refuses it
/// (another's claim, already decided, changed since the moderator saw it).
pub(crate) fn decidable(
    current: &PostRecord,
    d: &Decision,
) -> Result<(crate::domain::PostStatus, crate::domain::ModerationAction), DecideOutcome> {
    use crate::domain::{DecidableState, Undecidable, check_decision};
    let state = DecidableState {
        status: current.status,
        decided_by: current.decided_by,
        claimed_by: current.claimed_by,
        claim_expires_at: current.claim_expires_at,
        version: current.content_version(),
        edited_by_author: current.edited_by_author,
    };
    check_decision(&state, d.moderator, &d.kind, chrono::Utc::now()).map_err(|refused| match refused {
        Undecidable::ClaimedByOther { by, until } => DecideOutcome::ClaimedByOther { by, until },
        Undecidable::AlreadyDecided { status, by } => DecideOutcome::AlreadyDecided { status, by },
        Undecidable::Changed { version } => DecideOutcome::Changed { version },
    })
}

/// Everything the bot, the console and the CLI read and write.
///
/// Every method that writes more than one row does it in one transaction. Every error is
/// logged at error level with the ids involved before it is returned.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is.
    fn backend(&self) -> BackendKind;
    /// Applies pending migrations (forward-only, embedded; an edited applied one is refused).
    async fn migrate(&self) -> Result<(), StoreError>;
    /// Closes the store, waiting for connections in use to come back.
    async fn close(&self);
    /// Tries to become the one process polling the bot identified by `key`; `holder` is how
    /// this process is named to others that find the lock held ([`holder_name`]).
    async fn try_poll_lock(&self, key: &str, holder: &str) -> Result<PollLock, StoreError>;
    /// Every change written from now on (by any process sharing the store), as it commits.
    async fn changes(&self) -> Result<BoxStream<'static, ChangeEvent>, StoreError>;

    /// Checks the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Creates or refreshes an author's profile.
    async fn upsert_author(&self, author: &AuthorProfile) -> Result<(), StoreError>;
    /// An author's stored profile and counts.
    async fn author(&self, id: UserId) -> Result<Option<AuthorRecord>, StoreError>;
    /// Several authors' profiles and counts, in no particular order; unknown ids are left out.
    async fn authors(&self, ids: &[UserId]) -> Result<Vec<AuthorRecord>, StoreError>;
    /// The locale an author chose with /language, if any (a light read for replies).
    async fn locale_override(&self, id: UserId) -> Result<Option<String>, StoreError>;
    /// Sets (or clears) the locale an author chose with /language.
    async fn set_locale_override(&self, id: UserId, locale: Option<&str>) -> Result<(), StoreError>;

    /// Admits and stores a submission with its media and queues its announcement to the
    /// moderators, atomically: a banned author, a full rate-limit window or a full pending cap
    /// refuses it ([`SubmitOutcome::Refused`]). A later album part joins its album's post. A
    /// redelivered update — same source chat and message — returns
    /// [`SubmitOutcome::Duplicate`] and changes nothing.
    async fn submit_with(&self, post: &NewPost, admission: Admission) -> Result<SubmitOutcome, StoreError>;
    /// [`Store::submit_with`] that stores `flags` (with the author's history admission reads)
    /// and the text's bands with a new post, in the same write: no write of its own for them.
    /// A later album part ignores them (the caller rechecks its post).
    async fn submit_flagged(
        &self,
        post: &NewPost,
        admission: Admission,
        flags: &IntakeFlags,
    ) -> Result<SubmitOutcome, StoreError>;
    /// [`Store::submit_with`] with only the ban list applied.
    async fn submit(&self, post: &NewPost) -> Result<SubmitOutcome, StoreError> {
        self.submit_with(post, Admission::OPEN).await
    }
    /// Applies an author's edit to a pending post; returns the post when it was pending.
    async fn author_edit(&self, edit: &AuthorEdit) -> Result<AuthorEditOutcome, StoreError>;
    /// One post with its media.
    async fn post(&self, id: PostId) -> Result<Option<PostRecord>, StoreError>;
    /// Several posts with their media, in no particular order; missing ids are left out.
    async fn posts(&self, ids: &[PostId]) -> Result<Vec<PostRecord>, StoreError>;
    /// A page of posts, filtered.
    async fn list_posts(&self, query: &PostQuery) -> Result<PostPage, StoreError>;
    /// An author's most recent posts.
    async fn recent_posts_of(&self, author: UserId, limit: i64) -> Result<Vec<PostSummary>, StoreError>;
    /// How many of an author's posts wait for a decision.
    async fn pending_count_of(&self, author: UserId) -> Result<i64, StoreError>;
    /// Records a media item's SHA-256; returns an earlier post with the same file, which is
    /// remembered on the post as `duplicate_of`.
    async fn set_media_hash(&self, id: PostId, position: i16, sha256: &str) -> Result<Option<PostId>, StoreError>;
    /// Counts of posts by status.
    async fn stats(&self) -> Result<QueueStats, StoreError>;
    /// One statistics chart over whole local days of `range`, computed by one query.
    async fn chart(
        &self,
        range: &crate::domain::StatsRange,
        chart: charts::Chart,
    ) -> Result<charts::ChartData, StoreError>;

    /// Decides a post: status, moderation-log row and outbox rows in one transaction, after
    /// locking the row. A post that is no longer pending is not changed. An approval is
    /// published at once.
    async fn decide(&self, decision: &Decision) -> Result<DecideOutcome, StoreError> {
        self.decide_at(decision, None).await
    }
    /// [`Store::decide`] with a time `at`. An approval is published then: the post keeps that
    /// time (`scheduled_at`) and its author is told; [`Store::release_due`] queues it when the
    /// time comes. A time another approved post holds is refused as a
    /// [`StoreError::Constraint`] on `posts_scheduled_slot`, nothing changed. A rejection's
    /// author is told no earlier than `at`: until then [`Store::undo_rejection`] withdraws the
    /// notice and the author never hears of it.
    async fn decide_at(&self, decision: &Decision, at: Option<DateTime<Utc>>) -> Result<DecideOutcome, StoreError>;
    /// Takes a rejection back (one transaction): the post is pending again, undecided, its card
    /// updated, a `return_to_queue` log row written; the author's notice is withdrawn while
    /// held, else a "back in review" notice is queued; a ban given with the rejection is lifted
    /// (with an `unban` row). Who may undo is the caller's check.
    async fn undo_rejection(&self, undo: &UndoRejection) -> Result<UndoOutcome, StoreError>;

    /// Approved posts with a time in `[from, to)`, earliest first.
    async fn scheduled(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<ScheduledPost>, StoreError>;
    /// Parked posts (approved, waiting to be given a time), oldest decision first.
    async fn parked(&self, limit: i64) -> Result<Vec<ScheduledPost>, StoreError>;
    /// The times approved posts hold from `from` on, earliest first (for the next free slot).
    async fn scheduled_times(&self, from: DateTime<Utc>) -> Result<Vec<DateTime<Utc>>, StoreError>;
    /// Moves, parks, publishes now or returns to the queue one approved post (one transaction,
    /// a log row per post changed, the card updated).
    async fn reschedule(&self, change: &ScheduleChange) -> Result<ScheduleOutcome, StoreError>;
    /// Queues the publication of approved posts whose time is at or before `now`, up to
    /// `limit`, earliest first, when no publication is queued (one transaction): with a limit
    /// of one the channel gets them one at a time, in time order. Their ids.
    async fn release_due(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<PostId>, StoreError>;
    /// Approved posts whose time is before `before` and that were not queued (their time
    /// passed while nothing published), earliest first, with their times.
    async fn overdue(&self, before: DateTime<Utc>) -> Result<Vec<(PostId, DateTime<Utc>)>, StoreError>;
    /// Claims a post for review by one moderator until the claim expires.
    async fn claim(&self, id: PostId, moderator: UserId, ttl_secs: i64) -> Result<ClaimOutcome, StoreError>;
    /// Releases a claim held by this moderator.
    async fn release(&self, id: PostId, moderator: UserId) -> Result<(), StoreError>;

    /// Bans a user (with a log row); idempotent.
    async fn ban(&self, ban: &BanRequest) -> Result<(), StoreError>;
    /// Lifts a ban (with a log row); returns whether there was one.
    async fn unban(
        &self,
        user: UserId,
        moderator: UserId,
        source: crate::domain::ActionSource,
    ) -> Result<bool, StoreError>;
    /// The ban of a user, if any.
    async fn ban_of(&self, user: UserId) -> Result<Option<BanRecord>, StoreError>;
    /// Streams a ban list into the database (COPY, one transaction); counts are exact.
    async fn import_bans(&self, rows: BoxStream<'_, Vec<BanImportRow>>) -> Result<ImportCounts, StoreError>;

    /// Records who a moderator is, for "decided by" lines and the audit log.
    async fn upsert_moderator(&self, moderator: &ModeratorProfile) -> Result<(), StoreError>;
    /// A moderator's display name, if known.
    async fn moderator_name(&self, id: UserId) -> Result<Option<String>, StoreError>;

    /// The newest moderation-log entries, optionally for one post.
    async fn moderation_log(&self, post: Option<PostId>, limit: i64) -> Result<Vec<LogEntry>, StoreError>;

    /// Leases due outbox jobs to this worker (`FOR UPDATE SKIP LOCKED`): a leased job is not
    /// handed to anyone else until `lease_secs` pass.
    async fn lease_outbox(&self, limit: i64, lease_secs: i64) -> Result<Vec<OutboxJob>, StoreError>;
    /// Completes a job and applies its result to the post, in one transaction.
    async fn complete_outbox(&self, job: &OutboxJob, result: &OutboxResult) -> Result<(), StoreError>;
    /// Records which parts of a multi-message job were sent (their message ids, first first),
    /// durably, so an attempt after a failure or a crash resumes after them instead of sending
    /// them again ([`OutboxJob::sent_parts`]).
    async fn record_outbox_progress(&self, job: &OutboxJob, sent: &[i32]) -> Result<(), StoreError>;
    /// Sends a post's failed card again: clears the error and queues a new announcement, with a
    /// log row. `false` when the post does not exist or its card did not fail.
    async fn retry_card(
        &self,
        id: PostId,
        moderator: UserId,
        source: crate::domain::ActionSource,
    ) -> Result<bool, StoreError>;
    /// Reschedules a job after a failure; `delivery` says whether its message may have gone out
    /// all the same (a timeout), which keeps the job's send intent for the next attempt.
    async fn retry_outbox(
        &self,
        job: &OutboxJob,
        error: &str,
        delay_secs: i64,
        delivery: Delivery,
    ) -> Result<(), StoreError>;
    /// Records, durably and before the request, that a card or a publication is about to be
    /// sent. `true` when an earlier attempt had begun sending and never recorded how it ended:
    /// this send may repeat it, and the post says so (`card_maybe_twice` or
    /// `published_maybe_twice`, with a change event).
    async fn begin_outbox_send(&self, job: &OutboxJob) -> Result<bool, StoreError>;
    /// Hands back every job still leased, due at once. Called by the one worker as it starts:
    /// whoever held those leases (a process that died, a stopped worker) is gone. The count.
    async fn reclaim_outbox_leases(&self) -> Result<u64, StoreError>;
    /// Records that these posts' receipts went out (idempotent; one statement for all).
    async fn record_receipts(&self, ids: &[PostId]) -> Result<(), StoreError>;
    /// Pending submissions stored before `before` whose receipt is not recorded (the process
    /// died between the commit and the reply), oldest first; an album only once announced,
    /// since its receipt goes out with its card.
    async fn unreceipted(&self, before: DateTime<Utc>, limit: i64) -> Result<Vec<PostId>, StoreError>;
    /// Jobs not yet done.
    async fn outbox_backlog(&self) -> Result<i64, StoreError>;

    // --- Author options (issue #16 item 8) ---
    /// Sets whether a post is published signed or anonymous, in one transaction with a log
    /// row and a change event: only by its author (or a moderator), and only while it is not
    /// published, rejected or being sent.
    async fn set_signed(&self, change: &SignedChange) -> Result<SignedOutcome, StoreError>;
    // ── Conversation with the author (issue #17 part 1) ─────────────────────────────────
    /// Stores a moderator's message to a post's author and queues it for the bot (thread row,
    /// log row, outbox job, one transaction). A request for changes also makes the post
    /// `changes_requested` and refreshes its card; it is refused unless the post waits for a
    /// decision.
    async fn send_to_author(&self, send: &ToAuthor) -> Result<ToAuthorOutcome, StoreError>;
    /// Attaches an author's message to the post's thread (one transaction): a revision
    /// replaces the content (the version changes, the post is marked edited by its author);
    /// either closes an open request (the post is pending again); a log row and a card refresh.
    /// Nothing is attached for a banned author; a decided post takes answers, not revisions.
    async fn author_message(&self, message: &FromAuthor) -> Result<FromAuthorOutcome, StoreError>;
    /// The author withdraws a post that waits for a decision: rejected with the reason
    /// `withdrawn`, logged, its card refreshed.
    async fn withdraw(&self, post: PostId, author: UserId) -> Result<WithdrawOutcome, StoreError>;
    /// Rejects with the reason `no-answer` the posts whose request for changes was made before
    /// `requested_before` and never answered, up to `limit` (each logged, its author told, its
    /// card refreshed). Their ids.
    async fn expire_change_requests(
        &self,
        requested_before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<PostId>, StoreError>;
    /// A post's thread, oldest first.
    async fn thread(&self, post: PostId) -> Result<Vec<ThreadMessage>, StoreError>;
    /// Records how sending a thread message ended (a change event for consoles).
    async fn thread_delivered(&self, message: i64, result: &DeliveryResult) -> Result<(), StoreError>;
    /// The post an author's private message in `chat` belongs to: the post of the bot's
    /// thread message it replies to, else the post of the latest open request made at or
    /// after `requested_since`.
    async fn thread_target(
        &self,
        chat: i64,
        reply_to: Option<i32>,
        requested_since: DateTime<Utc>,
    ) -> Result<Option<PostId>, StoreError>;

    // --- The queue does not go stale (issue #17 part 3): the group reminder, the expiry ---
    /// Pending posts that arrived before `before`: how many, and the oldest `limit` of them,
    /// oldest first (read on the `posts_status_created` index). Posts whose author was asked for
    /// changes are left out: they wait for the author, and expire on their own clock.
    async fn pending_before(&self, before: DateTime<Utc>, limit: i64) -> Result<PendingBefore, StoreError>;
    /// A value of the bot's own state (`bot_state`) by key, such as [`REMINDER_STATE_KEY`].
    async fn bot_state(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Sets a value of the bot's own state, or removes it (`None`).
    async fn set_bot_state(&self, key: &str, value: Option<&str>) -> Result<(), StoreError>;

    // --- Top of the queue (issue #16): an approval takes the earliest slot, the rest move on ---
    /// [`Store::decide_at`] at `at`, approved posts first moved to make room (`moves`: a post,
    /// its time now, its new time), in the decision's one transaction with a `reschedule` log
    /// row and a card update each. A moved post no longer at its time refuses the whole as a
    /// [`StoreError::Constraint`] on `posts_scheduled_slot`, nothing changed. Moves apply only
    /// to an approval.
    async fn decide_top(
        &self,
        decision: &Decision,
        at: DateTime<Utc>,
        moves: &[(PostId, DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<DecideOutcome, StoreError>;

    // --- Flags for a second look (issue #17 part 2; computed in `crate::moderation::flags`) ---
    /// Stores a post's flags (`posts.flags`, `posts.flag_mask`) and the LSH bands of its text
    /// (replacing earlier ones), in one transaction; its card is refreshed when it is already
    /// out or being sent. `false` when the post does not exist.
    async fn set_flags(
        &self,
        id: PostId,
        flags: &crate::flags::PostFlags,
        bands: &[crate::flags::minhash::Band],
    ) -> Result<bool, StoreError>;
    /// Near-duplicate candidates of a text with these bands: posts created at or after `since`,
    /// pending, approved or published, other than `except`, sharing at least one band — most
    /// bands shared first, at most `limit` — with their texts. One indexed query.
    async fn duplicate_candidates(
        &self,
        bands: &[crate::flags::minhash::Band],
        since: DateTime<Utc>,
        except: PostId,
        limit: i64,
    ) -> Result<Vec<(PostId, String)>, StoreError>;
    /// Stores the LSH bands of stored posts (intake leaves them to this lookup, off the
    /// receipt's path), except for a post its author edited meanwhile (the edit stored the new
    /// text's) or one that has them already; then [`Store::duplicate_candidates`] of each,
    /// among the posts stored before it (a lower id; the batch's own included), with their
    /// texts: one answer per post, in order.
    async fn fingerprint_and_find_earlier(
        &self,
        posts: &[(PostId, Vec<crate::flags::minhash::Band>)],
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Vec<(PostId, String)>>, StoreError>;
    /// Adds what the near-duplicate lookups of posts stored with their flags
    /// ([`Store::submit_flagged`]) found: a duplicate to its post's flags, a failed lookup as
    /// "not checked"; one transaction for all, and the cards already out (or being sent)
    /// refreshed. Posts without stored flags, gone, or edited by their author meanwhile (their
    /// flags were computed again from the new text) are skipped; returns how many changed.
    async fn set_duplicates(&self, found: &[(PostId, crate::flags::DuplicateCheck)]) -> Result<u64, StoreError>;
    /// Posts that arrived since `since` with checked stored flags, not edited by their authors,
    /// that are pending and show no duplicate, or are pending, approved or published without
    /// stored bands: the ones whose near-duplicate lookup a crash may have lost (it ran in
    /// memory after the write). Newest first, at most `limit`, with their texts; looked up
    /// again at start (a lookup that finds nothing writes nothing but the missing bands).
    async fn duplicate_rechecks(&self, since: DateTime<Utc>, limit: i64) -> Result<Vec<(PostId, String)>, StoreError>;
}
