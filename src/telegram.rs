//! The one Telegram client: a shared HTTP client with connect and total timeouts from config,
//! pointed at `TELEGRAM_API_URL`, and the retry rule for flood limits (HTTP 429); `entities`
//! and `requests`: message entities kept and sent exactly as the author's update had them.

use std::future::Future;
use std::time::Duration;

use teloxide::types::Recipient;
use teloxide::{ApiError, Bot, RequestError};

use crate::config::TelegramConfig;
use crate::limiter::{ChatKey, Limiter};

pub mod entities;
pub mod requests;

/// How many times one call is retried after a 429 before the error is returned.
const MAX_FLOOD_RETRIES: u32 = 5;
/// Client construction failures.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client for Telegram: {0}")]
pub struct ClientError(#[from] reqwest::Error);

/// Builds the HTTP client every Telegram call goes through.
pub fn http_client(config: &TelegramConfig) -> Result<reqwest::Client, ClientError> {
    Ok(reqwest::Client::builder()
        .connect_timeout(config.connect_timeout)
        .timeout(config.request_timeout)
        // Every socket the limiter lets be busy at once is kept for the next call.
        .pool_max_idle_per_host(crate::limiter::sockets(config.send_limits))
        .pool_idle_timeout(Duration::from_mins(1))
        .tcp_nodelay(true)
        .build()?)
}

/// The bot on the shared client, talking to the configured API server.
pub fn bot(config: &TelegramConfig, client: reqwest::Client) -> Bot {
    Bot::with_client(config.bot_token.expose(), client).set_api_url(config.api_url.clone())
}

/// The long-poll timeout for `getUpdates`: well inside the total HTTP timeout, so a
/// long poll never looks like a hung request.
pub fn polling_timeout(config: &TelegramConfig) -> Duration {
    (config.request_timeout / 2).clamp(Duration::from_secs(1), Duration::from_secs(25))
}

/// Runs a Telegram call, waiting out `retry_after` on HTTP 429 (bounded number of times).
pub async fn with_flood_retry<T, F, Fut>(what: &'static str, mut call: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    let mut attempt = 0;
    loop {
        match call().await {
            Err(RequestError::RetryAfter(wait)) if attempt < MAX_FLOOD_RETRIES => {
                attempt += 1;
                tracing::warn!(
                    call = what,
                    retry_after_secs = wait.seconds(),
                    attempt,
                    "Telegram flood limit; waiting"
                );
                tokio::time::sleep(wait.duration()).await;
            }
            other => return other,
        }
    }
}

/// Waits for a sending slot for `weight` messages to `chat` (see [`Limiter`]), then makes the
/// call. A 429 that still comes back is waited out and the call goes back through the limiter,
/// so the retry does not land on top of the chat's next message.
pub async fn send_limited<T, F, Fut>(
    limiter: &Limiter,
    chat: &Recipient,
    weight: u32,
    what: &'static str,
    call: F,
) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    limited(limiter, chat_key(chat), weight, what, call).await
}

/// A callback answer: waits for one of the answers' own places on the wire (not a message
/// slot: see [`Limiter::acquire_answer`]), and waits out a 429 like the others.
pub async fn answer_limited<T, F, Fut>(limiter: &Limiter, mut call: F) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    with_flood_retry("answerCallbackQuery", || {
        let request = call();
        async move {
            let _answering = limiter.acquire_answer().await;
            request.await
        }
    })
    .await
}

async fn limited<T, F, Fut>(
    limiter: &Limiter,
    key: ChatKey,
    weight: u32,
    what: &'static str,
    mut call: F,
) -> Result<T, RequestError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RequestError>>,
{
    with_flood_retry(what, || {
        // Requests are lazy: nothing is sent before the slot is granted.
        let request = call();
        let key = key.clone();
        async move {
            let _sending = limiter.acquire(key, weight).await;
            request.await
        }
    })
    .await
}

/// The limiter's view of a recipient.
pub fn chat_key(chat: &Recipient) -> ChatKey {
    match chat {
        Recipient::Id(id) => ChatKey::Id(id.0),
        Recipient::ChannelUsername(name) => ChatKey::Channel(name.clone()),
    }
}

/// How the outbox should treat a failed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Wait this long, then try again (does not count against the attempt budget).
    FloodWait(Duration),
    /// Network trouble, a timeout or a server error: retry with backoff.
    Transient,
    /// Telegram refused the request itself (bad request, forbidden, not found): do not retry.
    Permanent,
}

/// Classifies a request error for retry decisions.
pub fn classify(error: &RequestError) -> Failure {
    match error {
        RequestError::RetryAfter(wait) => Failure::FloodWait(wait.duration()),
        // A refusal teloxide has no variant for is still a refusal: Telegram prefixes them with
        // their HTTP status ("Bad Request: not enough rights to send text messages to the chat").
        RequestError::Api(ApiError::Unknown(text)) if is_refusal(text) => Failure::Permanent,
        // Other unknown API errors are 5xx answers ("Bad Gateway", "Internal Server Error").
        RequestError::Network(_)
        | RequestError::Io(_)
        | RequestError::InvalidJson { .. }
        | RequestError::Api(ApiError::Unknown(_)) => Failure::Transient,
        RequestError::Api(_) | RequestError::MigrateToChatId(_) => Failure::Permanent,
    }
}

/// Whether an API error text is Telegram refusing the request itself (HTTP 400 or 403).
fn is_refusal(text: &str) -> bool {
    text.starts_with("Bad Request:") || text.starts_with("Forbidden:")
}

#[cfg(test)]
mod tests {
    use teloxide::types::Seconds;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn flood_errors_are_waited_out_then_succeed() {
        let mut calls = 0;
        let result = with_flood_retry("test", || {
            calls += 1;
            let n = calls;
            async move { if n < 3 { Err(RequestError::RetryAfter(Seconds::from_seconds(2))) } else { Ok(n) } }
        })
        .await;
        assert_eq!(result.unwrap(), 3);
    }

    #[test]
    fn permanent_and_transient_errors_are_told_apart() {
        assert_eq!(classify(&RequestError::Api(ApiError::BotBlocked)), Failure::Permanent);
        assert_eq!(classify(&RequestError::Api(ApiError::Unknown("Bad Gateway".into()))), Failure::Transient);
        let refused = "Bad Request: not enough rights to send text messages to the chat";
        assert_eq!(classify(&RequestError::Api(ApiError::Unknown(refused.into()))), Failure::Permanent);
        let forbidden = "Forbidden: bot is not a member of the channel chat";
        assert_eq!(classify(&RequestError::Api(ApiError::Unknown(forbidden.into()))), Failure::Permanent);
        assert_eq!(
            classify(&RequestError::RetryAfter(Seconds::from_seconds(3))),
            Failure::FloodWait(Duration::from_secs(3))
        );
    }
}
