-- A post's media kind kept on the post, for the statistics' media mix: NULL for a text, the
-- kind of its one medium, or 'album' for several. Written with the media (intake, an album's
-- later parts, an author's revision; `store::charts::media_kind_of`), so the chart counts one
-- column of the arrival index instead of joining every medium in range to its post.
ALTER TABLE posts ADD COLUMN media_kind TEXT
    CHECK (media_kind IN ('photo', 'video', 'animation', 'document', 'audio', 'voice', 'album'));
UPDATE posts SET media_kind = (SELECT CASE WHEN count(*) > 1 THEN 'album' ELSE min(kind) END FROM media m
                               WHERE m.post_id = posts.id)
WHERE id IN (SELECT post_id FROM media);
DROP INDEX posts_arrived_stats;
CREATE INDEX posts_arrived_stats ON posts (arrived_at, status, author_id, reject_reason, media_kind);
