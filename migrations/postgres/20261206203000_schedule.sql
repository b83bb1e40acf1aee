-- The publishing schedule: an approved post with a time (scheduled_at) waits for it; its
-- publication is queued when the time comes. Two approved posts never hold one time.
-- A parked post is approved and waits for a moderator to give it a time.
ALTER TABLE posts ADD COLUMN parked BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE posts ADD COLUMN scheduled_at TIMESTAMPTZ;
CREATE UNIQUE INDEX posts_scheduled_slot ON posts (scheduled_at) WHERE status = 'approved' AND scheduled_at IS NOT NULL;
