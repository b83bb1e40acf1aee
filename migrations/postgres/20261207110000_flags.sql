-- Flags for a second look (issue #17 part 2): a post's flags as JSON (NULL: not computed yet),
-- and their kinds as bits (flag_mask) for the queue's filter. post_fingerprints holds the
-- MinHash LSH bands of a post's text: a submission's near-duplicate candidates are the posts
-- sharing one of its bands, found through (band, hash); post_id in the index lets a lookup take
-- only the newest posts of a band shared by thousands (a flood of one text) without sorting them.
ALTER TABLE posts ADD COLUMN flags JSONB;
ALTER TABLE posts ADD COLUMN flag_mask BIGINT NOT NULL DEFAULT 0;
CREATE INDEX posts_flagged ON posts (flag_mask) WHERE flag_mask <> 0;
CREATE TABLE post_fingerprints (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    band SMALLINT NOT NULL,
    hash BIGINT NOT NULL,
    PRIMARY KEY (post_id, band)
);
CREATE INDEX post_fingerprints_band_hash ON post_fingerprints (band, hash, post_id);
