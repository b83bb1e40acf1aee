-- The times to decision and to publication, kept in the statistics indexes: the charts read
-- them from the index instead of parsing two stored times per post in range (SQLite stores
-- times as text). The expressions are the charts' own (`store/sqlite/charts.rs`, `secs`):
-- SQLite uses an indexed expression only when the query writes it the same way. Partial: a new
-- post (neither decided nor published) adds no entry; the charts' range conditions on the times
-- imply the predicate.
DROP INDEX posts_decided_at;
CREATE INDEX posts_decided_at ON posts (
  decided_at,
  CAST(round(unixepoch(decided_at, 'subsec') - unixepoch(arrived_at, 'subsec')) AS INTEGER),
  status, decided_by) WHERE decided_at IS NOT NULL;
DROP INDEX posts_published_at;
CREATE INDEX posts_published_at ON posts (
  published_at,
  CAST(round(unixepoch(published_at, 'subsec') - unixepoch(arrived_at, 'subsec')) AS INTEGER))
  WHERE published_at IS NOT NULL;
