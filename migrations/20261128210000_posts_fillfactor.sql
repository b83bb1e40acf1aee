-- Room on each page of posts for an updated row version, so that updates which change no
-- indexed column (the card's message id when a post is announced, edits of claim times) stay
-- "HOT": the new version goes on the same page and no index — above all the trigram index on
-- the body — is touched. Applies to pages written from now on.
ALTER TABLE posts SET (fillfactor = 80);
