-- Queue reads at 100 000 posts (see BENCHMARKS.md): text search, the media-kind filter and
-- unfiltered pages in creation order use indexes instead of scanning every post.
-- pg_trgm ships with PostgreSQL (contrib) and is a trusted extension: the database owner may
-- create it. ILIKE '%word%' uses the trigram index for patterns of three characters or more.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX posts_body_trgm ON posts USING gin (body gin_trgm_ops);
CREATE INDEX media_kind_post ON media (kind, post_id);
CREATE INDEX posts_created ON posts (created_at, id);
