-- Small pieces of the bot's own state, by key (the stale-queue reminder's message in the
-- moderation group, as JSON, so a restart edits the same message). Not moderation data: not
-- copied by migrate-data or backups (src/store/migrate_data/tables.rs).
CREATE TABLE bot_state (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
