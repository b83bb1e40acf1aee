-- Author options: whether a post is published signed (1) or anonymous (0); NULL while neither
-- its author nor a moderator has chosen, which means the channel's default (SIGNATURE_DEFAULT).
ALTER TABLE posts ADD COLUMN signed INTEGER CHECK (signed IN (0, 1));
