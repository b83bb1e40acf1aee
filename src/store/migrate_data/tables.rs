//! What `migrate-data` copies: every table, its columns and how each is read from SQLite and
//! written for `PostgreSQL`. Checked against both schemas before a copy starts.

/// How a column is read from SQLite and written for `PostgreSQL`. JSON columns are `Text`:
/// COPY parses them into `jsonb` (an invalid one fails the copy, and the copy rolls back).
#[derive(Clone, Copy)]
pub(in crate::store) enum Kind {
    Int,
    Text,
    /// RFC 3339 text in SQLite, `timestamptz` in `PostgreSQL`.
    Time,
    /// 0/1 in SQLite.
    Bool,
}

use Kind::{Bool, Int, Text, Time};

pub(in crate::store) struct Table {
    pub name: &'static str,
    /// The order rows are read in (the primary key).
    pub key: &'static str,
    pub columns: &'static [(&'static str, Kind)],
    /// Whether `id` comes from a sequence in `PostgreSQL`, to be set past the copied ids.
    pub serial: bool,
}

/// Every table, parents before children.
pub(in crate::store) const TABLES: [Table; 9] = [
    Table {
        name: "authors",
        key: "id",
        serial: false,
        columns: &[
            ("id", Int),
            ("username", Text),
            ("first_name", Text),
            ("last_name", Text),
            ("language_code", Text),
            ("locale_override", Text),
            ("created_at", Time),
            ("updated_at", Time),
        ],
    },
    Table {
        name: "moderators",
        key: "user_id",
        serial: false,
        columns: &[
            ("user_id", Int),
            ("display_name", Text),
            ("username", Text),
            ("source", Text),
            ("created_at", Time),
            ("updated_at", Time),
        ],
    },
    Table {
        name: "bans",
        key: "user_id",
        serial: false,
        columns: &[("user_id", Int), ("reason", Text), ("banned_by", Int), ("created_at", Time)],
    },
    Table {
        name: "posts",
        key: "id",
        serial: true,
        columns: &[
            ("id", Int),
            ("author_id", Int),
            ("source_chat_id", Int),
            ("source_message_id", Int),
            ("media_group_id", Text),
            ("body", Text),
            ("entities", Text),
            ("status", Text),
            ("edited_by_author", Bool),
            ("edited_by_moderator", Bool),
            ("reject_reason", Text),
            ("decided_by", Int),
            ("decided_at", Time),
            ("publish_error", Text),
            ("published_at", Time),
            ("channel_message_id", Int),
            ("moderation_message_id", Int),
            ("claimed_by", Int),
            ("claim_expires_at", Time),
            ("duplicate_of", Int),
            ("card_error", Text),
            ("receipt_sent_at", Time),
            ("card_maybe_twice", Bool),
            ("published_maybe_twice", Bool),
            ("created_at", Time),
            ("updated_at", Time),
            ("arrived_at", Time),
            ("scheduled_at", Time),
            ("parked", Bool),
            ("signed", Bool),
            ("changes_requested_at", Time),
            ("flags", Text),
            ("flag_mask", Int),
            ("media_kind", Text),
        ],
    },
    Table {
        name: "media",
        key: "post_id, position",
        serial: false,
        columns: &[
            ("post_id", Int),
            ("position", Int),
            ("kind", Text),
            ("file_id", Text),
            ("file_unique_id", Text),
            ("source_message_id", Int),
            ("file_name", Text),
            ("mime_type", Text),
            ("file_size", Int),
            ("sha256", Text),
            ("created_at", Time),
        ],
    },
    Table {
        name: "moderation_log",
        key: "id",
        serial: true,
        columns: &[
            ("id", Int),
            ("post_id", Int),
            ("target_user_id", Int),
            ("moderator_id", Int),
            ("action", Text),
            ("source", Text),
            ("reason", Text),
            ("details", Text),
            ("created_at", Time),
        ],
    },
    Table {
        name: "outbox",
        key: "id",
        serial: true,
        columns: &[
            ("id", Int),
            ("post_id", Int),
            ("kind", Text),
            ("payload", Text),
            ("attempts", Int),
            ("next_attempt_at", Time),
            ("last_error", Text),
            ("done_at", Time),
            ("leased_at", Time),
            ("sending_at", Time),
            ("created_at", Time),
        ],
    },
    // Conversation with the author (issue #17 part 1): the post's thread.
    Table {
        name: "post_messages",
        key: "id",
        serial: true,
        columns: &[
            ("id", Int),
            ("post_id", Int),
            ("direction", Text),
            ("kind", Text),
            ("moderator_id", Int),
            ("body", Text),
            ("telegram_message_id", Int),
            ("delivery", Text),
            ("error", Text),
            ("created_at", Time),
            ("delivered_at", Time),
        ],
    },
    Table {
        name: "post_fingerprints",
        key: "post_id, band",
        serial: false,
        columns: &[("post_id", Int), ("band", Int), ("hash", Int)],
    },
];

/// SQLite columns deliberately not copied: `posts.search_text` is SQLite's folded copy of the
/// body for its FTS5 index; `PostgreSQL` searches `body` through its trigram index.
pub(in crate::store) const SQLITE_ONLY: [(&str, &str); 1] = [("posts", "search_text")];
