-- What a crash may leave undone or done twice, recorded so a restart can make it good or say so.
-- When the author's receipt went out: a stored submission whose receipt is not recorded (the
-- process died between the commit and the reply) is receipted on redelivery or by the sweep.
ALTER TABLE posts ADD COLUMN receipt_sent_at TEXT;
-- Posts stored before this migration were receipted by the code of the day.
UPDATE posts SET receipt_sent_at = created_at;
CREATE INDEX posts_unreceipted ON posts (id) WHERE receipt_sent_at IS NULL;
-- A card or a publication sent again after an attempt that died mid-send: the group or the
-- channel may show it twice, and the console says so.
ALTER TABLE posts ADD COLUMN card_maybe_twice INTEGER NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN published_maybe_twice INTEGER NOT NULL DEFAULT 0;
-- When the worker holding a job leased it (NULL: not leased, or its outcome recorded), and
-- when it began sending (the intent, written before the request): a job leased again with
-- sending_at set may already have been delivered once.
ALTER TABLE outbox ADD COLUMN leased_at TEXT;
ALTER TABLE outbox ADD COLUMN sending_at TEXT;
