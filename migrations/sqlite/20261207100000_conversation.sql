-- Conversation with the author (issue #17 part 1): a moderator asks for changes or writes to
-- the author through the bot; the author's answers and revisions join the post's thread.
--
-- A post whose author was asked for changes keeps `status = 'pending'` and carries the time of
-- the open request in `changes_requested_at`; the store reads the pair as the status
-- `changes_requested` (see src/store/*/rows.rs). Why not a new status value: SQLite cannot
-- alter the CHECK on `posts.status` (20261201230000_initial.sql), and rebuilding `posts`
-- means recreating its indexes, its FTS5 triggers and the foreign keys of four tables inside
-- this migration's transaction (where `PRAGMA foreign_keys` cannot be switched off) on every
-- installed file. Both backends store the same thing, so `migrate-data` copies it as is.
-- An answer, a revision or a decision clears it.
ALTER TABLE posts ADD COLUMN changes_requested_at TEXT;
CREATE INDEX posts_changes_requested ON posts (changes_requested_at, source_chat_id)
    WHERE changes_requested_at IS NOT NULL AND status = 'pending';

-- The thread: what moderators sent the author (through the outbox: `queued`, then `sent` with
-- the bot's message id, or `undelivered` with Telegram's error) and what the author answered
-- (`received`, with the author's message id). Moderators are kept by id; authors never see it.
CREATE TABLE post_messages (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id             INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    direction           TEXT NOT NULL CHECK (direction IN ('to_author', 'from_author')),
    kind                TEXT NOT NULL CHECK (kind IN ('request', 'message', 'answer', 'revision')),
    moderator_id        INTEGER,
    body                TEXT NOT NULL DEFAULT '',
    telegram_message_id INTEGER,
    delivery            TEXT NOT NULL CHECK (delivery IN ('queued', 'sent', 'undelivered', 'received')),
    error               TEXT,
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    delivered_at        TEXT
);
CREATE INDEX post_messages_post ON post_messages (post_id, id);
-- An author's message is attached once (a redelivered update changes nothing); a reply to
-- the bot's message finds its post by the message id.
CREATE UNIQUE INDEX post_messages_telegram ON post_messages (post_id, direction, telegram_message_id)
    WHERE telegram_message_id IS NOT NULL;
CREATE INDEX post_messages_sent ON post_messages (telegram_message_id) WHERE direction = 'to_author';
