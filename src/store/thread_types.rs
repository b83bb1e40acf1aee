//! What the conversation with a post's author reads and writes: the thread's messages (a
//! moderator's request or message, the author's answer or revision), and the outcomes of
//! sending, answering, withdrawing and expiring.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{NewMedia, PostRecord, StoreError};
use crate::domain::{ActionSource, PostId, PostStatus, UserId};

/// Which way a thread message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreadDirection {
    ToAuthor,
    FromAuthor,
}

/// What a thread message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreadKind {
    /// A moderator asked for changes (the post became `changes_requested`).
    Request,
    /// A moderator's free message.
    Message,
    /// The author's answer (the content stays as it was).
    Answer,
    /// The author's new version (it replaced the post's content).
    Revision,
}

/// Where a thread message is: one to the author is `queued` until the outbox sends it, then
/// `sent` or `undelivered` (Telegram refused: blocked bot, deleted account); one from the
/// author is `received`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThreadDelivery {
    Queued,
    Sent,
    Undelivered,
    Received,
}

macro_rules! stored_names {
    ($ty:ty, $($variant:ident => $name:literal),+) => {
        impl $ty {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $name),+ }
            }

            /// Reads the stored form back (anything else is corrupt data).
            pub fn parse(raw: &str) -> Result<Self, StoreError> {
                match raw {
                    $($name => Ok(Self::$variant),)+
                    other => Err(StoreError::Corrupt(format!("unknown thread value {other:?}"))),
                }
            }
        }
    };
}

stored_names!(ThreadDirection, ToAuthor => "to_author", FromAuthor => "from_author");
stored_names!(ThreadKind, Request => "request", Message => "message", Answer => "answer", Revision => "revision");
stored_names!(ThreadDelivery, Queued => "queued", Sent => "sent", Undelivered => "undelivered", Received => "received");

/// One message of a post's thread, oldest first in [`super::Store::thread`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ThreadMessage {
    pub id: i64,
    pub post_id: PostId,
    pub direction: ThreadDirection,
    pub kind: ThreadKind,
    /// The moderator who wrote it (to the author only; never shown to the author).
    pub moderator_id: Option<UserId>,
    /// The moderator's display name, when known.
    pub moderator_name: Option<String>,
    pub body: String,
    /// The bot's message to the author once sent, or the author's message.
    pub telegram_message_id: Option<i32>,
    pub delivery: ThreadDelivery,
    /// Why Telegram refused it (`undelivered`).
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// A moderator's message to a post's author, sent by the bot through the outbox.
#[derive(Debug, Clone)]
pub struct ToAuthor {
    pub post_id: PostId,
    pub moderator: UserId,
    pub source: ActionSource,
    pub body: String,
    /// Asks for changes: the post becomes `changes_requested` (only from pending, or again
    /// while changes are requested).
    pub request: bool,
}

/// What [`super::Store::send_to_author`] did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ToAuthorOutcome {
    /// Stored and queued for the bot.
    Queued {
        message_id: i64,
        post: Box<PostRecord>,
    },
    /// Changes can be asked for only while the post waits for a decision.
    NotOpen {
        status: PostStatus,
    },
    NotFound,
}

/// New content an author sent as a revision.
#[derive(Debug, Clone)]
pub struct Revision {
    pub body: String,
    pub entities: serde_json::Value,
    /// Replaces the post's media when not empty (a text revision keeps them, as a caption edit).
    pub media: Vec<NewMedia>,
}

/// An author's message attached to a post's thread.
#[derive(Debug, Clone)]
pub struct FromAuthor {
    pub post_id: PostId,
    pub author: UserId,
    /// The author's message (a redelivery of it changes nothing).
    pub telegram_message_id: i32,
    pub body: String,
    /// The post's new content, when the message is a revision.
    pub revision: Option<Revision>,
}

/// What [`super::Store::author_message`] did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum FromAuthorOutcome {
    /// Attached; `reopened` when it answered an open request (the post is pending again).
    Attached { post: Box<PostRecord>, reopened: bool },
    /// This message was attached before.
    Duplicate,
    /// The author is banned: nothing attached.
    Banned,
    /// The post was decided: nothing attached.
    Closed { status: PostStatus },
    /// No such post of this author.
    NotFound,
}

/// What [`super::Store::withdraw`] did.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum WithdrawOutcome {
    /// Rejected with the reason `withdrawn`.
    Withdrawn { post: Box<PostRecord> },
    /// Already decided (or being published).
    Closed { status: PostStatus },
    /// No such post of this author.
    NotFound,
}

/// How sending a thread message to its author ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryResult {
    Sent {
        telegram_message_id: i32,
    },
    /// Refused for good (blocked the bot, deleted account, …): not tried again.
    Undelivered {
        error: String,
    },
}

/// A thread row as either backend returns it ([`THREAD_COLUMNS`]).
#[derive(sqlx::FromRow)]
pub(in crate::store) struct ThreadRow {
    id: i64,
    post_id: i64,
    direction: String,
    kind: String,
    moderator_id: Option<i64>,
    moderator_name: Option<String>,
    body: String,
    telegram_message_id: Option<i32>,
    delivery: String,
    error: Option<String>,
    created_at: DateTime<Utc>,
    delivered_at: Option<DateTime<Utc>>,
}

/// The columns of a thread read (messages `m` joined with moderators `mo`).
pub(in crate::store) const THREAD_COLUMNS: &str = "m.id, m.post_id, m.direction, m.kind, m.moderator_id, \
     mo.display_name AS moderator_name, m.body, m.telegram_message_id, m.delivery, m.error, m.created_at, \
     m.delivered_at FROM post_messages m LEFT JOIN moderators mo ON mo.user_id = m.moderator_id";

impl ThreadRow {
    pub(in crate::store) fn into_message(self) -> Result<ThreadMessage, StoreError> {
        Ok(ThreadMessage {
            id: self.id,
            post_id: PostId(self.post_id),
            direction: ThreadDirection::parse(&self.direction)?,
            kind: ThreadKind::parse(&self.kind)?,
            moderator_id: self.moderator_id.map(UserId),
            moderator_name: self.moderator_name.filter(|n| !n.is_empty()),
            body: self.body,
            telegram_message_id: self.telegram_message_id,
            delivery: ThreadDelivery::parse(&self.delivery)?,
            error: self.error,
            created_at: self.created_at,
            delivered_at: self.delivered_at,
        })
    }
}
