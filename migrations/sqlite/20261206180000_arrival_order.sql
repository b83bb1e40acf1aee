-- The queue lists posts in the order they arrived: `arrived_at` is stamped when a submission is
-- handed to the store (strictly increasing within the process, RFC 3339 UTC with microseconds:
-- a fixed width, so text order is time order), not the statement's time (`created_at`).
-- SQLite cannot add a column with a computed default: intake always sets it.
ALTER TABLE posts ADD COLUMN arrived_at TEXT;
-- Posts stored before this migration keep the order they were listed in (`created_at` has
-- milliseconds: padded to the same width).
UPDATE posts SET arrived_at = substr(created_at, 1, 23) || '000Z';
CREATE INDEX posts_status_arrived ON posts (status, arrived_at, id);
CREATE INDEX posts_arrived ON posts (arrived_at, id);
CREATE INDEX posts_author_arrived ON posts (author_id, arrived_at DESC);
DROP INDEX posts_status_created;
DROP INDEX posts_created;
DROP INDEX posts_author_created;
