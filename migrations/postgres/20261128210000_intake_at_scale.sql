-- Intake under a burst (see BENCHMARKS.md, row 3).
--
-- The pending cap counts an author's pending posts for every submission. Without this index
-- the planner may combine the author index with the status index, which reads every pending
-- post in the queue (a plan chosen while the tables were small stays cached per connection).
CREATE INDEX posts_author_pending ON posts (author_id) WHERE status = 'pending';

-- Room on each page of posts for an updated row version, so that updates which change no
-- indexed column (the card's message id when a post is announced) stay "HOT": the new version
-- goes on the same page and no index — above all the trigram index on the body — is touched.
-- Applies to pages written from now on.
ALTER TABLE posts SET (fillfactor = 80);
