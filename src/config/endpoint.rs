//! The Telegram endpoint and single-value checks the first-run setup uses before a whole
//! configuration exists: the same rules (and error texts) as [`super::Config`].

use std::time::Duration;

use super::{ChannelRef, ConfigError, DEFAULT_API_URL, Reader, Secret};

/// Where Telegram is and how long to wait for it: all the first-run setup needs before a bot
/// is configured (`TELEGRAM_API_URL`, `HTTP_CONNECT_TIMEOUT_SECS`, `HTTP_TIMEOUT_SECS`).
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub api_url: url::Url,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl Endpoint {
    /// Reads the endpoint's three variables (defaults as in [`Config`]).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Reader(&move |k: &str| lookup(k).filter(|v| !v.trim().is_empty())).endpoint()
    }
}

impl Reader<'_> {
    /// The endpoint's variables, read once for [`Endpoint::from_lookup`] and [`super::Config`].
    pub(super) fn endpoint(&self) -> Result<Endpoint, ConfigError> {
        Ok(Endpoint {
            api_url: self.url("TELEGRAM_API_URL", DEFAULT_API_URL)?,
            connect_timeout: self.secs("HTTP_CONNECT_TIMEOUT_SECS", 5, 1..=300)?,
            request_timeout: self.secs("HTTP_TIMEOUT_SECS", 30, 2..=600)?,
        })
    }
}

/// Checks a bot token's shape as `BOT_TOKEN` would be checked (the error names `BOT_TOKEN`).
pub fn check_bot_token(raw: &str) -> Result<Secret, ConfigError> {
    Reader(&|k: &str| (k == "BOT_TOKEN" && !raw.trim().is_empty()).then(|| raw.to_owned())).bot_token()
}

/// Checks a channel reference as `CHANNEL_ID` would be checked.
pub fn check_channel(raw: &str) -> Result<ChannelRef, ConfigError> {
    Reader(&|k: &str| (k == "CHANNEL_ID" && !raw.trim().is_empty()).then(|| raw.to_owned())).channel()
}
