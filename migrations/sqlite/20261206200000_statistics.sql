-- Statistics (the console's Statistics view and /stats): each chart is one query over a range of
-- days, < 50 ms at 100 000 posts (see BENCHMARKS.md). Decisions and publications are counted by
-- the day they happened, so both times get an index, as arrival already has (posts_arrived).
CREATE INDEX posts_decided_at ON posts (decided_at);
CREATE INDEX posts_published_at ON posts (published_at);
