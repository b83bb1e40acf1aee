-- The queue lists posts in the order they arrived: `arrived_at` is stamped when a submission is
-- handed to the store (strictly increasing within the process), not the storing transaction's
-- start (`created_at`, now()), which concurrent batches commit out of order.
ALTER TABLE posts ADD COLUMN arrived_at TIMESTAMPTZ;
-- Posts stored before this migration keep the order they were listed in.
UPDATE posts SET arrived_at = created_at;
ALTER TABLE posts ALTER COLUMN arrived_at SET NOT NULL;
-- Rows written by other paths (a copy by migrate-data names the column) get the insert's time.
ALTER TABLE posts ALTER COLUMN arrived_at SET DEFAULT now();
-- The queue's orders, replacing those by creation time.
CREATE INDEX posts_status_arrived ON posts (status, arrived_at, id);
CREATE INDEX posts_arrived ON posts (arrived_at, id);
CREATE INDEX posts_author_arrived ON posts (author_id, arrived_at DESC);
DROP INDEX posts_status_created;
DROP INDEX posts_created;
DROP INDEX posts_author_created;
