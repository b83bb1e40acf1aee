-- Media fingerprints: the SHA-256 of each downloaded file, so a re-posted picture or video is
-- flagged to moderators ("looks like #N").
ALTER TABLE media ADD COLUMN sha256 TEXT;
CREATE INDEX media_sha256 ON media (sha256) WHERE sha256 IS NOT NULL;
ALTER TABLE posts ADD COLUMN duplicate_of BIGINT REFERENCES posts (id);
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check
    CHECK (kind IN ('announce', 'fingerprint', 'publish', 'notify_author', 'update_card'));
