//! The conversation with a post's author, through the bot (issue #17 part 1), for both faces
//! and the outbox worker: a moderator asks for changes or writes to the author (checked to
//! fit one Telegram message with its frame, in every language), the author's answers and
//! revisions join the post's thread, the author withdraws, and unanswered requests expire on
//! the caller's clock. Every write goes through the store in one transaction with its log row.

use chrono::{DateTime, Utc};
use tracing::instrument;

use crate::domain::text::utf16_len;
use crate::domain::{ActionSource, PostId, UserId};
use crate::render::thread::{quote_of, text_limit};
use crate::services::Services;
use crate::store::{FromAuthor, FromAuthorOutcome, StoreError, ThreadKind, ToAuthor, ToAuthorOutcome, WithdrawOutcome};

/// Requests expired per round (the rest go in the next round, a second later).
const EXPIRE_BATCH: i64 = 100;

/// Why a moderator's message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Nothing to send.
    #[error("the message is empty")]
    Empty,
    /// With its frame, the message would not fit one Telegram message: it is refused whole
    /// (never cut or split: the author would read half a request).
    #[error("the message is {length} characters (UTF-16 units) long; at most {limit} fit with the bot's frame")]
    TooLong { length: usize, limit: usize },
}

/// What a moderator writes to a post's author.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub post: PostId,
    pub moderator: UserId,
    pub source: ActionSource,
    pub body: String,
    /// Asks for changes (the post becomes `changes_requested`) rather than a free message.
    pub request: bool,
}

/// The most UTF-16 units a moderator may write to the author of `post` (its quote and the
/// frame of the longest language counted); `None` when there is no such post.
pub async fn limit_for(services: &Services, post: PostId, request: bool) -> Result<Option<usize>, StoreError> {
    let Some(record) = services.store.post(post).await? else { return Ok(None) };
    let kind = if request { ThreadKind::Request } else { ThreadKind::Message };
    Ok(Some(text_limit(&services.i18n, post, kind, &quote_of(&record))))
}

/// Stores and queues a moderator's message to a post's author (the bot sends it through the
/// outbox, within Telegram's limits; a blocked bot marks it undelivered). A request for
/// changes makes the post `changes_requested` and refreshes its card.
#[instrument(skip_all, fields(post_id = out.post.0, moderator_id = out.moderator.0, request = out.request))]
pub async fn send(services: &Services, out: &Outgoing) -> Result<ToAuthorOutcome, ConversationError> {
    let body = out.body.trim();
    if body.is_empty() {
        return Err(ConversationError::Empty);
    }
    let Some(limit) = limit_for(services, out.post, out.request).await? else { return Ok(ToAuthorOutcome::NotFound) };
    let length = utf16_len(body);
    if length > limit {
        tracing::info!(length, limit, "message to the author too long; refused");
        return Err(ConversationError::TooLong { length, limit });
    }
    let send = ToAuthor {
        post_id: out.post,
        moderator: out.moderator,
        source: out.source,
        body: body.to_owned(),
        request: out.request,
    };
    let outcome = services.store.send_to_author(&send).await?;
    match &outcome {
        ToAuthorOutcome::Queued { message_id, .. } => {
            tracing::info!(thread_message = message_id, "message to the author queued");
            services.outbox_wake.notify_one();
        }
        other => tracing::info!(outcome = ?other, "message to the author not queued"),
    }
    Ok(outcome)
}

/// The post an author's private message belongs to, if any, and whether the message replies
/// to a request for changes (then it is the new version; a reply to a free message is an
/// answer): a reply to one of the bot's thread messages, or else any message within the reply
/// window (`CHANGES_REPLY_WINDOW_MINUTES`) of an open request.
///
/// While the database is known to be down this is not asked (an `Unavailable` error at once:
/// on `PostgreSQL` a try waits `DB_ACQUIRE_TIMEOUT_SECS`); a failure marks it down.
pub async fn target(
    services: &Services,
    chat: i64,
    reply_to: Option<i32>,
    now: DateTime<Utc>,
) -> Result<Option<(PostId, bool)>, StoreError> {
    if services.health.is_down() {
        return Err(StoreError::Unavailable("the database is unreachable".into()));
    }
    let found = lookup(services, chat, reply_to, now).await;
    services.health.observe(&found);
    found
}

async fn lookup(
    services: &Services,
    chat: i64,
    reply_to: Option<i32>,
    now: DateTime<Utc>,
) -> Result<Option<(PostId, bool)>, StoreError> {
    if reply_to.is_some() {
        // A time after every request: only the reply can match.
        let never = now + chrono::Duration::days(1);
        if let Some(post) = services.store.thread_target(chat, reply_to, never).await? {
            let thread = services.store.thread(post).await?;
            let to_request = thread.iter().any(|m| {
                m.kind == ThreadKind::Request && m.telegram_message_id.is_some() && m.telegram_message_id == reply_to
            });
            return Ok(Some((post, to_request)));
        }
    }
    let window = chrono::Duration::from_std(services.config.conversation.reply_window).unwrap_or_default();
    if window.is_zero() {
        return Ok(None);
    }
    Ok(services.store.thread_target(chat, None, now - window).await?.map(|post| (post, false)))
}

/// Attaches an author's message to its post's thread (a revision replaces the content) and
/// wakes the worker to refresh the card.
#[instrument(skip_all, fields(post_id = message.post_id.0, user_id = message.author.0, revision = message.revision.is_some()))]
pub async fn attach(services: &Services, message: &FromAuthor) -> Result<FromAuthorOutcome, StoreError> {
    let outcome = services.store.author_message(message).await?;
    match &outcome {
        FromAuthorOutcome::Attached { reopened, .. } => {
            tracing::info!(reopened, "author's message attached to the thread");
            if message.revision.is_some() {
                // A new version is flagged anew, as an author's edit is.
                super::intake::recheck(services, message.post_id).await;
            }
            services.outbox_wake.notify_one();
        }
        other => tracing::info!(outcome = ?other, "author's message not attached"),
    }
    Ok(outcome)
}

/// The author withdraws a post waiting for a decision (rejected, reason "withdrawn").
#[instrument(skip_all, fields(post_id = post.0, user_id = author.0))]
pub async fn withdraw(services: &Services, post: PostId, author: UserId) -> Result<WithdrawOutcome, StoreError> {
    let outcome = services.store.withdraw(post, author).await?;
    if matches!(outcome, WithdrawOutcome::Withdrawn { .. }) {
        tracing::info!("post withdrawn by its author");
        services.outbox_wake.notify_one();
    }
    Ok(outcome)
}

/// Rejects ("no answer") the posts whose request for changes is older than
/// `CHANGES_EXPIRE_HOURS` at `now` (the caller's clock), telling their authors. Their ids.
pub async fn expire_due(services: &Services, now: DateTime<Utc>) -> Result<Vec<PostId>, StoreError> {
    let after = chrono::Duration::from_std(services.config.conversation.expire_after).unwrap_or_default();
    let mut expired = Vec::new();
    loop {
        let batch = services.store.expire_change_requests(now - after, EXPIRE_BATCH).await?;
        let full = i64::try_from(batch.len()).unwrap_or(i64::MAX) >= EXPIRE_BATCH;
        expired.extend(batch);
        if !full {
            break;
        }
    }
    if !expired.is_empty() {
        tracing::info!(posts = expired.len(), "unanswered requests for changes expired");
        services.outbox_wake.notify_one();
    }
    Ok(expired)
}
