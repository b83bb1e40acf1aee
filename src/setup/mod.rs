//! First-run setup: from nothing to a configured bot, each step checked against Telegram.
//!
//! Used by the console's setup screen and by `postgate setup` alike:
//! - [`token`]: the bot token's shape, then `getMe` (the bot's name and @username)
//! - [`code`]: the one-time code a moderator sends as `/setup CODE` in the moderation group
//! - [`session`]: the setup-only bot: polls for that code and for channels the bot joins
//! - [`channel`]: the chosen channel, and the bot's right to post there (`getChatMember`)
//! - [`outcome`]: the settings the setup produces, and the `.env` file the terminal writes

pub mod channel;
pub mod code;
pub mod outcome;
pub mod session;
pub mod terminal;
pub mod token;

use crate::config::ConfigError;

pub use channel::{ChannelChecked, check_channel};
pub use code::SetupCode;
pub use outcome::SetupOutcome;
pub use session::{ChannelSeen, GroupFound, Moderator, Notice, Progress, SetupSession};
pub use token::{BotIdentity, verify_token};

/// The variables only the setup fills in; without one of them the console opens the setup.
pub const BOT_VARIABLES: [&str; 3] = ["BOT_TOKEN", "MODERATION_GROUP_ID", "CHANNEL_ID"];

/// Whether a configuration error means "not set up yet" (a bot variable is missing) rather
/// than "set up wrongly" (a value is malformed: that is reported, not silently replaced).
pub fn needed(error: &ConfigError) -> bool {
    matches!(error, ConfigError::Missing { var, .. } if BOT_VARIABLES.contains(var))
}

/// What can go wrong during the setup; every message says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(
        "this is not a bot token: a token from @BotFather looks like 123456789:AAE… (digits, a colon, then letters, digits, - and _)"
    )]
    MalformedToken,
    #[error("Telegram refused this token (401 Unauthorized): copy it again from @BotFather (/mybots → API Token)")]
    TokenRefused,
    #[error(
        "cannot reach Telegram at {url}: {detail}. Check the internet connection (or a proxy/firewall) and try again"
    )]
    Unreachable { url: String, detail: String },
    #[error("Telegram answered with an error: {0}")]
    Telegram(String),
    #[error("{0}")]
    Channel(#[from] channel::ChannelProblem),
    #[error("the setup is not finished: {0}")]
    Incomplete(&'static str),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

impl SetupError {
    /// A short, stable code for the UI (`malformed`, `refused`, `unreachable`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Self::MalformedToken => "malformed",
            Self::TokenRefused => "refused",
            Self::Unreachable { .. } => "unreachable",
            Self::Telegram(_) | Self::Client(_) => "telegram",
            Self::Channel(p) => p.code(),
            Self::Incomplete(_) => "incomplete",
        }
    }

    /// Maps a Telegram request error: 401 → refused, network → unreachable.
    pub(crate) fn from_request(error: teloxide::RequestError, url: &url::Url) -> Self {
        use teloxide::{ApiError, RequestError};
        match error {
            RequestError::Api(ApiError::InvalidToken) => Self::TokenRefused,
            RequestError::Network(e) => Self::Unreachable { url: endpoint_label(url), detail: network_detail(&e) },
            RequestError::Io(e) => Self::Unreachable { url: endpoint_label(url), detail: e.to_string() },
            other => Self::Telegram(other.to_string()),
        }
    }
}

/// The API server as shown to people: scheme, host and port only (never a path or token).
fn endpoint_label(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or("?");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

/// A network error in words, without the request URL (it holds the token).
fn network_detail(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "no answer in time".to_owned()
    } else if error.is_connect() {
        "the connection was refused or the host is unknown".to_owned()
    } else {
        // The source, never the error itself: its text holds the request URL.
        std::error::Error::source(error).map_or_else(|| "the request failed".to_owned(), ToString::to_string)
    }
}

/// The HTTP client and bot for a token, on the configured endpoint.
pub(crate) fn bot_for(
    endpoint: &crate::config::Endpoint,
    token: &crate::config::Secret,
) -> Result<teloxide::Bot, SetupError> {
    let client = reqwest::Client::builder()
        .connect_timeout(endpoint.connect_timeout)
        .timeout(endpoint.request_timeout)
        .build()
        .map_err(|e| SetupError::Client(e.to_string()))?;
    Ok(teloxide::Bot::with_client(token.expose(), client).set_api_url(endpoint.api_url.clone()))
}
