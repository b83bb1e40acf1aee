-- Statistics (the console's Statistics view and /stats): each chart is one query over a range of
-- days (see BENCHMARKS.md, row 8). Decisions and publications are counted by the day they
-- happened, arrivals by theirs; each index carries the columns the charts read, so a chart over
-- 90 000 posts reads the index alone (an index-only scan) instead of every post's row.
CREATE INDEX posts_decided_at ON posts (decided_at) INCLUDE (arrived_at, status, decided_by);
CREATE INDEX posts_published_at ON posts (published_at) INCLUDE (arrived_at);
CREATE INDEX posts_arrived_stats ON posts (arrived_at) INCLUDE (status, author_id, reject_reason);
