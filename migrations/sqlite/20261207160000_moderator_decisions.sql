-- Each moderator's decisions, for the statistics' moderators chart. Partial: intake's inserts
-- (no decision yet) touch neither. The wait is written as the chart computes it
-- (`store/sqlite/charts.rs`, `secs`): SQLite uses an indexed expression only when the query
-- writes it the same way.
-- In time order: a moderator's count and approvals in the range, read from this index alone
-- instead of sorting every decision in the range by moderator.
CREATE INDEX posts_decided_by ON posts (decided_by, decided_at, status) WHERE decided_by IS NOT NULL;
-- In wait order: the moderator's median, gathered from waits that arrive already sorted (the
-- sort the median needs then costs a pass, not a sort of every decision in the range).
CREATE INDEX posts_decided_by_wait ON posts (
  decided_by,
  CAST(round(unixepoch(decided_at, 'subsec') - unixepoch(arrived_at, 'subsec')) AS INTEGER),
  decided_at) WHERE decided_by IS NOT NULL;
