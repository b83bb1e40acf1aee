-- A post's media kind kept on the post, for the statistics' media mix: NULL for a text, the
-- kind of its one medium, or 'album' for several. Written with the media (intake, an album's
-- later parts, an author's revision; `store::charts::media_kind_of`), so the chart counts one
-- column of the arrival index instead of joining every medium in range to its post.
ALTER TABLE posts ADD COLUMN media_kind TEXT
    CHECK (media_kind IN ('photo', 'video', 'animation', 'document', 'audio', 'voice', 'album'));
UPDATE posts p SET media_kind = m.kind
FROM (SELECT post_id, CASE WHEN count(*) > 1 THEN 'album' ELSE min(kind) END AS kind FROM media GROUP BY post_id) m
WHERE m.post_id = p.id;
DROP INDEX posts_arrived_stats;
CREATE INDEX posts_arrived_stats ON posts (arrived_at) INCLUDE (status, author_id, reject_reason, media_kind);
