-- Each moderator's decisions in time order, for the statistics' moderators chart: it reads one
-- moderator's decisions in the range (count, approved, wait in whole seconds, computed as the
-- chart does) from this index alone instead of sorting every decision in the range by
-- moderator. Partial: intake's inserts (no decision yet) do not touch it.
CREATE INDEX posts_decided_by ON posts (
  decided_by,
  decided_at,
  CAST(round(unixepoch(decided_at, 'subsec') - unixepoch(arrived_at, 'subsec')) AS INTEGER),
  status) WHERE decided_by IS NOT NULL;
