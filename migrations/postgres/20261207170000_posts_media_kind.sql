-- A post's media kind kept on the post, for the statistics' media mix: NULL for a text, the
-- kind of its one medium, or 'album' for several. Written with the media (intake, an album's
-- later parts, an author's revision; `store::charts::media_kind_of`), so the chart counts one
-- column of the arrival index instead of joining every medium in range to its post.
ALTER TABLE posts ADD COLUMN media_kind TEXT
    CHECK (media_kind IN ('photo', 'video', 'animation', 'document', 'audio', 'voice', 'album'));
UPDATE posts p SET media_kind = m.kind
FROM (SELECT post_id, CASE WHEN count(*) > 1 THEN 'album' ELSE min(kind) END AS kind FROM media GROUP BY post_id) m
WHERE m.post_id = p.id;
-- One arrival index for the queue's order and the statistics (it was two with the same key):
-- (arrived_at, id) for the order, with the columns the charts read (the media kind now among
-- them) for index-only scans. A new post adds one entry fewer.
DROP INDEX posts_arrived_stats;
DROP INDEX posts_arrived;
CREATE INDEX posts_arrived ON posts (arrived_at, id) INCLUDE (status, author_id, reject_reason, media_kind);
