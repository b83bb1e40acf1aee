-- PostGate on SQLite (the embedded default): the same tables and rules as migrations/postgres/,
-- in SQLite's terms. Forward-only: never edit once landed; add a new migration instead.
--
-- Times are TEXT in RFC 3339 UTC with milliseconds ('2026-12-01T23:10:05.123Z'), written by the
-- database (strftime below) or by the store in the same format, so they compare as text in
-- time order. Booleans are 0/1; JSON is TEXT.

CREATE TABLE authors (
    id              INTEGER PRIMARY KEY,                -- Telegram user id
    username        TEXT,
    first_name      TEXT NOT NULL DEFAULT '',
    last_name       TEXT,
    language_code   TEXT,
    locale_override TEXT,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE moderators (
    user_id      INTEGER PRIMARY KEY,
    display_name TEXT NOT NULL DEFAULT '',
    username     TEXT,
    source       TEXT NOT NULL CHECK (source IN ('config', 'group_admin', 'console')),
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE bans (
    user_id    INTEGER PRIMARY KEY,
    reason     TEXT NOT NULL DEFAULT '',
    banned_by  INTEGER,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE posts (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id             INTEGER NOT NULL REFERENCES authors (id),
    source_chat_id        INTEGER NOT NULL,
    source_message_id     INTEGER NOT NULL,
    media_group_id        TEXT,
    body                  TEXT NOT NULL DEFAULT '',
    -- The body folded to lower case by the store (Unicode, so Cyrillic too): what search reads.
    search_text           TEXT NOT NULL DEFAULT '',
    entities              TEXT NOT NULL DEFAULT '[]',
    status                TEXT NOT NULL DEFAULT 'pending'
                          CHECK (status IN ('pending', 'approved', 'published', 'publish_failed', 'rejected')),
    edited_by_author      INTEGER NOT NULL DEFAULT 0,
    edited_by_moderator   INTEGER NOT NULL DEFAULT 0,
    reject_reason         TEXT,
    decided_by            INTEGER,
    decided_at            TEXT,
    publish_error         TEXT,
    published_at          TEXT,
    channel_message_id    INTEGER,
    moderation_message_id INTEGER,
    claimed_by            INTEGER,
    claim_expires_at      TEXT,
    duplicate_of          INTEGER REFERENCES posts (id),
    card_error            TEXT,
    created_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CONSTRAINT posts_source_unique UNIQUE (source_chat_id, source_message_id),
    CONSTRAINT posts_decision_complete CHECK (status = 'pending' OR decided_by IS NOT NULL)
);
CREATE INDEX posts_status_created ON posts (status, created_at, id);
CREATE UNIQUE INDEX posts_album_unique ON posts (source_chat_id, media_group_id) WHERE media_group_id IS NOT NULL;
CREATE INDEX posts_author_created ON posts (author_id, created_at DESC);
CREATE INDEX posts_author_pending ON posts (author_id) WHERE status = 'pending';
CREATE INDEX posts_created ON posts (created_at, id);

-- Text search: trigrams of the folded body (substring match, any script), kept in step with
-- posts by triggers. Patterns under three characters fall back to instr() on search_text.
CREATE VIRTUAL TABLE posts_search USING fts5 (
    search_text, content = 'posts', content_rowid = 'id', tokenize = 'trigram'
);
CREATE TRIGGER posts_search_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER posts_search_delete AFTER DELETE ON posts BEGIN
    INSERT INTO posts_search (posts_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;
CREATE TRIGGER posts_search_update AFTER UPDATE OF search_text ON posts BEGIN
    INSERT INTO posts_search (posts_search, rowid, search_text) VALUES ('delete', old.id, old.search_text);
    INSERT INTO posts_search (rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE TABLE media (
    post_id           INTEGER NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    position          INTEGER NOT NULL CHECK (position >= 0 AND position < 10),
    kind              TEXT NOT NULL
                      CHECK (kind IN ('photo', 'video', 'animation', 'document', 'audio', 'voice')),
    file_id           TEXT NOT NULL,
    file_unique_id    TEXT NOT NULL,
    source_message_id INTEGER NOT NULL,
    file_name         TEXT,
    mime_type         TEXT,
    file_size         INTEGER,
    sha256            TEXT,
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (post_id, position),
    CONSTRAINT media_message_unique UNIQUE (post_id, source_message_id)
);
CREATE INDEX media_sha256 ON media (sha256) WHERE sha256 IS NOT NULL;
CREATE INDEX media_kind_post ON media (kind, post_id);

CREATE TABLE moderation_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id        INTEGER REFERENCES posts (id),
    target_user_id INTEGER,
    moderator_id   INTEGER,
    action         TEXT NOT NULL,
    source         TEXT NOT NULL CHECK (source IN ('telegram', 'console', 'system')),
    reason         TEXT,
    details        TEXT NOT NULL DEFAULT '{}',
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX moderation_log_post ON moderation_log (post_id, id);
CREATE INDEX moderation_log_created ON moderation_log (created_at DESC, id DESC);
CREATE TRIGGER moderation_log_no_update BEFORE UPDATE ON moderation_log BEGIN
    SELECT RAISE(ABORT, 'moderation_log is append-only');
END;
CREATE TRIGGER moderation_log_no_delete BEFORE DELETE ON moderation_log BEGIN
    SELECT RAISE(ABORT, 'moderation_log is append-only');
END;

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id         INTEGER REFERENCES posts (id),
    kind            TEXT NOT NULL
                    CHECK (kind IN ('announce', 'fingerprint', 'publish', 'notify_author', 'update_card')),
    payload         TEXT NOT NULL DEFAULT '{}',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    last_error      TEXT,
    done_at         TEXT,
    created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE done_at IS NULL;
CREATE INDEX outbox_post ON outbox (post_id, kind) WHERE done_at IS NULL;
