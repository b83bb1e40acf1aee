-- A card Telegram refused for good is recorded on its post (shown in the console, which can
-- send it again) instead of its announce job being marked done as if it had gone out.
ALTER TABLE posts ADD COLUMN card_error TEXT;
