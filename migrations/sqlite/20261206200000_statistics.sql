-- Statistics (the console's Statistics view and /stats): each chart is one query over a range of
-- days (see BENCHMARKS.md, row 8). Decisions and publications are counted by the day they
-- happened, arrivals by theirs; each index holds the columns the charts read (SQLite has no
-- INCLUDE: they follow the key), so a chart reads the index alone, not every post's row.
CREATE INDEX posts_decided_at ON posts (decided_at, arrived_at, status, decided_by);
CREATE INDEX posts_published_at ON posts (published_at, arrived_at);
CREATE INDEX posts_arrived_stats ON posts (arrived_at, status, author_id, reject_reason);
