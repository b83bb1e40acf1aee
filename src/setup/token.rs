//! Step 1: the bot token. Its shape is checked first (no request for a pasted sentence), then
//! `getMe` proves Telegram accepts it and tells the bot's name and @username.

use serde::Serialize;
use teloxide::prelude::Requester;

use super::{SetupError, bot_for};
use crate::config::{Endpoint, Secret, check_bot_token};

/// The bot behind a verified token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BotIdentity {
    pub id: i64,
    /// The bot's display name.
    pub name: String,
    /// Without `@`.
    pub username: String,
}

/// Checks the token's shape; surrounding spaces (a paste) are dropped.
pub fn parse_token(raw: &str) -> Result<Secret, SetupError> {
    check_bot_token(raw.trim()).map_err(|_| SetupError::MalformedToken)
}

/// `getMe` with the token: who the bot is, or why not (refused, unreachable, other).
pub async fn verify_token(endpoint: &Endpoint, token: &Secret) -> Result<BotIdentity, SetupError> {
    let bot = bot_for(endpoint, token)?;
    let me = bot.get_me().await.map_err(|e| SetupError::from_request(e, &endpoint.api_url))?;
    let id =
        i64::try_from(me.user.id.0).map_err(|_| SetupError::Telegram("getMe returned an id out of range".into()))?;
    Ok(BotIdentity { id, name: me.user.full_name(), username: me.user.username.clone().unwrap_or_default() })
}

#[cfg(test)]
mod tests {
    use super::parse_token;
    use crate::setup::SetupError;

    #[test]
    fn a_token_of_another_shape_is_malformed_before_any_request() {
        for bad in ["", "hello", "123456", ":abc", "abc:def", "123:ab cd", "123:abc/def", "https://t.me/bot"] {
            assert!(matches!(parse_token(bad), Err(SetupError::MalformedToken)), "{bad:?}");
        }
        let token = parse_token("  123456789:AAE-x_yZ0123456789abcdefghijklmnopq\n").unwrap();
        assert_eq!(token.expose(), "123456789:AAE-x_yZ0123456789abcdefghijklmnopq");
    }
}
