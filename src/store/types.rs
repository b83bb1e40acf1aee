//! Records the store reads and writes. Times are `DateTime<Utc>` and serialize as RFC 3339 UTC.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

// The decision and submission vocabulary lives in the domain; stores speak it.
use crate::domain::{ActionSource, MediaKind, PostId, PostStatus, RejectReason, UserId};
pub use crate::domain::{AuthorEditOutcome, Decision, DecisionKind, Refusal, SubmitOutcome};

/// A Telegram user as seen on an update.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthorProfile {
    pub id: UserId,
    pub username: Option<String>,
    pub first_name: String,
    pub last_name: Option<String>,
    pub language_code: Option<String>,
}

impl AuthorProfile {
    /// First and last name, as Telegram shows it.
    pub fn display_name(&self) -> String {
        match &self.last_name {
            Some(last) if !last.is_empty() => format!("{} {last}", self.first_name),
            _ => self.first_name.clone(),
        }
    }
}

/// A stored author with counts of their decided posts.
#[derive(Debug, Clone, Serialize)]
pub struct AuthorRecord {
    pub profile: AuthorProfile,
    pub locale_override: Option<String>,
    pub approved: i64,
    pub rejected: i64,
    pub pending: i64,
    pub banned: bool,
    pub created_at: DateTime<Utc>,
}

/// One media item of a new submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMedia {
    pub kind: MediaKind,
    pub file_id: String,
    pub file_unique_id: String,
    pub source_message_id: i32,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    pub file_size: Option<i64>,
}

/// A submission as received.
#[derive(Debug, Clone, Serialize)]
pub struct NewPost {
    pub author: AuthorProfile,
    pub source_chat_id: i64,
    pub source_message_id: i32,
    pub media_group_id: Option<String>,
    pub body: String,
    /// Telegram `MessageEntity` list, kept as sent.
    pub entities: serde_json::Value,
    pub media: Vec<NewMedia>,
}

/// Flags computed before a submission is written ([`Store::submit_flagged`]): its text's flags
/// and forwarded origin, stored by the same write as the post. The author's history (new
/// author, earlier rejections) is filled in by admission. The text's LSH bands are not written
/// here: the near-duplicate lookup stores them ([`Store::fingerprint_and_find_earlier`]), off
/// the receipt's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeFlags {
    pub flags: crate::flags::PostFlags,
}

impl IntakeFlags {
    /// The flags with the author's history as admission found it: `earlier` posts of the
    /// author counted as [`AuthorRecord`] counts them (approved, rejected, pending), `rejected`
    /// of them rejected.
    pub fn with_history(&self, earlier: i64, rejected: i64) -> crate::flags::PostFlags {
        let mut flags = self.flags.clone();
        flags.new_author = earlier == 0;
        flags.rejections = rejected;
        flags
    }
}

/// The checks a new submission must pass, decided together with storing it. Album parts
/// after the first join their post without being checked again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Admission {
    /// The author's rate-limit window is already full (counted in the cache by the caller).
    pub rate_limited: bool,
    /// The most posts an author may have waiting for a decision; `None`: no cap.
    pub max_pending: Option<i64>,
}

impl Admission {
    /// No rate limit and no cap: only the ban list applies (tests, tools).
    pub const OPEN: Self = Self { rate_limited: false, max_pending: None };
}

/// An author's edit of a message that belongs to a submission.
#[derive(Debug, Clone)]
pub struct AuthorEdit {
    pub source_chat_id: i64,
    pub source_message_id: i32,
    pub body: String,
    pub entities: serde_json::Value,
}

/// A stored media item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MediaRecord {
    pub position: i16,
    pub kind: MediaKind,
    pub file_id: String,
    pub file_unique_id: String,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    pub file_size: Option<i64>,
    /// SHA-256 of the file once it was fingerprinted.
    pub sha256: Option<String>,
}

/// A stored post with its media and author.
#[derive(Debug, Clone, Serialize)]
pub struct PostRecord {
    pub id: PostId,
    pub author: AuthorProfile,
    pub source_chat_id: i64,
    pub source_message_id: i32,
    pub media_group_id: Option<String>,
    pub body: String,
    pub entities: serde_json::Value,
    pub status: PostStatus,
    pub edited_by_author: bool,
    pub edited_by_moderator: bool,
    pub reject_reason: Option<RejectReason>,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<DateTime<Utc>>,
    pub publish_error: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub channel_message_id: Option<i32>,
    pub moderation_message_id: Option<i32>,
    pub claimed_by: Option<UserId>,
    pub claim_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// An earlier post with the same media file (by SHA-256), if any.
    pub duplicate_of: Option<PostId>,
    /// Why Telegram refused the post's card for good (the console can send it again).
    pub card_error: Option<String>,
    /// When the author was told the submission was received (`None`: not yet, or not known).
    pub receipt_sent_at: Option<DateTime<Utc>>,
    /// What was sent again after an attempt that died mid-send, so may show twice.
    pub maybe_twice: MaybeTwice,
    /// When an approved post is to be published (`None`: at once, or not scheduled).
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Approved and waiting for a moderator to give it a time (unscheduled).
    pub parked: bool,
    /// Published signed or anonymous, as its author (or a moderator) chose; `None`: not chosen,
    /// the channel's default applies ([`crate::options::PostOptions::is_signed`]).
    pub signed: Option<bool>,
    /// When the open request for changes was made (the status is then `changes_requested`).
    pub changes_requested_at: Option<DateTime<Utc>>,
    /// Its flags for a second look (`None`: not computed yet).
    pub flags: Option<crate::flags::PostFlags>,
    pub media: Vec<MediaRecord>,
}

impl PostRecord {
    /// The version of what would be published now: an approval names the one its moderator
    /// saw ([`crate::domain::Seen`]).
    pub fn content_version(&self) -> crate::domain::ContentVersion {
        let media = self.media.iter().map(|m| (m.kind.as_str(), m.file_id.as_str()));
        crate::domain::ContentVersion::of(&self.body, &self.entities, media)
    }
}

/// A line of a list: enough to show a row without loading media.
#[derive(Debug, Clone, Serialize)]
pub struct PostSummary {
    pub id: PostId,
    pub author_id: UserId,
    pub author_name: String,
    pub status: PostStatus,
    pub excerpt: String,
    pub media_count: i64,
    pub first_media_kind: Option<MediaKind>,
    pub edited_by_author: bool,
    pub claimed_by: Option<UserId>,
    pub claim_expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The kinds of its flags as bits ([`crate::flags::FlagKind::bit`]); 0 when none.
    pub flag_mask: i64,
}

/// Filters and paging for [`super::Store::list_posts`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PostQuery {
    pub status: Option<PostStatus>,
    pub media_kind: Option<MediaKind>,
    pub author: Option<UserId>,
    pub edited: Option<bool>,
    /// Case-insensitive text search in the body.
    pub search: Option<String>,
    /// Only posts with at least one of these flag kinds (bits of [`crate::flags::FlagKind`]).
    pub flags: Option<i64>,
    /// Newest first instead of oldest first.
    pub newest_first: bool,
    pub offset: i64,
    /// Clamped to 1..=200; 0 means 50.
    pub limit: i64,
}

/// One page of posts and the total matching the filter.
#[derive(Debug, Clone, Serialize)]
pub struct PostPage {
    pub posts: Vec<PostSummary>,
    pub total: i64,
}

/// What [`super::Store::decide`] did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DecideOutcome {
    Decided {
        post: Box<PostRecord>,
    },
    /// Somebody decided first (or the state does not allow this decision).
    AlreadyDecided {
        status: PostStatus,
        by: Option<UserId>,
    },
    /// Another moderator holds an unexpired claim.
    ClaimedByOther {
        by: UserId,
        until: DateTime<Utc>,
    },
    /// The author changed the post since the moderator saw it; nothing was decided. The
    /// version it has now (the card is refreshed, the console shows it).
    Changed {
        version: crate::domain::ContentVersion,
    },
    NotFound,
}

/// What [`super::Store::claim`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ClaimOutcome {
    Claimed { until: DateTime<Utc> },
    HeldByOther { by: UserId, until: DateTime<Utc> },
    NotPending,
    NotFound,
}

/// A ban to record.
#[derive(Debug, Clone)]
pub struct BanRequest {
    pub user: UserId,
    pub moderator: UserId,
    pub source: ActionSource,
    pub reason: String,
    pub post: Option<PostId>,
}

/// A stored ban.
#[derive(Debug, Clone, Serialize)]
pub struct BanRecord {
    pub user_id: UserId,
    pub reason: String,
    pub banned_by: Option<UserId>,
    pub created_at: DateTime<Utc>,
}

/// One row of an imported ban list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanImportRow {
    pub user_id: i64,
    pub reason: String,
}

/// Exact counts of an import.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ImportCounts {
    /// Valid rows handed to the store.
    pub received: u64,
    /// New rows written.
    pub inserted: u64,
    /// Rows already present (or repeated in the file); left as they were.
    pub skipped_existing: u64,
}

/// One moderation-log row.
#[derive(Debug, Clone, Serialize)]
pub struct LogEntry {
    pub id: i64,
    pub post_id: Option<PostId>,
    pub target_user_id: Option<UserId>,
    pub moderator_id: Option<UserId>,
    pub action: String,
    pub source: String,
    pub reason: Option<String>,
    pub details: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// The kinds of outbox work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxKind {
    /// Send a new submission to the moderation group (after the album debounce).
    Announce,
    /// Download and hash the post's media to flag re-posts.
    Fingerprint,
    Publish,
    NotifyAuthor,
    UpdateCard,
}

impl OutboxKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Announce => "announce",
            Self::Fingerprint => "fingerprint",
            Self::Publish => "publish",
            Self::NotifyAuthor => "notify_author",
            Self::UpdateCard => "update_card",
        }
    }

    /// Reads the stored form back (a stored kind this build does not know is corrupt data).
    pub fn parse(raw: &str) -> Result<Self, super::StoreError> {
        [Self::Announce, Self::Fingerprint, Self::Publish, Self::NotifyAuthor, Self::UpdateCard]
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| super::StoreError::Corrupt(format!("unknown outbox kind {raw:?}")))
    }
}

/// A leased outbox job.
#[derive(Debug, Clone, Serialize)]
pub struct OutboxJob {
    pub id: i64,
    pub post_id: Option<PostId>,
    pub kind: OutboxKind,
    pub payload: serde_json::Value,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
}

impl OutboxJob {
    /// Message ids of the parts an earlier attempt already sent (see
    /// [`super::Store::record_outbox_progress`]), first part first.
    pub fn sent_parts(&self) -> Vec<i32> {
        self.payload
            .get(SENT_PARTS)
            .and_then(serde_json::Value::as_array)
            .map(|ids| ids.iter().filter_map(|id| id.as_i64().and_then(|id| i32::try_from(id).ok())).collect())
            .unwrap_or_default()
    }
}

/// Messages of a post sent again after an attempt that died mid-send (Telegram has no
/// idempotency key): the group or the channel may show them twice, and the console says so.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MaybeTwice {
    /// The card, in the moderation group.
    pub card: bool,
    /// The publication, in the channel.
    pub publication: bool,
}

/// Whether a failed send may have reached Telegram all the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Telegram answered with an error (or nothing was sent): the message did not go out.
    NotSent,
    /// No answer (a timeout, a dropped connection): the message may have gone out.
    MaybeSent,
}

/// The payload key under which a job's progress is kept.
pub const SENT_PARTS: &str = "sent_parts";

/// The result of a finished job, applied to the post in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxResult {
    /// Telegram accepted the publication.
    Published { channel_message_id: i32 },
    /// Gave up publishing: the post becomes `publish_failed` with the error kept.
    PublishFailed { error: String },
    /// The card reached the moderation group as this message (kept for later edits).
    Announced { card_message_id: i32 },
    /// Telegram refused the card for good: the error is kept on the post, which the console
    /// shows as "card failed" with a way to send it again.
    CardFailed { error: String },
    /// Nothing to apply (notifications, card updates).
    Done,
}

/// Counts of posts by status, for the console's header and statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct QueueStats {
    pub pending: i64,
    pub approved: i64,
    pub published: i64,
    pub publish_failed: i64,
    pub rejected: i64,
    pub edited_pending: i64,
    /// Posts whose author was asked for changes (not counted as pending).
    pub changes_requested: i64,
    /// When the oldest pending post arrived (`None`: nothing pending); the console's header
    /// shows its age (issue #17, the queue does not go stale).
    pub oldest_pending_at: Option<DateTime<Utc>>,
}

/// A moderator's identity as shown to other moderators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModeratorProfile {
    pub id: UserId,
    pub display_name: String,
    pub username: Option<String>,
    /// `config`, `group_admin` or `console`.
    pub source: &'static str,
}
