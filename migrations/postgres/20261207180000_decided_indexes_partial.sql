-- The statistics' decision and publication indexes hold only posts that have the time: a new
-- post (neither decided nor published) adds no entry to them, and the charts' range conditions
-- on these times imply the predicate, so they still use them.
DROP INDEX posts_decided_at;
CREATE INDEX posts_decided_at ON posts (decided_at) INCLUDE (arrived_at, status, decided_by)
    WHERE decided_at IS NOT NULL;
DROP INDEX posts_published_at;
CREATE INDEX posts_published_at ON posts (published_at) INCLUDE (arrived_at) WHERE published_at IS NOT NULL;
