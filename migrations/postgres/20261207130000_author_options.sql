-- Author options: whether a post is published signed or anonymous; NULL while neither its
-- author nor a moderator has chosen, which means the channel's default (SIGNATURE_DEFAULT).
ALTER TABLE posts ADD COLUMN signed BOOLEAN;
