-- PostGate initial schema. Forward-only: never edit once landed; add a new migration instead.
-- Every time column is timestamptz; record-keeping columns default to now() in the database.

CREATE TABLE authors (
    id              BIGINT PRIMARY KEY,                 -- Telegram user id
    username        TEXT,
    first_name      TEXT NOT NULL DEFAULT '',
    last_name       TEXT,
    language_code   TEXT,                               -- as Telegram reports it
    locale_override TEXT,                               -- chosen with /language
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE moderators (
    user_id      BIGINT PRIMARY KEY,
    display_name TEXT NOT NULL DEFAULT '',
    username     TEXT,
    source       TEXT NOT NULL CHECK (source IN ('config', 'group_admin', 'console')),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE bans (
    user_id    BIGINT PRIMARY KEY,
    reason     TEXT NOT NULL DEFAULT '',
    banned_by  BIGINT,                                  -- NULL for imported lists
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE posts (
    id                    BIGSERIAL PRIMARY KEY,
    author_id             BIGINT NOT NULL REFERENCES authors (id),
    source_chat_id        BIGINT NOT NULL,
    source_message_id     INTEGER NOT NULL,             -- first message (an album's lowest id)
    media_group_id        TEXT,
    body                  TEXT NOT NULL DEFAULT '',     -- text or caption
    entities              JSONB NOT NULL DEFAULT '[]',  -- Telegram MessageEntity list
    status                TEXT NOT NULL DEFAULT 'pending'
                          CHECK (status IN ('pending', 'approved', 'published', 'publish_failed', 'rejected')),
    edited_by_author      BOOLEAN NOT NULL DEFAULT false,
    edited_by_moderator   BOOLEAN NOT NULL DEFAULT false,
    reject_reason         TEXT,
    decided_by            BIGINT,
    decided_at            TIMESTAMPTZ,
    publish_error         TEXT,
    published_at          TIMESTAMPTZ,
    channel_message_id    INTEGER,
    moderation_message_id INTEGER,                      -- the card in the moderation group
    claimed_by            BIGINT,
    claim_expires_at      TIMESTAMPTZ,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT posts_source_unique UNIQUE (source_chat_id, source_message_id),
    CONSTRAINT posts_decision_complete CHECK (status = 'pending' OR decided_by IS NOT NULL)
);
CREATE INDEX posts_status_created ON posts (status, created_at, id);
-- One post per album: later parts of a media group join the post of the first.
CREATE UNIQUE INDEX posts_album_unique ON posts (source_chat_id, media_group_id) WHERE media_group_id IS NOT NULL;
CREATE INDEX posts_author_created ON posts (author_id, created_at DESC);

CREATE TABLE media (
    post_id           BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    position          SMALLINT NOT NULL CHECK (position >= 0 AND position < 10),
    kind              TEXT NOT NULL
                      CHECK (kind IN ('photo', 'video', 'animation', 'document', 'audio', 'voice')),
    file_id           TEXT NOT NULL,
    file_unique_id    TEXT NOT NULL,
    source_message_id INTEGER NOT NULL,
    file_name         TEXT,
    mime_type         TEXT,
    file_size         BIGINT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (post_id, position),
    CONSTRAINT media_message_unique UNIQUE (post_id, source_message_id)
);

-- Append-only: one row per moderator (or system) action, with the reason.
CREATE TABLE moderation_log (
    id             BIGSERIAL PRIMARY KEY,
    post_id        BIGINT REFERENCES posts (id),
    target_user_id BIGINT,
    moderator_id   BIGINT,                              -- NULL for system actions
    action         TEXT NOT NULL,
    source         TEXT NOT NULL CHECK (source IN ('telegram', 'console', 'system')),
    reason         TEXT,
    details        JSONB NOT NULL DEFAULT '{}',
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX moderation_log_post ON moderation_log (post_id, id);
CREATE INDEX moderation_log_created ON moderation_log (created_at DESC, id DESC);

CREATE FUNCTION moderation_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'moderation_log is append-only';
END $$;
CREATE TRIGGER moderation_log_append_only
    BEFORE UPDATE OR DELETE ON moderation_log
    FOR EACH ROW EXECUTE FUNCTION moderation_log_is_append_only();

-- Work for Telegram written in the same transaction as the decision that causes it.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    post_id         BIGINT REFERENCES posts (id),
    kind            TEXT NOT NULL CHECK (kind IN ('announce', 'publish', 'notify_author', 'update_card')),
    payload         JSONB NOT NULL DEFAULT '{}',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error      TEXT,
    done_at         TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE done_at IS NULL;
CREATE INDEX outbox_post ON outbox (post_id, kind) WHERE done_at IS NULL;
