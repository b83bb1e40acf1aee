-- Each moderator's decisions in time order, for the statistics' moderators chart: it reads one
-- moderator's decisions in the range (count, approved, median wait) from this index alone
-- instead of sorting every decision in the range by moderator. Partial: intake's inserts
-- (no decision yet) do not touch it.
CREATE INDEX posts_decided_by ON posts (decided_by, decided_at) INCLUDE (arrived_at, status)
  WHERE decided_by IS NOT NULL;
